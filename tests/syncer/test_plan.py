"""The plan stage alone: pure functions from records, links and the field map to steps, each with
its action, the contract rule it follows and the request it would make. No simulator, no I/O."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

import fieldmap
from syncer import plan
from syncer.plan import Action
from syncer.state import Indexed, Link

MAP = fieldmap.ACCOUNTS.default_map
FLAT = (fieldmap.FieldPair("contact_name", "Account_Name"), fieldmap.FieldPair("website", "Website"))
PERSON_MAP = fieldmap.PERSON_MAP

names = st.text(alphabet="abcdefgh XYZ", min_size=1, max_size=12).filter(str.strip)
websites = st.one_of(st.none(), st.text(alphabet="abc.", max_size=8))


@st.composite
def accounts(draw: st.DrawFn) -> dict[str, Any]:
    return {
        "id": str(draw(st.integers(1, 10**6))),
        "Account_Name": draw(names),
        "Website": draw(websites),
        "Phone": draw(st.one_of(st.none(), st.text(alphabet="0123456789", max_size=6))),
        "Billing_City": draw(st.one_of(st.none(), names)),
        "Modified_Time": "2026-01-01T10:00:00+00:00",
    }


@st.composite
def contacts(draw: st.DrawFn) -> list[dict[str, Any]]:
    count = draw(st.integers(1, 4))
    ids = draw(st.lists(st.integers(1, 10**6), min_size=count, max_size=count, unique=True))
    return [
        {
            "id": str(n),
            "First_Name": draw(names),
            "Last_Name": draw(names),
            "Email": draw(st.one_of(st.none(), st.just(f"{n}@example.com"))),
            "Created_Time": f"2026-01-01T10:00:{k:02d}+00:00",
        }
        for k, n in enumerate(ids)
    ]


def _applied(body: dict[str, Any], books_id: str = "900") -> dict[str, Any]:
    """The Books record a create body makes (the ids Books would give)."""
    record = {**copy.deepcopy(body), "contact_id": books_id, "last_modified_time": "2026-01-01T11:00:00+0000"}
    for n, person in enumerate(record.get("contact_persons") or []):
        person["contact_person_id"] = f"{books_id}{n}"
    return record


def _agreed_link(record: dict[str, Any], books: dict[str, Any], field_map: Any = MAP) -> Link:
    agreed = {"crm": plan.crm_values(field_map, record), "books": plan.books_values(field_map, books)}
    return Link(
        "Accounts", record["id"], books["contact_id"], None, agreed, books, books["last_modified_time"]
    )


def _unlinked(
    record: dict[str, Any], mode: str, duplicate: Indexed | None, existing: Any = None
) -> plan.Step:
    return plan.plan_unlinked(
        spec=fieldmap.ACCOUNTS,
        field_map=MAP,
        record=record,
        mode=mode,
        duplicate=duplicate,
        existing=existing,
    )


# ---- unlinked records: the duplicate modes ----------------------------------------------------


@given(accounts())
def test_a_record_with_no_duplicate_is_created_whatever_the_mode(record: dict[str, Any]) -> None:
    for mode in ("skip", "overwrite", "clone"):
        step = _unlinked(record, mode, None)
        assert (step.action, step.rule, str(step.request)) == (
            Action.CREATED,
            "MODULE-SHAPE",
            "POST /books/v3/contacts",
        )
        assert step.request is not None and step.request.body is not None
        assert step.request.body["contact_name"] == record["Account_Name"]
        assert step.request.body["customer_sub_type"] == "business"


@given(accounts())
def test_a_duplicate_is_skipped_cloned_or_overwritten_by_its_rule(record: dict[str, Any]) -> None:
    duplicate = Indexed("77", fieldmap.match_key(record["Account_Name"]), "")
    existing = {"contact_id": "77", "contact_name": record["Account_Name"], "website": "old.example"}

    skip = _unlinked(record, "skip", duplicate)
    assert (skip.action, skip.rule, skip.request, skip.books_id) == (
        Action.SKIPPED,
        "SKIP-UNTOUCHED",
        None,
        "77",
    )
    assert "name" in skip.note
    clone = _unlinked(record, "clone", duplicate)
    assert (clone.action, clone.rule, str(clone.request)) == (
        Action.CLONED,
        "CLONE-ADDS",
        "POST /books/v3/contacts",
    )
    over = _unlinked(record, "overwrite", duplicate, existing)
    assert (over.action, over.rule, over.books_id) == (Action.OVERWRITTEN, "OVERWRITE-REPLACES", "77")
    assert over.request is not None and str(over.request) == "PUT /books/v3/contacts/77"
    assert "contact_name" not in (over.request.body or {}), "only the fields that differ are sent"


def test_a_duplicate_found_by_sku_says_so() -> None:
    record = {"id": "5", "Product_Name": "Bolt", "Product_Code": "B-1"}
    step = plan.plan_unlinked(
        spec=fieldmap.PRODUCTS,
        field_map=fieldmap.PRODUCTS.default_map,
        record=record,
        mode="skip",
        duplicate=Indexed("8", "screw", "b-1"),
        existing=None,
    )
    assert step.note.startswith("a Books record has its SKU")


# ---- linked pairs ------------------------------------------------------------------------------


@given(accounts())
def test_a_plan_for_an_unchanged_world_after_a_run_is_empty(record: dict[str, Any]) -> None:
    created = _unlinked(record, "clone", None)
    assert created.request is not None and created.request.body is not None
    books = _applied(dict(created.request.body))
    for extent in ("fetch_from_crm", "both_ways"):
        step = plan.plan_linked(
            spec=fieldmap.ACCOUNTS,
            field_map=MAP,
            extent=extent,
            record=record,
            link=_agreed_link(record, books),
            current=books,
            books_changed=False,
        )
        assert (step.action, step.request, step.rule) == (Action.UNCHANGED, None, "IDEMPOTENT")


@given(accounts(), websites)
def test_a_crm_change_is_one_put_of_what_differs(record: dict[str, Any], website: str | None) -> None:
    books = _applied(mapping_body(record))
    link = _agreed_link(record, books)
    changed = {**record, "Website": website}
    step = plan.plan_linked(
        spec=fieldmap.ACCOUNTS,
        field_map=MAP,
        extent="fetch_from_crm",
        record=changed,
        link=link,
        current=books,
        books_changed=False,
    )
    if fieldmap.same(website or "", record["Website"] or ""):
        assert step.request is None
    else:
        assert (step.action, step.rule) == (Action.UPDATED, "INCREMENTAL")
        assert step.request is not None and step.request.body == {"website": website or ""}


def test_both_ways_pushes_when_books_changed_last() -> None:
    record = {"id": "1", "Account_Name": "Acme", "Website": "a", "Modified_Time": "2026-01-01T10:00:00+00:00"}
    books = _applied(mapping_body(record))
    link = _agreed_link(record, books)
    later = {**books, "website": "b", "last_modified_time": "2026-01-02T10:00:00+0000"}
    step = plan.plan_linked(
        spec=fieldmap.ACCOUNTS,
        field_map=MAP,
        extent="both_ways",
        record=record,
        link=link,
        current=later,
        books_changed=True,
    )
    assert (step.action, step.rule, step.request) == (Action.PUSHED, "CONVERGE", None)


def mapping_body(record: dict[str, Any]) -> dict[str, Any]:
    return fieldmap.books_body(fieldmap.ACCOUNTS, fieldmap.to_books(MAP, record))


@given(accounts())
def test_planning_twice_is_the_same_plan(record: dict[str, Any]) -> None:
    duplicate = Indexed("77", fieldmap.match_key(record["Account_Name"]), "")
    existing = {"contact_id": "77", "contact_name": "x", "billing_address": {"city": "Old"}}
    for mode in ("skip", "overwrite", "clone"):
        first = _unlinked(record, mode, duplicate, copy.deepcopy(existing))
        second = _unlinked(record, mode, duplicate, copy.deepcopy(existing))
        assert first.to_json() == second.to_json()


# ---- contact persons ---------------------------------------------------------------------------


@given(contacts())
def test_new_persons_make_the_earliest_created_contact_primary(people: list[dict[str, Any]]) -> None:
    persons = plan.new_persons(PERSON_MAP, reversed(people))
    assert [p["is_primary_contact"] for p in persons] == [True] + [False] * (len(people) - 1)
    assert persons[0]["last_name"] == people[0]["Last_Name"]


@given(contacts())
def test_placing_persons_on_a_customer_that_has_them_changes_nothing(people: list[dict[str, Any]]) -> None:
    customer = _applied({"contact_name": "Acme", "contact_persons": plan.new_persons(PERSON_MAP, people)})
    linked = {
        c["id"]: Link(
            "ContactPersons",
            c["id"],
            "900",
            p["contact_person_id"],
            {"created": plan.utc(c["Created_Time"])},
            None,
            None,
        )
        for c, p in zip(people, customer["contact_persons"], strict=True)
    }
    persons = plan.place_persons(customer=customer, contacts=people, linked=linked, person_map=PERSON_MAP)
    assert not persons.changed
    assert set(persons.actions.values()) == {Action.UNCHANGED}


@given(contacts())
def test_persons_ride_in_the_customers_own_put(people: list[dict[str, Any]]) -> None:
    record = {"id": "1", "Account_Name": "Acme", "Website": "new.example"}
    existing = {"contact_id": "77", "contact_name": "Acme", "website": "old", "contact_persons": []}
    step = _unlinked(record, "overwrite", Indexed("77", "acme", ""), existing)
    persons = plan.place_persons(customer=existing, contacts=people, linked={}, person_map=PERSON_MAP)
    merged = plan.with_persons(step, persons, spec=fieldmap.ACCOUNTS)
    assert merged.request is not None and str(merged.request) == "PUT /books/v3/contacts/77"
    body = merged.request.body or {}
    assert body["website"] == "new.example"
    assert len(body["contact_persons"]) == len(people)
    assert sum(p["is_primary_contact"] for p in body["contact_persons"]) == 1
    assert all("_crm_id" not in p for p in body["contact_persons"])
    assert set(persons.actions.values()) == {Action.CREATED}
