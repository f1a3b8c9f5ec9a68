"""Sync Now, Sync Later and the repeating schedule, driven by a ``SyncClock``.

Each module sync has its own schedule: ``now`` runs at once, ``later`` at the next tick (one
interval from the start), and both repeat every ``interval`` (2 hours unless set). Waiting is
``clock.sleep``: real time with a ``WallClock``; with a ``SimulatorClock`` the simulator's virtual
clock jumps ahead, so a test runs a day of schedule in a moment.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from syncer.clients import SyncClock
from syncer.config import Config, ModuleSync
from syncer.report import Report

RunConfig = Callable[[Config], Report]


@dataclass
class Scheduler:
    config: Config
    clock: SyncClock
    run: RunConfig
    due: dict[str, datetime] = field(default_factory=dict)
    say: Callable[[str], None] | None = None  # told the next run's time before each wait

    def __post_init__(self) -> None:
        start = self.clock.now()
        for sync in self.config.syncs:
            first = start if sync.schedule == "now" else start + timedelta(seconds=sync.interval)
            self.due[sync.label] = first

    def next_due(self) -> datetime:
        return min(self.due.values())

    def tick(self) -> Report:
        """Wait for the next due time, then run every module sync due by then (one report)."""
        wait = (self.next_due() - self.clock.now()).total_seconds()
        if wait > 0:
            if self.say:
                labels = [sync.label for sync in self.config.syncs if self.due[sync.label] == self.next_due()]
                self.say(f"next run at {self.next_due().isoformat(timespec='seconds')}: {', '.join(labels)}")
            self.clock.sleep(wait)
        now = self.clock.now()
        due = [sync for sync in self.config.syncs if self.due[sync.label] <= now]
        report = self.run(replace(self.config, syncs=tuple(due)))
        for sync in due:
            self.due[sync.label] = next_tick(self.due[sync.label], sync, now)
        return report

    def run_ticks(self, count: int, *, on_report: Callable[[Report], None] | None = None) -> list[Report]:
        reports = []
        for _ in range(count):
            reports.append(self.tick())
            if on_report:
                on_report(reports[-1])
        return reports


def next_tick(due: datetime, sync: ModuleSync, now: datetime) -> datetime:
    """The next tick after ``now``: a run that overslept skips the ticks it missed."""
    step = timedelta(seconds=sync.interval)
    following = due + step
    while following <= now:
        following += step
    return following


def with_schedule(config: Config, *, schedule: str | None = None, interval: int | None = None) -> Config:
    """The configuration with every module sync's schedule and/or interval overridden (CLI flags)."""
    syncs = tuple(
        replace(sync, schedule=schedule or sync.schedule, interval=interval or sync.interval)
        for sync in config.syncs
    )
    return replace(config, syncs=syncs)
