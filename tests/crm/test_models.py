"""The CRM org's rules, without HTTP: validation, duplicates, upsert, the recycle bin, views, state."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest

from simulator.clock import Clock
from simulator.crm import render
from simulator.crm.errors import InvalidData, InvalidModule
from simulator.crm.metadata import ACCOUNTS
from simulator.crm.models import CrmOrg, Search, WriteOutcome
from simulator.crm.seed import seed_crm

START = datetime(2026, 1, 15, 9, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> Clock:
    return Clock(start=START)


@pytest.fixture
def org(clock: Clock) -> CrmOrg:
    return seed_crm(seed=7, clock=clock, accounts=6, contacts=10, vendors=3, products=4)


def ok(outcome: WriteOutcome) -> dict[str, Any]:
    assert outcome.error is None, outcome.error.body()
    assert outcome.record is not None
    return outcome.record


def failed(outcome: WriteOutcome) -> dict[str, Any]:
    assert outcome.error is not None and outcome.record is None
    return outcome.error.body()


def first_id(org: CrmOrg, module: str) -> str:
    return next(iter(org.iter_records(module)))["id"]


# -- inserting -------------------------------------------------------------------------------


def test_an_insert_stores_ids_owner_and_the_clocks_time(org: CrmOrg) -> None:
    [outcome] = org.insert(
        "Contacts", [{"First_Name": "Ada", "Last_Name": "Lovelace", "Email": "ada@example.com"}]
    )
    record = ok(outcome)
    assert outcome.action == "insert"
    assert record["id"].isdigit() and len(record["id"]) == 19
    assert record["Owner"] == record["Created_By"] == record["Modified_By"] == org.current_user_id
    assert record["Created_Time"] == record["Modified_Time"] == START
    assert record["Full_Name"] == "Ada Lovelace"
    assert org.get("Contacts", record["id"]) is record


def test_lookups_accept_an_object_a_string_or_a_number(org: CrmOrg) -> None:
    account = first_id(org, "Accounts")
    items = [
        {"Last_Name": "A", "Account_Name": {"id": account}},
        {"Last_Name": "B", "Account_Name": int(account)},
        {"Last_Name": "C", "Account_Name": account, "Owner": {"id": int(org.current_user_id)}},
    ]
    assert [ok(o)["Account_Name"] for o in org.insert("Contacts", items)] == [account] * 3


def test_read_only_and_dollar_fields_are_ignored_and_empty_values_are_not_stored(org: CrmOrg) -> None:
    record = ok(
        org.insert(
            "Accounts",
            [
                {
                    "Account_Name": "Readonly Co",
                    "Created_Time": "2020-01-01T00:00:00+00:00",
                    "$approval_state": "draft",
                    "Tag": [{"name": "vip"}],
                    "id": "1",
                    "Phone": "",
                    "Industry": "Not In The List",
                }
            ],
        )[0]
    )
    assert record["Created_Time"] == START
    assert "Phone" not in record and "Tag" not in record and record["id"] != "1"
    assert record["Industry"] == "Not In The List"


@pytest.mark.parametrize(
    ("item", "expected"),
    [
        (
            {"Phone": "1"},
            ("MANDATORY_NOT_FOUND", {"api_name": "Account_Name", "json_path": "$.data[0].Account_Name"}),
        ),
        (
            {"Account_Name": "  "},
            ("MANDATORY_NOT_FOUND", {"api_name": "Account_Name", "json_path": "$.data[0].Account_Name"}),
        ),
        (
            {"Account_Name": "X", "Company": "Y"},
            ("INVALID_DATA", {"api_name": "Company", "json_path": "$.data[0].Company"}),
        ),
        (
            {"Account_Name": "X", "Employees": "12"},
            (
                "INVALID_DATA",
                {
                    "expected_data_type": "integer",
                    "api_name": "Employees",
                    "json_path": "$.data[0].Employees",
                },
            ),
        ),
        (
            {"Account_Name": "X", "Employees": True},
            (
                "INVALID_DATA",
                {
                    "expected_data_type": "integer",
                    "api_name": "Employees",
                    "json_path": "$.data[0].Employees",
                },
            ),
        ),
        (
            {"Account_Name": "X", "Employees": 2**31},
            (
                "INVALID_DATA",
                {
                    "expected_data_type": "integer",
                    "api_name": "Employees",
                    "json_path": "$.data[0].Employees",
                },
            ),
        ),
        (
            {"Account_Name": "X" * 201},
            (
                "INVALID_DATA",
                {
                    "maximum_length": 200,
                    "expected_data_type": "text",
                    "api_name": "Account_Name",
                    "json_path": "$.data[0].Account_Name",
                },
            ),
        ),
        (
            {"Account_Name": "X", "Parent_Account": {"id": "123"}},
            (
                "INVALID_DATA",
                {
                    "expected_data_type": "lookup",
                    "api_name": "Parent_Account",
                    "json_path": "$.data[0].Parent_Account",
                },
            ),
        ),
        (
            {"Account_Name": "X", "Annual_Revenue": "lots"},
            (
                "INVALID_DATA",
                {
                    "expected_data_type": "currency",
                    "api_name": "Annual_Revenue",
                    "json_path": "$.data[0].Annual_Revenue",
                },
            ),
        ),
    ],
)
def test_invalid_records_are_refused_with_zohos_details(
    org: CrmOrg, item: dict[str, Any], expected: tuple
) -> None:
    body = failed(org.insert("Accounts", [item])[0])
    message = "required field not found" if expected[0] == "MANDATORY_NOT_FOUND" else "invalid data"
    assert body == {"code": expected[0], "details": expected[1], "message": message, "status": "error"}


def test_type_checks_for_emails_booleans_dates_and_users(org: CrmOrg) -> None:
    disabled = next(u.id for u in org.users.values() if u.status == "disabled")
    cases = [
        ({"Last_Name": "X", "Email": "not-an-email"}, "Email", "email"),
        ({"Last_Name": "X", "Email_Opt_Out": "true"}, "Email_Opt_Out", "boolean"),
        ({"Last_Name": "X", "Date_of_Birth": "17/05/1990"}, "Date_of_Birth", "date"),
        ({"Last_Name": "X", "Owner": {"id": disabled}}, "Owner", "ownerlookup"),
        ({"Last_Name": "X", "Reporting_To": {"name": "nobody"}}, "Reporting_To", "lookup"),
    ]
    for item, api_name, data_type in cases:
        body = failed(org.insert("Contacts", [item])[0])
        assert body["details"] == {
            "expected_data_type": data_type,
            "api_name": api_name,
            "json_path": f"$.data[0].{api_name}",
        }
    assert ok(
        org.insert("Contacts", [{"Last_Name": "Y", "Date_of_Birth": "1990-05-17", "Email_Opt_Out": True}])[0]
    )


def test_a_duplicate_name_is_refused_across_and_within_batches(org: CrmOrg) -> None:
    existing = next(org.iter_records("Accounts"))
    outcomes = org.insert(
        "Accounts",
        [
            {"Account_Name": existing["Account_Name"].upper()},
            {"Account_Name": "Twin"},
            {"Account_Name": "twin"},
        ],
    )
    body = failed(outcomes[0])
    owner = org.users[existing["Owner"]]
    assert body == {
        "code": "DUPLICATE_DATA",
        "details": {
            "api_name": "Account_Name",
            "json_path": "$.data[0].Account_Name",
            "id": existing["id"],
            "duplicate_record": {
                "Owner": {"name": owner.full_name, "id": owner.id, "zuid": owner.zuid},
                "id": existing["id"],
                "module": {"api_name": "Accounts", "id": f"{org.prefix}000000002177"},
            },
            "more_records": False,
        },
        "message": "duplicate data",
        "status": "error",
    }
    ok(outcomes[1])
    assert failed(outcomes[2])["details"]["json_path"] == "$.data[2].Account_Name"


def test_an_unknown_module_is_invalid(org: CrmOrg) -> None:
    with pytest.raises(InvalidModule):
        org.insert("Leads", [{"Last_Name": "x"}])


# -- updating, upserting, deleting -----------------------------------------------------------


def test_an_update_changes_fields_and_stamps_the_modification(org: CrmOrg, clock: Clock) -> None:
    record_id = first_id(org, "Contacts")
    clock.advance(90)
    record = ok(org.update("Contacts", [{"id": int(record_id), "First_Name": "Grace", "Phone": None}])[0])
    assert record["First_Name"] == "Grace" and "Phone" not in record
    assert record["Full_Name"].startswith("Grace ")
    assert record["Modified_Time"] == START + timedelta(seconds=90) > record["Created_Time"]
    assert record["Modified_By"] == org.current_user_id


def test_update_errors_name_the_record(org: CrmOrg) -> None:
    record_id = first_id(org, "Contacts")
    missing, unknown, malformed, cleared = org.update(
        "Contacts", [{"Phone": "1"}, {"id": "1234567"}, {"id": "abc"}, {"id": record_id, "Last_Name": None}]
    )
    assert failed(missing) == {
        "code": "MANDATORY_NOT_FOUND",
        "details": {"api_name": "id", "json_path": "$.data[0].id"},
        "message": "required field not found",
        "status": "error",
    }
    assert failed(unknown) == {
        "code": "INVALID_DATA",
        "details": {"id": "1234567"},
        "message": "the id given seems to be invalid",
        "status": "error",
    }
    assert failed(malformed)["details"] == {"id": "abc"}
    assert failed(cleared)["code"] == "MANDATORY_NOT_FOUND"


def test_a_renamed_account_shows_through_its_contacts(org: CrmOrg) -> None:
    contact = next(r for r in org.iter_records("Contacts") if r.get("Account_Name"))
    org.update("Accounts", [{"id": contact["Account_Name"], "Account_Name": "Renamed Ltd"}])
    shown = render.record(
        org, org.module("Contacts"), contact, [org.module("Contacts").by_name["Account_Name"]]
    )
    assert shown["Account_Name"] == {"name": "Renamed Ltd", "id": contact["Account_Name"]}


def test_upsert_updates_on_the_duplicate_check_field_and_inserts_otherwise(org: CrmOrg) -> None:
    existing = next(org.iter_records("Accounts"))
    matched, fresh = org.upsert(
        "Accounts",
        [{"Account_Name": existing["Account_Name"].lower(), "Phone": "42"}, {"Account_Name": "Brand New"}],
    )
    assert (matched.action, matched.duplicate_field) == ("update", "Account_Name")
    assert ok(matched)["id"] == existing["id"] and existing["Phone"] == "42"
    assert (fresh.action, fresh.duplicate_field) == ("insert", None)


def test_upsert_honours_duplicate_check_fields_in_order(org: CrmOrg) -> None:
    contact = next(r for r in org.iter_records("Contacts") if r.get("Phone"))
    [outcome] = org.upsert(
        "Contacts",
        [{"Last_Name": "Z", "Email": "nobody@example.com", "Phone": contact["Phone"]}],
        duplicate_check_fields=["Email", "Phone"],
    )
    assert (outcome.action, outcome.duplicate_field, ok(outcome)["id"]) == ("update", "Phone", contact["id"])
    with pytest.raises(InvalidData) as exc:
        org.upsert("Contacts", [{"Last_Name": "Z"}], duplicate_check_fields=["Nope"])
    assert exc.value.details == {"api_name": "Nope", "json_path": "$.duplicate_check_fields[0]"}


def test_deleted_records_go_to_the_recycle_bin(org: CrmOrg, clock: Clock) -> None:
    first, second = list(org.iter_records("Vendors"))[:2]
    org.delete("Vendors", [first["id"]])
    clock.advance(10)
    gone, again = org.delete("Vendors", [second["id"], first["id"]])
    assert ok(gone)["id"] == second["id"]
    assert failed(again) == {
        "code": "INVALID_DATA",
        "details": {"id": first["id"]},
        "message": "record not deleted",
        "status": "error",
    }
    rows = org.deleted_records("Vendors", kind="all", modified_since=None)
    assert [row.id for row in rows] == [second["id"], first["id"]]
    assert rows[0].display_name == second["Vendor_Name"] and rows[0].deleted_by == org.current_user_id
    assert rows[0].created_by == second["Created_By"]
    assert org.deleted_records("Vendors", kind="permanent", modified_since=None) == []
    assert [r.id for r in org.deleted_records("Vendors", kind="recycle", modified_since=START)] == [
        second["id"]
    ]
    assert org.get("Vendors", first["id"]) is None
    ok(org.insert("Vendors", [{"Vendor_Name": first["Vendor_Name"]}])[0])


# -- reading ---------------------------------------------------------------------------------


def test_list_sorts_filters_and_reads_views(org: CrmOrg, clock: Clock) -> None:
    ids = [r["id"] for r in org.iter_records("Accounts")]
    assert [r["id"] for r in org.list_records("Accounts")] == ids[::-1]
    assert [r["id"] for r in org.list_records("Accounts", sort_order="asc")] == ids
    by_modified = org.list_records("Accounts", sort_by="Modified_Time", sort_order="asc")
    assert [r["Modified_Time"] for r in by_modified] == sorted(r["Modified_Time"] for r in by_modified)
    assert [r["id"] for r in org.list_records("Accounts", ids=[ids[2], ids[0], "999"])] == [ids[2], ids[0]]
    clock.advance(1)
    org.update("Accounts", [{"id": ids[1], "Phone": "1"}])
    assert [r["id"] for r in org.list_records("Accounts", modified_since=START)] == [ids[1]]


def test_standard_views_follow_the_current_user_and_the_clock(org: CrmOrg, clock: Clock) -> None:
    views = {v.name: v for v in org.views_of("Accounts")}
    assert list(views)[:4] == [
        "All Accounts",
        "My Accounts",
        "Recently Created Accounts",
        "Recently Modified Accounts",
    ]
    assert views["All Accounts"].default and views["All Accounts"].system_name == "ALLVIEWS"
    new = ok(org.insert("Accounts", [{"Account_Name": "Fresh"}])[0])["id"]
    others = [r["id"] for r in org.iter_records("Accounts") if r["Owner"] != org.current_user_id]
    mine = [r["id"] for r in org.list_records("Accounts", view=views["My Accounts"])]
    assert new in mine and others and not set(others) & set(mine)
    assert [r["id"] for r in org.list_records("Accounts", view=views["Recently Created Accounts"])] == [new]
    clock.advance(8 * 86400)
    assert not org.list_records("Accounts", view=views["Recently Created Accounts"])
    org.update("Accounts", [{"id": others[0], "Phone": "2"}])
    assert [r["id"] for r in org.list_records("Accounts", view=views["Recently Modified Accounts"])] == [
        others[0]
    ]


def test_create_view_validates_and_sorts_by_its_own_field(org: CrmOrg) -> None:
    criteria = {"comparator": "starts_with", "field": {"api_name": "Account_Name"}, "value": ""}
    view = org.create_view("Accounts", name="By name", criteria=criteria, sort_by="Account_Name")
    names = [r["Account_Name"] for r in org.list_records("Accounts", view=view)]
    assert names == sorted(names, key=str.lower) and len(names) == 6
    assert org.view("Accounts", view.id) is view and org.view("Contacts", view.id) is None
    for bad in (
        {"sort_by": "Nope"},
        {"sort_order": "up"},
        {"criteria": {"comparator": "equal"}},
        {"name": ""},
    ):
        arguments = {"name": "x", "criteria": None, **bad}
        with pytest.raises(InvalidData):
            org.create_view("Accounts", **arguments)
    with pytest.raises(InvalidModule):
        org.create_view("Leads", name="x", criteria=None)


def test_search_by_email_phone_and_word(org: CrmOrg) -> None:
    contact = next(r for r in org.iter_records("Contacts") if r.get("Email") and r.get("Phone"))
    assert [r["id"] for r in org.search("Contacts", Search(email=contact["Email"].upper()))] == [
        contact["id"]
    ]
    digits = "".join(ch for ch in contact["Phone"] if ch.isdigit())[-7:]
    assert contact["id"] in [r["id"] for r in org.search("Contacts", Search(phone=digits))]
    word = contact["Last_Name"][:4]
    assert contact["id"] in [r["id"] for r in org.search("Contacts", Search(word=word.lower()))]
    with pytest.raises(InvalidData):
        org.search("Contacts", Search(word="a"))


def test_users_of_each_type(org: CrmOrg) -> None:
    def names(kind: str) -> int:
        return len(org.users_of_type(kind))

    assert org.current_user.is_admin and org.users_of_type("CurrentUser") == [org.current_user]
    assert (names("AllUsers"), names("ActiveUsers"), names("DeactiveUsers")) == (5, 4, 1)
    assert (names("NotConfirmedUsers"), names("ActiveConfirmedUsers"), names("AdminUsers")) == (1, 3, 1)
    assert names("DeletedUsers") == 0 and names("ActiveConfirmedAdmins") == 1


# -- state -----------------------------------------------------------------------------------


def test_state_export_import_export_is_byte_identical(org: CrmOrg, clock: Clock) -> None:
    org.delete("Accounts", [first_id(org, "Accounts")])
    org.create_view("Contacts", name="Mine", criteria=None)
    exported = orjson.dumps(org.to_json())
    restored = CrmOrg.from_json(orjson.loads(exported), clock=clock)
    assert orjson.dumps(restored.to_json()) == exported
    [new] = restored.insert("Accounts", [{"Account_Name": "After Import"}])
    assert ok(new)["id"] == f"{org.prefix}{org.ids.next_value:012d}"
    [dup] = restored.insert(
        "Accounts", [{"Account_Name": next(org.iter_records("Accounts"))["Account_Name"]}]
    )
    assert failed(dup)["code"] == "DUPLICATE_DATA"
    with pytest.raises(ValueError, match="format"):
        CrmOrg.from_json({**org.to_json(), "format": 99}, clock=clock)


def test_iter_records_yields_the_stored_shape_the_books_seeder_reads(org: CrmOrg) -> None:
    contact = next(r for r in org.iter_records("Contacts") if r.get("Account_Name"))
    assert contact["Account_Name"] in {r["id"] for r in org.iter_records("Accounts")}
    assert isinstance(contact["Created_Time"], datetime)
    product = next(r for r in org.iter_records("Products") if r.get("Vendor_Name"))
    assert product["Vendor_Name"] in {r["id"] for r in org.iter_records("Vendors")}
    assert ACCOUNTS.display_field == "Account_Name"
