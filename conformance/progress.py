"""What ``zohosim conform`` shows while a suite runs: scenarios done of the profile's count,
time spent, and an estimate of the time left. A rich progress bar on a terminal; on anything
else (a pipe, a CI log) plain lines, a few per suite.
"""

from __future__ import annotations

import math
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TextIO

#: Plain lines per suite (besides its result line).
PLAIN_LINES = 4


def interactive(stream: TextIO) -> bool:
    """A person is watching: a terminal, and not a CI job (which sets ``CI``)."""
    return stream.isatty() and not os.environ.get("CI")


class Progress:
    """One per ``zohosim conform`` run; ``suite()`` around each group and module sync."""

    def __init__(self, *, suites: int, stream: TextIO | None = None, bar: bool | None = None) -> None:
        self.stream = stream or sys.stdout
        self.suites = suites
        self.started = 0
        self.bar = interactive(self.stream) if bar is None else bar

    @contextmanager
    def suite(
        self, group: str, kind: str, *, total: int, note: str = "", ignore: tuple[str, ...] = ()
    ) -> Iterator[Tick]:
        self.started += 1
        title = f"[{self.started}/{self.suites}] {group} {kind}{note}"
        if not self.bar:
            yield Tick(title, total, ignore, line=self._line)
            return
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
        timing = (TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn())
        with Progress(
            *columns, *timing, console=Console(file=self.stream, force_terminal=True), transient=True
        ) as bar:
            task = bar.add_task(title, total=total)

            def update(done: int, _: str) -> None:
                bar.update(task, completed=min(done, total))

            yield Tick(title, total, ignore, update=update)

    def _line(self, text: str) -> None:
        print(text, file=self.stream, flush=True)


class Tick:
    """Counts one suite's scenarios (``on_outcome`` of ``run_suite``)."""

    def __init__(
        self, title: str, total: int, ignore: tuple[str, ...], *, line: Any = None, update: Any = None
    ) -> None:
        self.title, self.total, self.ignore, self.line, self.update = title, total, ignore, line, update
        self.done = 0
        self.failing = False
        self.begun = time.monotonic()
        self.every = max(1, math.ceil(total / PLAIN_LINES))

    def __call__(self, outcome: Any) -> None:
        self.done += 1
        self.failing = self.failing or bool(outcome.failed(self.ignore))
        text = self.status()
        if self.update is not None:
            self.update(self.done, text)
        elif self.line is not None and (self.done % self.every == 0 or self.done == self.total):
            self.line(text)

    def status(self) -> str:
        elapsed = time.monotonic() - self.begun
        if self.failing:  # Hypothesis searches on and shrinks: no count to go by
            return f"{self.title}: {self.done} scenarios, a failure found: shrinking it, {elapsed:.0f} s"
        if self.done > self.total:  # a stateful suite may draw a story or two more than asked
            return f"{self.title}: {self.done}/{self.total}+ scenarios, {elapsed:.0f} s"
        left = elapsed / self.done * (self.total - self.done) if self.done else None
        eta = f", about {left:.0f} s left" if left else ""
        return f"{self.title}: {self.done}/{self.total} scenarios, {elapsed:.0f} s{eta}"
