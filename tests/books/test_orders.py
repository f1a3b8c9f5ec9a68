"""Books lists read from kept sort orders return exactly what sorting the whole org returned.

A state machine writes contacts, their persons and addresses, and items (create, change, status,
delete), moves the clock, and compares every sort column, order and status filter of a list, a
page at a time, with the same query sorted from scratch.
"""

from __future__ import annotations

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from simulator.books import addresses, queries
from simulator.clock import Clock
from simulator.tenants import Sizes, seed_org_pair

NAMES = st.text(alphabet="aAbB é", min_size=1, max_size=3).filter(str.strip)  # ties by case
PAGES = ({"per_page": "200"}, {"per_page": "3"}, {"per_page": "3", "page": "2"})
FILTERS = ("Status.Active", "Status.All", "Status.Inactive")


class ListsAgreeWithASort(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.clock = Clock(frozen=True)
        _, self.org = seed_org_pair(seed=5, sizes=Sizes(accounts=4, contacts=4), clock=self.clock)
        self.lists(build_only=True)  # build the kept orders before the writes, so they are kept

    def pick(self, table: dict, index: int) -> str | None:
        ids = list(table)
        return ids[index % len(ids)] if ids else None

    @rule(name=NAMES, vendor=st.booleans(), person=st.none() | NAMES)
    def create_contact(self, name: str, vendor: bool, person: str | None) -> None:
        body: dict = {"contact_name": name, "contact_type": "vendor" if vendor else "customer"}
        if person is not None:
            body["contact_persons"] = [{"first_name": person, "last_name": person[::-1], "email": person}]
        self.org.create_contact(body)

    @rule(index=st.integers(0), name=NAMES)
    def rename_contact(self, index: int, name: str) -> None:
        if (contact_id := self.pick(self.org.contacts, index)) is not None:
            self.org.update_contact(contact_id, {"contact_name": name})

    @rule(index=st.integers(0), active=st.booleans())
    def set_contact_status(self, index: int, active: bool) -> None:
        if (contact_id := self.pick(self.org.contacts, index)) is not None:
            self.org.set_contact_status(contact_id, active=active)

    @rule(index=st.integers(0), name=NAMES, primary=st.booleans())
    def add_person(self, index: int, name: str, primary: bool) -> None:
        if (contact_id := self.pick(self.org.contacts, index)) is not None:
            body = {"contact_id": contact_id, "first_name": name, "email": name}
            body["is_primary_contact"] = primary
            self.org.create_contact_person(body)

    @rule(index=st.integers(0))
    def delete_primary_person(self, index: int) -> None:
        contact_id = self.pick(self.org.contacts, index)
        primary = contact_id and self.org.contacts[contact_id].primary_person
        if primary:
            self.org.delete_contact_person(primary.contact_person_id)

    @rule(index=st.integers(0), city=NAMES)
    def add_address(self, index: int, city: str) -> None:
        if (contact_id := self.pick(self.org.contacts, index)) is not None:
            addresses.add_address(self.org, contact_id, {"city": city})

    @rule(index=st.integers(0))
    def delete_contact(self, index: int) -> None:
        if (contact_id := self.pick(self.org.contacts, index)) is not None:
            self.org.delete_contact(contact_id)

    @rule(name=NAMES, rate=st.sampled_from([0, 1.5, 10, 99]))
    def create_item(self, name: str, rate: float) -> None:
        self.org.create_item({"name": name, "rate": rate})

    @rule(index=st.integers(0), name=st.none() | NAMES, rate=st.sampled_from([0, 2, 10]))
    def update_item(self, index: int, name: str | None, rate: float) -> None:
        if (item_id := self.pick(self.org.items, index)) is not None:
            self.org.update_item(item_id, {"rate": rate} | ({"name": name} if name else {}))

    @rule(index=st.integers(0), active=st.booleans())
    def set_item_status(self, index: int, active: bool) -> None:
        if (item_id := self.pick(self.org.items, index)) is not None:
            self.org.set_item_status(item_id, active=active)

    @rule(index=st.integers(0))
    def delete_item(self, index: int) -> None:
        if (item_id := self.pick(self.org.items, index)) is not None:
            self.org.delete_item(item_id)

    @rule(seconds=st.sampled_from([0, 1, 3600]))
    def advance(self, seconds: int) -> None:
        self.clock.advance(seconds)

    def lists(self, *, build_only: bool = False) -> None:
        org, zone = self.org, self.org.time_zone
        for column in queries.CONTACT_SORT_COLUMNS:
            for criteria in self.criteria(column):
                listed = org.list_contacts(criteria)
                if not build_only:
                    sorted_whole = queries.contact_page(org.contacts.values(), criteria, time_zone=zone)
                    assert listed == sorted_whole, criteria
        for column in queries.ITEM_SORT_COLUMNS:
            for criteria in self.criteria(column):
                listed = org.list_items(criteria)
                if not build_only:
                    assert listed == queries.item_page(org.items.values(), criteria, time_zone=zone), criteria

    def criteria(self, column: str) -> list[dict[str, str]]:
        return [
            {"sort_column": column, "sort_order": order, "filter_by": status, **paging}
            for order in ("A", "D")
            for status in FILTERS
            for paging in PAGES
        ]

    @invariant()
    def every_list_agrees(self) -> None:
        self.lists()


ListsAgreeWithASort.TestCase.settings = settings(max_examples=25, stateful_step_count=20, deadline=None)
TestListsAgreeWithASort = ListsAgreeWithASort.TestCase


class _CountingReads(dict):
    reads = 0

    def __getitem__(self, key: str) -> object:
        self.reads += 1
        return super().__getitem__(key)


def test_the_default_list_reads_only_as_far_as_its_page() -> None:
    _, org = seed_org_pair(seed=5, sizes=Sizes(accounts=100, contacts=100), clock=Clock(frozen=True))
    org.contacts = _CountingReads(org.contacts)
    org.list_contacts({})  # builds the kept order
    org.contacts.reads = 0
    page = org.list_contacts({"per_page": "3", "page": "2"})
    assert len(page.rows) == 3 and page.has_more_page
    assert len(org.contacts) > 50 and org.contacts.reads < 12  # 7 rows, and a few inactive ones
