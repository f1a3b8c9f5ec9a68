"""The console's server time on a large org: each main page, best of N, against the JSON API.

One tenant of ``--accounts`` CRM accounts (its Books twin org gets a quarter of them as contacts),
and a request log filled to its limit (100,000 entries). Each page is requested in-process through
httpx (no socket, so the figure is the server's own time plus httpx's in-process transport),
``--repeat`` times; the best time is reported. The baselines, in the same run: the control
plane's health check (the floor of any request) and a page of 50 accounts from the CRM API itself.
The goal is under 200 ms per page.

Run: python bench/console.py [--accounts 100000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._common import print_machine
from simulator.requestlog import LOG_BYTES, RequestLog
from simulator.tenants import Sizes
from simulator.testing import build_simulator, in_process

GOAL_MS = 200.0
P = "/__zohosim/console"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    print_machine()

    sim = build_simulator()
    started = time.perf_counter()
    tenant = sim.create_tenant(
        tenant_id="t1", sizes=Sizes(accounts=args.accounts, contacts=1000, vendors=100, products=1000)
    )
    print(
        f"seeded {args.accounts:,} accounts in {time.perf_counter() - started:.1f} s; "
        f"Books: {len(tenant.books.contacts):,} contacts, {len(tenant.books.items):,} items"
    )
    sim.request_log = RequestLog(max_bytes=LOG_BYTES)
    for n in range(100_000):
        sim.request_log.append(
            raw_body=b"",
            time="2026-01-15T09:00:00+00:00",
            tenant_id="t1",
            service="crm" if n % 2 else "books",
            method="GET",
            path="/crm/v8/Accounts",
            query="",
            status=200,
        )
    account_id = next(iter(tenant.crm.records["Accounts"]))
    contact_id = next(iter(tenant.books.contacts))
    t = f"{P}/tenants/t1"
    pages = {
        "baseline: GET /__zohosim/health": "/__zohosim/health",
        "baseline: CRM API, 50 accounts": "/crm/v8/Accounts?per_page=50&fields=Account_Name",
        "front page (tenants)": P,
        "tenant": t,
        "CRM Accounts, page 1": f"{t}/crm/Accounts",
        "CRM Accounts, page 1000": f"{t}/crm/Accounts?page=1000",
        "CRM Accounts, search (common word)": f"{t}/crm/Accounts?q=in",
        "CRM Accounts, search (no match: whole scan)": f"{t}/crm/Accounts?q=zzzqqq",
        "CRM account detail (+ Books links)": f"{t}/crm/Accounts/{account_id}",
        "Books contacts, page 1": f"{t}/books/contacts",
        "Books contacts, search": f"{t}/books/contacts?q=in",
        "Books contact persons, page 1": f"{t}/books/contactpersons",
        "Books items, page 1": f"{t}/books/items",
        "Books contact detail (+ CRM links)": f"{t}/books/contacts/{contact_id}",
        "request log (100,000 entries)": f"{P}/requests",
        "request log, filtered (service=books)": f"{P}/requests?service=books",
        "request log poll, nothing new (204)": f"{P}/requests/rows?since_seq=",  # + the last seq, then
        "clock": f"{P}/clock",
        "faults": f"{P}/faults",
    }
    with in_process(sim) as running:
        client = running.client()
        grant = {
            "grant_type": "refresh_token",
            "client_id": tenant.client.client_id,
            "client_secret": tenant.client.client_secret,
            "refresh_token": tenant.refresh_token.token,
        }
        token = client.post("/oauth/v2/token", data=grant).json()["access_token"]
        headers = {"accept": "text/html", "authorization": f"Zoho-oauthtoken {token}"}
        print(f"\n{'page':<46} {'best ms':>8}  goal {GOAL_MS:.0f} ms")
        for name, path in pages.items():
            best = float("inf")
            for _ in range(args.repeat):
                began = time.perf_counter()
                wanted = path + str(sim.request_log.last_seq) if path.endswith("since_seq=") else path
                reply = client.get(wanted, headers=headers)
                best = min(best, (time.perf_counter() - began) * 1000)
                assert reply.status_code in (200, 204), (path, reply.status_code, reply.text[:200])
            verdict = "" if name.startswith("baseline") else ("ok" if best < GOAL_MS else "OVER")
            print(f"{name:<46} {best:>8.1f}  {verdict}")


if __name__ == "__main__":
    main()
