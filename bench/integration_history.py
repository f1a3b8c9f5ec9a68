"""The cost of the Books CRM integration's run history on a large org: reading the mapped fields
before a run, working out each record's changes after it, saving the history to the store, and
serving the last page of a run's records with their changes (JSON and console, best of 5).

One tenant of ``--accounts`` CRM accounts; a customers sync (Accounts, both ways) is configured,
and a finished run of one row per Books customer ("overwritten") is made up in memory (the engine
itself is not run: ``bench/scale.py`` measures it). Each step is timed once, on the event loop's
thread as the server does it.

Run: python bench/integration_history.py [--accounts 100000]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._common import print_machine
from simulator.integration import stored
from simulator.integration.changes import Before, collect_changes
from simulator.store import Store
from simulator.tenants import Sizes, attach_store, persist
from simulator.testing import build_simulator, in_process
from syncer.config import parse_module_sync
from syncer.plan import Action

REPEAT = 5


def _timed(label: str, started: float) -> None:
    print(f"{label}: {(time.perf_counter() - started) * 1000:,.0f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=100_000)
    args = parser.parse_args()
    print_machine()
    sim = build_simulator()
    tenant = sim.create_tenant(tenant_id="t1", sizes=Sizes(accounts=args.accounts, contacts=1000))
    customers = [c for c in tenant.books.contacts.values() if c.contact_type == "customer"]
    print(f"{args.accounts:,} CRM accounts; Books: {len(customers):,} customers")
    sync = parse_module_sync(
        {"module": "customers", "crm_source": "accounts", "extent": "both_ways"}, where="customers"
    )
    integration = tenant.integration
    integration.connect()
    integration.configure({"customers": sync})

    folder = tempfile.TemporaryDirectory()
    attach_store(sim, Store(Path(folder.name) / "z.sqlite3"))
    before, longest, started = Before.of([sync]), 0.0, time.perf_counter()
    step = started
    for _ in before.fill(crm=tenant.crm, books=tenant.books):
        longest, step = max(longest, time.perf_counter() - step), time.perf_counter()
    _timed("read the mapped fields before a run", started)
    print(f"  longest step between two turns of the event loop: {longest * 1000:,.0f} ms")

    run = integration.begin([], trigger="sync_now", now=sim.clock.now(), first_seq=1)
    for contact in customers:
        contact.website = f"https://changed.example/{contact.contact_id}"
        run.report.add(sync.label, Action.OVERWRITTEN, crm_module="Accounts", books_id=contact.contact_id)
    started = time.perf_counter()
    run.changes_capped = collect_changes(
        run.report.rows, run.sync_by_label, before, crm=tenant.crm, books=tenant.books, into=run.changes
    )
    _timed(f"work out the changes of {len(run.report.rows):,} rows ({len(run.changes):,} kept)", started)
    integration.end(run, now=sim.clock.now(), last_seq=1)

    with folder:
        started = time.perf_counter()
        persist(sim, tenant, services=("integration",))
        _timed("save the history to the store (changed)", started)
        started = time.perf_counter()
        persist(sim, tenant, services=("integration",))
        _timed("save it again (unchanged: skipped)", started)
        started = time.perf_counter()
        stored.load(stored.dump(integration))
        _timed("dump and load it (a snapshot taken and restored)", started)
        with in_process(sim) as running:
            http = running.client()
            last = len(customers) // 50 + 1
            pages = {
                "the last page of its records, JSON": (
                    f"/__zohosim/tenants/t1/books/crm-integration/runs/{run.run_id}"
                    f"?offset={(last - 1) * 50}&limit=50"
                ),
                "the last page of its records, console": (
                    f"/__zohosim/console/tenants/t1/books/settings/integrations/zohocrm/runs/{run.run_id}"
                    f"?page={last}"
                ),
            }
            for label, url in pages.items():
                best = float("inf")
                for _ in range(REPEAT):
                    started = time.perf_counter()
                    reply = http.get(url)
                    best = min(best, time.perf_counter() - started)
                assert reply.status_code == 200, reply.text
                print(f"serve {label}: {best * 1000:,.0f} ms (best of {REPEAT})")


if __name__ == "__main__":
    main()
