"""What the contract expects of one run, worked out from observable state only.

A syncer may keep its links anywhere, so the harness keeps its own: ``Pairs``. After a run it
pairs records by the contract's match key (scenarios keep CRM keys unique, so this is never
ambiguous, except among deliberate Books duplicates, where section 3 decides), then carries the
pairs forward by id: a renamed record stays paired with its partner.

For each run the plan lists
- the CRM records the run must consider (run 1: every record in scope; later runs: the records
  created or changed since the previous run, section 5) and, for those not yet paired, what
  section 3 says becomes of them (create, skip, overwrite, clone, or clone refused by 3062);
- for both ways, the unlinked Books records that must go to CRM, or must not (section 4);
- for ``accounts_and_contacts``, the contact persons to place;
- what the run actually did, as far as the expectations can tell (the new records, resolved).
Each check reads the plan and reports on its own invariant only.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from conformance.contract import (
    SIDES,
    Key,
    SyncShape,
    books_id,
    books_key,
    books_name,
    books_value,
    created_order,
    crm_key,
    crm_value,
    pair_disagreements,
    person_matches,
    push_key,
    same,
)
from conformance.observe import RunObservation, Snapshot

CrmRef = tuple[str, str]  # (CRM module, CRM id)


@dataclass
class Pairs:
    """The harness's links: CRM record -> Books record, and placed contacts -> (customer, person)."""

    main: dict[CrmRef, str] = field(default_factory=dict)
    persons: dict[str, tuple[str, str]] = field(default_factory=dict)

    def copy(self) -> Pairs:
        return Pairs(dict(self.main), dict(self.persons))

    def books_ids(self) -> set[str]:
        return set(self.main.values())

    def by_books(self) -> dict[str, CrmRef]:
        return {b: ref for ref, b in self.main.items()}


@dataclass
class Expectation:
    """A considered CRM record that no Books record was paired with before the run."""

    crm: CrmRef
    key: Key
    name: str  # the Books name the syncer must write (the CRM name as is)
    duplicates: list[str]  # unpaired Books ids with its key, existing record first (section 3)
    action: str  # create | skip | overwrite | clone | clone-refused | unsure
    created: list[str] = field(default_factory=list)  # Books records the run created with its key
    books_id: str | None = None  # its pair after the run, if any
    #: False for a record that did not change since the previous run: section 5 lets a syncer read
    #: only what changed, so acting on it is allowed (and then checked) but not required.
    required: bool = True

    @property
    def existing(self) -> str | None:
        return self.duplicates[0] if self.duplicates else None


@dataclass
class Push:
    """Both ways: unpaired Books records (one key, one CRM target module) and what must happen."""

    books_ids: list[str]
    target: str | None  # None: the contract leaves it open (an individual, accounts_and_contacts alone)
    key: Key
    blocked: list[str]  # CRM ids of the target module that already had the key
    created: list[str] = field(default_factory=list)  # CRM records the run created with the key
    pushed: str | None = None  # which Books record the new CRM record came from
    required: bool = True  # False: the Books records did not change since the previous run


@dataclass
class Placement:
    """accounts_and_contacts: a contact that must be a person of its account's customer."""

    contact_id: str
    account_id: str
    customer_id: str
    person_id: str | None = None


@dataclass
class Plan:
    index: int
    shape: SyncShape
    allow_duplicate_names: bool
    obs: RunObservation
    previous: Snapshot | None
    pairs_before: Pairs
    pairs: Pairs
    considered_crm: set[CrmRef]
    considered_books: set[str]
    changed_crm: set[CrmRef]  # changed between the previous run and this one (edits)
    changed_books: set[str]
    expectations: list[Expectation]
    pushes: list[Push]
    placements: list[Placement]
    unexplained_books: list[str]  # new Books records no expectation accounts for
    unexplained_crm: list[CrmRef]  # new CRM records no push accounts for
    quiet: bool = False  # nothing changed since the previous run (IDEMPOTENT)
    edited: bool = False  # the scenario's edits were made since the previous run (INCREMENTAL)

    @property
    def before(self) -> Snapshot:
        return self.obs.before

    @property
    def after(self) -> Snapshot:
        return self.obs.after

    @property
    def kind(self) -> str:
        return self.shape.kind

    def in_scope(self, ref: CrmRef) -> bool:
        return ref in scope(self.shape, self.before, self.obs.in_view)

    def side_changed(self, ref: CrmRef) -> tuple[bool, bool]:
        """(CRM side changed, Books side changed) since the previous run, for a carried pair: a
        change to a mapped field counts; one to an unmapped field is nothing to sync."""
        books_id = self.pairs_before.main.get(ref)
        if self.previous is None or books_id is None:
            return ref in self.changed_crm, False
        field_map = self.shape.map_for(ref[0])
        old_crm, new_crm = self.previous.crm_record(*ref) or {}, self.before.crm_record(*ref) or {}
        old_books, new_books = (
            self.previous.books_record(books_id) or {},
            self.before.books_record(books_id) or {},
        )
        crm = any(not same(crm_value(old_crm, c), crm_value(new_crm, c)) for _, c in field_map)
        books = any(not same(books_value(old_books, b), books_value(new_books, b)) for b, _ in field_map)
        return crm, books


def scope(shape: SyncShape, snapshot: Snapshot, in_view: Mapping[str, set[str]]) -> list[CrmRef]:
    """The CRM records that become Books records of their own (in the view at sync time), oldest
    first: the main module's, and with ``include_unassociated_contacts`` the contacts with no account."""
    main = shape.main_module
    refs = [(main, i) for i in snapshot.crm[main] if i in in_view.get(main, set())]
    if shape.with_persons and shape.unassociated:
        contacts = snapshot.crm["Contacts"]
        refs += [
            ("Contacts", i)
            for i, r in contacts.items()
            if not r.get("Account_Name") and i in in_view.get("Contacts", set())
        ]
    return sorted(refs, key=lambda ref: _crm_order(snapshot, ref))


def _crm_order(snapshot: Snapshot, ref: CrmRef) -> tuple[str, int]:
    record = snapshot.crm[ref[0]][ref[1]]
    return (str(record.get("Created_Time")), int(ref[1]))


def changed_since(previous: Snapshot | None, now: Snapshot) -> tuple[set[CrmRef], set[str]]:
    """Records created or changed between two snapshots (all of them when there is no previous)."""
    crm: set[CrmRef] = set()
    for module, table in now.crm.items():
        before = previous.crm.get(module, {}) if previous else {}
        crm |= {(module, i) for i, r in table.items() if before.get(i) != r}
    books: set[str] = set()
    for table, before_table in (
        (now.contacts, previous.contacts if previous else {}),
        (now.items, previous.items if previous else {}),
    ):
        books |= {i for i, r in table.items() if before_table.get(i) != r}
    return crm, books


def plan_run(
    *,
    index: int,
    shape: SyncShape,
    allow_duplicate_names: bool,
    obs: RunObservation,
    previous: Snapshot | None,
    pairs_before: Pairs,
    quiet: bool = False,
    edited: bool = False,
) -> Plan:
    before, after = obs.before, obs.after
    changed_crm, changed_books = changed_since(previous, before)
    pairs = Pairs(
        {ref: b for ref, b in pairs_before.main.items() if after.crm_record(*ref) and after.books_record(b)},
        dict(pairs_before.persons),
    )
    in_scope = scope(shape, before, obs.in_view)
    considered_crm = set(in_scope) if previous is None else {r for r in in_scope if r in changed_crm}
    kind_records = before.books(shape.kind)
    considered_books = set(kind_records) if previous is None else set(kind_records) & changed_books
    new_books = {
        i: books_key(r) for i, r in after.books(shape.kind).items() if before.books_record(i) is None
    }
    explained: set[str] = set()

    expectations: list[Expectation] = []
    claimed = pairs.books_ids()
    books_by_key = KeyIndex(kind_records)
    for ref in in_scope:
        if ref in pairs.main:
            continue
        expectation = _expect(
            shape, allow_duplicate_names, books_by_key, before.crm[ref[0]][ref[1]], ref, claimed
        )
        expectation.required = ref in considered_crm
        expectation.created = [i for i, key in new_books.items() if expectation.key.matches(key)]
        explained.update(expectation.created)
        if expectation.action == "overwrite":
            # The contract's pair is the existing record; a syncer that wrote another duplicate (or
            # made a new record) is paired with what it wrote, so that OVERWRITE-REPLACES reports it.
            options = [*expectation.duplicates, *expectation.created]
            chosen = _closest(options, after, shape, ref)
            written = after.books_record(chosen) != before.books_record(chosen)
            agrees = not pair_disagreements(
                shape.map_for(ref[0]), before.crm[ref[0]][ref[1]], after.books_record(chosen) or {}
            )
            expectation.books_id = chosen if written or agrees else None
        elif expectation.action in ("create", "clone") and expectation.created:
            expectation.books_id = _closest(expectation.created, after, shape, ref)
        elif expectation.action == "unsure" and expectation.created:
            expectation.books_id = expectation.created[0]
        if expectation.books_id is not None:
            pairs.main[ref] = expectation.books_id
            claimed.add(expectation.books_id)
        expectations.append(expectation)

    unexplained = [i for i in new_books if i not in explained]
    for expectation in expectations:  # a record created under a wrong name: find it by its values
        if expectation.action in ("create", "clone") and not expectation.created and unexplained:
            module = expectation.crm[0]
            found = _best_match(
                shape.map_for(module), before.crm[module][expectation.crm[1]], unexplained, after
            )
            if found is not None:
                expectation.created, expectation.books_id = [found], found
                pairs.main[expectation.crm] = found
                unexplained.remove(found)
                explained.add(found)

    pushes = _pushes(shape, before, after, considered_books, claimed) if shape.both_ways else []
    if shape.both_ways and previous is not None:
        unchanged = set(before.books(shape.kind)) - considered_books
        for push in _pushes(
            shape, before, after, unchanged, claimed | {i for p in pushes for i in p.books_ids}
        ):
            push.required = False
            pushes.append(push)
    new_crm = [(m, i) for m, table in after.crm.items() for i in table if i not in before.crm.get(m, {})]
    taken_crm = {(p.target or "Contacts", c) for p in pushes for c in p.created}
    for push in pushes:  # a record pushed under a wrong name: find it by its values
        if push.created or push.blocked or push.target is None:
            continue
        module = push.target
        loose = [i for m, i in new_crm if m == module and (m, i) not in taken_crm]
        for member in push.books_ids:
            books = before.books_record(member) or {}
            found = _best_crm_match(shape.map_for(module), books, loose, module, after)
            if found is not None:
                push.created, push.pushed = [found], member
                taken_crm.add((module, found))
                break
    explained_crm: set[CrmRef] = set()
    for push in pushes:
        explained_crm.update((push.target or "Contacts", c) for c in push.created)
        if push.created and push.pushed and not push.blocked:
            pairs.main[(push.target or "Contacts", push.created[0])] = push.pushed

    placements = _placements(
        shape,
        before,
        after,
        obs.in_view,
        considered_crm_contacts(shape, before, obs.in_view, previous, changed_crm),
        pairs,
    )
    for placement in placements:
        if placement.person_id is not None:
            pairs.persons[placement.contact_id] = (placement.customer_id, placement.person_id)

    return Plan(
        index=index,
        shape=shape,
        allow_duplicate_names=allow_duplicate_names,
        obs=obs,
        previous=previous,
        pairs_before=pairs_before,
        pairs=pairs,
        considered_crm=considered_crm,
        considered_books=considered_books,
        changed_crm=changed_crm,
        changed_books=changed_books,
        expectations=expectations,
        pushes=pushes,
        placements=placements,
        unexplained_books=unexplained,
        unexplained_crm=[ref for ref in new_crm if ref not in explained_crm],
        quiet=quiet,
        edited=edited,
    )


class KeyIndex:
    """The Books records of one kind by match key and by display name, so that finding a CRM
    record's duplicates costs a lookup, not a scan (a paging world has thousands of each)."""

    def __init__(self, records: Mapping[str, Mapping[str, Any]]) -> None:
        self.records = records
        self.keys = {i: books_key(r) for i, r in records.items()}
        self.by_name: dict[str, list[str]] = {}
        self.by_sku: dict[str, list[str]] = {}
        self.by_display: dict[str, list[str]] = {}
        for i, key in self.keys.items():
            self.by_name.setdefault(key.name, []).append(i)
            if key.sku:
                self.by_sku.setdefault(key.sku, []).append(i)
            self.by_display.setdefault(str(records[i].get("contact_name")), []).append(i)

    def matching(self, key: Key) -> list[str]:
        """The ids whose key ``key.matches`` (``Key.matches``: the SKU when both have one, else the name)."""
        found = list(self.by_sku.get(key.sku, [])) if key.sku else []
        if key.name:
            found += [i for i in self.by_name.get(key.name, []) if not (key.sku and self.keys[i].sku)]
        return found


def _expect(
    shape: SyncShape,
    allow_dup: bool,
    before: KeyIndex,
    crm: Mapping[str, Any],
    ref: CrmRef,
    claimed: set[str],
) -> Expectation:
    """What the contract expects for the unpaired CRM record ``crm``, given the Books records of the
    sync's kind before the run (``before``)."""
    module = ref[0]
    key = crm_key(module, crm)
    name = str(crm_value(crm, SIDES[module].crm_name) or "")
    candidates = [before.records[i] for i in before.matching(key) if i not in claimed]
    duplicates = [books_id(r) for r in sorted(candidates, key=created_order)]
    expectation = Expectation(ref, key, name, duplicates, "create")
    if not duplicates:
        return expectation
    expectation.action = shape.mode
    exact = before.by_display.get(name, []) if shape.kind != "item" else []
    if shape.mode == "clone" and not allow_dup and exact:
        expectation.action = "clone-refused"  # Books answers 3062: the record fails, nothing changes
    elif shape.mode == "overwrite" and not allow_dup and any(i != duplicates[0] for i in exact):
        expectation.action = "unsure"  # the rename itself would hit 3062; the contract is silent
    return expectation


def _closest(candidates: list[str], after: Snapshot, shape: SyncShape, ref: CrmRef) -> str:
    """Of several new Books records with a key, the one that agrees best with the CRM record."""
    crm = after.crm_record(*ref) or {}
    field_map = shape.map_for(ref[0])
    return min(
        candidates,
        key=lambda i: (
            len(pair_disagreements(field_map, crm, after.books_record(i) or {})),
            candidates.index(i),
        ),
    )


def _best_match(
    field_map: list[Any], crm: Mapping[str, Any], candidates: list[str], after: Snapshot
) -> str | None:
    """The new Books record that agrees with ``crm`` on most mapped fields (and on at least one
    besides the name): a record the syncer made for it under a wrong name."""
    scored = []
    fields = len({b for b, _ in field_map})
    for candidate in candidates:
        wrong = len(pair_disagreements(field_map, crm, after.books_record(candidate) or {}))
        if wrong < fields - 1 or (fields == 1 and wrong == 0):
            scored.append((wrong, candidate))
    scored.sort()
    if not scored or (len(scored) > 1 and scored[0][0] == scored[1][0]):
        return None
    return scored[0][1]


def _best_crm_match(
    field_map: list[Any], books: Mapping[str, Any], candidates: list[str], module: str, after: Snapshot
) -> str | None:
    scored = []
    fields = len({b for b, _ in field_map})
    for candidate in candidates:
        wrong = len(pair_disagreements(field_map, after.crm[module][candidate], books))
        if wrong < fields - 1:
            scored.append((wrong, candidate))
    scored.sort()
    if not scored or (len(scored) > 1 and scored[0][0] == scored[1][0]):
        return None
    return scored[0][1]


def _pushes(
    shape: SyncShape, before: Snapshot, after: Snapshot, considered: set[str], claimed: set[str]
) -> list[Push]:
    groups: dict[tuple[str | None, str], list[str]] = {}
    for record_id, record in sorted(before.books(shape.kind).items(), key=lambda kv: created_order(kv[1])):
        if record_id in claimed or record_id not in considered:
            continue
        key = books_key(record)
        if not key.name:
            continue
        groups.setdefault((shape.push_target(record), key.name), []).append(record_id)
    pushes: list[Push] = []
    written: list[tuple[Push, Key]] = []  # each push and the key of the CRM record it makes
    for (target, _), members in groups.items():
        first = before.books_record(members[0]) or {}
        key = books_key(first)
        module = target or "Contacts"
        makes = push_key(module, shape.map_for(module), first)
        existing = [
            i
            for i, r in before.crm[module].items()
            if key.shares(other := crm_key(module, r)) or makes.shares(other)
        ]
        # A push earlier in the run whose CRM record would share this one's key blocks it as well.
        existing += [c for p, k in written if p.target == target and k.shares(makes) for c in p.created]
        created = [
            i
            for i, r in after.crm[module].items()
            if i not in before.crm[module] and key.shares(crm_key(module, r))
        ]
        push = Push(members, target, key, existing, created)
        written.append((push, makes))
        if created:
            crm = after.crm[module][created[0]]
            field_map = shape.map_for(module)
            push.pushed = min(
                members,
                key=lambda i: (
                    len(pair_disagreements(field_map, crm, after.books_record(i) or {})),
                    members.index(i),
                ),
            )
        pushes.append(push)
    return pushes


def considered_crm_contacts(
    shape: SyncShape,
    before: Snapshot,
    in_view: Mapping[str, set[str]],
    previous: Snapshot | None,
    changed_crm: set[CrmRef],
) -> list[str]:
    if not shape.with_persons:
        return []
    contacts = [i for i in before.crm["Contacts"] if i in in_view.get("Contacts", set())]
    if previous is not None:
        contacts = [i for i in contacts if ("Contacts", i) in changed_crm]
    return contacts


def _placements(
    shape: SyncShape,
    before: Snapshot,
    after: Snapshot,
    in_view: Mapping[str, set[str]],
    contacts: Iterable[str],
    pairs: Pairs,
) -> list[Placement]:
    placements = []
    taken = {person for _, person in pairs.persons.values()}
    for contact_id in sorted(contacts, key=lambda i: _crm_order(before, ("Contacts", i))):
        contact = before.crm["Contacts"][contact_id]
        account_id = contact.get("Account_Name")
        customer_id = pairs.main.get(("Accounts", str(account_id))) if account_id else None
        if customer_id is None:
            continue
        placement = Placement(contact_id, str(account_id), customer_id)
        known = pairs.persons.get(contact_id)
        customer = after.contacts.get(customer_id) or {}
        persons = customer.get("contact_persons") or []
        if (
            known is not None
            and known[0] == customer_id
            and any(p["contact_person_id"] == known[1] for p in persons)
        ):
            placement.person_id = known[1]
        else:
            had = {
                p["contact_person_id"]
                for p in (before.contacts.get(customer_id) or {}).get("contact_persons") or []
            }
            fresh = [p for p in persons if p["contact_person_id"] not in taken and person_matches(contact, p)]
            fresh.sort(key=lambda p: p["contact_person_id"] in had)  # a new person before an old one
            if fresh:
                placement.person_id = fresh[0]["contact_person_id"]
                taken.add(placement.person_id)
        placements.append(placement)
    return placements


def label_crm(snapshot: Snapshot, ref: CrmRef) -> str:
    record = snapshot.crm_record(*ref) or {}
    return f"CRM {ref[0]} {ref[1]} {crm_value(record, SIDES[ref[0]].crm_name)!r}"


def label_books(snapshot: Snapshot, record_id: str) -> str:
    record = snapshot.books_record(record_id)
    if record is None:
        return f"Books {record_id} (gone)"
    kind = "item" if "item_id" in record else f"{record.get('contact_type')}"
    return f"Books {kind} {record_id} {books_name(record)!r}"


def only(record: Mapping[str, Any] | None, keys: Iterable[str]) -> dict[str, Any] | None:
    if record is None:
        return None
    return {k: record.get(k) for k in keys}
