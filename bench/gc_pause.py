"""GC pauses on a big org: a full collection, and write latency under load, before and after
``gc.freeze()`` (what ``zohosim serve`` does after seeding).

In one process: seed an org pair of ``--records`` CRM records (split like a real CRM, as in
``bench/seed.py``) with its Books twins, then, twice (as seeded, then frozen):

- time one full ``gc.collect()``: the stall a full collection puts on the event loop;
- make ``--writes`` writes (a CRM Account insert, then a Books contact create, alternately), timing
  each, while ``gc.callbacks`` times every collection the interpreter runs by itself.

For each write slower than ``--slow`` ms it tells whether the collector ran inside it, and how much
of its wall time the process spent on the CPU (``time.thread_time``): a slow write with no
collection in it and little CPU time is the machine preempting the process, not the collector.

The write latencies are the domain's (no HTTP): what a request adds on top is the same either way.

Run: python bench/gc_pause.py [--records 1000000] [--writes 20000]
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
from dataclasses import dataclass
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
    """Every automatic collection's duration, by generation: wall time, and CPU time beside it."""

    def __init__(self) -> None:
        self.by_generation: dict[int, list[float]] = {0: [], 1: [], 2: []}
        self.cpu_by_generation: dict[int, list[float]] = {0: [], 1: [], 2: []}
        self.total = 0.0  # seconds spent collecting so far
        self._began = self._began_cpu = 0.0

    def __call__(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._began, self._began_cpu = time.perf_counter(), time.thread_time()
        else:
            took = time.perf_counter() - self._began
            self.by_generation[info["generation"]].append(took)
            self.cpu_by_generation[info["generation"]].append(time.thread_time() - self._began_cpu)
            self.total += took


@dataclass
class Write:
    wall: float
    cpu: float  # this thread's CPU time: wall minus cpu is time the process waited to run
    collecting: float  # of the wall time, spent in automatic collections


def _writes(crm: CrmOrg, books: BooksOrg, count: int) -> tuple[list[Write], Pauses]:
    pauses = Pauses()
    gc.callbacks.append(pauses)
    writes = []
    try:
        for n in range(count):
            began, cpu, collected = time.perf_counter(), time.thread_time(), pauses.total
            if n % 2:
                books.create_contact({"contact_name": f"Load {n}", "contact_type": "customer"})
            else:
                crm.insert("Accounts", [{"Account_Name": f"Load {n}", "Billing_Country": "France"}])
            writes.append(
                Write(time.perf_counter() - began, time.thread_time() - cpu, pauses.total - collected)
            )
    finally:
        gc.callbacks.remove(pauses)
    return writes, pauses


def _report(label: str, crm: CrmOrg, books: BooksOrg, writes: int, slow_ms: float) -> None:
    began, began_cpu = time.perf_counter(), time.thread_time()
    gc.collect()
    full, full_cpu = time.perf_counter() - began, time.thread_time() - began_cpu
    done, pauses = _writes(crm, books, writes)
    took = sorted(write.wall for write in done)
    p50, p99 = statistics.median(took), took[int(len(took) * 0.99)]
    print(f"\n{label}: full gc.collect() {full * 1000:.0f} ms ({full_cpu * 1000:.0f} ms CPU)")
    print(
        f"  {writes} writes: p50 {p50 * 1000:.3f} ms, p99 {p99 * 1000:.3f} ms, max {took[-1] * 1000:.1f} ms"
    )
    slow = [write for write in done if write.wall * 1000 > slow_ms]
    if slow:
        with_gc = [write for write in slow if write.collecting > 0]
        print(
            f"  {len(slow)} writes over {slow_ms:g} ms: {sum(w.wall for w in slow) * 1000:.0f} ms wall, "
            f"{sum(w.cpu for w in slow) * 1000:.0f} ms on the CPU; {len(with_gc)} had a collection in them "
            f"(the longest share {max((w.collecting for w in with_gc), default=0) * 1000:.1f} ms)"
        )
    for generation, times in pauses.by_generation.items():
        if times:
            cpu = pauses.cpu_by_generation[generation]
            print(
                f"  gen {generation} collections: {len(times)}, longest {max(times) * 1000:.1f} ms "
                f"(its CPU time {cpu[times.index(max(times))] * 1000:.1f} ms; the most CPU any took "
                f"{max(cpu) * 1000:.1f} ms), median {statistics.median(times) * 1000:.2f} ms"
            )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--records", type=int, default=1_000_000, help="CRM records in the org")
    parser.add_argument("--writes", type=int, default=20_000, help="writes timed in each phase")
    parser.add_argument("--slow", type=float, default=50, help="ms: explain the writes slower than this")
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
    _report("as seeded", crm, books, args.writes, args.slow)
    gc.freeze()
    print(f"\nfroze {gc.get_freeze_count():,} objects")
    _report("after gc.freeze()", crm, books, args.writes, args.slow)


if __name__ == "__main__":
    main()
