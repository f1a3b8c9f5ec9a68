"""The Books seeder: deterministic, unlinked, and full of duplicates for every sync mode."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

import orjson
import pytest

from simulator.books.models import BooksOrg, Contact
from simulator.books.seed import seed_books
from simulator.clock import Clock
from simulator.crm.seed import seed_crm
from tests.books.fakes import FakeCrm

START = datetime(2026, 1, 15, 9, 0, 0, tzinfo=UTC)


def fold(name: str) -> str:
    return " ".join(name.split()).lower()


def seeded(*, seed: int = 42, crm: FakeCrm | None = None, overlap: float = 0.25, extra: int = 5) -> BooksOrg:
    return seed_books(
        seed=seed, clock=Clock(start=START), crm=crm or FakeCrm.build(), overlap=overlap, extra=extra
    )


@pytest.fixture(scope="module")
def crm() -> FakeCrm:
    return FakeCrm.build()


@pytest.fixture(scope="module")
def org(crm: FakeCrm) -> BooksOrg:
    return seeded(crm=crm)


def of_kind(org: BooksOrg, contact_type: str, sub_type: str | None = None) -> list[Contact]:
    return [
        c
        for c in org.contacts.values()
        if c.contact_type == contact_type and (sub_type is None or c.customer_sub_type == sub_type)
    ]


def test_same_arguments_give_the_same_org_byte_for_byte(crm: FakeCrm) -> None:
    assert orjson.dumps(seeded(crm=crm).to_json()) == orjson.dumps(seeded(crm=crm).to_json())
    assert orjson.dumps(seeded(crm=crm, seed=43).to_json()) != orjson.dumps(seeded(crm=crm).to_json())


def test_nothing_is_linked_and_everything_is_in_the_past(org: BooksOrg) -> None:
    records = [*org.contacts.values(), *org.items.values()]
    assert records
    assert not any(record.is_linked_with_zohocrm for record in records)
    assert all(r.created_time <= r.last_modified_time < START for r in records)
    assert org.organization_id.isdigit()
    assert all(len(c.contact_id) == 19 for c in org.contacts.values())


def test_business_customers_twin_a_quarter_of_the_accounts(org: BooksOrg, crm: FakeCrm) -> None:
    accounts = {fold(a["Account_Name"]) for a in crm.iter_records("Accounts")}
    twins = [c for c in of_kind(org, "customer", "business") if fold(c.contact_name) in accounts]
    assert len({fold(c.contact_name) for c in twins}) == round(30 * 0.25)
    exact = {a["Account_Name"] for a in crm.iter_records("Accounts")}
    differing = {c.contact_name for c in twins if c.contact_name not in exact}
    assert any(name != name.strip() for name in differing)  # outer white space
    assert any("  " in name.strip() for name in differing)  # inner white space
    assert any(name.strip() in (name.upper(), name.lower()) for name in differing)  # case


def test_individual_customers_twin_only_unassociated_contacts(org: BooksOrg, crm: FakeCrm) -> None:
    def full_name(c: dict) -> str:
        return fold(f"{c['First_Name'] or ''} {c['Last_Name']}")

    loners = {full_name(c) for c in crm.iter_records("Contacts") if not c["Account_Name"]}
    associated = {full_name(c) for c in crm.iter_records("Contacts") if c["Account_Name"]} - loners
    individuals = of_kind(org, "customer", "individual")
    twins = {fold(c.contact_name) for c in individuals if fold(c.contact_name) in loners}
    assert len(twins) == round(len(loners) * 0.25)
    assert not any(fold(c.contact_name) in associated for c in individuals)
    assert all(c.primary_person is not None for c in individuals if fold(c.contact_name) in loners)


def test_vendors_and_items_twin_their_crm_records(org: BooksOrg, crm: FakeCrm) -> None:
    vendors = {fold(v["Vendor_Name"]) for v in crm.iter_records("Vendors")}
    twins = {fold(c.contact_name) for c in of_kind(org, "vendor") if fold(c.contact_name) in vendors}
    assert len(twins) == round(10 * 0.25)
    products = list(crm.iter_records("Products"))
    names = {fold(p["Product_Name"]) for p in products}
    codes = {p["Product_Code"] for p in products if p["Product_Code"]}
    items = [i for i in org.items.values() if fold(i.name) in names or i.sku in codes]
    assert len(items) >= round(20 * 0.25)
    assert any(i.sku in codes for i in items)


def test_sku_twins_share_the_code_and_sometimes_the_name() -> None:
    products = [
        {"id": str(n), "Product_Name": f"Widget {n}", "Product_Code": f"W-{n}", "Unit_Price": 1.0}
        for n in range(40)
    ]
    org = seeded(crm=FakeCrm({"Products": products}), extra=0)
    by_code = {p["Product_Code"]: p["Product_Name"] for p in products}
    sku_twins = [i for i in org.items.values() if i.sku in by_code]
    assert any(i.name == by_code[i.sku] for i in sku_twins)  # name and SKU
    assert any(fold(i.name) != fold(by_code[i.sku]) for i in sku_twins)  # the SKU alone
    assert any(
        i.sku == "" and fold(i.name) in {fold(n) for n in by_code.values()} for i in org.items.values()
    )


def test_some_books_records_duplicate_each_other(org: BooksOrg) -> None:
    """The tie rule needs work: earliest created is not always the smallest id, and some times tie."""
    groups: dict[tuple[str, str], list[Contact]] = {}
    for contact in org.contacts.values():
        groups.setdefault((contact.contact_type, contact.contact_name), []).append(contact)
    pairs = [group for group in groups.values() if len(group) > 1]
    assert len(pairs) >= 3
    earliest_is_not_smallest = [
        g
        for g in pairs
        if min(g, key=lambda c: c.created_time) is not min(g, key=lambda c: int(c.contact_id))
    ]
    same_time = [g for g in pairs if len({c.created_time for c in g}) == 1]
    assert earliest_is_not_smallest and same_time
    item_names = Counter(item.name for item in org.items.values())
    assert max(item_names.values()) == 2


def test_extras_are_books_only_and_some_records_are_inactive(org: BooksOrg, crm: FakeCrm) -> None:
    crm_names = {fold(a["Account_Name"]) for a in crm.iter_records("Accounts")}
    crm_names |= {fold(v["Vendor_Name"]) for v in crm.iter_records("Vendors")}
    crm_names |= {fold(f"{c['First_Name'] or ''} {c['Last_Name']}") for c in crm.iter_records("Contacts")}
    for contact_type, sub_type in (("customer", "business"), ("customer", "individual"), ("vendor", None)):
        only = [c for c in of_kind(org, contact_type, sub_type) if fold(c.contact_name) not in crm_names]
        assert len(only) == 5, (contact_type, sub_type)
    inactive = [c for c in org.contacts.values() if c.status == "inactive"]
    assert inactive and len(org.list_contacts({}).rows) == len(org.contacts) - len(inactive)
    assert any(item.status == "inactive" for item in org.items.values())


def test_seeds_twins_of_the_real_crm_orgs_records() -> None:
    crm = seed_crm(seed=42, clock=Clock(start=START), accounts=12, contacts=30, vendors=4, products=8)
    org = seed_books(seed=42, clock=Clock(start=START), crm=crm, overlap=0.5, extra=1)
    names = {
        "Accounts": {fold(r["Account_Name"]) for r in crm.iter_records("Accounts")},
        "Vendors": {fold(r["Vendor_Name"]) for r in crm.iter_records("Vendors")},
        "Products": {fold(r["Product_Name"]) for r in crm.iter_records("Products")},
    }
    business = {fold(c.contact_name) for c in of_kind(org, "customer", "business")}
    assert len(business & names["Accounts"]) == 6
    assert len({fold(c.contact_name) for c in of_kind(org, "vendor")} & names["Vendors"]) == 2
    codes = {r["Product_Code"] for r in crm.iter_records("Products")}
    assert any(fold(i.name) in names["Products"] or i.sku in codes for i in org.items.values())


def test_no_overlap_and_no_extras_seed_an_empty_org(crm: FakeCrm) -> None:
    org = seeded(crm=crm, overlap=0, extra=0)
    assert org.contacts == {} and org.items == {}
    assert seeded(crm=FakeCrm(), overlap=0.5, extra=0).contacts == {}


def test_large_crm_orgs_seed_whole() -> None:
    crm = FakeCrm(
        {
            "Accounts": [{"id": str(n), "Account_Name": f"Account {n}"} for n in range(20_000)],
            "Contacts": [
                {
                    "id": str(n),
                    "First_Name": "Pat",
                    "Last_Name": f"No{n}",
                    "Account_Name": str(n) if n % 2 else None,
                }
                for n in range(40_000)
            ],
            "Products": [
                {"id": str(n), "Product_Name": f"Product {n}", "Product_Code": f"P{n}"} for n in range(10_000)
            ],
        }
    )
    org = seeded(crm=crm, overlap=0.25, extra=10)  # bench/seed.py measures how fast
    assert len(org.contacts) > 10_000 and len(org.items) > 2_500
