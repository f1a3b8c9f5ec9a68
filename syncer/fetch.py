"""CRM→Books planning: for each CRM record read, gather what the plan needs (its link, or the
Books record that carries its id; its duplicate by the in-memory index; the linked Books record as
it is now; its account's contacts) and let ``plan`` decide. Reads may happen here (a record that
changed since it was last written, a duplicate to overwrite); writes only the links of pairs
found by their ``zcrm_*`` field."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import fieldmap as mapping
from fieldmap import FieldPair, ModuleSpec
from syncer import plan
from syncer.apply import Writer
from syncer.config import ModuleSync
from syncer.plan import Action, Step
from syncer.read import Reader
from syncer.state import Link
from syncer.world import PERSONS, Context, World


@dataclass
class Fetcher:
    sync: ModuleSync
    ctx: Context
    world: World
    reader: Reader
    writer: Writer

    def __post_init__(self) -> None:
        self.key = self.sync.label
        self.state = self.ctx.state

    def linked_in_books(self, spec: ModuleSpec, record: dict[str, Any]) -> Link | None:
        """A Books record that carries the CRM id in its ``zcrm_*`` field is already this record's pair."""
        for books_id in self.world.carrying(spec.link_field).get(record["id"], []):
            if books_id not in self.world.taken:
                self.writer.adopt(spec.crm_module, record["id"], books_id)
                return self.state.link(self.key, spec.crm_module, record["id"])
        return None

    def plan(
        self, spec: ModuleSpec, field_map: tuple[FieldPair, ...], records: Iterable[dict[str, Any]]
    ) -> list[Step]:
        return [self._plan_record(spec, field_map, record) for record in records]

    def _plan_record(
        self, spec: ModuleSpec, field_map: tuple[FieldPair, ...], record: dict[str, Any]
    ) -> Step:
        link = self.state.link(self.key, spec.crm_module, record["id"]) or self.linked_in_books(spec, record)
        if link is None:
            return self._plan_unlinked(spec, field_map, record)
        self.world.handled.add(link.books_id)
        self.world.taken.add(link.books_id)
        current, books_changed = self.reader.current(spec, field_map, link)
        if current is None:
            name = str(mapping.crm_value(record, spec.crm_name) or "")
            note = "the linked Books record no longer exists"
            return Step(Action.FAILED, spec.crm_module, record["id"], link.books_id, name, "", note=note)
        step = plan.plan_linked(
            spec=spec,
            field_map=field_map,
            extent=self.sync.extent,
            record=record,
            link=link,
            current=current,
            books_changed=books_changed,
        )
        return self._with_persons(step, spec) if step.action is not Action.PUSHED else step

    def _plan_unlinked(
        self, spec: ModuleSpec, field_map: tuple[FieldPair, ...], record: dict[str, Any]
    ) -> Step:
        keys = plan.crm_keys(spec, record)
        duplicate = plan.find_duplicate(keys, self.world.candidates(keys), taken=self.world.taken)
        existing = None
        if (
            duplicate is not None
            and plan.unlinked_action(self.sync.duplicates, duplicate) is Action.OVERWRITTEN
        ):
            existing = self.reader.row_or_get(spec, field_map, duplicate.record_id)
            if existing is None:  # gone since it was indexed: forget it and decide again
                self.world.forget_books(duplicate.record_id)
                return self._plan_unlinked(spec, field_map, record)
            self.world.taken.add(duplicate.record_id)
        step = plan.plan_unlinked(
            spec=spec,
            field_map=field_map,
            record=record,
            mode=self.sync.duplicates,
            duplicate=duplicate,
            existing=existing,
            persons=self._new_persons(spec, record),
        )
        return self._with_persons(step, spec) if step.action is Action.OVERWRITTEN else step

    # ---- contact persons (accounts_and_contacts) ---------------------------------------------------

    def _places_persons(self, spec: ModuleSpec) -> bool:
        """Whether an account's customer takes its contacts as persons in its own create or update:
        not when the map writes the primary person itself (the persons then go after)."""
        return (
            spec is mapping.ACCOUNTS
            and self.sync.with_persons
            and not any(pair.books.startswith("primary_contact.") for pair in self.sync.field_map)
        )

    def _new_persons(self, spec: ModuleSpec, record: dict[str, Any]) -> list[dict[str, Any]]:
        if not self._places_persons(spec):
            return []
        return plan.new_persons(self.sync.person_map, self.world.contacts_by_account.get(record["id"], []))

    def _with_persons(self, step: Step, spec: ModuleSpec) -> Step:
        """An account's customer written (or not) this run takes its changed contacts in the same call."""
        contacts = [
            c
            for c in self.world.contacts_by_account.get(step.crm_id or "", [])
            if c["id"] not in self.world.placed
        ]
        if not contacts or not self._places_persons(spec) or step.existing is None or step.books_id is None:
            return step
        persons = plan.place_persons(
            customer=step.existing,
            contacts=contacts,
            linked=self.world.person_links(step.books_id),
            person_map=self.sync.person_map,
        )
        self.world.placed.update(persons.actions)
        return plan.with_persons(step, persons, spec=spec)

    def plan_persons(self, contacts: Iterable[dict[str, Any]]) -> list[Step]:
        """The persons of customers whose account this run did not write (it did not change, or
        its map writes the primary person): one write per customer whose persons changed."""
        by_customer: dict[str, tuple[Link, list[dict[str, Any]]]] = {}
        for contact in contacts:
            account_id = plan.lookup_id(contact.get("Account_Name")) or ""
            account = self.state.link(self.key, "Accounts", account_id)
            if account is not None and contact["id"] not in self.world.placed:
                by_customer.setdefault(account.books_id, (account, []))[1].append(contact)
        steps = []
        for account, contacts in by_customer.values():
            customer = self.reader.current(mapping.ACCOUNTS, self.sync.field_map, account)[0]
            if customer is None:
                continue
            persons = plan.place_persons(
                customer=customer,
                contacts=contacts,
                linked=self.world.person_links(account.books_id),
                person_map=self.sync.person_map,
            )
            self.world.placed.update(persons.actions)
            step = Step(
                Action.UPDATED if persons.changed else Action.UNCHANGED,
                PERSONS,
                account.crm_id,
                account.books_id,
                f"the contact persons of {customer.get('contact_name') or account.books_id}",
                "MODULE-SHAPE",
                existing=customer,
                link=account,
            )
            steps.append(plan.with_persons(step, persons, spec=mapping.ACCOUNTS))
        return steps
