"""The control plane of Books' own Zoho CRM integration (docs/books-crm-integration.md):
``/__zohosim/tenants/{tenant_id}/books/crm-integration``: settings, Sync Now / Later, run history."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from fieldmap import SPECS, FieldPair
from simulator.control.errors import BadRequest, IntegrationConflict, UnknownRun
from simulator.control.responses import _body, _sim, _tenant
from simulator.http import json_response
from simulator.integration import changes as record_changes
from simulator.integration.changes import Change
from simulator.integration.models import INTERVAL, IntegrationRefused, ModuleSetting, NotConnected, Run
from simulator.integration.runner import start_run
from simulator.tenants import Tenant, integration_memory
from syncer.config import (
    CRM_SOURCES,
    DUPLICATE_MODES,
    EXTENTS,
    MODULES,
    SYNC_KEYS,
    ConfigError,
    ModuleSync,
    parse_module_sync,
)
from syncer.plan import Action

#: The options of the Books page for one module: a module sync's keys but those the page sets itself
#: (the module, from the page it is on) or has no field for (schedule, interval, name).
OPTIONS = SYNC_KEYS - {"module", "schedule", "interval", "name"}
#: The options for a CRM account's contacts: only customers synced from Accounts & their Contacts.
CONTACT_OPTIONS = frozenset({"contact_map", "person_map"})
CRM_MODULES = ("Accounts", "Contacts", "Vendors", "Products")
PAGE, MAX_PAGE = 200, 1000


async def settings(request: Request) -> Response:
    """GET the settings; PUT connects, disconnects and saves module configurations."""
    tenant = _tenant(request)
    if request.method == "PUT":
        _update(tenant, await _body(request), memory=integration_memory(_sim(request), tenant.tenant_id))
    return json_response(settings_json(tenant))


async def sync(request: Request) -> Response:
    """Sync Now (a run in the background, or waited for) or Sync Later (the next tick)."""
    sim, tenant = _sim(request), _tenant(request)
    body = await _body(request, required=False)
    if not set(body) <= {"modules", "when", "wait"}:
        raise BadRequest(
            "give any of 'modules' (a list), 'when' (\"now\" or \"later\") and 'wait' (true or false)"
        )
    modules = body.get("modules", [])
    if not isinstance(modules, list) or not all(m in MODULES for m in modules):
        raise BadRequest(f"'modules' must be a list of {list(MODULES)}, e.g. [\"customers\"]")
    when, wait = body.get("when", "now"), body.get("wait", False)
    if when not in ("now", "later"):
        raise BadRequest('\'when\' must be "now" (Sync Now) or "later" (Sync Later)')
    if not isinstance(wait, bool) or (wait and when == "later"):
        raise BadRequest('\'wait\' must be true or false, and goes only with "when": "now"')
    try:
        if when == "later":
            due = tenant.integration.schedule_later(modules, now=sim.clock.now())
            return json_response({"scheduled": {m: at.isoformat() for m, at in due.items()}})
        run = start_run(request.app, sim, tenant, modules, trigger="sync_now")
    except IntegrationRefused as exc:
        raise _conflict(exc) from exc
    if wait:
        await run.done.wait()
    return json_response({"run": run_summary(run)}, status_code=200 if wait else 202)


async def runs(request: Request) -> Response:
    return json_response({"runs": [run_summary(run) for run in _tenant(request).integration.history]})


async def run_detail(request: Request) -> Response:
    """One run with a page of its per-record outcomes (``outcome``, ``module``, ``offset``, ``limit``);
    with ``wait=true``, once it has finished."""
    run_id = request.path_params["run_id"]
    run = _tenant(request).integration.run(run_id)
    if run is None:
        raise UnknownRun(run_id)
    params = request.query_params
    wait = params.get("wait", "false")
    if wait not in ("true", "false"):
        raise BadRequest("'wait' must be true or false")
    outcome, module = params.get("outcome"), params.get("module")
    if outcome is not None and outcome not in {a.value for a in Action}:
        raise BadRequest(f"'outcome' must be one of {[a.value for a in Action]}")
    if module is not None and module not in MODULES:
        raise BadRequest(f"'module' must be one of {list(MODULES)}")
    offset = _whole(params.get("offset", "0"), "offset", low=0, high=None)
    limit = _whole(params.get("limit", str(PAGE)), "limit", low=1, high=MAX_PAGE)
    if wait == "true":
        await run.done.wait()
    rows, module_of = run.rows(module=module, outcome=outcome), run.module_by_label
    records = [
        {
            "module": module_of[row.sync],
            "outcome": row.action.value,
            "crm_module": row.crm_module,
            "crm_id": row.crm_id,
            "books_id": row.books_id,
            "name": row.name,
            "reason": row.reason,
            "changes": _changes_json(run.changes.get(row)),
        }
        for row in rows[offset : offset + limit]
    ]
    return json_response(
        {**run_summary(run), "records": records, "offset": offset, "limit": limit, "matched": len(rows)}
    )


def _update(tenant: Tenant, body: dict[str, Any], *, memory: Path | None) -> None:
    """Apply a PUT: checked whole before anything changes."""
    integration = tenant.integration
    if not body or not set(body) <= {"connected", "crm_org_id", "modules"}:
        raise BadRequest("give any of 'connected' (true or false), 'crm_org_id' and 'modules' (an object)")
    connected = body.get("connected", integration.connected)
    if not isinstance(connected, bool):
        raise BadRequest("'connected' must be true or false")
    org_id = body.get("crm_org_id")
    if org_id is not None and (not connected or str(org_id) != tenant.crm.org_id):
        raise BadRequest(
            f"'crm_org_id' must be this tenant's CRM org, {tenant.crm.org_id}, with 'connected': true"
        )
    changes = _module_changes(tenant, body["modules"]) if "modules" in body else {}
    try:
        if changes and not connected:
            raise NotConnected()
        if "connected" in body:
            integration.connect(memory=memory) if connected else integration.disconnect()
        if changes:
            integration.configure(changes)
    except IntegrationRefused as exc:
        raise _conflict(exc) from exc


def _module_changes(tenant: Tenant, raw: Any) -> dict[str, ModuleSync | None]:
    if not isinstance(raw, dict) or not raw:
        raise BadRequest('\'modules\' must be an object such as {"vendors": {"duplicates": "skip"}}')
    changes: dict[str, ModuleSync | None] = {}
    for module, options in raw.items():
        where = f"modules.{module}"
        if module not in MODULES:
            raise BadRequest(f"{where}: not a Books module of the integration; they are {list(MODULES)}")
        if options is None:
            changes[module] = None
            continue
        if not isinstance(options, dict):
            raise BadRequest(f"{where}: must be an object of options, or null to remove the configuration")
        unknown = sorted(set(options) - OPTIONS)
        if unknown:
            raise BadRequest(f"{where}.{unknown[0]}: unknown option; the options are {sorted(OPTIONS)}")
        try:
            module_sync = parse_module_sync({**options, "module": module}, where=where)
        except ConfigError as exc:
            raise BadRequest(str(exc)) from exc
        misplaced = sorted(CONTACT_OPTIONS & set(options))
        if misplaced and not module_sync.with_persons:
            raise BadRequest(
                f"{where}.{misplaced[0]}: only customers with crm_source accounts_and_contacts take it"
            )
        _check_views(tenant, module_sync, where)
        changes[module] = module_sync
    return changes


def _check_views(tenant: Tenant, module_sync: ModuleSync, where: str) -> None:
    for key, crm_module, view_id in (
        ("view", module_sync.spec.crm_module, module_sync.view),
        ("contact_view", "Contacts", module_sync.contact_view),
    ):
        if view_id is not None and tenant.crm.view(crm_module, view_id) is None:
            raise BadRequest(f"{where}.{key}: the CRM org has no {crm_module} view {view_id} (see 'views')")


def _conflict(exc: IntegrationRefused) -> IntegrationConflict:
    return IntegrationConflict(exc.code, str(exc))


def _whole(text: str, name: str, *, low: int, high: int | None) -> int:
    if not (text.isascii() and text.isdigit()) or int(text) < low or (high is not None and int(text) > high):
        bounds = f"from {low} to {high}" if high is not None else f">= {low}"
        raise BadRequest(f"'{name}' must be a whole number {bounds}")
    return int(text)


# ---- replies ---------------------------------------------------------------------------------


def settings_json(tenant: Tenant) -> dict[str, Any]:
    integration = tenant.integration
    org = {"org_id": tenant.crm.org_id, "company_name": tenant.crm.company_name}
    return {
        "tenant_id": tenant.tenant_id,
        "connected": integration.connected,
        "crm_org": org if integration.connected else None,
        "available_crm_orgs": [org],
        "interval_seconds": INTERVAL,
        "running": integration.running.run_id if integration.running else None,
        "modules": {m: _module_json(integration.modules.get(m)) for m in MODULES},
        "choices": {
            "crm_source": list(CRM_SOURCES),
            "extent": list(EXTENTS),
            "duplicates": list(DUPLICATE_MODES),
        },
        "fields": FIELDS,
        "views": {
            module: [{"id": view.id, "name": view.name} for view in tenant.crm.views_of(module)]
            for module in CRM_MODULES
        },
    }


def _module_json(setting: ModuleSetting | None) -> dict[str, Any] | None:
    if setting is None:
        return None
    sync = setting.sync
    customers = sync.module == "customers"
    out: dict[str, Any] = {}
    if customers:
        out |= {
            "crm_source": sync.crm_source,
            "include_unassociated_contacts": sync.include_unassociated_contacts,
        }
    out |= {"extent": sync.extent, "duplicates": sync.duplicates, "view": sync.view}
    if customers:
        out["contact_view"] = sync.contact_view
    out["field_map"] = _pairs(sync.field_map)
    if customers:
        out |= {"contact_map": _pairs(sync.contact_map), "person_map": _pairs(sync.person_map)}
    return out | {
        "next_run": setting.next_run.isoformat() if setting.next_run else None,
        "last_run": setting.last_run,
    }


def run_summary(run: Run) -> dict[str, Any]:
    report = run.report
    module_of = run.module_by_label
    return {
        "run_id": run.run_id,
        "trigger": run.trigger,
        "modules": list(run.modules),
        "status": run.status,
        "started": run.started.isoformat(),
        "finished": run.finished.isoformat() if run.finished else None,
        "error": run.error,
        "totals": report.totals(),
        "totals_by_module": {module_of[label]: counts for label, counts in report.totals_by_sync().items()},
        "api_calls": dict(report.calls),
        "records_total": len(report.rows),
        "changes": {"records": len(run.changes), "capped": run.changes_capped, "cap": record_changes.CAP},
        "requests": {"first_seq": run.first_seq, "last_seq": run.last_seq},
    }


def _changes_json(changes: tuple[Change, ...] | None) -> list[dict[str, Any]] | None:
    """A record's mapped fields that changed; None when the run wrote nothing there (or the
    record is gone, or its changes were past the cap)."""
    if changes is None:
        return None
    return [{"field": c.field, "before": c.before, "after": c.after} for c in changes]


def _pairs(pairs: tuple[FieldPair, ...]) -> list[list[str]]:
    return [[pair.books, pair.crm] for pair in pairs]


FIELDS = {
    "customers": {
        "books_fields": sorted(SPECS["accounts"].books_fields),
        "default_field_map": {
            "accounts": _pairs(SPECS["accounts"].default_map),
            "contacts": _pairs(SPECS["contacts"].default_map),
        },
    },
    "vendors": {
        "books_fields": sorted(SPECS["vendors"].books_fields),
        "default_field_map": _pairs(SPECS["vendors"].default_map),
    },
    "items": {
        "books_fields": sorted(SPECS["products"].books_fields),
        "default_field_map": _pairs(SPECS["products"].default_map),
    },
}
