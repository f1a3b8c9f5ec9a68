"""Seed a Books org whose records collide with the CRM org's, so every duplicate mode has work.

Nothing seeded is linked to CRM. For a fraction ``overlap`` of CRM accounts, unassociated
contacts, vendors and products, Books already holds a *twin*: a record with the same display
name (some differing in case or white space, which the sync folds away) or, for items, the same
name and/or SKU. A few twins are duplicated inside Books too (for the "earliest created, then
smallest id" rule), a few records are inactive (hidden by the default list), and ``extra``
Books-only records of each kind match nothing in CRM.

Faker builds small pools of names and addresses once; records draw from them with a seeded
``random.Random``, so seeding is cheap for large CRM orgs and the same arguments always give
the same org, byte for byte.
"""

from __future__ import annotations

import bisect
import hashlib
import random
import re
from array import array
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from itertools import chain
from typing import Any, Protocol

from faker import Faker

from simulator.books.address import Address
from simulator.books.editions import DEFAULT_EDITION, EDITIONS, Edition
from simulator.books.fields import payment_terms_label
from simulator.books.models import BooksOrg
from simulator.books.records import Contact, ContactPerson, CustomField, Item, OrgProfile
from simulator.clock import Clock
from simulator.fakerdraws import drawn
from simulator.ids import IdSequence, org_prefix

_POOL_SIZE = 50
_OLDEST_DAYS = 3 * 365
_UNITS = ("pcs", "box", "kg", "hrs", "")


class CrmRecords(Protocol):
    def iter_records(self, module: str) -> Iterator[Mapping[str, Any]]: ...


def seed_books(
    *, seed: int, clock: Clock, crm: CrmRecords, overlap: float, extra: int, edition: str = DEFAULT_EDITION
) -> BooksOrg:
    rng = random.Random(f"books:{seed}")
    fake = Faker("en_US")
    fake.seed_instance(f"books:{seed}")
    org = _new_org(rng=rng, fake=fake, clock=clock, edition=EDITIONS[edition])
    pools = drawn(fake, "books", _Pools.build)  # kept per Faker state: never changed
    seeder = _Seeder(org=org, rng=rng, pools=pools, now=clock.now().replace(microsecond=0))
    accounts = list(crm.iter_records("Accounts"))
    contacts = list(crm.iter_records("Contacts"))
    loners = [c for c in contacts if not c.get("Account_Name")]
    vendors = list(crm.iter_records("Vendors"))
    products = list(crm.iter_records("Products"))
    # Made before the twins, while memory is lower: its transient set is gone before they are built.
    taken = _TakenNames(
        chain(
            (_fold(r.get("Account_Name") or "") for r in accounts),
            (_fold(_person_name(r)) for r in contacts),
            (_fold(r.get("Vendor_Name") or "") for r in vendors),
            (_fold(r.get("Product_Name") or "") for r in products),
        )
    )
    seeder.twins(
        accounts, overlap, lambda r: r.get("Account_Name") or "", lambda n, r: seeder.business_customer(n)
    )
    seeder.twins(loners, overlap, _person_name, seeder.individual_customer)
    seeder.twins(vendors, overlap, lambda r: r.get("Vendor_Name") or "", lambda n, r: seeder.vendor(n))
    seeder.item_twins(products, overlap)
    seeder.extras(extra, taken=taken, fake=fake)
    org.custom_fields = _custom_fields(org)
    return org


#: Every seeded org's custom fields: per entity, one that allows no duplicates and one that does.
_CUSTOM_FIELDS = {
    "contact": (("Customer Code", "cf_customer_code", True), ("Segment", "cf_segment", False)),
    "item": (("Product Code", "cf_product_code", True), ("Warranty", "cf_warranty", False)),
}


def _custom_fields(org: BooksOrg) -> list[CustomField]:
    """Made after the records, so that seeded record ids stay those of earlier versions."""
    return [
        CustomField(org.new_id(), entity, index, label, api_name, is_unique=unique)
        for entity, fields in _CUSTOM_FIELDS.items()
        for index, (label, api_name, unique) in enumerate(fields, start=1)
    ]


def _new_org(*, rng: random.Random, fake: Faker, clock: Clock, edition: Edition) -> BooksOrg:
    ids = IdSequence(prefix=org_prefix(rng))
    company = fake.company()
    contact_name = fake.name()
    created = clock.now() - timedelta(days=_OLDEST_DAYS + rng.randrange(30, 400))
    profile = OrgProfile(
        name=company,
        contact_name=contact_name,
        email=f"{_slug(contact_name, '.')}@{_slug(company, '')}.com",
        account_created_date=created.date().isoformat(),
        currency_id=ids(),
        currency_code=edition.currency_code,
        currency_symbol=edition.currency_symbol,
        edition=edition.code,
    )
    return BooksOrg(
        organization_id=str(rng.randrange(600_000_000, 900_000_000)), profile=profile, clock=clock, ids=ids
    )


def _share(count: int, overlap: float) -> int:
    """How many of ``count`` records get a twin: at least one whenever there is overlap at all."""
    if count == 0 or overlap <= 0:
        return 0
    return min(count, max(1, round(count * overlap)))


def _person_name(record: Mapping[str, Any]) -> str:
    """A CRM contact's Books name, as the sync builds it: ``First_Name + " " + Last_Name``, trimmed."""
    return f"{record.get('First_Name') or ''} {record.get('Last_Name') or ''}".strip()


def _fold(name: str) -> str:
    return " ".join(name.split()).lower()


class _TakenNames:
    """Folded names in use, at 8 bytes each: a sorted array of their 64-bit digests, not a set.

    As a set of strings, a million CRM records' names cost about 60 MB at the seeding's peak. A
    name is never missed; a digest shared by two different names (odds about 1 in 10**8 for a
    million names) would only make an extra record draw its name once more.
    """

    def __init__(self, names: Iterable[str]) -> None:
        self._digests = array("q", sorted({_digest(name) for name in names}))
        self._added: set[str] = set()

    def __contains__(self, name: str) -> bool:
        if name in self._added:
            return True
        digest = _digest(name)
        at = bisect.bisect_left(self._digests, digest)
        return at < len(self._digests) and self._digests[at] == digest

    def add(self, name: str) -> None:
        self._added.add(name)


def _digest(name: str) -> int:
    """Stable across processes, unlike ``hash``: the same seed gives the same org everywhere."""
    return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "little", signed=True)


def _slug(text: str, joiner: str) -> str:
    return joiner.join(re.findall(r"[a-z0-9]+", text.lower()))


def _variant(name: str, position: int) -> str:
    """Of every five twins two are exact; the others differ in case, outer or inner white space."""
    kind = position % 5
    if kind == 2:
        return name.upper() if name != name.upper() else name.lower()
    if kind == 3:
        return f"  {name} "
    if kind == 4:
        return name.replace(" ", "  ", 1) if " " in name else f"{name} "
    return name


@dataclass
class _Pools:
    first_names: list[str]
    last_names: list[str]
    domains: list[str]
    streets: list[str]
    cities: list[str]
    states: list[str]
    zips: list[str]
    words: list[str]

    @classmethod
    def build(cls, fake: Faker) -> _Pools:
        def pool(make: Callable[[], str]) -> list[str]:
            return [make() for _ in range(_POOL_SIZE)]

        return cls(
            first_names=pool(fake.first_name),
            last_names=pool(fake.last_name),
            domains=pool(fake.domain_name),
            streets=pool(fake.street_address),
            cities=pool(fake.city),
            states=pool(fake.state),
            zips=pool(fake.zipcode),
            words=pool(fake.word),
        )


@dataclass
class _Seeder:
    org: BooksOrg
    rng: random.Random
    pools: _Pools
    now: datetime

    # -- twins of CRM records ---------------------------------------------------------------------

    def twins(
        self,
        records: list[Mapping[str, Any]],
        overlap: float,
        name_of: Callable[[Mapping[str, Any]], str],
        make: Callable[[str, Mapping[str, Any]], Contact],
    ) -> None:
        chosen = sorted(self.rng.sample(range(len(records)), _share(len(records), overlap)))
        made = []
        for position, index in enumerate(chosen):
            name = name_of(records[index])
            if name:
                made.append(make(_variant(name, position), records[index]))
        if len(made) >= 4:
            made[-1].status = "inactive"  # an inactive twin: only Status.All lists it
        self._duplicate_inside_books(made)

    def _duplicate_inside_books(self, made: list[Contact]) -> None:
        """Two same-name records: one created earlier under a larger id, and one created at the same time."""
        for original, same_time in zip(made[:2], (False, True), strict=False):
            copy = self._contact(
                original.contact_name,
                contact_type=original.contact_type,
                sub_type=original.customer_sub_type,
                company=original.company_name,
            )
            copy.created_time = (
                original.created_time if same_time else original.created_time - timedelta(days=3)
            )
            copy.last_modified_time = max(copy.last_modified_time, copy.created_time)
            copy.contact_persons = [
                replace(person, contact_person_id=self.org.new_id()) for person in original.contact_persons
            ]

    def item_twins(self, products: list[Mapping[str, Any]], overlap: float) -> None:
        """Items share the name, the SKU (``Product_Code``) or both with their product."""
        chosen = sorted(self.rng.sample(range(len(products)), _share(len(products), overlap)))
        made = []
        for position, index in enumerate(chosen):
            product = products[index]
            name, code = product.get("Product_Name") or "", product.get("Product_Code") or ""
            kind = position % 4
            if kind == 3 and code:
                made.append(self.item(f"{name} ({self.rng.choice(self.pools.words)})", sku=code))
            elif name:
                item_name = _variant(name, 2) if kind == 1 else name
                made.append(self.item(item_name, sku=code if kind == 0 else ""))
        if made:
            original = made[0]
            copy = self.item(original.name, sku=original.sku)
            copy.created_time = original.created_time - timedelta(days=2)
            copy.last_modified_time = max(copy.last_modified_time, copy.created_time)

    # -- Books-only records -----------------------------------------------------------------------

    def extras(self, count: int, *, taken: _TakenNames, fake: Faker) -> None:
        def fresh(make: Callable[[], str]) -> str:
            name = make()
            while _fold(name) in taken:
                name = f"{make()} {self.rng.choice(self.pools.words).title()}"
            taken.add(_fold(name))
            return name

        for position in range(count):
            made: list[Contact | Item] = [
                self.business_customer(fresh(fake.company)),
                self.individual_customer(fresh(lambda: f"{fake.first_name()} {fake.last_name()}")),
                self.vendor(fresh(lambda: f"{fake.company()} Supplies")),
                self.item(
                    fresh(lambda: fake.catch_phrase().title()), sku=f"BK-{self.rng.randrange(10**5, 10**6)}"
                ),
            ]
            if position % 5 == 4:
                for record in made:
                    record.status = "inactive"

    # -- one record of each kind ------------------------------------------------------------------

    def business_customer(self, name: str) -> Contact:
        contact = self._contact(name, contact_type="customer", sub_type="business", company=name.strip())
        contact.website = f"www.{_slug(name, '')}.com"
        for _ in range(self.rng.randint(1, 2)):
            contact.contact_persons.append(self._person())
        contact.contact_persons[0].is_primary_contact = True
        return contact

    def individual_customer(self, name: str, record: Mapping[str, Any] | None = None) -> Contact:
        """An individual; a CRM contact's twin carries that contact's first and last name."""
        contact = self._contact(name, contact_type="customer", sub_type="individual", company="")
        first, _, last = name.strip().rpartition(" ")
        if record is not None:
            first, last = record.get("First_Name") or "", record.get("Last_Name") or last
        contact.contact_persons.append(self._person(first=first, last=last, primary=True))
        return contact

    def vendor(self, name: str) -> Contact:
        contact = self._contact(name, contact_type="vendor", sub_type="business", company=name.strip())
        contact.payment_terms, contact.payment_terms_label = 30, payment_terms_label(30)
        contact.contact_persons.append(self._person(primary=True))
        return contact

    def item(self, name: str, *, sku: str) -> Item:
        created, modified = self._times()
        rate = round(self.rng.uniform(5, 2000), 2)
        item = Item(
            item_id=self.org.new_id(),
            name=name,
            rate=rate,
            created_time=created,
            last_modified_time=modified,
            description=" ".join(self.rng.sample(self.pools.words, 4)).capitalize(),
            sku=sku,
            unit=self.rng.choice(_UNITS),
            product_type=self.rng.choice(("goods", "goods", "service")),
            purchase_rate=round(rate * 0.6, 2),
        )
        return self.org.add_item(item)

    def _contact(self, name: str, *, contact_type: str, sub_type: str, company: str) -> Contact:
        created, modified = self._times()
        profile = self.org.profile
        contact = Contact(
            contact_id=self.org.new_id(),
            contact_name=name,
            contact_type=contact_type,
            created_time=created,
            last_modified_time=modified,
            billing_address=self._address(),
            shipping_address=Address(self.org.new_id()),
            currency_id=profile.currency_id,
            currency_code=profile.currency_code,
            currency_symbol=profile.currency_symbol,
            company_name=company,
            customer_sub_type=sub_type,
            payment_terms=self.rng.choice((0, 15, 30)),
            source=self.rng.choice(("user", "user", "csv")),
        )
        contact.payment_terms_label = payment_terms_label(contact.payment_terms)
        return self.org.add_contact(contact)

    def _person(
        self, *, first: str | None = None, last: str | None = None, primary: bool = False
    ) -> ContactPerson:
        first = self.rng.choice(self.pools.first_names) if first is None else first
        last = self.rng.choice(self.pools.last_names) if last is None else last
        local = _slug(f"{first} {last}", ".") or "info"
        return ContactPerson(
            contact_person_id=self.org.new_id(),
            first_name=first,
            last_name=last,
            email=f"{local}@{self.rng.choice(self.pools.domains)}",
            phone=self._phone(),
            mobile=self._phone() if self.rng.random() < 0.5 else "",
            is_primary_contact=primary,
        )

    def _address(self) -> Address:
        return Address(
            self.org.new_id(),
            address=self.rng.choice(self.pools.streets),
            city=self.rng.choice(self.pools.cities),
            state=self.rng.choice(self.pools.states),
            zip=self.rng.choice(self.pools.zips),
            country="U.S.A",
        )

    def _phone(self) -> str:
        area, exchange, line = (
            self.rng.randrange(200, 1000),
            self.rng.randrange(200, 1000),
            self.rng.randrange(10**4),
        )
        return f"+1-{area}-{exchange}-{line:04d}"

    def _times(self) -> tuple[datetime, datetime]:
        """A creation time in the last three years, and a later modification, both before now."""
        created = self.now - timedelta(seconds=self.rng.randrange(2 * 86400, _OLDEST_DAYS * 86400))
        modified = created + timedelta(
            seconds=self.rng.randrange(0, int((self.now - created).total_seconds()) - 3600)
        )
        return created, modified
