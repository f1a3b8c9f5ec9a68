"""The apply stage for CRM→Books: execute each step of the plan in one Books call (a customer's
contact persons ride in its create or update), and record the link as each write succeeds.

A create is wrapped in an intent (``SyncState.begin_intent``): if its reply is lost, or the run
is killed, the next look (``find_created`` now, ``Engine.recover_intents`` next run) finds the
record by its key instead of creating it twice.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import fieldmap as mapping
from fieldmap import FieldPair, ModuleSpec
from syncer import plan
from syncer.clients import WriteOutcomeUnknown, ZohoApiError
from syncer.config import ModuleSync
from syncer.plan import Action, Persons, Step
from syncer.read import Reader
from syncer.state import Link
from syncer.world import PERSONS, Context, World, books_id_of


@dataclass
class Writer:
    sync: ModuleSync
    ctx: Context
    world: World
    reader: Reader

    def __post_init__(self) -> None:
        self.key = self.sync.label
        self.state = self.ctx.state
        self.books = self.ctx.clients.books

    # ---- one step -------------------------------------------------------------------------------

    def apply(self, step: Step, spec: ModuleSpec, field_map: tuple[FieldPair, ...]) -> None:
        if step.action in (Action.SKIPPED, Action.FAILED):
            self._report(step, step.action, reason=step.note)
        elif step.action in (Action.CREATED, Action.CLONED):
            self._create(step, spec, field_map)
        elif step.wanted or step.persons is not None:  # a write over an existing record, maybe none
            self._write_over(step, spec, field_map)
        else:
            self._report(step, step.action)

    def _write_over(self, step: Step, spec: ModuleSpec, field_map: tuple[FieldPair, ...]) -> None:
        """A write over a Books record: its mapped fields, its contact persons, or both in one
        call. A step with no CRM record is a customer's persons alone (its account unchanged)."""
        assert step.existing is not None and step.books_id is not None
        self.world.taken.add(step.books_id)
        persons = step.persons
        try:
            written = self.books_write(
                spec,
                step.wanted,
                step.existing,
                persons=persons.to_send() if persons is not None and persons.changed else None,
            )
        except ZohoApiError as error:
            if step.record is not None:
                self._report(step, Action.FAILED, reason=f"{error.code}: {error.message}")
            for crm_id in persons.actions if persons else ():
                self._report_person(
                    crm_id, step.books_id, Action.FAILED, f"contact person: {error.code}: {error.message}"
                )
            return
        if step.wanted and step.record is not None:
            self.save(spec, field_map, step.record, written)
        elif step.link is not None and written is not step.existing:  # the shadow now has the persons
            self._save_shadow(step.link, written)
        if persons is not None:
            self.link_persons(step.books_id, written, persons)
        if step.record is not None:
            self._report(step, step.action)

    def _create(self, step: Step, spec: ModuleSpec, field_map: tuple[FieldPair, ...]) -> None:
        assert step.record is not None and step.request is not None and step.request.body is not None
        record = step.record
        source = f"{spec.crm_module}:{record['id']}"
        started = self.ctx.clock.now()
        key = plan.crm_keys(spec, record)[0]
        self.state.begin_intent(self.key, side="books", source_id=source, match_key=key, started=started)
        persons = list(step.request.body.get("contact_persons") or [])
        try:
            created = self.books_create(spec, step.wanted, persons=persons)
        except ZohoApiError as error:
            self.state.end_intent(self.key, side="books", source_id=source)
            self._report(step, Action.FAILED, reason=f"{error.code}: {error.message}")
            return
        except WriteOutcomeUnknown:
            found = self.find_created(spec, key, started)
            if found is None:  # the intent stays until linked: this retry may be lost too
                created = self.books_create(spec, step.wanted, persons=persons)
            elif step.wanted.get("status") == "inactive" and found.get("status") != "inactive":
                created = self.books_write(spec, {"status": "inactive"}, found)  # the lost step
            else:
                created = found
        self.reader.index_books([created])
        self.save(spec, field_map, record, created)
        self._link_new_persons(created, record, persons)
        self.state.end_intent(self.key, side="books", source_id=source)
        step.books_id = books_id_of(created)
        self._report(step, step.action)

    def find_created(self, spec: ModuleSpec, key: str, since: datetime) -> dict[str, Any] | None:
        """After a lost reply: did the create happen? Look among records changed since it began."""
        since = since - timedelta(seconds=2)
        rows = (
            self.books.items(newer_than=since)
            if self.world.kind == "item"
            else self.books.contacts(contact_type=self.world.kind, newer_than=since)
        )
        for row in rows:
            if (
                mapping.match_key(row.get(spec.books_name)) == key
                and books_id_of(row) not in self.world.taken
            ):
                return self.reader.books_get(spec, books_id_of(row))
        return None

    # ---- Books writes ---------------------------------------------------------------------------

    def books_create(
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

    def books_write(
        self,
        spec: ModuleSpec,
        wanted: Mapping[str, Any],
        existing: dict[str, Any],
        *,
        persons: list[dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        """Write only the mapped fields that differ, and ``persons`` (a customer's replace-set of
        contact persons) in the same call; nothing at all when nothing differs."""
        diff = mapping.differences(wanted, existing)
        if not diff and persons is None:
            return existing
        books_id = books_id_of(existing)
        body = mapping.books_body(spec, diff, existing) if diff else {}
        if persons is not None and "contact_persons" not in body:
            body["contact_persons"] = persons
            persons = None
        written = existing
        if body:
            update = self.books.update_item if spec.books_collection == "items" else self.books.update_contact
            written = update(books_id, body)
        if persons is not None:  # the map wrote the primary person itself: the persons go after
            written = self.books.update_contact(books_id, {"contact_persons": persons})
        if "status" in diff and spec.books_collection == "items":
            self.books.set_item_active(books_id, diff["status"] == "active")
            written = {**written, "status": diff["status"]}
        if written is not existing:
            self.world.fresh[books_id] = written
        return written

    # ---- links --------------------------------------------------------------------------------

    def adopt(self, crm_module: str, crm_id: str, books_id: str) -> None:
        """Link a pair with nothing agreed yet, so the next comparison brings it into line (CRM wins)."""
        self.state.save_link(
            self.key, crm_module=crm_module, crm_id=crm_id, books_id=books_id, agreed={"crm": {}, "books": {}}
        )
        self.world.taken.add(books_id)

    def save(
        self,
        spec: ModuleSpec,
        field_map: Sequence[FieldPair],
        crm_record: Mapping[str, Any],
        books_record: dict[str, Any],
    ) -> None:
        books_id = books_id_of(books_record)
        self.state.save_link(
            self.key,
            crm_module=spec.crm_module,
            crm_id=crm_record["id"],
            books_id=books_id,
            agreed={
                "crm": plan.crm_values(field_map, crm_record),
                "books": plan.books_values(field_map, books_record),
            },
            books_record=books_record,
            books_modified=books_record.get("last_modified_time"),
        )
        self.world.fresh[books_id] = books_record
        self.world.taken.add(books_id)
        self.world.handled.add(books_id)

    def _save_shadow(self, link: Link, customer: dict[str, Any]) -> None:
        """The customer's shadow now has its persons; what the pair agreed on is unchanged."""
        self.state.save_link(
            self.key,
            crm_module=link.crm_module,
            crm_id=link.crm_id,
            books_id=link.books_id,
            agreed=link.agreed,
            books_record=customer,
            books_modified=customer.get("last_modified_time"),
        )

    # ---- contact persons ------------------------------------------------------------------------

    def link_persons(self, books_id: str, customer: Mapping[str, Any], persons: Persons) -> None:
        """Learn the ids Books gave the new persons (they come back in the order they were sent),
        link every contact to its person, and report each."""
        linked = dict(persons.linked)
        known = {link.person_id for link in linked.values()}
        sent_ids = {s.get("contact_person_id") for s in persons.body if s.get("contact_person_id")}
        fresh = [
            p
            for p in customer.get("contact_persons") or []
            if p.get("contact_person_id") not in known and p.get("contact_person_id") not in sent_ids
        ]
        for person in persons.body:
            if "_crm_id" in person and person.get("contact_person_id"):  # adopted, not new
                linked[person["_crm_id"]] = Link(
                    PERSONS, person["_crm_id"], books_id, person["contact_person_id"], {}, None, None
                )
        new_sent = [s for s in persons.body if "_crm_id" in s and not s.get("contact_person_id")]
        for person, returned in zip(new_sent, fresh, strict=False):
            linked[person["_crm_id"]] = Link(
                PERSONS, person["_crm_id"], books_id, returned["contact_person_id"], {}, None, None
            )
        for crm_id, action in persons.actions.items():
            contact = self._contact(crm_id)
            link = linked.get(crm_id)
            if link is not None:
                agreed = {
                    "crm": mapping.person_body(self.sync.person_map, contact),
                    "created": persons.created_at[crm_id],
                }
                self.world.save_person(crm_id, books_id, link.person_id, agreed)
            self.world.placed.add(crm_id)
            self._report_person(crm_id, books_id, action, "contact person")

    def _link_new_persons(
        self, customer: Mapping[str, Any], account: Mapping[str, Any], sent: list[dict[str, Any]]
    ) -> None:
        """A new customer's persons come back in the order they were sent: link each to its contact."""
        if not sent:
            return
        books_id = books_id_of(customer)
        contacts = sorted(
            self.world.contacts_by_account.get(account["id"], []),
            key=lambda c: (plan.utc(c.get("Created_Time")), int(c["id"])),
        )
        for contact, body, person in zip(contacts, sent, customer.get("contact_persons") or [], strict=False):
            agreed = {
                "crm": {k: v for k, v in body.items() if k != "is_primary_contact"},
                "created": plan.utc(contact.get("Created_Time")),
            }
            self.world.save_person(contact["id"], books_id, person["contact_person_id"], agreed)
            self.world.placed.add(contact["id"])
            self._report_person(contact["id"], books_id, Action.CREATED, "contact person")

    def _contact(self, crm_id: str) -> dict[str, Any]:
        return self.world.crm_read.get("Contacts", {}).get(crm_id) or {"id": crm_id}

    # ---- reporting ------------------------------------------------------------------------------

    def _report(self, step: Step, action: Action, *, reason: str = "") -> None:
        self.ctx.report.add(
            self.key,
            action,
            crm_module=step.crm_module,
            crm_id=step.crm_id,
            books_id=step.books_id,
            name=step.name,
            reason=reason,
        )

    def _report_person(self, crm_id: str, books_id: str, action: Action, reason: str) -> None:
        contact = self._contact(crm_id)
        name = f"{contact.get('First_Name') or ''} {contact.get('Last_Name') or ''}".strip()
        self.ctx.report.add(
            self.key,
            action,
            crm_module="Contacts",
            crm_id=crm_id,
            books_id=books_id,
            name=name,
            reason=reason,
        )
