"""Record endpoints over HTTP: list, paging, get, insert, update, upsert, delete, the recycle bin."""

from __future__ import annotations

import re
from typing import Any

import orjson

from tests.crm.expect import advance, empty, ids_of, item, valid, versioned
from tests.support import ZohoClient

IST = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+05:30$")
ACCOUNT_FIELDS = "Account_Name,Owner,Parent_Account,Billing_Country,Created_Time,Modified_Time"


def all_ids(zoho: ZohoClient, module: str, **params: Any) -> list[str]:
    reply = zoho.crm("GET", f"/{module}", params={"fields": "Created_Time", "per_page": 200, **params})
    return ids_of(reply)


def view_id(zoho: ZohoClient, module: str, name: str) -> str:
    views = zoho.crm("GET", "/settings/custom_views", params={"module": module}).json()["custom_views"]
    return next(view["id"] for view in views if view["name"] == name)


def create(zoho: ZohoClient, module: str, *records: dict[str, Any]) -> list[str]:
    reply = zoho.crm("POST", f"/{module}", json={"data": list(records)})
    assert reply.status_code == 201, reply.text
    return [entry["details"]["id"] for entry in reply.json()["data"]]


# -- listing ---------------------------------------------------------------------------------


def test_a_list_returns_the_requested_fields_newest_first(zoho: ZohoClient) -> None:
    reply = zoho.crm("GET", "/Accounts", params={"fields": ACCOUNT_FIELDS, "per_page": 5})
    body = valid(reply, "list")
    assert len(body["data"]) == 5
    for record in body["data"]:
        assert set(record) == {*ACCOUNT_FIELDS.split(","), "id"}
        assert record["id"].isdigit() and len(record["id"]) == 19
        assert set(record["Owner"]) == {"name", "id", "email"}
        assert IST.match(record["Created_Time"]) and IST.match(record["Modified_Time"])
    ids = ids_of(reply)
    assert ids == sorted(ids, key=int, reverse=True) == all_ids(zoho, "Accounts")[:5]
    info = body["info"]
    assert info == {
        "call": False,
        "per_page": 5,
        "next_page_token": info["next_page_token"],
        "count": 5,
        "sort_by": "id",
        "page": 1,
        "previous_page_token": None,
        "page_token_expiry": "2026-01-16T14:30:00+05:30",
        "sort_order": "desc",
        "email": False,
        "more_records": True,
    }
    assert re.fullmatch(r"[0-9a-f]{20,96}", info["next_page_token"])


def test_lookups_render_as_name_and_id(zoho: ZohoClient) -> None:
    contacts = zoho.crm(
        "GET", "/Contacts", params={"fields": "Full_Name,Account_Name", "per_page": 200}
    ).json()
    linked = [c for c in contacts["data"] if c["Account_Name"]]
    assert linked and any(c["Account_Name"] is None for c in contacts["data"])
    account = linked[0]["Account_Name"]
    assert set(account) == {"name", "id"}
    fetched = zoho.crm("GET", f"/Accounts/{account['id']}", params={"fields": "Account_Name"}).json()
    assert fetched["data"][0]["Account_Name"] == account["name"]


def test_page_tokens_walk_every_record_exactly_once(zoho: ZohoClient) -> None:
    expected = all_ids(zoho, "Accounts")
    seen: list[str] = []
    params: dict[str, Any] = {"fields": "Account_Name", "per_page": 7}
    pages = []
    while True:
        body = zoho.crm("GET", "/Accounts", params=params).json()
        seen += [r["id"] for r in body["data"]]
        pages.append((body["info"]["page"], body["info"]["previous_page_token"] is not None))
        if not body["info"]["more_records"]:
            assert body["info"]["next_page_token"] is None and body["info"]["page_token_expiry"] is None
            break
        params = {"fields": "Account_Name", "per_page": 7, "page_token": body["info"]["next_page_token"]}
    assert seen == expected and len(seen) == 30
    assert pages == [(1, False), (2, True), (3, True), (4, True), (5, True)]


def test_pages_slice_the_list_and_a_page_past_the_end_is_204(zoho: ZohoClient) -> None:
    expected = all_ids(zoho, "Contacts")
    second = zoho.crm("GET", "/Contacts", params={"fields": "Last_Name", "per_page": 10, "page": 2})
    assert ids_of(second) == expected[10:20]
    assert second.json()["info"]["page"] == 2
    last = zoho.crm("GET", "/Contacts", params={"fields": "Last_Name", "per_page": 50, "page": 2}).json()
    assert (last["info"]["count"], last["info"]["more_records"]) == (40, False)
    empty(zoho.crm("GET", "/Contacts", params={"fields": "Last_Name", "per_page": 50, "page": 3}), 204)


def test_sort_by_times_and_ids_filter(zoho: ZohoClient) -> None:
    reply = zoho.crm(
        "GET", "/Accounts", params={"fields": "Created_Time", "sort_by": "Created_Time", "sort_order": "asc"}
    )
    body = reply.json()
    stamps = [r["Created_Time"] for r in body["data"]]
    assert stamps == sorted(stamps) and (body["info"]["sort_by"], body["info"]["sort_order"]) == (
        "Created_Time",
        "asc",
    )
    modified = zoho.crm(
        "GET", "/Accounts", params={"fields": "Modified_Time", "sort_by": "Modified_Time"}
    ).json()
    ordered = [r["Modified_Time"] for r in modified["data"]]
    assert ordered == sorted(ordered, reverse=True)
    some = all_ids(zoho, "Accounts")[3:6]
    chosen = zoho.crm("GET", "/Accounts", params={"fields": "Account_Name", "ids": ",".join(reversed(some))})
    assert ids_of(chosen) == some


def test_a_custom_view_filters_and_sorts_by_its_own_field(zoho: ZohoClient) -> None:
    cvid = view_id(zoho, "Accounts", "US Accounts")
    body = zoho.crm(
        "GET", "/Accounts", params={"fields": "Account_Name,Billing_Country", "cvid": cvid}
    ).json()
    names = [r["Account_Name"] for r in body["data"]]
    assert names == sorted(names, key=str.lower)
    assert all(r["Billing_Country"] == "United States" for r in body["data"])
    assert 0 < len(names) < 30
    assert (body["info"]["sort_by"], body["info"]["sort_order"]) == ("Account_Name", "asc")
    mine = view_id(zoho, "Accounts", "My Accounts")
    [new] = create(zoho, "Accounts", {"Account_Name": "Mine Ltd"})
    assert new in ids_of(zoho.crm("GET", "/Accounts", params={"fields": "Owner", "cvid": mine}))


def test_if_modified_since_returns_only_later_changes_or_304(zoho: ZohoClient) -> None:
    since = {"If-Modified-Since": "2026-01-15T14:30:00+05:30"}
    empty(zoho.crm("GET", "/Accounts", params={"fields": "Account_Name"}, headers=since), 304)
    target = all_ids(zoho, "Accounts")[4]
    advance(zoho, 5)
    zoho.crm("PUT", f"/Accounts/{target}", json={"data": [{"Phone": "+1 555 0100"}]})
    changed = zoho.crm("GET", "/Accounts", params={"fields": "Phone,Modified_Time"}, headers=since).json()
    assert [r["id"] for r in changed["data"]] == [target]
    assert changed["data"][0]["Modified_Time"] == "2026-01-15T14:30:05+05:30"
    empty(zoho.crm("GET", f"/Accounts/{target}", headers={"If-Modified-Since": "2026-01-15T09:00:05Z"}), 304)
    assert zoho.crm("GET", f"/Accounts/{target}", headers=since).status_code == 200


# -- one record ------------------------------------------------------------------------------


def test_get_one_returns_every_field(zoho: ZohoClient) -> None:
    contact_id = next(
        c["id"]
        for c in zoho.crm("GET", "/Contacts", params={"fields": "Account_Name"}).json()["data"]
        if c["Account_Name"]
    )
    reply = zoho.crm("GET", f"/Contacts/{contact_id}")
    body = valid(reply)
    assert "info" not in body
    [record] = body["data"]
    assert record["id"] == contact_id
    assert {"Last_Name", "Full_Name", "Email", "Mailing_Country", "Preferred_Language", "Created_By"} <= set(
        record
    )
    assert set(record["Account_Name"]) == {"name", "id"}
    assert set(record["Created_By"]) == {"name", "id", "email"}
    narrow = zoho.crm("GET", f"/Contacts/{contact_id}", params={"fields": "Last_Name"}).json()["data"][0]
    assert set(narrow) == {"Last_Name", "id"}


def test_an_unknown_well_formed_id_is_204(zoho: ZohoClient) -> None:
    empty(zoho.crm("GET", "/Accounts/1234567890123456789"), 204)


# -- writing ---------------------------------------------------------------------------------


def test_insert_answers_201_with_zohos_details(zoho: ZohoClient) -> None:
    account = all_ids(zoho, "Accounts")[0]
    body = orjson.dumps({"data": [{"Last_Name": "Boyle", "Account_Name": {"id": int(account)}}]})
    reply = zoho.crm("POST", "/Contacts", content=body)  # the SDK sends no Content-Type
    assert reply.status_code == 201
    [entry] = reply.json()["data"]
    assert (entry["code"], entry["message"], entry["status"]) == ("SUCCESS", "record added", "success")
    details = entry["details"]
    assert details["Created_Time"] == details["Modified_Time"] == "2026-01-15T14:30:00+05:30"
    assert set(details["Created_By"]) == {"name", "id"} and details["$approval_state"] == "approved"
    stored = zoho.crm("GET", f"/Contacts/{details['id']}", params={"fields": "Full_Name,Account_Name"}).json()
    assert stored["data"][0]["Account_Name"]["id"] == account


def test_mixed_writes_are_207_and_all_failed_writes_are_400(zoho: ZohoClient) -> None:
    mixed = zoho.crm("POST", "/Accounts", json={"data": [{"Account_Name": "Good"}, {"Phone": "1"}]})
    assert mixed.status_code == 207
    good, bad = mixed.json()["data"]
    assert good["status"] == "success"
    assert bad == item(
        "MANDATORY_NOT_FOUND",
        "required field not found",
        {"api_name": "Account_Name", "json_path": "$.data[1].Account_Name"},
    )
    failed = zoho.crm("POST", "/Accounts", json={"data": [{"Account_Name": "good"}]})
    assert failed.status_code == 400
    [duplicate] = failed.json()["data"]
    assert (duplicate["code"], duplicate["details"]["id"]) == ("DUPLICATE_DATA", good["details"]["id"])


def test_updates_in_bulk_and_by_id(zoho: ZohoClient) -> None:
    first, second = all_ids(zoho, "Vendors")[:2]
    advance(zoho, 60)
    bulk = zoho.crm(
        "PUT", "/Vendors", json={"data": [{"id": int(first), "Phone": "1"}, {"id": second, "City": "Oslo"}]}
    )
    body = valid(bulk)
    assert [e["message"] for e in body["data"]] == ["record updated"] * 2
    assert body["data"][0]["details"]["Modified_Time"] == "2026-01-15T14:31:00+05:30"
    single = zoho.crm("PUT", f"/Vendors/{first}", json={"data": [{"Email": "new@vendor.example"}]})
    assert single.status_code == 200 and single.json()["data"][0]["details"]["id"] == first
    record = zoho.crm("GET", f"/Vendors/{first}", params={"fields": "Phone,Email"}).json()["data"][0]
    assert (record["Phone"], record["Email"]) == ("1", "new@vendor.example")
    mixed = zoho.crm(
        "PUT", "/Vendors", json={"data": [{"id": first, "Phone": "2"}, {"id": "999", "Phone": "3"}]}
    )
    assert mixed.status_code == 207
    assert mixed.json()["data"][1] == item("INVALID_DATA", "the id given seems to be invalid", {"id": "999"})


def test_upsert_updates_a_duplicate_and_inserts_the_rest(zoho: ZohoClient) -> None:
    name = zoho.crm("GET", "/Accounts", params={"fields": "Account_Name"}).json()["data"][0]["Account_Name"]
    reply = zoho.crm(
        "POST",
        "/Accounts/upsert",
        json={"data": [{"Account_Name": name, "Phone": "77"}, {"Account_Name": "Upserted Inc"}]},
    )
    body = valid(reply, "upsert")
    updated, inserted = body["data"]
    assert (updated["action"], updated["duplicate_field"], updated["message"]) == (
        "update",
        "Account_Name",
        "record updated",
    )
    assert (inserted["action"], inserted["duplicate_field"], inserted["message"]) == (
        "insert",
        None,
        "record added",
    )
    assert list(updated) == ["code", "duplicate_field", "action", "details", "message", "status"]
    contacts = zoho.crm("GET", "/Contacts", params={"fields": "Email"}).json()["data"]
    contact = next(c for c in contacts if c["Email"])
    by_email = zoho.crm(
        "POST",
        "/Contacts/upsert",
        json={"data": [{"Last_Name": "X", "Email": contact["Email"]}], "duplicate_check_fields": ["Email"]},
    )
    assert by_email.json()["data"][0]["details"]["id"] == contact["id"]


def test_deletes_go_to_the_recycle_bin(zoho: ZohoClient) -> None:
    first, second = all_ids(zoho, "Products")[:2]
    advance(zoho, 30)
    reply = zoho.crm("DELETE", "/Products", params={"ids": f"{first},{second}", "wf_trigger": "True"})
    assert valid(reply)["data"] == [
        {"code": "SUCCESS", "details": {"id": first}, "message": "record deleted", "status": "success"},
        {"code": "SUCCESS", "details": {"id": second}, "message": "record deleted", "status": "success"},
    ]
    empty(zoho.crm("GET", f"/Products/{first}"), 204)
    again = zoho.crm("DELETE", f"/Products/{first}")
    assert again.status_code == 400
    assert again.json() == {"data": [item("INVALID_DATA", "record not deleted", {"id": first})]}
    third = all_ids(zoho, "Products")[0]
    mixed = zoho.crm("DELETE", "/Products", params={"ids": f"{third},{first}"})
    assert mixed.status_code == 207
    bin_ = valid(zoho.crm("GET", "/Products/deleted", params={"type": "all"}))
    assert [r["id"] for r in bin_["data"]] == [third, second, first] or {r["id"] for r in bin_["data"]} == {
        first,
        second,
        third,
    }
    entry = next(r for r in bin_["data"] if r["id"] == first)
    assert entry["type"] == "recycle" and entry["deleted_time"] == "2026-01-15T14:30:30+05:30"
    assert set(entry["deleted_by"]) == {"name", "id"} and entry["display_name"]
    assert bin_["info"] == {"per_page": 200, "count": 3, "page": 1, "more_records": False}
    empty(zoho.crm("GET", "/Products/deleted", params={"type": "permanent"}), 204)
    later = {"If-Modified-Since": "2026-01-15T09:01:00+00:00"}
    empty(zoho.crm("GET", "/Products/deleted", headers=later), 304)
    empty(zoho.crm("GET", "/Vendors/deleted"), 204)


def test_modified_time_follows_the_virtual_clock(zoho: ZohoClient) -> None:
    [new] = create(zoho, "Accounts", {"Account_Name": "Clockwork"})
    advance(zoho, 3 * 60)
    zoho.crm("PUT", f"/Accounts/{new}", json={"data": [{"Phone": "1"}]})
    record = zoho.crm("GET", f"/Accounts/{new}").json()["data"][0]
    assert (record["Created_Time"], record["Modified_Time"]) == (
        "2026-01-15T14:30:00+05:30",
        "2026-01-15T14:33:00+05:30",
    )


# -- other API versions ----------------------------------------------------------------------


def test_v2_lists_every_field_without_page_tokens(zoho: ZohoClient) -> None:
    reply = versioned(zoho, "v2", "GET", "/Accounts", params={"per_page": 2, "page": 3})
    body = reply.json()
    assert reply.status_code == 200 and len(body["data"]) == 2
    assert "Billing_City" in body["data"][0] and "Owner" in body["data"][0]
    assert body["info"] == {"per_page": 2, "count": 2, "page": 3, "more_records": True}
    far = versioned(zoho, "v2", "GET", "/Contacts", params={"per_page": 1, "page": 90})
    assert far.status_code == 200 and far.json()["info"]["more_records"] is False


def test_every_version_from_v2_to_v8_is_served(zoho: ZohoClient) -> None:
    for version in ("v2.1", "v3", "v4", "v5", "v6", "v7"):
        reply = versioned(zoho, version, "GET", "/Vendors", params={"fields": "Vendor_Name"})
        assert reply.status_code == 200, version
