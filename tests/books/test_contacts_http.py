"""Books contacts over HTTP: list, create, get, update, delete, active/inactive, encodings, duplicates."""

from __future__ import annotations

import json

from tests.books.expect import error, ok
from tests.openapi import skip_without_oas
from tests.support import ZohoClient

skip_without_oas()


def all_contacts(zoho: ZohoClient, **params: str) -> list[dict]:
    return ok(zoho.books("GET", "/contacts", params={"filter_by": "Status.All", **params}))["contacts"]


def create(zoho: ZohoClient, **fields: object) -> dict:
    reply = zoho.books("POST", "/contacts", json={"contact_name": "Acme Widgets Ltd", **fields})
    return ok(reply, "The contact has been created", status=201)["contact"]


def test_list_pages_and_hides_inactive_contacts_by_default(zoho: ZohoClient) -> None:
    body = ok(zoho.books("GET", "/contacts"))
    everyone = all_contacts(zoho)
    inactive = [c for c in everyone if c["status"] == "inactive"]
    assert inactive and len(body["contacts"]) == len(everyone) - len(inactive)
    assert body["page_context"] == {
        "page": 1,
        "per_page": 200,
        "has_more_page": False,
        "applied_filter": "Status.Active",
        "sort_column": "contact_name",
        "sort_order": "A",
        "report_name": "Contacts",
    }
    first = ok(zoho.books("GET", "/contacts", params={"filter_by": "Status.All", "per_page": 10}))
    second = ok(zoho.books("GET", "/contacts", params={"filter_by": "Status.All", "per_page": 10, "page": 2}))
    assert first["page_context"]["has_more_page"] and second["page_context"]["page"] == 2
    assert [c["contact_id"] for c in first["contacts"] + second["contacts"]] == [
        c["contact_id"] for c in everyone[:20]
    ]


def test_list_rows_are_unlinked_seeded_twins_with_primary_person_fields(zoho: ZohoClient) -> None:
    rows = all_contacts(zoho)
    assert {row["contact_type"] for row in rows} == {"customer", "vendor"}
    assert not any(row["is_linked_with_zohocrm"] for row in rows)
    assert all(
        set(row) >= {"first_name", "last_name", "email", "phone", "mobile", "last_modified_time"}
        for row in rows
    )
    assert all(row["created_time"].endswith("+0530") for row in rows)
    assert ok(zoho.books("GET", "/contacts", params={"filter_by": "Status.Crm"}))["contacts"] == []


def test_list_filters_agree_with_filtering_the_full_list(zoho: ZohoClient) -> None:
    active = ok(zoho.books("GET", "/contacts"))["contacts"]
    sample = next(row for row in active[len(active) // 2 :] if row["email"])
    name, surname = sample["contact_name"].lower(), sample["last_name"].lower()
    cases = [
        ({"contact_type": "vendor"}, lambda row: row["contact_type"] == "vendor"),
        ({"contact_name": name.upper()}, lambda row: row["contact_name"].lower() == name),
        ({"contact_name_startswith": name[:3]}, lambda row: row["contact_name"].lower().startswith(name[:3])),
        ({"contact_name_contains": name[2:6]}, lambda row: name[2:6] in row["contact_name"].lower()),
        ({"search_text": name[1:5]}, lambda row: name[1:5] in row["contact_name"].lower()),
        ({"email": sample["email"]}, lambda row: row["email"] == sample["email"]),
        ({"last_name_startswith": surname[:2]}, lambda row: row["last_name"].lower().startswith(surname[:2])),
    ]
    for params, check in cases:
        got = [row["contact_id"] for row in ok(zoho.books("GET", "/contacts", params=params))["contacts"]]
        assert got and got == [row["contact_id"] for row in active if check(row)], params
    inactive = ok(zoho.books("GET", "/contacts", params={"filter_by": "Status.Inactive"}))["contacts"]
    assert inactive and all(row["status"] == "inactive" for row in inactive)


def test_lookup_by_crm_id_finds_nothing_until_linked(zoho: ZohoClient) -> None:
    for key in ("zcrm_account_id", "zcrm_contact_id", "zcrm_vendor_id"):
        assert ok(zoho.books("GET", "/contacts", params={key: "5000000000000000001"}))["contacts"] == []


def test_create_get_update_delete(zoho: ZohoClient) -> None:
    created = create(
        zoho,
        company_name="Acme Widgets Ltd",
        customer_sub_type="business",
        payment_terms=15,
        billing_address={"address": "4900 Hopyard Rd", "city": "Pleasanton", "zip": 94588},
        contact_persons=[{"first_name": "Will", "last_name": "Smith", "email": "will@acme.example"}],
    )
    contact_id = created["contact_id"]
    assert created["payment_terms_label"] == "Net 15" and created["billing_address"]["zip"] == "94588"
    assert created["contact_persons"][0]["is_primary_contact"] is True
    assert created["created_time"] == created["last_modified_time"] == "2026-01-15T14:30:00+0530"
    fetched = ok(zoho.books("GET", f"/contacts/{contact_id}"))["contact"]
    assert fetched == created

    zoho.control("POST", "/clock", json={"advance": 60})
    updated = ok(
        zoho.books("PUT", f"/contacts/{contact_id}", json={"website": "acme.example"}),
        "Contact has been updated successfully",
    )["contact"]
    assert updated["website"] == "acme.example" and updated["company_name"] == "Acme Widgets Ltd"
    assert updated["contact_persons"] == created["contact_persons"]
    assert updated["last_modified_time"] == "2026-01-15T14:31:00+0530"

    ok(zoho.books("DELETE", f"/contacts/{contact_id}"), "The contact has been deleted.")
    error(zoho.books("GET", f"/contacts/{contact_id}"), 404, 1002, "Contact does not exist.")


def test_update_without_changes_keeps_last_modified_time(zoho: ZohoClient) -> None:
    created = create(zoho, notes="VIP")
    zoho.control("POST", "/clock", json={"advance": 60})
    same = {"contact_name": created["contact_name"], "notes": "VIP"}
    reply = zoho.books("PUT", f"/contacts/{created['contact_id']}", json=same)
    assert (
        ok(reply, "Contact has been updated successfully")["contact"]["last_modified_time"]
        == (created["last_modified_time"])
    )


def test_contact_persons_in_a_put_are_a_replace_set(zoho: ZohoClient) -> None:
    persons = [{"first_name": "Ann"}, {"first_name": "Bob"}]
    created = create(zoho, contact_persons=persons)
    ann, bob = created["contact_persons"]
    body = {
        "contact_persons": [
            {"contact_person_id": bob["contact_person_id"], "is_primary_contact": True},
            {"first_name": "Cy"},
        ]
    }
    reply = zoho.books("PUT", f"/contacts/{created['contact_id']}", json=body)
    after = ok(reply, "Contact has been updated successfully")["contact"]
    assert [(p["first_name"], p["is_primary_contact"]) for p in after["contact_persons"]] == [
        ("Bob", True),
        ("Cy", False),
    ]
    assert after["primary_contact_id"] == bob["contact_person_id"] != ann["contact_person_id"]
    row = all_contacts(zoho, contact_name=created["contact_name"])[0]
    assert row["first_name"] == "Bob"


def test_link_fields_cannot_be_written_through_the_api(zoho: ZohoClient) -> None:
    created = create(zoho, zcrm_account_id="5000000000000000001", is_linked_with_zohocrm=True)
    assert created["zcrm_account_id"] == "" and created["is_linked_with_zohocrm"] is False
    reply = zoho.books(
        "PUT", f"/contacts/{created['contact_id']}", json={"zcrm_contact_id": "5000000000000000002"}
    )
    assert ok(reply, "Contact has been updated successfully")["contact"]["zcrm_contact_id"] == ""


def test_mark_inactive_and_active(zoho: ZohoClient) -> None:
    contact_id = create(zoho)["contact_id"]
    ok(zoho.books("POST", f"/contacts/{contact_id}/inactive"), "The contact has been marked as inactive.")
    assert contact_id not in [c["contact_id"] for c in ok(zoho.books("GET", "/contacts"))["contacts"]]
    ok(zoho.books("POST", f"/contacts/{contact_id}/active"), "The contact has been marked as active.")
    assert ok(zoho.books("GET", f"/contacts/{contact_id}"))["contact"]["status"] == "active"


def test_trailing_slashes_stray_params_and_bodies_without_content_type(zoho: ZohoClient) -> None:
    """As pyzohoapi sends them: ``/contacts/?organization_id=…&``, ``…&id={id}``, no Content-Type."""
    base = f"/books/v3/contacts/?organization_id={zoho.creds['books_organization_id']}&"
    auth = {"Authorization": f"Zoho-oauthtoken {zoho.token()}"}
    raw = json.dumps({"contact_name": "Raw Body Co"}).encode()
    reply = zoho.http.post(base, content=raw, headers=auth)
    assert "content-type" not in reply.request.headers
    contact_id = ok(reply, "The contact has been created", status=201, oas=False)["contact"]["contact_id"]
    one = base.replace("/contacts/?", f"/contacts/{contact_id}/?")
    reply = zoho.http.get(one + f"id={contact_id}", headers=auth)
    assert ok(reply, oas=False)["contact"]["contact_name"] == "Raw Body Co"
    reply = zoho.http.put(one, content=json.dumps({"notes": "via pyzohoapi"}).encode(), headers=auth)
    assert (
        ok(reply, "Contact has been updated successfully", oas=False)["contact"]["notes"] == "via pyzohoapi"
    )
    assert ok(zoho.http.get(base, headers=auth), oas=False)["contacts"]


def test_json_string_form_bodies(zoho: ZohoClient) -> None:
    payload = json.dumps({"contact_name": "Form Encoded Co", "contact_type": "vendor"})
    reply = zoho.books("POST", "/contacts", data={"JSONString": payload})
    assert ok(reply, "The contact has been created", status=201)["contact"]["contact_type"] == "vendor"
    multipart = {"JSONString": (None, json.dumps({"contact_name": "Multipart Co"}))}
    reply = zoho.books("POST", "/contacts", files=multipart)
    contact_id = ok(reply, "The contact has been created", status=201)["contact"]["contact_id"]
    reply = zoho.books("PUT", f"/contacts/{contact_id}", data={"JSONString": json.dumps({"notes": "x"})})
    assert ok(reply, "Contact has been updated successfully")["contact"]["notes"] == "x"


def test_duplicate_display_names_are_refused_once_the_org_disallows_them(zoho: ZohoClient) -> None:
    existing = all_contacts(zoho, contact_type="customer")[0]["contact_name"]
    create(zoho, contact_name=existing)  # allowed by default
    settings = zoho.control(
        "PUT", f"/tenants/{zoho.creds['tenant_id']}/books/settings", json={"allow_duplicate_names": False}
    )
    assert settings.json()["allow_duplicate_names"] is False
    reply = zoho.books("POST", "/contacts", json={"contact_name": existing})
    error(reply, 400, 3062, f'The customer "{existing}" already exists. Please specify a different name.')
    vendor = create(zoho, contact_name="Brand New Vendor", contact_type="vendor")
    reply = zoho.books("PUT", f"/contacts/{vendor['contact_id']}", json={"contact_name": "Brand New Vendor"})
    ok(reply, "Contact has been updated successfully")
    other = create(zoho, contact_name="Other Vendor", contact_type="vendor")
    reply = zoho.books("PUT", f"/contacts/{other['contact_id']}", json={"contact_name": "Brand New Vendor"})
    error(reply, 400, 3062, 'The vendor "Brand New Vendor" already exists. Please specify a different name.')
