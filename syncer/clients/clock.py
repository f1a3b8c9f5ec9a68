"""Where the syncer's time comes from: the wall, the simulator's virtual clock, or a test's hand.

Backoff, rate limiting and token expiry all read ``now()`` and wait with ``sleep()``, so under
``SimulatorClock`` a test of a 60-second backoff takes no real time at all.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from syncer.clients.dates import parse_zoho_datetime

if TYPE_CHECKING:
    from simulator.control.client import ControlClient


@runtime_checkable
class SyncClock(Protocol):
    def now(self) -> datetime:
        """An aware datetime."""
        ...

    def sleep(self, seconds: float) -> None: ...


class WallClock:
    """Real time: what runs against real Zoho."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)


class SimulatorClock:
    """The simulator's virtual clock: ``sleep`` advances it, so waiting costs no real time."""

    def __init__(self, control: ControlClient) -> None:
        self.control = control

    def now(self) -> datetime:
        return parse_zoho_datetime(self.control.now())

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            self.control.advance_clock(seconds)


class ManualClock:
    """A clock for pure unit tests: it moves only when slept or advanced, and remembers the sleeps."""

    def __init__(self, start: datetime | None = None) -> None:
        start = start or datetime(2026, 1, 15, 9, 0, tzinfo=UTC)
        if start.tzinfo is None:
            raise ValueError("ManualClock needs an aware start datetime (e.g. tzinfo=UTC)")
        self._now = start
        self.slept: list[float] = []

    def now(self) -> datetime:
        return self._now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.advance(seconds)

    def advance(self, seconds: float) -> None:
        if seconds > 0:
            self._now += timedelta(seconds=seconds)
