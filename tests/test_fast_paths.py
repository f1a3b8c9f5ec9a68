"""The serving fast paths (bench/README.md) give exactly what the straightforward code gave.

Each optimised function is checked against a reference copy of the code it replaced: CRM row
rendering (generated per field list), the memoised timestamp formats, the memoised scope check,
and the Books list filter.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from simulator import fastdict
from simulator.accounts import scopes
from simulator.books import queries
from simulator.clock import DEFAULT_START, Clock, books_datetime, crm_datetime
from simulator.crm import render
from simulator.crm.metadata import MODULES, FieldDef, ModuleDef
from simulator.crm.models import CrmOrg
from simulator.crm.seed import seed_crm
from simulator.tenants import Sizes, seed_org_pair
from simulator.testing import build_simulator

# -- references: the code as it was before the fast paths ---------------------------------------


def reference_record(
    org: CrmOrg, module: ModuleDef, stored: Mapping[str, Any], fields: Iterable[FieldDef] | None
) -> dict[str, Any]:
    if fields is not None:
        shown = {f.api_name: _reference_value(org, f, stored.get(f.api_name)) for f in fields}
        return {**shown, "id": stored["id"]}
    full = {f.api_name: _reference_value(org, f, stored.get(f.api_name)) for f in module.fields}
    return {
        **full,
        "id": stored["id"],
        "$approval_state": "approved",
        "$editable": True,
        "$currency_symbol": "$",
        "Tag": [],
    }


def _reference_value(org: CrmOrg, f: FieldDef, raw: Any) -> Any:
    if raw is None:
        return None
    if f.data_type == "datetime":
        return raw.astimezone(org.time_zone).replace(microsecond=0).isoformat()
    if f.lookup is not None:
        target = org.records[f.lookup].get(raw)
        return None if target is None else {"name": org.display_name(f.lookup, target), "id": raw}
    if f.data_type in ("ownerlookup", "userlookup"):
        return render.user_ref(org, raw, email=True)
    return raw


def _reference_allows(granted: Iterable[str], **wanted: Any) -> bool:
    return scopes._allows(
        list(granted), wanted["service"], wanted["group"], wanted["action"], wanted["resource"]
    )


# -- CRM rows ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def crm() -> CrmOrg:
    org = seed_crm(
        seed=7,
        clock=Clock(start=DEFAULT_START, frozen=True),
        accounts=30,
        contacts=60,
        vendors=8,
        products=15,
    )
    # Dangling references: a contact whose account is gone, a record owned by an unknown user,
    # values of every JSON type, and a record holding no optional field at all.
    contacts = list(org.records["Contacts"].values())
    account_id = next(c["Account_Name"] for c in contacts if c.get("Account_Name"))
    org.delete("Accounts", [account_id])
    first = next(iter(org.records["Accounts"].values()))
    first["Owner"] = "3273545000000999999"
    first["Employees"], first["Annual_Revenue"] = 1, 1.0
    bare = next(iter(org.records["Products"].values()))
    for key in [k for k in bare if k not in ("id", "Product_Name")]:
        del bare[key]
    return org


@given(data=st.data())
def test_rows_render_exactly_as_before(crm: CrmOrg, data: st.DataObject) -> None:
    module = MODULES[data.draw(st.sampled_from(sorted(MODULES)))]
    everything = data.draw(st.booleans())
    fields = (
        None if everything else data.draw(st.lists(st.sampled_from(module.fields), unique=True, max_size=20))
    )
    rows = list(crm.records[module.api_name].values())
    rendered = render.records(crm, module, rows, fields)
    expected = [reference_record(crm, module, row, fields) for row in rows]
    # Byte-identical JSON: same keys, same order, same types (1 is not 1.0 is not true).
    assert orjson.dumps(rendered) == orjson.dumps(expected)
    assert [render.record(crm, module, row, fields) for row in rows[:3]] == expected[:3]


def test_a_rename_shows_at_once(crm: CrmOrg) -> None:
    """Lookup names are resolved per call; no page keeps an old name."""
    contacts = MODULES["Contacts"]
    fields = [contacts.by_name["Account_Name"]]
    row = next(
        r for r in crm.records["Contacts"].values() if r.get("Account_Name") in crm.records["Accounts"]
    )
    account = crm.records["Accounts"][row["Account_Name"]]
    before = render.records(crm, contacts, [row], fields)[0]["Account_Name"]["name"]
    crm.update("Accounts", [{"id": account["id"], "Account_Name": before + " Renamed"}])
    assert render.records(crm, contacts, [row], fields)[0]["Account_Name"]["name"] == before + " Renamed"


# -- timestamps -----------------------------------------------------------------------------------

instants = st.datetimes(
    min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=st.just(UTC)
) | st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=st.timezones())
zones = st.integers(min_value=-23 * 60, max_value=23 * 60).map(lambda m: timezone(timedelta(minutes=m)))


@given(when=instants, tz=zones)
def test_timestamps_format_exactly_as_before(when: datetime, tz: timezone) -> None:
    for _ in range(2):  # the first call fills the memo, the second reads it
        assert crm_datetime(when, tz) == when.astimezone(tz).replace(microsecond=0).isoformat()
        assert books_datetime(when, tz) == when.astimezone(tz).strftime("%Y-%m-%dT%H:%M:%S%z")


def test_the_same_instant_in_another_zone_formats_the_same() -> None:
    utc = datetime(2026, 1, 9, 3, 41, 51, tzinfo=UTC)
    ist = timezone(timedelta(hours=5, minutes=30))
    assert crm_datetime(utc, ist) == crm_datetime(utc.astimezone(ist), ist) == "2026-01-09T09:11:51+05:30"
    assert crm_datetime(utc, UTC) == "2026-01-09T03:41:51+00:00"


# -- scopes ---------------------------------------------------------------------------------------

scope_words = st.sampled_from(
    [
        "ZohoCRM",
        "zohocrm",
        "ZohoBooks",
        "modules",
        "settings",
        "fullaccess",
        "all",
        "ALL",
        "READ",
        "accounts",
        "contacts",
        "WRITE",
        "CREATE",
        "fields",
        "x",
    ]
)


@given(
    granted=st.lists(st.lists(scope_words, min_size=1, max_size=4).map(".".join), max_size=4).map(tuple),
    service=st.sampled_from(["ZohoCRM", "ZohoBooks"]),
    group=st.sampled_from(["modules", "settings", "contacts"]),
    action=st.sampled_from(["READ", "CREATE", "UPDATE", "DELETE"]),
    resource=st.sampled_from([None, "accounts", "Contacts", "fields"]),
)
def test_scope_checks_answer_as_before(
    granted: tuple[str, ...], service: str, group: str, action: str, resource: str | None
) -> None:
    wanted = {"service": service, "group": group, "action": action, "resource": resource}
    assert scopes.allows(granted, **wanted) == _reference_allows(granted, **wanted)
    assert scopes.allows(list(granted), **wanted) == _reference_allows(granted, **wanted)


# -- Books lists ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "criteria",
    [
        {},
        {"filter_by": "Status.All"},
        {"filter_by": "Status.Inactive"},
        {"filter_by": "Status.Duplicate", "sort_column": "last_modified_time", "sort_order": "D"},
        {"contact_type": "vendor", "contact_name_contains": "a"},
        {"search_text": "an", "filter_by": "Status.Crm", "page": "2", "per_page": "7"},
    ],
)
def test_books_contact_lists_filter_as_before(criteria: dict[str, str]) -> None:
    _, books = seed_org_pair(seed=3, sizes=Sizes(accounts=20, contacts=40), clock=Clock(frozen=True))
    contacts = list(books.contacts.values())
    contacts[0].status = "inactive"
    page = queries.contact_page(contacts, criteria, time_zone=books.time_zone)
    everyone = list(contacts)
    matchers = [
        queries._status_filter(criteria.get("filter_by") or queries.DEFAULT_FILTER, everyone),
        *queries._contact_matchers(criteria),
    ]
    found = [c for c in everyone if all(match(c) for match in matchers)]
    found.sort(
        key=queries.contact_sort_key(criteria.get("sort_column") or "contact_name"),
        reverse=criteria.get("sort_order") == "D",
    )
    start = (int(criteria.get("page", 1)) - 1) * int(criteria.get("per_page", 200))
    expected = [c.to_row(books.time_zone) for c in found[start : start + int(criteria.get("per_page", 200))]]
    assert page.rows == expected


# -- asdict (the state saved after every write with --data-dir) ----------------------------------


def _same(a: Any, b: Any) -> bool:
    """Equal, and built of the same container types all the way down."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def test_fast_asdict_is_dataclasses_asdict() -> None:
    clock = Clock(start=DEFAULT_START, frozen=True)
    sim_crm, books = seed_org_pair(seed=5, sizes=Sizes(accounts=15, contacts=40), clock=clock)
    contact = next(c for c in books.contacts.values() if c.contact_persons)
    contact.custom_fields = [{"index": 1, "label": "Tier", "value": "Gold"}]
    sim_crm.delete("Accounts", [next(iter(sim_crm.records["Accounts"]))])
    accounts = build_simulator().accounts
    client = accounts.register_client(tenant_id="t1")
    accounts.issue_refresh_token(client, scopes=scopes.DEFAULT)
    objects: list[Any] = [
        *books.contacts.values(),
        *books.items.values(),
        *contact.contact_persons,
        books.profile,
        *sim_crm.users.values(),
        *sim_crm.views.values(),
        *sim_crm.deleted["Accounts"],
        *accounts.clients.values(),
        *accounts.refresh_tokens.values(),
    ]
    assert any(view.criteria for view in sim_crm.views.values())
    for obj in objects:
        assert _same(fastdict.asdict(obj), dataclasses.asdict(obj)), obj
    with pytest.raises(TypeError):
        fastdict.asdict(type(contact))


# -- CRM field lists (kept per module and raw list) ---------------------------------------------


@pytest.mark.parametrize(
    "raw",
    ["Account_Name,Phone", " Phone , Phone,Account_Name ", "", None, "Phone,Nope", ",".join(["Phone"] * 51)],
)
def test_kept_field_lists_answer_as_a_fresh_parse(raw: str | None) -> None:
    from simulator.crm import params
    from simulator.crm.errors import CrmError

    for module in (MODULES["Accounts"], MODULES["Contacts"]):
        for required in (False, True):
            answers: list[object] = []
            for _ in range(2):  # the second answer is the kept one
                try:
                    answers.append(params.fields(module, raw, required=required))
                except CrmError as exc:
                    answers.append(type(exc))
            try:
                fresh: object = params._fields(module, raw, required=required)
            except CrmError as exc:
                fresh = type(exc)
            assert answers == [fresh, fresh]
