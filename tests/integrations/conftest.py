"""Fixtures for integrations tests."""

from tests.fixtures import world  # noqa: F401
