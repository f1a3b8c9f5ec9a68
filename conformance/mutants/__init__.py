"""Deliberately broken syncers (mutants), each breaking exactly one rule of the contract.

Every mutant is the reference syncer (``conformance.reference``) run with one piece of
``syncer/`` patched for the length of that run only (``unittest.mock.patch``, entered inside
``run``), so nothing leaks between runs or into the reference. ``MUTANTS`` maps a name to the
mutant's factory and the invariant id the harness must flag it under::

    zohosim conform --syncer-python conformance.mutants:skip_writes_duplicate

``tests/conformance/test_mutants.py`` runs each through the suites and checks the kill rate.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack
from datetime import timedelta
from typing import Any
from unittest import mock

import fieldmap as mapping
from conformance.adapters import Endpoints
from conformance.mutants import paging
from conformance.reference import ReferenceSyncer
from syncer import plan, read
from syncer.apply import Writer
from syncer.engine import ModuleRun
from syncer.fetch import Fetcher
from syncer.plan import Action, Flow
from syncer.state import SyncState

Patches = Callable[[], Iterator[AbstractContextManager[Any]]]


class Mutant:
    """The reference syncer with ``patches`` applied for one run."""

    def __init__(self, patches: Patches) -> None:
        self.patches = patches

    def run(self, endpoints: Endpoints) -> None:
        with ExitStack() as stack:
            for patch in self.patches():
                stack.enter_context(patch)
            ReferenceSyncer().run(endpoints)


def _wrap(owner: Any, name: str, make: Callable[[Any], Any]) -> AbstractContextManager[Any]:
    """Patch ``owner.name`` with ``make(original)``."""
    return mock.patch.object(owner, name, make(getattr(owner, name)))


def _mode_becomes(mode: str, action: Action) -> Patches:
    def patches() -> Iterator[AbstractContextManager[Any]]:
        def make(original: Any) -> Any:
            def unlinked_action(m: str, duplicate: Any) -> Action:
                chosen = original(m, duplicate)
                return action if m == mode and duplicate is not None else chosen

            return unlinked_action

        yield _wrap(plan, "unlinked_action", make)

    return patches


def _books_write(run: ModuleRun, spec: mapping.ModuleSpec, books_id: str, body: dict[str, Any]) -> None:
    if spec.books_collection == "items":
        run.books.update_item(books_id, body)
    else:
        run.books.update_contact(books_id, body)


# ---- duplicate modes ----------------------------------------------------------------------


def skip_writes_duplicate() -> Mutant:
    """Under skip, writes the existing Books record (treats skip as overwrite)."""
    return Mutant(_mode_becomes("skip", Action.OVERWRITTEN))


def overwrite_creates() -> Mutant:
    """Under overwrite, creates a new Books record instead of replacing the existing one."""
    return Mutant(_mode_becomes("overwrite", Action.CREATED))


def clone_touches_existing() -> Mutant:
    """Under clone, writes the existing record instead of adding a new one."""
    return Mutant(_mode_becomes("clone", Action.OVERWRITTEN))


# ---- extent, view, shape, mapping ------------------------------------------------------------


def fetch_writes_crm() -> Mutant:
    """Under fetch_from_crm, still pushes Books records and changes to CRM (ignores the extent)."""

    def patches() -> Iterator[AbstractContextManager[Any]]:
        def make_run(original: Any) -> Any:
            def run(self: ModuleRun) -> None:
                original(self)
                if self.sync.extent == "fetch_from_crm":
                    self.push(fetching=True)

            return run

        def make_flow(original: Any) -> Any:
            def flow(**kwargs: Any) -> Flow:
                return original(**{**kwargs, "extent": "both_ways"})

            return flow

        yield _wrap(ModuleRun, "run", make_run)
        yield _wrap(plan, "flow", make_flow)

    return Mutant(patches)


def ignores_view() -> Mutant:
    """Reads every CRM record, whatever view the configuration selects."""

    def make(original: Any) -> Any:
        def read_crm(self: read.Reader, spec: Any, field_map: Any, view: Any) -> Any:
            return original(self, spec, field_map, None)

        return read_crm

    return Mutant(lambda: iter([_wrap(read.Reader, "read_crm", make)]))


def drops_unassociated_contacts() -> Mutant:
    """With accounts and contacts plus unassociated contacts, never syncs the unassociated ones."""

    def make(original: Any) -> Any:
        def fetch(self: ModuleRun, spec: Any, field_map: Any, records: Any) -> None:
            if spec is mapping.CONTACTS and self.sync.crm_source == "accounts_and_contacts":
                return
            original(self, spec, field_map, records)

        return fetch

    return Mutant(lambda: iter([_wrap(ModuleRun, "fetch", make)]))


def last_mapped_wins_on_push() -> Mutant:
    """Books→CRM takes the last Books field mapped to a CRM field, not the mandatory or the first."""

    def push_sources(spec: Any, field_map: Any) -> dict[str, str]:
        return {pair.crm: pair.books for pair in field_map}

    return Mutant(lambda: iter([mock.patch.object(mapping, "push_sources", push_sources)]))


def drops_mapped_fields() -> Mutant:
    """Sends only the name to Books: every other mapped field stays unsynced."""
    names = {spec.books_name for spec in mapping.SPEC_BY_MODULE.values()}

    def make(original: Any) -> Any:
        def to_books(field_map: Any, crm_record: Any) -> dict[str, Any]:
            return {k: v for k, v in original(field_map, crm_record).items() if k in names}

        return to_books

    return Mutant(lambda: iter([_wrap(mapping, "to_books", make)]))


# ---- runs over time ---------------------------------------------------------------------------


def rewrites_linked() -> Mutant:
    """Ends every run by rewriting every linked Books record (with its own name): not idempotent."""

    def make(original: Any) -> Any:
        def run(self: ModuleRun) -> None:
            original(self)
            spec = self.sync.spec
            for link in list(self.state.links(self.key, spec.crm_module)):
                record = self.reader.books_get(spec, link.books_id)
                if record is not None:
                    _books_write(self, spec, link.books_id, {spec.books_name: record.get(spec.books_name)})

        return run

    return Mutant(lambda: iter([_wrap(ModuleRun, "run", make)]))


def checkpoint_ahead() -> Mutant:
    """Saves its checkpoint a day ahead with no overlap: a change made since is never read."""

    def make(original: Any) -> Any:
        def save_checkpoint(self: SyncState, sync: str, *, crm_read_at: Any, books_read_at: Any) -> None:
            ahead = timedelta(days=1)
            original(self, sync, crm_read_at=crm_read_at + ahead, books_read_at=books_read_at + ahead)

        return save_checkpoint

    return Mutant(
        lambda: iter(
            [_wrap(SyncState, "save_checkpoint", make), mock.patch.object(read, "OVERLAP", timedelta(0))]
        )
    )


# ---- faults and kills -------------------------------------------------------------------------


def retries_lost_create() -> Mutant:
    """When a create's reply is lost, creates again without looking for the first one."""
    return Mutant(
        lambda: iter(
            [
                mock.patch.object(Writer, "find_created", lambda self, spec, key, since: None),
                mock.patch.object(ModuleRun, "recover_intents", lambda self: None),
            ]
        )
    )


def forgets_intents() -> Mutant:
    """Never adopts what an interrupted run created: after a kill, a create happens twice."""

    def patches() -> Iterator[AbstractContextManager[Any]]:
        yield mock.patch.object(ModuleRun, "recover_intents", lambda self: None)
        yield mock.patch.object(Fetcher, "linked_in_books", lambda self, spec, record: None)

    return Mutant(patches)


# ---- what a sync may never do -----------------------------------------------------------------


def deletes_unlinked() -> Mutant:
    """Ends every run by deleting one Books record of its module that it did not link."""

    def make(original: Any) -> Any:
        def run(self: ModuleRun) -> None:
            original(self)
            collection = "items" if self.kind == "item" else "contacts"
            for books_id in self.world.books_rows:
                if books_id not in self.world.taken:
                    self.books._write("DELETE", f"{collection}/{books_id}", None)
                    return

        return run

    return Mutant(lambda: iter([_wrap(ModuleRun, "run", make)]))


def pushes_crm_duplicates() -> Mutant:
    """Both ways, pushes an unlinked Books record to CRM even when a CRM record has its key."""
    return Mutant(lambda: iter([mock.patch.object(SyncState, "crm_keys", lambda self, module: set())]))


def customers_write_vendors() -> Mutant:
    """A customers sync that also creates a Books vendor."""

    def make(original: Any) -> Any:
        def run(self: ModuleRun) -> None:
            original(self)
            if self.sync.module == "customers":
                self.books.create_contact({"contact_name": "Mutant Vendor", "contact_type": "vendor"})

        return run

    return Mutant(lambda: iter([_wrap(ModuleRun, "run", make)]))


# ---- paging (only a world whose lists take pages tells these from the reference) ----------------


def drops_last_crm_page() -> Mutant:
    """Loses the last page of every CRM record list that has more than one."""
    return Mutant(lambda: paging.edited_list_reads(paging.drop_last_page))


def stops_at_first_crm_page() -> Mutant:
    """Ignores ``more_records``: reads only the first page of every CRM record list."""
    return Mutant(lambda: paging.edited_list_reads(paging.stop_at_first_page))


def never_uses_page_token() -> Mutant:
    """Pages CRM lists by ``page`` alone, so it loses every record past the 2,000th."""
    return Mutant(lambda: paging.edited_list_reads(paging.pages_without_tokens))


MUTANTS: dict[str, tuple[Callable[[], Mutant], str]] = {
    "skip_writes_duplicate": (skip_writes_duplicate, "SKIP-UNTOUCHED"),
    "overwrite_creates": (overwrite_creates, "OVERWRITE-REPLACES"),
    "clone_touches_existing": (clone_touches_existing, "CLONE-ADDS"),
    "fetch_writes_crm": (fetch_writes_crm, "FETCH-READ-ONLY"),
    "ignores_view": (ignores_view, "VIEW-BOUNDED"),
    "drops_unassociated_contacts": (drops_unassociated_contacts, "MODULE-SHAPE"),
    "last_mapped_wins_on_push": (last_mapped_wins_on_push, "MULTIMAP-PRIORITY"),
    "rewrites_linked": (rewrites_linked, "IDEMPOTENT"),
    "retries_lost_create": (retries_lost_create, "FAULT-TOLERANT"),
    "forgets_intents": (forgets_intents, "RESUMABLE"),
    "checkpoint_ahead": (checkpoint_ahead, "INCREMENTAL"),
    "deletes_unlinked": (deletes_unlinked, "NO-DELETE"),
    "pushes_crm_duplicates": (pushes_crm_duplicates, "NO-CRM-DUPLICATE"),
    "customers_write_vendors": (customers_write_vendors, "MODULE-ISOLATION"),
    "drops_mapped_fields": (drops_mapped_fields, "MAPPED-EQUAL"),
    "drops_last_crm_page": (drops_last_crm_page, "MODULE-SHAPE"),
    "stops_at_first_crm_page": (stops_at_first_crm_page, "MODULE-SHAPE"),
    "never_uses_page_token": (never_uses_page_token, "MODULE-SHAPE"),
}
