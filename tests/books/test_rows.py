"""Books contact rows kept as JSON (``simulator/books/rows.py``): byte for byte ``to_row``'s, and
no change after a cached read goes unseen, whatever path makes it."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from typing import Any

import orjson
import pytest

from simulator.books import rows
from simulator.books.models import BooksOrg
from simulator.books.records import Contact, ContactPerson
from simulator.clock import Clock
from simulator.rendered import KeptRenderings
from simulator.tenants import Sizes, seed_org_pair
from tests.books.expect import ok
from tests.openapi import skip_without_oas
from tests.support import ZohoClient


@pytest.fixture
def books() -> BooksOrg:
    _, org = seed_org_pair(seed=5, sizes=Sizes(accounts=20, contacts=40), clock=Clock(frozen=True))
    return org


def _shown(contact: Contact, org: BooksOrg) -> bytes:
    return rows.contact_json(contact, org.time_zone)


def _fresh(contact: Contact, org: BooksOrg) -> bytes:
    return orjson.dumps(contact.to_row(org.time_zone))


def _changed(value: Any) -> Any:
    """Another value of the same type."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, int | float):
        return value + 7
    if isinstance(value, str):
        return value + " (changed)"
    if isinstance(value, dict):
        return {**value, "changed": "yes"}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):  # an Address
        return dataclasses.replace(
            value, **{f.name: _changed(getattr(value, f.name)) for f in dataclasses.fields(value)}
        )
    if hasattr(value, "tzinfo"):
        return value + timedelta(days=1, seconds=1)
    raise AssertionError(f"no other value for {value!r}")


def test_the_list_page_is_the_dict_page_byte_for_byte(books: BooksOrg) -> None:
    pages: list[dict[str, str]] = [
        {},
        {"filter_by": "Status.All", "per_page": "7", "page": "2"},
        {"contact_type": "vendor"},
    ]
    for criteria in pages:
        for _ in range(2):  # the second time from the kept rows
            assert books.list_contacts(criteria, as_json=True).rows == [
                orjson.dumps(row) for row in books.list_contacts(criteria).rows
            ]


@pytest.mark.parametrize("name", [f.name for f in dataclasses.fields(Contact) if f.name != "contact_persons"])
def test_a_change_to_any_attribute_of_a_contact_is_seen(books: BooksOrg, name: str) -> None:
    contact = next(c for c in books.contacts.values() if c.primary_person is not None)
    _shown(contact, books)
    value = getattr(contact, name)
    region = [{"customfield_id": "1", "label": "Region", "value": "North"}]
    setattr(contact, name, region if isinstance(value, list) else _changed(value))
    assert _shown(contact, books) == _fresh(contact, books)


@pytest.mark.parametrize("name", [f.name for f in dataclasses.fields(ContactPerson)])
def test_a_change_in_place_to_the_primary_person_is_seen(books: BooksOrg, name: str) -> None:
    contact = next(c for c in books.contacts.values() if c.primary_person is not None)
    before = _shown(contact, books)
    person = contact.primary_person
    assert person is not None
    setattr(person, name, _changed(getattr(person, name)))
    assert _shown(contact, books) == _fresh(contact, books)
    if name in rows.PERSON_KEYS:
        assert _shown(contact, books) != before


def test_persons_added_or_made_primary_in_place_and_custom_fields_changed_in_place_are_seen(
    books: BooksOrg,
) -> None:
    contact = next(c for c in books.contacts.values() if c.primary_person is not None)
    _shown(contact, books)
    other = ContactPerson("99", first_name="Ada", last_name="Lovelace", email="ada@example.com")
    contact.contact_persons.append(other)  # in place: the contact's attributes are not set
    assert _shown(contact, books) == _fresh(contact, books)
    for person in contact.contact_persons:
        person.is_primary_contact = person is other
    assert _shown(contact, books) == _fresh(contact, books)
    assert orjson.loads(_shown(contact, books))["first_name"] == "Ada"
    contact.custom_fields = [{"customfield_id": "1", "label": "Region", "value": "North"}]
    _shown(contact, books)
    contact.custom_fields[0]["value"] = "South"
    assert orjson.loads(_shown(contact, books))["custom_fields"][0]["value"] == "South"


def test_the_cache_holds_a_bounded_number_of_rows(books: BooksOrg, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rows, "_KEPT", KeptRenderings(5))
    books.list_contacts({"filter_by": "Status.All"}, as_json=True)
    assert sum(getattr(c, "rendered", None) is not None for c in books.contacts.values()) == 5


def test_writes_after_a_cached_list_show_in_the_next_one(zoho: ZohoClient) -> None:
    """Through the API, a person's endpoint, the control plane's snapshots: each read follows a
    list that kept every row."""
    skip_without_oas()
    params = {"filter_by": "Status.All"}

    def listed(contact_id: str) -> dict[str, Any]:
        page = ok(zoho.books("GET", "/contacts", params=params))["contacts"]
        return next(row for row in page if row["contact_id"] == contact_id)

    first = ok(zoho.books("GET", "/contacts", params=params))["contacts"][0]
    assert zoho.control("POST", "/tenants/t1/snapshots", json={"name": "rows"}).status_code == 201
    contact_id = first["contact_id"]
    changed = zoho.books("PUT", f"/contacts/{contact_id}", json={"website": "www.changed.example"})
    ok(changed, "Contact has been updated successfully")
    assert listed(contact_id)["website"] == "www.changed.example"
    person = ok(zoho.books("GET", f"/contacts/{contact_id}/contactpersons"))["contact_persons"][0]
    ok(
        zoho.books(
            "PUT",
            f"/contacts/contactpersons/{person['contact_person_id']}",
            json={"contact_id": contact_id, "first_name": "Renamed", "is_primary_contact": True},
        ),
        "The contactperson details has been updated.",
    )
    assert listed(contact_id)["first_name"] == "Renamed"
    ok(zoho.books("POST", f"/contacts/{contact_id}/inactive"), "The contact has been marked as inactive.")
    assert listed(contact_id)["status"] == "inactive"
    assert zoho.control("POST", "/tenants/t1/snapshots/rows/restore").status_code == 200
    assert listed(contact_id) == first
