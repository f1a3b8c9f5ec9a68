"""What each record a run wrote became: the mapped fields' values before and after the run.

``Before`` reads the mapped fields of every record a run may write from the orgs themselves as
the run begins; ``record_changes`` reads them again once it has ended, for the records its report
names. Only the simulator's own state is read, never the engine's: a field the run did not touch
may still show a change if another client wrote it while the run went on.

A contact person's row names its customer (``books_id``) and its CRM contact, not the person, so
the person is found among the customer's by name (the CRM contact's first and last name).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from operator import attrgetter
from typing import Any

from fieldmap import FieldPair, same
from simulator.books.models import BooksOrg
from simulator.books.records import Contact, ContactPerson, Item
from simulator.crm.models import CrmOrg
from syncer.config import ModuleSync
from syncer.plan import Action
from syncer.report import Row

#: Records with changes a run keeps; past it, the run says its changes were capped.
CAP = 10_000
#: Records read between two turns of the event loop.
STEP = 2_000
#: The outcomes that wrote the Books record of their row; ``pushed`` wrote the CRM record.
BOOKS_WRITES = frozenset({Action.CREATED, Action.UPDATED, Action.OVERWRITTEN, Action.CLONED})
CONTACT_TYPES = {"customers": "customer", "vendors": "vendor"}


@dataclass(frozen=True)
class Change:
    """One mapped field of a record: ``before`` is None when the run created the record."""

    field: str
    before: Any
    after: Any


@dataclass
class Table:
    """Some fields of a set of records, as they were: one tuple of values per record id."""

    fields: tuple[str, ...]
    values: dict[str, tuple[Any, ...]] = field(default_factory=dict)

    def of(self, record_id: str) -> dict[str, Any] | None:
        row = self.values.get(record_id)
        return None if row is None else dict(zip(self.fields, row, strict=True))


@dataclass
class Before:
    """The mapped fields of the records a run may write, read as it begins."""

    syncs: tuple[ModuleSync, ...]
    contacts: Table
    items: Table
    #: Per customer, its persons' mapped fields (for ``accounts_and_contacts``).
    persons: dict[str, Table]
    crm: dict[str, Table]

    @classmethod
    def of(cls, syncs: Iterable[ModuleSync]) -> Before:
        """Nothing read yet: ``fill`` reads it."""
        syncs = tuple(syncs)
        crm_fields: dict[str, list[str]] = {}
        for sync in syncs:
            if sync.extent == "both_ways":  # only a sync both ways pushes to CRM
                crm_fields.setdefault(sync.spec.crm_module, []).extend(p.crm for p in sync.field_map)
                if sync.with_persons:
                    crm_fields.setdefault("Contacts", []).extend(p.crm for p in sync.contact_map)
        return cls(
            syncs,
            Table(_books_fields(s for s in syncs if s.module in CONTACT_TYPES)),
            Table(_books_fields(s for s in syncs if s.module == "items")),
            {},
            {module: Table(_unique(names)) for module, names in crm_fields.items()},
        )

    def fill(self, *, crm: CrmOrg, books: BooksOrg) -> Iterator[None]:
        """Read the records, yielding after every ``STEP`` of them so that the event loop can serve
        others meanwhile (an org may hold 100k records)."""
        types = {CONTACT_TYPES[s.module] for s in self.syncs if s.module in CONTACT_TYPES}
        person_fields = _unique(p.books for s in self.syncs if s.with_persons for p in s.person_map)
        read = _reader(self.contacts.fields)
        for n, contact in enumerate(list(books.contacts.values()) if types else ()):
            if contact.contact_type in types:
                self.contacts.values[contact.contact_id] = read(contact)
                if person_fields and contact.contact_persons and contact.contact_type == "customer":
                    self.persons[contact.contact_id] = _persons(contact, person_fields)
            if n % STEP == STEP - 1:
                yield
        read = _reader(self.items.fields)
        for n, item in enumerate(list(books.items.values()) if self.items.fields else ()):
            self.items.values[item.item_id] = read(item)
            if n % STEP == STEP - 1:
                yield
        for module, table in self.crm.items():
            for n, record in enumerate(list(crm.records.get(module, {}).values())):
                table.values[record["id"]] = tuple(record.get(f) for f in table.fields)
                if n % STEP == STEP - 1:
                    yield


def record_changes(
    row: Row, sync: ModuleSync, before: Before, *, crm: CrmOrg, books: BooksOrg
) -> tuple[Change, ...] | None:
    """The mapped fields of the row's record that differ after the run; None when the row wrote
    nothing, or its record is gone."""
    if row.action is Action.PUSHED and row.crm_module and row.crm_id:
        record = crm.records.get(row.crm_module, {}).get(row.crm_id)
        if record is None:
            return None
        fields = _unique(p.crm for p in _map_of(row, sync))
        table = before.crm.get(row.crm_module)
        old = table.of(row.crm_id) if table else None
        shown = None if old is None else {f: _shown(v) for f, v in old.items()}
        return _diff(fields, shown, {f: _shown(record.get(f)) for f in fields})
    if row.action not in BOOKS_WRITES or not row.books_id:
        return None
    if row.reason.startswith("contact person"):
        return _person_changes(row, sync, before, books)
    target: Contact | Item | None
    if sync.module == "items":
        target, table = books.items.get(row.books_id), before.items
    else:
        target, table = books.contacts.get(row.books_id), before.contacts
    if target is None:
        return None
    fields = _unique(p.books for p in _map_of(row, sync))
    return _diff(fields, table.of(row.books_id), {f: books_field(target, f) for f in fields})


def books_field(record: Contact | Item | ContactPerson, path: str) -> Any:
    """A Books field by its path in a field map (``billing_address.city``, ``primary_contact.email``)."""
    head, _, key = path.partition(".")
    if not key:
        return getattr(record, head, None)
    if head == "primary_contact":
        persons = getattr(record, "contact_persons", [])
        person = next((p for p in persons if p.is_primary_contact), persons[0] if persons else None)
        return getattr(person, key, None) if person else None
    return (getattr(record, head, None) or {}).get(key)


def _person_changes(row: Row, sync: ModuleSync, before: Before, books: BooksOrg) -> tuple[Change, ...] | None:
    customer = books.contacts.get(row.books_id or "")
    if customer is None:
        return None
    person = next(
        (p for p in customer.contact_persons if f"{p.first_name} {p.last_name}".strip() == row.name), None
    )
    if person is None:
        return None
    fields = _unique(p.books for p in sync.person_map)
    table = before.persons.get(customer.contact_id)
    old = table.of(person.contact_person_id) if table else None
    return _diff(fields, old, {f: books_field(person, f) for f in fields})


def _diff(
    fields: tuple[str, ...], old: Mapping[str, Any] | None, new: Mapping[str, Any]
) -> tuple[Change, ...]:
    if old is None:
        return tuple(Change(f, None, new[f]) for f in fields if not same(new[f], None))
    return tuple(Change(f, old.get(f), new[f]) for f in fields if not same(old.get(f), new[f]))


def _map_of(row: Row, sync: ModuleSync) -> tuple[FieldPair, ...]:
    """The field map of the row's record: a customer from a CRM contact beside accounts takes
    the contact map; everything else its sync's own."""
    if sync.module == "customers" and row.crm_module != sync.spec.crm_module:
        return sync.contact_map
    return sync.field_map


def _books_fields(syncs: Iterable[ModuleSync]) -> tuple[str, ...]:
    return _unique(p.books for s in syncs for p in (*s.field_map, *s.contact_map))


def _persons(contact: Contact, fields: tuple[str, ...]) -> Table:
    table = Table(fields)
    for person in contact.contact_persons:
        table.values[person.contact_person_id] = tuple(books_field(person, f) for f in fields)
    return table


def _reader(fields: tuple[str, ...]) -> Callable[[Any], tuple[Any, ...]]:
    """Reads ``fields`` of a Books record: a plain field is one ``getattr``, faster than
    ``books_field`` for each, which matters over a whole org."""
    if all("." not in f for f in fields):
        return attrgetter(*fields) if len(fields) > 1 else lambda record: (getattr(record, fields[0]),)
    return lambda record: tuple(books_field(record, f) for f in fields)


def _shown(value: Any) -> Any:
    """A CRM value as a field map reads it: a lookup by its name."""
    return value.get("name") if isinstance(value, dict) else value


def _unique(names: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(names))


def collect_changes(
    rows: Iterable[Row],
    syncs: Mapping[str, ModuleSync],
    before: Before,
    *,
    crm: CrmOrg,
    books: BooksOrg,
    into: dict[Row, tuple[Change, ...]],
) -> bool:
    """Add the changes of each row's record (``syncs`` by label) to ``into``, up to ``CAP``
    records; True once some were left out."""
    for row in rows:
        sync = syncs.get(row.sync)
        changes = None if sync is None else record_changes(row, sync, before, crm=crm, books=books)
        if changes is None or row in into:
            continue
        if len(into) >= CAP:
            return True
        into[row] = changes
    return False
