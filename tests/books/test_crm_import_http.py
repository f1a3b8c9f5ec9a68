"""Books' CRM-integration imports over HTTP: ``POST /crm/{account|contact|vendor|item}/{id}/import``.

An import makes (or, the second time, refreshes) a Books record linked to the CRM record, with the
fields the syncer's own mapping gives: the expected values are ``fieldmap.to_books`` of the
record exactly as the CRM API returns it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from fieldmap import SPEC_BY_MODULE, ModuleSpec, books_value, crm_fields_read, to_books
from tests.books.expect import error, ok
from tests.openapi import skip_without_oas
from tests.support import ZohoClient

skip_without_oas()

NOT_AUTHORIZED = "You are not authorized to perform this operation"
NO_AUTH = (
    "The request could not be authenticated as the authentication value you entered is invalid. "
    "Enter a valid authentication value and try again."
)


@dataclass(frozen=True)
class Kind:
    segment: str  # the path segment after /crm/
    module: str  # the CRM module
    id_param: str
    entity: str
    new_record: dict[str, Any]  # every mapped CRM field set
    change: dict[str, Any]  # a later edit in CRM to mapped fields

    @property
    def spec(self) -> ModuleSpec:
        return SPEC_BY_MODULE[self.module]

    @property
    def id_key(self) -> str:
        return "item_id" if self.module == "Products" else "contact_id"

    def path(self, crm_id: str) -> str:
        return f"/crm/{self.segment}/{crm_id}/import"


ADDRESS = {"Street": "1 Quay St", "City": "Leeds", "State": "Yorkshire", "Country": "UK"}
ACCOUNT = Kind(
    "account",
    "Accounts",
    "crm_account_id",
    "Account",
    {
        "Account_Name": "Importable Holdings",
        "Website": "https://importable.example",
        "Phone": "+44 113 000 0001",
        **{f"Billing_{key}": value for key, value in ADDRESS.items()},
        "Billing_Code": "LS1 4AP",
        **{f"Shipping_{key}": value for key, value in ADDRESS.items()},
        "Shipping_Code": "LS1 4AQ",
    },
    {"Account_Name": "Importable Holdings Ltd", "Billing_City": "York", "Website": None},
)
CONTACT = Kind(
    "contact",
    "Contacts",
    "crm_contact_id",
    "Contact",
    {
        "First_Name": "Ida",
        "Last_Name": "Porter",
        "Email": "ida.porter@importable.example",
        "Phone": "+44 113 000 0002",
        "Mobile": "+44 7700 900002",
        **{f"Mailing_{key}": value for key, value in ADDRESS.items()},
        "Mailing_Zip": "LS2 7HY",
    },
    {"Last_Name": "Porter-Smith", "Email": "ida@porter.example", "Mailing_Zip": "YO1 7HH"},
)
VENDOR = Kind(
    "vendor",
    "Vendors",
    "crm_vendor_id",
    "Vendor",
    {
        "Vendor_Name": "Importable Supplies",
        "Email": "sales@supplies.example",
        "Phone": "+44 113 000 0003",
        "Website": "https://supplies.example",
        **ADDRESS,
        "Zip_Code": "LS3 1AA",
    },
    {"Vendor_Name": "Importable Supplies plc", "Email": "orders@supplies.example", "City": "Hull"},
)
PRODUCT = Kind(
    "item",
    "Products",
    "crm_product_id",
    "Product",
    {
        "Product_Name": "Importable Widget",
        "Unit_Price": 12.5,
        "Product_Code": "IW-1",
        "Description": "A widget from CRM",
        "Product_Active": True,
    },
    {"Unit_Price": 14, "Product_Active": False, "Description": "Discontinued"},
)
KINDS = [ACCOUNT, CONTACT, VENDOR, PRODUCT]
BY_ID = pytest.mark.parametrize("kind", KINDS, ids=[kind.segment for kind in KINDS])


# -- helpers -------------------------------------------------------------------------------------


def crm_create(zoho: ZohoClient, kind: Kind, **overrides: Any) -> str:
    reply = zoho.crm("POST", f"/{kind.module}", json={"data": [{**kind.new_record, **overrides}]})
    assert reply.status_code == 201, reply.text
    return reply.json()["data"][0]["details"]["id"]


def crm_record(zoho: ZohoClient, kind: Kind, crm_id: str) -> dict[str, Any]:
    reply = zoho.crm("GET", f"/{kind.module}/{crm_id}")
    assert reply.status_code == 200, reply.text
    return reply.json()["data"][0]


def import_(zoho: ZohoClient, kind: Kind, crm_id: str, **kwargs: Any) -> str:
    body = ok(zoho.books("POST", kind.path(crm_id), **kwargs))
    assert list(body["data"]) == [kind.id_key]
    return body["data"][kind.id_key]


def books_record(zoho: ZohoClient, kind: Kind, books_id: str) -> dict[str, Any]:
    if kind.module == "Products":
        return ok(zoho.books("GET", f"/items/{books_id}"))["item"]
    return ok(zoho.books("GET", f"/contacts/{books_id}"))["contact"]


def assert_mapped(zoho: ZohoClient, kind: Kind, crm_id: str, books: dict[str, Any]) -> None:
    """Every mapped Books field holds what the syncer's mapping makes of the CRM record."""
    wanted = to_books(kind.spec.default_map, crm_record(zoho, kind, crm_id))
    assert wanted
    for path, value in wanted.items():
        assert books_value(books, path) == value, (path, books_value(books, path), value)


def everything(zoho: ZohoClient) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Every Books contact and item (the test tenant has far fewer than a page of each)."""
    params = {"filter_by": "Status.All"}
    contacts = ok(zoho.books("GET", "/contacts", params=params))
    items = ok(zoho.books("GET", "/items", params=params))
    assert not contacts["page_context"]["has_more_page"] and not items["page_context"]["has_more_page"]
    return contacts["contacts"], items["items"]


def linked(zoho: ZohoClient, kind: Kind, crm_id: str) -> list[str]:
    """The ids of the Books records that carry ``crm_id`` as their CRM link."""
    if kind.module == "Products":
        _, items = everything(zoho)
        return [i["item_id"] for i in items if i["zcrm_product_id"] == crm_id]
    rows = ok(zoho.books("GET", "/contacts", params={kind.spec.link_field: crm_id}))["contacts"]
    return [row["contact_id"] for row in rows]


# -- importing -----------------------------------------------------------------------------------


@BY_ID
def test_import_creates_a_linked_record_mapped_like_the_syncer(zoho: ZohoClient, kind: Kind) -> None:
    crm_id = crm_create(zoho, kind)
    books_id = import_(zoho, kind, crm_id)
    books = books_record(zoho, kind, books_id)
    assert_mapped(zoho, kind, crm_id, books)
    assert books[kind.spec.link_field] == crm_id and books["is_linked_with_zohocrm"] is True
    assert books["created_time"] == books["last_modified_time"] == "2026-01-15T14:30:00+0530"
    assert linked(zoho, kind, crm_id) == [books_id]
    if kind.module == "Products":
        assert books["status"] == "active" and books["rate"] == 12.5
        return
    assert (books["contact_type"], books["customer_sub_type"]) == (
        kind.spec.contact_type,
        kind.spec.customer_sub_type or "business",
    )
    row = ok(zoho.books("GET", "/contacts", params={kind.spec.link_field: crm_id}))["contacts"][0]
    assert row[kind.spec.link_field] == crm_id and row["is_linked_with_zohocrm"] is True
    crm_only = ok(zoho.books("GET", "/contacts", params={"filter_by": "Status.Crm"}))["contacts"]
    assert [c["contact_id"] for c in crm_only] == [books_id]


def test_a_contact_becomes_an_individual_customer_and_its_primary_person(zoho: ZohoClient) -> None:
    crm_id = crm_create(zoho, CONTACT)
    books = books_record(zoho, CONTACT, import_(zoho, CONTACT, crm_id))
    assert (books["contact_name"], books["customer_sub_type"], books["is_crm_customer"]) == (
        "Ida Porter",
        "individual",
        True,
    )
    (person,) = books["contact_persons"]
    assert person["is_primary_contact"] is True and books["primary_contact_id"] == person["contact_person_id"]
    assert (person["first_name"], person["last_name"], person["email"]) == (
        "Ida",
        "Porter",
        "ida.porter@importable.example",
    )


@BY_ID
def test_import_of_a_seeded_record(zoho: ZohoClient, kind: Kind) -> None:
    """Seeded records carry lookups, owners and blanks: the mapping still sees the API's rendering."""
    fields = ",".join(crm_fields_read(kind.spec.default_map))
    rows = zoho.crm("GET", f"/{kind.module}", params={"fields": fields}).json()["data"]
    crm_id = next(row["id"] for row in rows if kind.module != "Contacts" or row.get("First_Name"))
    books_id = import_(zoho, kind, crm_id)
    assert_mapped(zoho, kind, crm_id, books_record(zoho, kind, books_id))
    assert linked(zoho, kind, crm_id) == [books_id]


@BY_ID
def test_importing_twice_returns_the_same_record_and_creates_nothing(zoho: ZohoClient, kind: Kind) -> None:
    crm_id = crm_create(zoho, kind)
    books_id = import_(zoho, kind, crm_id)
    before = books_record(zoho, kind, books_id)
    counts = tuple(map(len, everything(zoho)))
    zoho.control("POST", "/clock", json={"advance": 60})
    assert import_(zoho, kind, crm_id) == books_id
    assert tuple(map(len, everything(zoho))) == counts
    assert books_record(zoho, kind, books_id) == before  # nothing changed, not even the time


@BY_ID
def test_a_crm_change_then_reimport_updates_the_books_record(zoho: ZohoClient, kind: Kind) -> None:
    crm_id = crm_create(zoho, kind)
    books_id = import_(zoho, kind, crm_id)
    before = books_record(zoho, kind, books_id)
    reply = zoho.crm("PUT", f"/{kind.module}/{crm_id}", json={"data": [kind.change]})
    assert reply.status_code == 200, reply.text
    zoho.control("POST", "/clock", json={"advance": 60})
    assert import_(zoho, kind, crm_id) == books_id
    after = books_record(zoho, kind, books_id)
    assert_mapped(zoho, kind, crm_id, after)
    assert after != before and after["last_modified_time"] == "2026-01-15T14:31:00+0530"
    assert after[kind.spec.link_field] == crm_id and linked(zoho, kind, crm_id) == [books_id]
    if kind.module == "Products":
        assert (after["status"], after["rate"], after["description"]) == ("inactive", 14, "Discontinued")
    if kind.module == "Contacts":  # the same person, updated in place
        assert [p["contact_person_id"] for p in after["contact_persons"]] == [
            p["contact_person_id"] for p in before["contact_persons"]
        ]
        assert after["contact_name"] == "Ida Porter-Smith"


def test_reimport_overwrites_books_edits_to_mapped_fields_only(zoho: ZohoClient) -> None:
    crm_id = crm_create(zoho, ACCOUNT)
    books_id = import_(zoho, ACCOUNT, crm_id)
    edit = {"website": "https://edited.example", "notes": "kept"}
    ok(zoho.books("PUT", f"/contacts/{books_id}", json=edit), "Contact has been updated successfully")
    import_(zoho, ACCOUNT, crm_id)
    books = books_record(zoho, ACCOUNT, books_id)
    assert (books["website"], books["notes"]) == ("https://importable.example", "kept")


# -- errors --------------------------------------------------------------------------------------


@BY_ID
def test_unknown_crm_id(zoho: ZohoClient, kind: Kind) -> None:
    counts = tuple(map(len, everything(zoho)))
    message = f"{kind.entity} does not exist in Zoho CRM."
    error(zoho.books("POST", kind.path("1234567000000000001")), 404, 1002, message)
    # a record of another CRM module is not one of this module's
    other = next(k for k in KINDS if k is not kind)
    error(zoho.books("POST", kind.path(crm_create(zoho, other))), 404, 1002, message)
    assert tuple(map(len, everything(zoho))) == counts


@BY_ID
@pytest.mark.parametrize("bad", ["abc", "12ab", "-5", "1" * 21])
def test_malformed_crm_id(zoho: ZohoClient, kind: Kind, bad: str) -> None:
    error(zoho.books("POST", kind.path(bad)), 400, 2, f"Invalid value passed for {kind.id_param}")


@BY_ID
def test_each_import_needs_its_create_scope(zoho: ZohoClient, kind: Kind) -> None:
    group = "settings" if kind.module == "Products" else "contacts"
    other = "contacts" if group == "settings" else "settings"
    crm_id = crm_create(zoho, kind)
    for scopes in [
        (f"ZohoBooks.{group}.READ", f"ZohoBooks.{group}.UPDATE", f"ZohoBooks.{group}.DELETE"),
        (f"ZohoBooks.{other}.ALL",),
        ("ZohoCRM.modules.ALL",),
    ]:
        error(zoho.books("POST", kind.path(crm_id), token=zoho.token(scopes)), 401, 57, NOT_AUTHORIZED)
    assert linked(zoho, kind, crm_id) == []
    import_(zoho, kind, crm_id, token=zoho.token((f"ZohoBooks.{group}.CREATE",)))
    assert len(linked(zoho, kind, crm_id)) == 1


def test_credentials_and_organization_id_are_checked(zoho: ZohoClient) -> None:
    crm_id = crm_create(zoho, ACCOUNT)
    path = ACCOUNT.path(crm_id)
    error(zoho.books("POST", path, auth=False), 401, 14, NO_AUTH)
    error(zoho.books("POST", path, org=False), 400, 2, "Invalid value passed for organization_id")
    message = "This user is not associated with the CompanyID/CompanyName:10234695."
    error(zoho.books("POST", path, org="10234695"), 400, 6041, message)
    assert linked(zoho, ACCOUNT, crm_id) == []


@BY_ID
def test_another_tenants_org_is_unreachable(zoho: ZohoClient, kind: Kind) -> None:
    other = zoho.control("POST", "/tenants", json={"tenant_id": "t2", "seed": 7})
    assert other.status_code == 201, other.text
    theirs = other.json()["books_organization_id"]
    crm_id = crm_create(zoho, kind)
    message = f"This user is not associated with the CompanyID/CompanyName:{theirs}."
    error(zoho.books("POST", kind.path(crm_id), org=theirs), 400, 6041, message)
    assert linked(zoho, kind, crm_id) == []


@pytest.mark.parametrize(("kind", "contact_type"), [(ACCOUNT, "customer"), (VENDOR, "vendor")])
def test_duplicate_display_name_when_the_org_disallows_it(
    zoho: ZohoClient, kind: Kind, contact_type: str
) -> None:
    settings = zoho.control("PUT", "/tenants/t1/books/settings", json={"allow_duplicate_names": False})
    assert settings.json()["allow_duplicate_names"] is False
    name = kind.new_record[kind.spec.crm_name]
    taken = {"contact_name": name, "contact_type": contact_type}
    ok(zoho.books("POST", "/contacts", json=taken), "The contact has been created", status=201)
    crm_id = crm_create(zoho, kind)
    counts = tuple(map(len, everything(zoho)))
    message = f'The {contact_type} "{name}" already exists. Please specify a different name.'
    error(zoho.books("POST", kind.path(crm_id)), 400, 3062, message)
    assert tuple(map(len, everything(zoho))) == counts and linked(zoho, kind, crm_id) == []


def test_reimport_that_renames_onto_a_taken_name_is_refused(zoho: ZohoClient) -> None:
    crm_id = crm_create(zoho, ACCOUNT)
    books_id = import_(zoho, ACCOUNT, crm_id)
    zoho.control("PUT", "/tenants/t1/books/settings", json={"allow_duplicate_names": False})
    ok(
        zoho.books("POST", "/contacts", json={"contact_name": "Taken Co"}),
        "The contact has been created",
        status=201,
    )
    zoho.crm("PUT", f"/Accounts/{crm_id}", json={"data": [{"Account_Name": "Taken Co"}]})
    message = 'The customer "Taken Co" already exists. Please specify a different name.'
    error(zoho.books("POST", ACCOUNT.path(crm_id)), 400, 3062, message)
    assert books_record(zoho, ACCOUNT, books_id)["contact_name"] == "Importable Holdings"
