"""Custom fields: the org's definitions, and record values resolved against them.

A request names a field by ``customfield_id``, ``api_name``, ``label`` or ``index`` (contacts.yml
shows ``{"index": 1, "value": …}``, items.yml ``{"customfield_id": …, "value": …}``); the record
keeps the whole definition with its value, so replies carry every documented key. Values of a
field marked unique (no duplicates) are unique among the entity's records, and such a field can
name the record in ``PUT /contacts`` and ``PUT /items`` (``X-Unique-Identifier-Key``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Protocol

from simulator.books.errors import DuplicateUniqueValue, InvalidValue
from simulator.books.records import CustomField


class HasCustomFields(Protocol):
    custom_fields: list[dict[str, Any]]


_NAMING_KEYS = ("customfield_id", "api_name", "label", "index")


def _definition(definitions: Sequence[CustomField], entry: dict[str, Any]) -> CustomField:
    for key in _NAMING_KEYS:
        if key in entry:
            found = next((d for d in definitions if getattr(d, key) == entry[key]), None)
            if found is None:
                raise InvalidValue("custom_fields")
            return found
    raise InvalidValue("custom_fields")


def merged(
    definitions: Sequence[CustomField], current: list[dict[str, Any]], entries: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The record's values after a write: named fields take their new value ("" clears one), the
    others keep theirs; in the definitions' order."""
    values = {entry["customfield_id"]: entry["value"] for entry in current}
    for entry in entries:
        values[_definition(definitions, entry).customfield_id] = entry["value"]
    return [d.entry(values[d.customfield_id]) for d in definitions if values.get(d.customfield_id)]


def value_of(record: HasCustomFields, definition: CustomField) -> str:
    return next(
        (e["value"] for e in record.custom_fields if e["customfield_id"] == definition.customfield_id), ""
    )


def check_unique(
    definitions: Sequence[CustomField],
    values: list[dict[str, Any]],
    others: Iterable[HasCustomFields],
) -> None:
    """Refuse a value of a unique field that another record of the entity already has."""
    unique = [d for d in definitions if d.is_unique]
    if not unique:
        return
    others = list(others)
    for entry in values:
        definition = next((d for d in unique if d.customfield_id == entry["customfield_id"]), None)
        if definition is not None and any(value_of(o, definition) == entry["value"] for o in others):
            raise DuplicateUniqueValue(label=definition.label, value=entry["value"])


def unique_field(definitions: Sequence[CustomField], api_name: str | None) -> CustomField:
    """The unique field an ``X-Unique-Identifier-Key`` header names."""
    found = next((d for d in definitions if d.api_name == api_name and d.is_unique), None)
    if found is None:
        raise InvalidValue("X-Unique-Identifier-Key")
    return found
