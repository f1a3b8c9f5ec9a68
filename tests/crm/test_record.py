"""The compact CRM record (``record.py``) against the dict it replaced, and its cached rendering."""

from __future__ import annotations

import dataclasses
import functools
import gc
from datetime import UTC, datetime
from typing import Any

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from simulator.clock import Clock
from simulator.crm import render
from simulator.crm.metadata import MODULES
from simulator.crm.models import CrmOrg
from simulator.crm.record import DERIVED, CrmRecord, full_name
from simulator.crm.seed import seed_crm
from simulator.crm.versions import VERSIONS
from simulator.rendered import KeptRenderings
from tests.crm.expect import versioned
from tests.support import ZohoClient

START = datetime(2026, 1, 15, 9, 0, tzinfo=UTC)
CONTACT_FIELDS = (*(f.api_name for f in MODULES["Contacts"].fields), "id", "Tag")
VALUES = st.one_of(
    st.none(),
    st.text(max_size=8),
    st.integers(),
    st.booleans(),
    st.floats(allow_nan=False),
    st.lists(st.text(max_size=3), max_size=2),
)
#: One step applied to both forms: set a field (None removes it), delete it, pop it, or update.
STEPS = st.one_of(
    st.tuples(st.just("set"), st.sampled_from(CONTACT_FIELDS), VALUES),
    st.tuples(st.just("del"), st.sampled_from(CONTACT_FIELDS), st.none()),
    st.tuples(st.just("pop"), st.sampled_from(CONTACT_FIELDS), st.none()),
    st.tuples(
        st.just("update"), st.dictionaries(st.sampled_from(CONTACT_FIELDS), VALUES, max_size=4), st.none()
    ),
)


def _apply(target: Any, step: tuple[str, Any, Any], *, plain: bool) -> Any:
    """One step; on the plain dict, ``None`` means absent, as the model always stored it."""
    kind, key, value = step
    if kind == "set":
        if plain and value is None:
            target.pop(key, None)
        else:
            target[key] = value
        return None
    if kind == "update":
        for name, new in key.items():
            _apply(target, ("set", name, new), plain=plain)
        return None
    if kind == "pop":
        return target.pop(key, "absent")
    try:
        del target[key]
    except KeyError:
        return "missing"
    return None


@given(start=st.dictionaries(st.sampled_from(CONTACT_FIELDS), VALUES), steps=st.lists(STEPS, max_size=12))
def test_a_record_behaves_as_the_dict_of_its_present_fields(
    start: dict[str, Any], steps: list[tuple[str, Any, Any]]
) -> None:
    plain = {key: value for key, value in start.items() if value is not None}
    record = CrmRecord("Contacts", start)
    for step in steps:
        assert _apply(record, step, plain=False) == _apply(plain, step, plain=True)
        assert record == plain and plain == dict(record)
        assert len(record) == len(plain) and set(record) == set(plain)
        for name in CONTACT_FIELDS:
            assert (name in record) == (name in plain)
            assert record.get(name) == plain.get(name) and record.get(name, "d") == plain.get(name, "d")
    assert dict(CrmRecord("Contacts", record)) == plain  # round trip through a fresh record


#: Few names, so that a stored ``Full_Name`` often is, and often is not, the join of the other two.
NAME_PARTS = ("First_Name", "Last_Name", "Full_Name")
NAMES = st.sampled_from((None, "", "A", "B", "A B", "B A", " A"))
NAME_STEPS = st.one_of(
    st.tuples(st.just("set"), st.sampled_from(NAME_PARTS), NAMES),
    st.tuples(st.sampled_from(("del", "pop")), st.sampled_from(NAME_PARTS), st.none()),
    st.tuples(st.just("update"), st.dictionaries(st.sampled_from(NAME_PARTS), NAMES, max_size=3), st.none()),
)


@given(start=st.dictionaries(st.sampled_from(NAME_PARTS), NAMES), steps=st.lists(NAME_STEPS, max_size=12))
def test_a_derived_full_name_reads_as_the_value_it_stands_for(
    start: dict[str, Any], steps: list[tuple[str, Any, Any]]
) -> None:
    plain = {"id": "1"} | {key: value for key, value in start.items() if value is not None}
    record = CrmRecord("Contacts", {"id": "1", **start})
    for step in steps:
        assert _apply(record, step, plain=False) == _apply(plain, step, plain=True)
        assert record == plain and dict(record.items()) == plain
        assert record.get("Full_Name") == plain.get("Full_Name")
        # The name takes no string of its own exactly when it is the join of the other two.
        derived = "Full_Name" in plain and plain["Full_Name"] == full_name(plain)
        assert (DERIVED in record.cells) == derived
    contacts = MODULES["Contacts"]
    fields = [contacts.by_name[name] for name in NAME_PARTS]
    page = render.records_json(_tiny_org(), contacts, [record], fields)
    assert page == orjson.dumps(render.records(_tiny_org(), contacts, [CrmRecord("Contacts", plain)], fields))
    assert orjson.loads(page)[0]["Full_Name"] == plain.get("Full_Name")


def test_a_derived_name_leaves_the_value_tuple_to_the_gc_as_plain_values() -> None:
    """The collector stops tracking a tuple of plain values; the marker must not keep it tracked
    (a seeded million would keep 740,000 more objects in every full collection)."""
    record = CrmRecord("Contacts", {"id": "1", "First_Name": "A", "Last_Name": "B", "Full_Name": "A B"})
    gc.collect()
    assert DERIVED in record.cells and not gc.is_tracked(record.cells)


@functools.cache
def _tiny_org() -> CrmOrg:
    return seed_crm(seed=3, clock=Clock(start=START), accounts=1, contacts=1, vendors=0, products=0)


def test_absent_fields_are_not_stored_and_unknown_names_are_refused() -> None:
    record = CrmRecord("Accounts", {"id": "1", "Account_Name": "Acme", "Phone": None})
    assert dict(record) == {"id": "1", "Account_Name": "Acme"}
    assert "Phone" not in record and record.get("Phone") is None and record.get("Nope") is None
    with pytest.raises(KeyError):
        record["Phone"]
    with pytest.raises(KeyError):
        record["First_Name"] = "a Contacts field"
    assert list(record) == ["id", "Account_Name"]  # id first, then the module's field order
    assert record != {"id": "1"} and record == {"Account_Name": "Acme", "id": "1"}


@pytest.fixture
def org() -> CrmOrg:
    return seed_crm(seed=3, clock=Clock(start=START), accounts=8, contacts=20, vendors=2, products=3)


def test_the_state_export_restores_records_of_the_same_class_and_values(org: CrmOrg) -> None:
    restored = CrmOrg.from_json(orjson.loads(orjson.dumps(org.to_json())), clock=org.clock)
    for module, table in org.records.items():
        assert restored.records[module] == table
        assert all(isinstance(row, CrmRecord) for row in restored.records[module].values())


def _page(org: CrmOrg, module: str, names: list[str] | None) -> tuple[bytes, list[dict[str, Any]]]:
    definition = MODULES[module]
    fields = None if names is None else [definition.by_name[name] for name in names]
    rows = list(org.records[module].values())
    return render.records_json(org, definition, rows, fields), render.records(org, definition, rows, fields)


@pytest.mark.parametrize(
    ("module", "names"),
    [
        ("Contacts", ["Full_Name", "Account_Name", "Owner", "Email", "Modified_Time", "Email_Opt_Out"]),
        ("Accounts", ["Owner"]),
        ("Accounts", ["Annual_Revenue", "Created_Time", "Description"]),
        ("Products", None),
    ],
)
def test_cached_json_rows_are_the_bytes_of_the_rendered_rows(
    org: CrmOrg, module: str, names: list[str] | None
) -> None:
    for _ in range(2):  # the second pass is served from the cache
        joined, rows = _page(org, module, names)
        assert joined == orjson.dumps(rows)


def test_a_write_a_rename_or_a_tag_shows_in_the_next_cached_page(org: CrmOrg) -> None:
    names = ["Full_Name", "Account_Name", "Phone", "Modified_Time"]
    _page(org, "Contacts", names)
    contact = next(row for row in org.records["Contacts"].values() if row.get("Account_Name"))
    org.update("Contacts", [{"id": contact["id"], "Phone": "+1 555 0100"}])
    org.update("Accounts", [{"id": contact["Account_Name"], "Account_Name": "Renamed Ltd"}])
    contact["Last_Name"] = "Direct"  # a write outside the model's API drops the cache too
    joined, rows = _page(org, "Contacts", names)
    assert joined == orjson.dumps(rows)
    shown = next(row for row in orjson.loads(joined) if row["id"] == contact["id"])
    assert shown["Phone"] == "+1 555 0100" and shown["Account_Name"]["name"] == "Renamed Ltd"
    assert shown["Full_Name"] == contact["Full_Name"]
    org.delete("Accounts", [contact["Account_Name"]])
    joined, rows = _page(org, "Contacts", names)
    assert joined == orjson.dumps(rows)
    assert next(row for row in orjson.loads(joined) if row["id"] == contact["id"])["Account_Name"] is None


def test_a_page_asked_again_is_kept_until_a_record_or_a_name_it_shows_changes(
    org: CrmOrg, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The last page of a field list is kept whole (``render._LastPage``): asked again unchanged,
    it is not joined again; a write to one of its records, a rename of an account it looks up
    or of an owner, shows at once."""
    names = ["Full_Name", "Account_Name", "Owner", "Phone"]
    monkeypatch.setattr(render, "_pages", {})
    first, _ = _page(org, "Contacts", names)
    [kept] = render._pages.values()
    joined_once = kept.rows
    again, rows = _page(org, "Contacts", names)
    assert again == first == orjson.dumps(rows)
    assert kept.rows is joined_once  # not joined again

    contact = next(row for row in org.records["Contacts"].values() if row.get("Account_Name"))
    account = org.records["Accounts"][contact["Account_Name"]]
    org.update("Accounts", [{"id": account["id"], "Account_Name": "Renamed Ltd"}])
    owner = org.users[contact["Owner"]]
    org.users[owner.id] = dataclasses.replace(owner, last_name="Renamed")
    joined, rows = _page(org, "Contacts", names)
    assert joined == orjson.dumps(rows)
    shown = next(row for row in orjson.loads(joined) if row["id"] == contact["id"])
    assert shown["Account_Name"]["name"] == "Renamed Ltd"
    assert shown["Owner"]["name"] == f"{owner.first_name} Renamed"

    contact["Phone"] = "+1 555 0199"  # a write outside the model's API replaces the value tuple too
    joined, rows = _page(org, "Contacts", names)
    assert joined == orjson.dumps(rows)
    assert next(row for row in orjson.loads(joined) if row["id"] == contact["id"])["Phone"] == "+1 555 0199"


def test_a_tuple_of_fields_is_planned_once_and_a_list_each_time(
    org: CrmOrg, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``params.fields`` hands out one tuple per list: its layout is kept by identity. A list may
    change in place, so it is planned afresh; both give the same bytes."""
    monkeypatch.setattr(render, "_plans", {})
    definition = MODULES["Contacts"]
    fields = tuple(definition.by_name[name] for name in ("Full_Name", "Owner", "Account_Name"))
    rows = list(org.records["Contacts"].values())
    kept = render.records_json(org, definition, rows, fields)
    assert [held for held, _ in render._plans.values()] == [fields]
    fresh = render.records_json(org, definition, rows, list(fields))
    assert kept == fresh == orjson.dumps(render.records(org, definition, rows, fields))
    assert len(render._plans) == 1


def test_the_cache_holds_a_bounded_number_of_renderings(org: CrmOrg, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(render, "_KEPT", KeptRenderings(5))
    _page(org, "Contacts", ["Email"])
    assert sum(row.rendered is not None for row in org.records["Contacts"].values()) == 5


@pytest.mark.parametrize("version", VERSIONS)
def test_an_update_then_a_list_returns_the_new_value_on_every_version(zoho: ZohoClient, version: str) -> None:
    params = {"fields": "Account_Name,Phone,Modified_Time", "per_page": 200}
    first = versioned(zoho, version, "GET", "/Accounts", params=params).json()["data"][0]
    versioned(zoho, version, "GET", "/Accounts", params=params)  # now cached
    reply = versioned(
        zoho, version, "PUT", "/Accounts", json={"data": [{"id": first["id"], "Phone": f"+1 555 {version}"}]}
    )
    assert reply.status_code == 200, reply.text
    shown = versioned(zoho, version, "GET", "/Accounts", params=params).json()["data"]
    assert next(row for row in shown if row["id"] == first["id"])["Phone"] == f"+1 555 {version}"
    found = versioned(
        zoho, version, "GET", "/Accounts/search", params={**params, "word": first["Account_Name"]}
    )
    assert (
        next(row for row in found.json()["data"] if row["id"] == first["id"])["Phone"] == f"+1 555 {version}"
    )


def test_the_mapping_views_are_the_dicts() -> None:
    """``keys``, ``values`` and ``items`` work as a dict's (a slot once hid ``values()``)."""
    plain = {"id": "1", "Account_Name": "Acme", "Phone": "+1 555"}
    record = CrmRecord("Accounts", plain)
    assert list(record.keys()) == list(plain)
    assert list(record.values()) == list(plain.values())
    assert list(record.items()) == list(plain.items())
