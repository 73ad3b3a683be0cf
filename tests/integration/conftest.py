"""Fixtures of the terraform/aws tests (test_terraform_aws*.py, test_aws_deploy_twice.py): a moto
server and an initialised copy of the stack per test module. Each test that applies the stack
destroys it again; a server per module keeps a test that failed half-way, leaving its resources
behind, from failing the next module's applies too."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.aws_stack import Stack, initialised_stack, moto_server


@pytest.fixture(scope="module")
def moto_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with moto_server(tmp_path_factory.mktemp("moto")) as url:
        yield url


@pytest.fixture(scope="module")
def stack(moto_url: str, tmp_path_factory: pytest.TempPathFactory) -> Stack:
    return initialised_stack(moto_url, tmp_path_factory.mktemp("tf-aws"))
