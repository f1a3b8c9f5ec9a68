"""Books items over HTTP: list, create, get, update, delete, active/inactive (all under settings scopes)."""

from __future__ import annotations

import json

import pytest

from tests.books.expect import error, ok
from tests.openapi import skip_without_oas
from tests.support import ZohoClient

skip_without_oas()


def create(zoho: ZohoClient, **fields: object) -> dict:
    body = {"name": "Hard Drive", "rate": 120, **fields}
    return ok(zoho.books("POST", "/items", json=body), "The item has been added.", status=201)["item"]


def test_list_hides_inactive_items_and_pages(zoho: ZohoClient) -> None:
    body = ok(zoho.books("GET", "/items"))
    everyone = ok(zoho.books("GET", "/items", params={"filter_by": "Status.All"}))["items"]
    assert len(body["items"]) < len(everyone) and all(i["status"] == "active" for i in body["items"])
    assert body["page_context"] == {
        "page": 1,
        "per_page": 200,
        "has_more_page": False,
        "applied_filter": "Status.Active",
        "sort_column": "name",
        "sort_order": "A",
        "report_name": "Items",
    }
    assert not any(i["is_linked_with_zohocrm"] or i["zcrm_product_id"] for i in everyone)
    paged = ok(zoho.books("GET", "/items", params={"filter_by": "Status.All", "per_page": 3, "page": 2}))
    assert [i["item_id"] for i in paged["items"]] == [i["item_id"] for i in everyone[3:6]]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"name": "hard drive"}, ["Hard Drive"]),
        ({"name_startswith": "Hard"}, ["Hard Drive"]),
        ({"name_contains": "rd dr"}, ["Hard Drive"]),
        ({"description_contains": "500gb"}, ["Hard Drive"]),
        ({"search_text": "500GB", "rate_greater_equals": "120", "rate_less_than": "121"}, ["Hard Drive"]),
        ({"search_text": "500GB", "rate_greater_than": "120"}, []),
    ],
)
def test_list_filters(zoho: ZohoClient, params: dict[str, str], expected: list[str]) -> None:
    create(zoho, description="500GB")
    assert [i["name"] for i in ok(zoho.books("GET", "/items", params=params))["items"]] == expected


def test_sort_by_rate_descending(zoho: ZohoClient) -> None:
    rates = [
        i["rate"]
        for i in ok(zoho.books("GET", "/items", params={"sort_column": "rate", "sort_order": "D"}))["items"]
    ]
    assert rates == sorted(rates, reverse=True)


def test_create_get_update_delete(zoho: ZohoClient) -> None:
    item = create(zoho, sku="s12345", unit="pcs", product_type="goods", zcrm_product_id="5000000000000000001")
    assert (item["sku"], item["unit"], item["status"], item["zcrm_product_id"]) == (
        "s12345",
        "pcs",
        "active",
        "",
    )
    assert item["created_time"] == item["last_modified_time"] == "2026-01-15T14:30:00+0530"
    item_id = item["item_id"]
    assert ok(zoho.books("GET", f"/items/{item_id}"))["item"] == item
    zoho.control("POST", "/clock", json={"advance": 60})
    reply = zoho.books("PUT", f"/items/{item_id}/", content=json.dumps({"rate": 99.5}).encode())
    updated = ok(reply, "Item details have been saved.", oas=False)["item"]
    assert (updated["rate"], updated["name"], updated["last_modified_time"]) == (
        99.5,
        "Hard Drive",
        "2026-01-15T14:31:00+0530",
    )
    ok(zoho.books("DELETE", f"/items/{item_id}"), "The item has been deleted.")
    error(zoho.books("GET", f"/items/{item_id}"), 404, 1002, "Item does not exist.")


def test_json_string_form_body(zoho: ZohoClient) -> None:
    reply = zoho.books(
        "POST", "/items", data={"JSONString": json.dumps({"name": "Form Item", "rate": "12.5"})}
    )
    assert ok(reply, "The item has been added.", status=201)["item"]["rate"] == 12.5


def test_mark_inactive_and_active(zoho: ZohoClient) -> None:
    item_id = create(zoho)["item_id"]
    ok(zoho.books("POST", f"/items/{item_id}/inactive"), "The item has been marked as inactive.")
    assert ok(zoho.books("GET", f"/items/{item_id}"))["item"]["status"] == "inactive"
    ok(zoho.books("POST", f"/items/{item_id}/active"), "The item has been marked as active.")
    assert ok(zoho.books("GET", f"/items/{item_id}"))["item"]["status"] == "active"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"rate": 1}, "name"),
        ({"name": "X"}, "rate"),
        ({"name": "X", "rate": "cheap"}, "rate"),
        ({"name": "X", "rate": 1, "product_type": "thing"}, "product_type"),
        ({"name": "X", "rate": 1, "item_type": "rental"}, "item_type"),
        ({"name": ["X"], "rate": 1}, "name"),
    ],
)
def test_create_rejects_bad_values(zoho: ZohoClient, body: dict, field: str) -> None:
    error(zoho.books("POST", "/items", json=body), 400, 2, f"Invalid value passed for {field}")


def test_missing_items_do_not_exist(zoho: ZohoClient) -> None:
    for method, path in [
        ("GET", "/items/1"),
        ("PUT", "/items/1"),
        ("DELETE", "/items/1"),
        ("POST", "/items/1/active"),
        ("POST", "/items/1/inactive"),
    ]:
        error(zoho.books(method, path, json={"rate": 1}), 404, 1002, "Item does not exist.")
