"""Books' own "Zoho CRM" integration, per tenant: the connection, a module sync configuration for
each of Books' Contacts (customers), Vendors and Items, their two-hourly schedule, and the history
of runs. Pure state: the runner (``simulator.integration.runner``) runs the engine; nothing here
knows of HTTP.

A module's configuration is the reference syncer's own ``ModuleSync`` (parsed and validated by
``syncer.config``), so the options and their meaning are the contract's.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from fieldmap import SPEC_BY_MODULE
from simulator.books.models import BooksOrg
from simulator.integration.changes import Change
from syncer.config import DEFAULT_INTERVAL, MODULES, ModuleSync
from syncer.plan import Action
from syncer.report import Report, Row
from syncer.schedule import next_tick
from syncer.state import SyncState

#: Real Books syncs every two hours after the first sync.
INTERVAL = DEFAULT_INTERVAL
#: Runs the history keeps; older ones fall off.
HISTORY = 50


class IntegrationRefused(Exception):
    """An action the integration's state does not allow now; ``code`` names the case."""

    code = "refused"


class NotConnected(IntegrationRefused):
    code = "not_connected"

    def __init__(self) -> None:
        super().__init__("Books is not connected to Zoho CRM: connect first ({'connected': true})")


class NotConfigured(IntegrationRefused):
    code = "not_configured"

    def __init__(self, module: str | None = None) -> None:
        what = f"the {module} module has no" if module else "no module has a"
        super().__init__(f"{what} sync configuration: save one in 'modules' first")


class RunInProgress(IntegrationRefused):
    code = "run_in_progress"

    def __init__(self, run_id: str) -> None:
        super().__init__(f"run {run_id} is still running: one run at a time; wait for it to finish")


@dataclass
class ModuleSetting:
    """One Books module's configuration and its place in the schedule."""

    sync: ModuleSync
    next_run: datetime | None = None
    last_run: str | None = None


@dataclass
class Run:
    """One sync: which modules, why, and, row by row, what became of each record."""

    run_id: str
    trigger: str  # "sync_now" or "schedule"
    syncs: tuple[ModuleSync, ...]
    modules: tuple[str, ...]
    started: datetime
    first_seq: int
    report: Report = field(default_factory=Report)
    status: str = "running"
    finished: datetime | None = None
    last_seq: int | None = None
    error: str | None = None
    #: What each record the run wrote became (see ``simulator.integration.changes``), once it ended.
    changes: dict[Row, tuple[Change, ...]] = field(default_factory=dict, repr=False)
    #: Whether more records changed than the run keeps (``changes.CAP``).
    changes_capped: bool = False
    #: Set when the run ends, for those who wait for it (on the simulator's event loop).
    done: asyncio.Event = field(default_factory=asyncio.Event, repr=False, compare=False)

    def signature(self) -> tuple[object, ...]:
        """Equal for two states of the run when the store need not write it again: a running run
        is written as it begins (its rows grow with every record: writing them on every control
        write would cost a whole run's rows each time), then once it has ended."""
        if self.status == "running":
            return (self.status,)
        return (self.status, len(self.report.rows), len(self.changes), self.changes_capped)

    @property
    def sync_by_label(self) -> dict[str, ModuleSync]:
        return {sync.label: sync for sync in self.syncs}

    @property
    def module_by_label(self) -> dict[str, str]:
        """The Books module of each module sync (report rows name their sync by its label)."""
        return {sync.label: module for module, sync in zip(self.modules, self.syncs, strict=True)}

    def rows(self, *, module: str | None = None, outcome: str | None = None) -> list[Row]:
        labels = {label for label, m in self.module_by_label.items() if module in (None, m)}
        return [
            row
            for row in list(self.report.rows)  # a copy: the engine may be adding rows meanwhile
            if row.sync in labels and outcome in (None, row.action.value)
        ]


@dataclass
class CrmIntegration:
    """A tenant's Books → Settings → Integrations → Zoho CRM."""

    connected: bool = False
    modules: dict[str, ModuleSetting] = field(default_factory=dict)
    history: deque[Run] = field(default_factory=lambda: deque(maxlen=HISTORY))
    #: What the integration remembers between runs (links, checkpoints): made on connecting.
    state: SyncState | None = None
    running: Run | None = None
    #: Runs begun so far: run ids are never reused.
    runs_started: int = 0

    def connect(self, *, memory: Path | None = None) -> None:
        """Connect, with the syncer's memory empty: in the file ``memory`` (kept across restarts;
        it may hold an earlier connection's, which is forgotten), or in RAM."""
        if not self.connected:
            self.resume(memory=memory)
            assert self.state is not None
            self.state.forget_all()

    def resume(self, *, memory: Path | None) -> None:
        """Connected again as it was saved, remembering what the file ``memory`` holds."""
        self.connected, self.state = True, SyncState(memory or ":memory:")

    def disconnect(self) -> None:
        """Forget the configurations, their schedules and the links; the history stays."""
        if self.running is not None:
            raise RunInProgress(self.running.run_id)
        self.close()
        self.connected, self.state = False, None
        self.modules.clear()

    def close(self) -> None:
        """Let go of the syncer's memory: this integration is being replaced."""
        if self.state is not None:
            self.state.close()

    def configure(self, changes: Mapping[str, ModuleSync | None]) -> None:
        """Replace the named modules' configurations (None removes one); a module keeps its
        schedule and last run across a change of options."""
        if not self.connected:
            raise NotConnected()
        for module, sync in changes.items():
            if sync is None:
                self.modules.pop(module, None)
            elif module in self.modules:
                self.modules[module].sync = sync
            else:
                self.modules[module] = ModuleSetting(sync)

    def schedule_later(self, modules: Iterable[str], *, now: datetime) -> dict[str, datetime]:
        """Sync Later: the modules run at the next tick, one interval from now."""
        settings = self._settings(modules)
        for setting in settings.values():
            setting.next_run = now + timedelta(seconds=setting.sync.interval)
        return {module: setting.next_run for module, setting in settings.items() if setting.next_run}

    def due(self, now: datetime) -> list[str]:
        """The modules whose scheduled run has come (none while a run is going)."""
        if not self.connected or self.running is not None:
            return []
        return [m for m in MODULES if m in self.modules and _is_due(self.modules[m].next_run, now)]

    def begin(self, modules: Iterable[str], *, trigger: str, now: datetime, first_seq: int) -> Run:
        """Start a run of ``modules`` (every configured one when empty)."""
        if self.running is not None:
            raise RunInProgress(self.running.run_id)
        settings = self._settings(modules)
        self.runs_started += 1
        run = Run(
            run_id=f"run-{self.runs_started}",
            trigger=trigger,
            syncs=tuple(setting.sync for setting in settings.values()),
            modules=tuple(settings),
            started=now,
            first_seq=first_seq,
        )
        self.running = run
        self.history.appendleft(run)
        return run

    def end(self, run: Run, *, now: datetime, last_seq: int, error: str | None = None) -> None:
        """Close the run and put its modules back on the schedule, one interval after it started."""
        run.status, run.finished, run.last_seq, run.error = (
            ("failed" if error else "finished"),
            now,
            last_seq,
            error,
        )
        if self.running is run:
            self.running = None
        for module in run.modules:
            setting = self.modules.get(module)
            if setting is not None:
                setting.last_run = run.run_id
                setting.next_run = next_tick(run.started, setting.sync, now)

    def signature(self) -> tuple[object, ...]:
        """Equal for two states of the settings only when nothing that is saved of them changed;
        the history by its run ids (see ``Run.signature``)."""
        return (
            self.connected,
            self.runs_started,
            tuple((m, s.sync, s.next_run, s.last_run) for m, s in self.modules.items()),
            tuple(run.run_id for run in self.history),
        )

    def run(self, run_id: str) -> Run | None:
        return next((run for run in self.history if run.run_id == run_id), None)

    def _settings(self, modules: Iterable[str]) -> dict[str, ModuleSetting]:
        if not self.connected:
            raise NotConnected()
        wanted = list(modules) or [m for m in MODULES if m in self.modules]
        if not wanted:
            raise NotConfigured()
        for module in wanted:
            if module not in self.modules:
                raise NotConfigured(module)
        return {module: self.modules[module] for module in MODULES if module in wanted}


#: The outcomes after which a Books record is synced with the CRM record of its row.
LINKED = frozenset({Action.CREATED, Action.UPDATED, Action.OVERWRITTEN, Action.CLONED, Action.PUSHED})


def record_link(books: BooksOrg, row: Row) -> None:
    """Mark the Books record of a row with its CRM record's id (``zcrm_account_id``, ...), as real
    Books does for the records its integration syncs. A contact person has no such field."""
    if (
        row.action not in LINKED
        or not (row.crm_id and row.books_id)
        or row.reason.startswith("contact person")
    ):
        return
    spec = SPEC_BY_MODULE[row.crm_module or ""]
    if spec.books_collection == "items":
        books.link_item(row.books_id, zcrm_product_id=row.crm_id)
    else:
        books.link_contact(row.books_id, **{spec.link_field: row.crm_id})


def _is_due(when: datetime | None, now: datetime) -> bool:
    return when is not None and when <= now
