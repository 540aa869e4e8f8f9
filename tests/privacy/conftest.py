"""Fixtures for privacy tests."""

from tests.fixtures import world  # noqa: F401
