"""The integration as JSON, for the store (``--data-dir``) and for snapshots: the connection, each
module's configuration and place in the schedule, and the run history with its per-record
outcomes and changes.

The format is versioned (``FORMAT``); a document without one (a store or a snapshot from before
the integration was kept) is not read at all, and keys this version does not know are ignored.
The syncer's memory between runs (links, checkpoints) is not in it: it is a SQLite file of its own
(``memory``) with ``--data-dir``, and in RAM otherwise.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Any

from simulator.clock import parse_datetime
from simulator.integration.changes import Change
from simulator.integration.models import HISTORY, CrmIntegration, ModuleSetting, Run
from syncer.config import ConfigError, ModuleSync, parse_module_sync
from syncer.plan import Action
from syncer.report import Report, Row

FORMAT = "zohosim-integration/1"
#: What a run that was going when the server stopped says, once loaded.
INTERRUPTED = "the server stopped before the run finished"


class InvalidIntegration(ValueError):
    """A document that is not a saved integration of this version."""


def dump(integration: CrmIntegration) -> dict[str, Any]:
    """The whole integration, its runs within (a snapshot)."""
    return settings(integration) | {"history": [run_document(run) for run in integration.history]}


def settings(integration: CrmIntegration) -> dict[str, Any]:
    """The integration with its history as run ids: the store keeps each run on its own, written
    once it has ended, rather than the whole history on every change of a setting."""
    return {
        "format": FORMAT,
        "connected": integration.connected,
        "runs": integration.runs_started,
        "modules": {
            module: {
                "sync": _sync(setting.sync),
                "next_run": _time(setting.next_run),
                "last_run": setting.last_run,
            }
            for module, setting in integration.modules.items()
        },
        "history": [run.run_id for run in integration.history],
    }


def load(document: Any, *, memory: Path | None = None) -> CrmIntegration:
    """The integration a ``dump`` describes (or ``settings``, with each run id replaced by its
    ``run_document``), connected with the syncer's memory in the file ``memory`` (or in RAM);
    raises ``InvalidIntegration`` naming what is wrong."""
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise InvalidIntegration(f"not a saved integration: expected an object whose format is {FORMAT!r}")
    try:
        integration = CrmIntegration(runs_started=int(document["runs"]))
        if document["connected"]:
            integration.resume(memory=memory)
        for module, saved in document["modules"].items():
            integration.modules[module] = ModuleSetting(
                _parse_sync(saved["sync"], f"modules.{module}"),
                next_run=_parse_time(saved["next_run"]),
                last_run=saved["last_run"],
            )
        integration.history.extend(_parse_run(saved) for saved in document["history"][:HISTORY])
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise InvalidIntegration(f"the saved integration does not load: {type(exc).__name__}: {exc}") from exc
    return integration


def _sync(sync: ModuleSync) -> dict[str, Any]:
    """The configuration as ``parse_module_sync`` reads it: maps as lists of pairs, unset options left out."""
    return {
        key: list(value) if isinstance(value, tuple) else value
        for key, value in asdict(sync).items()
        if value is not None
    }


def _parse_sync(data: Any, where: str) -> ModuleSync:
    try:
        return parse_module_sync(data, where=where)
    except ConfigError as exc:
        raise InvalidIntegration(f"the saved integration has a bad configuration: {exc}") from exc


def run_document(run: Run) -> dict[str, Any]:
    rows = list(run.report.rows)
    return {
        "id": run.run_id,
        "trigger": run.trigger,
        "syncs": [_sync(sync) for sync in run.syncs],
        "modules": list(run.modules),
        "status": run.status,
        "started": _time(run.started),
        "finished": _time(run.finished),
        "error": run.error,
        "requests": [run.first_seq, run.last_seq],
        "calls": dict(run.report.calls),
        "rows": [
            [row.sync, row.action.value, row.crm_module, row.crm_id, row.books_id, row.name, row.reason]
            for row in rows
        ],
        "changes": [
            [n, [[c.field, c.before, c.after] for c in run.changes[row]]]
            for n, row in enumerate(rows)
            if row in run.changes
        ],
        "changes_capped": run.changes_capped,
    }


def _parse_run(saved: dict[str, Any]) -> Run:
    rows = [Row(sync, Action(action), *rest) for sync, action, *rest in saved["rows"]]
    first_seq, last_seq = saved["requests"]
    run = Run(
        run_id=saved["id"],
        trigger=saved["trigger"],
        syncs=tuple(_parse_sync(sync, f"history.{saved['id']}") for sync in saved["syncs"]),
        modules=tuple(saved["modules"]),
        started=parse_datetime(saved["started"]),
        first_seq=first_seq,
        report=Report(rows=rows, calls=dict(saved["calls"])),
        status=saved["status"],
        finished=_parse_time(saved["finished"]),
        last_seq=last_seq,
        error=saved["error"],
        changes={rows[n]: tuple(Change(*change) for change in changes) for n, changes in saved["changes"]},
        changes_capped=bool(saved["changes_capped"]),
    )
    if run.status == "running":
        run.status, run.error = "failed", INTERRUPTED
    run.done.set()
    return run


def _time(when: datetime | None) -> str | None:
    return when.isoformat() if when else None


def _parse_time(text: str | None) -> datetime | None:
    return parse_datetime(text) if text else None
