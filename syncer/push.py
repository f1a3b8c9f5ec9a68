"""Books→CRM, for ``both_ways``: plan the pushes (linked pairs whose Books side changed last, and
unlinked Books records that no CRM record has the key of), then apply them in batches of
``CRM_BATCH`` records a call. After a push, a mapped Books field that was not its CRM field's
source takes the CRM value, so the pair agrees on every mapped field (MAPPED-EQUAL)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import fieldmap as mapping
from fieldmap import FieldPair, ModuleSpec
from syncer import plan
from syncer.apply import Writer
from syncer.clients import WriteOutcomeUnknown, ZohoApiError
from syncer.config import ModuleSync
from syncer.plan import Action, Request, Step
from syncer.read import Reader, contact_map
from syncer.state import Indexed, Link
from syncer.world import Context, World, books_id_of

CRM_BATCH = 100
_MISSING = object()


@dataclass
class Push:
    link: Link | None  # None: a create in CRM
    books_record: dict[str, Any]
    spec: ModuleSpec
    field_map: tuple[FieldPair, ...]
    crm_record: dict[str, Any] | None = None


@dataclass
class Pusher:
    sync: ModuleSync
    ctx: Context
    world: World
    reader: Reader
    writer: Writer
    updates: list[Push] = field(default_factory=list)
    creates: list[Push] = field(default_factory=list)
    claimed: dict[str, set[str]] = field(default_factory=dict)  # CRM keys a queued create will take
    skipped: list[Step] = field(default_factory=list)  # Books records with a CRM twin, left unlinked

    def __post_init__(self) -> None:
        self.key = self.sync.label
        self.state = self.ctx.state
        self.crm = self.ctx.clients.crm

    # ---- where Books records go in CRM ------------------------------------------------------------

    def targets(self) -> list[ModuleSpec]:
        if self.sync.module != "customers" or self.sync.crm_source in ("accounts", "contacts"):
            return [self.sync.spec]
        return (
            [mapping.ACCOUNTS, mapping.CONTACTS]
            if self.sync.include_unassociated_contacts
            else [mapping.ACCOUNTS]
        )

    def field_map_for(self, spec: ModuleSpec) -> tuple[FieldPair, ...]:
        """The map of a pair in this CRM module: the sync's own, or (loose contacts) the contact map."""
        return self.sync.field_map if spec.crm_module == self.sync.spec.crm_module else contact_map(self.sync)

    def _target(self, row: Mapping[str, Any]) -> tuple[ModuleSpec, tuple[FieldPair, ...]] | None:
        """Where an unlinked Books record goes in CRM, by the contract's rules."""
        if self.sync.module != "customers" or self.sync.crm_source in ("accounts", "contacts"):
            return self.sync.spec, self.sync.field_map
        if row.get("customer_sub_type") == "individual":
            return (
                (mapping.CONTACTS, contact_map(self.sync))
                if self.sync.include_unassociated_contacts
                else None
            )
        return mapping.ACCOUNTS, self.sync.field_map

    # ---- planning -------------------------------------------------------------------------------

    def plan(self, *, fetching: bool) -> None:
        """Queue every Books record read this run that CRM→Books did not deal with."""
        for books_id, row in self.world.books_rows.items():
            if books_id in self.world.handled:
                continue
            link = self.state.link_by_books(self.key, books_id)
            if link is not None:
                self._queue_linked(link, fetching=fetching)
            elif books_id not in self.world.taken:
                self._queue_unlinked(row)

    def queue(self, push: Push) -> None:
        self.updates.append(push)

    def _queue_linked(self, link: Link, *, fetching: bool) -> None:
        self.world.handled.add(link.books_id)
        spec = mapping.SPEC_BY_MODULE.get(link.crm_module)
        if spec is None:
            return
        field_map = self.field_map_for(spec)
        if not fetching and link.crm_id in self.world.crm_read.get(spec.crm_module, {}):
            return  # read from CRM too: CRM→Books comes next and weighs both sides (later wins)
        books_record, changed = self.reader.current(spec, field_map, link)
        if books_record is not None and changed:
            self.updates.append(Push(link, books_record, spec, field_map))

    def _queue_unlinked(self, row: dict[str, Any]) -> None:
        """Queue an unlinked Books record's create in CRM, unless it would be a CRM duplicate. The
        list row decides first; then the full record, which may hold a mapped field the row lacks."""
        target = self._target(row)
        if target is None:
            return
        spec, field_map = target
        if self._has_crm_twin(spec, field_map, row):
            return
        full = self.reader.books_get(spec, books_id_of(row))
        if full is None or self._has_crm_twin(spec, field_map, full):
            return
        self.creates.append(Push(None, full, spec, field_map))
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
        if not keys & (self.world.crm_keys_of(spec.crm_module) | self.claimed.get(spec.crm_module, set())):
            return False
        step = Step(
            Action.SKIPPED,
            spec.crm_module,
            None,
            books_id_of(record),
            str(record.get(spec.books_name) or ""),
            "NO-CRM-DUPLICATE",
            note="a CRM record already has its key; both ways never creates a CRM duplicate",
        )
        self.skipped.append(step)
        self.ctx.report.add(
            self.key,
            step.action,
            books_id=step.books_id,
            name=step.name,
            crm_module=step.crm_module,
            reason=step.note,
        )
        return True

    def steps(self) -> list[Step]:
        """The pushes queued, as the plan shows them (one request per record; applying sends
        them ``CRM_BATCH`` records a call)."""
        steps = list(self.skipped)
        for push in [*self.updates, *self.creates]:
            values = mapping.to_crm(push.spec, push.field_map, push.books_record)
            crm_id = push.link.crm_id if push.link else None
            method, body = (
                ("PUT", {"data": [{"id": crm_id, **values}]}) if push.link else ("POST", {"data": [values]})
            )
            steps.append(
                Step(
                    Action.PUSHED,
                    push.spec.crm_module,
                    crm_id,
                    books_id_of(push.books_record),
                    str(push.books_record.get(push.spec.books_name) or ""),
                    plan.RULES[Action.PUSHED],
                    request=Request(method, f"/crm/v8/{push.spec.crm_module}", body),
                    note="Books changed last" if push.link else "a Books record with no CRM pair",
                )
            )
        return steps

    def finish(self, crm_module: str, crm_id: str, books_id: str) -> None:
        """A Books record an interrupted run pushed to CRM, adopted: finish that push as the
        uninterrupted run did (CRM takes what it lacks of the Books values, and Books takes what
        the push implies). A CRM record read this run is left to CRM→Books, which compares the
        adopted pair; any other (outside the view) would never be compared again."""
        if crm_id in self.world.crm_read.get(crm_module, {}):
            return
        spec = mapping.SPEC_BY_MODULE[crm_module]
        link = self.state.link(self.key, crm_module, crm_id)
        crm_record = self.crm.get(crm_module, crm_id)
        books_record = self.reader.books_get(spec, books_id)
        if link is None or crm_record is None or books_record is None:
            return
        self.world.handled.add(books_id)
        self.updates.append(Push(link, books_record, spec, self.field_map_for(spec), crm_record))

    # ---- applying -------------------------------------------------------------------------------

    def flush(self) -> None:
        self.flush_updates()
        self._flush_creates()

    def flush_updates(self) -> None:
        pending: list[tuple[Push, dict[str, Any], dict[str, Any]]] = []
        updates, self.updates = self.updates, []
        for push in updates:
            assert push.link is not None
            values = mapping.to_crm(push.spec, push.field_map, push.books_record)
            current = (
                plan.crm_values(push.field_map, push.crm_record)
                if push.crm_record
                else push.link.agreed.get("crm", {})
            )
            diff = {f: v for f, v in values.items() if not mapping.same(v, current.get(f, _MISSING))}
            if diff:
                pending.append((push, diff, {**current, **values}))
                continue
            crm_id = push.link.crm_id
            push, error = self._agree_in_books(push, {**current, **values})
            self._save(push, {**current, **values})
            self._report(push, Action.FAILED if error else Action.UNCHANGED, crm_id=crm_id, reason=error)
        for batch in _batches(pending, CRM_BATCH):
            by_module: dict[str, list[tuple[Push, dict[str, Any], dict[str, Any]]]] = {}
            for item in batch:
                by_module.setdefault(item[0].spec.crm_module, []).append(item)
            for module, items in by_module.items():
                outcomes = self.crm.update(
                    module, [{"id": p.link.crm_id, **diff} for p, diff, _ in items if p.link]
                )
                for (push, _, merged), outcome in zip(items, outcomes, strict=True):
                    self._after(push, merged, outcome)

    def _flush_creates(self) -> None:
        by_module: dict[str, list[Push]] = {}
        for push in self.creates:
            by_module.setdefault(push.spec.crm_module, []).append(push)
        for module, pushes in by_module.items():
            for batch in _batches(pushes, CRM_BATCH):
                bodies = [mapping.to_crm(p.spec, p.field_map, p.books_record) for p in batch]
                started = self.ctx.clock.now()
                for push, body in zip(batch, bodies, strict=True):
                    source = f"{module}:{books_id_of(push.books_record)}"
                    key = plan.crm_keys(push.spec, body)[0]
                    self.state.begin_intent(
                        self.key, side="crm", source_id=source, match_key=key, started=started
                    )
                try:
                    outcomes: Sequence[Mapping[str, Any]] = self.crm.insert(module, bodies)
                except WriteOutcomeUnknown:  # the intents stay until linked: a retry may be lost too
                    outcomes = self._find_inserted(batch, bodies, started)
                for push, body, outcome in zip(batch, bodies, outcomes, strict=True):
                    self._after(push, body, outcome, created=True)
                    self.state.end_intent(
                        self.key, side="crm", source_id=f"{module}:{books_id_of(push.books_record)}"
                    )

    def _find_inserted(
        self, batch: Sequence[Push], bodies: list[dict[str, Any]], since: datetime
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

    def _after(
        self, push: Push, merged: dict[str, Any], outcome: Mapping[str, Any], *, created: bool = False
    ) -> None:
        crm_id = outcome.get("id") or (push.link.crm_id if push.link else None)
        if outcome.get("status") != "success" or crm_id is None:
            self._report(
                push, Action.FAILED, crm_id=crm_id, reason=f"{outcome.get('code')}: {outcome.get('message')}"
            )
            return
        if created:
            entry = Indexed(str(crm_id), *plan.crm_keys(push.spec, merged))
            self.state.index_crm(push.spec.crm_module, [entry])
            self.world.crm_keys_of(push.spec.crm_module).update(_key_set((entry.match_key, entry.sku)))
        books_id = books_id_of(push.books_record)
        link = push.link or Link(push.spec.crm_module, str(crm_id), books_id, None, {}, None, None)
        pushed, error = self._agree_in_books(Push(link, push.books_record, push.spec, push.field_map), merged)
        self._save(pushed, merged)
        self._report(push, Action.FAILED if error else Action.PUSHED, crm_id=str(crm_id), reason=error)

    def _agree_in_books(self, push: Push, crm_values: dict[str, Any]) -> tuple[Push, str]:
        """After a push, a mapped Books field that was not its CRM field's source (a second Books field
        on one CRM field, a name split into CRM's parts) takes the CRM value: the pair then agrees on
        every mapped field (MAPPED-EQUAL). Returns the push with the Books record as written."""
        wanted = mapping.to_books(push.field_map, crm_values)
        try:
            written = self.writer.books_write(push.spec, wanted, push.books_record)
        except ZohoApiError as error:
            return push, f"pushed to CRM, but Books refused the mapped values: {error.code}: {error.message}"
        return Push(push.link, written, push.spec, push.field_map, push.crm_record), ""

    def _save(self, push: Push, crm_values: dict[str, Any]) -> None:
        assert push.link is not None
        crm_view = {pair.crm: crm_values.get(pair.crm) for pair in push.field_map}
        if "Full_Name" in crm_view:
            crm_view["Full_Name"] = mapping.crm_value(crm_values, "Full_Name")
        self.state.save_link(
            self.key,
            crm_module=push.link.crm_module,
            crm_id=push.link.crm_id,
            books_id=push.link.books_id,
            agreed={"crm": crm_view, "books": plan.books_values(push.field_map, push.books_record)},
            books_record=push.books_record,
            books_modified=push.books_record.get("last_modified_time"),
        )
        self.world.taken.add(push.link.books_id)

    def _report(self, push: Push, action: Action, *, crm_id: Any, reason: str) -> None:
        self.ctx.report.add(
            self.key,
            action,
            crm_module=push.spec.crm_module,
            crm_id=None if crm_id is None else str(crm_id),
            books_id=books_id_of(push.books_record),
            name=str(push.books_record.get(push.spec.books_name) or ""),
            reason=reason,
        )


def _push_keys(
    spec: ModuleSpec, field_map: Sequence[FieldPair], books_record: Mapping[str, Any]
) -> tuple[str, str]:
    """The match key (and SKU) of the CRM record a push of this Books record writes."""
    return plan.crm_keys(spec, mapping.to_crm(spec, field_map, books_record))


def _key_set(keys: tuple[str, str]) -> set[str]:
    """A record's keys as the CRM index holds them: the name, and ``sku:``-prefixed the SKU."""
    name, sku = keys
    return {name, f"sku:{sku}"} if sku else {name}


def _batches(items: Sequence[Any], size: int) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
