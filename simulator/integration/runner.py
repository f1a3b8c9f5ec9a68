"""Runs Books' CRM integration: the reference engine (``syncer.run_sync``) inside the simulator,
against the tenant's own orgs, through the simulator's own API.

The engine is synchronous, so it runs in a worker thread while the server goes on serving; each
of its requests is handed back to the event loop the simulator runs on (``LoopTransport``), so
the simulator's state is only ever touched from that one loop, and every request passes the gate
like any client's: logged (marked with ``SOURCE``), subject to fault rules and Zoho's limits.
Its waits (a rate limit, a ``Retry-After``) move the virtual clock instead of sleeping.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from datetime import datetime

import anyio
import anyio.from_thread
import anyio.to_thread
import httpx
from starlette.types import ASGIApp, Receive, Scope, Send

from simulator.clock import Clock
from simulator.errors import ZohoError
from simulator.integration.changes import STEP, Before, collect_changes
from simulator.integration.models import Run, record_link
from simulator.requestlog import SOURCE_HEADER
from simulator.tenants import Simulator, Tenant, persist
from simulator.transport import round_trip
from syncer.clients import ZohoClientError
from syncer.config import Config, ConfigError, Connection
from syncer.report import Row
from syncer.run import run_sync
from syncer.state import SyncState

#: How the integration's own requests are marked in the request log.
SOURCE = "books-crm-integration"
#: Any host will do: the transport hands every request to the app.
BASE_URL = "http://zohosim.local"

logger = logging.getLogger("zohosim")
#: The loop keeps only weak references to tasks: these are the runs still going.
_running: set[asyncio.Task[None]] = set()


class LoopTransport(httpx.BaseTransport):
    """A sync transport for a worker thread started by anyio: each request is served by ``app``
    on the event loop that started the thread."""

    def __init__(self, app: ASGIApp) -> None:
        self._asgi = httpx.ASGITransport(app=app)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.read()
        return anyio.from_thread.run(round_trip, self._asgi, request)


class VirtualClock:
    """The engine's ``SyncClock``: the simulator's clock, which a wait moves instead of sleeping."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock

    def now(self) -> datetime:
        return self.clock.now()

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            anyio.from_thread.run_sync(self.clock.advance, seconds)


def start_run(app: ASGIApp, sim: Simulator, tenant: Tenant, modules: list[str], *, trigger: str) -> Run:
    """Begin a run of ``modules`` (all configured ones when empty) in the background; call it on
    the simulator's event loop. Raises ``IntegrationRefused`` when the run cannot start."""
    integration = tenant.integration
    run = integration.begin(
        modules, trigger=trigger, now=sim.clock.now(), first_seq=sim.request_log.last_seq + 1
    )
    state = integration.state
    assert state is not None  # begin() refuses to run unless connected, and connecting makes it
    task = asyncio.get_running_loop().create_task(_execute(app, sim, tenant, run, state))
    _running.add(task)
    task.add_done_callback(_running.discard)
    return run


def start_due_runs(app: ASGIApp, sim: Simulator) -> list[tuple[Tenant, Run]]:
    """Start every tenant's scheduled run that has come due by the virtual clock."""
    now = sim.clock.now()
    started = []
    for tenant in list(sim.tenants.values()):
        due = tenant.integration.due(now)
        if due:
            started.append((tenant, start_run(app, sim, tenant, due, trigger="schedule")))
    return started


async def _execute(app: ASGIApp, sim: Simulator, tenant: Tenant, run: Run, state: SyncState) -> None:
    integration = tenant.integration
    error: str | None = "stopped before it finished"
    before = Before.of(run.syncs)
    try:
        for _ in before.fill(crm=tenant.crm, books=tenant.books):
            await asyncio.sleep(0)
        await anyio.to_thread.run_sync(_run_engine, app, sim, tenant, run, state)
        error = None
    except (ConfigError, ZohoClientError, httpx.HTTPError) as exc:
        error = str(exc)
    except Exception as exc:  # a run that breaks must not take the server with it: it is recorded
        logger.exception("the Books CRM integration's %s of tenant %s failed", run.run_id, tenant.tenant_id)
        error = f"{type(exc).__name__}: {exc}"
    finally:
        try:
            await _collect_changes(run, before, tenant)
        except Exception:  # the run's outcomes stand without their changes: it must still end
            logger.exception("the changes of %s of tenant %s are lost", run.run_id, tenant.tenant_id)
        integration.end(run, now=sim.clock.now(), last_seq=sim.request_log.last_seq, error=error)
        unsaved = _save(sim, tenant)
        if unsaved:
            run.status, run.error = "failed", unsaved
        run.done.set()


async def _collect_changes(run: Run, before: Before, tenant: Tenant) -> None:
    """What each record the run wrote became, a step of rows at a time (the loop goes on serving)."""
    rows = list(run.report.rows)
    for start in range(0, len(rows), STEP):
        step = rows[start : start + STEP]
        if collect_changes(
            step, run.sync_by_label, before, crm=tenant.crm, books=tenant.books, into=run.changes
        ):
            run.changes_capped = True
            return
        await asyncio.sleep(0)


def _save(sim: Simulator, tenant: Tenant) -> str | None:
    """Write the Books org and the integration to the store (if any): the zcrm marks are set
    outside any API write, and the run has just ended."""
    if sim.tenants.get(tenant.tenant_id) is not tenant:
        return None  # deleted while the run went on: nothing to keep
    try:
        persist(sim, tenant, services=("books", "integration"))
    except (sqlite3.Error, OSError) as exc:
        return f"the store could not save the run and its zcrm marks: {exc}"
    return None


def _run_engine(app: ASGIApp, sim: Simulator, tenant: Tenant, run: Run, state: SyncState) -> None:
    config = Config(connection=_connection(tenant), syncs=run.syncs)
    run.report.on_row = lambda row: anyio.from_thread.run_sync(_link, tenant, row)
    transport = LoopTransport(app)
    with httpx.Client(transport=transport, base_url=BASE_URL, headers={SOURCE_HEADER: SOURCE}) as client:
        run_sync(config, client=client, clock=VirtualClock(sim.clock), state=state, report=run.report)


def _link(tenant: Tenant, row: Row) -> None:
    """On the loop: the Books record the engine just wrote is marked as synced with its CRM record."""
    try:
        record_link(tenant.books, row)
    except ZohoError:  # the record went meanwhile (deleted by someone else): nothing to mark
        logger.info("the Books record %s of %s is gone: not marked as linked", row.books_id, row.crm_id)


def _connection(tenant: Tenant) -> Connection:
    return Connection.local(
        BASE_URL,
        client_id=tenant.client.client_id,
        client_secret=tenant.client.client_secret,
        refresh_token=tenant.refresh_token.token,
        books_organization_id=tenant.books.organization_id,
        tenant=tenant.tenant_id,
    )


class DueRuns:
    """Middleware: any request is a moment to start scheduled runs that have come due, since a
    ticking clock moves without anyone setting it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            start_due_runs(scope["app"], scope["app"].state.simulator)
        await self.app(scope, receive, send)
