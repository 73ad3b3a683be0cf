"""Fixtures of the terraform/aws tests (test_terraform_aws*.py, test_aws_deploy_twice.py): one
moto server and one initialised copy of the stack for the whole run, so that init and the
provider's schema load once. Each test that applies the stack destroys it again."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.aws_stack import Stack, initialised_stack, moto_server


@pytest.fixture(scope="session")
def moto_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with moto_server(tmp_path_factory.mktemp("moto")) as url:
        yield url


@pytest.fixture(scope="session")
def stack(moto_url: str, tmp_path_factory: pytest.TempPathFactory) -> Stack:
    return initialised_stack(moto_url, tmp_path_factory.mktemp("tf-aws"))
