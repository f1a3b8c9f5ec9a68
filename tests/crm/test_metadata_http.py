"""Metadata over HTTP: fields, modules, custom views, the org and its users."""

from __future__ import annotations

from typing import Any

from tests.crm.expect import empty, valid
from tests.support import ZohoClient

#: Keys the SDK reads from every field (research §3), and the ones Zoho leaves as empty objects.
SDK_KEYS = {"api_name", "data_type", "json_type", "system_mandatory", "custom_field", "id", "field_label"}
EMPTY_OBJECTS = ("unique", "formula", "currency", "auto_number", "multiselectlookup")


def fields_of(zoho: ZohoClient, module: str) -> dict[str, dict[str, Any]]:
    reply = zoho.crm("GET", "/settings/fields", params={"module": module})
    return {f["api_name"]: f for f in valid(reply, "fields")["fields"]}


def test_fields_carry_what_the_sdk_reads(zoho: ZohoClient) -> None:
    fields = fields_of(zoho, "Accounts")
    for f in fields.values():
        assert SDK_KEYS | {
            "display_label",
            "length",
            "read_only",
            "visible",
            "lookup",
            "pick_list_values",
        } <= set(f)
        assert f["id"].isdigit() and len(f["id"]) == 19
    name = fields["Account_Name"]
    assert (name["data_type"], name["json_type"], name["system_mandatory"], name["length"]) == (
        "text",
        "string",
        True,
        200,
    )
    assert name["lookup"] == {} and name["pick_list_values"] == [] and name["custom_field"] is False
    assert all(fields["Phone"][key] == {} for key in EMPTY_OBJECTS)
    parent = fields["Parent_Account"]
    assert (parent["data_type"], parent["json_type"]) == ("lookup", "jsonobject")
    assert parent["lookup"]["module"]["api_name"] == "Accounts" and parent["lookup"]["module"]["id"].isdigit()
    assert fields["Owner"]["data_type"] == "ownerlookup"
    assert fields["Created_Time"]["read_only"] is True and fields["Employees"]["json_type"] == "integer"
    assert fields["Annual_Revenue"]["json_type"] == "double"


def test_picklists_and_custom_fields(zoho: ZohoClient) -> None:
    fields = fields_of(zoho, "Accounts")
    industry = fields["Industry"]["pick_list_values"]
    assert industry[0]["display_value"] == "-None-"
    assert {v["actual_value"] for v in industry} >= {"Technology", "Manufacturing"}
    assert [v["sequence_number"] for v in industry] == list(range(1, len(industry) + 1))
    assert all(set(v) >= {"display_value", "actual_value", "id", "sequence_number", "type"} for v in industry)
    assert (
        fields["Customer_Tier"]["custom_field"] is True and fields["Customer_Tier"]["data_type"] == "picklist"
    )
    assert fields_of(zoho, "Contacts")["Preferred_Language"]["custom_field"] is True
    products = fields_of(zoho, "Products")
    assert (products["Warranty_Months"]["custom_field"], products["Warranty_Months"]["data_type"]) == (
        True,
        "integer",
    )
    assert products["Vendor_Name"]["lookup"]["module"]["api_name"] == "Vendors"


def test_field_ids_are_stable_across_calls_and_unique(zoho: ZohoClient) -> None:
    first = fields_of(zoho, "Contacts")
    assert {k: f["id"] for k, f in first.items()} == {
        k: f["id"] for k, f in fields_of(zoho, "Contacts").items()
    }
    every = [
        f["id"]
        for module in ("Accounts", "Contacts", "Vendors", "Products")
        for f in fields_of(zoho, module).values()
    ]
    assert len(every) == len(set(every))
    lowercase = zoho.crm("GET", "/settings/fields", params={"module": "contacts"}).json()["fields"]
    assert [f["api_name"] for f in lowercase] == list(first)


def test_modules_list_and_one_module(zoho: ZohoClient) -> None:
    modules = valid(zoho.crm("GET", "/settings/modules"), "modules")["modules"]
    assert [m["api_name"] for m in modules] == ["Accounts", "Contacts", "Products", "Vendors"]
    for module in modules:
        assert module["api_supported"] is True and module["generated_type"] == "default"
        assert module["module_name"] == module["api_name"] and module["id"].isdigit()
    accounts = modules[0]
    by_name = valid(zoho.crm("GET", "/settings/modules/Accounts"), "modules")["modules"]
    by_id = zoho.crm("GET", f"/settings/modules/{accounts['id']}").json()["modules"]
    assert by_name == by_id == [accounts]
    fields = fields_of(zoho, "Contacts")
    assert fields["Account_Name"]["lookup"]["module"]["id"] == accounts["id"]


def test_custom_views_list_and_one_view(zoho: ZohoClient) -> None:
    body = valid(zoho.crm("GET", "/settings/custom_views", params={"module": "Accounts"}), "custom_views")
    views = body["custom_views"]
    assert [v["name"] for v in views] == [
        "All Accounts",
        "My Accounts",
        "Recently Created Accounts",
        "Recently Modified Accounts",
        "US Accounts",
        "Technology Accounts",
    ]
    default = views[0]
    assert (default["system_name"], default["default"], default["system_defined"]) == ("ALLVIEWS", True, True)
    assert "criteria" not in default
    assert body["info"] == {
        "per_page": 200,
        "default": default["id"],
        "count": 6,
        "page": 1,
        "more_records": False,
        "translation": {
            "public_views": "Public Views",
            "other_users_views": "Other User's Views",
            "shared_with_me": "Shared With Me",
            "created_by_me": "Created By Me",
        },
    }
    us = views[4]
    detail = valid(
        zoho.crm("GET", f"/settings/custom_views/{us['id']}", params={"module": "Accounts"}), "custom_view"
    )["custom_views"][0]
    country = fields_of(zoho, "Accounts")["Billing_Country"]
    assert detail["criteria"] == {
        "comparator": "equal",
        "field": {"api_name": "Billing_Country", "id": country["id"]},
        "type": "value",
        "value": "United States",
    }
    assert detail["sort_by"]["api_name"] == "Account_Name" and detail["sort_order"] == "asc"
    assert [f["api_name"] for f in detail["fields"]][:2] == ["Account_Name", "Billing_City"]
    assert (
        detail["created_by"]["id"]
        == zoho.crm("GET", "/users", params={"type": "CurrentUser"}).json()["users"][0]["id"]
    )
    empty(zoho.crm("GET", f"/settings/custom_views/{us['id']}", params={"module": "Contacts"}), 204)


def test_a_view_created_by_the_control_plane_is_listed_with_group_criteria(zoho: ZohoClient) -> None:
    criteria = {
        "group_operator": "and",
        "group": [
            {"comparator": "equal", "field": {"api_name": "Country"}, "value": "United States"},
            {"comparator": "equal", "field": {"api_name": "Email"}, "value": "${NOTEMPTY}"},
        ],
    }
    created = zoho.control(
        "POST", "/tenants/t1/crm/views", json={"module": "Vendors", "name": "US mail", "criteria": criteria}
    )
    assert created.status_code == 201
    views = zoho.crm("GET", "/settings/custom_views", params={"module": "Vendors"}).json()["custom_views"]
    view = next(v for v in views if v["name"] == "US mail")
    detail = zoho.crm("GET", f"/settings/custom_views/{view['id']}", params={"module": "Vendors"}).json()
    assert detail["custom_views"][0]["criteria"]["group_operator"] == "AND"
    listed = zoho.crm("GET", "/Vendors", params={"fields": "Country,Email", "cvid": view["id"]}).json()[
        "data"
    ]
    assert listed and all(v["Country"] == "United States" and v["Email"] for v in listed)


def test_org_details(zoho: ZohoClient) -> None:
    [org] = valid(zoho.crm("GET", "/org"), "org")["org"]
    assert org["zgid"] == zoho.creds["crm_org_id"]
    assert (org["time_zone"], org["max_per_page"], org["iso_code"]) == ("Asia/Kolkata", 200, "USD")
    current = zoho.crm("GET", "/users", params={"type": "CurrentUser"}).json()["users"][0]
    assert (org["primary_email"], org["primary_zuid"]) == (current["email"], current["zuid"])


def test_users_by_type_and_id(zoho: ZohoClient) -> None:
    body = valid(zoho.crm("GET", "/users", params={"type": "CurrentUser"}), "users")
    [me] = body["users"]
    assert body["info"] == {"per_page": 200, "count": 1, "page": 1, "more_records": False}
    assert (me["profile"]["name"], me["role"]["name"], me["status"]) == ("Administrator", "CEO", "active")
    assert "@" in me["email"] and me["time_zone"] == "Asia/Kolkata"
    everyone = zoho.crm("GET", "/users").json()["users"]
    assert len(everyone) == 5 and everyone[0] == me
    assert [
        u["status"] for u in zoho.crm("GET", "/users", params={"type": "DeactiveUsers"}).json()["users"]
    ] == ["disabled"]
    assert len(zoho.crm("GET", "/users", params={"type": "ActiveConfirmedUsers"}).json()["users"]) == 3
    empty(zoho.crm("GET", "/users", params={"type": "DeletedUsers"}), 204)
    chosen = zoho.crm("GET", "/users", params={"ids": f"{everyone[2]['id']},{everyone[4]['id']}"}).json()[
        "users"
    ]
    assert [u["id"] for u in chosen] == [everyone[2]["id"], everyone[4]["id"]]
    one = valid(zoho.crm("GET", f"/users/{everyone[1]['id']}"), "users")
    assert one["users"] == [everyone[1]]
    empty(zoho.crm("GET", "/users/1234567890123456789"), 204)
    pages = zoho.crm("GET", "/users", params={"per_page": 2, "page": 2}).json()
    assert [u["id"] for u in pages["users"]] == [u["id"] for u in everyone[2:4]] and pages["info"][
        "more_records"
    ]
