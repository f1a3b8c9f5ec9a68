"""Zoho's own API limits, per org, read off the virtual clock. Off by default; switched on per tenant.

Books: 100 requests a minute per org (code 44), a daily cap by plan (code 45), and a cap on
requests in flight (code 1070). CRM: a credit budget over a rolling 24 hours by edition, and a
concurrency cap by edition (``TOO_MANY_REQUESTS``). Figures are from research/zoho-*-api.md.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any, Literal

BOOKS_DAILY_BY_PLAN = {
    "free": 1000,
    "standard": 2000,
    "professional": 5000,
    "premium": 10000,
    "elite": 10000,
    "ultimate": 10000,
}
#: edition -> (base credits, credits per user license, cap or None, concurrency)
CRM_EDITIONS: dict[str, tuple[int, int, int | None, int]] = {
    "free": (5000, 0, 5000, 5),
    "standard": (50_000, 250, 100_000, 10),
    "professional": (50_000, 500, 1_000_000, 15),
    "enterprise": (50_000, 1000, 2_000_000, 20),
    "ultimate": (50_000, 2000, None, 25),
}

BooksVerdict = Literal["minute", "day", "concurrency"]
CrmVerdict = Literal["credits", "concurrency"]


class InvalidLimits(ValueError):
    """A limits setting the control plane refuses; the message names the field and the fix."""


@dataclass
class BooksLimits:
    """Counts every request (the ``X-Rate-Limit-*`` headers need the day's count); enforces only when on."""

    time_zone: timezone
    enabled: bool = False
    plan: str = "professional"
    per_minute: int = 100
    per_day: int | None = None
    concurrency: int | None = None
    _minute: datetime | None = None
    _minute_count: int = 0
    _day: date | None = None
    _day_count: int = 0
    in_flight: int = 0

    @property
    def daily_cap(self) -> int:
        return self.per_day if self.per_day is not None else BOOKS_DAILY_BY_PLAN[self.plan]

    @property
    def concurrency_cap(self) -> int:
        return self.concurrency if self.concurrency is not None else (5 if self.plan == "free" else 10)

    def admit(self, now: datetime) -> BooksVerdict | None:
        """Count the request, or name the limit it hits (a refused request is not counted)."""
        self._roll(now)
        if self.enabled:
            if self.in_flight >= self.concurrency_cap:
                return "concurrency"
            if self._day_count >= self.daily_cap:
                return "day"
            if self._minute_count >= self.per_minute:
                return "minute"
        self._minute_count += 1
        self._day_count += 1
        self.in_flight += 1
        return None

    def release(self) -> None:
        self.in_flight = max(0, self.in_flight - 1)

    def headers(self, now: datetime) -> dict[str, str]:
        self._roll(now)
        local = now.astimezone(self.time_zone)
        midnight = datetime.combine(local.date() + timedelta(days=1), datetime.min.time(), self.time_zone)
        return {
            "X-Rate-Limit-Limit": str(self.daily_cap),
            "X-Rate-Limit-Remaining": str(max(0, self.daily_cap - self._day_count)),
            "X-Rate-Limit-Reset": str(int((midnight - local).total_seconds())),
        }

    def seconds_to_next_minute(self, now: datetime) -> int:
        return 60 - now.second if now.second else 60

    def _roll(self, now: datetime) -> None:
        minute = now.replace(second=0, microsecond=0)
        if minute != self._minute:
            self._minute, self._minute_count = minute, 0
        today = now.astimezone(self.time_zone).date()
        if today != self._day:
            self._day, self._day_count = today, 0

    def settings(self) -> dict[str, Any]:
        return {
            "enabled": self.enabled,
            "plan": self.plan,
            "per_minute": self.per_minute,
            "per_day": self.daily_cap,
            "concurrency": self.concurrency_cap,
        }


@dataclass
class CrmLimits:
    enabled: bool = False
    edition: str = "enterprise"
    users: int = 10
    credits: int | None = None
    concurrency: int | None = None
    _calls: deque[datetime] = field(default_factory=deque)
    in_flight: int = 0

    @property
    def credit_cap(self) -> int:
        if self.credits is not None:
            return self.credits
        base, per_user, cap, _ = CRM_EDITIONS[self.edition]
        total = base + per_user * self.users
        return total if cap is None else min(total, cap)

    @property
    def concurrency_cap(self) -> int:
        return self.concurrency if self.concurrency is not None else CRM_EDITIONS[self.edition][3]

    def admit(self, now: datetime, *, cost: int = 1) -> CrmVerdict | None:
        horizon = now - timedelta(hours=24)
        while self._calls and self._calls[0] <= horizon:
            self._calls.popleft()
        if self.enabled:
            if self.in_flight >= self.concurrency_cap:
                return "concurrency"
            if len(self._calls) + cost > self.credit_cap:
                return "credits"
        self._calls.extend([now] * cost)
        self.in_flight += 1
        return None

    def release(self) -> None:
        self.in_flight = max(0, self.in_flight - 1)

    def seconds_until_credit(self, now: datetime) -> int:
        if not self._calls:
            return 0
        return max(1, int((self._calls[0] + timedelta(hours=24) - now).total_seconds()))

    def settings(self) -> dict[str, Any]:
        return {
            "enabled": self.enabled,
            "edition": self.edition,
            "users": self.users,
            "credits": self.credit_cap,
            "credits_used": len(self._calls),
            "concurrency": self.concurrency_cap,
        }


def raw_settings(limits: BooksLimits | CrmLimits) -> dict[str, Any]:
    """The settable fields as given (None where the plan's figure applies); ``configure`` takes them back."""
    return {key: getattr(limits, key) for key in _settable(limits)}


def _settable(limits: BooksLimits | CrmLimits) -> set[str]:
    return {
        k
        for k in limits.__dataclass_fields__
        if not k.startswith("_") and k not in ("time_zone", "in_flight")
    }


def configure(limits: BooksLimits | CrmLimits, spec: dict[str, Any]) -> None:
    """Apply a control-plane setting such as ``{"enabled": true, "plan": "free"}``; validate first."""
    if not isinstance(spec, dict):
        raise InvalidLimits('each service\'s limits must be a JSON object, e.g. {"enabled": true}')
    allowed = {
        k
        for k in limits.__dataclass_fields__
        if not k.startswith("_") and k not in ("time_zone", "in_flight")
    }
    unknown = set(spec) - allowed
    if unknown:
        raise InvalidLimits(f"unknown keys {sorted(unknown)}: this service takes {sorted(allowed)}")
    if "plan" in spec and spec["plan"] not in BOOKS_DAILY_BY_PLAN:
        raise InvalidLimits(f"'plan' must be one of {sorted(BOOKS_DAILY_BY_PLAN)}")
    if "edition" in spec and spec["edition"] not in CRM_EDITIONS:
        raise InvalidLimits(f"'edition' must be one of {sorted(CRM_EDITIONS)}")
    if "enabled" in spec and not isinstance(spec["enabled"], bool):
        raise InvalidLimits("'enabled' must be true or false")
    for key in allowed - {"enabled", "plan", "edition"}:
        value = spec.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
            raise InvalidLimits(f"'{key}' must be a whole number >= 0, or null for the plan's figure")
    for key, value in spec.items():
        setattr(limits, key, value)
