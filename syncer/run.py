"""Run a configuration: every module sync in order, one report."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import httpx

from syncer.clients import RetryPolicy, SyncClock, WallClock, connect
from syncer.config import Config, ConfigError, Connection, ModuleSync
from syncer.engine import Context, run_module_sync, validate_module_sync
from syncer.orgpair import check_state, org_pair, state_file
from syncer.report import Report
from syncer.state import SyncState

Progress = Callable[[ModuleSync, int, int], None]
#: Live one-line messages: a wait and what for, a failed attempt and its retry.
Status = Callable[[str], None]


def run_sync(
    config: Config,
    *,
    client: httpx.Client | None = None,
    clock: SyncClock | None = None,
    state: SyncState | None = None,
    progress: Progress | None = None,
    report: Report | None = None,
    status: Status | None = None,
    retry: RetryPolicy | None = None,
) -> Report:
    """Run every module sync of ``config`` once and return the report.

    ``client`` is the seam for tests (an in-process simulator client); ``clock`` decides how waits
    pass (``SimulatorClock`` moves the simulator's virtual time instead of sleeping); ``retry`` with a
    ``seed`` makes the backoff's jitter repeatable. Without
    ``state``, the org pair's own state file beside ``config.state_path`` is used (``orgpair``).
    """
    clock = clock or WallClock()
    connection = resolve_connection(config.connection, client=client)
    own_state = state is None
    report = report or Report()
    report.started = clock.now().isoformat()
    try:
        per_minute = books_per_minute(connection, client=client)
        with connect(
            connection,
            client=client,
            clock=clock,
            retry=retry,
            books_per_minute=per_minute,
            on_wait=status,
        ) as clients:
            pair = org_pair(clients)
            where = "the state given"
            if state is None:
                path = state_file(config.state_path, pair)
                state, where = SyncState(path), str(path)
            report.notes.append(check_state(state, clients, pair, where=where))
            context = Context(clients=clients, state=state, clock=clock, report=report)
            for sync in config.syncs:  # valid as a whole, or nothing is synced
                validate_module_sync(sync, context)
            for n, sync in enumerate(config.syncs):
                if progress:
                    progress(sync, n, len(config.syncs))
                run_module_sync(sync, context)
            report.calls = clients.counter.by_service()
    finally:
        report.finished = clock.now().isoformat()
        if own_state and state is not None:
            state.close()
    return report


def resolve_connection(connection: Connection, *, client: httpx.Client | None = None) -> Connection:
    """Fill missing credentials from the simulator's control plane (the local default)."""
    if connection.complete:
        return connection
    if not connection.control_url:
        raise ConfigError(
            "connection", "give client_id, client_secret, refresh_token and books_organization_id"
        )
    url = f"{connection.control_url}/tenants/{connection.tenant}"
    try:
        reply = _control_get(url, client=client)
    except httpx.HTTPError as exc:
        raise ConfigError(
            "connection",
            f"no simulator answers at {connection.control_url} ({exc}): start `zohosim serve`, "
            "or give base_url and credentials",
        ) from exc
    if reply.status_code != 200:
        raise ConfigError("connection.tenant", f"the simulator has no tenant {connection.tenant!r}")
    tenant = reply.json()
    return replace(
        connection,
        client_id=connection.client_id or tenant["client_id"],
        client_secret=connection.client_secret or tenant["client_secret"],
        refresh_token=connection.refresh_token or tenant["refresh_token"],
        books_organization_id=connection.books_organization_id or tenant["books_organization_id"],
    )


def books_per_minute(connection: Connection, *, client: httpx.Client | None = None) -> int | None:
    """Zoho Books allows 100 requests a minute. A simulator says what it enforces (its limits may
    be off, or set lower), so the syncer neither dawdles nor trips them."""
    if not connection.control_url:
        return 100
    try:
        reply = _control_get(f"{connection.control_url}/tenants/{connection.tenant}/limits", client=client)
        books = reply.json()["books"]
    except (httpx.HTTPError, ValueError, KeyError):
        return 100
    return int(books["per_minute"]) if books.get("enabled") else None


def _control_get(url: str, *, client: httpx.Client | None) -> httpx.Response:
    """A read of the simulator's control plane, through the test seam when there is one."""
    return client.get(url, timeout=10) if client is not None else httpx.get(url, timeout=10)
