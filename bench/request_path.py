"""The simulator's own work per request, without HTTP: the app called as ASGI, in process.

``serve.py`` measures the whole stack under wrk, where uvicorn, h11 and the socket take their
share and the machine's other jobs move every figure. This script times only the app: the same
two 200-row pages as ``serve.py`` and the same lists at 1 row (what a request costs before its
rows), and the ceiling's app (``ceiling.py``) answering the same bytes. Time is CPU time of this
process (``time.process_time``), best of ``--rounds`` runs of ``--requests`` calls each, so that
other jobs on a shared machine move it less than wall time.

Run: python bench/request_path.py [--rounds 7] [--requests 300]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from starlette.types import ASGIApp, Message

from bench._common import print_machine
from bench.ceiling import build_app
from bench.serve import ACCOUNT_FIELDS
from simulator.app import create_app
from simulator.clock import DEFAULT_START, Clock
from simulator.http import body_once
from simulator.tenants import Simulator, Sizes


async def _call(
    app: ASGIApp, method: str, path: str, *, query: str = "", headers: dict[str, str], body: bytes = b""
) -> tuple[int, bytes, list[tuple[bytes, bytes]]]:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 80),
    }
    out: list[Message] = []

    async def send(message: Message) -> None:
        out.append(message)

    await app(scope, body_once(body), send)
    return out[0]["status"], b"".join(m.get("body", b"") for m in out[1:]), out[0]["headers"]


async def _best(
    app: ASGIApp, path: str, query: str, headers: dict[str, str], *, rounds: int, n: int
) -> float:
    """Best CPU time per request over ``rounds`` runs of ``n`` requests, in µs."""
    for _ in range(50):
        await _call(app, "GET", path, query=query, headers=headers)
    best = float("inf")
    for _ in range(rounds):
        began = time.process_time()
        for _ in range(n):
            await _call(app, "GET", path, query=query, headers=headers)
        best = min(best, (time.process_time() - began) / n)
    return best * 1e6


async def _main(args: argparse.Namespace) -> None:
    sim = Simulator(clock=Clock(start=DEFAULT_START, frozen=True), seed=42)
    tenant = sim.create_tenant(sizes=Sizes(accounts=args.accounts, contacts=args.contacts))
    creds = tenant.credentials()
    app = create_app(sim)
    grant = {k: str(creds[k]) for k in ("client_id", "client_secret", "refresh_token")}
    status, body, _ = await _call(
        app,
        "POST",
        "/oauth/v2/token",
        headers={"content-type": "application/x-www-form-urlencoded"},
        body=urlencode({"grant_type": "refresh_token", **grant}).encode(),
    )
    assert status == 200, body
    headers = {"authorization": f"Zoho-oauthtoken {json.loads(body)['access_token']}", "host": "zohosim"}
    org = creds["books_organization_id"]
    pages = {
        "CRM Accounts": ("/crm/v8/Accounts", f"fields={ACCOUNT_FIELDS}&per_page="),
        "Books contacts": ("/books/v3/contacts", f"organization_id={org}&per_page="),
    }
    folder = Path(tempfile.mkdtemp(prefix="zohosim-bench-"))
    capture: dict[str, Any] = {}
    for n, (path, query) in enumerate(pages.values()):
        status, body, raw_headers = await _call(app, "GET", path, query=query + "200", headers=headers)
        assert status == 200, body
        (folder / f"body{n}.json").write_bytes(body)
        kept = [[k.decode(), v.decode()] for k, v in raw_headers if k != b"content-length"]
        capture[path] = {"body_file": str(folder / f"body{n}.json"), "headers": kept}
    ceiling = build_app(capture)
    print(f"CPU µs per request, best of {args.rounds} x {args.requests}")
    for name, (path, query) in pages.items():
        rows200 = await _best(app, path, query + "200", headers, rounds=args.rounds, n=args.requests)
        rows1 = await _best(app, path, query + "1", headers, rounds=args.rounds, n=args.requests)
        bare = await _best(ceiling, path, query + "200", headers, rounds=args.rounds, n=args.requests)
        print(f"  {name}: 200 rows {rows200:6.0f}   1 row {rows1:6.0f}   ceiling app, 200 rows {bare:4.0f}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--accounts", type=int, default=1000)
    parser.add_argument("--contacts", type=int, default=3000)
    args = parser.parse_args()
    print_machine()
    asyncio.run(_main(args))


if __name__ == "__main__":
    main()
