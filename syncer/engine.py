"""One run of one module sync, by stage: read both sides (``read``), plan every record
(``plan``, pure), apply the plan (``apply`` for CRM→Books, ``push`` for Books→CRM), then save the
checkpoint. ``SYNC-SEMANTICS.md`` is the contract.

The order: read CRM (incrementally, with an overlap), read Books (likewise), adopt what an
interrupted run may have created, then the two directions in the module's order (customers and
vendors CRM→Books first, items Books→CRM first), then the persons of customers whose account was
not written this run, then the checkpoint.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import fieldmap as mapping
from fieldmap import FieldPair, ModuleSpec
from syncer import plan
from syncer.apply import Writer
from syncer.config import ModuleSync
from syncer.plan import Action, Step
from syncer.push import Push, Pusher
from syncer.read import Reader, contact_map
from syncer.state import Link
from syncer.world import PERSONS, Context, World


@dataclass
class ModuleRun:
    sync: ModuleSync
    ctx: Context
    main: list[dict[str, Any]] = field(default_factory=list)  # the CRM records of the sync's module
    contacts: list[dict[str, Any]] = field(default_factory=list)  # accounts_and_contacts: its contacts

    def __post_init__(self) -> None:
        self.key = self.sync.label
        self.state = self.ctx.state
        self.kind = {"items": "item", "vendors": "vendor"}.get(self.sync.module, "customer")
        self.world = World(self.state, self.key, self.kind)
        self.reader = Reader(self.sync, self.ctx, self.world)
        self.writer = Writer(self.sync, self.ctx, self.world, self.reader)
        self.pusher = Pusher(self.sync, self.ctx, self.world, self.reader, self.writer)
        self.books = self.ctx.clients.books

    # ---- the run --------------------------------------------------------------------------------

    def run(self) -> None:
        crm_started, books_started = self.read()
        self.recover_intents()
        if self.items_push_first:
            self.push(fetching=False)
            self.fetch(self.sync.spec, self.sync.field_map, self.main)
            self.pusher.flush_updates()  # the pairs push left to fetch, that went to CRM
        else:
            self.fetch(self.sync.spec, self.sync.field_map, self.main)
            if self.sync.with_persons:
                for step in self.plan_persons():
                    self.writer.apply(step, mapping.ACCOUNTS, self.sync.field_map)
            if self.loose:
                self.fetch(mapping.CONTACTS, contact_map(self.sync), self.loose)
            if self.sync.extent == "both_ways":
                self.push(fetching=True)
        self.state.save_checkpoint(self.key, crm_read_at=crm_started, books_read_at=books_started)

    def plan(self) -> list[Step]:
        """The whole plan of this run, written nowhere (``zohosim sync --dry-run``). Run it on a
        copy of the state: reading indexes what it read there."""
        self.read()
        self.recover_intents()
        steps: list[Step] = []
        if self.items_push_first:
            self.pusher.plan(fetching=False)
        steps += self.plan_fetch(self.sync.spec, self.sync.field_map, self.main)
        if self.sync.with_persons:
            steps += self.plan_persons()
        if self.loose:
            steps += self.plan_fetch(mapping.CONTACTS, contact_map(self.sync), self.loose)
        if self.sync.extent == "both_ways" and not self.items_push_first:
            self.pusher.plan(fetching=True)
        return steps + self.pusher.steps()

    @property
    def items_push_first(self) -> bool:
        return self.sync.module == "items" and self.sync.extent == "both_ways"

    @property
    def loose(self) -> list[dict[str, Any]]:
        """Contacts with no account, when the sync takes them as individual customers."""
        if not (self.sync.with_persons and self.sync.include_unassociated_contacts):
            return []
        return [c for c in self.contacts if not plan.lookup_id(c.get("Account_Name"))]

    def read(self) -> tuple[Any, Any]:
        """Both sides, indexed; returns when each read began (the next run's checkpoint)."""
        self.reader.validate_remote()
        crm_started = self.ctx.clock.now()
        self.main = self.reader.read_crm(self.sync.spec, self.sync.field_map, self.sync.view)
        self.contacts = self.reader.read_contacts() if self.sync.with_persons else []
        if self.sync.extent == "both_ways":
            self.reader.index_crm_keys(self.pusher.targets())
        books_started = self.ctx.clock.now()
        self.reader.read_books()
        return crm_started, books_started

    def push(self, *, fetching: bool) -> None:
        self.pusher.plan(fetching=fetching)
        self.pusher.flush()

    # ---- adopting what an interrupted run left -----------------------------------------------------

    def recover_intents(self) -> None:
        """A create whose reply was lost (or whose run was killed) may have happened: find it by its
        key among records created since the intent, and link it instead of creating again."""
        for source, intent in self.state.intents(self.key, "books").items():
            crm_module, _, crm_id = source.partition(":")
            since = plan.utc_iso(intent.started - timedelta(seconds=2))
            fresh = [c for c in self.world.candidates() if c.created >= since]
            found = plan.find_duplicate((intent.match_key, ""), fresh, taken=self.world.taken)
            if found and self.state.link(self.key, crm_module, crm_id) is None:
                self.writer.adopt(crm_module, crm_id, found.record_id)
            self.state.end_intent(self.key, side="books", source_id=source)
        for source, intent in self.state.intents(self.key, "crm").items():
            crm_module, _, books_id = source.partition(":")
            for crm_id in self.state.crm_ids_with_key(crm_module, intent.match_key):
                if self.state.link(self.key, crm_module, crm_id) is None:
                    self.writer.adopt(crm_module, crm_id, books_id)
                    self.pusher.finish(crm_module, crm_id, books_id)
                    break
            self.state.end_intent(self.key, side="crm", source_id=source)

    def linked_in_books(self, spec: ModuleSpec, record: dict[str, Any]) -> Link | None:
        """A Books record that carries the CRM id in its ``zcrm_*`` field is already this record's pair."""
        for books_id in self.world.carrying(spec.link_field).get(record["id"], []):
            if books_id not in self.world.taken:
                self.writer.adopt(spec.crm_module, record["id"], books_id)
                return self.state.link(self.key, spec.crm_module, record["id"])
        return None

    # ---- CRM -> Books: plan, then apply ------------------------------------------------------------

    def fetch(
        self, spec: ModuleSpec, field_map: tuple[FieldPair, ...], records: Iterable[dict[str, Any]]
    ) -> None:
        for step in self.plan_fetch(spec, field_map, records):
            if step.action is Action.PUSHED:
                assert step.link is not None and step.existing is not None
                self.pusher.queue(Push(step.link, step.existing, spec, field_map, step.record))
            else:
                self.writer.apply(step, spec, field_map)

    def plan_fetch(
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

    def plan_persons(self) -> list[Step]:
        """The persons of customers whose account this run did not write (it did not change, or
        its map writes the primary person): one write per customer whose persons changed."""
        by_customer: dict[str, tuple[Link, list[dict[str, Any]]]] = {}
        for contact in self.contacts:
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


def run_module_sync(sync: ModuleSync, ctx: Context) -> None:
    ModuleRun(sync, ctx).run()


def plan_module_sync(sync: ModuleSync, ctx: Context) -> list[Step]:
    return ModuleRun(sync, ctx).plan()


def validate_module_sync(sync: ModuleSync, ctx: Context) -> None:
    """Raise ``ConfigError`` for a view or mapped CRM field that does not exist; writes nothing."""
    ModuleRun(sync, ctx).reader.validate_remote()
