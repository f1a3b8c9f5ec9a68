"""Zoho-shaped ids: all-digit strings of 19 digits, an org prefix followed by a sequence.

Ids come from a counter per org, so the same seed always yields the same ids.
"""

from __future__ import annotations

import random


class IdSequence:
    def __init__(self, *, prefix: int, start: int = 1_000_000) -> None:
        self.prefix = prefix
        self.next_value = start

    def __call__(self) -> str:
        value = self.next_value
        self.next_value += 1
        return f"{self.prefix}{value:012d}"


def org_prefix(rng: random.Random) -> int:
    """A 7-digit prefix, like the ``4150868`` in ``4150868000000224005``."""
    return rng.randrange(1_000_000, 9_999_999)


def is_zoho_id(value: object) -> bool:
    """Ids arrive as strings or, from the official SDK, as JSON numbers."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return value > 0
    return isinstance(value, str) and value.isascii() and value.isdigit() and 0 < len(value) <= 20


def normalize_id(value: object) -> str | None:
    return str(value) if is_zoho_id(value) else None
