"""Run a configuration: every module sync in order, one report."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace

import httpx

from syncer.clients import RetryPolicy, SyncClock, WallClock, ZohoClients, connect
from syncer.config import Config, ConfigError, Connection, ModuleSync
from syncer.engine import Context, plan_module_sync, run_module_sync, validate_module_sync
from syncer.orgpair import check_state, org_pair, state_file
from syncer.plan import Step
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
    report = report or Report()
    report.started = clock.now().isoformat()
    try:
        with _session(config, client=client, clock=clock, state=state, retry=retry, status=status) as (
            clients,
            context,
            note,
        ):
            context.report = report
            report.notes.append(note)
            for sync in config.syncs:  # valid as a whole, or nothing is synced
                validate_module_sync(sync, context)
            for n, sync in enumerate(config.syncs):
                if progress:
                    progress(sync, n, len(config.syncs))
                run_module_sync(sync, context)
            report.calls = clients.counter.by_service()
    finally:
        report.finished = clock.now().isoformat()
    return report


@dataclass
class Plan:
    """What a run would do, by module sync, and the reads it took to find out."""

    steps: list[tuple[str, Step]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    calls: dict[str, int] = field(default_factory=dict)


def plan_sync(
    config: Config,
    *,
    client: httpx.Client | None = None,
    clock: SyncClock | None = None,
    retry: RetryPolicy | None = None,
    status: Status | None = None,
) -> Plan:
    """Read both sides and plan every module sync of ``config``; write nothing to Zoho nor to the
    state file (the plan is made on an in-memory copy of the state)."""
    result = Plan()
    with _session(
        config, client=client, clock=clock or WallClock(), retry=retry, status=status, dry=True
    ) as (
        clients,
        context,
        note,
    ):
        result.notes.append(note)
        for sync in config.syncs:
            validate_module_sync(sync, context)
        for sync in config.syncs:
            result.steps += [(sync.label, step) for step in plan_module_sync(sync, context)]
        result.calls = clients.counter.by_service()
    return result


@contextmanager
def _session(
    config: Config,
    *,
    client: httpx.Client | None,
    clock: SyncClock,
    retry: RetryPolicy | None,
    status: Status | None,
    state: SyncState | None = None,
    dry: bool = False,
) -> Iterator[tuple[ZohoClients, Context, str]]:
    """Connected clients and the org pair's state, with the line that says where the state is.
    ``dry``: the state is an in-memory copy of the pair's file, and the clients refuse to write."""
    connection = resolve_connection(config.connection, client=client)
    own_state = state is None
    try:
        per_minute = books_per_minute(connection, client=client)
        with connect(
            connection,
            client=client,
            clock=clock,
            retry=retry,
            books_per_minute=per_minute,
            on_wait=status,
            read_only=dry,
        ) as clients:
            pair = org_pair(clients)
            where = "the state given"
            if state is None:
                path = state_file(config.state_path, pair)
                state = SyncState.copy_of(path) if dry else SyncState(path)
                where = f"{path} (a copy in memory: a dry run writes nothing)" if dry else str(path)
            note = check_state(state, clients, pair, where=where)
            yield clients, Context(clients=clients, state=state, clock=clock, report=Report()), note
    finally:
        if own_state and state is not None:
            state.close()


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
