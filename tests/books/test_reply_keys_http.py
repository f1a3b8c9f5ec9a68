"""Every key Zoho's Books documents list in a reply is in the simulator's reply, in every edition.

The expected keys come from walking the documents (``tests.openapi.documented_keys``), not from a
list kept here: a key marked ``x-node_available_in`` is expected only in those editions. One
scenario makes every Books route answer once per edition, on records that have custom fields,
persons and addresses, so that the keys inside arrays are checked too; an array that no reply
ever fills is an exception below, with its reason.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from simulator.books.editions import EDITIONS
from simulator.books.urls import routes
from tests.openapi import DocumentedKey, documented_keys, skip_without_oas, validate_response
from tests.support import ZohoClient

skip_without_oas()

SIZES = {"accounts": 3, "contacts": 3, "vendors": 2, "products": 3, "books_overlap": 0.0, "books_extra": 1}

#: Arrays no reply fills, and why: the keys inside them cannot be checked.
EMPTY_ARRAYS = {
    ("contact", "opening_balances"): "opening balances need transactions, which the simulator has none of",
    ("item", "locations"): "multi-location inventory is not simulated",
    ("organization", "custom_fields"): "the org itself has no custom fields",
}


def _present(body: Any, path: tuple[str, ...]) -> Iterator[tuple[bool, tuple[str, ...]]]:
    """For each object the path reaches: whether the key is there (arrays: in each element)."""
    head, *rest = path
    if head == "*":
        for element in body if isinstance(body, list) else []:
            yield from _present(element, tuple(rest))
        return
    if not isinstance(body, dict):
        return
    if not rest:
        yield head in body, path
    elif head in body:
        yield from _present(body[head], tuple(rest))


def _filled(body: Any, path: tuple[str, ...]) -> bool:
    """Whether some array at ``path`` has an element."""
    if not path:
        return isinstance(body, list) and bool(body)
    head, *rest = path
    if head == "*":
        return any(_filled(element, tuple(rest)) for element in body if isinstance(body, list))
    return isinstance(body, dict) and head in body and _filled(body[head], tuple(rest))


class Scenario:
    """Calls every Books route of one tenant, and records each reply with its route template."""

    def __init__(self, zoho: ZohoClient) -> None:
        self.zoho = zoho
        self.replies: list[tuple[str, str, httpx.Response]] = []

    def call(self, method: str, template: str, path: str | None = None, **kwargs: Any) -> dict[str, Any]:
        reply = self.zoho.books(method, path or template, **kwargs)
        assert reply.status_code in (200, 201) and reply.json()["code"] == 0, (method, path, reply.text)
        self.replies.append((method, template, reply))
        return reply.json()

    def run(self) -> None:
        org = self.zoho.creds["books_organization_id"]
        self.call("GET", "/organizations", org=False)
        self.call("GET", "/organizations/{organization_id}", f"/organizations/{org}", org=False)
        self._contacts()
        self._items()
        self._imports()

    def _contacts(self) -> None:
        custom = [{"api_name": "cf_customer_code", "value": "C-1"}, {"index": 2, "value": "retail"}]
        person = {"first_name": "Ann", "last_name": "Lee", "email": "ann@example.com"}
        body = {"contact_name": "Keys Co", "contact_persons": [person], "custom_fields": custom}
        contact = self.call("POST", "/contacts", json=body)["contact"]
        cid = contact["contact_id"]
        one = f"/contacts/{cid}"
        self.call("GET", "/contacts", params={"contact_name": "Keys Co"})
        self.call("GET", "/contacts/{contact_id}", one)
        self.call("PUT", "/contacts/{contact_id}", one, json={"notes": "updated"})
        headers = {"X-Unique-Identifier-Key": "cf_customer_code", "X-Unique-Identifier-Value": "C-1"}
        self.call("PUT", "/contacts", json={"notes": "upserted"}, headers=headers)
        address = {"attention": "Stores", "address": "1 Main St", "city": "Springfield"}
        added = self.call("POST", "/contacts/{contact_id}/address", f"{one}/address", json=address)
        address_one = f"{one}/address/{added['address_info']['address_id']}"
        self.call("GET", "/contacts/{contact_id}/address", f"{one}/address")
        self.call("PUT", "/contacts/{contact_id}/address/{address_id}", address_one, json={"zip": "1"})
        self._persons(cid)
        self.call("POST", "/contacts/{contact_id}/inactive", f"{one}/inactive")
        self.call("POST", "/contacts/{contact_id}/active", f"{one}/active")
        self.call("DELETE", "/contacts/{contact_id}/address/{address_id}", address_one)
        self.call("DELETE", "/contacts/{contact_id}", one)

    def _persons(self, cid: str) -> None:
        persons = "/contacts/contactpersons"
        created = self.call("POST", persons, json={"contact_id": cid, "first_name": "Bo"})
        pid = created["contact_person"][0]["contact_person_id"]
        one = f"{persons}/{pid}"
        self.call("GET", persons)
        self.call("GET", f"{persons}/{{contact_person_id}}", one)
        self.call(
            "PUT", f"{persons}/{{contact_person_id}}", one, json={"contact_id": cid, "first_name": "Bob"}
        )
        self.call("POST", f"{persons}/{{contact_person_id}}/primary", f"{one}/primary")
        self.call("GET", "/contacts/{contact_id}/contactpersons", f"/contacts/{cid}/contactpersons")
        self.call(
            "GET",
            "/contacts/{contact_id}/contactpersons/{contact_person_id}",
            f"/contacts/{cid}/contactpersons/{pid}",
        )
        self.call("DELETE", f"{persons}/{{contact_person_id}}", one)

    def _items(self) -> None:
        body = {
            "name": "Keys Drive",
            "rate": 120,
            "custom_fields": [{"api_name": "cf_product_code", "value": "P-1"}, {"index": 2, "value": "1y"}],
            # India's field: the other editions ignore it
            "item_tax_preferences": [{"tax_id": "1", "tax_specification": "intra"}],
        }
        item = self.call("POST", "/items", json=body)["item"]
        iid = item["item_id"]
        one = f"/items/{iid}"
        self.call("GET", "/items", params={"name": "Keys Drive"})
        self.call("GET", "/items/{item_id}", one)
        self.call("PUT", "/items/{item_id}", one, json={"rate": 130})
        headers = {"X-Unique-Identifier-Key": "cf_product_code", "X-Unique-Identifier-Value": "P-1"}
        self.call("PUT", "/items", json={"rate": 140}, headers=headers)
        custom = [{"customfield_id": item["custom_fields"][1]["customfield_id"], "value": "2y"}]
        self.call("PUT", "/item/{item_id}/customfields", f"/item/{iid}/customfields", json=custom)
        self.call("POST", "/items/{item_id}/inactive", f"{one}/inactive")
        self.call("POST", "/items/{item_id}/active", f"{one}/active")
        self.call("DELETE", "/items/{item_id}", one)

    def _imports(self) -> None:
        for module, name, segment, param in (
            ("Accounts", "Account_Name", "account", "crm_account_id"),
            ("Contacts", "Last_Name", "contact", "crm_contact_id"),
            ("Vendors", "Vendor_Name", "vendor", "crm_vendor_id"),
            ("Products", "Product_Name", "item", "crm_product_id"),
        ):
            record = self.zoho.crm("GET", f"/{module}", params={"fields": name, "per_page": 1}).json()[
                "data"
            ][0]
            template = f"/crm/{segment}/{{{param}}}/import"
            self.call("POST", template, f"/crm/{segment}/{record['id']}/import")


def _served_routes() -> set[tuple[str, str]]:
    return {
        (method, route.path.removeprefix("/books/v3"))
        for route in routes
        for method in getattr(route, "methods", None) or ()
        if method != "HEAD"
    }


@pytest.mark.parametrize("edition", sorted(EDITIONS))
def test_every_documented_reply_key_is_there(zoho: ZohoClient, edition: str) -> None:
    created = zoho.control(
        "POST", "/tenants", json={"tenant_id": f"keys-{edition}", "books_edition": edition, "sizes": SIZES}
    )
    assert created.status_code == 201, created.text
    zoho.creds = created.json()
    assert zoho.creds["books_edition"] == edition
    scenario = Scenario(zoho)
    scenario.run()
    assert {(method, template) for method, template, _ in scenario.replies} == _served_routes()
    missing, arrays, filled = [], set(), set()
    for method, template, reply in scenario.replies:
        path = reply.request.url.path
        if (method, template) != ("POST", "/contacts/contactpersons"):  # documented as 200, answers 201
            validate_response("books", method, path, reply.status_code, reply.json())
        for key in _documented(method, path, reply.status_code):
            if not key.exists_in(edition):
                continue
            arrays |= _arrays(key)
            filled |= {array for array in _arrays(key) if _filled(reply.json(), array)}
            missing += [
                f"{method} {path}: {'.'.join(key.path)}"
                for ok, _ in _present(reply.json(), key.path)
                if not ok
            ]
    assert not missing, "\n".join(missing)
    never = {array for array in arrays - filled if array[-2:] not in EMPTY_ARRAYS}
    assert not never, f"arrays no reply filled, so their keys went unchecked: {sorted(never)}"


def _documented(method: str, path: str, status: int) -> list[DocumentedKey]:
    """The reply's documented keys; Zoho documents 200 for the contact-person create that answers 201."""
    try:
        return documented_keys("books", method, path, status)
    except AssertionError:
        if status != 201:
            raise
        return documented_keys("books", method, path, 200)


def _arrays(key: DocumentedKey) -> set[tuple[str, ...]]:
    """The arrays above a key: ``("contact", "custom_fields")`` for ``contact.custom_fields.*.index``."""
    return {key.path[:position] for position, part in enumerate(key.path) if part == "*"}


def test_edition_keys_follow_the_documents(zoho: ZohoClient) -> None:
    """India's contacts and items carry GST fields and the UK's VAT fields; a US org has neither."""
    shown: dict[str, dict[str, Any]] = {}
    for edition in ("in", "uk", "us"):
        creds = zoho.control("POST", "/tenants", json={"books_edition": edition, "sizes": SIZES}).json()
        zoho.creds, zoho._tokens = creds, {}
        contact = zoho.books("POST", "/contacts", json={"contact_name": "Edition Co"}).json()["contact"]
        item = zoho.books("POST", "/items", json={"name": "Edition Item", "rate": 1}).json()["item"]
        shown[edition] = contact | item
    gst = {"gst_treatment", "gst_no", "place_of_contact", "hsn_or_sac", "item_tax_preferences"}
    vat = {"vat_treatment", "vat_reg_no", "country_code"}
    assert gst <= shown["in"].keys() and not vat & shown["in"].keys()
    assert vat <= shown["uk"].keys() and not gst & shown["uk"].keys()
    assert not (gst | vat) & shown["us"].keys()
    assert (shown["in"]["gst_treatment"], shown["uk"]["vat_treatment"]) == ("business_none", "uk")
