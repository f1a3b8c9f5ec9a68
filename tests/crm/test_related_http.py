"""Related records (``/{module}/{id}/{related_list}``) and ``settings/related_lists`` over HTTP."""

from __future__ import annotations

from typing import Any

from tests.crm.expect import advance, empty, error, fresh_token, item, valid
from tests.support import ZohoClient

RELATION = "The relation name given seems to be invalid"


def listed(zoho: ZohoClient, module: str, fields: str) -> list[dict[str, Any]]:
    reply = zoho.crm("GET", f"/{module}", params={"fields": fields, "per_page": 200, "sort_order": "asc"})
    return reply.json()["data"]


def an_account_with_contacts(zoho: ZohoClient) -> tuple[str, list[str]]:
    contacts = listed(zoho, "Contacts", "Account_Name")
    by_account: dict[str, list[str]] = {}
    for contact in contacts:
        if contact.get("Account_Name"):
            by_account.setdefault(contact["Account_Name"]["id"], []).append(contact["id"])
    account_id = max(by_account, key=lambda key: len(by_account[key]))
    return account_id, by_account[account_id]


def test_an_accounts_contacts_are_the_contacts_pointing_at_it(zoho: ZohoClient) -> None:
    account_id, contact_ids = an_account_with_contacts(zoho)
    reply = zoho.crm("GET", f"/Accounts/{account_id}/Contacts", params={"fields": "Last_Name,Account_Name"})
    body = valid(reply)
    assert [c["id"] for c in body["data"]] == contact_ids
    assert all(set(c) == {"Last_Name", "Account_Name", "id"} for c in body["data"])
    assert body["info"] == {"per_page": 200, "count": len(contact_ids), "page": 1, "more_records": False}


def test_a_vendors_products_and_contacts(zoho: ZohoClient) -> None:
    products = listed(zoho, "Products", "Vendor_Name")
    vendor_id = next(p["Vendor_Name"]["id"] for p in products if p.get("Vendor_Name"))
    expected = [p["id"] for p in products if p.get("Vendor_Name") and p["Vendor_Name"]["id"] == vendor_id]
    reply = zoho.crm("GET", f"/Vendors/{vendor_id}/Products", params={"fields": "Product_Name"})
    assert [p["id"] for p in valid(reply)["data"]] == expected
    contacts = listed(zoho, "Contacts", "Vendor_Name")
    expected = [c["id"] for c in contacts if c.get("Vendor_Name") and c["Vendor_Name"]["id"] == vendor_id]
    reply = zoho.crm("GET", f"/Vendors/{vendor_id}/Contacts", params={"fields": "Last_Name"})
    assert ([] if reply.status_code == 204 else [c["id"] for c in valid(reply)["data"]]) == expected


def test_paging_through_a_related_list(zoho: ZohoClient) -> None:
    account_id, contact_ids = an_account_with_contacts(zoho)
    assert len(contact_ids) >= 2
    seen: list[str] = []
    for page in range(1, len(contact_ids) + 1):
        reply = zoho.crm(
            "GET", f"/Accounts/{account_id}/Contacts", params={"fields": "Email", "per_page": 1, "page": page}
        )
        body = valid(reply)
        seen += [c["id"] for c in body["data"]]
        assert body["info"]["more_records"] is (page < len(contact_ids))
    assert seen == contact_ids
    empty(
        zoho.crm(
            "GET",
            f"/Accounts/{account_id}/Contacts",
            params={"fields": "Email", "per_page": 1, "page": len(contact_ids) + 1},
        ),
        204,
    )


def test_if_modified_since_is_304_until_a_related_record_changes(zoho: ZohoClient) -> None:
    account_id, contact_ids = an_account_with_contacts(zoho)
    advance(zoho, 60)
    token = fresh_token(zoho)
    since = {"If-Modified-Since": "2030-01-01T00:00:00+00:00"}
    path = f"/Accounts/{account_id}/Contacts"
    empty(zoho.crm("GET", path, params={"fields": "Email"}, headers=since, token=token), 304)
    now = zoho.control("GET", "/clock").json()["now"]
    header = {"If-Modified-Since": now}
    empty(zoho.crm("GET", path, params={"fields": "Email"}, headers=header, token=token), 304)
    advance(zoho, 5)
    token = fresh_token(zoho)
    zoho.crm("PUT", f"/Contacts/{contact_ids[0]}", json={"data": [{"Title": "Boss"}]}, token=token)
    reply = zoho.crm("GET", path, params={"fields": "Title"}, headers=header, token=token)
    assert [c["id"] for c in valid(reply)["data"]] == [contact_ids[0]]


def test_linking_products_to_an_account_shows_from_both_sides(zoho: ZohoClient) -> None:
    account_id, _ = an_account_with_contacts(zoho)
    products = [p["id"] for p in listed(zoho, "Products", "Product_Name")[:3]]
    empty(zoho.crm("GET", f"/Accounts/{account_id}/Products", params={"fields": "Product_Name"}), 204)
    reply = zoho.crm(
        "PUT", f"/Accounts/{account_id}/Products", json={"data": [{"id": i} for i in products[:2]]}
    )
    assert valid(reply)["data"] == [
        {"code": "SUCCESS", "details": {"id": i}, "message": "relation added", "status": "success"}
        for i in products[:2]
    ]
    assert valid(zoho.crm("PUT", f"/Accounts/{account_id}/Products/{products[2]}")).get("data")
    reply = zoho.crm("GET", f"/Accounts/{account_id}/Products", params={"fields": "Product_Name"})
    assert [p["id"] for p in valid(reply)["data"]] == sorted(products, key=int)
    reply = zoho.crm("GET", f"/Products/{products[0]}/Accounts", params={"fields": "Account_Name"})
    assert [a["id"] for a in valid(reply)["data"]] == [account_id]
    one = zoho.crm("GET", f"/Accounts/{account_id}/Products/{products[1]}")
    assert valid(one)["data"][0]["id"] == products[1]
    reply = zoho.crm("DELETE", f"/Accounts/{account_id}/Products", params={"ids": f"{products[0]},1234"})
    assert reply.status_code == 207
    assert [item["status"] for item in reply.json()["data"]] == ["success", "error"]
    zoho.crm("DELETE", f"/Products/{products[1]}")  # a deleted product leaves the list
    reply = zoho.crm("GET", f"/Accounts/{account_id}/Products", params={"fields": "Product_Name"})
    assert [p["id"] for p in valid(reply)["data"]] == [products[2]]


def test_related_list_errors(zoho: ZohoClient) -> None:
    account_id, _ = an_account_with_contacts(zoho)
    error(
        zoho.crm("GET", f"/Accounts/{account_id}/Nothing", params={"fields": "Email"}),
        400,
        "INVALID_DATA",
        RELATION,
        {"resource_path_index": 2},
    )
    error(
        zoho.crm("GET", f"/Accounts/{account_id}/Contacts"),
        400,
        "REQUIRED_PARAM_MISSING",
        "One of the expected parameter is missing",
        {"param_name": "fields"},
    )
    error(
        zoho.crm("GET", "/Accounts/abc/Contacts", params={"fields": "Email"}),
        400,
        "INVALID_DATA",
        "the id given seems to be invalid",
        {"resource_path_index": 1},
    )
    empty(zoho.crm("GET", "/Accounts/1234/Contacts", params={"fields": "Email"}), 204)
    error(
        zoho.crm("PUT", f"/Accounts/{account_id}/Contacts/1234"),
        400,
        "INVALID_DATA",
        RELATION,
        {"resource_path_index": 2},
    )
    unknown = zoho.crm("PUT", f"/Accounts/{account_id}/Products/1234")
    assert unknown.status_code == 400
    assert unknown.json()["data"] == [
        item("INVALID_DATA", "the related id given seems to be invalid", {"id": "1234"})
    ]


def test_settings_related_lists(zoho: ZohoClient) -> None:
    body = valid(zoho.crm("GET", "/settings/related_lists", params={"module": "Vendors"}))
    assert [rl["api_name"] for rl in body["related_lists"]] == ["Products", "Contacts"]
    first = body["related_lists"][0]
    assert first["module"]["api_name"] == "Products"
    one = zoho.crm("GET", f"/settings/related_lists/{first['id']}", params={"module": "Vendors"})
    assert valid(one)["related_lists"] == [first]
    accounts = valid(zoho.crm("GET", "/settings/related_lists", params={"module": "Accounts"}))
    assert {"Contacts", "Products"} <= {rl["api_name"] for rl in accounts["related_lists"]}
    error(
        zoho.crm("GET", "/settings/related_lists"),
        400,
        "REQUIRED_PARAM_MISSING",
        "One of the expected parameter is missing",
        {"param_name": "module"},
    )
