"""GC pauses on a big org: a full collection, and write latency under load, before and after
``gc.freeze()`` (what ``zohosim serve`` does after seeding).

In one process: seed an org pair of ``--records`` CRM records (split like a real CRM, as in
``bench/seed.py``) with its Books twins, then, twice (as seeded, then frozen):

- time one full ``gc.collect()``: the stall a full collection puts on the event loop;
- make ``--writes`` writes (a CRM Account insert, then a Books contact create, alternately), timing
  each, while ``gc.callbacks`` times every collection the interpreter runs by itself.

The write latencies are the domain's (no HTTP): what a request adds on top is the same either way.

Run: python bench/gc_pause.py [--records 1000000] [--writes 20000]
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._common import print_machine
from bench.seed import _sizes
from simulator.books.models import BooksOrg
from simulator.clock import DEFAULT_START, Clock
from simulator.crm.models import CrmOrg
from simulator.tenants import seed_org_pair


class Pauses:
    """Every automatic collection's duration, by generation."""

    def __init__(self) -> None:
        self.by_generation: dict[int, list[float]] = {0: [], 1: [], 2: []}
        self._began = 0.0

    def __call__(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._began = time.perf_counter()
        else:
            self.by_generation[info["generation"]].append(time.perf_counter() - self._began)


def _writes(crm: CrmOrg, books: BooksOrg, count: int) -> tuple[list[float], Pauses]:
    pauses = Pauses()
    gc.callbacks.append(pauses)
    took = []
    try:
        for n in range(count):
            began = time.perf_counter()
            if n % 2:
                books.create_contact({"contact_name": f"Load {n}", "contact_type": "customer"})
            else:
                crm.insert("Accounts", [{"Account_Name": f"Load {n}", "Billing_Country": "France"}])
            took.append(time.perf_counter() - began)
    finally:
        gc.callbacks.remove(pauses)
    return took, pauses


def _report(label: str, crm: CrmOrg, books: BooksOrg, writes: int) -> None:
    began = time.perf_counter()
    gc.collect()
    full = time.perf_counter() - began
    took, pauses = _writes(crm, books, writes)
    took.sort()
    p50, p99 = statistics.median(took), took[int(len(took) * 0.99)]
    print(f"\n{label}: full gc.collect() {full * 1000:.0f} ms")
    print(
        f"  {writes} writes: p50 {p50 * 1000:.3f} ms, p99 {p99 * 1000:.3f} ms, max {took[-1] * 1000:.1f} ms"
    )
    for generation, times in pauses.by_generation.items():
        if times:
            print(
                f"  gen {generation} collections: {len(times)}, longest {max(times) * 1000:.1f} ms, "
                f"median {statistics.median(times) * 1000:.2f} ms"
            )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--records", type=int, default=1_000_000, help="CRM records in the org")
    parser.add_argument("--writes", type=int, default=20_000, help="writes timed in each phase")
    args = parser.parse_args()
    print_machine()
    began = time.perf_counter()
    crm, books = seed_org_pair(
        seed=42, sizes=_sizes(args.records), clock=Clock(start=DEFAULT_START, frozen=True)
    )
    total = sum(len(table) for table in crm.records.values())
    print(
        f"seeded {total:,} CRM records and {len(books.contacts) + len(books.items):,} Books records "
        f"in {time.perf_counter() - began:.0f} s; {len(gc.get_objects()):,} objects tracked by the GC"
    )
    _report("as seeded", crm, books, args.writes)
    gc.freeze()
    print(f"\nfroze {gc.get_freeze_count():,} objects")
    _report("after gc.freeze()", crm, books, args.writes)


if __name__ == "__main__":
    main()
