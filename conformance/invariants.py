"""One check per invariant id of the contract (``docs/contract.md``), on observable state only.

A single-run check takes the run's ``Plan`` (``oracle.py``: both sides before and after, the
run's requests, the CRM records in the view, and what the contract expects) and returns whether
the invariant had anything to check in this run, and the violations it found. Each check reports
its own id only, so a deliberately broken syncer is caught by the invariant it breaks.

FAULT-TOLERANT and RESUMABLE compare two worlds built from the same scenario (``compare_worlds``).
RUN-FAILED is not an invariant: it says a run raised or exited non-zero where the contract
expects a clean run (record-level errors such as Books' 3062 are not run failures).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from conformance.contract import (
    BOOKS_VOLATILE,
    CRM_MODULES,
    KINDS,
    SIDES,
    Key,
    Pair,
    books_key,
    books_value,
    crm_form,
    crm_key,
    crm_value,
    fold,
    multi_mapped,
    pair_disagreements,
    person_disagreements,
    person_matches,
    primary_person,
    same,
    strip_ids_and_times,
)
from conformance.observe import RecordDiff, RunObservation, Snapshot, Violation
from conformance.oracle import CrmRef, Plan, label_books, label_crm

Result = tuple[bool, list[Violation]]

INVARIANTS: dict[str, str] = {
    "SKIP-UNTOUCHED": "under skip, every pre-existing duplicate Books record is byte-identical after the "
    "sync, and no Books record is created with its key",
    "OVERWRITE-REPLACES": "under overwrite, the duplicate keeps its id, every mapped field equals the CRM "
    "value, unmapped fields are unchanged, and the count of records with that key is unchanged",
    "CLONE-ADDS": "under clone, the existing record is byte-identical, and exactly one new record per CRM "
    "duplicate is created",
    "FETCH-READ-ONLY": "under fetch_from_crm, no write request reaches the CRM API, and CRM state is "
    "unchanged",
    "VIEW-BOUNDED": "no Books record is created or updated from a CRM record outside the selected view",
    "MODULE-SHAPE": "accounts -> business customers; contacts -> individual customers with a primary "
    "person; "
    "accounts_and_contacts -> persons under their account's customer; unassociated contacts are synced "
    "exactly when the flag is set; vendors -> vendors; products -> items",
    "MAPPED-EQUAL": "after a sync, every synced pair agrees on every mapped field",
    "MULTIMAP-PRIORITY": "on push, a CRM field mapped from several Books fields takes the mandatory one, "
    "else the first mapped",
    "IDEMPOTENT": "a second sync with no changes sends no write request to either side",
    "INCREMENTAL": "a change made after a sync reaches the other side on the next sync, and records that "
    "did not change are not rewritten",
    "NO-DELETE": "no sync deletes a record on either side",
    "CONVERGE": "under both_ways, after the sync every linked pair agrees, whichever side changed",
    "NO-CRM-DUPLICATE": "both_ways never creates a CRM record whose match key an existing CRM record "
    "already has",
    "MODULE-ISOLATION": "a module sync writes nothing that belongs to another module sync",
    "FAULT-TOLERANT": "with transient faults injected, the final state equals the fault-free final state "
    "(ids and timestamps aside), with no duplicates and nothing lost",
    "RESUMABLE": "a run killed part-way, then run again, ends in the same state as one uninterrupted run",
    "EVENTUAL": "after notifications are dropped, duplicated or reordered, a long-running syncer converges "
    "within its poll interval of virtual time to the state it reaches when every notification arrives",
}
RUN_FAILED = "RUN-FAILED"
MAX_RECORDS = 6  # records shown per violation


def _v(invariant: str, plan: Plan, message: str, *records: RecordDiff) -> Violation:
    return Violation(invariant, message, list(records[:MAX_RECORDS]), run=plan.index)


def _books_diff(plan: Plan, books_id: str, expected: dict[str, Any] | None = None) -> RecordDiff:
    return RecordDiff(
        label_books(plan.before if plan.before.books_record(books_id) else plan.after, books_id),
        plan.before.books_record(books_id),
        plan.after.books_record(books_id),
        expected,
    )


def _crm_diff(plan: Plan, ref: CrmRef, expected: dict[str, Any] | None = None) -> RecordDiff:
    snapshot = plan.before if plan.before.crm_record(*ref) else plan.after
    return RecordDiff(
        label_crm(snapshot, ref), plan.before.crm_record(*ref), plan.after.crm_record(*ref), expected
    )


def _expected_books(field_map: Sequence[Pair], crm: Mapping[str, Any]) -> dict[str, Any]:
    from conformance.contract import books_form

    out: dict[str, Any] = {}
    for books_path, crm_field in field_map:
        out.setdefault(books_path, books_form(books_path, crm_value(crm, crm_field)))
    return out


def unmapped_changes(
    field_map: Sequence[Pair], before: Mapping[str, Any], after: Mapping[str, Any]
) -> dict[str, tuple[Any, Any]]:
    """The unmapped fields of a Books record that changed. Contact persons: every person stays,
    with its unmapped fields (which person is primary may change; the primary's mapped fields may)."""
    mapped = {b for b, _ in field_map}
    changes: dict[str, tuple[Any, Any]] = {}
    for key in sorted(set(before) | set(after)):
        if key in BOOKS_VOLATILE or key in mapped or key == "contact_persons":
            continue
        old, new = before.get(key), after.get(key)
        if isinstance(old, dict) or isinstance(new, dict):
            for sub in sorted(set(old or {}) | set(new or {})):
                if f"{key}.{sub}" not in mapped and (old or {}).get(sub) != (new or {}).get(sub):
                    changes[f"{key}.{sub}"] = ((old or {}).get(sub), (new or {}).get(sub))
        elif old != new:
            changes[key] = (old, new)
    person_mapped = {b.split(".", 1)[1] for b in mapped if b.startswith("primary_contact.")}
    old_primary = primary_person(before)
    now = {p.get("contact_person_id"): p for p in after.get("contact_persons") or []}
    for person in before.get("contact_persons") or []:
        person_id = person.get("contact_person_id")
        name = f"{person.get('first_name')} {person.get('last_name')}"
        kept = now.get(person_id)
        if kept is None:
            changes[f"contact_persons[{name}]"] = ("present", "removed")
            continue
        skip = {"is_primary_contact"}
        if old_primary is not None and old_primary.get("contact_person_id") == person_id:
            skip |= person_mapped
        for key in sorted(set(person) | set(kept)):
            if key not in skip and person.get(key) != kept.get(key):
                changes[f"contact_persons[{name}].{key}"] = (person.get(key), kept.get(key))
    return changes


def _count_with_key(snapshot: Snapshot, kind: str, key: Key) -> int:
    return sum(1 for r in snapshot.books(kind).values() if key.matches(books_key(r)))


# ---- section 3: duplicates ------------------------------------------------------------------------


def _written(plan: Plan, duplicates: Iterable[str], invariant: str, message: str) -> list[Violation]:
    """A violation for each of ``duplicates`` that the run changed."""
    return [
        _v(invariant, plan, message, _books_diff(plan, dup))
        for dup in duplicates
        if plan.after.books_record(dup) != plan.before.books_record(dup)
    ]


def skip_untouched(plan: Plan) -> Result:
    cases = [e for e in plan.expectations if e.action == "skip"]
    found: list[Violation] = []
    for case in cases:
        where = label_crm(plan.before, case.crm)
        found += _written(
            plan,
            case.duplicates,
            "SKIP-UNTOUCHED",
            f"{where} has a Books duplicate, which skip must leave byte-identical; it was written",
        )
        if case.created:
            found.append(
                _v(
                    "SKIP-UNTOUCHED",
                    plan,
                    f"{where} has a Books duplicate, so skip creates nothing; "
                    f"{len(case.created)} Books record(s) with its key {case.key} were created",
                    *(_books_diff(plan, i) for i in case.created),
                )
            )
    return bool(cases), found


def overwrite_replaces(plan: Plan) -> Result:
    cases = [e for e in plan.expectations if e.action == "overwrite"]
    found: list[Violation] = []
    for case in cases:
        where = label_crm(plan.before, case.crm)
        existing = case.existing
        assert existing is not None
        before, after = plan.before.books_record(existing), plan.after.books_record(existing)
        crm = plan.before.crm[case.crm[0]][case.crm[1]]
        field_map = plan.shape.map_for(case.crm[0])
        if after is None or before is None:
            found.append(
                _v(
                    "OVERWRITE-REPLACES",
                    plan,
                    f"{where}: the existing duplicate {existing} must keep its id, but it is gone",
                    _books_diff(plan, existing),
                )
            )
            continue
        if not case.required and after == before and not case.created:
            continue  # unchanged since the previous run: the syncer may leave it alone
        wrong = pair_disagreements(field_map, crm, after)
        if wrong:
            found.append(
                _v(
                    "OVERWRITE-REPLACES",
                    plan,
                    f"{where}: mapped fields of the existing duplicate did not take the CRM value: "
                    f"{sorted(wrong)}",
                    _books_diff(plan, existing, _expected_books(field_map, crm)),
                )
            )
        kept = unmapped_changes(field_map, before, after)
        if kept:
            found.append(
                _v(
                    "OVERWRITE-REPLACES",
                    plan,
                    f"{where}: unmapped fields of the existing duplicate changed: {sorted(kept)}",
                    _books_diff(plan, existing),
                )
            )
        if not case.required and after == before and not case.created:
            continue  # unchanged since the previous run: the syncer may leave it alone
        count_before = _count_with_key(plan.before, plan.kind, case.key)
        count_after = _count_with_key(plan.after, plan.kind, case.key)
        if count_before != count_after:
            found.append(
                _v(
                    "OVERWRITE-REPLACES",
                    plan,
                    f"{where}: {count_before} Books record(s) had the key "
                    f"{case.key} before the sync and {count_after} after",
                    *(_books_diff(plan, i) for i in case.created),
                )
            )
        for other in case.duplicates[1:]:
            if plan.after.books_record(other) != plan.before.books_record(other):
                found.append(
                    _v(
                        "OVERWRITE-REPLACES",
                        plan,
                        f"{where}: only the existing record (the earliest "
                        f"created, {existing}) is overwritten, but the later duplicate {other} was written",
                        _books_diff(plan, other),
                        _books_diff(plan, existing),
                    )
                )
    return bool(cases), found


def clone_adds(plan: Plan) -> Result:
    cases = [e for e in plan.expectations if e.action in ("clone", "clone-refused")]
    found: list[Violation] = []
    for case in cases:
        where = label_crm(plan.before, case.crm)
        found += _written(
            plan,
            case.duplicates,
            "CLONE-ADDS",
            f"{where}: clone must leave the existing duplicate byte-identical; it was written",
        )
        want = 1 if case.action == "clone" else 0
        if len(case.created) != want and (case.required or len(case.created) > want):
            why = (
                "exactly one new linked Books record"
                if want
                else "no new record: Books refuses the duplicate display name (3062), so the record fails"
            )
            found.append(
                _v(
                    "CLONE-ADDS",
                    plan,
                    f"{where}: clone makes {why}; {len(case.created)} were created",
                    *(_books_diff(plan, i) for i in case.created),
                )
            )
    return bool(cases), found


# ---- section 4 and the shape of what a sync makes ------------------------------------------------


def fetch_read_only(plan: Plan) -> Result:
    if plan.shape.both_ways:
        return False, []
    found: list[Violation] = []
    writes = plan.obs.writes("crm")
    if writes:
        found.append(
            _v(
                "FETCH-READ-ONLY",
                plan,
                f"{len(writes)} write request(s) reached CRM: " + "; ".join(w.label() for w in writes[:5]),
            )
        )
    changed = [
        (module, i)
        for module in CRM_MODULES
        for i in set(plan.before.crm[module]) | set(plan.after.crm[module])
        if plan.before.crm[module].get(i) != plan.after.crm[module].get(i)
    ]
    if changed:
        found.append(
            _v(
                "FETCH-READ-ONLY",
                plan,
                f"{len(changed)} CRM record(s) changed",
                *(_crm_diff(plan, ref) for ref in changed),
            )
        )
    return True, found


def _out_of_view(plan: Plan) -> list[CrmRef]:
    shape, before, in_view = plan.shape, plan.before, plan.obs.in_view
    main = shape.main_module
    refs = [(main, i) for i in before.crm[main] if i not in in_view.get(main, set())]
    if shape.with_persons and shape.unassociated:
        refs += [
            ("Contacts", i)
            for i, r in before.crm["Contacts"].items()
            if not r.get("Account_Name") and i not in in_view.get("Contacts", set())
        ]
    return refs


def _new_persons(plan: Plan) -> list[tuple[str, dict[str, Any]]]:
    out = []
    for customer_id, record in plan.after.books("customer").items():
        had = {
            p["contact_person_id"]
            for p in (plan.before.contacts.get(customer_id) or {}).get("contact_persons") or []
        }
        out += [
            (customer_id, p) for p in record.get("contact_persons") or [] if p["contact_person_id"] not in had
        ]
    return out


def view_bounded(plan: Plan) -> Result:
    entry = plan.shape.entry
    if not entry.get("view") and not entry.get("contact_view"):
        return False, []
    found: list[Violation] = []
    outside = _out_of_view(plan)
    new_books = [i for i in plan.after.books(plan.kind) if plan.before.books_record(i) is None]
    paired = plan.pairs_before.main
    claimed = plan.pairs.books_ids()
    for ref in outside:
        record = plan.before.crm[ref[0]][ref[1]]
        key = crm_key(ref[0], record)
        where = label_crm(plan.before, ref)
        made = [i for i in new_books if key.matches(books_key(plan.after.books_record(i) or {}))]
        if made:
            found.append(
                _v(
                    "VIEW-BOUNDED",
                    plan,
                    f"{where} is outside the view, yet a Books record was created with its key",
                    *(_books_diff(plan, i) for i in made),
                )
            )
        books_id = paired.get(ref)
        touched: list[str] = []
        if books_id is not None and books_id not in plan.changed_books:
            touched.append(books_id)
        touched += [
            i
            for i, r in plan.before.books(plan.kind).items()
            if i not in claimed and i != books_id and key.matches(books_key(r))
        ]
        for books_id in touched:
            old, new = plan.before.books_record(books_id), plan.after.books_record(books_id)
            if plan.shape.with_persons and old and new:
                old = {k: v for k, v in old.items() if k not in ("contact_persons", "last_modified_time")}
                new = {k: v for k, v in new.items() if k not in ("contact_persons", "last_modified_time")}
            if old != new:
                found.append(
                    _v(
                        "VIEW-BOUNDED",
                        plan,
                        f"{where} is outside the view, yet a Books record with its key was updated",
                        _books_diff(plan, books_id),
                    )
                )
    if plan.shape.with_persons:
        in_view = plan.obs.in_view
        accounts_in = in_view.get("Accounts", set())
        for contact_id, contact in plan.before.crm["Contacts"].items():
            account = contact.get("Account_Name")
            if not account:
                continue
            if contact_id in in_view.get("Contacts", set()) and account in accounts_in:
                continue
            placed = [(c, p) for c, p in _new_persons(plan) if person_matches(contact, p)]
            if placed:
                why = (
                    "outside the contact view"
                    if contact_id not in in_view.get("Contacts", set())
                    else ("of an account outside the view")
                )
                found.append(
                    _v(
                        "VIEW-BOUNDED",
                        plan,
                        f"{label_crm(plan.before, ('Contacts', contact_id))} is "
                        f"{why}, yet it became a contact person",
                        *(_books_diff(plan, c) for c, _ in placed),
                    )
                )
            outside.append(("Contacts", contact_id))
    return bool(outside), found


def module_shape(plan: Plan) -> Result:
    shape = plan.shape
    found: list[Violation] = []
    applicable = bool(plan.expectations or plan.pushes or plan.placements or plan.unexplained_books)
    for case in plan.expectations:
        where = label_crm(plan.before, case.crm)
        if case.action == "create" and not case.created and case.required:
            found.append(
                _v(
                    "MODULE-SHAPE",
                    plan,
                    f"{where} is in scope but no Books record was created for it",
                    _crm_diff(plan, case.crm),
                )
            )
        if case.action == "create" and len(case.created) > 1:
            found.append(
                _v(
                    "MODULE-SHAPE",
                    plan,
                    f"{where}: {len(case.created)} Books records were created for one CRM record",
                    *(_books_diff(plan, i) for i in case.created),
                )
            )
        if case.books_id is None:
            continue
        record = plan.after.books_record(case.books_id)
        if record is None:
            continue
        side = SIDES[case.crm[0]]
        new = plan.before.books_record(case.books_id) is None
        problems = []
        if side.kind == "item" and "item_id" not in record:
            problems.append("a product must become an item")
        if side.kind != "item" and record.get("contact_type") != side.kind:
            problems.append(f"contact_type is {record.get('contact_type')!r}, not {side.kind!r}")
        if new and side.sub_type and record.get("customer_sub_type") != side.sub_type:
            problems.append(
                f"customer_sub_type is {record.get('customer_sub_type')!r}, not {side.sub_type!r}"
            )
        # An overwritten record gets a person when the map gives its primary person a value.
        crm = plan.before.crm[case.crm[0]][case.crm[1]]
        person_values = [
            crm_value(crm, c) for b, c in shape.map_for(case.crm[0]) if b.startswith("primary_contact.")
        ]
        wants_person = new or any(v not in (None, "") for v in person_values)
        if side.crm_module == "Contacts" and wants_person and primary_person(record) is None:
            problems.append("a CRM contact must also become the customer's primary contact person")
        if problems:
            found.append(
                _v(
                    "MODULE-SHAPE",
                    plan,
                    f"{where} -> {label_books(plan.after, case.books_id)}: " + "; ".join(problems),
                    _books_diff(plan, case.books_id),
                )
            )
    out_keys = [crm_key(ref[0], plan.before.crm[ref[0]][ref[1]]) for ref in _out_of_view(plan)]
    for books_id in plan.unexplained_books:
        key = books_key(plan.after.books_record(books_id) or {})
        if any(k.matches(key) for k in out_keys):
            continue  # VIEW-BOUNDED's to report
        found.append(
            _v(
                "MODULE-SHAPE",
                plan,
                f"{label_books(plan.after, books_id)} was created, but no CRM "
                "record in the sync's scope asked for it",
                _books_diff(plan, books_id),
            )
        )
    for placement in plan.placements:
        if placement.person_id is None:
            ref = ("Contacts", placement.contact_id)
            found.append(
                _v(
                    "MODULE-SHAPE",
                    plan,
                    f"{label_crm(plan.before, ref)} belongs to a synced account, "
                    f"so it must be a contact person of {label_books(plan.after, placement.customer_id)}",
                    _crm_diff(plan, ref),
                    _books_diff(plan, placement.customer_id),
                )
            )
    if plan.previous is None:
        found += _primary_persons(plan)
    for push in plan.pushes:
        if push.target and not push.blocked and not push.created and push.required:
            found.append(
                _v(
                    "MODULE-SHAPE",
                    plan,
                    f"both ways: unlinked Books record(s) with key {push.key} must "
                    f"be created in CRM {push.target}; none was",
                    *(_books_diff(plan, i) for i in push.books_ids),
                )
            )
    for ref in plan.unexplained_crm:
        if ref[0] not in shape.crm_modules or not shape.both_ways:
            continue  # MODULE-ISOLATION's or FETCH-READ-ONLY's to report
        key = crm_key(ref[0], plan.after.crm[ref[0]][ref[1]])
        if any(key.shares(crm_key(ref[0], r)) for r in plan.before.crm[ref[0]].values()):
            continue  # NO-CRM-DUPLICATE's to report
        found.append(
            _v(
                "MODULE-SHAPE",
                plan,
                f"{label_crm(plan.after, ref)} was created in CRM, but no unlinked "
                "Books record of the sync's kind asked for it",
                _crm_diff(plan, ref),
            )
        )
    return applicable, found


def _primary_persons(plan: Plan) -> list[Violation]:
    """accounts_and_contacts: of a customer's placed contacts, the earliest-created is primary."""
    found = []
    by_customer: dict[str, list[Any]] = {}
    for placement in plan.placements:
        if placement.person_id is not None:
            by_customer.setdefault(placement.customer_id, []).append(placement)
    contacts = plan.before.crm["Contacts"]

    def created(p: Any) -> tuple[str, int]:
        return (str(contacts[p.contact_id].get("Created_Time")), int(p.contact_id))

    for customer_id, placements in by_customer.items():
        first = min(placements, key=created)
        primary = primary_person(plan.after.contacts.get(customer_id) or {})
        if primary is None or primary.get("contact_person_id") != first.person_id:
            found.append(
                _v(
                    "MODULE-SHAPE",
                    plan,
                    f"{label_crm(plan.before, ('Contacts', first.contact_id))} is the "
                    f"earliest-created contact of the account, so it must be the primary person of "
                    f"{label_books(plan.after, customer_id)}",
                    _books_diff(plan, customer_id),
                )
            )
    return found


def _pairs_to_compare(plan: Plan, *, everything: bool) -> list[tuple[CrmRef, str]]:
    """MAPPED-EQUAL: the pairs this run made (every pair, on the first run). CONVERGE (``everything``):
    every pair, but those whose CRM record has left the view (no longer updated, section 4). A pair
    carried from an earlier run that one side changed is INCREMENTAL's and CONVERGE's to judge."""
    in_view = plan.obs.in_view
    new = {ref for ref in plan.pairs.main if ref not in plan.pairs_before.main}
    out = []
    for ref, books_id in plan.pairs.main.items():
        in_scope = everything and ref[1] in in_view.get(ref[0], set())
        if ref in new or plan.previous is None or in_scope:
            out.append((ref, books_id))
    return out


def _disagreement(plan: Plan, invariant: str, ref: CrmRef, books_id: str, why: str) -> Violation | None:
    crm = plan.after.crm_record(*ref)
    books = plan.after.books_record(books_id)
    if crm is None or books is None:
        return None
    field_map = plan.shape.map_for(ref[0])
    wrong = pair_disagreements(field_map, crm, books)
    if not wrong:
        return None
    return _v(
        invariant,
        plan,
        f"{label_crm(plan.after, ref)} <-> {label_books(plan.after, books_id)} {why}: "
        + ", ".join(f"{p}: Books {have!r}, CRM {want!r}" for p, (have, want) in wrong.items()),
        _books_diff(plan, books_id, _expected_books(field_map, crm)),
        _crm_diff(plan, ref),
    )


def _person_disagreements(plan: Plan, invariant: str, placements: Iterable[Any]) -> list[Violation]:
    found = []
    for placement in placements:
        if placement.person_id is None:
            continue
        contact = plan.after.crm["Contacts"].get(placement.contact_id)
        customer = plan.after.contacts.get(placement.customer_id) or {}
        person = next(
            (
                p
                for p in customer.get("contact_persons") or []
                if p["contact_person_id"] == placement.person_id
            ),
            None,
        )
        if contact is None or person is None:
            continue
        wrong = person_disagreements(plan.shape.person_map, contact, person)
        if wrong:
            found.append(
                _v(
                    invariant,
                    plan,
                    f"contact person {placement.person_id} of "
                    f"{label_books(plan.after, placement.customer_id)} disagrees with "
                    f"{label_crm(plan.after, ('Contacts', placement.contact_id))}: {wrong}",
                    _books_diff(plan, placement.customer_id),
                )
            )
    return found


def mapped_equal(plan: Plan) -> Result:
    overwritten = {e.crm for e in plan.expectations if e.action == "overwrite"}  # OVERWRITE-REPLACES's
    pairs = [(ref, b) for ref, b in _pairs_to_compare(plan, everything=False) if ref not in overwritten]
    found = [
        v for ref, b in pairs if (v := _disagreement(plan, "MAPPED-EQUAL", ref, b, "disagree after the sync"))
    ]
    placed = [
        p for p in plan.placements if plan.previous is None or p.contact_id not in plan.pairs_before.persons
    ]
    found += _person_disagreements(plan, "MAPPED-EQUAL", placed)
    return bool(pairs or placed), found


def _push_sources(plan: Plan) -> list[tuple[CrmRef, str]]:
    """(CRM record, the Books record whose values it was given) for every push the run had to make."""
    out = []
    for push in plan.pushes:
        if push.created and push.pushed:
            out.append(((push.target or "Contacts", push.created[0]), push.pushed))
    for ref, books_id in plan.pairs_before.main.items():
        if _winner(plan, ref) == "books" and plan.after.crm_record(*ref) != plan.before.crm_record(*ref):
            out.append((ref, books_id))  # a push that happened (one that did not is INCREMENTAL's)
    return out


def _winner(plan: Plan, ref: CrmRef) -> str | None:
    """For a carried pair: which side's values must both sides hold after this run (None: no change)."""
    crm_changed, books_changed = plan.side_changed(ref)
    if not (crm_changed or books_changed) or ref[1] not in plan.obs.in_view.get(ref[0], set()):
        return None
    if not plan.shape.both_ways:
        return "crm" if crm_changed else None
    if crm_changed and books_changed:
        crm = plan.before.crm_record(*ref) or {}
        books = plan.before.books_record(plan.pairs_before.main[ref]) or {}
        return "books" if _utc(books.get("last_modified_time")) > _utc(crm.get("Modified_Time")) else "crm"
    return "crm" if crm_changed else "books"


def _utc(text: Any) -> str:
    from datetime import UTC, datetime

    try:
        return datetime.fromisoformat(str(text)).astimezone(UTC).isoformat()
    except ValueError:
        return ""


def multimap_priority(plan: Plan) -> Result:
    if not plan.shape.both_ways:
        return False, []
    applicable, found = False, []
    for ref, books_id in _push_sources(plan):
        side = SIDES[ref[0]]
        chosen = multi_mapped(plan.shape.map_for(ref[0]), (side.books_name, side.crm_name))
        books = plan.before.books_record(books_id)
        crm = plan.after.crm_record(*ref)
        if not chosen or books is None or crm is None:
            continue
        applicable = True
        for crm_field, source in chosen.items():
            want = crm_form(crm_field, books_value(books, source))
            have = crm_value(crm, crm_field)
            if not same(have, want):
                found.append(
                    _v(
                        "MULTIMAP-PRIORITY",
                        plan,
                        f"{label_crm(plan.after, ref)}.{crm_field} is {have!r}; "
                        f"pushed from {label_books(plan.before, books_id)} it must take {source} = {want!r}",
                        _crm_diff(plan, ref, {crm_field: want}),
                        _books_diff(plan, books_id),
                    )
                )
    return applicable, found


# ---- section 5: runs ---------------------------------------------------------------------------


def idempotent(plan: Plan) -> Result:
    if not plan.quiet:
        return False, []
    writes = plan.obs.writes()
    # A record Books refused (3062: a clone under "no duplicate names") may be tried again, and is
    # refused again: that retry changes nothing, and the contract does not say a syncer must give up.
    refused = sum(1 for e in plan.expectations if e.action == "clone-refused")
    retries = [w for w in writes if w.method == "POST" and w.status >= 400][:refused]
    writes = [w for w in writes if w not in retries]
    if not writes:
        return True, []
    return True, [
        _v(
            "IDEMPOTENT",
            plan,
            f"nothing changed since the previous sync, yet {len(writes)} write "
            "request(s) were sent: " + "; ".join(w.label() for w in writes[:8]),
        )
    ]


def _crm_push_values(plan: Plan, ref: CrmRef, books: Mapping[str, Any]) -> dict[str, Any]:
    """What a pushed Books record gives its CRM record: each CRM field from its source (MULTIMAP);
    a contact's first and last names come from the name when ``Full_Name`` is mapped."""
    side = SIDES[ref[0]]
    field_map = plan.shape.map_for(ref[0])
    chosen = multi_mapped(field_map, (side.books_name, side.crm_name))
    want: dict[str, Any] = {}
    crm_fields = {c for _, c in field_map}
    for books_path, crm_field in field_map:
        if crm_field in want or (crm_field in ("First_Name", "Last_Name") and "Full_Name" in crm_fields):
            continue
        source = chosen.get(crm_field, books_path)
        want[crm_field] = crm_form(crm_field, books_value(books, source))
    return want


def _crm_misses(plan: Plan, ref: CrmRef, want: Mapping[str, Any]) -> dict[str, tuple[Any, Any]]:
    crm = plan.after.crm_record(*ref) or {}
    misses = {}
    for crm_field, value in want.items():
        have = crm_value(crm, crm_field)
        if crm_field == "Full_Name":
            have, value = " ".join(str(have or "").split()), " ".join(str(value or "").split())
        if not same(have, value):
            misses[crm_field] = (have, value)
    return misses


def incremental(plan: Plan) -> Result:
    if not plan.edited:
        return False, []
    found: list[Violation] = []
    for ref, books_id in plan.pairs_before.main.items():
        winner = _winner(plan, ref)
        crm_before, books_before = plan.before.crm_record(*ref), plan.before.books_record(books_id)
        books_after = plan.after.books_record(books_id)
        if winner is None or crm_before is None or books_before is None or books_after is None:
            continue
        if winner == "crm":
            wrong = pair_disagreements(plan.shape.map_for(ref[0]), crm_before, books_after)
            if wrong:
                found.append(
                    _v(
                        "INCREMENTAL",
                        plan,
                        f"a change to {label_crm(plan.before, ref)} did not reach "
                        f"{label_books(plan.after, books_id)}: {sorted(wrong)}",
                        _books_diff(plan, books_id, _expected_books(plan.shape.map_for(ref[0]), crm_before)),
                        _crm_diff(plan, ref),
                    )
                )
        else:
            want = _crm_push_values(plan, ref, books_before)
            misses = _crm_misses(plan, ref, want)
            if misses:
                found.append(
                    _v(
                        "INCREMENTAL",
                        plan,
                        f"a change to {label_books(plan.before, books_id)} did not "
                        f"reach {label_crm(plan.after, ref)}: {misses}",
                        _crm_diff(plan, ref, want),
                        _books_diff(plan, books_id),
                    )
                )
    carried = [p for p in plan.placements if p.contact_id in plan.pairs_before.persons]
    found += _person_disagreements(plan, "INCREMENTAL", carried)  # a changed contact reaches its person
    found += _rewritten(plan)
    return True, found


def _rewritten(plan: Plan) -> list[Violation]:
    """INCREMENTAL's second half: what did not change is not rewritten."""
    exempt_books = set(plan.changed_books) | set(plan.pairs.main.values()) - set(
        plan.pairs_before.main.values()
    )
    exempt_crm = set(plan.changed_crm)
    for ref, books_id in plan.pairs_before.main.items():
        if _winner(plan, ref) is not None or ref in plan.changed_crm or books_id in plan.changed_books:
            exempt_books.add(books_id)
            exempt_crm.add(ref)
    for case in plan.expectations:
        exempt_books.update(case.duplicates[:1] if case.action == "overwrite" and case.required else [])
        if case.action == "overwrite" and not case.required and (case.books_id or case.created):
            exempt_books.update(case.duplicates[:1])  # a syncer that re-read it may overwrite it now
    for push in plan.pushes:
        exempt_books.update(push.books_ids)
    exempt_books.update(p.customer_id for p in plan.placements)
    found = []
    writes = plan.obs.writes()
    for books_id, before in plan.before.books(plan.kind).items():
        if books_id in exempt_books:
            continue
        hits = [w for w in writes if w.service == "books" and w.books_target()[1] == books_id]
        if plan.after.books_record(books_id) != before or hits:
            found.append(
                _v(
                    "INCREMENTAL",
                    plan,
                    f"{label_books(plan.before, books_id)} did not change, nor did its "
                    "CRM record, yet it was rewritten" + _hits(hits),
                    _books_diff(plan, books_id),
                )
            )
    for module in plan.shape.crm_modules:
        for crm_id, before in plan.before.crm[module].items():
            if (module, crm_id) in exempt_crm:
                continue
            hits = [w for w in writes if w.service == "crm" and crm_id in w.crm_ids()]
            if plan.after.crm[module].get(crm_id) != before or hits:
                found.append(
                    _v(
                        "INCREMENTAL",
                        plan,
                        f"{label_crm(plan.before, (module, crm_id))} did not change, "
                        "nor did its Books record, yet it was rewritten" + _hits(hits),
                        _crm_diff(plan, (module, crm_id)),
                    )
                )
    return found


def _hits(hits: Sequence[Any]) -> str:
    return f" ({'; '.join(h.label() for h in hits[:3])})" if hits else ""


def no_delete(plan: Plan) -> Result:
    found: list[Violation] = []
    for module in CRM_MODULES:
        gone = [i for i in plan.before.crm[module] if i not in plan.after.crm[module]]
        if gone:
            found.append(
                _v(
                    "NO-DELETE",
                    plan,
                    f"{len(gone)} CRM {module} record(s) were deleted",
                    *(_crm_diff(plan, (module, i)) for i in gone),
                )
            )
    for table, later in ((plan.before.contacts, plan.after.contacts), (plan.before.items, plan.after.items)):
        gone = [i for i in table if i not in later]
        if gone:
            found.append(
                _v(
                    "NO-DELETE",
                    plan,
                    f"{len(gone)} Books record(s) were deleted",
                    *(_books_diff(plan, i) for i in gone),
                )
            )
    for contact_id, before in plan.before.contacts.items():
        after = plan.after.contacts.get(contact_id)
        if after is None:
            continue
        kept = {p["contact_person_id"] for p in after.get("contact_persons") or []}
        lost = [p for p in before.get("contact_persons") or [] if p["contact_person_id"] not in kept]
        if lost:
            names = ", ".join(f"{p.get('first_name')} {p.get('last_name')}" for p in lost)
            found.append(
                _v(
                    "NO-DELETE",
                    plan,
                    f"contact person(s) {names} of {label_books(plan.before, contact_id)} were deleted",
                    _books_diff(plan, contact_id),
                )
            )
    deletes = [w for w in plan.obs.writes() if w.method == "DELETE"]
    if deletes:
        found.append(
            _v("NO-DELETE", plan, "DELETE request(s) were sent: " + "; ".join(w.label() for w in deletes[:5]))
        )
    return True, found


def converge(plan: Plan) -> Result:
    if not plan.shape.both_ways or plan.previous is None or not plan.edited:
        return False, []
    pairs = _pairs_to_compare(plan, everything=True)
    found = [v for ref, b in pairs if (v := _disagreement(plan, "CONVERGE", ref, b, "still disagree"))]
    return bool(pairs), found


def no_crm_duplicate(plan: Plan) -> Result:
    if not plan.shape.both_ways:
        return False, []
    found: list[Violation] = []
    for module in CRM_MODULES:
        new = [(i, r) for i, r in plan.after.crm[module].items() if i not in plan.before.crm[module]]
        for n, (crm_id, record) in enumerate(new):
            key = crm_key(module, record)
            clash = [i for i, r in plan.before.crm[module].items() if key.shares(crm_key(module, r))]
            clash += [i for i, r in new[:n] if key.shares(crm_key(module, r))]
            if clash:
                found.append(
                    _v(
                        "NO-CRM-DUPLICATE",
                        plan,
                        f"{label_crm(plan.after, (module, crm_id))} was created, "
                        f"but CRM {module} {clash} already had its key {key}",
                        _crm_diff(plan, (module, crm_id)),
                        *(_crm_diff(plan, (module, i)) for i in clash),
                    )
                )
    return True, found


def module_isolation(plan: Plan) -> Result:
    shape = plan.shape
    found: list[Violation] = []
    for module in CRM_MODULES:
        if module in shape.crm_modules:
            continue
        before, after = plan.before.crm[module], plan.after.crm[module]
        changed = [i for i in set(before) | set(after) if before.get(i) != after.get(i)]
        writes = [w for w in plan.obs.writes("crm") if w.crm_module() == module]
        if changed or writes:
            found.append(
                _v(
                    "MODULE-ISOLATION",
                    plan,
                    f"a {shape.module} sync wrote CRM {module}" + _hits(writes),
                    *(_crm_diff(plan, (module, i)) for i in changed),
                )
            )
    for kind in KINDS:
        if kind == shape.kind:
            continue
        before, after = plan.before.books(kind), plan.after.books(kind)
        changed = [i for i in set(before) | set(after) if before.get(i) != after.get(i)]
        if changed:
            found.append(
                _v(
                    "MODULE-ISOLATION",
                    plan,
                    f"a {shape.module} sync wrote Books {kind} records",
                    *(_books_diff(plan, i) for i in changed),
                )
            )
    collection = "items" if shape.kind == "item" else "contacts"
    for write in plan.obs.writes("books"):
        target, record = write.books_target()
        other = target in ("items", "contacts") and target != collection
        if not other and record is not None and target == "contacts":
            existing = plan.before.contacts.get(record) or plan.after.contacts.get(record) or {}
            other = bool(existing) and existing.get("contact_type") != shape.kind
        if not other and target == "contacts" and record is None and isinstance(write.body, dict):
            other = write.body.get("contact_type", shape.kind) != shape.kind and write.method == "POST"
        if other:
            found.append(_v("MODULE-ISOLATION", plan, f"a {shape.module} sync sent {write.label()}"))
    return True, found


def run_failed(plan: Plan) -> Result:
    outcome = plan.obs.outcome
    if outcome.ok or outcome.killed:
        return True, []
    tolerated = any(e.action in ("clone-refused", "unsure") for e in plan.expectations)
    if tolerated:
        return True, []
    return True, [_v(RUN_FAILED, plan, f"the run failed: {outcome.error.strip()[:2000]}")]


SINGLE_RUN: dict[str, Callable[[Plan], Result]] = {
    "SKIP-UNTOUCHED": skip_untouched,
    "OVERWRITE-REPLACES": overwrite_replaces,
    "CLONE-ADDS": clone_adds,
    "FETCH-READ-ONLY": fetch_read_only,
    "VIEW-BOUNDED": view_bounded,
    "MODULE-SHAPE": module_shape,
    "MAPPED-EQUAL": mapped_equal,
    "MULTIMAP-PRIORITY": multimap_priority,
    "IDEMPOTENT": idempotent,
    "INCREMENTAL": incremental,
    "NO-DELETE": no_delete,
    "CONVERGE": converge,
    "NO-CRM-DUPLICATE": no_crm_duplicate,
    "MODULE-ISOLATION": module_isolation,
    RUN_FAILED: run_failed,
}


@dataclass
class CheckReport:
    """What the checks of one scenario found: violations, and which invariants had work to do."""

    violations: list[Violation] = field(default_factory=list)
    exercised: set[str] = field(default_factory=set)

    def add(self, invariant: str, result: Result) -> None:
        applicable, found = result
        if applicable:
            self.exercised.add(invariant)
        self.violations.extend(found)

    def failed(self, ignore: Iterable[str] = ()) -> list[Violation]:
        skip = set(ignore)
        return [v for v in self.violations if v.invariant not in skip]


def never_vouches(obs: RunObservation, *, failure_expected: bool = False) -> str | None:
    """Why a run vouches for no invariant: the syncer made no API call at all (it never started, or
    died before connecting), or it failed before its first write. A check would find nothing wrong
    with such a run, and "nothing wrong" would be a lie."""
    if not obs.requests and not obs.outcome.standing:
        return "the syncer made no API call in this run: it never started, or stopped before connecting"
    outcome = obs.outcome
    if not outcome.ok and not outcome.killed and not failure_expected and not obs.writes():
        return "the run failed before its first write"
    return None


def run_blocked(plan: Plan) -> str | None:
    tolerated = any(e.action in ("clone-refused", "unsure") for e in plan.expectations)
    return never_vouches(plan.obs, failure_expected=tolerated)


def check_run(plan: Plan, report: CheckReport, *, only: Iterable[str] | None = None) -> None:
    wanted = set(only) if only is not None else None
    blocked = run_blocked(plan)
    for invariant, check in SINGLE_RUN.items():
        if wanted is not None and invariant not in wanted:
            continue
        if blocked and invariant != RUN_FAILED:
            report.add(invariant, (True, [_v(invariant, plan, f"cannot pass: {blocked}")]))
        else:
            report.add(invariant, check(plan))


# ---- two worlds, one scenario ---------------------------------------------------------------------

_LOOKUPS = {
    "Contacts": {"Account_Name": "Accounts", "Vendor_Name": "Vendors", "Reporting_To": "Contacts"},
    "Products": {"Vendor_Name": "Vendors"},
    "Accounts": {"Parent_Account": "Accounts"},
}


def canonical(snapshot: Snapshot) -> dict[str, list[dict[str, Any]]]:
    """Both sides without ids and timestamps: lookups by the target's key, links as a flag, persons
    in a stable order."""
    out: dict[str, list[dict[str, Any]]] = {}
    for module in CRM_MODULES:
        rows = []
        for record in snapshot.crm[module].values():
            row = strip_ids_and_times(record)
            for name, target in _LOOKUPS.get(module, {}).items():
                if row.get(name):
                    linked = snapshot.crm[target].get(str(row[name]))
                    row[name] = fold(crm_value(linked, SIDES[target].crm_name)) if linked else "(missing)"
            rows.append(row)
        out[f"CRM {module}"] = rows
    for label, table in (("Books contacts", snapshot.contacts), ("Books items", snapshot.items)):
        rows = []
        for record in table.values():
            row = strip_ids_and_times(record)
            for link in BOOKS_VOLATILE - {"last_modified_time"}:
                if link in row:
                    row[link] = bool(row[link])
            if "contact_persons" in row:
                row["contact_persons"] = sorted(row["contact_persons"], key=_dumps)
            rows.append(row)
        out[label] = rows
    return out


def _dumps(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)


def _row_key(label: str, row: Mapping[str, Any]) -> str:
    if label.startswith("CRM "):
        return str(crm_key(label.removeprefix("CRM "), row))
    if label == "Books items":
        return str(Key(fold(row.get("name")), fold(row.get("sku"))))
    return f"{Key(fold(row.get('contact_name')))} {row.get('contact_type')}"


def compare_worlds(
    invariant: str, expected: Snapshot, actual: Snapshot, *, what: str, run: int = 0
) -> list[Violation]:
    """Records (ids and times aside) that one world has and the other has not."""
    found = []
    want, have = canonical(expected), canonical(actual)
    for label in want:
        left = sorted(_dumps(r) for r in want[label])
        right = sorted(_dumps(r) for r in have[label])
        if left == right:
            continue
        missing = [json.loads(r) for r in left if left.count(r) > right.count(r)]
        extra = [json.loads(r) for r in right if right.count(r) > left.count(r)]
        diffs: list[RecordDiff] = []
        by_key = {_row_key(label, r): r for r in extra}
        for row in _unique(missing):
            twin = by_key.pop(_row_key(label, row), None)
            diffs.append(RecordDiff(f"{label} {_row_key(label, row)}", row, twin))
        diffs += [RecordDiff(f"{label} {k} (extra)", None, r) for k, r in by_key.items()]
        counts = f"{len(want[label])} records expected, {len(have[label])} found"
        found.append(Violation(invariant, f"{label}: {what} ({counts})", diffs[:MAX_RECORDS], run=run))
    return found


def _unique(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    seen, out = set(), []
    for row in rows:
        text = _dumps(row)
        if text not in seen:
            seen.add(text)
            out.append(row)
    return out


def keys_overflow(expected: Snapshot, actual: Snapshot) -> list[tuple[str, str, int, int]]:
    """(collection, key, records expected, records found) for every key that has more records in
    ``actual`` than in ``expected``: a duplicate was made."""
    groups: list[tuple[str, Iterable[str], Iterable[str]]] = [
        (
            f"CRM {module}",
            (crm_key(module, r).name for r in expected.crm[module].values()),
            (crm_key(module, r).name for r in actual.crm[module].values()),
        )
        for module in CRM_MODULES
    ]
    groups += [
        (
            f"Books {kind}",
            (books_key(r).name for r in expected.books(kind).values()),
            (books_key(r).name for r in actual.books(kind).values()),
        )
        for kind in KINDS
    ]
    rows = []
    for label, want_keys, have_keys in groups:
        want, have = Counter(want_keys), Counter(have_keys)
        rows += [(label, key, want[key], n) for key, n in have.items() if n > want[key]]
    return rows
