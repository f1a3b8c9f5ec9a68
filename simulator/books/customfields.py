"""Custom fields: the org's definitions, and record values resolved against them.

A request names a field by ``customfield_id``, ``api_name``, ``label`` or ``index`` (contacts.yml
shows ``{"index": 1, "value": …}``, items.yml ``{"customfield_id": …, "value": …}``); the record
keeps the whole definition with its value, so replies carry every documented key. Values of a
field marked unique (no duplicates) are unique among the entity's records, and such a field can
name the record in ``PUT /contacts`` and ``PUT /items`` (``X-Unique-Identifier-Key``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from simulator.books.errors import DuplicateUniqueValue, InvalidValue
from simulator.books.records import CustomField

if TYPE_CHECKING:
    from simulator.books.models import BooksOrg


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
    unique = {d.customfield_id: d for d in definitions if d.is_unique}
    checked = [(unique[e["customfield_id"]], e["value"]) for e in values if e["customfield_id"] in unique]
    if not checked:  # the usual write sets no unique field: no need to read the whole entity
        return
    others = list(others)
    for definition, value in checked:
        if any(value_of(o, definition) == value for o in others):
            raise DuplicateUniqueValue(label=definition.label, value=value)


def unique_field(definitions: Sequence[CustomField], api_name: str | None) -> CustomField:
    """The unique field an ``X-Unique-Identifier-Key`` header names."""
    found = next((d for d in definitions if d.api_name == api_name and d.is_unique), None)
    if found is None:
        raise InvalidValue("X-Unique-Identifier-Key")
    return found


ENTITIES = ("contact", "item")
_API_NAME = re.compile(r"cf_[a-z0-9_]{1,50}")


def definitions_from(org: BooksOrg, specs: Any) -> list[CustomField]:
    """New definitions from ``[{"entity", "label", "api_name"?, "is_unique"?}]`` (the control plane's
    stand-in for Books' field customization screen); raises ValueError naming what is wrong."""
    if not isinstance(specs, list) or not all(isinstance(spec, dict) for spec in specs):
        raise ValueError("'custom_fields' must be a list of objects")
    made: list[CustomField] = []
    for spec in specs:
        entity, label = spec.get("entity"), spec.get("label")
        if entity not in ENTITIES:
            raise ValueError(f"a custom field's 'entity' must be one of: {', '.join(ENTITIES)}")
        if not isinstance(label, str) or not label.strip():
            raise ValueError("a custom field needs a 'label'")
        api_name = spec.get("api_name") or "cf_" + re.sub(r"[^a-z0-9]+", "_", label.lower()).strip("_")
        taken = [d for d in (*org.custom_fields, *made) if d.entity == entity]
        if not isinstance(api_name, str) or not _API_NAME.fullmatch(api_name):
            raise ValueError("a custom field's 'api_name' is cf_ and then lower-case letters, digits or _")
        if any(d.api_name == api_name or d.label == label for d in taken):
            raise ValueError(f"the {entity} custom field {label!r} ({api_name}) already exists")
        unique = spec.get("is_unique", False)
        if not isinstance(unique, bool):
            raise ValueError("a custom field's 'is_unique' must be true or false")
        made.append(CustomField("", entity, len(taken) + 1, label, api_name, is_unique=unique))
    for definition in made:  # ids only once every one is valid: a refused request changes nothing
        definition.customfield_id = org.new_id()
    return made
