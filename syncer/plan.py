"""Pure decisions, easy to property-test: which Books record is a CRM record's duplicate, what a
duplicate mode does with it, and which way a linked pair flows. No I/O here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from enum import StrEnum
from typing import Any

from fieldmap import FieldPair, ModuleSpec, crm_value, match_key, same
from syncer.state import Indexed


class Action(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    OVERWRITTEN = "overwritten"
    CLONED = "cloned"
    SKIPPED = "skipped"
    PUSHED = "pushed"
    UNCHANGED = "unchanged"
    FAILED = "failed"


class Flow(StrEnum):
    NONE = "none"
    TO_BOOKS = "to_books"
    TO_CRM = "to_crm"


def sku_key(value: object) -> str:
    return match_key(value)


def crm_keys(spec: ModuleSpec, record: Mapping[str, Any]) -> tuple[str, str]:
    """A CRM record's match key and, for products, its SKU key."""
    sku = sku_key(record.get("Product_Code")) if spec.key == "products" else ""
    return match_key(crm_value(record, spec.crm_name)), sku


def books_keys(spec: ModuleSpec, record: Mapping[str, Any]) -> tuple[str, str]:
    sku = sku_key(record.get("sku")) if spec.books_collection == "items" else ""
    return match_key(record.get(spec.books_name)), sku


def keys_match(left: tuple[str, str], right: tuple[str, str]) -> bool:
    """Same name; for items, the SKU instead when both sides have one."""
    (left_name, left_sku), (right_name, right_sku) = left, right
    if left_sku and right_sku:
        return left_sku == right_sku
    return bool(left_name) and left_name == right_name


def find_duplicate(
    keys: tuple[str, str], candidates: Iterable[Indexed], *, taken: set[str]
) -> Indexed | None:
    """The existing record: the earliest-created unlinked candidate with the same key (ties: the
    smallest id). ``taken`` holds the ids already linked, or claimed earlier in this run."""
    matches = [c for c in candidates if c.record_id not in taken and keys_match(keys, (c.match_key, c.sku))]
    return min(matches, key=lambda c: (c.created, int(c.record_id))) if matches else None


def unlinked_action(mode: str, duplicate: Indexed | None) -> Action:
    """What becomes of a CRM record no Books record is linked to."""
    if duplicate is None:
        return Action.CREATED
    return {"skip": Action.SKIPPED, "overwrite": Action.OVERWRITTEN, "clone": Action.CLONED}[mode]


def flow(
    *,
    extent: str,
    crm_changed: bool,
    books_changed: bool,
    crm_modified: datetime | None,
    books_modified: datetime | None,
) -> Flow:
    """Which way a linked pair goes. Fetch only ever flows to Books, and only when CRM changed.
    Both ways: the side that changed; when both did, the later one, and CRM on a tie."""
    if extent == "fetch_from_crm":
        return Flow.TO_BOOKS if crm_changed else Flow.NONE
    if crm_changed and books_changed:
        if crm_modified is None or books_modified is None or crm_modified >= books_modified:
            return Flow.TO_BOOKS
        return Flow.TO_CRM
    if crm_changed:
        return Flow.TO_BOOKS
    return Flow.TO_CRM if books_changed else Flow.NONE


def changed(current: Mapping[str, Any], agreed: Mapping[str, Any]) -> bool:
    return any(not same(value, agreed.get(key)) for key, value in current.items()) or any(
        key not in current for key in agreed
    )


def crm_values(field_map: Sequence[FieldPair], record: Mapping[str, Any]) -> dict[str, Any]:
    """A CRM record's mapped CRM fields, as the syncer remembers them for change detection."""
    return {pair.crm: crm_value(record, pair.crm) for pair in field_map}
