"""The Books org's domain logic, without HTTP: contacts, persons, items, lists, limits, snapshots."""

from __future__ import annotations

from datetime import UTC, datetime

import orjson
import pytest

from simulator.books.errors import BooksError, DoesNotExist, DuplicateName, InvalidValue
from simulator.books.models import BooksOrg
from simulator.books.records import CustomField, OrgProfile
from simulator.clock import Clock, books_datetime
from simulator.ids import IdSequence

START = datetime(2026, 1, 15, 9, 0, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> Clock:
    return Clock(start=START, frozen=True)


@pytest.fixture
def org(clock: Clock) -> BooksOrg:
    profile = OrgProfile(
        name="Zillum",
        contact_name="John Smith",
        email="john@zillum.com",
        account_created_date="2022-02-18",
        currency_id="4150868000000000097",
    )
    return BooksOrg(organization_id="10234695", profile=profile, clock=clock, ids=IdSequence(prefix=4150868))


def raises(error: type[BooksError], message: str):
    return pytest.raises(error, match=f"^{error.code}: {message}$".replace(".", r"\.").replace("(", r"\("))


def person(first: str, last: str = "", **extra: object) -> dict[str, object]:
    return {"first_name": first, "last_name": last, "email": f"{first.lower()}@example.com", **extra}


# -- contacts ----------------------------------------------------------------------------------


def test_create_contact_fills_every_documented_key(org: BooksOrg, clock: Clock) -> None:
    contact = org.create_contact({"contact_name": "Bowman and Co", "company_name": "Bowman and Co"})
    detail = contact.to_api(org.time_zone)
    assert detail["contact_type"] == "customer" and detail["status"] == "active"
    assert len(detail["contact_id"]) == 19 and detail["contact_id"].isdigit()
    assert detail["created_time"] == detail["last_modified_time"] == "2026-01-15T14:30:00+0530"
    billing, shipping = detail["billing_address"], detail["shipping_address"]
    assert (
        set(billing)
        == set(shipping)
        == {
            "address_id",
            "attention",
            "address",
            "street2",
            "state_code",
            "city",
            "state",
            "zip",
            "country",
            "fax",
            "phone",
        }
    )
    assert billing["address_id"] != shipping["address_id"]
    assert detail["is_linked_with_zohocrm"] is False
    assert detail["zcrm_account_id"] == detail["zcrm_contact_id"] == detail["crm_owner_id"] == ""
    assert "zcrm_vendor_id" not in detail
    assert detail["currency_code"] == "USD" and detail["payment_terms_label"] == "Due on Receipt"
    assert org.get_contact(contact.contact_id) is contact


def test_vendor_detail_carries_the_vendor_link(org: BooksOrg) -> None:
    vendor = org.create_contact({"contact_name": "Acme Supplies", "contact_type": "vendor"})
    assert vendor.to_api(org.time_zone)["zcrm_vendor_id"] == ""
    assert vendor.to_row(org.time_zone)["zcrm_vendor_id"] == ""


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "contact_name"),
        ({"contact_name": "   "}, "contact_name"),
        ({"contact_name": ["x"]}, "contact_name"),
        ({"contact_name": "A", "payment_terms": "Net 15"}, "Payment Terms"),
        ({"contact_name": "A", "payment_terms": "--5"}, "Payment Terms"),
        ({"contact_name": "A", "payment_terms": "\u00b2"}, "Payment Terms"),
        ({"contact_name": "A", "payment_terms": "9" * 5000}, "Payment Terms"),
        ({"contact_name": "A", "contact_type": "lead"}, "contact_type"),
        ({"contact_name": "A", "customer_sub_type": "company"}, "customer_sub_type"),
        ({"contact_name": "A", "billing_address": "Main St"}, "billing_address"),
        ({"contact_name": "A", "billing_address": {"city": {"x": 1}}}, "city"),
        ({"contact_name": "A", "credit_limit": "lots"}, "credit_limit"),
        ({"contact_name": "A", "is_portal_enabled": "maybe"}, "is_portal_enabled"),
        ({"contact_name": "A", "contact_persons": {"first_name": "x"}}, "contact_persons"),
        (
            {"contact_name": "A", "contact_persons": [{"email": 5.5, "is_primary_contact": "yes"}]},
            "is_primary_contact",
        ),
        ({"contact_name": "A", "custom_fields": [{"index": "one", "value": "x"}]}, "custom_fields"),
        ({"contact_name": "A", "currency_id": "999"}, "currency_id"),
    ],
)
def test_create_contact_rejects_bad_values_naming_the_field(org: BooksOrg, body: dict, field: str) -> None:
    with raises(InvalidValue, f"Invalid value passed for {field}"):
        org.create_contact(body)
    assert org.contacts == {}


def test_non_object_body_is_a_bad_json_string(org: BooksOrg) -> None:
    with raises(InvalidValue, "Invalid value passed for JSONString"):
        org.create_contact(["contact_name", "A"])


def test_lenient_scalars_are_accepted(org: BooksOrg) -> None:
    contact = org.create_contact(
        {
            "contact_name": "A",
            "payment_terms": "30",
            "billing_address": {"zip": 94588},
            "credit_limit": "1000",
        }
    )
    assert contact.payment_terms == 30 and contact.payment_terms_label == "Net 30"
    assert contact.billing_address["zip"] == "94588" and contact.credit_limit == 1000


def test_link_fields_are_ignored_by_the_public_api(org: BooksOrg) -> None:
    body = {
        "contact_name": "A",
        "zcrm_account_id": "123",
        "is_linked_with_zohocrm": True,
        "status": "inactive",
    }
    contact = org.create_contact(body)
    org.update_contact(contact.contact_id, {"zcrm_contact_id": "456", "source": "crm"})
    detail = contact.to_api(org.time_zone)
    assert (detail["zcrm_account_id"], detail["zcrm_contact_id"], detail["source"]) == ("", "", "user")
    assert detail["is_linked_with_zohocrm"] is False and detail["status"] == "active"


def test_link_contact_sets_the_crm_ids_and_touches_the_record(org: BooksOrg, clock: Clock) -> None:
    contact = org.create_contact({"contact_name": "A"})
    clock.advance(60)
    org.link_contact(contact.contact_id, zcrm_account_id="5000000000000000001")
    assert contact.is_linked_with_zohocrm and contact.zcrm_account_id == "5000000000000000001"
    assert contact.last_modified_time == clock.now()
    clock.advance(60)
    org.link_contact(contact.contact_id, zcrm_account_id="5000000000000000001")
    assert contact.last_modified_time < clock.now()
    linked = org.list_contacts({"zcrm_account_id": "5000000000000000001"}).rows
    assert [row["contact_id"] for row in linked] == [contact.contact_id]
    assert org.list_contacts({"filter_by": "Status.Crm"}).rows[0]["is_linked_with_zohocrm"] is True


def test_update_merges_top_level_and_replaces_addresses(org: BooksOrg, clock: Clock) -> None:
    contact = org.create_contact(
        {"contact_name": "A", "website": "a.com", "billing_address": {"city": "Pune", "zip": "411001"}}
    )
    address_id = contact.billing_address["address_id"]
    clock.advance(120)
    org.update_contact(contact.contact_id, {"notes": "VIP", "billing_address": {"city": "Mumbai"}})
    assert contact.website == "a.com" and contact.notes == "VIP"
    assert contact.billing_address == {
        **contact.billing_address,
        "address_id": address_id,
        "city": "Mumbai",
        "zip": "",
    }
    assert contact.last_modified_time == clock.now() > contact.created_time


def test_update_without_change_keeps_last_modified_time(org: BooksOrg, clock: Clock) -> None:
    contact = org.create_contact({"contact_name": "A", "notes": "x", "contact_persons": [person("Ann")]})
    created = contact.last_modified_time
    clock.advance(3600)
    person_id = contact.contact_persons[0].contact_person_id
    same = {"contact_name": "A", "notes": "x", "contact_persons": [{"contact_person_id": person_id}]}
    org.update_contact(contact.contact_id, same)
    assert contact.last_modified_time == created
    org.update_contact(contact.contact_id, {"notes": "y"})
    assert contact.last_modified_time == clock.now()


def test_contact_persons_are_a_replace_set(org: BooksOrg) -> None:
    contact = org.create_contact(
        {"contact_name": "A", "contact_persons": [person("Ann"), person("Bob"), person("Cy")]}
    )
    ann, bob, _cy = contact.contact_persons
    assert [p.is_primary_contact for p in contact.contact_persons] == [True, False, False]
    body = {
        "contact_persons": [
            {"contact_person_id": bob.contact_person_id, "last_name": "Builder", "is_primary_contact": True},
            {"contact_person_id": ann.contact_person_id},
            person("Dee"),
        ]
    }
    org.update_contact(contact.contact_id, body)
    names = [(p.first_name, p.last_name, p.is_primary_contact) for p in contact.contact_persons]
    assert names == [("Bob", "Builder", True), ("Ann", "", False), ("Dee", "", False)]
    assert contact.contact_persons[1].contact_person_id == ann.contact_person_id
    assert contact.to_api(org.time_zone)["primary_contact_id"] == bob.contact_person_id
    org.update_contact(contact.contact_id, {"contact_persons": []})
    assert contact.contact_persons == [] and contact.to_api(org.time_zone)["primary_contact_id"] == ""


def test_first_person_marked_primary_wins(org: BooksOrg) -> None:
    persons = [person("Ann"), person("Bob", is_primary_contact=True), person("Cy", is_primary_contact=True)]
    contact = org.create_contact({"contact_name": "A", "contact_persons": persons})
    assert [p.is_primary_contact for p in contact.contact_persons] == [False, True, False]


def test_unknown_person_id_in_the_replace_set_fails_without_writing(org: BooksOrg) -> None:
    contact = org.create_contact({"contact_name": "A", "contact_persons": [person("Ann")]})
    other = org.create_contact({"contact_name": "B", "contact_persons": [person("Bob")]})
    foreign = other.contact_persons[0].contact_person_id
    with raises(DoesNotExist, "Contact person does not exist."):
        org.update_contact(
            contact.contact_id, {"notes": "x", "contact_persons": [{"contact_person_id": foreign}]}
        )
    assert contact.notes == "" and [p.first_name for p in contact.contact_persons] == ["Ann"]
    with raises(InvalidValue, "Invalid value passed for contact_person_id"):
        org.update_contact(contact.contact_id, {"contact_persons": [{"contact_person_id": "abc"}]})


def test_missing_records_do_not_exist(org: BooksOrg) -> None:
    with raises(DoesNotExist, "Contact does not exist."):
        org.get_contact("1")
    with raises(DoesNotExist, "Contact does not exist."):
        org.update_contact("1", {"notes": "x"})
    with raises(DoesNotExist, "Contact does not exist."):
        org.delete_contact("1")
    with raises(DoesNotExist, "Item does not exist."):
        org.get_item("1")
    with raises(DoesNotExist, "Contact person does not exist."):
        org.delete_contact_person("1")


def test_status_changes_touch_only_when_they_change(org: BooksOrg, clock: Clock) -> None:
    contact = org.create_contact({"contact_name": "A"})
    clock.advance(10)
    org.set_contact_status(contact.contact_id, active=False)
    assert contact.status == "inactive" and contact.last_modified_time == clock.now()
    clock.advance(10)
    org.set_contact_status(contact.contact_id, active=False)
    assert contact.last_modified_time < clock.now()
    org.delete_contact(contact.contact_id)
    assert org.contacts == {}


# -- duplicate display names -------------------------------------------------------------------


def test_duplicate_names_are_allowed_by_default(org: BooksOrg) -> None:
    org.create_contact({"contact_name": "Acme"})
    org.create_contact({"contact_name": "Acme"})
    assert len(org.contacts) == 2


def test_duplicate_names_fail_when_the_org_disallows_them(org: BooksOrg) -> None:
    org.allow_duplicate_names = False
    acme = org.create_contact({"contact_name": "Acme"})
    org.create_contact({"contact_name": "Acme", "contact_type": "vendor"})  # another type: fine
    org.create_contact({"contact_name": "ACME"})  # the comparison is exact
    with raises(DuplicateName, 'The customer "Acme" already exists. Please specify a different name.'):
        org.create_contact({"contact_name": "Acme"})
    with raises(DuplicateName, 'The vendor "Acme" already exists. Please specify a different name.'):
        org.create_contact({"contact_name": "Acme", "contact_type": "vendor"})
    other = org.create_contact({"contact_name": "Other"})
    with raises(DuplicateName, 'The customer "Acme" already exists. Please specify a different name.'):
        org.update_contact(other.contact_id, {"contact_name": "Acme", "notes": "x"})
    assert other.contact_name == "Other" and other.notes == ""
    org.update_contact(acme.contact_id, {"contact_name": "Acme", "notes": "renaming to itself is fine"})
    vendor = org.create_contact({"contact_name": "Other", "contact_type": "vendor"})
    with raises(DuplicateName, 'The customer "Other" already exists. Please specify a different name.'):
        org.update_contact(vendor.contact_id, {"contact_type": "customer"})
    assert len(org.contacts) == 5


# -- contact lists -----------------------------------------------------------------------------


@pytest.fixture
def listed(org: BooksOrg, clock: Clock) -> BooksOrg:
    for name, kind, notes in [
        ("Bravo Ltd", "customer", ""),
        ("alpha inc", "customer", "prefers email"),
        ("Charlie Co", "vendor", ""),
        ("Delta Supplies", "vendor", ""),
    ]:
        clock.advance(60)
        persons = [person(name.split()[0], "Smith", phone="+1-555-0100")]
        org.create_contact(
            {"contact_name": name, "contact_type": kind, "notes": notes, "contact_persons": persons}
        )
    org.set_contact_status(
        org.list_contacts({"contact_name": "Delta Supplies"}).rows[0]["contact_id"], active=False
    )
    return org


def names(page) -> list[str]:
    return [row["contact_name"] for row in page.rows]


def test_default_list_hides_inactive_contacts(listed: BooksOrg) -> None:
    page = listed.list_contacts({})
    assert names(page) == ["alpha inc", "Bravo Ltd", "Charlie Co"]
    assert page.context() == {
        "page": 1,
        "per_page": 200,
        "has_more_page": False,
        "applied_filter": "Status.Active",
        "sort_column": "contact_name",
        "sort_order": "A",
        "report_name": "Contacts",
    }
    assert names(listed.list_contacts({"filter_by": "Status.All"}))[-1] == "Delta Supplies"
    assert names(listed.list_contacts({"filter_by": "Status.Inactive"})) == ["Delta Supplies"]
    assert names(listed.list_contacts({"filter_by": "Invoice.OverDue"})) == []


def test_list_rows_carry_the_primary_person(listed: BooksOrg) -> None:
    row = listed.list_contacts({"contact_name": "Bravo Ltd"}).rows[0]
    assert (row["first_name"], row["last_name"], row["email"], row["phone"], row["mobile"]) == (
        "Bravo",
        "Smith",
        "bravo@example.com",
        "+1-555-0100",
        "",
    )
    assert row["customer_name"] == row["vendor_name"] == "Bravo Ltd"


@pytest.mark.parametrize(
    ("criteria", "expected"),
    [
        ({"contact_type": "vendor"}, ["Charlie Co"]),
        ({"contact_type": "vendor", "filter_by": "Status.All"}, ["Charlie Co", "Delta Supplies"]),
        ({"contact_name": "ALPHA INC"}, ["alpha inc"]),
        ({"contact_name_startswith": "br"}, ["Bravo Ltd"]),
        ({"contact_name_contains": "a"}, ["alpha inc", "Bravo Ltd", "Charlie Co"]),
        ({"search_text": "email"}, ["alpha inc"]),
        ({"email": "charlie@example.com"}, ["Charlie Co"]),
        ({"first_name_startswith": "al"}, ["alpha inc"]),
        ({"company_name": "nobody"}, []),
        ({"sort_column": "created_time", "sort_order": "D"}, ["Charlie Co", "alpha inc", "Bravo Ltd"]),
        ({"id": "1", "": ""}, ["alpha inc", "Bravo Ltd", "Charlie Co"]),
    ],
)
def test_list_filters(listed: BooksOrg, criteria: dict[str, str], expected: list[str]) -> None:
    assert names(listed.list_contacts(criteria)) == expected


def test_list_pages(listed: BooksOrg) -> None:
    first = listed.list_contacts({"filter_by": "Status.All", "per_page": "3"})
    second = listed.list_contacts({"filter_by": "Status.All", "per_page": "3", "page": "2"})
    assert first.has_more_page and not second.has_more_page
    assert names(first) + names(second) == ["alpha inc", "Bravo Ltd", "Charlie Co", "Delta Supplies"]
    assert listed.list_contacts({"per_page": "5000"}).per_page == 200


@pytest.mark.parametrize(
    "criteria",
    [
        {"filter_by": "Status.Bogus"},
        {"sort_column": "website"},
        {"sort_order": "up"},
        {"page": "0"},
        {"page": "\u00b2"},
        {"per_page": "ten"},
        {"contact_type": "lead"},
    ],
)
def test_list_rejects_bad_parameters(listed: BooksOrg, criteria: dict[str, str]) -> None:
    (field,) = criteria
    with raises(InvalidValue, f"Invalid value passed for {field}"):
        listed.list_contacts(criteria)


def test_duplicate_filter_lists_shared_names(org: BooksOrg) -> None:
    org.create_contact({"contact_name": "Twin"})
    org.create_contact({"contact_name": "twin"})
    org.create_contact({"contact_name": "Single"})
    assert sorted(names(org.list_contacts({"filter_by": "Status.Duplicate"}))) == ["Twin", "twin"]


# -- contact persons ---------------------------------------------------------------------------


def test_contact_person_lifecycle(org: BooksOrg, clock: Clock) -> None:
    contact = org.create_contact({"contact_name": "A", "contact_persons": [person("Ann")]})
    clock.advance(5)
    _, bob = org.create_contact_person({"contact_id": contact.contact_id, **person("Bob")})
    assert contact.last_modified_time == clock.now() and not bob.is_primary_contact
    org.mark_primary_contact_person(bob.contact_person_id)
    assert contact.primary_person is bob
    _, updated = org.update_contact_person(
        bob.contact_person_id,
        {"contact_id": contact.contact_id, "first_name": "Robert", "is_primary_contact": False},
    )
    assert updated.first_name == "Robert" and contact.primary_person is updated  # one primary stays
    org.delete_contact_person(updated.contact_person_id)
    assert [p.first_name for p in contact.contact_persons] == ["Ann"] and contact.contact_persons[
        0
    ].is_primary_contact
    page = org.list_contact_persons(contact.contact_id, {})
    assert [row["first_name"] for row in page.rows] == ["Ann"]
    assert page.rows[0]["contact_id"] == contact.contact_id
    assert page.context()["sort_column"] == "contact_person_id"


def test_contact_person_rules(org: BooksOrg) -> None:
    contact = org.create_contact({"contact_name": "A", "contact_persons": [person("Ann")]})
    ann = contact.contact_persons[0]
    with raises(InvalidValue, "Invalid value passed for first_name"):
        org.create_contact_person({"contact_id": contact.contact_id, "last_name": "Only"})
    with raises(InvalidValue, "Invalid value passed for contact_id"):
        org.create_contact_person({"first_name": "X"})
    with raises(DoesNotExist, "Contact does not exist."):
        org.create_contact_person({"contact_id": "123", "first_name": "X"})
    with raises(InvalidValue, "Invalid value passed for contact_id"):
        org.update_contact_person(ann.contact_person_id, {"first_name": "X"})
    other = org.create_contact({"contact_name": "B"})
    with raises(DoesNotExist, "Contact person does not exist."):
        org.update_contact_person(ann.contact_person_id, {"contact_id": other.contact_id, "first_name": "X"})
    with raises(DoesNotExist, "Contact person does not exist."):
        org.get_contact_person(other.contact_id, ann.contact_person_id)
    _, added = org.create_contact_person({"contact_id": other.contact_id, "first_name": "Zed"})
    assert added.is_primary_contact  # a contact's first person is its primary


# -- items -------------------------------------------------------------------------------------


def test_item_lifecycle(org: BooksOrg, clock: Clock) -> None:
    item = org.create_item({"name": "Hard Drive", "rate": 120, "sku": "s12345", "zcrm_product_id": "9"})
    detail = item.to_api(org.time_zone)
    assert detail["item_name"] == "Hard Drive" and detail["zcrm_product_id"] == ""
    assert (
        detail["status"] == "active" and detail["product_type"] == "goods" and detail["item_type"] == "sales"
    )
    clock.advance(30)
    org.update_item(item.item_id, {"rate": "120"})
    assert item.last_modified_time == item.created_time
    org.update_item(item.item_id, {"rate": 99.5, "description": "500GB"})
    assert (item.rate, item.description, item.last_modified_time) == (99.5, "500GB", clock.now())
    org.link_item(item.item_id, zcrm_product_id="5000000000000000009")
    assert item.to_api(org.time_zone)["is_linked_with_zohocrm"] is True
    org.set_item_status(item.item_id, active=False)
    assert org.list_items({}).rows == [] and len(org.list_items({"filter_by": "Status.All"}).rows) == 1
    org.delete_item(item.item_id)
    assert org.items == {}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"rate": 1}, "name"),
        ({"name": "X"}, "rate"),
        ({"name": "X", "rate": "cheap"}, "rate"),
        ({"name": "X", "rate": True}, "rate"),
        ({"name": "X", "rate": 1, "product_type": "thing"}, "product_type"),
        ({"name": "X", "rate": 1, "item_type": "rental"}, "item_type"),
        ({"name": "X", "rate": 1, "sku": {"a": 1}}, "sku"),
    ],
)
def test_create_item_rejects_bad_values(org: BooksOrg, body: dict, field: str) -> None:
    with raises(InvalidValue, f"Invalid value passed for {field}"):
        org.create_item(body)


@pytest.mark.parametrize(
    ("criteria", "expected"),
    [
        ({}, ["Cable", "Hard Drive", "Mouse"]),
        ({"name_startswith": "ha"}, ["Hard Drive"]),
        ({"name_contains": "a"}, ["Cable", "Hard Drive"]),
        ({"description_contains": "usb"}, ["Cable", "Mouse"]),
        ({"rate_greater_than": "10"}, ["Hard Drive", "Mouse"]),
        ({"rate_less_equals": "15"}, ["Cable", "Mouse"]),
        ({"search_text": "usb"}, ["Cable", "Mouse"]),
        ({"sort_column": "rate", "sort_order": "D"}, ["Hard Drive", "Mouse", "Cable"]),
    ],
)
def test_item_list_filters(org: BooksOrg, criteria: dict[str, str], expected: list[str]) -> None:
    org.create_item({"name": "Mouse", "rate": 15, "description": "USB mouse"})
    org.create_item({"name": "Hard Drive", "rate": 120, "description": "500GB"})
    org.create_item({"name": "Cable", "rate": 5, "description": "usb-c"})
    page = org.list_items(criteria)
    assert [row["name"] for row in page.rows] == expected
    assert page.context()["report_name"] == "Items"


def test_item_list_rejects_bad_parameters(org: BooksOrg) -> None:
    for criteria in ({"filter_by": "Status.Crm"}, {"sort_column": "sku"}, {"rate_less_than": "x"}):
        (field,) = criteria
        with raises(InvalidValue, f"Invalid value passed for {field}"):
            org.list_items(criteria)


# -- snapshots -----------------------------------------------------------------


def test_snapshot_round_trips_byte_for_byte(org: BooksOrg, clock: Clock) -> None:
    org.custom_fields = [CustomField("4150868000000000001", "contact", 1, "Tier", "cf_tier", is_unique=True)]
    contact = org.create_contact(
        {
            "contact_name": "A",
            "contact_persons": [person("Ann")],
            "custom_fields": [{"index": 1, "value": "x"}],
        }
    )
    org.create_contact({"contact_name": "V", "contact_type": "vendor"})
    org.link_contact(contact.contact_id, zcrm_account_id="5000000000000000001")
    item = org.create_item({"name": "Cable", "rate": 5.25})
    org.link_item(item.item_id, zcrm_product_id="5000000000000000002")
    org.allow_duplicate_names = False
    exported = orjson.dumps(org.to_json())
    restored = BooksOrg.from_json(orjson.loads(exported), clock=clock)
    assert orjson.dumps(restored.to_json()) == exported
    assert restored.get_contact(contact.contact_id).to_api(restored.time_zone) == contact.to_api(
        org.time_zone
    )
    assert restored.new_id() == org.new_id()
    assert (
        books_datetime(restored.get_item(item.item_id).created_time, restored.time_zone)
        == "2026-01-15T14:30:00+0530"
    )
