"""Sync economy: how many API calls the reference syncer makes against the fewest any correct
syncer could make, and how its wall time compares with the time the simulator spends serving
those same calls.

The org: ``zohosim serve --seed 42 --accounts 10000 --contacts 30000`` (a quarter of the CRM
records have a same-named Books twin, so every duplicate mode has work). The sync: customers
from Accounts & their Contacts, ``fetch_from_crm``, once per duplicate mode (``clone``,
``overwrite``, ``skip``), each on a freshly reset org with a fresh state file. Then 1% of the
accounts (``Phone``) and 1% of the contacts (``Title``) change in CRM, and the sync runs again
(incremental).

The lower bound, computed per run from what the run had to do:

* reads, 200 records a page (CRM's and Books' maximum):
  first run: every CRM account, every CRM contact and every Books customer must be seen once:
  ceil(A/200) + ceil(C/200) + ceil(B/200);
  incremental run: only what changed since the last run: ceil(dA/200) + ceil(dC/200), at least
  one call each (an empty answer is still a call), plus one Books page (newest first) to learn
  whether anything changed on the Books side.
* CRM writes, 100 records a call: none (fetch_from_crm writes nothing to CRM).
* Books writes, one per created or updated Books record: a customer is created (or overwritten)
  together with its contact persons, in one call (Books takes ``contact_persons`` in the create
  and update bodies), so first run: one per account created, cloned or overwritten; skipped
  accounts and their contacts cost nothing; incremental run: one per synced customer whose
  account or any of whose contacts changed.
* Metadata reads (field and view checks) and the token call are not needed by a syncer that
  trusts its configuration; they count against the syncer.

Time: the sync's wall time against the simulator's own handling time for the same requests,
summed on the server side (``bench/_timed_serve.py``: the ASGI app's time per API request; the
HTTP parsing of uvicorn is not in it). Both run on this machine; the sync uses HTTP on
127.0.0.1 as ``zohosim sync`` does.

Run: python bench/sync_economy.py [--accounts 10000] [--contacts 30000] [--modes clone,overwrite,skip]
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._common import Served, print_machine, serve
from syncer import run_sync
from syncer.config import parse_config
from syncer.plan import Action
from syncer.report import Report

PAGE = 200
BOOKS_DAY = 5000  # X-Rate-Limit-Limit of the seeded Books org's plan
CHANGED_SHARE = 100  # every 100th record: 1%
LINKED = {Action.CREATED, Action.CLONED, Action.OVERWRITTEN}


@dataclass
class Api:
    """Plain HTTP to the simulator, outside the syncer (setting up, changing records, counting)."""

    served: Served
    http: httpx.Client = field(init=False)

    def __post_init__(self) -> None:
        self.http = httpx.Client(base_url=self.served.base_url, timeout=120)
        self.refresh()

    def refresh(self) -> None:
        creds = self.served.credentials()
        self.org = creds["books_organization_id"]
        self.http.headers["Authorization"] = f"Zoho-oauthtoken {self.served.token()}"

    def crm_all(self, module: str, fields: str) -> Iterator[dict[str, Any]]:
        params: dict[str, Any] = {"fields": fields, "per_page": PAGE}
        while True:
            reply = self.http.get(f"/crm/v8/{module}", params=params)
            if reply.status_code == 204:
                return
            reply.raise_for_status()
            body = reply.json()
            yield from body["data"]
            token = body["info"].get("next_page_token")
            if not body["info"].get("more_records") or not token:
                return
            params = {"fields": fields, "per_page": PAGE, "page_token": token}

    def books_customers(self) -> int:
        count, page = 0, 1
        while True:
            reply = self.http.get(
                "/books/v3/contacts",
                params={
                    "organization_id": self.org,
                    "filter_by": "Status.All",
                    "contact_type": "customer",
                    "page": page,
                    "per_page": PAGE,
                },
            )
            reply.raise_for_status()
            body = reply.json()
            count += len(body["contacts"])
            if not body["page_context"]["has_more_page"]:
                return count
            page += 1

    def crm_update(self, module: str, records: list[dict[str, Any]]) -> None:
        for start in range(0, len(records), 100):
            reply = self.http.put(f"/crm/v8/{module}", json={"data": records[start : start + 100]})
            reply.raise_for_status()
            assert all(item["status"] == "success" for item in reply.json()["data"]), reply.text

    def server_time(self, *, reset: bool = False) -> dict[str, Any]:
        reply = self.http.request("DELETE" if reset else "GET", "/__bench/serve-time")
        reply.raise_for_status()
        return reply.json()

    def reset(self) -> None:
        """A freshly seeded org. Books' daily quota (5,000 calls on this plan, reported in
        ``X-Rate-Limit-Remaining`` even with limits off, and honoured by the syncer) is raised: a
        first run of this size needs several days of it on real Zoho (see the report)."""
        self.http.post("/__zohosim/reset", json={"tenant_id": "t1"}).raise_for_status()
        self.http.put(
            "/__zohosim/tenants/t1/limits", json={"books": {"per_day": 10_000_000}}
        ).raise_for_status()


@dataclass
class Run:
    label: str
    report: Report
    wall: float
    server: dict[str, Any]
    lower_reads: int
    lower_writes: int
    explain: str
    lower_books: int = 0

    @property
    def calls(self) -> int:
        return sum(self.report.calls.values())

    @property
    def lower(self) -> int:
        return self.lower_reads + self.lower_writes


def _sync(api: Api, mode: str, state: Path, label: str, lower: tuple[int, int, str]) -> Run:
    config = parse_config(
        {
            "connection": {"base_url": api.served.base_url},
            "state": {"path": str(state)},
            "sync": [
                {
                    "module": "customers",
                    "crm_source": "accounts_and_contacts",
                    "include_unassociated_contacts": False,
                    "extent": "fetch_from_crm",
                    "duplicates": mode,
                }
            ],
        }
    )
    api.server_time(reset=True)
    began = time.perf_counter()
    report = run_sync(config)
    wall = time.perf_counter() - began
    return Run(label, report, wall, api.server_time(), *lower)


def _pages(count: int, *, at_least_one: bool = False) -> int:
    return max(1 if at_least_one else 0, math.ceil(count / PAGE))


def _mode(api: Api, mode: str, folder: Path, accounts: int, contacts: int) -> tuple[Run, Run]:
    api.reset()
    api.refresh()
    customers = api.books_customers()
    crm_contacts = list(api.crm_all("Contacts", "Account_Name"))
    account_ids = sorted((r["id"] for r in api.crm_all("Accounts", "Account_Name")), key=int)
    assert len(account_ids) == accounts and len(crm_contacts) == contacts

    # The first run: read everything once; one Books write per customer made or overwritten.
    state = folder / f"{mode}.sqlite3"
    placeholder = _sync(api, mode, state, f"{mode}: first run", (0, 0, ""))
    linked = {r.crm_id for r in placeholder.report.rows if r.crm_module == "Accounts" and r.action in LINKED}
    reads = _pages(accounts) + _pages(contacts) + _pages(customers)
    first = Run(
        placeholder.label,
        placeholder.report,
        placeholder.wall,
        placeholder.server,
        reads,
        len(linked),
        f"reads ceil({accounts}/200) + ceil({contacts}/200) + ceil({customers} Books customers/200) "
        f"= {reads}; "
        f"writes: {len(linked)} customers created or overwritten (persons in the same call)",
        _pages(customers) + len(linked),
    )

    # 1% of the accounts and of the contacts change in CRM.
    changed_accounts = account_ids[::CHANGED_SHARE]
    contact_rows = sorted(crm_contacts, key=lambda r: int(r["id"]))[::CHANGED_SHARE]
    api.crm_update(
        "Accounts", [{"id": i, "Phone": f"+1 555 010 {n:04d}"} for n, i in enumerate(changed_accounts)]
    )
    api.crm_update(
        "Contacts", [{"id": r["id"], "Title": f"Changed title {n}"} for n, r in enumerate(contact_rows)]
    )
    touched = {i for i in changed_accounts if i in linked}
    touched |= {
        (r.get("Account_Name") or {}).get("id")
        for r in contact_rows
        if (r.get("Account_Name") or {}).get("id") in linked
    }
    reads = (
        _pages(len(changed_accounts), at_least_one=True) + _pages(len(contact_rows), at_least_one=True) + 1
    )
    second = _sync(api, mode, state, f"{mode}: incremental, 1% changed", (0, 0, ""))
    second.lower_reads, second.lower_writes, second.lower_books = reads, len(touched), 1 + len(touched)
    second.explain = (
        f"reads ceil({len(changed_accounts)}/200) + ceil({len(contact_rows)}/200) + 1 Books page = {reads}; "
        f"writes: {len(touched)} synced customers whose account or contacts changed"
    )
    return first, second


def _print(run: Run) -> dict[str, Any]:
    totals = run.report.totals()
    done = ", ".join(f"{k} {v}" for k, v in totals.items() if v)
    server = run.server["seconds"]
    print(f"\n{run.label}")
    print(f"  records:      {done}")
    print(f"  API calls:    {run.calls:,} (report: {run.report.calls}; by method: {run.server['calls']})")
    print(f"  lower bound:  {run.lower:,} ({run.explain})")
    print(f"  ratio calls / lower bound: {run.calls / run.lower:.2f}")
    books = run.report.calls.get("books", 0)
    print(
        f"  Books calls against Zoho's daily quota of {BOOKS_DAY:,}: {books / BOOKS_DAY:.1f} days "
        f"(the lower bound's Books calls: {run.lower_books / BOOKS_DAY:.1f} days)"
    )
    print(
        f"  wall time:    {run.wall:7.2f} s; the simulator's own handling of those "
        f"{run.server['requests']:,} requests: {server:.2f} s; ratio wall/server {run.wall / server:.1f}"
    )
    return {
        "records": totals,
        "calls": run.report.calls,
        "calls_by_method": run.server["calls"],
        "lower_bound": {"reads": run.lower_reads, "writes": run.lower_writes, "how": run.explain},
        "ratio_calls_to_lower_bound": run.calls / run.lower,
        "wall_s": run.wall,
        "server_s": server,
        "ratio_wall_to_server": run.wall / server,
        "books_quota_days": run.report.calls.get("books", 0) / BOOKS_DAY,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--accounts", type=int, default=10_000)
    parser.add_argument("--contacts", type=int, default=30_000)
    parser.add_argument("--modes", default="clone,overwrite,skip")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args()
    print_machine()
    command = [sys.executable, str(Path(__file__).with_name("_timed_serve.py")), "serve"]
    sizes = [
        "--accounts",
        str(args.accounts),
        "--contacts",
        str(args.contacts),
        "--vendors",
        "10",
        "--products",
        "10",
    ]
    results: dict[str, Any] = {}
    with (
        tempfile.TemporaryDirectory(prefix="zohosim-economy-") as tmp,
        serve("--seed", "42", *sizes, command=command) as served,
    ):
        print(
            f"org: seed 42, {args.accounts:,} accounts, {args.contacts:,} contacts; "
            "customers from Accounts & their Contacts, fetch_from_crm"
        )
        api = Api(served)
        for mode in args.modes.split(","):
            for run in _mode(api, mode, Path(tmp), args.accounts, args.contacts):
                results[run.label] = _print(run)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
