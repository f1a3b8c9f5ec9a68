"""``PUT /contacts`` and ``PUT /items``: a write to the record a unique custom field's value names.

contacts.yml / items.yml: the field's API name comes in ``X-Unique-Identifier-Key`` and its value
in ``X-Unique-Identifier-Value``; the record with that value is updated. With ``X-Upsert: true``
and no such record, one is created from the body (which must then be a valid create), with the
unique field set to the header's value.
"""

from __future__ import annotations

from typing import Any

from simulator.books import customfields
from simulator.books.errors import DoesNotExist, InvalidValue
from simulator.books.models import BooksOrg
from simulator.books.records import Contact, CustomField, Item


def upsert_contact(
    org: BooksOrg, *, key: str | None, value: str | None, upsert: bool, body: Any
) -> tuple[Contact, bool]:
    """The contact written, and whether it was created."""
    definition, value = _unique_key(org, "contact", key, value)
    found = next((c for c in org.contacts.values() if customfields.value_of(c, definition) == value), None)
    if found is not None:
        return org.update_contact(found.contact_id, body), False
    if not upsert:
        raise DoesNotExist(entity="Contact")
    return org.create_contact(_with_unique_value(body, definition, value)), True


def upsert_item(
    org: BooksOrg, *, key: str | None, value: str | None, upsert: bool, body: Any
) -> tuple[Item, bool]:
    """The item written, and whether it was created."""
    definition, value = _unique_key(org, "item", key, value)
    found = next((i for i in org.items.values() if customfields.value_of(i, definition) == value), None)
    if found is not None:
        return org.update_item(found.item_id, body), False
    if not upsert:
        raise DoesNotExist(entity="Item")
    return org.create_item(_with_unique_value(body, definition, value)), True


def _unique_key(org: BooksOrg, entity: str, key: str | None, value: str | None) -> tuple[CustomField, str]:
    definition = customfields.unique_field(org.definitions(entity), key)
    if not (value or "").strip():
        raise InvalidValue("X-Unique-Identifier-Value")
    return definition, value or ""


def _with_unique_value(body: Any, definition: CustomField, value: str) -> Any:
    """A create body that also sets the unique field to the header's value."""
    entries = body.get("custom_fields", []) if isinstance(body, dict) else None
    if not isinstance(entries, list):
        return body  # parsing it refuses it
    own = {"customfield_id": definition.customfield_id, "value": value}
    return body | {"custom_fields": [*entries, own]}
