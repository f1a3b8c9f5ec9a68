"""Record changes, as the orgs report them to whoever watches (notifications, webhooks).

A CRM or Books org calls each of its ``observers`` with a ``RecordChange`` for every record it
creates, edits or deletes, whatever asked for it: the API, a sync, the CRM-import endpoint.
Replacing an org's whole state (a control-plane import, a snapshot restore) reports the
differences between the old state and the new one, as the same changes (``crm_differences``,
``books_differences``). Nothing here knows of HTTP or of who listens.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from simulator.books.models import BooksOrg
    from simulator.crm.models import CrmOrg

Operation = Literal["create", "edit", "delete"]


@dataclass(frozen=True)
class RecordChange:
    """One record's change. ``record`` is the record after it (before it, for a delete)."""

    service: Literal["crm", "books"]
    #: The CRM module's API name, or the Books entity: "contact", "contact_person" or "item".
    entity: str
    operation: Operation
    record_id: str
    record: Any
    #: The fields whose value changed, for an edit that names them (CRM).
    fields: tuple[str, ...] = ()
    #: The contact a Books contact person belongs to.
    parent: Any = None


Observer = Callable[[RecordChange], None]


def crm_differences(old: CrmOrg, new: CrmOrg) -> Iterator[RecordChange]:
    """What changed from ``old``'s records to ``new``'s, module by module, as record changes."""
    for module, table in new.records.items():
        before = old.records.get(module, {})
        for record_id, record in table.items():
            previous = before.get(record_id)
            if previous is None:
                yield RecordChange("crm", module, "create", record_id, record)
            elif previous != record:
                yield RecordChange(
                    "crm", module, "edit", record_id, record, fields=_changed(previous, record)
                )
        for record_id, record in before.items():
            if record_id not in table:
                yield RecordChange("crm", module, "delete", record_id, record)


def books_differences(old: BooksOrg, new: BooksOrg) -> Iterator[RecordChange]:
    """What changed from ``old``'s contacts, persons and items to ``new``'s, as record changes."""
    yield from _table_differences("contact", old.contacts, new.contacts)
    yield from _table_differences("item", old.items, new.items)
    for contact_id in old.contacts.keys() | new.contacts.keys():
        before, after = old.contacts.get(contact_id), new.contacts.get(contact_id)
        old_people = {p.contact_person_id: p for p in (before.contact_persons if before else [])}
        new_people = {p.contact_person_id: p for p in (after.contact_persons if after else [])}
        for change in _table_differences("contact_person", old_people, new_people):
            yield RecordChange(
                "books",
                change.entity,
                change.operation,
                change.record_id,
                change.record,
                parent=after or before,
            )


def _table_differences(entity: str, old: Mapping[str, Any], new: Mapping[str, Any]) -> Iterator[RecordChange]:
    for record_id, record in new.items():
        previous = old.get(record_id)
        if previous is None:
            yield RecordChange("books", entity, "create", record_id, record)
        elif previous != record:
            yield RecordChange("books", entity, "edit", record_id, record)
    for record_id, record in old.items():
        if record_id not in new:
            yield RecordChange("books", entity, "delete", record_id, record)


def _changed(before: Mapping[str, Any], after: Mapping[str, Any]) -> tuple[str, ...]:
    return tuple(key for key in after.keys() | before.keys() if before.get(key) != after.get(key))
