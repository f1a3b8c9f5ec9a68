"""Seeding: speed for 100,000 records against the raw Faker calls alone, and peak memory for one
org of 1,000,000 records.

Speed. One org pair (CRM org + its Books twin org) of ``--records`` CRM records, split like a real
CRM (a quarter accounts, most of the rest contacts), seeded as ``zohosim serve`` seeds it. The
baseline is what a naive generator would spend on Faker alone: five Faker calls per record
(company, email, phone, street, city), the same seed, no record built. The seeder draws Faker
pools once and composes records from them with a seeded ``random.Random``, which is why it beats
that baseline.

Memory. A subprocess seeds one org pair of ``--memory-records`` records and reports its peak RSS
(``ru_maxrss``); a second subprocess that only imports the simulator gives the interpreter's own
floor. The baseline for the net figure is the org's own data: the size of its state export
(``GET /__zohosim/tenants/{id}/export``, compact JSON), so the ratio says how many bytes of heap
each byte of data costs.

Run: python bench/seed.py [--records 100000] [--memory-records 1000000] [--seed 42]
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from faker import Faker

from bench._common import print_machine
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


def _seed(records: int, seed: int) -> tuple[float, int]:
    """Seconds to seed, and how many Books records the twin org got."""
    began = time.perf_counter()
    _, books = seed_org_pair(seed=seed, sizes=_sizes(records), clock=Clock(start=DEFAULT_START, frozen=True))
    return time.perf_counter() - began, len(books.contacts) + len(books.items)


def _child(records: int, seed: int) -> None:
    """In a fresh process: seed, report peak RSS, then the export's size (measured after the peak)."""
    import orjson

    clock = Clock(start=DEFAULT_START, frozen=True)
    began = time.perf_counter()
    crm, books = seed_org_pair(seed=seed, sizes=_sizes(records), clock=clock) if records else (None, None)
    seconds = time.perf_counter() - began
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    hwm_kib = _vm_kib("VmHWM")
    gc.collect()  # what `zohosim serve` does once seeded, before it listens
    gc.freeze()
    held_kib = _vm_kib("VmRSS")
    exported = 0
    if crm is not None and books is not None:
        exported = len(orjson.dumps(crm.to_json())) + len(orjson.dumps(books.to_json()))
    print(
        json.dumps(
            {
                "peak_kib": peak_kib,
                "hwm_kib": hwm_kib,
                "held_kib": held_kib,
                "seconds": seconds,
                "export_bytes": exported,
            }
        )
    )


def _vm_kib(name: str) -> int:
    """A line of the kernel's account of this process: ``VmHWM``, its peak RSS (a cross-check of
    ru_maxrss), or ``VmRSS``, its RSS now."""
    with contextlib.suppress(OSError):  # no /proc: not Linux
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(f"{name}:"):
                return int(line.split()[1])
    return 0


def _measure_memory(records: int, seed: int) -> dict[str, float]:
    def run(count: int) -> dict[str, float]:
        out = subprocess.run(
            [sys.executable, __file__, "--child", str(count), "--seed", str(seed)],
            capture_output=True,
            text=True,
            check=True,
        )
        return json.loads(out.stdout.strip().splitlines()[-1])

    floor, full = run(0), run(records)
    return {
        "floor_mib": floor["peak_kib"] / 1024,
        "peak_mib": full["peak_kib"] / 1024,
        "hwm_mib": full["hwm_kib"] / 1024,
        "held_mib": full["held_kib"] / 1024,
        "seconds": full["seconds"],
        "export_mib": full["export_bytes"] / 2**20,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--memory-records", type=int, default=1_000_000, help="0 skips the memory run")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--child", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        _child(args.child, args.seed)
        return

    print_machine()
    # Linux keeps a process's ru_maxrss across exec: a child forked from a big parent would report
    # the parent's peak. So the memory subprocesses run first, while this process is still small.
    memory = _measure_memory(args.memory_records, args.seed) if args.memory_records else None
    sizes = _sizes(args.records)
    seeded, books_records = _seed(args.records, args.seed)
    baseline = _faker_baseline(args.records, args.seed)
    print(
        f"\nseeding {args.records:,} CRM records ({sizes.accounts:,} accounts, {sizes.contacts:,} contacts, "
        f"{sizes.vendors:,} vendors, {sizes.products:,} products) + {books_records:,} Books records"
    )
    print(f"  zohosim seeder:      {seeded:6.2f} s  {args.records / seeded:9,.0f} records/s")
    print(
        f"  raw Faker baseline:  {baseline:6.2f} s  {args.records / baseline:9,.0f} records/s "
        "(5 Faker calls per record, nothing built)"
    )
    print(f"  ratio seeder/Faker (records/s): {baseline / seeded:.1f}x")

    if memory is not None:
        net = memory["peak_mib"] - memory["floor_mib"]
        print(f"\npeak memory, one org pair of {args.memory_records:,} CRM records (subprocess, ru_maxrss)")
        print(
            f"  peak RSS:            {memory['peak_mib']:8,.0f} MiB  (seeded in {memory['seconds']:.1f} s; "
            f"VmHWM {memory['hwm_mib']:,.0f} MiB)"
        )
        print(
            f"  held once seeded:    {memory['held_mib']:8,.0f} MiB  (VmRSS after gc.collect and gc.freeze)"
        )
        print(f"  interpreter floor:   {memory['floor_mib']:8,.0f} MiB  (same imports, no org)")
        print(
            f"  net:                 {net:8,.0f} MiB  = "
            f"{net * 2**20 / args.memory_records:,.0f} bytes per CRM record"
        )
        print(f"  the org's data:      {memory['export_mib']:8,.0f} MiB  (its state export, compact JSON)")
        print(f"  ratio net RSS / data: {net / memory['export_mib']:.1f}x")


if __name__ == "__main__":
    main()
