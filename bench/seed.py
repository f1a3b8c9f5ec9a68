"""Seeding speed: records per second for one org pair, against the raw Faker calls it makes.

Run: python bench/seed.py [--records 100000] [--seed 42]
"""

from __future__ import annotations

import argparse
import resource
import time

from faker import Faker

from simulator.clock import DEFAULT_START, Clock
from simulator.tenants import Sizes, seed_org_pair


def _sizes(records: int) -> Sizes:
    """Split like a real CRM: a quarter accounts, most of the rest contacts."""
    accounts = records // 4
    vendors = records // 50
    products = records // 25
    return Sizes(
        accounts=accounts,
        contacts=records - accounts - vendors - products,
        vendors=vendors,
        products=products,
    )


def _faker_baseline(records: int, seed: int) -> float:
    """The floor: one company or person name, email, phone and address per record, from Faker alone."""
    fake = Faker("en_US")
    fake.seed_instance(seed)
    began = time.perf_counter()
    for _ in range(records):
        fake.company()
        fake.email()
        fake.phone_number()
        fake.street_address()
        fake.city()
    return time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    sizes = _sizes(args.records)
    began = time.perf_counter()
    seed_org_pair(seed=args.seed, sizes=sizes, clock=Clock(start=DEFAULT_START, frozen=True))
    seeded = time.perf_counter() - began
    baseline = _faker_baseline(args.records, args.seed)
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"CRM records:          {sizes.total:,} ({sizes})")
    print(
        f"seeding time:         {seeded:.2f} s  ({sizes.total / seeded:,.0f} records/s, Books twins included)"
    )
    print(f"raw Faker baseline:   {baseline:.2f} s  (5 Faker calls per record)")
    print(f"ratio seed / Faker:   {seeded / baseline:.2f}")
    print(f"peak RSS:             {peak_mib:,.0f} MiB")


if __name__ == "__main__":
    main()
