"""Zoho's datetime formats: CRM ``2024-05-07T10:12:33+05:30``, Books ``2013-08-05T12:06:10+0530``."""

from __future__ import annotations

from datetime import UTC, datetime


def parse_zoho_datetime(text: str) -> datetime:
    """Any ISO-8601 datetime with an offset (``Z``, ``+05:30`` or ``+0530``); a naive one is UTC."""
    value = text.strip()
    if value.endswith("Z"):
        value = value[:-1] + "+00:00"
    if "T" in value and len(value) > 5 and value[-5] in "+-" and value[-3] != ":":
        value = f"{value[:-2]}:{value[-2:]}"
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def crm_datetime(when: datetime) -> str:
    """The form CRM takes in ``If-Modified-Since`` and criteria: ISO-8601 with a ``+HH:MM`` offset."""
    if when.tzinfo is None:
        raise ValueError(f"{when!r} is naive: give an aware datetime (e.g. tzinfo=UTC)")
    return when.replace(microsecond=0).isoformat()
