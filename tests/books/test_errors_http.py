"""Every Books error path over HTTP: credentials, scopes, org scoping, bodies, URLs, methods, params."""

from __future__ import annotations

import json

import pytest

from tests.books.expect import error, ok
from tests.support import ZohoClient

NOT_AUTHORIZED = "You are not authorized to perform this operation"
NO_AUTH = (
    "The request could not be authenticated as the authentication value you entered is invalid. "
    "Enter a valid authentication value and try again."
)
BAD_JSON = "Invalid value passed for JSONString"


@pytest.fixture
def ids(zoho: ZohoClient) -> dict[str, str]:
    """A seeded contact with a person, and a seeded item, to aim each route at."""
    contacts = ok(zoho.books("GET", "/contacts"))["contacts"]
    contact = next(c for c in contacts if c["first_name"])
    detail = ok(zoho.books("GET", f"/contacts/{contact['contact_id']}"))["contact"]
    item = ok(zoho.books("GET", "/items"))["items"][0]
    return {
        "org": zoho.creds["books_organization_id"],
        "contact": contact["contact_id"],
        "person": detail["contact_persons"][0]["contact_person_id"],
        "item": item["item_id"],
    }


NEW_PERSON = {"contact_id": "{contact}", "first_name": "Al"}
RENAMED_PERSON = {"contact_id": "{contact}", "first_name": "Bo"}
# (method, path, scope group, scope action, body): every route, with the scope Zoho's OAS names.
# Deletes come last: the scope test calls each route once, in this order, on one tenant.
ROUTES = [
    ("GET", "/organizations", "settings", "READ", None),
    ("GET", "/organizations/{org}", "settings", "READ", None),
    ("GET", "/contacts", "contacts", "READ", None),
    ("POST", "/contacts", "contacts", "CREATE", {"contact_name": "Scoped Co"}),
    ("GET", "/contacts/{contact}", "contacts", "READ", None),
    ("PUT", "/contacts/{contact}", "contacts", "UPDATE", {"notes": "x"}),
    ("POST", "/contacts/{contact}/inactive", "contacts", "CREATE", None),
    ("POST", "/contacts/{contact}/active", "contacts", "CREATE", None),
    ("GET", "/contacts/contactpersons", "contacts", "READ", None),
    ("POST", "/contacts/contactpersons", "contacts", "CREATE", NEW_PERSON),
    ("GET", "/contacts/contactpersons/{person}", "contacts", "READ", None),
    ("PUT", "/contacts/contactpersons/{person}", "contacts", "UPDATE", RENAMED_PERSON),
    ("POST", "/contacts/contactpersons/{person}/primary", "contacts", "CREATE", None),
    ("GET", "/contacts/{contact}/contactpersons", "contacts", "READ", None),
    ("GET", "/contacts/{contact}/contactpersons/{person}", "contacts", "READ", None),
    ("GET", "/items", "settings", "READ", None),
    ("POST", "/items", "settings", "CREATE", {"name": "Scoped Item", "rate": 1}),
    ("GET", "/items/{item}", "settings", "READ", None),
    ("PUT", "/items/{item}", "settings", "UPDATE", {"rate": 2}),
    ("POST", "/items/{item}/inactive", "settings", "CREATE", None),
    ("POST", "/items/{item}/active", "settings", "CREATE", None),
    ("DELETE", "/contacts/contactpersons/{person}", "contacts", "DELETE", None),
    ("DELETE", "/contacts/{contact}", "contacts", "DELETE", None),
    ("DELETE", "/items/{item}", "settings", "DELETE", None),
]
ORG_ROUTES = [route for route in ROUTES if "organizations" not in route[1]]
ACTIONS = ("READ", "CREATE", "UPDATE", "DELETE")


def call(zoho: ZohoClient, route: tuple, ids: dict[str, str], **kwargs: object):
    method, path, _group, _action, body = route
    payload = None if body is None else json.loads(json.dumps(body).replace("{contact}", ids["contact"]))
    return zoho.books(method, path.format(**ids), json=payload, **kwargs)


def test_every_route_needs_its_scope(zoho: ZohoClient, ids: dict[str, str]) -> None:
    for route in ROUTES:
        method, path, group, action, _body = route
        other = "contacts" if group == "settings" else "settings"
        wrong = (*(f"ZohoBooks.{group}.{a}" for a in ACTIONS if a != action), f"ZohoBooks.{other}.ALL")
        error(call(zoho, route, ids, token=zoho.token(wrong)), 401, 57, NOT_AUTHORIZED)
        reply = call(zoho, route, ids, token=zoho.token((f"ZohoBooks.{group}.{action}",)))
        assert reply.status_code in (200, 201) and reply.json()["code"] == 0, (method, path, reply.json())


def test_every_route_needs_credentials(zoho: ZohoClient, ids: dict[str, str]) -> None:
    bad = {"Authorization": "Zoho-oauthtoken 1000.0000.0000"}
    crm_only = zoho.token(("ZohoCRM.modules.ALL",))
    for route in ROUTES:
        error(call(zoho, route, ids, auth=False), 401, 14, NO_AUTH)
        error(call(zoho, route, ids, auth=False, headers=bad), 401, 57, NOT_AUTHORIZED)
        error(call(zoho, route, ids, token=crm_only), 401, 57, NOT_AUTHORIZED)


def test_an_expired_token_is_not_authorized(zoho: ZohoClient) -> None:
    token = zoho.token()
    ok(zoho.books("GET", "/contacts", token=token))
    zoho.control("POST", "/clock", json={"advance": 3601})
    error(zoho.books("GET", "/contacts", token=token), 401, 57, NOT_AUTHORIZED)


# -- the organization ----------------------------------------------------------------------------


def test_every_org_route_needs_this_tokens_organization_id(zoho: ZohoClient, ids: dict[str, str]) -> None:
    for route in ORG_ROUTES:
        error(call(zoho, route, ids, org=False), 400, 2, "Invalid value passed for organization_id")
        error(call(zoho, route, ids, org="abc"), 400, 2, "Invalid value passed for organization_id")
        reply = call(zoho, route, ids, org="10234695")
        error(reply, 400, 6041, "This user is not associated with the CompanyID/CompanyName:10234695.")


def test_another_tenants_org_is_unreachable(zoho: ZohoClient, ids: dict[str, str]) -> None:
    other = zoho.control("POST", "/tenants", json={"tenant_id": "t2", "seed": 7})
    assert other.status_code == 201, other.text
    theirs = other.json()
    assert theirs["books_organization_id"] != ids["org"]
    message = f"This user is not associated with the CompanyID/CompanyName:{theirs['books_organization_id']}."
    error(zoho.books("GET", "/contacts", org=theirs["books_organization_id"]), 400, 6041, message)
    error(zoho.books("GET", f"/organizations/{theirs['books_organization_id']}"), 400, 6041, message)
    (mine,) = ok(zoho.books("GET", "/organizations", org=False))["organizations"]
    assert mine["organization_id"] == ids["org"] and mine["is_default_org"] is True
    organization = ok(zoho.books("GET", f"/organizations/{ids['org']}", org=False))["organization"]
    assert organization["organization_id"] == ids["org"] and organization["currency_code"] == "USD"


# -- bodies ----------------------------------------------------------------------------------------

BAD_BODIES = [
    {"content": b"{not json"},
    {"content": b""},
    {"content": b"\xff\xfe{}"},
    {"content": b'["contact_name"]'},
    {"content": b'"just a string"'},
    {"data": {"JSONString": "{broken"}},
    {"data": {"JSONString": "[1, 2]"}},
    {"files": {"other": (None, "{}")}},
    {"content": b"--x\r\nbroken", "headers": {"Content-Type": "multipart/form-data; boundary=x"}},
]


def test_bad_bodies_are_invalid_json_strings(zoho: ZohoClient, ids: dict[str, str]) -> None:
    writes = [
        ("POST", "/contacts"),
        ("PUT", f"/contacts/{ids['contact']}"),
        ("POST", "/contacts/contactpersons"),
        ("PUT", f"/contacts/contactpersons/{ids['person']}"),
        ("POST", "/items"),
        ("PUT", f"/items/{ids['item']}"),
    ]
    for kwargs in BAD_BODIES:
        for method, path in writes:
            error(zoho.books(method, path, **kwargs), 400, 2, BAD_JSON)


def test_wrong_types_name_the_field(zoho: ZohoClient) -> None:
    for body, field in [
        ({"contact_name": "A", "payment_terms": "Net 15"}, "Payment Terms"),
        ({"contact_name": 12.5, "contact_type": "lead"}, "contact_type"),
        ({"contact_name": "A", "customer_sub_type": True}, "customer_sub_type"),
        ({"contact_name": "A", "shipping_address": []}, "shipping_address"),
        ({"contact_name": "A", "contact_persons": [{"first_name": {"x": 1}}]}, "first_name"),
        ({"company_name": "no display name"}, "contact_name"),
    ]:
        error(zoho.books("POST", "/contacts", json=body), 400, 2, f"Invalid value passed for {field}")
    body = {"contact_name": "A", "contact_persons": [{"contact_person_id": "1"}]}
    error(zoho.books("POST", "/contacts", json=body), 404, 1002, "Contact person does not exist.")
    assert not ok(zoho.books("GET", "/contacts", params={"contact_name": "A"}))["contacts"]


GARBAGE = [None, True, -1, 1.5, "", "x", [], {}, [1, "a"], {"a": {"b": []}}]
#: path -> (a valid body, the create message, the record key, the fields to spoil)
WRITES = {
    "/contacts": (
        {"contact_name": "Garbage Co"},
        "The contact has been created",
        "contact",
        (
            "contact_name",
            "company_name",
            "contact_type",
            "customer_sub_type",
            "payment_terms",
            "credit_limit",
            "billing_address",
            "shipping_address",
            "contact_persons",
            "custom_fields",
            "currency_id",
            "website",
            "is_portal_enabled",
            "payment_terms_label",
        ),
    ),
    "/items": (
        {"name": "Garbage", "rate": 1},
        "The item has been added.",
        "item",
        ("name", "rate", "sku", "description", "product_type", "item_type", "purchase_rate", "custom_fields"),
    ),
}


@pytest.mark.parametrize("path", sorted(WRITES))
def test_garbage_values_never_cause_a_server_error(zoho: ZohoClient, path: str) -> None:
    base, created, key, fields = WRITES[path]
    record_id = ok(zoho.books("POST", path, json=base), created, status=201)[key][f"{key}_id"]
    for field in fields:
        for value in GARBAGE:
            for method, url in (("POST", path), ("PUT", f"{path}/{record_id}")):
                reply = zoho.books(method, url, json={**base, field: value})
                assert reply.status_code in (200, 201, 400, 404), (method, field, value, reply.text)
                assert (reply.json()["code"] == 0) == (reply.status_code < 300), (method, field, value)


# -- URLs, methods and list parameters -------------------------------------------------------------


def test_unknown_urls_and_wrong_methods(zoho: ZohoClient) -> None:
    for path in ["/nothing", "/contacts/1/nothing", "/items/1/2/3", "/invoices"]:
        error(zoho.books("GET", path), 404, 5, "Invalid URL Passed")
    message = "The HTTP method is not allowed for the requested resource"
    for method, path in [("PATCH", "/contacts"), ("DELETE", "/items"), ("GET", "/contacts/1/active")]:
        error(zoho.books(method, path), 405, 37, message)
    error(zoho.books("PUT", "/organizations", org=False), 405, 37, message)


def test_bad_list_parameters(zoho: ZohoClient) -> None:
    for path, params in [
        ("/contacts", {"filter_by": "Status.Bogus"}),
        ("/contacts", {"sort_column": "website"}),
        ("/contacts", {"sort_order": "X"}),
        ("/contacts", {"contact_type": "lead"}),
        ("/contacts", {"page": "0"}),
        ("/contacts", {"per_page": "many"}),
        ("/items", {"filter_by": "Status.Crm"}),
        ("/items", {"sort_column": "sku"}),
        ("/items", {"rate_less_than": "cheap"}),
        ("/contacts/contactpersons", {"page": "-1"}),
    ]:
        (field,) = params
        error(zoho.books("GET", path, params=params), 400, 2, f"Invalid value passed for {field}")


def test_missing_records(zoho: ZohoClient) -> None:
    for method in ("GET", "PUT", "DELETE"):
        error(zoho.books(method, "/contacts/1", json={"notes": "x"}), 404, 1002, "Contact does not exist.")
    for suffix in ("active", "inactive"):
        error(zoho.books("POST", f"/contacts/1/{suffix}"), 404, 1002, "Contact does not exist.")
