"""Does a page cost a page? The same requests against a small and a large org, and their ratio.

Two ``zohosim serve`` processes with the same seed, ``--accounts SMALL`` and ``--accounts LARGE``;
each request is made ``--repeat`` times by one sequential client, and the best time counts (the
least disturbed by whatever else the machine is doing). A ratio near 1 means the request costs
what its page costs; a ratio that grows with the org means it scans the module.

Run: python bench/scale.py [--small 1000] [--large 100000] [--repeat 12]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

import httpx

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._common import Served, access_token, print_machine, serve

Request = tuple[str, str, dict[str, str]]


def requests_for(http: httpx.Client, books_org: str) -> dict[str, Request]:
    """The issue's table: six 200-row requests, built from what the org holds."""
    fields = {"fields": "Account_Name,Billing_Country", "per_page": "200"}
    views = http.get("/crm/v8/settings/custom_views", params={"module": "Accounts"}).json()["custom_views"]
    custom = next(v for v in views if not v.get("system_defined"))
    first = http.get("/crm/v8/Accounts", params={"fields": "Billing_Country", "per_page": "1"})
    country = first.json()["data"][0]["Billing_Country"]
    return {
        "list page 1": ("GET", "/crm/v8/Accounts", fields),
        "list sort_by=Modified_Time": ("GET", "/crm/v8/Accounts", {**fields, "sort_by": "Modified_Time"}),
        "list in a custom view (cvid)": ("GET", "/crm/v8/Accounts", {**fields, "cvid": custom["id"]}),
        "search criteria equals": (
            "GET",
            "/crm/v8/Accounts/search",
            {**fields, "criteria": f"(Billing_Country:equals:{country})"},
        ),
        "actions/count": ("GET", "/crm/v8/Accounts/actions/count", {}),
        "Books contacts page 1": (
            "GET",
            "/books/v3/contacts",
            {"organization_id": books_org, "per_page": "200"},
        ),
    }


def best_of(repeat: int, call: Callable[[], httpx.Response]) -> float:
    best = float("inf")
    for _ in range(repeat):
        began = time.perf_counter()
        reply = call()
        elapsed = time.perf_counter() - began
        assert reply.status_code in (200, 204), reply.text[:300]
        best = min(best, elapsed)
    return best


def measure(served: Served, repeat: int) -> dict[str, float]:
    creds = served.credentials()
    headers = {"Authorization": f"Zoho-oauthtoken {access_token(served.base_url, creds)}"}
    with httpx.Client(base_url=served.base_url, headers=headers, timeout=120) as http:
        table = requests_for(http, creds["books_organization_id"])
        return {
            name: best_of(repeat, partial(http.request, method, path, params=params))
            for name, (method, path, params) in table.items()
        }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--small", type=int, default=1000, help="accounts in the small org")
    parser.add_argument("--large", type=int, default=100_000, help="accounts in the large org")
    parser.add_argument("--repeat", type=int, default=12, help="requests per row; the best counts")
    args = parser.parse_args()
    print_machine()
    results = {}
    for size in (args.small, args.large):
        began = time.perf_counter()
        with serve("--seed", "42", "--accounts", str(size), "--clock", "frozen") as served:
            seeded = time.perf_counter() - began
            results[size] = measure(served, args.repeat)
        print(f"seeded and served --accounts {size} in {seeded:.1f} s")
    print(f"\n| request (200 rows) | {args.small:,} | {args.large:,} | ratio |\n|---|---|---|---|")
    for name in results[args.small]:
        small, large = results[args.small][name] * 1000, results[args.large][name] * 1000
        print(f"| {name} | {small:.1f} ms | {large:.1f} ms | {large / small:.1f} |")


if __name__ == "__main__":
    main()
