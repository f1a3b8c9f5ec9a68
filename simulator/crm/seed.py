"""A deterministic, realistic CRM org: the same arguments always give the same org, byte for byte.

Faker (seeded) draws pools of names, streets, cities and job titles once; a ``random.Random``
derived from the seed composes records from them.  That keeps 100,000 records to a few seconds
while the data still reads like a CRM: unique account names, contacts mostly at an account (about
30% at none), products mostly from a vendor, a handful of countries so that views have work.

Each module's records are created in time order (ids grow with ``Created_Time``), between
2024-01-01 and 2026-01-10 and never after the clock's ``now``; a record that points at another
points at one created before it.
"""

from __future__ import annotations

import bisect
import random
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from faker import Faker

from simulator.clock import Clock
from simulator.crm.metadata import INDUSTRIES, LEAD_SOURCES, make_id
from simulator.crm.models import CrmOrg, User
from simulator.fakerdraws import drawn
from simulator.ids import org_prefix

WINDOW_START = datetime(2024, 1, 1, tzinfo=UTC)
WINDOW_END = datetime(2026, 1, 10, 23, 59, 59, tzinfo=UTC)

#: country -> (weight, calling code, postal-code pattern, (city, state) pairs); US cities come from Faker.
COUNTRIES: dict[str, tuple[float, str, str, tuple[tuple[str, str], ...]]] = {
    "United States": (0.42, "+1", "#####", ()),
    "United Kingdom": (
        0.16,
        "+44",
        "?# #??",
        (("London", "England"), ("Manchester", "England"), ("Edinburgh", "Scotland"), ("Bristol", "England")),
    ),
    "Canada": (
        0.1,
        "+1",
        "?#? #?#",
        (("Toronto", "ON"), ("Vancouver", "BC"), ("Montreal", "QC"), ("Calgary", "AB")),
    ),
    "Germany": (
        0.08,
        "+49",
        "#####",
        (("Berlin", "Berlin"), ("Munich", "Bavaria"), ("Hamburg", "Hamburg"), ("Frankfurt", "Hesse")),
    ),
    "India": (
        0.1,
        "+91",
        "######",
        (
            ("Mumbai", "Maharashtra"),
            ("Bengaluru", "Karnataka"),
            ("Chennai", "Tamil Nadu"),
            ("Pune", "Maharashtra"),
        ),
    ),
    "Australia": (
        0.07,
        "+61",
        "####",
        (("Sydney", "NSW"), ("Melbourne", "VIC"), ("Brisbane", "QLD"), ("Perth", "WA")),
    ),
    "France": (
        0.07,
        "+33",
        "#####",
        (("Paris", "Ile-de-France"), ("Lyon", "Auvergne-Rhone-Alpes"), ("Nice", "PACA")),
    ),
}
LANGUAGES = {
    "United States": "English",
    "United Kingdom": "English",
    "Canada": "English",
    "Germany": "German",
    "India": "Hindi",
    "Australia": "English",
    "France": "French",
}
_COMPANY_SUFFIXES = ("Inc", "LLC", "Ltd", "Group", "Corp", "PLC", "Holdings", "Partners", "and Sons", "Co")
_VENDOR_WORDS = (
    "Supply",
    "Distribution",
    "Components",
    "Logistics",
    "Wholesale",
    "Manufacturing",
    "Sourcing",
)
_VENDOR_CATEGORIES = ("Hardware", "Software", "Logistics", "Office Supplies", "Professional Services")
_PRODUCT_ADJECTIVES = (
    "Ergonomic",
    "Rugged",
    "Compact",
    "Smart",
    "Wireless",
    "Premium",
    "Portable",
    "Modular",
)
_PRODUCT_NOUNS = (
    ("Router", "Hardware"),
    ("Network Switch", "Hardware"),
    ("Laptop Dock", "Accessories"),
    ("Keyboard", "Accessories"),
    ("Monitor", "Hardware"),
    ("IoT Sensor", "Hardware"),
    ("Headset", "Accessories"),
    ("Label Printer", "Hardware"),
    ("Analytics Suite", "Software"),
    ("Backup License", "Software"),
    ("Security Suite", "Software"),
    ("Support Plan", "Services"),
    ("Onboarding Package", "Services"),
)
_DEPARTMENTS = ("Sales", "Marketing", "Finance", "Operations", "IT", "Procurement", "Engineering", "HR")
_USER_ROLES: tuple[tuple[str, str, Literal["active", "disabled"], bool], ...] = (
    ("CEO", "Administrator", "active", True),
    ("Manager", "Standard", "active", True),
    ("Sales Representative", "Standard", "active", True),
    ("Sales Representative", "Standard", "active", False),
    ("Sales Representative", "Standard", "disabled", True),
)
#: Who owns seeded records: the three working users, and a little the one who has since left.
_OWNER_WEIGHTS = (0.3, 0.3, 0.3, 0.0, 0.1)


def seed_crm(*, seed: int, clock: Clock, accounts: int, contacts: int, vendors: int, products: int) -> CrmOrg:
    fake = Faker("en_US")
    fake.seed_instance(seed)
    rng = random.Random(f"zohosim-crm:{seed}")
    prefix = org_prefix(rng)
    company = fake.company()
    domain = _slug(company) + ".com"
    users = _users(fake, rng, prefix=prefix, domain=domain)
    org = CrmOrg.create(
        clock=clock,
        prefix=prefix,
        org_id=str(rng.randrange(700_000_000, 900_000_000)),
        company_name=company,
        users=users,
    )
    _add_custom_views(org)
    end = min(WINDOW_END, clock.now())
    start = min(WINDOW_START, end - timedelta(days=1))
    records = accounts + contacts + vendors + products
    pools = drawn(fake, ("crm", records), lambda fake: _Pools(fake, records=records))
    seeder = _Seeder(org, rng, pools, start=start, end=end)
    vendor_times = seeder.seed(vendors, seeder.vendor, span=(0.0, 0.5))
    account_times = seeder.seed(accounts, seeder.account, span=(0.0, 1.0))
    seeder.seed(contacts, seeder.contact, span=(0.02, 1.0), earlier=account_times)
    seeder.seed(products, seeder.product, span=(0.1, 1.0), earlier=vendor_times)
    return org


def _users(fake: Faker, rng: random.Random, *, prefix: int, domain: str) -> list[User]:
    users = []
    for position, (role, profile, status, confirmed) in enumerate(_USER_ROLES):
        first, last = fake.first_name(), fake.last_name()
        users.append(
            User(
                id=make_id(prefix, 225013 + 2 * position),
                first_name=first,
                last_name=last,
                email=f"{first[0].lower()}.{_slug(last)}@{domain}",
                zuid=str(rng.randrange(600_000_000, 800_000_000)),
                role=role,
                profile=profile,
                status=status,
                confirm=confirmed,
                created_time=datetime(2023, 6, 1, 9, tzinfo=UTC) + timedelta(days=30 * position),
            )
        )
    return users


def _add_custom_views(org: CrmOrg) -> None:
    def equal(api_name: str, value: str) -> dict[str, Any]:
        return {"comparator": "equal", "field": {"api_name": api_name}, "value": value}

    org.create_view(
        "Accounts",
        name="US Accounts",
        criteria=equal("Billing_Country", "United States"),
        sort_by="Account_Name",
        sort_order="asc",
        columns=("Account_Name", "Billing_City", "Billing_State", "Phone", "Owner"),
    )
    org.create_view(
        "Accounts",
        name="Technology Accounts",
        criteria=equal("Industry", "Technology"),
        columns=("Account_Name", "Industry", "Annual_Revenue", "Owner"),
    )
    org.create_view(
        "Contacts",
        name="UK Contacts",
        criteria=equal("Mailing_Country", "United Kingdom"),
        columns=("Full_Name", "Account_Name", "Email", "Mailing_City"),
    )
    org.create_view(
        "Contacts",
        name="Contacts With Email",
        criteria=equal("Email", "${NOTEMPTY}"),
        columns=("Full_Name", "Email", "Phone"),
    )
    org.create_view(
        "Vendors",
        name="US Vendors",
        criteria=equal("Country", "United States"),
        columns=("Vendor_Name", "Email", "City", "State"),
    )
    org.create_view(
        "Products",
        name="Active Products",
        criteria=equal("Product_Active", "true"),
        sort_by="Product_Name",
        sort_order="asc",
        columns=("Product_Name", "Product_Code", "Unit_Price", "Vendor_Name"),
    )


class _Pools:
    """Faker's draws, made once (more of them for a bigger org): records are composed from these.
    Kept per Faker state (``simulator.fakerdraws``), so shared between orgs: never changed."""

    def __init__(self, fake: Faker, *, records: int) -> None:
        def size(base: int, cap: int) -> int:
            return min(cap, base + records // 2)

        self.first_names = _distinct(fake.first_name, size(30, 300))
        self.last_names = _distinct(fake.last_name, size(40, 500))
        self.streets = _distinct(fake.street_name, size(20, 300))
        self.us_places = [(fake.city(), fake.state_abbr()) for _ in range(size(10, 150))]
        self.jobs = [job for job in _distinct(fake.job, size(10, 120)) if len(job) <= 100]
        self.phrases = [fake.catch_phrase() for _ in range(size(10, 150))]


def _distinct(draw: Callable[[], str], count: int) -> list[str]:
    seen: dict[str, None] = {}
    for _ in range(count * 3):
        seen.setdefault(draw(), None)
        if len(seen) == count:
            break
    return list(seen)


@dataclass
class _Address:
    street: str
    city: str
    state: str
    code: str
    country: str


class _Seeder:
    def __init__(
        self, org: CrmOrg, rng: random.Random, pools: _Pools, *, start: datetime, end: datetime
    ) -> None:
        self.org, self.rng, self.pools = org, rng, pools
        self.start, self.seconds = start, int((end - start).total_seconds())
        self.owners = [user.id for user in org.users.values()]
        self.names: set[str] = set()
        self.emails: set[str] = set()
        self.created: dict[str, list[str]] = {}
        self.earlier: list[datetime] = []
        self.stored: list[str] = []
        self.country_names = list(COUNTRIES)
        self.country_weights = [COUNTRIES[name][0] for name in self.country_names]
        #: One string per postal code, shared by the records that repeat it. Not ``sys.intern``:
        #: the interpreter's table keeps an entry per distinct code for the life of the process.
        self.codes: dict[str, str] = {}

    def seed(
        self,
        count: int,
        build: Callable[[int, datetime], tuple[str, dict[str, Any]]],
        *,
        span: tuple[float, float],
        earlier: Sequence[datetime] = (),
    ) -> list[datetime]:
        """Create ``count`` records in time order; returns their creation times (ascending)."""
        low, high = int(self.seconds * span[0]), int(self.seconds * span[1])
        times = sorted(self.start + timedelta(seconds=self.rng.randint(low, high)) for _ in range(count))
        self.earlier, self.stored = list(earlier), []
        for position, created in enumerate(times):
            module, fields = build(position, created)
            owner = self.rng.choices(self.owners, _OWNER_WEIGHTS)[0]
            record: dict[str, Any] = {"id": self.org.ids(), "Owner": owner}
            record.update((key, value) for key, value in fields.items() if value is not None)
            modified = self._modified(created)
            record.update(Created_By=owner, Modified_By=owner, Created_Time=created, Modified_Time=modified)
            self.org.put_record(module, record)
            self.stored.append(record["id"])
        return times

    def _modified(self, created: datetime) -> datetime:
        roll, end = self.rng.random(), self.start + timedelta(seconds=self.seconds)
        if roll < 0.55:
            return created
        if roll < 0.9 or end - created < timedelta(days=14):
            return created + timedelta(seconds=self.rng.randint(0, int((end - created).total_seconds())))
        return end - timedelta(seconds=self.rng.randint(0, 14 * 86400))

    def _earlier_id(self, module: str, created: datetime, chance: float) -> str | None:
        """A record of ``module`` created before ``created``, with probability ``chance``."""
        available = bisect.bisect_left(self.earlier, created)
        if available == 0 or self.rng.random() >= chance:
            return None
        if module not in self.created:
            self.created[module] = list(self.org.records[module])
        return self.created[module][self.rng.randrange(available)]

    # -- one record of each module -------------------------------------------------------------

    def account(self, position: int, created: datetime) -> tuple[str, dict[str, Any]]:
        rng = self.rng
        name = self._unique_name(self._company_name)
        address = self._address(("United States", "United Kingdom")[position] if position < 2 else None)
        shipping = address if rng.random() < 0.7 else self._address(address.country)
        industry = ("Technology", "Manufacturing")[position] if position < 2 else _industry(rng)
        return "Accounts", {
            "Account_Name": name,
            "Account_Number": str(rng.randrange(10_000_000, 99_999_999)),
            "Account_Site": rng.choice(("Headquarters", "Branch", "Regional Office", None)),
            "Parent_Account": rng.choice(self.stored) if self.stored and rng.random() < 0.08 else None,
            "Account_Type": rng.choices(
                ("Customer", "Prospect", "Partner", "Reseller", "Competitor"), (5, 3, 1, 1, 0.3)
            )[0],
            "Industry": industry,
            "Ownership": rng.choice(("Private", "Public", "Subsidiary", "Partnership", None)),
            "Rating": rng.choice(("Active", "Acquired", "Market Failed", None, None)),
            "Annual_Revenue": float(round(rng.lognormvariate(15, 1.2), -3)),
            "Employees": int(rng.lognormvariate(4.5, 1.3)) + 1,
            "Phone": self._phone(address.country),
            "Fax": self._phone(address.country) if rng.random() < 0.2 else None,
            "Website": f"https://www.{_slug(name)}.com",
            "Description": rng.choice(self.pools.phrases) if rng.random() < 0.3 else None,
            **_address_fields("Billing", "Code", address),
            **_address_fields("Shipping", "Code", shipping),
            "Customer_Tier": rng.choice(("Platinum", "Gold", "Silver", "Bronze", None, None)),
        }

    def contact(self, position: int, created: datetime) -> tuple[str, dict[str, Any]]:
        rng = self.rng
        first, last = rng.choice(self.pools.first_names), rng.choice(self.pools.last_names)
        account_id = (
            None if position == 1 else self._earlier_id("Accounts", created, 1.0 if position == 0 else 0.7)
        )
        account = self.org.records["Accounts"].get(account_id or "")
        if position < 2:
            address = self._address(("United Kingdom", "United States")[position])
        elif account is not None and rng.random() < 0.8:
            address = _account_address(account)
        else:
            address = self._address(None)
        domain = account["Website"].removeprefix("https://www.") if account else rng.choice(_FREE_MAIL)
        has_email = position == 0 or (position > 1 and rng.random() < 0.88)
        return "Contacts", {
            "Salutation": rng.choice(("Mr.", "Ms.", "Mrs.", "Dr.")) if rng.random() < 0.4 else None,
            "First_Name": first,
            "Last_Name": last,
            "Full_Name": f"{first} {last}",
            "Email": self._unique_email(first, last, domain) if has_email else None,
            "Phone": self._phone(address.country) if rng.random() < 0.7 else None,
            "Mobile": self._phone(address.country) if rng.random() < 0.5 else None,
            "Account_Name": account_id,
            "Title": rng.choice(self.pools.jobs),
            "Department": rng.choice(_DEPARTMENTS),
            "Lead_Source": rng.choice(LEAD_SOURCES) if rng.random() < 0.75 else None,
            "Date_of_Birth": _birthday(rng) if rng.random() < 0.2 else None,
            "Email_Opt_Out": rng.random() < 0.1,
            **_address_fields("Mailing", "Zip", address),
            "Preferred_Language": LANGUAGES[address.country] if rng.random() < 0.4 else None,
        }

    def vendor(self, position: int, created: datetime) -> tuple[str, dict[str, Any]]:
        rng = self.rng
        name = self._unique_name(lambda: f"{rng.choice(self.pools.last_names)} {rng.choice(_VENDOR_WORDS)}")
        address = self._address(("United States", "Germany")[position] if position < 2 else None)
        slug = _slug(name)
        return "Vendors", {
            "Vendor_Name": name,
            "Email": f"{rng.choice(('sales', 'orders', 'info'))}@{slug}.com",
            "Phone": self._phone(address.country),
            "Website": f"https://www.{slug}.com",
            "Category": rng.choice(_VENDOR_CATEGORIES),
            "GL_Account": rng.choice(("Sales-Hardware", "Sales-Software", "Sales-Other", None)),
            "Street": address.street,
            "City": address.city,
            "State": address.state,
            "Zip_Code": address.code,
            "Country": address.country,
            "Email_Opt_Out": False,
            "Payment_Terms": rng.choice(("Net 15", "Net 30", "Net 30", "Net 45", "Net 60")),
        }

    def product(self, position: int, created: datetime) -> tuple[str, dict[str, Any]]:
        rng = self.rng
        noun, category = rng.choice(_PRODUCT_NOUNS)
        name = self._unique_name(
            lambda: f"{rng.choice(_PRODUCT_ADJECTIVES)} {noun} {rng.choice('XSMPQ')}{rng.randint(1, 999)}"
        )
        active = (True, False)[position] if position < 2 else rng.random() < 0.8
        sales_start = created.date() + timedelta(days=rng.randint(0, 30))
        return "Products", {
            "Product_Name": name,
            "Product_Code": f"{category[:3].upper()}-{position + 1:06d}",
            "Product_Active": active,
            "Product_Category": category,
            "Manufacturer": rng.choice(("AltvetPet Inc.", "LexPro Inc.", "MetBeat Corp.", None)),
            "Vendor_Name": self._earlier_id("Vendors", created, 0.9),
            "Unit_Price": round(rng.lognormvariate(5, 1), 2),
            "Commission_Rate": round(rng.uniform(0, 15), 2) if rng.random() < 0.3 else None,
            "Usage_Unit": "Each" if category != "Services" else "Hours",
            "Qty_in_Stock": float(rng.randint(0, 500)) if category in ("Hardware", "Accessories") else None,
            "Taxable": rng.random() < 0.7,
            "Sales_Start_Date": sales_start.isoformat(),
            "Handler": self.owners[rng.randrange(3)] if rng.random() < 0.3 else None,
            "Description": rng.choice(self.pools.phrases) if rng.random() < 0.5 else None,
            "Warranty_Months": rng.choice((12, 24, 36)) if category == "Hardware" else None,
        }

    # -- parts ---------------------------------------------------------------------------------

    def _company_name(self) -> str:
        rng, names = self.rng, self.pools.last_names
        pattern = rng.random()
        if pattern < 0.45:
            return f"{rng.choice(names)} {rng.choice(_COMPANY_SUFFIXES)}"
        if pattern < 0.8:
            return f"{rng.choice(names)}-{rng.choice(names)}"
        return f"{rng.choice(names)}, {rng.choice(names)} and {rng.choice(names)}"

    def _unique_name(self, draw: Callable[[], str]) -> str:
        for _ in range(20):
            name = draw()
            if name.lower() not in self.names:
                break
        else:
            name = f"{name} {len(self.names)}"
        self.names.add(name.lower())
        return name

    def _unique_email(self, first: str, last: str, domain: str) -> str:
        local = f"{_slug(first)}.{_slug(last)}"
        email, number = f"{local}@{domain}", 1
        while email in self.emails:
            number += 1
            email = f"{local}{number}@{domain}"
        self.emails.add(email)
        return email

    def _address(self, country: str | None) -> _Address:
        rng = self.rng
        country = country or rng.choices(self.country_names, self.country_weights)[0]
        _, _, pattern, places = COUNTRIES[country]
        city, state = rng.choice(places or self.pools.us_places)
        street = f"{rng.randint(1, 9999)} {rng.choice(self.pools.streets)}"
        code = "".join(
            str(rng.randint(0, 9))
            if ch == "#"
            else rng.choice("ABCDEFGHJKLMNPRSTUVWXYZ")
            if ch == "?"
            else ch
            for ch in pattern
        )
        code = self.codes.setdefault(code, code)  # a million addresses repeat postal codes
        return _Address(street, city, state, code, country)

    def _phone(self, country: str) -> str:
        rng = self.rng
        code = COUNTRIES[country][1]
        return f"{code} {rng.randint(200, 999)} {rng.randint(200, 999)} {rng.randint(1000, 9999)}"


_FREE_MAIL = ("gmail.com", "outlook.com", "yahoo.com", "proton.me")


def _industry(rng: random.Random) -> str | None:
    roll = rng.random()
    if roll < 0.25:
        return "Technology"
    if roll < 0.9:
        return rng.choice(INDUSTRIES[1:])
    return None


def _birthday(rng: random.Random) -> str:
    return (datetime(1960, 1, 1) + timedelta(days=rng.randint(0, 365 * 42))).date().isoformat()


def _address_fields(prefix: str, zip_name: str, address: _Address) -> dict[str, str]:
    return {
        f"{prefix}_Street": address.street,
        f"{prefix}_City": address.city,
        f"{prefix}_State": address.state,
        f"{prefix}_{zip_name}": address.code,
        f"{prefix}_Country": address.country,
    }


def _account_address(account: Mapping[str, Any]) -> _Address:
    return _Address(
        account["Billing_Street"],
        account["Billing_City"],
        account["Billing_State"],
        account["Billing_Code"],
        account["Billing_Country"],
    )


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "", text.lower())
