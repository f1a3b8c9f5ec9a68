"""Which slice of a result a list call returns: ``page``/``per_page`` or an opaque ``page_token``.

Research §1.1: ``page`` times ``per_page`` reaches only the first 2000 records; beyond that a client
follows ``next_page_token``, which is bound to the other parameters (a changed one is a
TOKEN_BOUND_DATA_MISMATCH), lives 24 hours of virtual time and reaches at most 100,000 records.

A token carries its own state (moto's design): the offset it resumes at, its expiry and a digest of
what it is bound to, hex-encoded so that it reads like Zoho's.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from simulator.crm.errors import (
    DiscretePaginationLimitExceeded,
    ExpiredValue,
    PaginationLimitExceeded,
    TokenBoundDataMismatch,
)

DISCRETE_LIMIT = 2000
TOKEN_LIMIT = 100_000
TOKEN_LIFETIME = timedelta(hours=24)
MAX_TOKEN_LENGTH = 96


@dataclass(frozen=True)
class Window:
    offset: int
    per_page: int

    @property
    def page(self) -> int:
        return self.offset // self.per_page + 1


def page_window(*, page: int, per_page: int, limit: int | None = DISCRETE_LIMIT) -> Window:
    """``limit`` None (v2) lets ``page`` reach any record."""
    if limit is not None and page * per_page > limit:
        raise DiscretePaginationLimitExceeded(limit)
    return Window((page - 1) * per_page, per_page)


def binding(*parts: str, params: Mapping[str, str]) -> str:
    """A digest of everything a token is bound to: its owner, its module and the other params."""
    canonical = "&".join(f"{key}={params[key]}" for key in sorted(params))
    return hashlib.sha256("|".join([*parts, canonical]).encode()).hexdigest()[:16]


def issue_token(offset: int, *, bound_to: str, now: datetime) -> tuple[str, datetime]:
    expiry = now + TOKEN_LIFETIME
    payload = f"{offset}.{int(expiry.timestamp())}.{bound_to}"
    return payload.encode().hex(), expiry


def token_window(token: str, *, per_page: int, bound_to: str, now: datetime) -> Window:
    offset, expiry, digest = _decode(token)
    if digest != bound_to:
        raise TokenBoundDataMismatch()
    if now >= expiry:
        raise ExpiredValue()
    if offset >= TOKEN_LIMIT:
        raise PaginationLimitExceeded()
    return Window(offset, per_page)


def _decode(token: str) -> tuple[int, datetime, str]:
    try:
        if len(token) > MAX_TOKEN_LENGTH:
            raise ValueError(token)
        offset, expiry, digest = bytes.fromhex(token).decode().split(".")
        if not offset.isdigit():
            raise ValueError(token)
        return int(offset), datetime.fromtimestamp(int(expiry), UTC), digest
    except (ValueError, OverflowError, OSError):
        raise TokenBoundDataMismatch() from None
