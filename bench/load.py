"""Load: 100 concurrent clients create and update records on one org of ``zohosim serve`` for a
bounded time, then every write is checked.

Each client (asyncio, one shared ``httpx.AsyncClient`` over 127.0.0.1) owns its records: even
clients CRM Accounts, odd ones Books contacts. It creates a record (a unique name, value ``v0``)
or updates one of its own (``Description`` / ``company_name`` to ``v1``, ``v2``…), one request at a
time, until the deadline. A reply is an acknowledgement; a refusal by a configured Zoho limit
(CRM ``TOO_MANY_REQUESTS``, Books codes 44/45/1070) is counted apart and changes nothing; any
other error reply is an error; a dropped connection is indeterminate (only expected while the
server is killed).

Then every record is read back (list pages) and checked, as Jepsen's set checker does:

* lost: an acknowledged create that is missing, or a record whose value is neither its last
  acknowledged value nor one sent after it whose reply never came;
* unexpected: a record with this run's name prefix that no client sent;
* recovered: a create whose reply never came but which happened (allowed).

``--data-dir`` runs the server on SQLite and ``kill -9``s it halfway; it restarts on the same
directory and the clients carry on; at the end it is killed and restarted once more before the
check, so every acknowledged write must have been durable.

Baseline: the same clients, for the same time, against a bare Starlette app under the same uvicorn
configuration that acknowledges every write at once (no state): the throughput ceiling of this
load generator and server stack on this machine; each scenario's requests/s is given against it.

Run: python bench/load.py [--clients 100] [--seconds 20] [--scenarios memory,limits,data-dir]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import orjson

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._common import Served, median, print_machine, serve

MAX_RECORDS_PER_CLIENT = 40
CREATE_SHARE = 0.3
LIMITED = {("crm", "TOO_MANY_REQUESTS"), ("books", 44), ("books", 45), ("books", 1070)}
SMALL_ORG = ("--accounts", "50", "--contacts", "150", "--vendors", "15", "--products", "40")


@dataclass
class Tracked:
    """One record a client wrote: what was acknowledged, and what may have happened since."""

    service: str
    name: str
    record_id: str | None = None
    acked: str | None = None
    unsure: list[str] = field(default_factory=list)
    create_unsure: bool = False


@dataclass
class Stats:
    requests: int = 0
    acked_creates: int = 0
    acked_updates: int = 0
    limited: int = 0
    indeterminate: int = 0
    errors: list[str] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)


class Budget:
    """How much load to make: for ``seconds`` (the benchmark), or ``writes_per_client`` writes by each
    client (the tests: the same work however fast the machine is). ``halfway`` is set when half of
    it is done, which is when the data-dir scenario kills the server."""

    def __init__(self, *, seconds: float | None, writes_per_client: int | None, clients: int) -> None:
        assert (seconds is None) != (writes_per_client is None), "a time budget or a count, not both"
        self.halfway = asyncio.Event()
        self._per_client = writes_per_client
        self._half_count = clients * (writes_per_client or 0) // 2
        self._made = 0
        self._deadline = time.monotonic() + seconds if seconds is not None else None
        if seconds is not None:
            asyncio.get_running_loop().call_later(seconds / 2, self.halfway.set)

    def writes(self) -> Iterator[None]:
        made = 0
        while (self._deadline is None or time.monotonic() < self._deadline) and (
            self._per_client is None or made < self._per_client
        ):
            yield
            made += 1
            self._made += 1
            if self._per_client is not None and self._made >= self._half_count:
                self.halfway.set()


@dataclass
class Target:
    """Where the server is now; ``ready`` is cleared while it restarts."""

    served: Served
    token: str
    org: str
    ready: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def base_url(self) -> str:
        return self.served.base_url


@dataclass
class LoadResult:
    scenario: str
    clients: int
    seconds: float
    stats: Stats
    records: int
    lost: list[str]
    unexpected: list[str]
    recovered: int
    restarts: int

    @property
    def ok(self) -> bool:
        return not self.stats.errors and not self.lost and not self.unexpected

    def lines(self) -> list[str]:
        s = self.stats
        lat = sorted(s.latencies)
        p50 = median(lat) * 1000 if lat else 0.0
        p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1000 if lat else 0.0
        return [
            f"{self.scenario}: {self.clients} clients, {self.seconds:.0f} s, "
            f"{self.restarts} kill -9 + restart",
            f"  requests {s.requests:,} ({s.requests / self.seconds:,.0f}/s); acknowledged: "
            f"{s.acked_creates:,} creates, {s.acked_updates:,} updates; "
            f"client latency p50 {p50:.1f} ms, p99 {p99:.1f} ms",
            f"  refused by configured limits: {s.limited:,}; "
            f"indeterminate (connection lost): {s.indeterminate:,}",
            f"  errors: {len(s.errors)}; records checked: {self.records:,}; lost: {len(self.lost)}; "
            f"unexpected: {len(self.unexpected)}; unacknowledged creates that happened: {self.recovered}",
            *(f"    error: {e}" for e in s.errors[:5]),
            *(f"    lost: {e}" for e in self.lost[:5]),
            *(f"    unexpected: {e}" for e in self.unexpected[:5]),
        ]


# -- the clients ----------------------------------------------------------------------------------


async def _client(
    n: int, prefix: str, target: Target, http: httpx.AsyncClient, budget: Budget, stats: Stats
) -> list[Tracked]:
    rng = random.Random(f"{prefix}:{n}")
    service = "crm" if n % 2 == 0 else "books"
    mine: list[Tracked] = []
    version = 0
    for _ in budget.writes():
        known = [t for t in mine if t.record_id is not None]
        if len(mine) < MAX_RECORDS_PER_CLIENT and (not known or rng.random() < CREATE_SHARE):
            record = Tracked(service, f"{prefix}-{n}-{len(mine)}")
            mine.append(record)
            await _write(target, http, stats, record, value="v0", create=True)
        else:
            version += 1
            await _write(target, http, stats, rng.choice(known), value=f"v{version}", create=False)
    return mine


async def _write(
    target: Target, http: httpx.AsyncClient, stats: Stats, record: Tracked, *, value: str, create: bool
) -> None:
    await target.ready.wait()
    method, url, params, body = _request(target, record, value=value, create=create)
    began = time.perf_counter()
    stats.requests += 1
    try:
        reply = await http.request(
            method,
            url,
            params=params,
            json=body,
            headers={"Authorization": f"Zoho-oauthtoken {target.token}"},
        )
    except httpx.TransportError:
        stats.indeterminate += 1
        _unsure(record, value, create)
        await asyncio.sleep(0.05)  # the server is (re)starting: wait for it
        return
    stats.latencies.append(time.perf_counter() - began)
    payload = _json(reply)
    if 200 <= reply.status_code < 300:
        if create:
            record.record_id = _created_id(record.service, payload)
            stats.acked_creates += 1
        else:
            stats.acked_updates += 1
        if record.service == "crm" and (payload.get("data") or [{}])[0].get("status") != "success":
            stats.errors.append(f"{method} {url} -> {reply.status_code} {reply.text[:200]}")
            return
        record.acked, record.unsure = value, []
        return
    code = payload.get("code")
    if (record.service, code) in LIMITED:
        stats.limited += 1  # refused at the door: nothing was written
        return
    stats.errors.append(f"{method} {url} -> {reply.status_code} {reply.text[:200]}")
    _unsure(record, value, create)


def _request(
    target: Target, record: Tracked, *, value: str, create: bool
) -> tuple[str, str, dict[str, str], dict[str, Any]]:
    base = target.base_url
    if record.service == "crm":
        if create:
            return (
                "POST",
                f"{base}/crm/v8/Accounts",
                {},
                {"data": [{"Account_Name": record.name, "Description": value}]},
            )
        return "PUT", f"{base}/crm/v8/Accounts/{record.record_id}", {}, {"data": [{"Description": value}]}
    params = {"organization_id": target.org}
    if create:
        return (
            "POST",
            f"{base}/books/v3/contacts",
            params,
            {"contact_name": record.name, "company_name": value},
        )
    return "PUT", f"{base}/books/v3/contacts/{record.record_id}", params, {"company_name": value}


def _created_id(service: str, payload: dict[str, Any]) -> str:
    if service == "crm":
        return str(payload["data"][0]["details"]["id"])
    return str(payload["contact"]["contact_id"])


def _unsure(record: Tracked, value: str, create: bool) -> None:
    if create:
        record.create_unsure = True
    else:
        record.unsure.append(value)


def _json(reply: httpx.Response) -> dict[str, Any]:
    try:
        body = reply.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


# -- reading back and checking ------------------------------------------------------------------


def _crm_accounts(http: httpx.Client) -> Iterator[dict[str, Any]]:
    params: dict[str, Any] = {"fields": "Account_Name,Description", "per_page": 200}
    while True:
        reply = http.get("/crm/v8/Accounts", params=params)
        if reply.status_code == 204:
            return
        reply.raise_for_status()
        body = reply.json()
        yield from body["data"]
        token = body["info"].get("next_page_token")
        if not body["info"]["more_records"] or not token:
            return
        params = {"fields": "Account_Name,Description", "per_page": 200, "page_token": token}


def _books_contacts(http: httpx.Client, org: str) -> Iterator[dict[str, Any]]:
    page = 1
    while True:
        reply = http.get(
            "/books/v3/contacts",
            params={"organization_id": org, "filter_by": "Status.All", "page": page, "per_page": 200},
        )
        reply.raise_for_status()
        body = reply.json()
        yield from body["contacts"]
        if not body["page_context"]["has_more_page"]:
            return
        page += 1


def check(
    served: Served, token: str, org: str, prefix: str, tracked: list[Tracked]
) -> tuple[list[str], list[str], int]:
    """Lost writes, unexpected records, and unacknowledged creates that happened."""
    with httpx.Client(
        base_url=served.base_url, timeout=60, headers={"Authorization": f"Zoho-oauthtoken {token}"}
    ) as http:
        stored: dict[tuple[str, str], tuple[str, str | None]] = {}
        for row in _crm_accounts(http):
            stored[("crm", row["id"])] = (row["Account_Name"], row.get("Description"))
        for row in _books_contacts(http, org):
            stored[("books", row["contact_id"])] = (row["contact_name"], row.get("company_name"))
    by_name: dict[tuple[str, str], list[str]] = {}
    for (service, record_id), (name, _) in stored.items():
        by_name.setdefault((service, name), []).append(record_id)
    lost: list[str] = []
    recovered = 0
    claimed: set[tuple[str, str]] = set()
    for record in tracked:
        if record.record_id is None:
            found = by_name.get((record.service, record.name), [])
            if found:
                recovered += 1
                claimed.update((record.service, i) for i in found)
                value = stored[(record.service, found[0])][1]
                if value != "v0":
                    lost.append(f"{record.service} {record.name}: unacknowledged create holds {value!r}")
            continue
        key = (record.service, record.record_id)
        claimed.add(key)
        if key not in stored:
            lost.append(
                f"{record.service} {record.name} ({record.record_id}): acknowledged create is missing"
            )
            continue
        name, value = stored[key]
        if name != record.name:
            lost.append(f"{record.service} {record.record_id}: name {name!r}, expected {record.name!r}")
        if value != record.acked and value not in record.unsure:
            lost.append(
                f"{record.service} {record.name} ({record.record_id}): holds {value!r}, last acknowledged "
                f"{record.acked!r}, unacknowledged since {record.unsure}"
            )
    unexpected = [
        f"{service} {record_id} {name!r}"
        for (service, record_id), (name, _) in stored.items()
        if name.startswith(prefix + "-") and (service, record_id) not in claimed
    ]
    return lost, unexpected, recovered


# -- the baseline: the same clients against a server that only acknowledges ----------------------


def _ceiling_app() -> Any:
    """Bare Starlette, the same routes, a fixed acknowledgement with a fresh id: no state at all."""
    from itertools import count

    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    ids = count(1)

    async def crm(request: Request) -> Response:
        await request.body()
        item = {"code": "SUCCESS", "details": {"id": str(next(ids))}, "message": "ok", "status": "success"}
        return Response(orjson.dumps({"data": [item]}), media_type="application/json")

    async def books(request: Request) -> Response:
        await request.body()
        return Response(
            orjson.dumps({"code": 0, "message": "ok", "contact": {"contact_id": str(next(ids))}}),
            media_type="application/json",
        )

    return Starlette(
        routes=[
            Route("/crm/v8/Accounts", crm, methods=["POST"]),
            Route("/crm/v8/Accounts/{record_id}", crm, methods=["PUT"]),
            Route("/books/v3/contacts", books, methods=["POST"]),
            Route("/books/v3/contacts/{contact_id}", books, methods=["PUT"]),
        ]
    )


def _serve_ceiling(argv: list[str]) -> None:
    """``python bench/load.py --ceiling-server --host H --port P``: uvicorn as zohosim serve runs it."""
    import uvicorn

    from simulator.http import listen

    host, port = argv[argv.index("--host") + 1], int(argv[argv.index("--port") + 1])
    sock = listen(host, port)
    print(f"ceiling ready at http://{host}:{sock.getsockname()[1]}", flush=True)
    config = uvicorn.Config(_ceiling_app(), log_level="warning", access_log=False, lifespan="off")
    uvicorn.Server(config).run(sockets=[sock])


def run_ceiling(*, clients: int = 100, seconds: float = 20) -> float:
    """Requests per second of the same clients against a server that does nothing but acknowledge."""
    with serve(command=[sys.executable, __file__, "--ceiling-server"]) as served:
        target = Target(served, token="-", org="1")
        stats = Stats()
        began = time.monotonic()
        asyncio.run(_drive(target, "ceiling", clients, seconds, stats, restart=None))
        elapsed = time.monotonic() - began
    if stats.errors or stats.indeterminate:
        raise RuntimeError(f"the ceiling server failed: {stats.errors[:3]}")
    return stats.requests / elapsed


# -- a scenario ------------------------------------------------------------------------------


async def _drive(
    target: Target,
    prefix: str,
    clients: int,
    seconds: float | None,
    stats: Stats,
    *,
    restart: Any | None,
    writes: int | None = None,
) -> list[Tracked]:
    target.ready.set()
    # One client, one connection: a shared pool of 100 connections costs the load generator more
    # than the server (httpcore scans every connection of its pool for each request).
    async with AsyncExitStack() as stack:
        https = [await stack.enter_async_context(httpx.AsyncClient(timeout=30)) for _ in range(clients)]
        budget = Budget(seconds=seconds, writes_per_client=writes, clients=clients)  # starts now
        workers = [
            asyncio.create_task(_client(n, prefix, target, https[n], budget, stats)) for n in range(clients)
        ]
        if restart is not None:
            await budget.halfway.wait()
            target.ready.clear()
            await asyncio.to_thread(restart)
            target.ready.set()
        results = await asyncio.gather(*workers)
    return [record for mine in results for record in mine]


def run_load(
    *,
    clients: int = 100,
    seconds: float | None = None,
    writes_per_client: int | None = None,
    limits: bool = False,
    data_dir: Path | None = None,
    scenario: str = "",
) -> LoadResult:
    """One scenario, start to check, for ``seconds`` or ``writes_per_client`` writes by each client.
    With ``data_dir``: kill -9 halfway and at the end, restarting each time. With ``limits``, the
    clock is frozen, so that a rate window never ends during the run: how many writes the limits
    refuse does not depend on how fast the machine is."""
    store = ("--data-dir", str(data_dir)) if data_dir else ()
    clock = ("--clock", "frozen") if limits else ()
    served = serve("--seed", "42", *SMALL_ORG, *store, *clock)
    restarts = 0
    try:
        creds = served.credentials()
        target = Target(served, served.token(), creds["books_organization_id"])
        if limits:
            httpx.put(
                f"{served.base_url}/__zohosim/tenants/t1/limits",
                json={"crm": {"enabled": True}, "books": {"enabled": True}},
                timeout=30,
            ).raise_for_status()
        prefix = f"load{random.Random().randrange(10**6):06d}"

        def restart() -> None:
            nonlocal restarts
            target.served.kill()
            target.served = serve("--seed", "42", *SMALL_ORG, *store, *clock)
            restarts += 1

        stats = Stats()
        began = time.monotonic()
        tracked = asyncio.run(
            _drive(
                target,
                prefix,
                clients,
                seconds,
                stats,
                restart=restart if data_dir else None,
                writes=writes_per_client,
            )
        )
        elapsed = time.monotonic() - began
        if data_dir:
            restart()  # acknowledged means durable: nothing may depend on a clean shutdown
        if limits:  # the check's own reads must not be refused
            httpx.put(
                f"{target.base_url}/__zohosim/tenants/t1/limits",
                json={"crm": {"enabled": False}, "books": {"enabled": False}},
                timeout=30,
            ).raise_for_status()
        lost, unexpected, recovered = check(target.served, target.token, target.org, prefix, tracked)
        served = target.served
    finally:
        served.stop()
    return LoadResult(
        scenario or ("data dir, kill -9" if data_dir else "in memory"),
        clients,
        elapsed,
        stats,
        len(tracked),
        lost,
        unexpected,
        recovered,
        restarts,
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument(
        "--scenarios",
        default="memory,limits,data-dir",
        help="comma-separated: memory (limits off), limits (Zoho's limits on), data-dir (SQLite, kill -9)",
    )
    if "--ceiling-server" in sys.argv:
        _serve_ceiling(sys.argv)
        return
    args = parser.parse_args()
    print_machine()
    ceiling = run_ceiling(clients=args.clients, seconds=args.seconds)
    print(
        f"\nbaseline: the same {args.clients} clients against a bare Starlette app on the same uvicorn "
        f"configuration that only acknowledges: {ceiling:,.0f} requests/s"
    )
    failed = False
    for scenario in args.scenarios.split(","):
        with tempfile.TemporaryDirectory(prefix="zohosim-load-") as tmp:
            result = run_load(
                clients=args.clients,
                seconds=args.seconds,
                limits=scenario == "limits",
                data_dir=Path(tmp) if scenario == "data-dir" else None,
                scenario={
                    "memory": "in memory, limits off",
                    "limits": "in memory, Zoho's limits on",
                    "data-dir": "--data-dir, kill -9 halfway and at the end",
                }[scenario],
            )
        print()
        print("\n".join(result.lines()))
        rate = result.stats.requests / result.seconds
        print(f"  ratio requests/s simulator/baseline: {rate / ceiling:.2f}")
        failed |= not result.ok
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
