"""The matrix: every module sync, extent and duplicate mode, from a seeded org, checked record by record
against SYNC-SEMANTICS.md (sections 1-4; invariant ids from section 6 in the assertion messages).

Each case runs one sync, then a second with no change in between. Some cases sync through a seeded
custom view (VIEW-BOUNDED), and some with a custom field map (a custom CRM field, addresses dropped).
The expected outcome is worked out here from the org as it was before the run, not from the syncer.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pytest

from fieldmap import SPECS, FieldPair, ModuleSpec
from syncer.plan import Action
from tests.syncer.conftest import (
    SyncRun,
    World,
    books_disagreements,
    books_field,
    books_id,
    books_keys,
    crm_field,
    crm_form,
    crm_keys,
    earliest_first,
    primary_person,
    push_source,
    same_key,
    shares_a_key,
)

SOURCES = {
    "accounts": {"module": "customers", "crm_source": "accounts"},
    "contacts": {"module": "customers", "crm_source": "contacts"},
    "accounts_and_contacts": {"module": "customers", "crm_source": "accounts_and_contacts"},
    "accounts_and_contacts+unassociated": {
        "module": "customers",
        "crm_source": "accounts_and_contacts",
        "include_unassociated_contacts": True,
    },
    "vendors": {"module": "vendors"},
    "items": {"module": "items"},
}
#: The seeded custom views each source syncs through, in the cases that use a view.
VIEWS = {
    "accounts": {"view": ("Accounts", "US Accounts")},
    "contacts": {"view": ("Contacts", "Contacts With Email")},
    "accounts_and_contacts": {
        "view": ("Accounts", "US Accounts"),
        "contact_view": ("Contacts", "Contacts With Email"),
    },
    "vendors": {"view": ("Vendors", "US Vendors")},
    "items": {"view": ("Products", "Active Products")},
}
VIEWS["accounts_and_contacts+unassociated"] = VIEWS["accounts_and_contacts"]
#: Custom maps: a custom CRM field (Customer_Tier, Preferred_Language, Payment_Terms), addresses dropped.
ACCOUNTS_MAP = [
    ["contact_name", "Account_Name"],
    ["website", "Website"],
    ["notes", "Customer_Tier"],
    ["billing_address.city", "Billing_City"],
]
CONTACTS_MAP = [
    ["contact_name", "Full_Name"],
    ["primary_contact.email", "Email"],
    ["website", "Preferred_Language"],
]
MAPS: dict[str, dict[str, Any]] = {
    "accounts": {"field_map": ACCOUNTS_MAP},
    "contacts": {"field_map": CONTACTS_MAP},
    "accounts_and_contacts": {"field_map": ACCOUNTS_MAP},
    "accounts_and_contacts+unassociated": {"field_map": ACCOUNTS_MAP, "contact_map": CONTACTS_MAP},
    "vendors": {
        "field_map": [["contact_name", "Vendor_Name"], ["website", "Website"], ["notes", "Payment_Terms"]]
    },
    "items": {"field_map": [["name", "Product_Name"], ["rate", "Unit_Price"]]},
}
EXTENTS = ("fetch_from_crm", "both_ways")
MODES = ("clone", "overwrite", "skip")
WITH_VIEW = {("fetch_from_crm", "overwrite"), ("both_ways", "skip"), ("both_ways", "clone")}
WITH_MAP = {("fetch_from_crm", "clone"), ("both_ways", "overwrite"), ("both_ways", "skip")}
CASES = [(source, extent, mode) for source in SOURCES for extent in EXTENTS for mode in MODES]


@dataclass
class Main:
    """A CRM record the sync must bring to Books as a record of its own."""

    module: str
    record: dict[str, Any]
    spec: ModuleSpec
    field_map: tuple[FieldPair, ...]

    @property
    def id(self) -> str:
        return self.record["id"]

    @property
    def keys(self) -> tuple[str, str]:
        return crm_keys(self.module, self.record)


def entry_for(world: World, source: str, extent: str, mode: str) -> dict[str, Any]:
    entry: dict[str, Any] = {**SOURCES[source], "extent": extent, "duplicates": mode}
    if (extent, mode) in WITH_VIEW:
        for key, (module, name) in VIEWS[source].items():
            entry[key] = world.view(module, name)
    if (extent, mode) in WITH_MAP:
        entry.update(MAPS[source])
    return entry


@pytest.mark.parametrize(("source", "extent", "mode"), CASES, ids=["-".join(c) for c in CASES])
def test_one_sync_from_a_seeded_org(world: World, source: str, extent: str, mode: str) -> None:
    entry = entry_for(world, source, extent, mode)
    sync = world.config(entry).syncs[0]
    main_ids = _in_scope(world, sync)
    contact_ids = world.in_view("Contacts", sync.contact_view) if sync.with_persons else set()

    run = world.run(entry)

    assert not run.report.failed, run.report.failed
    mains = [Main(m, run.before.crm[m][i], spec, fmap) for m, spec, fmap, ids in main_ids for i in ids]
    Checker(run, mains, mode).check()
    if sync.with_persons:
        _check_persons(run, contact_ids)
    if extent == "fetch_from_crm":
        assert not run.writes("crm"), "FETCH-READ-ONLY: a write reached CRM"
        assert run.after.crm == run.before.crm, "FETCH-READ-ONLY: CRM state changed"
    else:
        _check_pushes(run, mains)
    kind = {"items": "item", "vendors": "vendor"}.get(sync.module, "customer")
    for other in {"customer", "vendor", "item"} - {kind}:
        assert run.after.books(other) == run.before.books(other), f"MODULE-ISOLATION: Books {other}s"
    targets = {m for m, *_ in main_ids} | ({"Contacts"} if sync.with_persons else set())
    for module in set(run.before.crm) - targets:
        assert run.after.crm[module] == run.before.crm[module], f"MODULE-ISOLATION: CRM {module}"
    _check_report(run)

    world.advance(60)
    again = world.run(entry)
    assert not again.writes(), f"IDEMPOTENT: {[(r.method, r.path) for r in again.writes()]}"
    assert again.after == again.before
    totals = again.report.totals()
    assert totals["unchanged"] + totals["skipped"] == len(again.report.rows), totals


def _in_scope(world: World, sync: Any) -> list[tuple[str, ModuleSpec, tuple[FieldPair, ...], set[str]]]:
    """Before the run: which CRM records become Books records of their own (MODULE-SHAPE, VIEW-BOUNDED)."""
    spec = sync.spec
    scope = [(spec.crm_module, spec, sync.field_map, world.in_view(spec.crm_module, sync.view))]
    if sync.with_persons and sync.include_unassociated_contacts:
        contacts = world.tenant.crm.records["Contacts"]
        loose = {
            i for i in world.in_view("Contacts", sync.contact_view) if not contacts[i].get("Account_Name")
        }
        scope.append(
            ("Contacts", SPECS["contacts"], sync.contact_map or SPECS["contacts"].default_map, loose)
        )
    return scope


class Checker:
    """CRM → Books, record by record (section 3) and the shape of what was made (section 1)."""

    def __init__(self, run: SyncRun, mains: list[Main], mode: str) -> None:
        self.run, self.mains, self.mode = run, mains, mode
        self.links = run.main_links()
        spec = run.sync.spec
        self.kind = {"items": "item", "vendors": "vendor"}.get(run.sync.module, "customer")
        self.existing = run.before.books(self.kind)
        self.new = {i: r for i, r in run.after.books(self.kind).items() if i not in self.existing}
        self.spec = spec
        self.pushed = {
            books for (module, crm_id), books in self.links.items() if crm_id not in run.before.crm[module]
        }
        self.linked_to: dict[str, str] = {}
        for main in mains:
            if (main.module, main.id) in self.links:
                self.linked_to[self.links[(main.module, main.id)]] = main.id

    def candidates(self, main: Main) -> list[Mapping[str, Any]]:
        return earliest_first(r for r in self.existing.values() if same_key(main.keys, books_keys(r)))

    def check(self) -> None:
        made_for: dict[str, str] = {}
        overwritten: dict[str, Main] = {}
        for main in self.mains:
            where = f"{main.module} {main.id} {crm_field(main.record, main.spec.crm_name)!r}"
            candidates = self.candidates(main)
            linked = self.links.get((main.module, main.id))
            if not candidates:
                assert linked in self.new, f"{where}: no duplicate, so a new linked Books record"
                made_for[linked] = main.id
            elif self.mode == "skip":
                assert linked is None, f"SKIP-UNTOUCHED: {where} must stay unlinked"
                for c in candidates:
                    assert self.run.after.books_record(books_id(c)) == c, f"SKIP-UNTOUCHED: {where}"
                made = [i for i, r in self.new.items() if same_key(main.keys, books_keys(r))]
                assert not made, f"SKIP-UNTOUCHED: {where}: a Books record was created with its key"
            elif self.mode == "clone":
                assert linked in self.new, f"CLONE-ADDS: {where} must be linked to a new record"
                made_for[linked] = main.id
                for c in candidates:
                    assert self.run.after.books_record(books_id(c)) == c, f"CLONE-ADDS: {where}"
                group = [m for m in self.mains if same_key(m.keys, main.keys)]
                made = [i for i, r in self.new.items() if same_key(main.keys, books_keys(r))]
                assert len(made) == len(group), f"CLONE-ADDS: {where}: one new record per CRM duplicate"
            else:
                ids = [books_id(c) for c in candidates]
                assert linked in ids, f"OVERWRITE-REPLACES: {where} must keep the existing record's id"
                earlier = ids[: ids.index(linked)]
                assert all(self.linked_to.get(i) not in (None, main.id) for i in earlier), (
                    f"OVERWRITE-REPLACES: {where}: the earliest-created (then smallest id) is the one"
                )
                overwritten[linked] = main
                after = [
                    r for r in self.run.after.books(self.kind).values() if same_key(main.keys, books_keys(r))
                ]
                assert len(after) == len(candidates), f"OVERWRITE-REPLACES: {where}: the count with its key"
            if linked is not None:
                self._check_pair(main, linked)
        assert set(self.new) == set(made_for), "a Books record was created that no CRM record asked for"
        in_scope = {(m.module, m.id) for m in self.mains}
        for module, crm_id in self.links:
            pushed = crm_id not in self.run.before.crm[module]
            assert pushed or (module, crm_id) in in_scope, (
                f"MODULE-SHAPE / VIEW-BOUNDED: {module} {crm_id} linked"
            )
        for record_id, before in self.existing.items():
            after = self.run.after.books_record(record_id)
            assert after is not None, f"NO-DELETE: Books {record_id} was deleted"
            if record_id in overwritten:
                assert_unmapped_kept(overwritten[record_id].field_map, before, after, "OVERWRITE-REPLACES")
            elif record_id not in self.pushed:  # a pushed record is checked by _check_pushes
                assert after == before, (
                    f"Books {record_id} {before.get('contact_name', before.get('name'))!r} was written"
                )
        for module, records in self.run.before.crm.items():
            assert set(records) <= set(self.run.after.crm[module]), (
                f"NO-DELETE: a CRM {module} record is gone"
            )

    def _check_pair(self, main: Main, linked: str) -> None:
        """MAPPED-EQUAL and MODULE-SHAPE for a linked pair."""
        record = self.run.after.books_record(linked)
        crm = self.run.after.crm[main.module][main.id]
        assert record is not None
        wrong = books_disagreements(main.field_map, crm, record)
        assert not wrong, f"MAPPED-EQUAL: {main.module} {main.id} ↔ {linked}: {wrong}"
        spec = main.spec
        if spec.books_collection == "items":
            assert "item_id" in record, "MODULE-SHAPE: products → items"
            return
        assert record["contact_type"] == spec.contact_type, "MODULE-SHAPE: contact_type"
        if linked in self.new and spec.customer_sub_type:
            assert record["customer_sub_type"] == spec.customer_sub_type, "MODULE-SHAPE: customer_sub_type"
        if spec.key == "contacts":
            person = primary_person(record)
            assert person is not None, "MODULE-SHAPE: a CRM contact is also its customer's primary person"
            names = {p.books for p in main.field_map}
            if "primary_contact.first_name" in names:
                assert (person["first_name"], person["last_name"]) == (
                    crm.get("First_Name") or "",
                    crm.get("Last_Name") or "",
                )


def assert_unmapped_kept(
    field_map: tuple[FieldPair, ...], before: dict[str, Any], after: dict[str, Any], rule: str
) -> None:
    """Every unmapped field of a written Books record keeps its value (persons: all but the primary's
    mapped fields, and which one is primary)."""
    mapped = {pair.books for pair in field_map}
    volatile = {"last_modified_time", "contact_persons", "zcrm_account_id", "zcrm_contact_id"}
    volatile |= {"zcrm_vendor_id", "zcrm_product_id", "status" if "status" in mapped else ""}
    for key in set(before) | set(after):
        if key in volatile or key in mapped:
            continue
        if isinstance(before.get(key), dict):
            kept = {k: v for k, v in before[key].items() if f"{key}.{k}" not in mapped}
            now = {k: v for k, v in after[key].items() if f"{key}.{k}" not in mapped}
            assert kept == now, f"{rule}: unmapped {key} changed on {books_id(before)}"
        else:
            assert before.get(key) == after.get(key), (
                f"{rule}: unmapped {key!r} changed on {books_id(before)}"
            )
    if "contact_persons" in before:
        person_keys = {
            p.books.removeprefix("primary_contact.") for p in field_map if "primary_contact." in p.books
        }
        old_primary = primary_person(before)
        now = {p["contact_person_id"]: p for p in after["contact_persons"]}
        for person in before["contact_persons"]:
            kept = now.get(person["contact_person_id"])
            assert kept is not None, f"{rule}: an existing contact person was removed"
            skip = {"is_primary_contact"} | (person_keys if person is old_primary else set())
            assert {k: v for k, v in person.items() if k not in skip} == {
                k: v for k, v in kept.items() if k not in skip
            }, f"{rule}: an unmapped person field changed"


def _check_persons(run: SyncRun, contact_ids: set[str]) -> None:
    """accounts_and_contacts: each contact of a synced account is a person of that account's customer;
    the earliest-created is primary. No other contact becomes a person (VIEW-BOUNDED, MODULE-SHAPE)."""
    links = run.main_links()
    persons = run.person_links()
    contacts = run.before.crm["Contacts"]
    by_account: dict[str, list[dict[str, Any]]] = {}
    for contact_id in contact_ids:
        account = contacts[contact_id].get("Account_Name")
        if account:
            by_account.setdefault(account, []).append(contacts[contact_id])
    placed = set()
    for account_id, members in by_account.items():
        customer_id = links.get(("Accounts", account_id))
        if customer_id is None:
            continue
        customer = run.after.contacts[customer_id]
        by_person = {p["contact_person_id"]: p for p in customer["contact_persons"]}
        for contact in members:
            link = persons.get(contact["id"])
            assert link is not None and link.books_id == customer_id, f"contact {contact['id']} not placed"
            person = by_person[link.person_id]
            assert (person["first_name"], person["last_name"], person["email"]) == (
                contact.get("First_Name") or "",
                contact["Last_Name"],
                contact.get("Email") or "",
            ), "MAPPED-EQUAL: contact person"
            placed.add(contact["id"])
        first = min(members, key=lambda c: (datetime.fromisoformat(c["Created_Time"]), int(c["id"])))
        primary = primary_person(customer)
        assert primary is not None and primary["contact_person_id"] == persons[first["id"]].person_id, (
            "MODULE-SHAPE: the earliest-created contact is the primary person"
        )
        before = run.before.contacts.get(customer_id)
        had = len(before["contact_persons"]) if before else 0
        assert len(customer["contact_persons"]) == had + len(members), "one person per contact, no more"
    assert set(persons) == placed, "VIEW-BOUNDED: a contact outside the synced accounts became a person"


def _push_target(run: SyncRun, record: Mapping[str, Any]) -> str | None:
    """Where an unlinked Books record goes in CRM (section 4). With accounts_and_contacts and no
    unassociated contacts, an individual goes nowhere: it would be an unassociated contact."""
    sync = run.sync
    if sync.module == "vendors":
        return "Vendors"
    if sync.module == "items":
        return "Products"
    if sync.crm_source == "accounts":
        return "Accounts"
    if sync.crm_source == "contacts":
        return "Contacts"
    if record.get("customer_sub_type") == "individual":
        return "Contacts" if sync.include_unassociated_contacts else None
    return "Accounts"


def _check_pushes(run: SyncRun, mains: list[Main]) -> None:
    """both_ways: unlinked Books records go to the right CRM module, never as a CRM duplicate."""
    links = run.main_links()
    by_books = {books: key for key, books in links.items()}
    linked_from_crm = {links[(m.module, m.id)] for m in mains if (m.module, m.id) in links}
    kind = {"items": "item", "vendors": "vendor"}.get(run.sync.module, "customer")
    groups: dict[tuple[str, tuple[str, str]], list[str]] = {}
    for record_id, record in run.before.books(kind).items():
        if record_id in linked_from_crm:
            continue
        target = _push_target(run, record)
        keys = books_keys(record)
        where = f"Books {record_id} {keys[0]!r}"
        if target is None:
            assert record_id not in by_books, f"{where}: must not be pushed"
            continue
        taken = any(shares_a_key(keys, crm_keys(target, r)) for r in run.before.crm[target].values())
        if taken:
            assert record_id not in by_books, f"NO-CRM-DUPLICATE: {where} is a CRM duplicate"
            continue
        group = next((g for g in groups if g[0] == target and shares_a_key(g[1], keys)), (target, keys))
        groups.setdefault(group, []).append(record_id)
    spec_of = {"Accounts": SPECS["accounts"], "Contacts": SPECS["contacts"], "Vendors": SPECS["vendors"]}
    spec_of["Products"] = SPECS["products"]
    for (target, _), members in groups.items():
        pushed = [i for i in members if i in by_books]
        assert len(pushed) == 1, f"{target}: of {members} exactly one is pushed, got {pushed}"
        module, crm_id = by_books[pushed[0]]
        assert module == target and crm_id not in run.before.crm[target], "pushed as a new CRM record"
        before, books = run.before.books_record(pushed[0]), run.after.books_record(pushed[0])
        assert before is not None and books is not None
        spec = spec_of[target]
        field_map = (
            run.sync.field_map
            if spec.crm_module == run.sync.spec.crm_module
            else (run.sync.contact_map or spec.default_map)
        )
        assert_unmapped_kept(field_map, before, books, "a push")
        crm = run.after.crm[target][crm_id]
        crm_names = {p.crm for p in field_map}
        for crm_name in crm_names:
            if crm_name in ("First_Name", "Last_Name") and "Full_Name" in crm_names:
                continue  # made from the name (the mandatory field), checked as Full_Name
            source = push_source(field_map, crm_name, spec.mandatory)
            value = crm_form(crm_name, books_field(before, source))
            got = crm_field(crm, crm_name)
            if crm_name == "Full_Name":
                value, got = " ".join(str(value or "").split()), " ".join(got.split())
            assert got == value or (got in (None, "") and value in (None, "")), (
                f"MULTIMAP-PRIORITY: {target} {crm_id}.{crm_name} is {got!r}, from {source}: {value!r}"
            )
        assert not books_disagreements(field_map, crm, books), "MAPPED-EQUAL after a push"
    for module, records in run.after.crm.items():
        new = [r for i, r in records.items() if i not in run.before.crm[module]]
        for n, record in enumerate(new):
            keys = crm_keys(module, record)
            assert not any(shares_a_key(keys, crm_keys(module, r)) for r in run.before.crm[module].values())
            assert not any(shares_a_key(keys, crm_keys(module, r)) for r in new[n + 1 :]), "NO-CRM-DUPLICATE"
    made = {books: key for key, books in links.items() if key[1] not in run.before.crm[key[0]]}
    assert len(made) == sum(len(r) - len(run.before.crm[m]) for m, r in run.after.crm.items()), (
        "every CRM record created is linked to the Books record it came from"
    )


def _check_report(run: SyncRun) -> None:
    """Section 5: one row per record, ids on both sides."""
    rows = run.report.rows
    totals = run.report.totals()
    assert sum(totals.values()) == len(rows)
    for (module, crm_id), books in run.main_links().items():
        row = [r for r in rows if r.crm_id == crm_id and r.crm_module == module]
        assert len(row) == 1 and row[0].books_id == books, f"one report row per linked {module} {crm_id}"
        assert row[0].action in {Action.CREATED, Action.CLONED, Action.OVERWRITTEN, Action.PUSHED}
    assert totals["skipped"] == sum(1 for r in rows if r.action is Action.SKIPPED)
    assert {"crm", "books"} <= set(run.report.calls)
