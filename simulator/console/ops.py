"""The console's pages on the simulator's machinery: the request log, the clock, faults, a tenant's
limits and snapshots. Reads come from the domain objects; every change goes through the control
plane's handler for it (``plane.call``)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response

from simulator.console.pages import PREFIX, render, simulator, tenant
from simulator.console.plane import Reply, back, call, form_values
from simulator.requestlog import LoggedRequest

#: Entries the log page shows at once: the newest that pass the filter.
LOG_PAGE = 50
_LOG_FILTERS = ("tenant_id", "service", "method", "path_contains", "writes_only", "source")


def _log_filter(request: Request) -> dict[str, str]:
    return {key: value for key in _LOG_FILTERS if (value := request.query_params.get(key, "").strip())}


def _newest(request: Request, filters: dict[str, str]) -> list[dict[str, Any]]:
    entries = simulator(request).request_log.filter(
        tenant_id=filters.get("tenant_id"),
        service=filters.get("service"),
        method=filters.get("method"),
        path_contains=filters.get("path_contains"),
        writes_only=filters.get("writes_only") == "true",
        # who inside the simulator made a request (the Books CRM integration)
        source=filters.get("source"),
    )
    return [entry.to_json() for entry in reversed(entries[-LOG_PAGE:])]


async def request_log(request: Request) -> Response:
    filters = _log_filter(request)
    return render(
        request,
        "requests.html",
        {
            "filters": filters,
            "entries": _newest(request, filters),
            "last_seq": simulator(request).request_log.last_seq,
        },
    )


async def request_rows(request: Request) -> Response:
    """The log's table, polled by htmx: nothing (204) until a request after ``since_seq`` is logged."""
    since = request.query_params.get("since_seq", "0")
    last_seq = simulator(request).request_log.last_seq
    if since.isascii() and since.isdigit() and int(since) >= last_seq:
        return Response(status_code=204)
    filters = _log_filter(request)
    return render(
        request,
        "request_rows.html",
        {"filters": filters, "entries": _newest(request, filters), "last_seq": last_seq},
    )


async def request_detail(request: Request) -> Response:
    seq = request.path_params["seq"]
    entry: LoggedRequest | None = next((e for e in simulator(request).request_log if e.seq == seq), None)
    if entry is None:
        return render(
            request, "missing.html", {"what": f"request #{seq} (the log keeps the newest)"}, status_code=404
        )
    return render(request, "request.html", {"entry": entry.to_json()})


async def clock_page(request: Request) -> Response:
    return render(request, "clock.html", {})


async def clock_change(request: Request) -> Response:
    """One form per change: set (an ISO datetime), advance (seconds), or freeze/unfreeze."""
    form = await request.form()
    body: dict[str, Any] = {}
    if form.get("set"):
        body["set"] = form["set"]
    if form.get("advance"):
        body = form_values(form, numbers=("advance",))
    if form.get("frozen") in ("true", "false"):
        body["frozen"] = form["frozen"] == "true"
    reply = await call(request, "POST", "/clock", body=body)
    return back(f"{PREFIX}/clock", error=reply.error, done=None if reply.error else "the clock moved")


async def faults_page(request: Request) -> Response:
    sim = simulator(request)
    return render(request, "faults.html", {"rules": [rule.to_json() for rule in sim.faults.rules.values()]})


async def fault_add(request: Request) -> Response:
    body = form_values(
        await request.form(),
        numbers=("status", "retry_after", "latency_ms", "probability", "nth", "times"),
        flags=("apply_write",),
    )
    reply = await call(request, "POST", "/faults", body=body)
    done = None if reply.error else f"rule {reply.data['rule_id']} added"
    return back(f"{PREFIX}/faults", error=reply.error, done=done)


async def fault_remove(request: Request) -> Response:
    rule_id = request.path_params["rule_id"]
    reply = await call(request, "DELETE", f"/faults/{quote(rule_id, safe='')}")
    return back(
        f"{PREFIX}/faults", error=reply.error, done=None if reply.error else f"rule {rule_id} removed"
    )


async def limits_change(request: Request) -> Response:
    """A tenant's limits, one service per form (``service`` is crm or books)."""
    found = tenant(request)
    form = await request.form()
    service = str(form.get("service"))
    settings = form_values(
        form, numbers=("users", "credits", "concurrency", "per_minute", "per_day"), flags=("enabled",)
    )
    settings.pop("service", None)
    reply = await call(request, "PUT", f"/tenants/{found.tenant_id}/limits", body={service: settings})
    return _back_to(found.tenant_id, reply, f"{service} limits set")


async def snapshot_take(request: Request) -> Response:
    found = tenant(request)
    body = form_values(await request.form())
    reply = await call(request, "POST", f"/tenants/{found.tenant_id}/snapshots", body=body)
    return _back_to(found.tenant_id, reply, f"snapshot {body.get('name')} taken")


async def snapshot_restore(request: Request) -> Response:
    found, name = tenant(request), request.path_params["name"]
    reply = await call(
        request, "POST", f"/tenants/{found.tenant_id}/snapshots/{quote(name, safe='')}/restore"
    )
    return _back_to(found.tenant_id, reply, f"snapshot {name} restored")


async def snapshot_delete(request: Request) -> Response:
    found, name = tenant(request), request.path_params["name"]
    reply = await call(request, "DELETE", f"/tenants/{found.tenant_id}/snapshots/{quote(name, safe='')}")
    return _back_to(found.tenant_id, reply, f"snapshot {name} deleted")


def _back_to(tenant_id: str, reply: Reply, done: str) -> Response:
    return back(f"{PREFIX}/tenants/{tenant_id}", error=reply.error, done=None if reply.error else done)
