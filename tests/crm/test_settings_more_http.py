"""Layouts, ``settings/fields/{id}`` and the recycle bin over HTTP."""

from __future__ import annotations

from tests.crm.expect import OAS_GAPS, empty, error, valid
from tests.openapi import validate_response
from tests.support import ZohoClient


def test_each_module_has_its_standard_layout(zoho: ZohoClient) -> None:
    module = valid(zoho.crm("GET", "/settings/modules/Contacts"), "modules")["modules"][0]
    body = zoho.crm("GET", "/settings/layouts", params={"module": "Contacts"}).json()
    [layout] = body["layouts"]
    assert layout["id"] == module["layouts"][0]["id"] and layout["name"] == "Standard"
    fields = zoho.crm("GET", "/settings/fields", params={"module": "Contacts"}).json()["fields"]
    assert [f["api_name"] for f in layout["sections"][0]["fields"]] == [f["api_name"] for f in fields]
    one = zoho.crm("GET", f"/settings/layouts/{layout['id']}", params={"module": "Contacts"})
    assert one.json() == body
    empty(zoho.crm("GET", f"/settings/layouts/{layout['id']}", params={"module": "Accounts"}), 204)
    error(
        zoho.crm("GET", "/settings/layouts"),
        400,
        "REQUIRED_PARAM_MISSING",
        "One of the expected parameter is missing",
        {"param_name": "module"},
    )


def test_a_layout_matches_the_document_where_zoho_fills_it(zoho: ZohoClient) -> None:
    reply = zoho.crm("GET", "/settings/layouts", params={"module": "Vendors"})
    validate_response("crm", "GET", reply.request.url.path, 200, reply.json(), ignore=OAS_GAPS["layouts"])


def test_one_field_by_id_or_api_name(zoho: ZohoClient) -> None:
    fields = zoho.crm("GET", "/settings/fields", params={"module": "Products"}).json()["fields"]
    price = next(f for f in fields if f["api_name"] == "Unit_Price")
    by_id = zoho.crm("GET", f"/settings/fields/{price['id']}", params={"module": "Products"})
    assert by_id.json() == {"fields": [price]}
    by_name = zoho.crm("GET", "/settings/fields/Unit_Price", params={"module": "Products"})
    assert by_name.json() == by_id.json()
    error(
        zoho.crm("GET", "/settings/fields/123", params={"module": "Products"}),
        400,
        "INVALID_DATA",
        "the id given seems to be invalid",
        {"resource_path_index": 2},
    )


def test_deleted_records_are_in_the_recycle_bin_until_purged(zoho: ZohoClient) -> None:
    listed = zoho.crm("GET", "/Vendors", params={"fields": "Vendor_Name", "per_page": 3}).json()["data"]
    ids = [vendor["id"] for vendor in listed]
    empty(zoho.crm("GET", "/settings/recycle_bin"), 204)
    zoho.crm("DELETE", "/Vendors", params={"ids": ",".join(ids)})
    body = valid(zoho.crm("GET", "/settings/recycle_bin"))
    assert sorted(entry["id"] for entry in body["recycle_bin"]) == sorted(ids)
    assert {entry["module"]["api_name"] for entry in body["recycle_bin"]} == {"Vendors"}
    assert {entry["display_name"] for entry in body["recycle_bin"]} == {v["Vendor_Name"] for v in listed}
    filtered = zoho.crm("GET", "/settings/recycle_bin", params={"filters": "Accounts"})
    empty(filtered, 204)
    one = valid(zoho.crm("GET", f"/settings/recycle_bin/{ids[0]}"))
    assert one["recycle_bin"][0]["id"] == ids[0]
    purged = zoho.crm("DELETE", f"/settings/recycle_bin/{ids[0]}")
    assert valid(purged)["recycle_bin"][0]["details"] == {"id": ids[0]}
    empty(zoho.crm("GET", f"/settings/recycle_bin/{ids[0]}"), 204)
    permanent = zoho.crm("GET", "/Vendors/deleted", params={"type": "permanent"}).json()["data"]
    assert [(row["id"], row["type"], row["display_name"]) for row in permanent] == [
        (ids[0], "permanent", None)
    ]
    mixed = zoho.crm("DELETE", "/settings/recycle_bin", params={"ids": f"{ids[1]},{ids[0]}"})
    assert mixed.status_code == 207
    assert [item["status"] for item in mixed.json()["recycle_bin"]] == ["success", "error"]
    error(
        zoho.crm("DELETE", "/settings/recycle_bin"),
        400,
        "REQUIRED_PARAM_MISSING",
        "One of the expected parameter is missing",
        {"param_name": "ids"},
    )
    error(
        zoho.crm("GET", "/settings/recycle_bin", params={"filters": '{"value": 5}'}),
        400,
        "INVALID_DATA",
        "invalid data",
        {"param_name": "filters"},
    )
