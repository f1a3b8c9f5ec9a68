"""A stand-in CRM org for seeding Books without the CRM simulator: ``iter_records`` and nothing else."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from faker import Faker


@dataclass
class FakeCrm:
    records: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def iter_records(self, module: str) -> Iterator[dict[str, Any]]:
        yield from self.records.get(module, [])

    @classmethod
    def build(
        cls, *, seed: int = 7, accounts: int = 30, contacts: int = 90, vendors: int = 10, products: int = 20
    ):
        """CRM-shaped records; a third of the contacts belong to no account, some products have no code."""
        rng = random.Random(seed)
        fake = Faker("en_US")
        fake.seed_instance(seed)
        ids = iter(range(5_000_000_000_000_000_000, 6_000_000_000_000_000_000))
        account_rows = [{"id": str(next(ids)), "Account_Name": fake.company()} for _ in range(accounts)]
        contact_rows = [
            {
                "id": str(next(ids)),
                "First_Name": fake.first_name() if n % 7 else None,
                "Last_Name": fake.last_name(),
                "Email": fake.email(),
                "Phone": fake.phone_number(),
                "Account_Name": rng.choice(account_rows)["id"] if n % 3 and account_rows else None,
            }
            for n in range(contacts)
        ]
        vendor_rows = [
            {"id": str(next(ids)), "Vendor_Name": f"{fake.company()} Ltd", "Email": fake.email()}
            for _ in range(vendors)
        ]
        product_rows = [
            {
                "id": str(next(ids)),
                "Product_Name": fake.catch_phrase(),
                "Product_Code": f"P-{n:04d}" if n % 4 else None,
                "Unit_Price": round(rng.uniform(1, 500), 2),
                "Description": fake.sentence(),
                "Vendor_Name": None,
            }
            for n in range(products)
        ]
        return cls(
            {
                "Accounts": account_rows,
                "Contacts": contact_rows,
                "Vendors": vendor_rows,
                "Products": product_rows,
            }
        )
