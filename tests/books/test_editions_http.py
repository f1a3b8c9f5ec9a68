"""Books editions: chosen per tenant (control plane, ``zohosim serve --books-edition``), kept through
reset, export/import and ``--data-dir``; each edition's tax fields are accepted, checked and shown."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from simulator.books.editions import EDITIONS
from simulator.store import Store
from simulator.tenants import Sizes, attach_store, persist
from simulator.testing import build_simulator
from tests.books.expect import error, ok
from tests.openapi import skip_without_oas
from tests.support import ZohoClient, start_server, stop_server

skip_without_oas()

SIZES = {"accounts": 3, "contacts": 3, "vendors": 2, "products": 3, "books_overlap": 0.0, "books_extra": 1}
GSTIN = "22AAAAA0000A1Z5"


def use_edition(zoho: ZohoClient, edition: str) -> dict[str, Any]:
    reply = zoho.control(
        "POST", "/tenants", json={"tenant_id": edition, "books_edition": edition, "sizes": SIZES}
    )
    assert reply.status_code == 201, reply.text
    zoho.creds, zoho._tokens = reply.json(), {}
    return zoho.creds


def create_contact(zoho: ZohoClient, **fields: Any) -> httpx.Response:
    return zoho.books("POST", "/contacts", json={"contact_name": "Tax Co", **fields})


def test_the_control_plane_picks_an_edition_and_refuses_unknown_ones(zoho: ZohoClient) -> None:
    assert zoho.creds["books_edition"] == "us"
    for bad in ("xx", 7, None):
        reply = zoho.control("POST", "/tenants", json={"books_edition": bad})
        assert reply.status_code == 400 and "'books_edition' must be one of: us, uk" in reply.text
    use_edition(zoho, "in")
    organization = ok(zoho.books("GET", f"/organizations/{zoho.creds['books_organization_id']}", org=False))
    assert (
        organization["organization"]["currency_code"],
        organization["organization"]["address"]["country"],
    ) == (
        "INR",
        "India",
    )
    contact = ok(zoho.books("GET", "/contacts"))["contacts"][0]
    assert contact["currency_code"] == "INR"


def test_india_has_gst_fields_and_checks_them(zoho: ZohoClient) -> None:
    use_edition(zoho, "in")
    error(create_contact(zoho, gst_treatment="uk"), 400, 2, "Invalid value passed for gst_treatment")
    error(create_contact(zoho, gst_treatment="business_gst"), 400, 2, "Invalid value passed for gst_no")
    error(
        create_contact(zoho, gst_treatment="business_gst", gst_no="123"),
        400,
        2,
        "Invalid value passed for gst_no",
    )
    error(create_contact(zoho, is_taxable="maybe"), 400, 2, "Invalid value passed for is_taxable")
    made = ok(
        create_contact(
            zoho, gst_treatment="business_gst", gst_no=GSTIN, place_of_contact="TN", vat_treatment="uk"
        ),
        "The contact has been created",
        status=201,
    )["contact"]
    assert (made["gst_treatment"], made["gst_no"], made["place_of_contact"]) == ("business_gst", GSTIN, "TN")
    assert "vat_treatment" not in made  # another edition's field is ignored
    one = f"/contacts/{made['contact_id']}"
    error(zoho.books("PUT", one, json={"gst_no": ""}), 400, 2, "Invalid value passed for gst_no")
    updated = ok(
        zoho.books("PUT", one, json={"gst_treatment": "consumer"}), "Contact has been updated successfully"
    )
    assert (updated["contact"]["gst_treatment"], updated["contact"]["gst_no"]) == ("consumer", GSTIN)
    item = {"name": "GST Item", "rate": 5, "hsn_or_sac": "8471"}
    bad = {**item, "item_tax_preferences": [{"tax_id": "1", "tax_specification": "both"}]}
    error(zoho.books("POST", "/items", json=bad), 400, 2, "Invalid value passed for tax_specification")
    preferences = [
        {"tax_id": "1", "tax_specification": "intra"},
        {"tax_id": "2", "tax_specification": "inter"},
    ]
    made_item = ok(
        zoho.books("POST", "/items", json={**item, "item_tax_preferences": preferences}),
        "The item has been added.",
        status=201,
    )["item"]
    assert (made_item["hsn_or_sac"], made_item["item_tax_preferences"]) == ("8471", preferences)


@pytest.mark.parametrize(
    ("edition", "good", "bad"),
    [
        ("uk", "eu_vat_registered", "home_country"),
        ("eu", "home_country", "uk"),
    ],
)
def test_uk_and_eu_have_vat_fields(zoho: ZohoClient, edition: str, good: str, bad: str) -> None:
    use_edition(zoho, edition)
    error(create_contact(zoho, vat_treatment=bad), 400, 2, "Invalid value passed for vat_treatment")
    error(create_contact(zoho, vat_reg_no="G"), 400, 2, "Invalid value passed for vat_reg_no")
    error(create_contact(zoho, vat_reg_no="GB1234567890123"), 400, 2, "Invalid value passed for vat_reg_no")
    made = ok(
        create_contact(zoho, vat_treatment=good, vat_reg_no="GBGD078", country_code="GB", gst_no=GSTIN),
        "The contact has been created",
        status=201,
    )["contact"]
    assert (made["vat_treatment"], made["vat_reg_no"], made["country_code"]) == (good, "GBGD078", "GB")
    assert "gst_no" not in made and "is_taxable" not in made


def test_gcc_registration_needs_its_number(zoho: ZohoClient) -> None:
    use_edition(zoho, "gcc")
    error(
        create_contact(zoho, tax_treatment="gcc_vat_registered"),
        400,
        2,
        "Invalid value passed for tax_reg_no",
    )
    made = ok(
        create_contact(zoho, tax_treatment="gcc_vat_registered", tax_reg_no="123456789012345"),
        "The contact has been created",
        status=201,
    )["contact"]
    assert made["tax_treatment"] == "gcc_vat_registered"
    fresh = ok(create_contact(zoho), "The contact has been created", status=201)["contact"]
    assert fresh["tax_treatment"] == "vat_not_registered"  # the documented default


GARBAGE = [None, True, -1, 1.5, "", "x", [], {}, [1, "a"], {"a": {"b": []}}]


@pytest.mark.parametrize("edition", sorted(EDITIONS))
def test_garbage_in_any_edition_field_never_causes_a_server_error(zoho: ZohoClient, edition: str) -> None:
    use_edition(zoho, edition)
    edition_fields = EDITIONS[edition].contact_fields() | EDITIONS[edition].item_fields()
    for name in edition_fields:
        for value in GARBAGE:
            for path, body in (("/contacts", {"contact_name": "G"}), ("/items", {"name": "G", "rate": 1})):
                reply = zoho.books("POST", path, json={**body, name: value})
                assert reply.status_code in (201, 400), (name, value, reply.text)
                assert (reply.json()["code"] == 0) == (reply.status_code == 201), (name, value)


def test_item_tax_filters(zoho: ZohoClient) -> None:
    use_edition(zoho, "us")
    ok(
        zoho.books("POST", "/items", json={"name": "Exempt", "rate": 1, "is_taxable": False, "tax_id": "77"}),
        "The item has been added.",
        status=201,
    )
    names = lambda **params: [i["name"] for i in ok(zoho.books("GET", "/items", params=params))["items"]]  # noqa: E731
    assert names(is_taxable="false") == ["Exempt"]
    assert names(tax_id="77") == ["Exempt"]
    assert "Exempt" not in names(is_taxable="true") and names(tax_name="VAT") == []
    error(
        zoho.books("GET", "/items", params={"is_taxable": "perhaps"}),
        400,
        2,
        "Invalid value passed for is_taxable",
    )


def test_reset_and_export_import_keep_the_edition(zoho: ZohoClient) -> None:
    use_edition(zoho, "in")
    assert zoho.control("POST", "/tenants/in/reset", json={}).status_code == 200
    assert zoho.control("GET", "/tenants/in").json()["books_edition"] == "in"
    exported = zoho.control("GET", "/tenants/in/export").json()
    assert exported["books"]["profile"]["edition"] == "in"
    use_edition(zoho, "uk")
    assert zoho.control("POST", "/tenants/uk/import", json=exported).status_code == 200
    assert zoho.control("GET", "/tenants/uk").json()["books_edition"] == "in"
    assert zoho.control("GET", "/tenants/uk/export").json()["books"] == exported["books"]


def test_the_edition_survives_a_restart_with_a_data_dir(tmp_path: Path) -> None:
    sim = build_simulator(seed=3)
    attach_store(sim, Store(tmp_path / "z.sqlite3"))
    tenant = sim.create_tenant(sizes=Sizes(accounts=2, contacts=2, vendors=1, products=1), books_edition="za")
    persist(sim)
    again = build_simulator(seed=3)
    assert attach_store(again, Store(tmp_path / "z.sqlite3")) is True
    assert again.tenants[tenant.tenant_id].books.edition.code == "za"


@pytest.mark.server
def test_serve_takes_books_edition(tmp_path: Path) -> None:
    process, base_url = start_server("--books-edition", "au", "--clock", "frozen")
    try:
        tenants = httpx.get(f"{base_url}/__zohosim/tenants").json()["tenants"]
        assert [t["books_edition"] for t in tenants] == ["au"]
    finally:
        stop_server(process)
