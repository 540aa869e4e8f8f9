"""Fixtures for casework tests."""

from tests.fixtures import world  # noqa: F401
