"""Fixtures for riskmodel tests."""

from tests.fixtures import world  # noqa: F401
