"""How long commands show their work: stages with elapsed seconds on stderr, a progress bar when stderr is a
terminal (rich), nothing but errors with ``--verbosity 0``, and one JSON summary with ``--json``.

Services never print. Those that take long accept an optional ``progress`` callback, called as
``progress(stage, done, total)``; a command passes :meth:`Reporter.progress`, a Celery task passes a function
that records the figures for the batches page. Every command summary carries ``stages`` (seconds per stage)
and ``seconds`` (the whole run).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TextIO

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

ProgressCallback = Callable[[str, int, int], None]
"""``progress(stage, done, total)``: ``stage`` names what is being done now (``reading``, ``storing`` …),
``done`` of ``total`` items are done (``total`` 0 when the amount is not known)."""


def report(progress: ProgressCallback | None, stage: str, done: int = 0, total: int = 0) -> None:
    """Call ``progress`` if there is one: services call this instead of checking for None each time."""
    if progress is not None:
        progress(stage, done, total)


class Reporter:
    """Stages, a progress bar and the JSON summary of one command run."""

    def __init__(self, command: str, *, stderr: TextIO, verbosity: int = 1, as_json: bool = False):
        self.command = command
        self.verbosity = verbosity
        self.as_json = as_json
        self.console = Console(file=stderr, highlight=False, soft_wrap=True)
        self.stages: dict[str, float] = {}
        self._started = time.perf_counter()
        self._current: str | None = None
        self._stage_started = 0.0
        self._bar: Progress | None = None
        self._task = None

    @classmethod
    def for_command(cls, command, name: str, options: dict) -> Reporter:
        """The reporter of a Django management command: its stderr, ``--verbosity`` and ``--json``."""
        stream = getattr(command.stderr, "_out", command.stderr)
        return cls(
            name, stderr=stream, verbosity=int(options.get("verbosity", 1)), as_json=bool(options.get("json"))
        )

    @property
    def elapsed(self) -> float:
        return time.perf_counter() - self._started

    def _say(self, text: str) -> None:
        if self.verbosity >= 1:
            self.console.print(f"[{self.elapsed:6.1f}s] {text}", markup=False)

    def _begin(self, name: str) -> None:
        self._end()
        self._current = name
        self._stage_started = time.perf_counter()
        self._say(f"{name} …")

    def _end(self) -> None:
        if self._current is None:
            return
        seconds = time.perf_counter() - self._stage_started
        self.stages[self._current] = round(self.stages.get(self._current, 0.0) + seconds, 3)
        self._close_bar()
        self._say(f"{self._current} done ({seconds:.2f} s)")
        self._current = None

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        """A stage of the command; service stages reported through :meth:`progress` inside it end with it."""
        self._begin(name)
        try:
            yield
        finally:
            self._end()

    def progress(self, stage: str, done: int, total: int) -> None:
        """The callback given to services: a new stage name starts that stage, counts move the bar."""
        if stage != self._current:
            self._begin(stage)
        if total and self.verbosity >= 1 and self.console.is_terminal:
            if self._bar is None:
                self._bar = Progress(
                    TextColumn("{task.description}"),
                    BarColumn(),
                    MofNCompleteColumn(),
                    TimeElapsedColumn(),
                    console=self.console,
                    transient=True,
                )
                self._bar.start()
                self._task = self._bar.add_task(stage, total=total)
            self._bar.update(self._task, completed=done, total=total)

    def _close_bar(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None
            self._task = None

    def summary(self, figures: dict[str, Any]) -> dict[str, Any]:
        """The run's figures with the command's name, the seconds of each stage and of the whole run."""
        self._end()
        return {
            "command": self.command,
            **figures,
            "stages": dict(self.stages),
            "seconds": round(self.elapsed, 3),
        }

    def emit(self, stdout, figures: dict[str, Any]) -> dict[str, Any]:
        """With ``--json``, write the summary as one JSON object on ``stdout``; return it either way."""
        result = self.summary(figures)
        if self.as_json:
            stdout.write(dumps(result))
        return result


def dumps(value: Any) -> str:
    """One line of JSON, non-ASCII as is (names of districts, feeds), dates and other values as text."""
    return json.dumps(value, ensure_ascii=False, default=str)
