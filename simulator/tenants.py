"""The simulator's root state: the clock, the accounts server and the tenants.

A tenant is an org pair, a CRM org and a Books org, seeded together so that their records can
collide by name. A token belongs to one tenant and can reach no other.
"""

from __future__ import annotations

import gc
import random
import re
import sqlite3
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from simulator.accounts import scopes
from simulator.accounts.models import AccessToken, Accounts, AuthError, OAuthClient, RefreshToken
from simulator.books.editions import DEFAULT_EDITION, EDITIONS
from simulator.books.models import BooksOrg
from simulator.books.seed import seed_books
from simulator.clock import Clock, parse_datetime
from simulator.crm.bulk import BulkReads
from simulator.crm.models import CrmOrg
from simulator.crm.seed import seed_crm
from simulator.delivery import Dispatcher
from simulator.events import books_differences, crm_differences
from simulator.faults import FaultInjector
from simulator.integration import stored as stored_integration
from simulator.integration.models import CrmIntegration, RunInProgress
from simulator.limits import BooksLimits, CrmLimits, configure, raw_settings
from simulator.notify import Notifier
from simulator.requestlog import RequestLog
from simulator.store import Store

_AUTH_PREFIXES = ("zoho-oauthtoken ", "bearer ")
STATE_FORMAT = "zohosim-tenant/1"


class InvalidState(ValueError):
    """An import document that is not a zohosim tenant export."""


@dataclass(frozen=True)
class Sizes:
    """How much a tenant is seeded with. Books twins share a display name with a CRM record."""

    accounts: int = 50
    contacts: int = 150
    vendors: int = 15
    products: int = 40
    books_overlap: float = 0.25
    books_extra: int = 10

    @property
    def total(self) -> int:
        return self.accounts + self.contacts + self.vendors + self.products


@dataclass
class Tenant:
    tenant_id: str
    seed: int
    sizes: Sizes
    crm: CrmOrg
    books: BooksOrg
    client: OAuthClient
    refresh_token: RefreshToken
    crm_limits: CrmLimits = field(default_factory=CrmLimits)
    books_limits: BooksLimits = field(init=False)

    snapshots: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: Bulk read jobs live with the server, not in exports or the store: a job is short-lived.
    bulk_reads: BulkReads = field(default_factory=BulkReads)
    #: Books' own Zoho CRM integration: in the store and in snapshots (``simulator.integration.stored``).
    integration: CrmIntegration = field(default_factory=CrmIntegration)

    def __post_init__(self) -> None:
        self.books_limits = BooksLimits(time_zone=self.books.time_zone)

    def export_state(self) -> dict[str, Any]:
        """The org pair's whole state as JSON; importing it back restores it exactly."""
        return {
            "format": STATE_FORMAT,
            "tenant_id": self.tenant_id,
            "seed": self.seed,
            "sizes": asdict(self.sizes),
            "crm": self.crm.to_json(),
            "books": self.books.to_json(),
        }

    def import_state(self, document: Any, *, clock: Clock) -> None:
        """Replace the org pair's state; nothing changes unless the whole document loads."""
        if not isinstance(document, dict) or document.get("format") != STATE_FORMAT:
            raise InvalidState(f"not a zohosim export: expected an object whose format is {STATE_FORMAT!r}")
        try:
            crm = CrmOrg.from_json(document["crm"], clock=clock)
            books = BooksOrg.from_json(document["books"], clock=clock)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise InvalidState(f"the export does not load: {type(exc).__name__}: {exc}") from exc
        self.replace_orgs(crm, books)

    def take_snapshot(self, name: str) -> None:
        """Keep the org pair's state and the integration's (settings and history) under ``name``."""
        integration = stored_integration.dump(self.integration)
        self.snapshots[name] = {**self.export_state(), "integration": integration}

    def restore_snapshot(self, name: str, *, clock: Clock, memory: Path | None = None) -> None:
        """Back to a snapshot; one taken before the integration was kept leaves it as it is.
        The restored integration's syncer forgets what it knew (``memory``: its file, if any), as
        the orgs it spoke of are gone. Raises ``RunInProgress`` while the integration runs, and
        changes nothing then."""
        document = self.snapshots[name]
        if "integration" in document and self.integration.running is not None:
            raise RunInProgress(self.integration.running.run_id)
        try:
            integration = (
                stored_integration.load(document["integration"], memory=memory)
                if "integration" in document
                else None
            )
        except stored_integration.InvalidIntegration as exc:
            raise InvalidState(str(exc)) from exc
        self.import_state(document, clock=clock)
        if integration is not None:
            self.integration.close()
            if integration.state is not None:
                integration.state.forget_all()
            self.integration = integration

    def replace_orgs(self, crm: CrmOrg, books: BooksOrg) -> None:
        """Take new orgs; their watchers carry over and are told of every record that differs."""
        old_crm, old_books = self.crm, self.books
        crm.observers, books.observers = old_crm.observers, old_books.observers
        self.crm, self.books = crm, books
        for observers, changes in (
            (crm.observers, crm_differences(old_crm, crm) if crm.observers else ()),
            (books.observers, books_differences(old_books, books) if books.observers else ()),
        ):
            for change in changes:
                for observer in observers:
                    observer(change)

    def credentials(self) -> dict[str, object]:
        return {
            "tenant_id": self.tenant_id,
            "seed": self.seed,
            "client_id": self.client.client_id,
            "client_secret": self.client.client_secret,
            "refresh_token": self.refresh_token.token,
            "scopes": list(self.refresh_token.scopes),
            "redirect_uri": self.client.redirect_uri,
            "crm_org_id": self.crm.org_id,
            "books_organization_id": self.books.organization_id,
            "books_edition": self.books.profile.edition,
        }


def seed_org_pair(
    *, seed: int, sizes: Sizes, clock: Clock, books_edition: str = DEFAULT_EDITION
) -> tuple[CrmOrg, BooksOrg]:
    crm = seed_crm(
        seed=seed,
        clock=clock,
        accounts=sizes.accounts,
        contacts=sizes.contacts,
        vendors=sizes.vendors,
        products=sizes.products,
    )
    books = seed_books(
        seed=seed,
        clock=clock,
        crm=crm,
        overlap=sizes.books_overlap,
        extra=sizes.books_extra,
        edition=books_edition,
    )
    return crm, books


#: A tenant id names a path segment of the control plane (``/__zohosim/tenants/{id}``).
TENANT_ID = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,62}")
TENANT_ID_RULE = "a letter, then up to 62 letters, digits, '_' or '-'"


@dataclass
class Simulator:
    clock: Clock = field(default_factory=Clock)
    seed: int = 42
    tenants: dict[str, Tenant] = field(default_factory=dict)
    accounts: Accounts = field(init=False)
    faults: FaultInjector = field(init=False)
    request_log: RequestLog = field(default_factory=RequestLog)
    #: CRM notification channels and Books webhooks, and their delivery (``simulator.notify``).
    notifier: Notifier = field(init=False)
    store: Store | None = None
    #: When set, the control plane answers only requests that bear it (``zohosim serve --control-token``).
    control_token: str | None = None
    #: The base URL clients reach the simulator by; the token reply's ``api_domain`` names it. Unset,
    #: ``api_domain`` follows the request's own URL.
    public_url: str | None = None
    #: Each tenant's snapshots as last written to the store (see ``_persist_snapshots``).
    _stored_snapshots: dict[str, dict[str, Any]] = field(
        init=False, default_factory=dict, repr=False, compare=False
    )
    #: Each tenant's integration as last written to the store: the signature of its settings
    #: (under "") and of each run (under its id).
    _stored_integrations: dict[str, dict[str, tuple[object, ...]]] = field(
        init=False, default_factory=dict, repr=False, compare=False
    )
    #: Freeze seeded objects out of the garbage collector (``zohosim serve`` sets it; see ``freeze``).
    freeze_seeded: bool = False

    def __post_init__(self) -> None:
        self.accounts = Accounts(clock=self.clock, rng=random.Random(f"accounts:{self.seed}"))
        self.faults = FaultInjector(seed=self.seed)
        self.notifier = Notifier(
            dispatcher=Dispatcher(clock=self.clock, faults=self.faults, log=self.request_log)
        )

    def create_tenant(
        self,
        *,
        seed: int | None = None,
        sizes: Sizes | None = None,
        tenant_id: str | None = None,
        redirect_uri: str | None = None,
        books_edition: str = DEFAULT_EDITION,
        orgs: tuple[CrmOrg, BooksOrg] | None = None,
    ) -> Tenant:
        """A new tenant, seeded here, or with ``orgs`` already seeded (by ``seed_org_pair`` with the
        same seed and sizes, e.g. in a worker thread, so that the event loop goes on serving)."""
        tenant_id = tenant_id or self._free_tenant_id()
        if not TENANT_ID.fullmatch(tenant_id):
            raise ValueError(f"tenant id {tenant_id!r} is not {TENANT_ID_RULE}")
        if tenant_id in self.tenants:
            raise ValueError(f"tenant {tenant_id!r} already exists")
        seed = self.seed if seed is None else seed
        sizes = sizes or Sizes()
        if books_edition not in EDITIONS:
            raise ValueError(f"unknown Books edition {books_edition!r}; one of: {', '.join(EDITIONS)}")
        crm, books = orgs or seed_org_pair(
            seed=seed, sizes=sizes, clock=self.clock, books_edition=books_edition
        )
        client = self.accounts.register_client(tenant_id=tenant_id, redirect_uri=redirect_uri)
        refresh = self.accounts.issue_refresh_token(client, scopes=scopes.DEFAULT)
        tenant = Tenant(tenant_id, seed, sizes, crm, books, client, refresh)
        self.tenants[tenant_id] = tenant
        self.freeze()
        return tenant

    def _free_tenant_id(self) -> str:
        """``t1``, ``t2``, ...: the first one not taken (tenants may be deleted, or named by hand)."""
        number = len(self.tenants) + 1
        while f"t{number}" in self.tenants:
            number += 1
        return f"t{number}"

    def delete_tenant(self, tenant_id: str) -> None:
        self.notifier.forget(self.tenants.pop(tenant_id))
        self.accounts.forget_tenant(tenant_id)
        self._stored_snapshots.pop(tenant_id, None)
        self._stored_integrations.pop(tenant_id, None)
        if self.store is not None:
            self.store.forget(tenant_id)

    def reset_tenant(
        self,
        tenant_id: str,
        *,
        seed: int | None = None,
        sizes: Sizes | None = None,
        orgs: tuple[CrmOrg, BooksOrg] | None = None,
    ) -> Tenant:
        """Back to the state it was created in: seeded data, no snapshots, limits off and unused.
        With ``seed`` and/or ``sizes``, re-seed it differently from now on. Credentials stay valid.
        ``orgs``: already seeded by ``reseeding`` (e.g. in a worker thread), as ``create_tenant``."""
        tenant = self.tenants[tenant_id]
        tenant.seed = tenant.seed if seed is None else seed
        tenant.sizes = sizes or tenant.sizes
        self.notifier.forget(tenant)
        tenant.replace_orgs(*(orgs or self.reseeding(tenant)()))
        tenant.crm_limits = CrmLimits()
        tenant.books_limits = BooksLimits(time_zone=tenant.books.time_zone)
        tenant.snapshots.clear()
        tenant.bulk_reads = BulkReads()
        tenant.integration = CrmIntegration()
        self.freeze()
        return tenant

    def reseeding(
        self, tenant: Tenant, *, seed: int | None = None, sizes: Sizes | None = None
    ) -> Callable[[], tuple[CrmOrg, BooksOrg]]:
        """The seeding of ``tenant``'s orgs that ``reset_tenant`` with that seed and sizes does;
        it touches nothing shared, so a worker thread may run it."""
        return partial(
            seed_org_pair,
            seed=tenant.seed if seed is None else seed,
            sizes=sizes or tenant.sizes,
            clock=self.clock,
            books_edition=tenant.books.profile.edition,
        )

    def freeze(self, *, collect: bool = False) -> None:
        """With ``freeze_seeded``, move every object alive now out of the GC's reach (``gc.freeze``).

        A full collection walks every object the GC tracks: on an org of 1M records it stalls the
        event loop for over a second. Frozen objects are never walked again; refcounting still
        frees them when a reset or import drops them (records hold no cycles). ``collect`` first
        frees what is already garbage, so that it is not frozen for good (start-up only: it is a
        full collection)."""
        if not self.freeze_seeded:
            return
        if collect:
            gc.collect()
        gc.freeze()

    def tenant_of(self, *, authorization: str | None, client_id: str | None = None) -> Tenant | None:
        """Whose request this is, for the log, faults and limits; expired tokens still tell."""
        token = self.accounts.access_tokens.get(_bearer(authorization) or "")
        owner = token.tenant_id if token else None
        if owner is None and client_id in self.accounts.clients:
            owner = self.accounts.clients[client_id].tenant_id
        return self.tenants.get(owner) if owner else None

    def authenticate(self, authorization: str | None) -> tuple[Tenant, AccessToken]:
        """Resolve an ``Authorization: Zoho-oauthtoken …`` header to its tenant, or raise AuthError."""
        token = _bearer(authorization)
        access = self.accounts.authenticate(token)
        tenant = self.tenants.get(access.tenant_id)
        if tenant is None:
            raise AuthError("invalid")
        return tenant, access


def _bearer(authorization: str | None) -> str | None:
    if not authorization:
        return None
    lowered = authorization.lower()
    for prefix in _AUTH_PREFIXES:
        if lowered.startswith(prefix):
            return authorization[len(prefix) :].strip() or None
    return None


_SERVER = "__server__"


def attach_store(sim: Simulator, store: Store) -> bool:
    """Serve from ``store``: load what it holds (True), or start persisting into an empty one (False)."""
    sim.store = store
    sim._stored_snapshots.clear()
    sim._stored_integrations.clear()
    accounts = store.load(_SERVER, "accounts")
    if accounts is None:
        persist(sim)
        return False
    _load_all(sim, store, accounts)
    return True


def _load_all(sim: Simulator, store: Store, accounts: dict[str, Any]) -> None:
    """Make the simulator's state the store's: the accounts server, the clock and every tenant."""
    sim.accounts.load_json(accounts)
    _restore_clock(sim, store.load(_SERVER, "clock"))
    sim.tenants.clear()
    sim._stored_snapshots.clear()
    sim._stored_integrations.clear()
    for owner in store.owners():
        if owner != _SERVER:
            tenant = sim.tenants[owner] = _load_tenant(sim, store, owner)
            sim._stored_snapshots[owner] = dict(tenant.snapshots)
            sim._stored_integrations[owner] = {
                "": tenant.integration.signature(),
                **{run.run_id: run.signature() for run in tenant.integration.history},
            }


#: The store parts of a tenant's integration: its settings, and each of its runs (by run id).
INTEGRATION, INTEGRATION_RUN = "integration", "integration-run:"
#: A tenant's store parts besides its "tenant" metadata: its CRM org, its Books org, its snapshots
#: and its Books CRM integration.
PARTS = ("crm", "books", "snapshots", "integration")


def persist(sim: Simulator, tenant: Tenant | None = None, *, services: tuple[str, ...] = PARTS) -> None:
    """Write through to the store (if any): the accounts server, the clock, and one tenant or all.

    ``services`` names the tenant's parts to write (see ``PARTS``); an API write names its service.
    A write that can't be saved (a full disk, a read-only store) is undone in memory too: the state
    is loaded back from the store, which holds the last write that was saved, and the error goes on
    up, so that the request that made the write fails.
    """
    store = sim.store
    if store is None:
        return
    try:
        with store.atomic():
            store.save(_SERVER, "accounts", sim.accounts.to_json())
            store.save(_SERVER, "clock", {"now": sim.clock.now().isoformat(), "frozen": sim.clock.frozen})
            for each in [tenant] if tenant else list(sim.tenants.values()):
                store.save(each.tenant_id, "tenant", _tenant_meta(each))
                for service in services:
                    if service == "snapshots":
                        _persist_snapshots(sim, store, each)
                    elif service == "integration":
                        _persist_integration(sim, store, each)
                    else:
                        store.save(each.tenant_id, service, getattr(each, service).to_json())
    except (sqlite3.Error, OSError):
        _load_all(sim, store, store.load(_SERVER, "accounts") or sim.accounts.to_json())
        raise


def _persist_snapshots(sim: Simulator, store: Store, tenant: Tenant) -> None:
    """Write the tenant's snapshots, ``{name: export}``, unless they are the ones last written.

    A snapshot is never changed once taken (taking one under the same name replaces it), so the
    same names holding the same documents mean nothing changed; this saves splitting every
    snapshot again on every control-plane write.
    """
    stored = sim._stored_snapshots.get(tenant.tenant_id)
    current = tenant.snapshots
    if (
        stored is not None
        and list(stored) == list(current)
        and all(stored[name] is document for name, document in current.items())
    ):
        return
    store.save(tenant.tenant_id, "snapshots", current)
    sim._stored_snapshots[tenant.tenant_id] = dict(current)  # holds the documents: no id is reused


def _persist_integration(sim: Simulator, store: Store, tenant: Tenant) -> None:
    """Write what changed of the tenant's integration: its settings, and each run as it begins and
    ends (a run is its own part, so that a long history is not written again on every change)."""
    integration, owner = tenant.integration, tenant.tenant_id
    saved = sim._stored_integrations.setdefault(owner, {})
    signature = integration.signature()
    if saved.get("") != signature:
        store.save(owner, INTEGRATION, stored_integration.settings(integration))
        saved[""] = signature
    runs = {run.run_id: run for run in integration.history}
    for run_id, run in runs.items():
        if saved.get(run_id) != run.signature():
            store.save(owner, f"{INTEGRATION_RUN}{run_id}", stored_integration.run_document(run))
            saved[run_id] = run.signature()
    for run_id in [key for key in saved if key and key not in runs]:
        store.forget_part(owner, f"{INTEGRATION_RUN}{run_id}")
        del saved[run_id]


def integration_memory(sim: Simulator, tenant_id: str) -> Path | None:
    """Where a tenant's integration keeps the syncer's memory: a file beside the store, if any."""
    return None if sim.store is None else sim.store.path.parent / "integration" / f"{tenant_id}.sqlite3"


def _load_integration(sim: Simulator, store: Store, tenant_id: str) -> CrmIntegration | None:
    """The tenant's saved integration; None in a store from before it was kept."""
    document = store.load(tenant_id, INTEGRATION)
    if document is None:
        return None
    if isinstance(document.get("history"), list):
        runs = (store.load(tenant_id, f"{INTEGRATION_RUN}{run_id}") for run_id in document["history"])
        document["history"] = [run for run in runs if run is not None]
    try:
        return stored_integration.load(document, memory=integration_memory(sim, tenant_id))
    except stored_integration.InvalidIntegration as exc:
        raise InvalidState(f"the store at {store.path}, tenant {tenant_id!r}: {exc}") from exc


def _tenant_meta(tenant: Tenant) -> dict[str, Any]:
    return {
        "seed": tenant.seed,
        "sizes": asdict(tenant.sizes),
        "client_id": tenant.client.client_id,
        "refresh_token": tenant.refresh_token.token,
        "limits": {"crm": raw_settings(tenant.crm_limits), "books": raw_settings(tenant.books_limits)},
    }


def _load_tenant(sim: Simulator, store: Store, tenant_id: str) -> Tenant:
    meta, crm, books = (store.load(tenant_id, part) for part in ("tenant", "crm", "books"))
    if meta is None or crm is None or books is None:
        raise InvalidState(f"the store at {store.path} has an incomplete tenant {tenant_id!r}")
    tenant = Tenant(
        tenant_id=tenant_id,
        seed=meta["seed"],
        sizes=Sizes(**meta["sizes"]),
        crm=CrmOrg.from_json(crm, clock=sim.clock),
        books=BooksOrg.from_json(books, clock=sim.clock),
        client=sim.accounts.clients[meta["client_id"]],
        refresh_token=sim.accounts.refresh_tokens[meta["refresh_token"]],
        snapshots=store.load(tenant_id, "snapshots") or {},  # none in a store from before they were kept
    )
    configure(tenant.crm_limits, meta["limits"]["crm"])
    configure(tenant.books_limits, meta["limits"]["books"])
    tenant.integration = _load_integration(sim, store, tenant_id) or tenant.integration
    return tenant


def _restore_clock(sim: Simulator, saved: dict[str, Any] | None) -> None:
    """Time never runs backwards across a restart; a frozen clock comes back where it stood."""
    if saved is None:
        return
    when = parse_datetime(saved["now"])
    if (saved["frozen"] and sim.clock.frozen) or when > sim.clock.now():
        sim.clock.set(when)
