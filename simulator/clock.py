"""The virtual clock. Every "now" in the simulator comes from here.

A frozen clock stands still until it is set or advanced: tests use it, so that token expiry,
rate-limit windows and ``Modified_Time`` move only when a test says so. A ticking clock follows
wall time from wherever it was set, which is what a person poking at ``zohosim serve`` expects.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone

#: Where a frozen clock starts unless told otherwise: after every seeded timestamp.
DEFAULT_START = datetime(2026, 1, 15, 9, 0, 0, tzinfo=UTC)
#: The instants the clock may show. Zoho's own dates start at the Unix epoch (page tokens, rate
#: windows and Books' timestamps count from it), and everything the simulator adds to "now"
#: (token lifetimes, 24-hour windows, ...) must still be a valid datetime: far short of year 9999.
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(9000, 1, 1, tzinfo=UTC)


class ClockRangeError(ValueError):
    """The clock was asked to show an instant outside ``EARLIEST`` .. ``LATEST``."""

    def __init__(self) -> None:
        super().__init__(f"the clock stays between {EARLIEST.isoformat()} and {LATEST.isoformat()}")


class Clock:
    def __init__(self, *, start: datetime | None = None, frozen: bool = True) -> None:
        self.set(start or (DEFAULT_START if frozen else datetime.now(UTC)))
        self.frozen = frozen

    def now(self) -> datetime:
        if self.frozen:
            return self._base
        return self._base + timedelta(seconds=time.monotonic() - self._wall_base)

    def set(self, when: datetime) -> None:
        when = _aware(when)
        if not EARLIEST <= when <= LATEST:
            raise ClockRangeError()
        self._base = when
        self._wall_base = time.monotonic()

    def advance(self, seconds: float) -> None:
        if not math.isfinite(seconds) or seconds < 0:
            raise ValueError("the clock only moves forward, by a finite number of seconds")
        if seconds > (LATEST - self.now()).total_seconds():
            raise ClockRangeError()
        self.set(self.now() + timedelta(seconds=seconds))

    def freeze(self, frozen: bool = True) -> None:
        self.set(self.now())
        self.frozen = frozen


def _aware(when: datetime) -> datetime:
    return when if when.tzinfo else when.replace(tzinfo=UTC)


#: Formatted timestamps by (instant, zone). A page of 200 records formats 200-400 of them and
#: formatting is ~1.5 us each, the largest single cost of a list reply; the same records are read
#: again and again (paging syncers, tests), so the strings are kept. Equal keys are the same instant
#: (aware datetimes compare by instant), and the text depends only on the instant and the zone.
#: Bounded: cleared when full.
_FORMATTED_LIMIT = 1 << 16
_crm_formatted: dict[tuple[datetime, timezone], str] = {}
_books_formatted: dict[tuple[datetime, timezone], str] = {}


def crm_datetime(when: datetime, tz: timezone) -> str:
    """CRM's format: ``2024-05-07T10:12:33+05:30``, in the user's time zone."""
    key = (when, tz)
    text = _crm_formatted.get(key)
    if text is None:
        if len(_crm_formatted) >= _FORMATTED_LIMIT:
            _crm_formatted.clear()
        text = _crm_formatted[key] = when.astimezone(tz).replace(microsecond=0).isoformat()
    return text


def crm_formatter(tz: timezone) -> Callable[[datetime | None], str | None]:
    """``crm_datetime`` in ``tz`` as one call that passes None through: for rendering many rows."""
    formatted = _crm_formatted

    def format_or_none(when: datetime | None) -> str | None:
        if when is None:
            return None
        text = formatted.get((when, tz))
        return crm_datetime(when, tz) if text is None else text

    return format_or_none


def books_datetime(when: datetime, tz: timezone) -> str:
    """Books' format: ``2013-08-05T12:06:10+0530`` (no colon in the offset)."""
    key = (when, tz)
    text = _books_formatted.get(key)
    if text is None:
        if len(_books_formatted) >= _FORMATTED_LIMIT:
            _books_formatted.clear()
        text = _books_formatted[key] = when.astimezone(tz).strftime("%Y-%m-%dT%H:%M:%S%z")
    return text


def parse_datetime(text: str) -> datetime:
    """Parse any ISO-8601 datetime with an offset (``Z``, ``+05:30`` or ``+0530``); naive means UTC."""
    value = text.strip()
    if value.endswith("Z"):
        value = value[:-1] + "+00:00"
    if len(value) > 5 and value[-5] in "+-" and value[-3] != ":" and "T" in value:
        value = f"{value[:-2]}:{value[-2:]}"
    return _aware(datetime.fromisoformat(value))
