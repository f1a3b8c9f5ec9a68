"""How long to wait: exponential backoff, and Books' own per-minute budget per org."""

from __future__ import annotations

import random
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class RetryPolicy:
    """``attempts`` counts the first try. ``max_wait`` bounds any wait Zoho asks for (``Retry-After``,
    ``X-Rate-Limit-Reset``); a longer one raises ``RateLimited`` instead of stalling the run.
    ``jitter`` shortens each backoff by a random share of at most that much, so clients that failed
    together do not retry together; ``seed`` makes the draws repeatable (tests)."""

    attempts: int = 6
    base: float = 1.0
    factor: float = 2.0
    cap: float = 60.0
    max_wait: float = 300.0
    jitter: float = 0.5
    seed: int | None = None

    def backoff(self, failures: int) -> float:
        """The wait after the ``failures``-th failed attempt: 1, 2, 4, … seconds, at most ``cap``."""
        return min(self.cap, self.base * self.factor ** (failures - 1))

    def jittered(self, failures: int, rng: random.Random) -> float:
        """The backoff with its jitter: between ``(1 - jitter)`` and 1 times ``backoff``."""
        return self.backoff(failures) * (1 - self.jitter * rng.random())


class RollingBudget:
    """At most ``limit`` requests in any ``window`` seconds, by the given clock readings."""

    def __init__(self, *, limit: int, window: float = 60.0) -> None:
        if limit < 1:
            raise ValueError("a request budget needs a limit of at least 1")
        self.limit = limit
        self.window = timedelta(seconds=window)
        self._sent: deque[datetime] = deque()

    def wait_needed(self, now: datetime) -> float:
        while self._sent and self._sent[0] <= now - self.window:
            self._sent.popleft()
        if len(self._sent) < self.limit:
            return 0.0
        return (self._sent[-self.limit] + self.window - now).total_seconds()

    def record(self, now: datetime) -> None:
        self._sent.append(now)
