"""Shared pytest fixtures."""

pytest_plugins = ["tests.fake_green_api"]  # the `fake_green_api` fixture
