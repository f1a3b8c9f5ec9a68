"""Custom fields and updates by a unique custom field: ``PUT /contacts`` and ``PUT /items`` with the
``X-Unique-Identifier-Key`` / ``X-Unique-Identifier-Value`` headers and the optional ``X-Upsert``.

Every seeded org defines ``cf_customer_code`` (unique) and ``cf_segment`` on contacts, and
``cf_product_code`` (unique) and ``cf_warranty`` on items.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.books.expect import error, ok
from tests.openapi import skip_without_oas
from tests.support import ZohoClient

skip_without_oas()

#: path, unique api name, other field's label, create body, create message, update message, key
ENTITIES = {
    "contacts": (
        "cf_customer_code",
        "Segment",
        {"contact_name": "Upsert Co"},
        "The contact has been created",
        "Contact has been updated successfully",
        "contact",
    ),
    "items": (
        "cf_product_code",
        "Warranty",
        {"name": "Upsert Drive", "rate": 10},
        "The item has been added.",
        "Item details have been saved.",
        "item",
    ),
}


def by_unique(zoho: ZohoClient, path: str, value: str, body: Any, *, upsert: str | None = None) -> Any:
    key = ENTITIES[path][0]
    headers = {"X-Unique-Identifier-Key": key, "X-Unique-Identifier-Value": value}
    if upsert is not None:
        headers["X-Upsert"] = upsert
    return zoho.books("PUT", f"/{path}", json=body, headers=headers)


def values(record: dict[str, Any]) -> dict[str, str]:
    return {entry["api_name"]: entry["value"] for entry in record["custom_fields"]}


@pytest.mark.parametrize("path", sorted(ENTITIES))
def test_custom_fields_are_named_any_documented_way_and_merge(zoho: ZohoClient, path: str) -> None:
    unique, other, body, created, updated, key = ENTITIES[path]
    record = ok(
        zoho.books(
            "POST", f"/{path}", json={**body, "custom_fields": [{"api_name": unique, "value": "A-1"}]}
        ),
        created,
        status=201,
    )[key]
    entry = record["custom_fields"][0]
    assert entry.keys() >= {"customfield_id", "index", "label", "value"} and entry["value"] == "A-1"
    one = f"/{path}/{record[f'{key}_id']}"
    for naming in ({"label": other}, {"index": 2}):
        reply = ok(zoho.books("PUT", one, json={"custom_fields": [{**naming, "value": "x"}]}), updated)
        assert values(reply[key]) == {unique: "A-1", other_api(path): "x"}
    by_id = {"customfield_id": entry["customfield_id"], "value": ""}  # "" clears a value
    assert values(ok(zoho.books("PUT", one, json={"custom_fields": [by_id]}), updated)[key]) == {
        other_api(path): "x"
    }
    for unknown in ({"api_name": "cf_nothing"}, {"index": 9}, {"customfield_id": "1"}, {"value": "no name"}):
        reply = zoho.books("PUT", one, json={"custom_fields": [{"value": "v", **unknown}]})
        error(reply, 400, 2, "Invalid value passed for custom_fields")


def other_api(path: str) -> str:
    return "cf_segment" if path == "contacts" else "cf_warranty"


@pytest.mark.parametrize("path", sorted(ENTITIES))
def test_a_unique_value_names_one_record(zoho: ZohoClient, path: str) -> None:
    unique, _, body, created, updated, key = ENTITIES[path]
    first = ok(
        zoho.books(
            "POST", f"/{path}", json={**body, "custom_fields": [{"api_name": unique, "value": "U-1"}]}
        ),
        created,
        status=201,
    )[key]
    again = zoho.books(
        "POST", f"/{path}", json={**body, "custom_fields": [{"api_name": unique, "value": "U-1"}]}
    )
    label = "Customer Code" if path == "contacts" else "Product Code"
    error(again, 400, 1001, f'The value "U-1" already exists for the custom field "{label}".')
    reply = ok(
        by_unique(zoho, path, "U-1", {"description" if path == "items" else "notes": "by key"}), updated
    )
    assert reply[key][f"{key}_id"] == first[f"{key}_id"]
    error(by_unique(zoho, path, "U-2", body), 404, 1002, f"{key.capitalize()} does not exist.")
    error(
        by_unique(zoho, path, "U-2", body, upsert="false"), 404, 1002, f"{key.capitalize()} does not exist."
    )


@pytest.mark.parametrize("path", sorted(ENTITIES))
def test_x_upsert_creates_once_then_updates(zoho: ZohoClient, path: str) -> None:
    unique, _, body, created, updated, key = ENTITIES[path]
    made = ok(by_unique(zoho, path, "N-1", body, upsert="true"), created)[key]
    assert values(made) == {unique: "N-1"}
    again = ok(by_unique(zoho, path, "N-1", body, upsert="TRUE"), updated)[key]
    assert again[f"{key}_id"] == made[f"{key}_id"]
    name = "contact_name" if path == "contacts" else "name"
    everyone = ok(zoho.books("GET", f"/{path}", params={name: body[name]}))[path]
    assert [row[f"{key}_id"] for row in everyone] == [made[f"{key}_id"]]


@pytest.mark.parametrize("path", sorted(ENTITIES))
def test_bad_headers_name_the_header(zoho: ZohoClient, path: str) -> None:
    unique, _, body, *_ = ENTITIES[path]
    cases = [
        ({}, "X-Unique-Identifier-Key"),
        (
            {"X-Unique-Identifier-Key": "cf_nothing", "X-Unique-Identifier-Value": "v"},
            "X-Unique-Identifier-Key",
        ),
        (
            {"X-Unique-Identifier-Key": other_api(path), "X-Unique-Identifier-Value": "v"},
            "X-Unique-Identifier-Key",
        ),
        ({"X-Unique-Identifier-Key": unique}, "X-Unique-Identifier-Value"),
        ({"X-Unique-Identifier-Key": unique, "X-Unique-Identifier-Value": ""}, "X-Unique-Identifier-Value"),
        (
            {"X-Unique-Identifier-Key": unique, "X-Unique-Identifier-Value": "v", "X-Upsert": "yes"},
            "X-Upsert",
        ),
    ]
    for headers, name in cases:
        error(
            zoho.books("PUT", f"/{path}", json=body, headers=headers),
            400,
            2,
            f"Invalid value passed for {name}",
        )
    # an upsert that must create checks the body as a create does
    required = "contact_name" if path == "contacts" else "name"
    error(
        by_unique(zoho, path, "B-1", {"notes": "no name"}, upsert="true"),
        400,
        2,
        f"Invalid value passed for {required}",
    )


GARBAGE = [None, True, -1, 1.5, "", "x", [], {}, [1, "a"], {"a": {"b": []}}, [{"api_name": 3}]]


@pytest.mark.parametrize("path", sorted(ENTITIES))
def test_garbage_never_causes_a_server_error(zoho: ZohoClient, path: str) -> None:
    _, _, body, *_ = ENTITIES[path]
    for value in GARBAGE:
        for reply in (
            by_unique(zoho, path, "G-1", {**body, "custom_fields": value}, upsert="true"),
            by_unique(zoho, path, "G-1", value, upsert="true"),
            zoho.books("POST", f"/{path}", json={**body, "custom_fields": value}),
        ):
            assert reply.status_code in (200, 201, 400, 404), (value, reply.text)
            assert (reply.json()["code"] == 0) == (reply.status_code < 300), (value, reply.text)


def test_an_items_custom_fields_alone(zoho: ZohoClient) -> None:
    item = ok(
        zoho.books("POST", "/items", json={"name": "CF Drive", "rate": 1}),
        "The item has been added.",
        status=201,
    )["item"]
    warranty = next(e for e in item_fields(zoho) if e["api_name"] == "cf_warranty")
    path = f"/item/{item['item_id']}/customfields"
    body = [{"customfield_id": warranty["customfield_id"], "value": "3y"}]
    ok(zoho.books("PUT", path, json=body), "Custom Fields Updated Successfully")
    assert values(ok(zoho.books("GET", f"/items/{item['item_id']}"))["item"]) == {"cf_warranty": "3y"}
    error(zoho.books("PUT", path, json={"value": "x"}), 400, 2, "Invalid value passed for custom_fields")
    error(
        zoho.books("PUT", path, json=[{"customfield_id": "1", "value": "x"}]),
        400,
        2,
        "Invalid value passed for custom_fields",
    )
    error(zoho.books("PUT", "/item/1/customfields", json=body), 404, 1002, "Item does not exist.")


def item_fields(zoho: ZohoClient) -> list[dict[str, Any]]:
    """The item custom fields, read off an item that has every one set."""
    custom = [{"api_name": "cf_product_code", "value": "D-1"}, {"api_name": "cf_warranty", "value": "1y"}]
    body = {"name": "Definitions", "rate": 1, "custom_fields": custom}
    return ok(zoho.books("POST", "/items", json=body), "The item has been added.", status=201)["item"][
        "custom_fields"
    ]


def test_the_control_plane_adds_custom_fields(zoho: ZohoClient) -> None:
    settings = f"/tenants/{zoho.creds['tenant_id']}/books/settings"
    before = zoho.control("GET", settings).json()
    assert before["edition"] == "us"
    assert [(d["entity"], d["api_name"], d["is_unique"]) for d in before["custom_fields"]] == [
        ("contact", "cf_customer_code", True),
        ("contact", "cf_segment", False),
        ("item", "cf_product_code", True),
        ("item", "cf_warranty", False),
    ]
    for bad in (
        {"custom_fields": {"entity": "item"}},
        {"custom_fields": [{"entity": "invoice", "label": "X"}]},
        {"custom_fields": [{"entity": "item", "label": ""}]},
        {"custom_fields": [{"entity": "item", "label": "Warranty"}]},
        {
            "custom_fields": [
                {"entity": "item", "label": "Ok"},
                {"entity": "item", "label": "Y", "api_name": "Y"},
            ]
        },
        {"custom_fields": [{"entity": "item", "label": "Z", "is_unique": "yes"}]},
        {"colour": "blue"},
    ):
        assert zoho.control("PUT", settings, json=bad).status_code == 400, bad
    assert zoho.control("GET", settings).json() == before  # a refused request changes nothing
    added = [{"entity": "contact", "label": "Tax Ref", "is_unique": True}]
    fields = zoho.control("PUT", settings, json={"custom_fields": added}).json()["custom_fields"]
    assert (fields[-1]["api_name"], fields[-1]["index"]) == ("cf_tax_ref", 3)
    headers = {
        "X-Unique-Identifier-Key": "cf_tax_ref",
        "X-Unique-Identifier-Value": "T-9",
        "X-Upsert": "true",
    }
    made = ok(
        zoho.books("PUT", "/contacts", json={"contact_name": "Ref Co"}, headers=headers),
        "The contact has been created",
    )
    assert values(made["contact"]) == {"cf_tax_ref": "T-9"}
