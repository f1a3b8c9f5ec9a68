"""One run of one module sync: read both sides, decide (``plan``), write the fewest calls, and record
links and checkpoints as writes succeed (``state``). ``SYNC-SEMANTICS.md`` is the contract.

The order: read CRM (incrementally, with an overlap), read Books (likewise), adopt what an
interrupted run may have created, then the two directions in the module's order (customers and
vendors CRM→Books first, items Books→CRM first), then contact persons, then the checkpoint.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import fieldmap as mapping
from fieldmap import FieldPair, ModuleSpec
from syncer import plan
from syncer.clients import SyncClock, WriteOutcomeUnknown, ZohoApiError, ZohoClients, parse_zoho_datetime
from syncer.config import ConfigError, ModuleSync
from syncer.plan import Action, Flow
from syncer.report import Report
from syncer.state import Indexed, Link, SyncState

#: Re-read what changed since the last run's start minus this: covers writes made during that
#: run and clock skew between this machine and Zoho.
OVERLAP = timedelta(minutes=10)
CRM_BATCH = 100
PERSONS = "ContactPersons"


@dataclass
class Context:
    clients: ZohoClients
    state: SyncState
    clock: SyncClock
    report: Report


@dataclass
class _Push:
    link: Link | None
    books_record: dict[str, Any]
    spec: ModuleSpec
    field_map: tuple[FieldPair, ...]
    crm_record: dict[str, Any] | None = None


@dataclass
class ModuleRun:
    sync: ModuleSync
    ctx: Context
    books_rows: dict[str, dict[str, Any]] = field(default_factory=dict)
    _by_link: dict[str, dict[str, list[str]]] = field(default_factory=dict)  # see _carrying
    fresh: dict[str, dict[str, Any]] = field(default_factory=dict)  # Books records as they are now
    contacts_by_account: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    placed: set[str] = field(default_factory=set)  # CRM contacts placed as persons this run
    _index: dict[str, Indexed] | None = None  # the Books index, loaded once per run
    _by_key: dict[str, list[Indexed]] = field(default_factory=dict)  # the same, by name and by SKU
    pushes: list[_Push] = field(default_factory=list)
    creates: list[_Push] = field(default_factory=list)
    claimed: dict[str, set[str]] = field(default_factory=dict)  # CRM keys a queued create will take
    handled: set[str] = field(default_factory=set)
    taken: set[str] = field(default_factory=set)
    crm_read: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    read_whole: set[str] = field(default_factory=set)  # CRM modules read with no view this run
    _persons: dict[str, Link] | None = None  # person links by CRM contact id, loaded once per run
    _persons_of: dict[str, set[str]] = field(default_factory=dict)  # customer -> its contacts' ids
    _crm_keys: dict[str, set[str]] = field(default_factory=dict)  # the CRM index's keys, per module

    def __post_init__(self) -> None:
        self.key = self.sync.label
        self.state = self.ctx.state
        self.crm = self.ctx.clients.crm
        self.books = self.ctx.clients.books
        self.checkpoint = self.state.checkpoint(self.key)
        self.kind = {"items": "item", "vendors": "vendor"}.get(self.sync.module, "customer")
        self.fetching = False  # whether CRM→Books has begun (items push first)

    # ---- the run ------------------------------------------------------------------------------

    def run(self) -> None:
        self._validate_remote()
        crm_started = self.ctx.clock.now()
        main = self._read_crm(self.sync.spec, self.sync.field_map, self.sync.view)
        contacts = self._read_contacts() if self.sync.with_persons else []
        for contact in contacts:
            account_id = _lookup_id(contact.get("Account_Name"))
            if account_id:
                self.contacts_by_account.setdefault(account_id, []).append(contact)
        if self.sync.extent == "both_ways":
            self._index_crm_keys()
        books_started = self.ctx.clock.now()
        self._read_books()
        self.taken = self.state.linked_books_ids(self.key)
        self._recover_intents()
        if self.sync.module == "items" and self.sync.extent == "both_ways":
            self._push()
            self.fetching = True
            self._fetch(self.sync.spec, self.sync.field_map, main)
            self._flush_updates()  # the pairs _push left to _fetch, that went to CRM
        else:
            self.fetching = True
            self._fetch(self.sync.spec, self.sync.field_map, main)
            if self.sync.with_persons:
                self._place_persons(contacts)
            if self.sync.with_persons and self.sync.include_unassociated_contacts:
                loose = [c for c in contacts if not _lookup_id(c.get("Account_Name"))]
                self._fetch(mapping.CONTACTS, self._contact_map, loose)
            if self.sync.extent == "both_ways":
                self._push()
        self.state.save_checkpoint(self.key, crm_read_at=crm_started, books_read_at=books_started)

    @property
    def _contact_map(self) -> tuple[FieldPair, ...]:
        return self.sync.contact_map or mapping.CONTACTS.default_map

    # ---- reading ------------------------------------------------------------------------------

    def _validate_remote(self) -> None:
        """Every mapped CRM field and every view must exist, before anything is written. Checked
        once per configuration (remembered in the state store), so later runs spend no calls."""
        fingerprint = hashlib.sha256(repr(self.sync).encode()).hexdigest()
        if self.state.get_meta(f"validated:{self.key}") == fingerprint:
            return
        checks = [(self.sync.spec.crm_module, self.sync.field_map, self.sync.view, "view", "field_map")]
        if self.sync.with_persons:
            checks.append(
                ("Contacts", self.sync.person_map, self.sync.contact_view, "contact_view", "person_map")
            )
            if self.sync.include_unassociated_contacts:
                checks.append(("Contacts", self._contact_map, None, "contact_view", "contact_map"))
        for module, field_map, view, view_key, map_key in checks:
            known = {f["api_name"] for f in self.crm.fields(module)}
            for n, pair in enumerate(field_map):
                if pair.crm not in known:
                    raise ConfigError(
                        f"{self.key}.{map_key}[{n}]", f"{pair.crm!r} is not a field of CRM {module}"
                    )
            if view and view not in {str(v["id"]) for v in self.crm.views(module)}:
                raise ConfigError(f"{self.key}.{view_key}", f"{view} is not a custom view of CRM {module}")
        self.state.set_meta(f"validated:{self.key}", fingerprint)

    def _since(self, read_at: datetime | None) -> datetime | None:
        return read_at - OVERLAP if read_at else None

    def _read_crm(
        self, spec: ModuleSpec, field_map: Sequence[FieldPair], view: str | None
    ) -> list[dict[str, Any]]:
        fields = mapping.crm_fields_read(field_map)
        for extra in (
            *mapping.DERIVED_CRM_FIELDS.get(spec.crm_name, (spec.crm_name,)),
            "Created_Time",
            "Modified_Time",
        ):
            if extra not in fields:
                fields.append(extra)
        if spec.key == "products" and "Product_Code" not in fields:
            fields.append("Product_Code")
        if spec.key == "contacts" and "Account_Name" not in fields:
            fields.append("Account_Name")
        records = list(
            self.crm.records(
                spec.crm_module,
                fields=fields,
                cvid=view,
                modified_since=self._since(self.checkpoint.crm_read_at),
            )
        )
        self.crm_read.setdefault(spec.crm_module, {}).update({r["id"]: r for r in records})
        if view is None:
            self.read_whole.add(spec.crm_module)
        return records

    def _read_contacts(self) -> list[dict[str, Any]]:
        person_map = (*self.sync.person_map, *self._contact_map)
        return self._read_crm(mapping.CONTACTS, person_map, self.sync.contact_view)

    def _index_crm_keys(self) -> None:
        """Both ways must never create a CRM record whose key one already has: index every record of
        the modules it may push to, not only those in the view."""
        for spec in self._push_targets():
            fields = list(mapping.DERIVED_CRM_FIELDS.get(spec.crm_name, (spec.crm_name,)))
            if spec.key == "products":
                fields.append("Product_Code")
            read: Iterable[dict[str, Any]] = (
                self.crm_read[spec.crm_module].values()  # already read, with no view: not again
                if spec.crm_module in self.read_whole
                else self.crm.records(
                    spec.crm_module, fields=fields, modified_since=self._since(self.checkpoint.crm_read_at)
                )
            )
            rows = [Indexed(r["id"], *plan.crm_keys(spec, r)) for r in read]
            self.state.index_crm(spec.crm_module, rows)

    def _read_books(self) -> None:
        since = self._since(self.checkpoint.books_read_at)
        if self.kind == "item":
            rows = self.books.items(newer_than=since)
        else:
            rows = self.books.contacts(contact_type=self.kind, newer_than=since)
        for row in rows:
            self.books_rows[_books_id(row)] = row
        self._index_books(self.books_rows.values())

    def _index_books(self, rows: Iterable[Mapping[str, Any]]) -> None:
        spec = self.sync.spec
        indexed = [
            Indexed(_books_id(row), *plan.books_keys(spec, row), _utc(row.get("created_time")))
            for row in rows
        ]
        self.state.index_books(self.kind, indexed)
        if self._index is not None:
            for entry in indexed:
                self._remember(entry)

    def _candidates(self, keys: tuple[str, str] | None = None) -> list[Indexed]:
        """The Books index of this kind, read from the state store once per run. With ``keys``,
        only the entries that share the name or the SKU: the rest cannot be duplicates."""
        if self._index is None:
            self._index, self._by_key = {}, {}
            for entry in self.state.books_index(self.kind):
                self._remember(entry)
        if keys is None:
            return list(self._index.values())
        name, sku = keys
        return self._by_key.get(name, []) + (self._by_key.get(f"sku:{sku}", []) if sku else [])

    def _remember(self, entry: Indexed) -> None:
        self._drop(entry.record_id)
        self._index[entry.record_id] = entry
        for key in (entry.match_key, f"sku:{entry.sku}" if entry.sku else None):
            if key is not None:
                self._by_key.setdefault(key, []).append(entry)

    def _drop(self, books_id: str) -> None:
        old = self._index.pop(books_id, None)
        if old is not None:
            for key in (old.match_key, f"sku:{old.sku}"):
                if key in self._by_key:
                    self._by_key[key] = [e for e in self._by_key[key] if e.record_id != books_id]

    def _forget_books(self, books_id: str) -> None:
        self.state.forget_books(self.kind, books_id)
        if self._index is not None:
            self._drop(books_id)

    # ---- adopting what an interrupted run left ----------------------------------------------------

    def _recover_intents(self) -> None:
        """A create whose reply was lost (or whose run was killed) may have happened: find it by its
        key among records created since the intent, and link it instead of creating again."""
        for source, intent in self.state.intents(self.key, "books").items():
            crm_module, _, crm_id = source.partition(":")
            since = _utc_iso(intent.started - timedelta(seconds=2))
            fresh = [c for c in self._candidates() if c.created >= since]
            found = plan.find_duplicate((intent.match_key, ""), fresh, taken=self.taken)
            if found and self.state.link(self.key, crm_module, crm_id) is None:
                self._adopt(crm_module, crm_id, found.record_id)
            self.state.end_intent(self.key, side="books", source_id=source)
        for source, intent in self.state.intents(self.key, "crm").items():
            crm_module, _, books_id = source.partition(":")
            for crm_id in self.state.crm_ids_with_key(crm_module, intent.match_key):
                if self.state.link(self.key, crm_module, crm_id) is None:
                    self._adopt(crm_module, crm_id, books_id)
                    self._finish_push(crm_module, crm_id, books_id)
                    break
            self.state.end_intent(self.key, side="crm", source_id=source)

    def _adopt(self, crm_module: str, crm_id: str, books_id: str) -> None:
        """Link a pair with nothing agreed yet, so the next comparison brings it into line (CRM wins)."""
        self.state.save_link(
            self.key, crm_module=crm_module, crm_id=crm_id, books_id=books_id, agreed={"crm": {}, "books": {}}
        )
        self.taken.add(books_id)

    def _finish_push(self, crm_module: str, crm_id: str, books_id: str) -> None:
        """A Books record an interrupted run pushed to CRM, adopted: finish that push as the
        uninterrupted run did (``_flush_updates``: CRM takes what it lacks of the Books values, and
        Books takes what the push implies, ``_agree_in_books``). A CRM record read this run is left
        to CRM→Books, which compares the adopted pair; any other (outside the view) would never be
        compared again."""
        if crm_id in self.crm_read.get(crm_module, {}):
            return
        spec = mapping.SPEC_BY_MODULE[crm_module]
        link = self.state.link(self.key, crm_module, crm_id)
        crm_record = self.crm.get(crm_module, crm_id)
        books_record = self._books_get(spec, books_id)
        if link is None or crm_record is None or books_record is None:
            return
        self.handled.add(books_id)
        self.pushes.append(_Push(link, books_record, spec, self._field_map_for(spec), crm_record))

    # ---- CRM -> Books -----------------------------------------------------------------------------

    def _fetch(
        self, spec: ModuleSpec, field_map: tuple[FieldPair, ...], records: Iterable[dict[str, Any]]
    ) -> None:
        for record in records:
            link = self.state.link(self.key, spec.crm_module, record["id"]) or self._linked_in_books(
                spec, record
            )
            if link is None:
                self._unlinked(spec, field_map, record)
            else:
                self._linked(spec, field_map, record, link)

    def _linked_in_books(self, spec: ModuleSpec, record: Mapping[str, Any]) -> Link | None:
        """A Books record that carries the CRM id in its ``zcrm_*`` field is already this record's pair."""
        for books_id in self._carrying(spec.link_field).get(record["id"], []):
            if books_id not in self.taken:
                self._adopt(spec.crm_module, record["id"], books_id)
                return self.state.link(self.key, spec.crm_module, record["id"])
        return None

    def _carrying(self, link_field: str) -> dict[str, list[str]]:
        """The Books rows read this run, by the CRM id their ``link_field`` carries: indexed once, as
        a scan for every CRM record costs seconds in an org of thousands."""
        if link_field not in self._by_link:
            index: dict[str, list[str]] = {}
            for books_id, row in self.books_rows.items():
                index.setdefault(str(row.get(link_field) or ""), []).append(books_id)
            self._by_link[link_field] = index
        return self._by_link[link_field]

    def _unlinked(self, spec: ModuleSpec, field_map: tuple[FieldPair, ...], record: dict[str, Any]) -> None:
        keys = plan.crm_keys(spec, record)
        name = mapping.crm_value(record, spec.crm_name) or ""
        duplicate = plan.find_duplicate(keys, self._candidates(keys), taken=self.taken)
        action = plan.unlinked_action(self.sync.duplicates, duplicate)
        row = {"crm_module": spec.crm_module, "crm_id": record["id"], "name": str(name)}
        if action is Action.SKIPPED:
            assert duplicate is not None
            self._report(
                action,
                books_id=duplicate.record_id,
                reason=f"a Books record has its {_matched_by(keys, duplicate)}; skip leaves it",
                **row,
            )
        elif action is Action.OVERWRITTEN:
            assert duplicate is not None
            self._overwrite(spec, field_map, record, duplicate.record_id, row)
        else:
            self._create(spec, field_map, record, action, row)

    def _overwrite(
        self,
        spec: ModuleSpec,
        field_map: tuple[FieldPair, ...],
        record: dict[str, Any],
        books_id: str,
        row: dict[str, Any],
    ) -> None:
        existing = self._books_row_or_get(spec, field_map, books_id)
        if existing is None:  # gone since it was indexed: forget it and decide again
            self._forget_books(books_id)
            self._unlinked(spec, field_map, record)
            return
        self.taken.add(books_id)
        wanted = mapping.to_books(field_map, record)
        try:
            written = self._books_write(spec, wanted, existing)
        except ZohoApiError as error:
            self._report(Action.FAILED, books_id=books_id, reason=error.message, **row)
            return
        self._save(spec, field_map, record, written)
        self._report(Action.OVERWRITTEN, books_id=books_id, **row)

    def _books_row_or_get(
        self, spec: ModuleSpec, field_map: Sequence[FieldPair], books_id: str
    ) -> dict[str, Any] | None:
        """The record an overwrite compares with and writes over. The list row serves when it holds
        every mapped Books field and nothing else is needed; a read is needed when the map writes
        into an address or the primary person (Books replaces nested objects whole, so their
        unmapped parts must be sent back, and list rows have neither), or when the sync places
        contact persons (the customer's shadow must hold its persons)."""
        row = self.books_rows.get(books_id)
        flat = all("." not in pair.books and pair.books in (row or {}) for pair in field_map)
        if row is not None and flat and not self.sync.with_persons:
            return row
        return self._books_get(spec, books_id)

    def _create(
        self,
        spec: ModuleSpec,
        field_map: tuple[FieldPair, ...],
        record: dict[str, Any],
        action: Action,
        row: dict[str, Any],
    ) -> None:
        wanted = mapping.to_books(field_map, record)
        source = f"{spec.crm_module}:{record['id']}"
        started = self.ctx.clock.now()
        key = plan.crm_keys(spec, record)[0]
        self.state.begin_intent(self.key, side="books", source_id=source, match_key=key, started=started)
        persons = self._persons_of_new_customer(spec, record)
        try:
            created = self._books_create(spec, wanted, persons=[body for _, body in persons])
        except ZohoApiError as error:
            self.state.end_intent(self.key, side="books", source_id=source)
            self._report(Action.FAILED, reason=f"{error.code}: {error.message}", **row)
            return
        except WriteOutcomeUnknown:
            created = self._find_created(spec, key, started)
            if created is None:  # the intent stays until linked: this retry may be lost too
                created = self._books_create(spec, wanted, persons=[body for _, body in persons])
            elif wanted.get("status") == "inactive" and created.get("status") != "inactive":
                created = self._books_write(spec, {"status": "inactive"}, created)  # the lost step
        self._index_books([created])
        self._save(spec, field_map, record, created)
        self._link_new_persons(created, persons)
        self.state.end_intent(self.key, side="books", source_id=source)
        self._report(action, books_id=_books_id(created), **row)

    def _persons_of_new_customer(
        self, spec: ModuleSpec, record: Mapping[str, Any]
    ) -> list[tuple[dict[str, Any], dict[str, Any]]]:
        """A new customer's contact persons go in its create body: one Books call, not two. The
        earliest-created contact is primary."""
        if spec is not mapping.ACCOUNTS or not self.sync.with_persons:
            return []
        if any(pair.books.startswith("primary_contact.") for pair in self.sync.field_map):
            return []  # the map writes a person itself; persons are placed after the create
        contacts = sorted(
            self.contacts_by_account.get(record["id"], []),
            key=lambda c: (_utc(c.get("Created_Time")), int(c["id"])),
        )
        persons = []
        for n, contact in enumerate(contacts):
            body = {**mapping.person_body(self.sync.person_map, contact), "is_primary_contact": n == 0}
            persons.append((contact, body))
        return persons

    def _link_new_persons(
        self, customer: Mapping[str, Any], persons: list[tuple[dict[str, Any], dict[str, Any]]]
    ) -> None:
        """Persons come back in the order they were sent: link each to its CRM contact."""
        books_id = _books_id(customer)
        returned = customer.get("contact_persons") or []
        for (contact, body), person in zip(persons, returned, strict=False):
            agreed = {
                "crm": {k: v for k, v in body.items() if k != "is_primary_contact"},
                "created": _utc(contact.get("Created_Time")),
            }
            self._save_person(contact["id"], books_id, person["contact_person_id"], agreed)
            self.placed.add(contact["id"])
            name = f"{contact.get('First_Name') or ''} {contact.get('Last_Name') or ''}".strip()
            self._report(
                Action.CREATED,
                crm_module="Contacts",
                crm_id=contact["id"],
                books_id=books_id,
                name=name,
                reason="contact person",
            )

    def _find_created(self, spec: ModuleSpec, key: str, since: datetime) -> dict[str, Any] | None:
        """After a lost reply: did the create happen? Look among records changed since it began."""
        since = since - timedelta(seconds=2)
        rows = (
            self.books.items(newer_than=since)
            if self.kind == "item"
            else self.books.contacts(contact_type=self.kind, newer_than=since)
        )
        for row in rows:
            if mapping.match_key(row.get(spec.books_name)) == key and _books_id(row) not in self.taken:
                return self._books_get(spec, _books_id(row))
        return None

    def _linked(
        self, spec: ModuleSpec, field_map: tuple[FieldPair, ...], record: dict[str, Any], link: Link
    ) -> None:
        self.handled.add(link.books_id)
        self.taken.add(link.books_id)
        row = {
            "crm_module": spec.crm_module,
            "crm_id": record["id"],
            "name": str(mapping.crm_value(record, spec.crm_name) or ""),
        }
        books_record, books_changed = self._books_now(spec, field_map, link)
        if books_record is None:
            self._report(
                Action.FAILED,
                books_id=link.books_id,
                reason="the linked Books record no longer exists",
                **row,
            )
            return
        crm_changed = plan.changed(plan.crm_values(field_map, record), link.agreed.get("crm", {}))
        direction = plan.flow(
            extent=self.sync.extent,
            crm_changed=crm_changed,
            books_changed=books_changed,
            crm_modified=_time(record.get("Modified_Time")),
            books_modified=_time(books_record.get("last_modified_time")),
        )
        if direction is Flow.TO_CRM:
            self.pushes.append(_Push(link, books_record, spec, field_map, record))
            return
        if direction is Flow.NONE:
            self._report(Action.UNCHANGED, books_id=link.books_id, **row)
            return
        wanted = mapping.to_books(field_map, record)
        if not mapping.differences(wanted, books_record):
            self._save(spec, field_map, record, books_record)
            self._report(Action.UNCHANGED, books_id=link.books_id, **row)
            return
        try:
            written = self._books_write(spec, wanted, books_record)
        except ZohoApiError as error:
            self._report(
                Action.FAILED, books_id=link.books_id, reason=f"{error.code}: {error.message}", **row
            )
            return
        self._save(spec, field_map, record, written)
        self._report(Action.UPDATED, books_id=link.books_id, **row)

    def _books_now(
        self, spec: ModuleSpec, field_map: Sequence[FieldPair], link: Link
    ) -> tuple[dict[str, Any] | None, bool]:
        """The linked Books record as it is now, and whether its mapped fields changed since the
        pair last agreed. Read again only when its ``last_modified_time`` moved, and never twice in
        a run: what this run read or wrote is known to be current."""
        current = self.fresh.get(link.books_id)
        if current is None:
            row = self.books_rows.get(link.books_id)
            if link.books_record is not None and (
                row is None or row.get("last_modified_time") == link.books_modified
            ):
                return link.books_record, False
            current = self._books_get(spec, link.books_id)
            if current is None:
                return None, False
        values = _books_values(field_map, current)
        return current, bool(link.agreed.get("books")) and plan.changed(values, link.agreed["books"])

    def _save(
        self,
        spec: ModuleSpec,
        field_map: Sequence[FieldPair],
        crm_record: Mapping[str, Any],
        books_record: dict[str, Any],
    ) -> None:
        books_id = _books_id(books_record)
        self.state.save_link(
            self.key,
            crm_module=spec.crm_module,
            crm_id=crm_record["id"],
            books_id=books_id,
            agreed={
                "crm": plan.crm_values(field_map, crm_record),
                "books": _books_values(field_map, books_record),
            },
            books_record=books_record,
            books_modified=books_record.get("last_modified_time"),
        )
        self.fresh[books_id] = books_record
        self.taken.add(books_id)
        self.handled.add(books_id)

    # ---- Books writes -------------------------------------------------------------------------

    def _books_get(self, spec: ModuleSpec, books_id: str) -> dict[str, Any] | None:
        record = (
            self.books.item(books_id) if spec.books_collection == "items" else self.books.contact(books_id)
        )
        if record is not None:
            self.fresh[books_id] = record
        return record

    def _books_create(
        self, spec: ModuleSpec, wanted: Mapping[str, Any], *, persons: Sequence[dict[str, Any]] = ()
    ) -> dict[str, Any]:
        body = mapping.books_body(spec, wanted)
        if persons:
            body["contact_persons"] = list(persons)
        if spec.books_collection == "items":
            created = self.books.create_item(body)
            if wanted.get("status") == "inactive":
                self.books.set_item_active(created["item_id"], False)
                created = {**created, "status": "inactive"}
            return created
        return self.books.create_contact(body)

    def _books_write(
        self, spec: ModuleSpec, wanted: Mapping[str, Any], existing: dict[str, Any]
    ) -> dict[str, Any]:
        """Write only the mapped fields that differ; nothing at all when none does."""
        diff = mapping.differences(wanted, existing)
        if not diff:
            return existing
        books_id = _books_id(existing)
        body = mapping.books_body(spec, diff, existing)
        written = existing
        if body:
            update = self.books.update_item if spec.books_collection == "items" else self.books.update_contact
            written = update(books_id, body)
        if "status" in diff and spec.books_collection == "items":
            self.books.set_item_active(books_id, diff["status"] == "active")
            written = {**written, "status": diff["status"]}
        return written

    # ---- Books -> CRM -------------------------------------------------------------------------

    def _push_targets(self) -> list[ModuleSpec]:
        if self.sync.module != "customers":
            return [self.sync.spec]
        if self.sync.crm_source == "accounts":
            return [mapping.ACCOUNTS]
        if self.sync.crm_source == "contacts":
            return [mapping.CONTACTS]
        return (
            [mapping.ACCOUNTS, mapping.CONTACTS]
            if self.sync.include_unassociated_contacts
            else [mapping.ACCOUNTS]
        )

    def _field_map_for(self, spec: ModuleSpec) -> tuple[FieldPair, ...]:
        """The map of a pair in this CRM module: the sync's own, or (loose contacts) the contact map."""
        return self.sync.field_map if spec.crm_module == self.sync.spec.crm_module else self._contact_map

    def _target(self, row: Mapping[str, Any]) -> tuple[ModuleSpec, tuple[FieldPair, ...]] | None:
        """Where an unlinked Books record goes in CRM, by the contract's rules."""
        if self.sync.module != "customers":
            return self.sync.spec, self.sync.field_map
        if self.sync.crm_source in ("accounts", "contacts"):
            return self.sync.spec, self.sync.field_map
        if row.get("customer_sub_type") == "individual":
            return (mapping.CONTACTS, self._contact_map) if self.sync.include_unassociated_contacts else None
        return mapping.ACCOUNTS, self.sync.field_map

    def _push(self) -> None:
        for books_id, row in self.books_rows.items():
            if books_id in self.handled:
                continue
            link = self.state.link_by_books(self.key, books_id)
            if link is not None:
                self._queue_linked_push(link)
            elif books_id not in self.taken:
                self._push_unlinked(row)
        self._flush_updates()
        self._flush_creates()

    def _queue_linked_push(self, link: Link) -> None:
        self.handled.add(link.books_id)
        spec = mapping.SPEC_BY_MODULE.get(link.crm_module)
        if spec is None:
            return
        field_map = self._field_map_for(spec)
        if not self.fetching and link.crm_id in self.crm_read.get(spec.crm_module, {}):
            return  # read from CRM too: CRM→Books comes next and weighs both sides (later wins)
        books_record, changed = self._books_now(spec, field_map, link)
        if books_record is not None and changed:
            self.pushes.append(_Push(link, books_record, spec, field_map))

    def _push_unlinked(self, row: dict[str, Any]) -> None:
        """Queue an unlinked Books record's create in CRM, unless it would be a CRM duplicate. The
        list row decides first; then the full record, which may hold a mapped field the row lacks."""
        target = self._target(row)
        if target is None:
            return
        spec, field_map = target
        if self._has_crm_twin(spec, field_map, row):
            return
        full = self._books_get(spec, _books_id(row))
        if full is None or self._has_crm_twin(spec, field_map, full):
            return
        self.creates.append(_Push(None, full, spec, field_map))
        self.claimed.setdefault(spec.crm_module, set()).update(_key_set(_push_keys(spec, field_map, full)))

    def _has_crm_twin(
        self, spec: ModuleSpec, field_map: tuple[FieldPair, ...], record: dict[str, Any]
    ) -> bool:
        """Whether a CRM record, or one this run has queued to create, already has this Books
        record's match key (section 4), or a key the push would give the new CRM record: the keys of
        the CRM values about to be written (``Product_Code`` may come from another field than
        ``sku``, or from none). Then both ways leaves the record unlinked: it never creates a CRM
        duplicate (NO-CRM-DUPLICATE)."""
        keys = _key_set(plan.books_keys(spec, record)) | _key_set(_push_keys(spec, field_map, record))
        if not keys & (self._crm_keys_of(spec.crm_module) | self.claimed.get(spec.crm_module, set())):
            return False
        self._report(
            Action.SKIPPED,
            books_id=_books_id(record),
            name=str(record.get(spec.books_name) or ""),
            crm_module=spec.crm_module,
            reason="a CRM record already has its key; both ways never creates a CRM duplicate",
        )
        return True

    def _crm_keys_of(self, crm_module: str) -> set[str]:
        """The CRM index's keys of a module, read from the state store once per run."""
        if crm_module not in self._crm_keys:
            self._crm_keys[crm_module] = self.state.crm_keys(crm_module)
        return self._crm_keys[crm_module]

    def _flush_updates(self) -> None:
        pending: list[tuple[_Push, dict[str, Any], dict[str, Any]]] = []
        pushes, self.pushes = self.pushes, []
        for push in pushes:
            assert push.link is not None
            values = mapping.to_crm(push.spec, push.field_map, push.books_record)
            current = (
                plan.crm_values(push.field_map, push.crm_record)
                if push.crm_record
                else push.link.agreed.get("crm", {})
            )
            diff = {f: v for f, v in values.items() if not mapping.same(v, current.get(f, _MISSING))}
            name = str(push.books_record.get(push.spec.books_name) or "")
            if not diff:
                push, error = self._agree_in_books(push, {**current, **values})
                self._save_push(push, {**current, **values})
                self._report(
                    Action.FAILED if error else Action.UNCHANGED,
                    reason=error,
                    crm_module=push.spec.crm_module,
                    crm_id=push.link.crm_id,
                    books_id=push.link.books_id,
                    name=name,
                )
                continue
            pending.append((push, diff, {**current, **values}))
        for batch in _batches(pending, CRM_BATCH):
            module_batches: dict[str, list[tuple[_Push, dict[str, Any], dict[str, Any]]]] = {}
            for item in batch:
                module_batches.setdefault(item[0].spec.crm_module, []).append(item)
            for module, items in module_batches.items():
                outcomes = self.crm.update(
                    module, [{"id": p.link.crm_id, **diff} for p, diff, _ in items if p.link]
                )
                for (push, _, merged), outcome in zip(items, outcomes, strict=True):
                    self._after_push(push, merged, outcome, Action.PUSHED)

    def _flush_creates(self) -> None:
        by_module: dict[str, list[_Push]] = {}
        for push in self.creates:
            by_module.setdefault(push.spec.crm_module, []).append(push)
        for module, pushes in by_module.items():
            for batch in _batches(pushes, CRM_BATCH):
                bodies = [mapping.to_crm(p.spec, p.field_map, p.books_record) for p in batch]
                started = self.ctx.clock.now()
                for push, body in zip(batch, bodies, strict=True):
                    key = plan.crm_keys(push.spec, body)[0]
                    source = f"{module}:{_books_id(push.books_record)}"
                    self.state.begin_intent(
                        self.key, side="crm", source_id=source, match_key=key, started=started
                    )
                try:
                    outcomes = self.crm.insert(module, bodies)
                except WriteOutcomeUnknown:  # the intents stay until linked: a retry may be lost too
                    outcomes = self._find_inserted(batch, bodies, started)
                for push, body, outcome in zip(batch, bodies, outcomes, strict=True):
                    self._after_push(push, body, outcome, Action.PUSHED, created=True)
                    self.state.end_intent(
                        self.key, side="crm", source_id=f"{module}:{_books_id(push.books_record)}"
                    )

    def _find_inserted(
        self, batch: Sequence[_Push], bodies: list[dict[str, Any]], since: datetime
    ) -> list[Mapping[str, Any]]:
        """After a lost reply to an insert: the records of the batch CRM did create (found by their
        key among those modified since), and the others inserted again."""
        spec = batch[0].spec
        fields = list(mapping.DERIVED_CRM_FIELDS.get(spec.crm_name, (spec.crm_name,)))
        made: dict[str, list[str]] = {}
        for record in self.crm.records(
            spec.crm_module, fields=fields, modified_since=since - timedelta(seconds=2)
        ):
            if self.state.link(self.key, spec.crm_module, record["id"]) is None:
                made.setdefault(plan.crm_keys(spec, record)[0], []).append(record["id"])
        outcomes: list[Mapping[str, Any] | None] = []
        for body in bodies:
            ids = made.get(plan.crm_keys(spec, body)[0])
            outcomes.append({"status": "success", "id": ids.pop(0)} if ids else None)
        missing = [n for n, outcome in enumerate(outcomes) if outcome is None]
        if missing:
            again = self.crm.insert(spec.crm_module, [bodies[n] for n in missing])
            for n, outcome in zip(missing, again, strict=True):
                outcomes[n] = outcome
        return [outcome for outcome in outcomes if outcome is not None]

    def _after_push(
        self,
        push: _Push,
        merged: dict[str, Any],
        outcome: Mapping[str, Any],
        action: Action,
        *,
        created: bool = False,
    ) -> None:
        books_id = _books_id(push.books_record)
        name = str(push.books_record.get(push.spec.books_name) or "")
        crm_id = outcome.get("id") or (push.link.crm_id if push.link else None)
        if outcome.get("status") != "success" or crm_id is None:
            reason = f"{outcome.get('code')}: {outcome.get('message')}"
            self._report(
                Action.FAILED,
                crm_module=push.spec.crm_module,
                crm_id=crm_id,
                books_id=books_id,
                name=name,
                reason=reason,
            )
            return
        if created:
            entry = Indexed(str(crm_id), *plan.crm_keys(push.spec, merged))
            self.state.index_crm(push.spec.crm_module, [entry])
            self._crm_keys_of(push.spec.crm_module).update(_key_set((entry.match_key, entry.sku)))
        link = push.link or Link(push.spec.crm_module, str(crm_id), books_id, None, {}, None, None)
        pushed, error = self._agree_in_books(
            _Push(link, push.books_record, push.spec, push.field_map), merged
        )
        self._save_push(pushed, merged)
        self._report(
            Action.FAILED if error else action,
            crm_module=push.spec.crm_module,
            crm_id=str(crm_id),
            books_id=books_id,
            name=name,
            reason=error,
        )

    def _agree_in_books(self, push: _Push, crm_values: dict[str, Any]) -> tuple[_Push, str]:
        """After a push, a mapped Books field that was not its CRM field's source (a second Books field
        on one CRM field, a name split into CRM's parts) takes the CRM value: the pair then agrees on
        every mapped field (MAPPED-EQUAL). Returns the push with the Books record as written."""
        wanted = mapping.to_books(push.field_map, crm_values)
        try:
            written = self._books_write(push.spec, wanted, push.books_record)
        except ZohoApiError as error:
            return push, f"pushed to CRM, but Books refused the mapped values: {error.code}: {error.message}"
        return _Push(push.link, written, push.spec, push.field_map, push.crm_record), ""

    def _save_push(self, push: _Push, crm_values: dict[str, Any]) -> None:
        assert push.link is not None
        crm_view = {pair.crm: crm_values.get(pair.crm) for pair in push.field_map}
        if "Full_Name" in crm_view:
            crm_view["Full_Name"] = mapping.crm_value(crm_values, "Full_Name")
        self.state.save_link(
            self.key,
            crm_module=push.link.crm_module,
            crm_id=push.link.crm_id,
            books_id=push.link.books_id,
            agreed={"crm": crm_view, "books": _books_values(push.field_map, push.books_record)},
            books_record=push.books_record,
            books_modified=push.books_record.get("last_modified_time"),
        )
        self.taken.add(push.link.books_id)

    # ---- contact persons (accounts_and_contacts) ---------------------------------------------

    def _place_persons(self, contacts: Iterable[dict[str, Any]]) -> None:
        """Each contact whose account is synced becomes a contact person of that account's customer;
        the earliest-created is primary. One Books write per customer whose persons changed."""
        by_customer: dict[str, tuple[Link, list[dict[str, Any]]]] = {}
        for contact in contacts:
            account_link = self.state.link(
                self.key, "Accounts", _lookup_id(contact.get("Account_Name")) or ""
            )
            if account_link is not None and contact["id"] not in self.placed:
                by_customer.setdefault(account_link.books_id, (account_link, []))[1].append(contact)
        for account_link, placed in by_customer.values():
            customer = self._books_now(mapping.ACCOUNTS, self.sync.field_map, account_link)[0]
            if customer is not None:
                self._place_on_customer(account_link, customer, placed)

    def _place_on_customer(
        self, account: Link, customer: dict[str, Any], contacts: list[dict[str, Any]]
    ) -> None:
        books_id = account.books_id
        persons = [mapping.person_for_write(p) for p in customer.get("contact_persons") or []]
        by_id = {p["contact_person_id"]: p for p in persons}
        linked = self._person_links(books_id)
        created_at = {crm_id: link.agreed.get("created", "") for crm_id, link in linked.items()}
        known = {link.person_id for link in linked.values()}
        actions: dict[str, Action] = {}
        for contact in contacts:
            wanted = mapping.person_body(self.sync.person_map, contact)
            created_at[contact["id"]] = _utc(contact.get("Created_Time"))
            link = linked.get(contact["id"])
            person = by_id.get(link.person_id or "") if link else None
            if person is None:  # a run killed before it linked the persons it added: adopt them
                person = _unlinked_person(persons, known, wanted)
                if person is not None:
                    person["_crm_id"] = contact["id"]
                    known.add(person["contact_person_id"])
            if person is None:
                persons.append({**wanted, "is_primary_contact": False, "_crm_id": contact["id"]})
                actions[contact["id"]] = Action.CREATED
            elif any(not mapping.same(v, person.get(k)) for k, v in wanted.items()):
                person.update(wanted)
                actions[contact["id"]] = Action.UPDATED
            else:
                actions[contact["id"]] = Action.UNCHANGED
        primary_crm = min(created_at, key=lambda crm_id: (created_at[crm_id], int(crm_id)))
        primary_person = next((p for p in persons if p.get("_crm_id") == primary_crm), None)
        if primary_person is None and primary_crm in linked:
            primary_person = by_id.get(linked[primary_crm].person_id or "")
        if primary_person is not None and not primary_person.get("is_primary_contact"):
            for person in persons:
                person["is_primary_contact"] = person is primary_person
            if primary_crm in actions and actions[primary_crm] is Action.UNCHANGED:
                actions[primary_crm] = Action.UPDATED
        if any(a is not Action.UNCHANGED for a in actions.values()):
            body = [{k: v for k, v in p.items() if k != "_crm_id"} for p in persons]
            try:
                customer = self.books.update_contact(books_id, {"contact_persons": body})
            except ZohoApiError as error:
                for contact in contacts:
                    self._report(
                        Action.FAILED,
                        crm_module="Contacts",
                        crm_id=contact["id"],
                        books_id=books_id,
                        reason=f"contact person: {error.code}: {error.message}",
                    )
                return
            self.fresh[books_id] = customer
            self.state.save_link(  # the customer's shadow now has its persons
                self.key,
                crm_module=account.crm_module,
                crm_id=account.crm_id,
                books_id=books_id,
                agreed=account.agreed,
                books_record=customer,
                books_modified=customer.get("last_modified_time"),
            )
        self._link_persons(books_id, customer, persons, contacts, created_at, linked)
        for contact in contacts:
            name = f"{contact.get('First_Name') or ''} {contact.get('Last_Name') or ''}".strip()
            self._report(
                actions[contact["id"]],
                crm_module="Contacts",
                crm_id=contact["id"],
                books_id=books_id,
                name=name,
                reason="contact person",
            )

    def _link_persons(
        self,
        books_id: str,
        customer: Mapping[str, Any],
        sent: list[dict[str, Any]],
        contacts: list[dict[str, Any]],
        created_at: dict[str, str],
        linked: dict[str, Link],
    ) -> None:
        """Learn the ids Books gave the new persons: they come back in the order they were sent."""
        returned = customer.get("contact_persons") or []
        known = {link.person_id for link in linked.values()}
        fresh = [
            p
            for p in returned
            if p.get("contact_person_id") not in known
            and p.get("contact_person_id")
            not in {s.get("contact_person_id") for s in sent if s.get("contact_person_id")}
        ]
        for person in sent:
            if "_crm_id" in person and person.get("contact_person_id"):  # adopted, not new
                linked[person["_crm_id"]] = Link(
                    PERSONS, person["_crm_id"], books_id, person["contact_person_id"], {}, None, None
                )
        new_sent = [s for s in sent if "_crm_id" in s and not s.get("contact_person_id")]
        for person, returned_person in zip(new_sent, fresh, strict=False):
            linked[person["_crm_id"]] = Link(
                PERSONS, person["_crm_id"], books_id, returned_person["contact_person_id"], {}, None, None
            )
        for contact in contacts:
            link = linked.get(contact["id"])
            if link is None:
                continue
            agreed = {
                "crm": mapping.person_body(self.sync.person_map, contact),
                "created": created_at[contact["id"]],
            }
            self._save_person(contact["id"], books_id, link.person_id, agreed)

    def _person_links(self, books_id: str) -> dict[str, Link]:
        """The person links of one customer, by CRM contact id: all person links are read from the
        state store once per run, then kept current by ``_save_person``."""
        if self._persons is None:
            self._persons = {}
            for link in self.state.links(self.key, PERSONS):
                self._persons[link.crm_id] = link
                self._persons_of.setdefault(link.books_id, set()).add(link.crm_id)
        return {crm_id: self._persons[crm_id] for crm_id in self._persons_of.get(books_id, ())}

    def _save_person(self, crm_id: str, books_id: str, person_id: str | None, agreed: dict[str, Any]) -> None:
        self.state.save_link(
            self.key, crm_module=PERSONS, crm_id=crm_id, books_id=books_id, person_id=person_id, agreed=agreed
        )
        if self._persons is None:
            return
        old = self._persons.get(crm_id)
        if old is not None:
            self._persons_of.get(old.books_id, set()).discard(crm_id)
        self._persons[crm_id] = Link(PERSONS, crm_id, books_id, person_id, agreed, None, None)
        self._persons_of.setdefault(books_id, set()).add(crm_id)

    # ---- reporting --------------------------------------------------------------------------

    def _report(self, action: Action, **row: Any) -> None:
        self.ctx.report.add(self.key, action, **row)


_MISSING = object()


def run_module_sync(sync: ModuleSync, ctx: Context) -> None:
    ModuleRun(sync, ctx).run()


def validate_module_sync(sync: ModuleSync, ctx: Context) -> None:
    """Raise ``ConfigError`` for a view or mapped CRM field that does not exist; writes nothing."""
    ModuleRun(sync, ctx)._validate_remote()


def _books_id(record: Mapping[str, Any]) -> str:
    return str(record.get("contact_id") or record.get("item_id"))


def _push_keys(
    spec: ModuleSpec, field_map: Sequence[FieldPair], books_record: Mapping[str, Any]
) -> tuple[str, str]:
    """The match key (and SKU) of the CRM record a push of this Books record writes."""
    return plan.crm_keys(spec, mapping.to_crm(spec, field_map, books_record))


def _key_set(keys: tuple[str, str]) -> set[str]:
    """A record's keys as the CRM index holds them: the name, and ``sku:``-prefixed the SKU."""
    name, sku = keys
    return {name, f"sku:{sku}"} if sku else {name}


def _matched_by(keys: tuple[str, str], duplicate: Indexed) -> str:
    """What a duplicate shares with the record: the SKU when both have one (``plan.keys_match``)."""
    return "SKU" if keys[1] and duplicate.sku else "name"


def _books_values(field_map: Iterable[FieldPair], record: Mapping[str, Any]) -> dict[str, Any]:
    return {pair.books: mapping.books_value(record, pair.books) for pair in field_map}


def _unlinked_person(
    persons: list[dict[str, Any]], known: set[str | None], wanted: Mapping[str, Any]
) -> dict[str, Any] | None:
    """A person no contact is linked to, with the wanted first and last name and email."""
    for person in persons:
        if person.get("contact_person_id") not in known and all(
            mapping.same(wanted.get(key), person.get(key)) for key in ("first_name", "last_name", "email")
        ):
            return person
    return None


def _lookup_id(value: Any) -> str | None:
    if isinstance(value, Mapping):
        return str(value["id"]) if value.get("id") else None
    return str(value) if value else None


def _time(text: Any) -> datetime | None:
    return parse_zoho_datetime(text) if isinstance(text, str) and text else None


def _utc(text: Any) -> str:
    when = _time(text)
    return _utc_iso(when) if when else ""


def _utc_iso(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")


def _batches(items: Sequence[Any], size: int) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
