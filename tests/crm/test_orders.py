"""Lazy, indexed lists return exactly what copying and sorting the whole module returned.

A state machine writes (insert, update, delete), moves the clock, and compares every order and
filter a list can ask for with a naive sort of all the records, read from scratch.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from simulator.clock import Clock
from simulator.crm.models import CrmOrg, Search
from simulator.crm.seed import seed_crm
from simulator.orders import Selection

START = datetime(2026, 1, 15, 9, 0, tzinfo=UTC)
FIELDS = ("id", "Created_Time", "Modified_Time", "Phone")  # Phone: a view may sort by any field
SORTS = [(name, order) for name in FIELDS for order in ("desc", "asc")]


def _naive(org: CrmOrg, sort_by: str, order: str, since: datetime | None) -> list[str]:
    """Sorted from scratch; a view's field sort puts records without a value last, in id order."""
    rows = [row for row in org.records["Accounts"].values() if since is None or row["Modified_Time"] > since]
    if sort_by == "id":
        rows.sort(key=lambda row: int(row["id"]), reverse=order == "desc")
        return [row["id"] for row in rows]
    present = [row for row in rows if row.get(sort_by) is not None]
    present.sort(key=lambda row: (_key(row[sort_by]), int(row["id"])), reverse=order == "desc")
    absent = sorted((row for row in rows if row.get(sort_by) is None), key=lambda row: int(row["id"]))
    return [row["id"] for row in present + absent]


def _key(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


class ListsAgreeWithASort(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.clock = Clock(start=START)
        self.org = seed_crm(seed=3, clock=self.clock, accounts=12, contacts=0, vendors=0, products=0)
        self.marks: list[datetime] = [START - timedelta(days=400)]
        for sort_by, order in SORTS[2:]:  # build the field orders before the writes, so they are kept
            self.org.list_records("Accounts", sort_by=sort_by, sort_order=order).page(0, 1)

    @rule(name=st.text(min_size=1, max_size=8))
    def insert(self, name: str) -> None:
        self.org.insert("Accounts", [{"Account_Name": name}])

    @rule(pick=st.integers(min_value=0), phone=st.text(max_size=6))
    def update(self, pick: int, phone: str) -> None:
        ids = list(self.org.records["Accounts"])
        if ids:
            self.org.update("Accounts", [{"id": ids[pick % len(ids)], "Phone": phone or None}])

    @rule(pick=st.integers(min_value=0))
    def delete(self, pick: int) -> None:
        ids = list(self.org.records["Accounts"])
        if ids:
            self.org.delete("Accounts", [ids[pick % len(ids)]])

    @rule(seconds=st.sampled_from([0, 1, 3600]))
    def advance(self, seconds: int) -> None:
        self.marks.append(self.clock.now())
        self.clock.advance(seconds)

    @invariant()
    def every_order_and_filter_agrees(self) -> None:
        for sort_by, order in SORTS:
            for since in (None, self.marks[-1], self.marks[0]):
                listed = self.org.list_records(
                    "Accounts", sort_by=sort_by, sort_order=order, modified_since=since
                )
                expected = _naive(self.org, sort_by, order, since)
                assert [row["id"] for row in listed] == expected
                assert len(listed) == len(expected) and bool(listed) == bool(expected)
                page, more = listed.page(1, 2)
                assert [row["id"] for row in page] == expected[1:3] and more == (len(expected) > 3)

    @invariant()
    def search_agrees(self) -> None:
        found = self.org.search("Accounts", Search(word="an"), sort_order="asc")
        expected = [i for i in _naive(self.org, "id", "asc", None)
                    if "an" in (self.org.records["Accounts"][i].get("Account_Name") or "").lower()
                    or "an" in (self.org.records["Accounts"][i].get("Phone") or "").lower()]
        assert set(expected) <= {row["id"] for row in found}


TestListsAgreeWithASort = ListsAgreeWithASort.TestCase


def test_a_selection_reads_only_as_far_as_its_page() -> None:
    read: list[int] = []

    def rows() -> Any:
        for n in range(10_000):
            read.append(n)
            yield {"id": str(n)}

    page, more = Selection(rows).page(20, 10)
    assert [row["id"] for row in page] == [str(n) for n in range(20, 30)] and more
    assert len(read) == 31
