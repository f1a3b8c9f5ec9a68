"""The CRM seeder: deterministic, realistic, bounded in time, and quick at 100,000 records."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

import orjson
import pytest

from simulator.clock import Clock
from simulator.crm.models import CrmOrg
from simulator.crm.seed import WINDOW_END, WINDOW_START, seed_crm

SIZES = {"accounts": 30, "contacts": 90, "vendors": 10, "products": 20}
NOW = datetime(2026, 1, 15, 9, 0, tzinfo=UTC)


def seeded(seed: int = 42, now: datetime = NOW, **sizes: int) -> CrmOrg:
    return seed_crm(seed=seed, clock=Clock(start=now), **{**SIZES, **sizes})


def test_the_same_arguments_give_a_byte_identical_org() -> None:
    first, second = orjson.dumps(seeded().to_json()), orjson.dumps(seeded().to_json())
    assert first == second
    assert orjson.dumps(seeded(seed=43).to_json()) != first


def test_every_module_gets_the_requested_count_and_realistic_values() -> None:
    org = seeded(accounts=60, contacts=300, vendors=12, products=40)
    counts = {m: len(list(org.iter_records(m))) for m in ("Accounts", "Contacts", "Vendors", "Products")}
    assert counts == {"Accounts": 60, "Contacts": 300, "Vendors": 12, "Products": 40}
    accounts = list(org.iter_records("Accounts"))
    assert len({a["Account_Name"].lower() for a in accounts}) == 60
    contacts = list(org.iter_records("Contacts"))
    emails = [c["Email"] for c in contacts if "Email" in c]
    assert len(set(emails)) == len(emails) > 200
    loners = sum(1 for c in contacts if "Account_Name" not in c) / len(contacts)
    assert 0.2 <= loners <= 0.4
    products = list(org.iter_records("Products"))
    assert sum(1 for p in products if "Vendor_Name" in p) >= 0.75 * len(products)
    assert len({p["Product_Name"] for p in products}) == len({p["Product_Code"] for p in products}) == 40
    countries = Counter(a["Billing_Country"] for a in accounts)
    assert 3 <= len(countries) <= 7 and countries["United States"] >= 10


def test_records_carry_the_fields_the_books_seeder_reads() -> None:
    org = seeded()
    assert all(isinstance(a["Account_Name"], str) for a in org.iter_records("Accounts"))
    for contact in org.iter_records("Contacts"):
        assert contact["Last_Name"] and contact["First_Name"] and contact["Full_Name"]
    assert all(v["Vendor_Name"] and v["Email"] for v in org.iter_records("Vendors"))
    for product in org.iter_records("Products"):
        assert product["Product_Name"] and product["Product_Code"] and product["Unit_Price"] > 0


def test_times_lie_in_the_window_and_lookups_point_back_in_time() -> None:
    org = seeded(accounts=40, contacts=120)
    users = set(org.users)
    for module in ("Accounts", "Contacts", "Vendors", "Products"):
        records = list(org.iter_records(module))
        created = [r["Created_Time"] for r in records]
        assert created == sorted(created), "ids grow with Created_Time"
        for record in records:
            assert WINDOW_START <= record["Created_Time"] <= record["Modified_Time"] <= WINDOW_END
            assert {record["Owner"], record["Created_By"], record["Modified_By"]} <= users
    for contact in org.iter_records("Contacts"):
        if "Account_Name" in contact:
            assert org.get("Accounts", contact["Account_Name"])["Created_Time"] <= contact["Created_Time"]
    for product in org.iter_records("Products"):
        if "Vendor_Name" in product:
            assert org.get("Vendors", product["Vendor_Name"])["Created_Time"] <= product["Created_Time"]


def test_nothing_is_created_after_the_clocks_now() -> None:
    early = datetime(2025, 3, 1, tzinfo=UTC)
    org = seeded(now=early)
    stamps = [r["Modified_Time"] for m in ("Accounts", "Contacts") for r in org.iter_records(m)]
    assert max(stamps) <= early


def test_every_custom_view_has_records_inside_and_outside_it() -> None:
    org = seeded()
    custom = [view for view in org.views.values() if not view.system_defined]
    assert {(v.module, v.name) for v in custom} == {
        ("Accounts", "US Accounts"),
        ("Accounts", "Technology Accounts"),
        ("Contacts", "UK Contacts"),
        ("Contacts", "Contacts With Email"),
        ("Vendors", "US Vendors"),
        ("Products", "Active Products"),
    }
    for view in custom:
        inside = len(org.list_records(view.module, view=view))
        assert 0 < inside < len(org.records[view.module]), view.name
    assert len(org.views_of("Accounts")) == 6


def test_the_org_has_an_admin_current_user_and_a_fixed_offset_zone() -> None:
    org = seeded()
    assert org.current_user.is_admin and org.current_user.status == "active"
    assert 3 <= len(org.users) <= 5
    assert org.time_zone_name == "Asia/Kolkata" and org.time_zone.utcoffset(None).total_seconds() == 19800
    assert org.org_id.isdigit() and len(str(org.prefix)) == 7


@pytest.mark.slow
def test_a_hundred_thousand_records_seed_whole_and_distinct() -> None:
    """How fast is measured in bench/seed.py, not here: a test never depends on the machine's speed."""
    org = seeded(accounts=25_000, contacts=75_000)
    assert len(org.records["Contacts"]) == 75_000
    assert len({a["Account_Name"].lower() for a in org.iter_records("Accounts")}) == 25_000
