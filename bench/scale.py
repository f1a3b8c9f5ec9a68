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
    """The issue's table: six 200-row requests, built from what the org holds; then Books'
    selective filters and lookups (``books_selective``)."""
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
    } | books_selective(http, books_org, account_id=first.json()["data"][0]["id"])


def books_selective(http: httpx.Client, books_org: str, *, account_id: str) -> dict[str, Request]:
    """Books lists whose filters match few records (a 200-row page, or the whole answer if it is
    smaller), and lookups by id. A seeded org has no record linked to CRM: importing a CRM
    account (``account_id``) and the first CRM product links one of each. These writes are the
    only ones the script makes."""
    org = {"organization_id": books_org}
    product = http.get("/crm/v8/Products", params={"fields": "Product_Name", "per_page": "1"})
    product_id = product.json()["data"][0]["id"]
    for path in (f"/books/v3/crm/account/{account_id}/import", f"/books/v3/crm/item/{product_id}/import"):
        http.post(path, params=org).raise_for_status()
    # The newest contact's person: the one a scan of the org in creation order finds last.
    created = http.post(
        "/books/v3/contacts",
        params=org,
        json={"contact_name": "Scale bench", "contact_persons": [{"first_name": "Scale"}]},
    )
    person_id = created.json()["contact"]["contact_persons"][0]["contact_person_id"]
    page = {**org, "per_page": "200"}
    contacts = "/books/v3/contacts"
    return {
        "Books contacts zcrm_account_id=": (
            "GET",
            contacts,
            {**page, "zcrm_account_id": account_id, "filter_by": "Status.All"},
        ),
        "Books contacts Status.Duplicate": ("GET", contacts, {**page, "filter_by": "Status.Duplicate"}),
        "Books contacts Status.Inactive": ("GET", contacts, {**page, "filter_by": "Status.Inactive"}),
        "Books contacts Invoice.OverDue (none)": ("GET", contacts, {**page, "filter_by": "Invoice.OverDue"}),
        "Books contacts contact_type=vendor": (
            "GET",
            contacts,
            {**page, "contact_type": "vendor", "filter_by": "Status.All"},
        ),
        "Books items Status.Inactive": ("GET", "/books/v3/items", {**page, "filter_by": "Status.Inactive"}),
        "Books contact persons page 1": ("GET", f"{contacts}/contactpersons", page),
        "Books contact person by id": ("GET", f"{contacts}/contactpersons/{person_id}", org),
        "Books import a product again (zcrm_product_id)": (
            "POST",
            f"/books/v3/crm/item/{product_id}/import",
            org,
        ),
    }


def best_of(repeat: int, call: Callable[[], httpx.Response]) -> tuple[float, int]:
    """The best time of ``repeat`` calls, and the rows the reply holds (1 for a single record)."""
    best, rows = float("inf"), 0
    for _ in range(repeat):
        began = time.perf_counter()
        reply = call()
        elapsed = time.perf_counter() - began
        assert reply.status_code in (200, 204), reply.text[:300]
        best = min(best, elapsed)
        rows = _rows(reply)
    return best, rows


def _rows(reply: httpx.Response) -> int:
    if reply.status_code == 204:
        return 0
    body = reply.json()
    listed = [value for value in body.values() if isinstance(value, list)]
    return len(listed[0]) if listed else 1


def measure(served: Served, repeat: int) -> dict[str, tuple[float, int]]:
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
    print(f"\n| request | rows | {args.small:,} | {args.large:,} | ratio |\n|---|---|---|---|---|")
    for name in results[args.small]:
        (small, small_rows), (large, large_rows) = results[args.small][name], results[args.large][name]
        print(
            f"| {name} | {small_rows} / {large_rows} | {small * 1000:.1f} ms | {large * 1000:.1f} ms "
            f"| {large / small:.1f} |"
        )


if __name__ == "__main__":
    main()
