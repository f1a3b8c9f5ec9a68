"""Books contact persons over HTTP: every route, its exact message, and the array-vs-object shapes."""

from __future__ import annotations

import pytest

from tests.books.expect import error, ok
from tests.openapi import skip_without_oas
from tests.support import ZohoClient

skip_without_oas()


@pytest.fixture
def contact_id(zoho: ZohoClient) -> str:
    body = {
        "contact_name": "Bowman and Co",
        "contact_persons": [{"first_name": "Will", "last_name": "Smith"}],
    }
    reply = zoho.books("POST", "/contacts", json=body)
    return ok(reply, "The contact has been created", status=201)["contact"]["contact_id"]


def add_person(zoho: ZohoClient, contact_id: str, **fields: object) -> dict:
    reply = zoho.books("POST", "/contacts/contactpersons", json={"contact_id": contact_id, **fields})
    # Zoho's contact-persons document says 201; the contacts document only lists a 200, so no OAS check.
    (person,) = ok(reply, "The contactperson has been Created", status=201, oas=False)["contact_person"]
    return person


def persons_of(zoho: ZohoClient, contact_id: str) -> list[dict]:
    return ok(zoho.books("GET", f"/contacts/{contact_id}"))["contact"]["contact_persons"]


def test_create_returns_an_array_and_get_returns_an_object(zoho: ZohoClient, contact_id: str) -> None:
    person = add_person(
        zoho,
        contact_id,
        salutation="Ms",
        first_name="Ann",
        last_name="Lee",
        email="ann@bowman.example",
        communication_preference={"is_sms_enabled": True, "is_whatsapp_enabled": False},
    )
    assert person["contact_id"] == contact_id and person["is_primary_contact"] is False
    assert person["communication_preference"] == {"is_sms_enabled": True, "is_whatsapp_enabled": False}
    person_id = person["contact_person_id"]
    got = ok(zoho.books("GET", f"/contacts/{contact_id}/contactpersons/{person_id}"))["contact_person"]
    assert got == person
    assert ok(zoho.books("GET", f"/contacts/contactpersons/{person_id}"))["contact_person"] == person
    assert [p["first_name"] for p in persons_of(zoho, contact_id)] == ["Will", "Ann"]


def test_list_persons_of_a_contact_and_of_the_org(zoho: ZohoClient, contact_id: str) -> None:
    add_person(zoho, contact_id, first_name="Ann")
    body = ok(zoho.books("GET", f"/contacts/{contact_id}/contactpersons"))
    assert [p["first_name"] for p in body["contact_persons"]] == ["Will", "Ann"]
    assert body["page_context"] == {
        "page": 1,
        "per_page": 200,
        "has_more_page": False,
        "sort_column": "contact_person_id",
        "sort_order": "A",
        "report_name": "Contact Persons",
    }
    paged = ok(zoho.books("GET", f"/contacts/{contact_id}/contactpersons", params={"per_page": 1}))
    assert len(paged["contact_persons"]) == 1 and paged["page_context"]["has_more_page"] is True
    everyone = ok(zoho.books("GET", "/contacts/contactpersons"))["contact_persons"]
    assert {p["contact_id"] for p in everyone if p["first_name"] == "Ann"} == {contact_id}


def test_update_returns_an_array_and_keeps_one_primary(zoho: ZohoClient, contact_id: str) -> None:
    person = add_person(zoho, contact_id, first_name="Ann")
    person_id = person["contact_person_id"]
    body = {"contact_id": contact_id, "first_name": "Annie", "designation": "CFO", "is_primary_contact": True}
    reply = zoho.books("PUT", f"/contacts/contactpersons/{person_id}", json=body)
    (updated,) = ok(reply, "The contactperson details has been updated.")["contact_person"]
    assert (updated["first_name"], updated["designation"], updated["is_primary_contact"]) == (
        "Annie",
        "CFO",
        True,
    )
    assert [p["is_primary_contact"] for p in persons_of(zoho, contact_id)] == [False, True]
    contact = ok(zoho.books("GET", f"/contacts/{contact_id}"))["contact"]
    assert contact["primary_contact_id"] == person_id


def test_mark_primary_then_delete(zoho: ZohoClient, contact_id: str) -> None:
    person_id = add_person(zoho, contact_id, first_name="Ann")["contact_person_id"]
    reply = zoho.books("POST", f"/contacts/contactpersons/{person_id}/primary")
    ok(reply, "This contact person has been marked as your primary contact person.")
    assert [p["is_primary_contact"] for p in persons_of(zoho, contact_id)] == [False, True]
    ok(zoho.books("DELETE", f"/contacts/contactpersons/{person_id}"), "The contact person has been deleted.")
    remaining = persons_of(zoho, contact_id)
    assert [(p["first_name"], p["is_primary_contact"]) for p in remaining] == [("Will", True)]
    error(
        zoho.books("GET", f"/contacts/contactpersons/{person_id}"),
        404,
        1002,
        "Contact person does not exist.",
    )


def test_person_writes_move_the_contacts_last_modified_time(zoho: ZohoClient, contact_id: str) -> None:
    zoho.control("POST", "/clock", json={"advance": 600})
    add_person(zoho, contact_id, first_name="Ann")
    contact = ok(zoho.books("GET", f"/contacts/{contact_id}"))["contact"]
    assert contact["last_modified_time"] == "2026-01-15T14:40:00+0530"


def test_person_errors(zoho: ZohoClient, contact_id: str) -> None:
    reply = zoho.books(
        "POST", "/contacts/contactpersons", json={"contact_id": contact_id, "last_name": "Only"}
    )
    error(reply, 400, 2, "Invalid value passed for first_name")
    reply = zoho.books("POST", "/contacts/contactpersons", json={"first_name": "Ann"})
    error(reply, 400, 2, "Invalid value passed for contact_id")
    reply = zoho.books("POST", "/contacts/contactpersons", json={"contact_id": "1", "first_name": "Ann"})
    error(reply, 404, 1002, "Contact does not exist.")
    reply = zoho.books(
        "POST", "/contacts/contactpersons", json={"contact_id": contact_id, "first_name": ["Ann"]}
    )
    error(reply, 400, 2, "Invalid value passed for first_name")
    person_id = persons_of(zoho, contact_id)[0]["contact_person_id"]
    reply = zoho.books("PUT", f"/contacts/contactpersons/{person_id}", json={"first_name": "Will"})
    error(reply, 400, 2, "Invalid value passed for contact_id")
    missing = "/contacts/contactpersons/123"
    reply = zoho.books("PUT", missing, json={"contact_id": contact_id, "first_name": "X"})
    error(reply, 404, 1002, "Contact person does not exist.")
    error(zoho.books("DELETE", missing), 404, 1002, "Contact person does not exist.")
    error(zoho.books("POST", missing + "/primary"), 404, 1002, "Contact person does not exist.")
    error(zoho.books("GET", "/contacts/123/contactpersons"), 404, 1002, "Contact does not exist.")
    reply = zoho.books("GET", f"/contacts/{contact_id}/contactpersons/123")
    error(reply, 404, 1002, "Contact person does not exist.")
