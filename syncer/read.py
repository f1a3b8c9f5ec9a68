"""The read stage: check the configuration against CRM once, read both sides (incrementally, with
an overlap) and index what was read in the run's ``World``. Reads only: the state store is
written only with the indexes of what was read."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import fieldmap as mapping
from fieldmap import FieldPair, ModuleSpec
from syncer import plan
from syncer.config import ConfigError, ModuleSync
from syncer.state import Indexed, Link
from syncer.world import Context, World, books_id_of

#: Re-read what changed since the last run's start minus this: covers writes made during that
#: run and clock skew between this machine and Zoho.
OVERLAP = timedelta(minutes=10)


@dataclass
class Reader:
    sync: ModuleSync
    ctx: Context
    world: World

    def __post_init__(self) -> None:
        self.crm = self.ctx.clients.crm
        self.books = self.ctx.clients.books
        self.checkpoint = self.ctx.state.checkpoint(self.sync.label)

    def validate_remote(self) -> None:
        """Every mapped CRM field and every view must exist, before anything is written. Checked
        once per configuration (remembered in the state store), so later runs spend no calls."""
        state, key = self.ctx.state, self.sync.label
        fingerprint = hashlib.sha256(repr(self.sync).encode()).hexdigest()
        if state.get_meta(f"validated:{key}") == fingerprint:
            return
        checks = [(self.sync.spec.crm_module, self.sync.field_map, self.sync.view, "view", "field_map")]
        if self.sync.with_persons:
            checks.append(
                ("Contacts", self.sync.person_map, self.sync.contact_view, "contact_view", "person_map")
            )
            if self.sync.include_unassociated_contacts:
                checks.append(("Contacts", contact_map(self.sync), None, "contact_view", "contact_map"))
        for module, field_map, view, view_key, map_key in checks:
            known = {f["api_name"] for f in self.crm.fields(module)}
            for n, pair in enumerate(field_map):
                if pair.crm not in known:
                    raise ConfigError(f"{key}.{map_key}[{n}]", f"{pair.crm!r} is not a field of CRM {module}")
            if view and view not in {str(v["id"]) for v in self.crm.views(module)}:
                raise ConfigError(f"{key}.{view_key}", f"{view} is not a custom view of CRM {module}")
        state.set_meta(f"validated:{key}", fingerprint)

    def since(self, read_at: datetime | None) -> datetime | None:
        return read_at - OVERLAP if read_at else None

    def read_crm(
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
                modified_since=self.since(self.checkpoint.crm_read_at),
            )
        )
        self.world.crm_read.setdefault(spec.crm_module, {}).update({r["id"]: r for r in records})
        if view is None:
            self.world.read_whole.add(spec.crm_module)
        return records

    def read_contacts(self) -> list[dict[str, Any]]:
        """The CRM contacts of an accounts_and_contacts sync, indexed by their account."""
        person_map = (*self.sync.person_map, *contact_map(self.sync))
        contacts = self.read_crm(mapping.CONTACTS, person_map, self.sync.contact_view)
        for contact in contacts:
            account_id = plan.lookup_id(contact.get("Account_Name"))
            if account_id:
                self.world.contacts_by_account.setdefault(account_id, []).append(contact)
        return contacts

    def index_crm_keys(self, targets: Iterable[ModuleSpec]) -> None:
        """Both ways must never create a CRM record whose key one already has: index every record of
        the modules it may push to, not only those in the view."""
        for spec in targets:
            fields = list(mapping.DERIVED_CRM_FIELDS.get(spec.crm_name, (spec.crm_name,)))
            if spec.key == "products":
                fields.append("Product_Code")
            read: Iterable[dict[str, Any]] = (
                self.world.crm_read[spec.crm_module].values()  # already read, with no view: not again
                if spec.crm_module in self.world.read_whole
                else self.crm.records(
                    spec.crm_module, fields=fields, modified_since=self.since(self.checkpoint.crm_read_at)
                )
            )
            rows = [Indexed(r["id"], *plan.crm_keys(spec, r)) for r in read]
            self.ctx.state.index_crm(spec.crm_module, rows)

    def read_books(self) -> None:
        since = self.since(self.checkpoint.books_read_at)
        if self.world.kind == "item":
            rows = self.books.items(newer_than=since)
        else:
            rows = self.books.contacts(contact_type=self.world.kind, newer_than=since)
        for row in rows:
            self.world.books_rows[books_id_of(row)] = row
        self.index_books(self.world.books_rows.values())
        self.world.taken = self.ctx.state.linked_books_ids(self.sync.label)

    def index_books(self, rows: Iterable[dict[str, Any]]) -> None:
        spec = self.sync.spec
        self.world.index_books(
            [
                Indexed(books_id_of(row), *plan.books_keys(spec, row), plan.utc(row.get("created_time")))
                for row in rows
            ]
        )

    def books_get(self, spec: ModuleSpec, books_id: str) -> dict[str, Any] | None:
        record = (
            self.books.item(books_id) if spec.books_collection == "items" else self.books.contact(books_id)
        )
        if record is not None:
            self.world.fresh[books_id] = record
        return record

    def current(
        self, spec: ModuleSpec, field_map: Sequence[FieldPair], link: Link
    ) -> tuple[dict[str, Any] | None, bool]:
        """The linked Books record as it is now, and whether its mapped fields changed since the
        pair last agreed. Read again only when its ``last_modified_time`` moved, and never twice in
        a run: what this run read or wrote is known to be current."""
        now = self.world.fresh.get(link.books_id)
        if now is None:
            row = self.world.books_rows.get(link.books_id)
            if link.books_record is not None and (
                row is None or row.get("last_modified_time") == link.books_modified
            ):
                return link.books_record, False
            now = self.books_get(spec, link.books_id)
            if now is None:
                return None, False
        values = plan.books_values(field_map, now)
        return now, bool(link.agreed.get("books")) and plan.changed(values, link.agreed["books"])

    def row_or_get(
        self, spec: ModuleSpec, field_map: Sequence[FieldPair], books_id: str
    ) -> dict[str, Any] | None:
        """The record an overwrite compares with and writes over. The list row serves when it holds
        every mapped Books field and nothing else is needed; a read is needed when the map writes
        into an address or the primary person (Books replaces nested objects whole, so their
        unmapped parts must be sent back, and list rows have neither), or when the sync places
        contact persons (the customer's existing persons are kept: a replace-set)."""
        row = self.world.books_rows.get(books_id)
        flat = all("." not in pair.books and pair.books in (row or {}) for pair in field_map)
        if row is not None and flat and not self.sync.with_persons:
            return row
        return self.books_get(spec, books_id)


def contact_map(sync: ModuleSync) -> tuple[FieldPair, ...]:
    """The map of loose (unassociated) contacts."""
    return sync.contact_map or mapping.CONTACTS.default_map
