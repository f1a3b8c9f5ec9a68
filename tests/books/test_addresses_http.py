"""A contact's additional addresses: ``/contacts/{id}/address`` (list, add) and
``/contacts/{id}/address/{address_id}`` (edit, delete), beside its billing and shipping addresses."""

from __future__ import annotations

import pytest

from tests.books.expect import error, ok
from tests.openapi import skip_without_oas
from tests.support import ZohoClient

skip_without_oas()

ADDRESS_KEYS = {
    "address_id",
    "attention",
    "address",
    "street2",
    "city",
    "state",
    "zip",
    "country",
    "fax",
    "phone",
}


@pytest.fixture
def contact(zoho: ZohoClient) -> dict:
    body = {"contact_name": "Address Co", "billing_address": {"city": "Billington"}}
    return ok(zoho.books("POST", "/contacts", json=body), "The contact has been created", status=201)[
        "contact"
    ]


def test_addresses_are_added_listed_edited_and_deleted(zoho: ZohoClient, contact: dict) -> None:
    base = f"/contacts/{contact['contact_id']}/address"
    listed = ok(zoho.books("GET", base))["addresses"]
    assert [a["address_id"] for a in listed] == [
        contact["billing_address"]["address_id"],
        contact["shipping_address"]["address_id"],
    ]
    added = ok(
        zoho.books("POST", base, json={"attention": "Stores", "address": "1 Main St", "zip": 94588}),
        "The address has been created.",
    )["address_info"]
    assert added.keys() >= ADDRESS_KEYS and (added["address"], added["zip"], added["city"]) == (
        "1 Main St",
        "94588",
        "",
    )
    one = f"{base}/{added['address_id']}"
    edited = ok(zoho.books("PUT", one, json={"city": "Springfield"}), "The address has been updated.")[
        "address_info"
    ]
    assert (edited["address"], edited["city"]) == ("1 Main St", "Springfield")  # a partial update merges
    shown = ok(zoho.books("GET", f"/contacts/{contact['contact_id']}"))["contact"]
    assert shown["addresses"] == [edited]
    assert [a["address_id"] for a in ok(zoho.books("GET", base))["addresses"]][2:] == [added["address_id"]]
    ok(zoho.books("DELETE", one), "The address has been deleted.")
    assert len(ok(zoho.books("GET", base))["addresses"]) == 2
    error(zoho.books("DELETE", one), 404, 1002, "Address does not exist.")


def test_bad_input(zoho: ZohoClient, contact: dict) -> None:
    base = f"/contacts/{contact['contact_id']}/address"
    for method, path in (("GET", "/contacts/1/address"), ("POST", "/contacts/1/address")):
        error(zoho.books(method, path, json={}), 404, 1002, "Contact does not exist.")
    error(zoho.books("PUT", f"{base}/1", json={"city": "x"}), 404, 1002, "Address does not exist.")
    billing = contact["billing_address"]["address_id"]
    for method in ("PUT", "DELETE"):
        error(zoho.books(method, f"{base}/{billing}", json={}), 400, 2, "Invalid value passed for address_id")
    for body, field in (([], "JSONString"), ({"city": []}, "city"), ({"zip": {"a": 1}}, "zip")):
        error(zoho.books("POST", base, json=body), 400, 2, f"Invalid value passed for {field}")
    assert len(ok(zoho.books("GET", base))["addresses"]) == 2
    error(zoho.books("PATCH", base), 405, 37, "The HTTP method is not allowed for the requested resource")
