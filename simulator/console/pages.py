"""The console's pages on tenants and their records: the front page, a tenant, lists and details."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.templating import Jinja2Templates

from simulator.books.records import Item
from simulator.console import records
from simulator.console.plane import back, call, form_values
from simulator.control.errors import ControlError, UnknownTenant
from simulator.control.urls import routes as control_routes
from simulator.crm.metadata import MODULES
from simulator.http import json_response
from simulator.tenants import Simulator, Tenant

PREFIX = "/__zohosim/console"
CONTROL_PREFIX = "/__zohosim"

templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
templates.env.globals.update(P=PREFIX, crm_modules=list(MODULES), books_kinds=records.BOOKS_KINDS)


def render(request: Request, name: str, context: dict[str, Any], *, status_code: int = 200) -> Response:
    """A page, with the outcome of the last form (``?done=``/``?error=``) and the clock on it."""
    sim = simulator(request)
    shared = {
        "done": request.query_params.get("done"),
        "error": request.query_params.get("error"),
        "now": sim.clock.now().isoformat(),
        "frozen": sim.clock.frozen,
        "tenant_ids": list(sim.tenants),
    }
    return templates.TemplateResponse(request, name, shared | context, status_code=status_code)


def simulator(request: Request) -> Simulator:
    return request.app.state.simulator


def tenant(request: Request) -> Tenant:
    tenant_id = request.path_params["tenant_id"]
    found = simulator(request).tenants.get(tenant_id)
    if found is None:
        raise UnknownTenant(tenant_id)
    return found


def page_number(request: Request) -> int:
    text = request.query_params.get("page", "1")
    return int(text) if text.isascii() and text.isdigit() and int(text) >= 1 else 1


async def index(request: Request) -> Response:
    """``/``: the console for a browser; for an API client, a JSON index of what is served here."""
    if "text/html" in request.headers.get("accept", ""):
        return await home(request)
    control_index = [
        {"path": CONTROL_PREFIX + route.path, "methods": sorted(route.methods or ())}
        for route in control_routes
    ]
    return json_response(
        {
            "name": "zohosim",
            "console": PREFIX,
            "services": {
                "accounts": "/oauth/v2/token",
                "crm": "/crm/{version}/{module}",
                "books": "/books/v3/{resource}?organization_id={books_organization_id}",
            },
            "control": control_index,
        }
    )


async def home(request: Request) -> Response:
    sim = simulator(request)
    return render(request, "home.html", {"tenants": [t.credentials() for t in sim.tenants.values()]})


async def create_tenant(request: Request) -> Response:
    body = form_values(await request.form(), numbers=("seed",))
    reply = await call(request, "POST", "/tenants", body=body)
    if reply.error:
        return back(PREFIX, error=reply.error)
    created = reply.data["tenant_id"]
    return back(f"{PREFIX}/tenants/{created}", done=f"tenant {created} created")


async def tenant_page(request: Request) -> Response:
    found = tenant(request)
    counts = {module: len(found.crm.records[module]) for module in MODULES}
    books_counts = {
        "contacts": len(found.books.contacts),
        "contactpersons": sum(len(c.contact_persons) for c in found.books.contacts.values()),
        "items": len(found.books.items),
    }
    return render(
        request,
        "tenant.html",
        {
            "tenant": found.credentials(),
            "crm_counts": counts,
            "books_counts": books_counts,
            "snapshots": sorted(found.snapshots),
            "limits": {"crm": found.crm_limits.settings(), "books": found.books_limits.settings()},
        },
    )


def _list(request: Request, *, side: str, kind: str, listing: Callable[..., Any]) -> Response:
    """One list page of either side: ``listing`` is ``records.crm_page`` or ``records.books_page``."""
    found = tenant(request)
    query = request.query_params.get("q", "").strip()
    side_state = found.crm if side == "crm" else found.books
    page = listing(side_state, kind, query=query, page=page_number(request))
    return render(
        request,
        "list.html",
        {"tenant_id": found.tenant_id, "side": side, "kind": kind, "query": query, "listing": page},
    )


async def crm_list(request: Request) -> Response:
    return _list(request, side="crm", kind=_module(request), listing=records.crm_page)


async def crm_record(request: Request) -> Response:
    found, module = tenant(request), _module(request)
    record_id = request.path_params["record_id"]
    record = found.crm.records[module].get(record_id)
    if record is None:
        return render(request, "missing.html", {"what": f"{module} record {record_id}"}, status_code=404)
    return render(
        request,
        "crm_record.html",
        {
            "tenant_id": found.tenant_id,
            "module": module,
            "record": record,
            "name": found.crm.display_name(module, record),
            "fields": records.crm_fields(found.crm, module, record),
            "books_links": records.books_for_crm(found.books, module, record_id),
        },
    )


async def books_list(request: Request) -> Response:
    return _list(request, side="books", kind=_kind(request), listing=records.books_page)


async def books_record(request: Request) -> Response:
    found, kind = tenant(request), _kind(request)
    record_id = request.path_params["record_id"]
    books = found.books
    record = books.contacts.get(record_id) if kind == "contacts" else books.items.get(record_id)
    if record is None or kind == "contactpersons":
        return render(request, "missing.html", {"what": f"Books {kind} {record_id}"}, status_code=404)
    detail = books.show_item(record) if isinstance(record, Item) else books.show_contact(record)
    return render(
        request,
        "books_record.html",
        {
            "tenant_id": found.tenant_id,
            "kind": kind,
            "name": detail.get("contact_name") or detail.get("name"),
            "detail": detail,
            "crm_links": records.crm_links(found.crm, record),
        },
    )


def _module(request: Request) -> str:
    module = request.path_params["module"]
    if module not in MODULES:
        raise UnknownPage(f"no CRM module {module!r}: one of {', '.join(MODULES)}")
    return module


def _kind(request: Request) -> str:
    kind = request.path_params["kind"]
    if kind not in records.BOOKS_KINDS:
        raise UnknownPage(f"no Books list {kind!r}: one of {', '.join(records.BOOKS_KINDS)}")
    return kind


class UnknownPage(ControlError):
    """A console path naming no CRM module or Books list."""

    status_code = 404
    code = "unknown_page"
