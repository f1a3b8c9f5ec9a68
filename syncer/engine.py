"""One run of one module sync, by stage: read both sides (``read``), plan every record
(``fetch`` gathers what ``plan``, pure, decides), apply the plan (``apply`` for CRM→Books,
``push`` for Books→CRM), then save the checkpoint. ``SYNC-SEMANTICS.md`` is the contract.

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
from syncer.fetch import Fetcher
from syncer.plan import Action, Step
from syncer.push import Push, Pusher
from syncer.read import Reader, contact_map
from syncer.world import Context, World


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
        self.fetcher = Fetcher(self.sync, self.ctx, self.world, self.reader, self.writer)
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
                for step in self.fetcher.plan_persons(self.contacts):
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
        steps += self.fetcher.plan(self.sync.spec, self.sync.field_map, self.main)
        if self.sync.with_persons:
            steps += self.fetcher.plan_persons(self.contacts)
        if self.loose:
            steps += self.fetcher.plan(mapping.CONTACTS, contact_map(self.sync), self.loose)
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

    # ---- CRM -> Books: plan, then apply ------------------------------------------------------------

    def fetch(
        self, spec: ModuleSpec, field_map: tuple[FieldPair, ...], records: Iterable[dict[str, Any]]
    ) -> None:
        for step in self.fetcher.plan(spec, field_map, records):
            if step.action is Action.PUSHED:
                assert step.link is not None and step.existing is not None
                self.pusher.queue(Push(step.link, step.existing, spec, field_map, step.record))
            else:
                self.writer.apply(step, spec, field_map)


def run_module_sync(sync: ModuleSync, ctx: Context) -> None:
    ModuleRun(sync, ctx).run()


def plan_module_sync(sync: ModuleSync, ctx: Context) -> list[Step]:
    return ModuleRun(sync, ctx).plan()


def validate_module_sync(sync: ModuleSync, ctx: Context) -> None:
    """Raise ``ConfigError`` for a view or mapped CRM field that does not exist; writes nothing."""
    ModuleRun(sync, ctx).reader.validate_remote()
