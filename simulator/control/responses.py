"""The control plane: tenants, reset, clock, and the settings tests need to arrange a scenario."""

from __future__ import annotations

from dataclasses import asdict, fields
from functools import partial
from typing import Any

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import Response

from simulator.books import customfields
from simulator.books.editions import DEFAULT_EDITION, EDITIONS
from simulator.clock import ClockRangeError, parse_datetime
from simulator.control.errors import BadRequest, IntegrationConflict, TenantExists, UnknownTenant
from simulator.crm.render import view_detail
from simulator.errors import ZohoError
from simulator.faults import InvalidRule
from simulator.http import BodyError, json_response, read_json
from simulator.integration.models import RunInProgress
from simulator.integration.runner import start_due_runs
from simulator.limits import InvalidLimits, configure
from simulator.requestlog import entries_json
from simulator.tenants import (
    TENANT_ID,
    TENANT_ID_RULE,
    InvalidState,
    Simulator,
    Sizes,
    Tenant,
    integration_memory,
    seed_org_pair,
)

_SIZE_FIELDS = {f.name: f.type for f in fields(Sizes)}


async def health(request: Request) -> Response:
    return json_response({"status": "ok"})


async def list_tenants(request: Request) -> Response:
    sim = _sim(request)
    return json_response({"tenants": [t.credentials() for t in sim.tenants.values()]})


async def create_tenant(request: Request) -> Response:
    sim = _sim(request)
    body = await _body(request, required=False)
    tenant_id = body.get("tenant_id")
    if tenant_id is not None and not (isinstance(tenant_id, str) and TENANT_ID.fullmatch(tenant_id)):
        raise BadRequest(f"'tenant_id' must be {TENANT_ID_RULE}, e.g. \"t2\" or \"acme-test\"")
    if tenant_id is not None and tenant_id in sim.tenants:
        raise TenantExists(tenant_id)
    redirect_uri = body.get("redirect_uri")
    if redirect_uri is not None and not (
        isinstance(redirect_uri, str) and redirect_uri.startswith(("http://", "https://"))
    ):
        raise BadRequest("'redirect_uri' must be an http(s) URL: the one your OAuth client registers")
    seed, sizes, edition = _int(body, "seed", optional=True), _sizes(body), _books_edition(body)
    # Seeding a big tenant takes seconds: a worker thread does it, so other tenants are served meanwhile.
    seed = sim.seed if seed is None else seed
    seeding = partial(seed_org_pair, seed=seed, sizes=sizes, clock=sim.clock, books_edition=edition)
    orgs = await anyio.to_thread.run_sync(seeding)
    if tenant_id is not None and tenant_id in sim.tenants:  # created by another request meanwhile
        raise TenantExists(tenant_id)
    tenant = sim.create_tenant(
        seed=seed,
        sizes=sizes,
        tenant_id=tenant_id,
        redirect_uri=redirect_uri,
        books_edition=edition,
        orgs=orgs,
    )
    return json_response(tenant.credentials(), status_code=201)


async def get_tenant(request: Request) -> Response:
    return json_response(_tenant(request).credentials())


async def delete_tenant(request: Request) -> Response:
    tenant = _tenant(request)
    _sim(request).delete_tenant(tenant.tenant_id)
    return json_response({"deleted": tenant.tenant_id})


async def reset(request: Request) -> Response:
    """Every tenant (or the one named) back to its seeded state."""
    sim = _sim(request)
    body = await _body(request, required=False)
    wanted = body.get("tenant_id")
    if wanted is not None and wanted not in sim.tenants:
        raise UnknownTenant(wanted)
    ids = [wanted] if wanted else list(sim.tenants)
    done = []
    for tenant_id in ids:
        if tenant_id in sim.tenants:  # a tenant may be deleted while another one seeds
            await _reseed(sim, sim.tenants[tenant_id])
            done.append(tenant_id)
    return json_response({"reset": done})


async def reset_tenant(request: Request) -> Response:
    """Reset one tenant; ``{"seed": 7, "sizes": {...}}`` (optional) re-seeds it differently."""
    tenant = _tenant(request)
    body = await _body(request, required=False)
    sizes = _sizes(body) if "sizes" in body else None
    await _reseed(_sim(request), tenant, seed=_int(body, "seed", optional=True), sizes=sizes)
    return json_response({"reset": [tenant.tenant_id], "seed": tenant.seed})


async def _reseed(
    sim: Simulator, tenant: Tenant, *, seed: int | None = None, sizes: Sizes | None = None
) -> None:
    """Reset a tenant, seeding its new orgs in a worker thread (a big org takes seconds), so
    the other tenants are served meanwhile."""
    orgs = await anyio.to_thread.run_sync(sim.reseeding(tenant, seed=seed, sizes=sizes))
    if sim.tenants.get(tenant.tenant_id) is not tenant:  # deleted (or replaced) meanwhile
        raise UnknownTenant(tenant.tenant_id)
    sim.reset_tenant(tenant.tenant_id, seed=seed, sizes=sizes, orgs=orgs)


async def clock(request: Request) -> Response:
    """GET reads the clock; POST takes any of ``{"set": iso, "advance": seconds, "frozen": bool}``."""
    sim = _sim(request)
    if request.method == "POST":
        body = await _body(request)
        if "set" in body:
            try:
                when = parse_datetime(str(body["set"]))
            except ValueError as exc:
                raise BadRequest("'set' must be an ISO-8601 datetime, e.g. 2026-01-15T09:00:00Z") from exc
            try:
                sim.clock.set(when)
            except ClockRangeError as exc:
                raise BadRequest(f"'set' is out of range: {exc}") from None
        if "advance" in body:
            seconds = body["advance"]
            if isinstance(seconds, bool) or not isinstance(seconds, int | float) or not seconds >= 0:
                raise BadRequest("'advance' must be a number of seconds >= 0")
            try:
                sim.clock.advance(seconds)
            except ValueError as exc:
                raise BadRequest(f"'advance' is out of range: {exc}") from None
        if "frozen" in body:
            sim.clock.freeze(bool(body["frozen"]))
        started = await _run_due_integrations(request)
        return json_response({"now": sim.clock.now().isoformat(), "frozen": sim.clock.frozen, **started})
    return json_response({"now": sim.clock.now().isoformat(), "frozen": sim.clock.frozen})


async def _run_due_integrations(request: Request) -> dict[str, Any]:
    """The Books CRM integrations' scheduled runs the clock's move made due, run to the end."""
    started = start_due_runs(request.app, _sim(request))
    for _, run in started:
        await run.done.wait()
    return {"integration_runs": [{"tenant_id": t.tenant_id, "run_id": run.run_id} for t, run in started]}


async def create_view(request: Request) -> Response:
    """Create a CRM custom view: ``{"module", "name", "criteria", "sort_by"?, "sort_order"?}``."""
    tenant = _tenant(request)
    body = await _body(request)
    for key in ("module", "name", "criteria"):
        if key not in body:
            raise BadRequest(f"'{key}' is required (module, name and criteria in Zoho's custom-view shape)")
    try:
        view = tenant.crm.create_view(
            body["module"],
            name=body["name"],
            criteria=body["criteria"],
            sort_by=body.get("sort_by"),
            sort_order=body.get("sort_order"),
        )
    except ZohoError as exc:
        raise BadRequest(f"the view was refused: {exc.body()}") from exc
    return json_response({"custom_view": view_detail(tenant.crm, view)}, status_code=201)


async def books_settings(request: Request) -> Response:
    """The Books org's settings: duplicate names, and its custom fields (a PUT adds the ones listed)."""
    books = _tenant(request).books
    if request.method == "PUT":
        body = await _body(request)
        if not body or not set(body) <= {"allow_duplicate_names", "custom_fields"}:
            raise BadRequest("give 'allow_duplicate_names' (true or false) and/or 'custom_fields' (a list)")
        value = body.get("allow_duplicate_names", books.allow_duplicate_names)
        if not isinstance(value, bool):
            raise BadRequest("'allow_duplicate_names' must be true or false")
        try:
            added = customfields.definitions_from(books, body.get("custom_fields", []))
        except ValueError as exc:
            raise BadRequest(str(exc)) from None
        books.allow_duplicate_names = value
        books.custom_fields.extend(added)
    return json_response(
        {
            "allow_duplicate_names": books.allow_duplicate_names,
            "edition": books.profile.edition,
            "custom_fields": [asdict(definition) for definition in books.custom_fields],
        }
    )


def _sim(request: Request) -> Simulator:
    return request.app.state.simulator


def _tenant(request: Request) -> Tenant:
    tenant_id = request.path_params["tenant_id"]
    tenant = _sim(request).tenants.get(tenant_id)
    if tenant is None:
        raise UnknownTenant(tenant_id)
    return tenant


async def _body(request: Request, *, required: bool = True) -> dict[str, Any]:
    try:
        body = await read_json(request)
    except BodyError as exc:
        if not required and str(exc) == "empty":
            return {}
        raise BadRequest("the body must be a JSON object") from exc
    if not isinstance(body, dict):
        raise BadRequest("the body must be a JSON object")
    return body


def _int(body: dict[str, Any], key: str, *, optional: bool = False) -> int | None:
    value = body.get(key)
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise BadRequest(f"'{key}' must be a whole number >= 0")
    return value


def _books_edition(body: dict[str, Any]) -> str:
    edition = body.get("books_edition", DEFAULT_EDITION)
    if edition not in EDITIONS:
        raise BadRequest(f"'books_edition' must be one of: {', '.join(EDITIONS)}")
    return edition


def _sizes(body: dict[str, Any]) -> Sizes:
    given = body.get("sizes", {})
    if not isinstance(given, dict) or not set(given) <= set(_SIZE_FIELDS):
        raise BadRequest(f"'sizes' takes only these keys: {', '.join(_SIZE_FIELDS)}")
    values: dict[str, Any] = {}
    for key, value in given.items():
        if key == "books_overlap":
            if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
                raise BadRequest("'books_overlap' must be a fraction between 0 and 1")
            values[key] = float(value)
        else:
            values[key] = _int(given, key)
    return Sizes(**values)


async def list_faults(request: Request) -> Response:
    return json_response({"faults": [rule.to_json() for rule in _sim(request).faults.rules.values()]})


async def add_fault(request: Request) -> Response:
    """Add a fault rule; see FaultRule for the keys (effect, service, method, path, tenant_id, ...)."""
    sim = _sim(request)
    body = await _body(request)
    if body.get("tenant_id") is not None and body["tenant_id"] not in sim.tenants:
        raise UnknownTenant(body["tenant_id"])
    try:
        rule = sim.faults.add(body)
    except InvalidRule as exc:
        raise BadRequest(str(exc)) from exc
    return json_response(rule.to_json(), status_code=201)


async def delete_fault(request: Request) -> Response:
    rule_id = request.path_params["rule_id"]
    if not _sim(request).faults.remove(rule_id):
        raise BadRequest(f"no fault rule {rule_id!r}: GET /__zohosim/faults lists them")
    return json_response({"deleted": rule_id})


async def clear_faults(request: Request) -> Response:
    _sim(request).faults.clear()
    return json_response({"deleted": "all"})


async def list_requests(request: Request) -> Response:
    """The request log, filtered by ``tenant_id``, ``service``, ``method``, ``path_contains``,
    ``writes_only``, ``since_seq`` and ``direction`` (inbound, outbound) (query parameters)."""
    params = request.query_params
    since = params.get("since_seq", "0")
    if not (since.isascii() and since.isdigit()):
        raise BadRequest("'since_seq' must be a whole number")
    entries = _sim(request).request_log.filter(
        tenant_id=params.get("tenant_id"),
        service=params.get("service"),
        method=params.get("method"),
        source=params.get("source"),
        path_contains=params.get("path_contains"),
        writes_only=params.get("writes_only", "").lower() == "true",
        since_seq=int(since),
        direction=params.get("direction"),
    )
    return json_response({"requests": entries_json(entries), "last_seq": _sim(request).request_log.last_seq})


async def clear_requests(request: Request) -> Response:
    _sim(request).request_log.clear(tenant_id=request.query_params.get("tenant_id"))
    return json_response({"cleared": True})


async def limits(request: Request) -> Response:
    """GET reads a tenant's limits; PUT sets them: ``{"crm": {...}, "books": {"enabled": true}}``."""
    tenant = _tenant(request)
    if request.method == "PUT":
        body = await _body(request)
        unknown = set(body) - {"crm", "books"}
        if unknown:
            raise BadRequest(f"unknown keys {sorted(unknown)}: give 'crm' and/or 'books'")
        try:
            for service, target in (("crm", tenant.crm_limits), ("books", tenant.books_limits)):
                if service in body:
                    configure(target, body[service])
        except InvalidLimits as exc:
            raise BadRequest(str(exc)) from exc
    return json_response({"crm": tenant.crm_limits.settings(), "books": tenant.books_limits.settings()})


async def export_tenant(request: Request) -> Response:
    return json_response(_tenant(request).export_state())


async def import_tenant(request: Request) -> Response:
    tenant = _tenant(request)
    document = await _body(request)
    try:
        tenant.import_state(document, clock=_sim(request).clock)
    except InvalidState as exc:
        raise BadRequest(f"{exc}: pass what GET /__zohosim/tenants/{{id}}/export returned") from exc
    _sim(request).freeze()
    return json_response({"imported": tenant.tenant_id})


async def list_snapshots(request: Request) -> Response:
    return json_response({"snapshots": sorted(_tenant(request).snapshots)})


async def take_snapshot(request: Request) -> Response:
    """Save the tenant's state under a name: ``{"name": "before-sync"}``."""
    tenant = _tenant(request)
    name = (await _body(request)).get("name")
    if not isinstance(name, str) or not name:
        raise BadRequest("'name' must be a non-empty string")
    tenant.take_snapshot(name)
    return json_response({"snapshot": name}, status_code=201)


async def restore_snapshot(request: Request) -> Response:
    tenant, name = _tenant(request), request.path_params["name"]
    _snapshot(tenant, name)
    try:
        memory = integration_memory(_sim(request), tenant.tenant_id)
        tenant.restore_snapshot(name, clock=_sim(request).clock, memory=memory)
    except RunInProgress as exc:
        raise IntegrationConflict(exc.code, f"{exc}: restore the snapshot after it") from exc
    except InvalidState as exc:
        raise BadRequest(f"snapshot {name!r} does not load: {exc}") from exc
    return json_response({"restored": name})


async def delete_snapshot(request: Request) -> Response:
    tenant = _tenant(request)
    _snapshot(tenant, request.path_params["name"])
    del tenant.snapshots[request.path_params["name"]]
    return json_response({"deleted": request.path_params["name"]})


def _snapshot(tenant: Tenant, name: str) -> dict[str, Any]:
    if name not in tenant.snapshots:
        raise BadRequest(f"no snapshot {name!r} on tenant {tenant.tenant_id!r}: GET .../snapshots lists them")
    return tenant.snapshots[name]
