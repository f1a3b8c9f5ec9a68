"""Books' kept indexes answer exactly what a plain scan of the org answers, whatever wrote last.

A state machine drives one in-process simulator through every path that writes Books records:
the API (contacts, statuses, persons, addresses, items, upserts by a unique custom field), the
CRM-import endpoints, Books' own CRM integration (Sync Now), and the control plane (reset with
new sizes, import of an export, snapshot restore, duplicate names disallowed). After every step,
each index equals one built afresh from the records, and the lookups that use them (persons by
id, records by CRM id) agree with a scan. Drawn list queries, read through the indexes, equal the
same query answered by sorting and scanning the whole org.

Then, by count of records read (not by time): a selective list reads about its answer, not the org.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from simulator.books import queries
from simulator.books.indexes import CRM_LINKS, INDEXES, KeptIndex
from simulator.books.models import BooksOrg
from simulator.clock import Clock
from simulator.tenants import Sizes, seed_org_pair
from simulator.testing import build_simulator, in_process
from tests.support import ZohoClient

SIZES = {"accounts": 4, "contacts": 6, "vendors": 2, "products": 3, "books_overlap": 0.5, "books_extra": 1}
#: Few names, differing in case and spacing: duplicates come often.
NAMES = st.sampled_from(["Acme", "acme", "ACME", "Beta", "beta ", "Gamma"])
INTEGRATION = "/tenants/t1/books/crm-integration"
PAGING = st.sampled_from(
    [{}, {"per_page": "1"}, {"per_page": "2", "page": "2"}, {"per_page": "3", "page": "3"}]
)
CONTACT_QUERIES = st.fixed_dictionaries(
    {},
    optional={
        "filter_by": st.sampled_from(queries.CONTACT_FILTERS),
        "contact_type": st.sampled_from(["customer", "vendor"]),
        "contact_name": NAMES,
        "search_text": st.sampled_from(["a", "e"]),
        "sort_column": st.sampled_from(queries.CONTACT_SORT_COLUMNS),
        "sort_order": st.sampled_from(["A", "D"]),
    },
)
ITEM_QUERIES = st.fixed_dictionaries(
    {},
    optional={
        "filter_by": st.sampled_from(queries.ITEM_FILTERS),
        "name_contains": st.sampled_from(["a", "e"]),
        "sort_column": st.sampled_from(queries.ITEM_SORT_COLUMNS),
        "sort_order": st.sampled_from(["A", "D"]),
    },
)


def _ok(reply: Any, *allowed: int) -> None:
    assert reply.status_code in (allowed or (200, 201)), reply.text


class IndexesAgreeWithAScan(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        sim = build_simulator(seed=5)
        sim.create_tenant(sizes=Sizes(**SIZES))
        self.sim, self.running = sim, in_process(sim)
        http = self.running.__enter__().client()
        self.zoho = ZohoClient(mode="asgi", http=http, creds=http.get("/__zohosim/tenants/t1").json())
        self.snapshots = 0

    def teardown(self) -> None:
        self.running.__exit__(None, None, None)

    @property
    def org(self) -> BooksOrg:
        return self.sim.tenants["t1"].books

    def pick(self, table: dict[str, Any], index: int) -> str | None:
        ids = list(table)
        return ids[index % len(ids)] if ids else None

    def person(self, index: int) -> tuple[str, str] | None:
        people = [
            (c.contact_id, p.contact_person_id) for c in self.org.contacts.values() for p in c.contact_persons
        ]
        return people[index % len(people)] if people else None

    def crm_id(self, module: str, index: int) -> str:
        ids = list(self.sim.tenants["t1"].crm.records[module])
        return ids[index % len(ids)] if ids else "5000000000000000001"

    # -- the API -----------------------------------------------------------------------------

    @rule(name=NAMES, vendor=st.booleans(), portal=st.booleans(), persons=st.integers(0, 2))
    def create_contact(self, name: str, vendor: bool, portal: bool, persons: int) -> None:
        body: dict[str, Any] = {
            "contact_name": name,
            "contact_type": "vendor" if vendor else "customer",
            "is_portal_enabled": portal,
            "contact_persons": [
                {"first_name": f"{name}{n}", "email": f"p{n}@x.example"} for n in range(persons)
            ],
        }
        _ok(self.zoho.books("POST", "/contacts", json=body), 201, 400)  # 400: a duplicate name, if disallowed

    @rule(
        index=st.integers(0), name=st.none() | NAMES, vendor=st.none() | st.booleans(), portal=st.booleans()
    )
    def update_contact(self, index: int, name: str | None, vendor: bool | None, portal: bool) -> None:
        if (contact_id := self.pick(self.org.contacts, index)) is None:
            return
        body: dict[str, Any] = {"is_portal_enabled": portal}
        if name is not None:
            body["contact_name"] = name
        if vendor is not None:
            body["contact_type"] = "vendor" if vendor else "customer"
        _ok(self.zoho.books("PUT", f"/contacts/{contact_id}", json=body), 200, 400)

    @rule(index=st.integers(0), active=st.booleans())
    def set_contact_status(self, index: int, active: bool) -> None:
        if (contact_id := self.pick(self.org.contacts, index)) is not None:
            _ok(self.zoho.books("POST", f"/contacts/{contact_id}/{'active' if active else 'inactive'}"))

    @rule(index=st.integers(0))
    def delete_contact(self, index: int) -> None:
        if (contact_id := self.pick(self.org.contacts, index)) is not None:
            _ok(self.zoho.books("DELETE", f"/contacts/{contact_id}"))

    @rule(index=st.integers(0), name=NAMES, primary=st.booleans())
    def create_person(self, index: int, name: str, primary: bool) -> None:
        if (contact_id := self.pick(self.org.contacts, index)) is not None:
            body = {"contact_id": contact_id, "first_name": name, "is_primary_contact": primary}
            _ok(self.zoho.books("POST", "/contacts/contactpersons", json=body))

    @rule(index=st.integers(0), name=NAMES)
    def update_person(self, index: int, name: str) -> None:
        if (found := self.person(index)) is not None:
            contact_id, person_id = found
            body = {"contact_id": contact_id, "first_name": name}
            _ok(self.zoho.books("PUT", f"/contacts/contactpersons/{person_id}", json=body))

    @rule(index=st.integers(0), primary=st.booleans())
    def delete_or_promote_person(self, index: int, primary: bool) -> None:
        if (found := self.person(index)) is not None:
            path = f"/contacts/contactpersons/{found[1]}"
            _ok(self.zoho.books("POST", f"{path}/primary") if primary else self.zoho.books("DELETE", path))

    @rule(index=st.integers(0), name=NAMES)
    def replace_persons(self, index: int, name: str) -> None:
        """A contact update's ``contact_persons`` is a replace-set: persons come and go at once."""
        if (contact_id := self.pick(self.org.contacts, index)) is not None:
            kept = [
                {"contact_person_id": p.contact_person_id}
                for p in self.org.contacts[contact_id].contact_persons
            ]
            body = {"contact_persons": [*kept[1:], {"first_name": name}]}
            _ok(self.zoho.books("PUT", f"/contacts/{contact_id}", json=body))

    @rule(index=st.integers(0), city=NAMES)
    def add_address(self, index: int, city: str) -> None:
        if (contact_id := self.pick(self.org.contacts, index)) is not None:
            _ok(self.zoho.books("POST", f"/contacts/{contact_id}/address", json={"city": city}))

    @rule(code=st.sampled_from(["C-1", "C-2"]), name=NAMES)
    def upsert_contact(self, code: str, name: str) -> None:
        headers = {
            "X-Unique-Identifier-Key": "cf_customer_code",
            "X-Unique-Identifier-Value": code,
            "X-Upsert": "true",
        }
        body = {"contact_name": name, "custom_fields": [{"api_name": "cf_customer_code", "value": code}]}
        _ok(self.zoho.books("PUT", "/contacts", json=body, headers=headers), 200, 201, 400)

    @rule(name=NAMES, rate=st.sampled_from([1, 5]))
    def create_item(self, name: str, rate: int) -> None:
        _ok(self.zoho.books("POST", "/items", json={"name": name, "rate": rate}))

    @rule(index=st.integers(0), name=NAMES, active=st.none() | st.booleans())
    def change_item(self, index: int, name: str, active: bool | None) -> None:
        if (item_id := self.pick(self.org.items, index)) is None:
            return
        if active is None:
            _ok(self.zoho.books("PUT", f"/items/{item_id}", json={"name": name}))
        else:
            _ok(self.zoho.books("POST", f"/items/{item_id}/{'active' if active else 'inactive'}"))

    @rule(index=st.integers(0))
    def delete_item(self, index: int) -> None:
        if (item_id := self.pick(self.org.items, index)) is not None:
            _ok(self.zoho.books("DELETE", f"/items/{item_id}"))

    # -- CRM imports and the integration -----------------------------------------------------------

    @rule(
        kind=st.sampled_from(
            [("account", "Accounts"), ("contact", "Contacts"), ("vendor", "Vendors"), ("item", "Products")]
        ),
        index=st.integers(0),
    )
    def import_from_crm(self, kind: tuple[str, str], index: int) -> None:
        segment, module = kind
        crm_id = self.crm_id(module, index)
        _ok(self.zoho.books("POST", f"/crm/{segment}/{crm_id}/import"), 200, 201, 400)

    @rule(duplicates=st.sampled_from(["skip", "overwrite", "clone"]))
    def sync_now(self, duplicates: str) -> None:
        modules = {
            "customers": {"crm_source": "accounts_and_contacts", "duplicates": duplicates},
            "vendors": {"duplicates": duplicates},
            "items": {"duplicates": duplicates},
        }
        _ok(self.zoho.control("PUT", INTEGRATION, json={"connected": True, "modules": modules}))
        reply = self.zoho.control("POST", f"{INTEGRATION}/sync", json={"wait": True})
        _ok(reply)
        assert reply.json()["run"]["status"] == "finished", reply.json()

    # -- the control plane -----------------------------------------------------------------------

    @rule()
    def take_snapshot(self) -> None:
        self.snapshots += 1
        _ok(self.zoho.control("POST", "/tenants/t1/snapshots", json={"name": f"s{self.snapshots}"}))

    @precondition(lambda self: self.snapshots > 0)
    @rule()
    def restore_snapshot(self) -> None:
        _ok(self.zoho.control("POST", f"/tenants/t1/snapshots/s{self.snapshots}/restore"))

    @rule()
    def export_and_import(self) -> None:
        exported = self.zoho.control("GET", "/tenants/t1/export")
        _ok(self.zoho.control("POST", "/tenants/t1/import", content=exported.content))

    @rule(accounts=st.integers(2, 6))
    def reset_with_sizes(self, accounts: int) -> None:
        self.snapshots = 0
        sizes = SIZES | {"accounts": accounts}
        _ok(self.zoho.control("POST", "/tenants/t1/reset", json={"sizes": sizes}))

    @rule(allowed=st.booleans())
    def duplicate_names(self, allowed: bool) -> None:
        body = {"allow_duplicate_names": allowed}
        _ok(self.zoho.control("PUT", "/tenants/t1/books/settings", json=body))

    @rule(seconds=st.sampled_from([1, 3600]))
    def advance(self, seconds: int) -> None:
        _ok(self.zoho.control("POST", "/clock", json={"advance": seconds}))
        self.zoho.token(fresh=True)  # an hour on, the last access token has expired

    # -- reads -------------------------------------------------------------------------------------

    @rule(
        query=CONTACT_QUERIES, paging=PAGING, link=st.sampled_from([None, *CRM_LINKS]), index=st.integers(0)
    )
    def list_contacts(
        self, query: dict[str, str], paging: dict[str, str], link: str | None, index: int
    ) -> None:
        org, criteria = self.org, query | paging
        if link is not None:
            linked = sorted({getattr(c, link) for c in org.contacts.values()} - {""})
            values = [*linked, "5000000000000000999"]
            criteria[link] = values[index % len(values)]
        scanned = queries.contact_page(
            list(org.contacts.values()), criteria, time_zone=org.time_zone, edition=org.edition
        )
        assert org.list_contacts(criteria) == scanned, criteria

    @rule(query=ITEM_QUERIES, paging=PAGING)
    def list_items(self, query: dict[str, str], paging: dict[str, str]) -> None:
        org, criteria = self.org, query | paging
        scanned = queries.item_page(
            list(org.items.values()), criteria, time_zone=org.time_zone, edition=org.edition
        )
        assert org.list_items(criteria) == scanned, criteria

    @invariant()
    def indexes_equal_a_fresh_build(self) -> None:
        org = self.org
        for entity, table in (("contact", org.contacts), ("item", org.items)):
            for name, (keys, order) in INDEXES[entity].items():
                assert org.indexes.index(entity, name, table) == KeptIndex(keys, table, order=order), name

    @invariant()
    def lookups_agree_with_a_scan(self) -> None:
        org = self.org
        people = [(c.contact_id, p) for c in org.contacts.values() for p in c.contact_persons]
        for contact_id, person in people:
            assert org.find_contact_person(person.contact_person_id) == (org.contacts[contact_id], person)
        for paging in ({"per_page": "200"}, {"per_page": "2", "page": "2"}):
            assert org.list_all_contact_persons(paging) == queries.person_page(people, paging)
        for contact in org.contacts.values():
            for link in CRM_LINKS:
                if value := getattr(contact, link):
                    first = next(c for c in org.contacts.values() if getattr(c, link) == value)
                    assert org.linked_contact(link, value) is first
        for item in org.items.values():
            if item.zcrm_product_id:
                first = next(i for i in org.items.values() if i.zcrm_product_id == item.zcrm_product_id)
                assert org.linked_item(item.zcrm_product_id) is first


IndexesAgreeWithAScan.TestCase.settings = settings(max_examples=20, stateful_step_count=25, deadline=None)
TestIndexesAgreeWithAScan = IndexesAgreeWithAScan.TestCase


# -- what a selective list reads -------------------------------------------------------------------


class _CountingReads(dict):
    """A table that counts the records read out of it by id (what a list page costs)."""

    reads = 0

    def __getitem__(self, key: str) -> object:
        self.reads += 1
        return super().__getitem__(key)


@pytest.fixture(scope="module")
def big_org() -> Iterator[BooksOrg]:
    _, org = seed_org_pair(seed=5, sizes=Sizes(accounts=1000, contacts=1000), clock=Clock(frozen=True))
    org.contacts = _CountingReads(org.contacts)
    yield org


def _reads(org: BooksOrg, criteria: dict[str, str]) -> tuple[int, int]:
    """The records one list reads (its indexes and order already built), and the rows it answers."""
    org.list_contacts(criteria)
    assert isinstance(org.contacts, _CountingReads)
    org.contacts.reads = 0
    rows = len(org.list_contacts(criteria).rows)
    return org.contacts.reads, rows


def test_a_list_by_crm_id_reads_its_answer_not_the_org(big_org: BooksOrg) -> None:
    linked = [c for c in big_org.contacts.values() if not c.zcrm_account_id][-1]
    big_org.link_contact(linked.contact_id, zcrm_account_id="5000000000000000777")
    criteria = {
        "zcrm_account_id": "5000000000000000777",
        "sort_column": "created_time",
        "filter_by": "Status.All",
    }
    reads, rows = _reads(big_org, criteria)
    assert rows == 1 and reads <= 2, reads  # one row of the order, then the one candidate
    assert len(big_org.contacts) > 300


@pytest.mark.parametrize(
    "criteria",
    [
        {"filter_by": "Status.Duplicate", "sort_column": "last_modified_time", "sort_order": "D"},
        {"filter_by": "Status.Inactive"},
        {"filter_by": "Invoice.OverDue"},
        {"contact_type": "vendor", "filter_by": "Status.All", "sort_column": "email"},
        {"filter_by": "Status.All", "contact_name": "the name of a duplicate"},
    ],
)
def test_a_selective_list_reads_at_most_twice_its_matches(
    big_org: BooksOrg, criteria: dict[str, str]
) -> None:
    contacts = list(big_org.contacts.values())
    if "contact_name" in criteria:
        duplicates = queries.contact_page(
            contacts, {"filter_by": "Status.Duplicate"}, time_zone=big_org.time_zone
        )
        criteria = criteria | {"contact_name": duplicates.rows[0]["contact_name"].upper()}
    matching = len(queries.contact_page(contacts, criteria, time_zone=big_org.time_zone).rows)
    reads, rows = _reads(big_org, criteria)
    assert rows == matching < 200 and reads <= 2 * matching, (reads, matching)
    assert matching > 0 or criteria["filter_by"] == "Invoice.OverDue"
