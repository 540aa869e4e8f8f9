"""Fixtures for the hostile-input tests, and a summary of how much was fuzzed."""

from tests.fixtures import world  # noqa: F401
from tests.hostile import figures


def pytest_terminal_summary(terminalreporter):
    if figures.examples:
        terminalreporter.write_line(
            f"hostile feed fuzzing: {sum(figures.examples.values())} examples {dict(figures.examples)}"
        )
    if figures.requests:
        terminalreporter.write_line(
            f"hostile API fuzzing: {sum(figures.requests.values())} requests {dict(figures.requests)}"
        )
        terminalreporter.write_line(f"hostile API outcomes: {dict(sorted(figures.outcomes.items()))}")
