"""Books → Settings → Integrations → Zoho CRM, as pages: connect, configure a module, Save and Sync
Now or Later, and the run history with what each record became.

Every read and write goes through the integration's control-plane API
(``/__zohosim/tenants/{id}/books/crm-integration``, docs/books-crm-integration.md), in-process;
a build without that API shows the pages' "not available" state instead.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import orjson
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from simulator.console import records
from simulator.console.pages import PREFIX, UnknownPage, render, tenant
from simulator.console.plane import Reply, back, call

#: Books' modules on the page, in its order, with the names the page gives them.
MODULES = {"customers": "Contacts", "vendors": "Vendors", "items": "Items"}
CRM_SOURCES = {
    "accounts": "Accounts",
    "contacts": "Contacts",
    "accounts_and_contacts": "Accounts & their Contacts",
}
EXTENTS = {"fetch_from_crm": "Fetch from CRM", "both_ways": "Sync both ways"}
DUPLICATES = {
    "clone": "Clone: create a new record with the same name, and keep the existing one",
    "overwrite": "Overwrite: replace the existing record with the new one",
    "skip": "Skip: keep the existing record and do not fetch the new one",
}
#: The CRM module(s) whose views a Books module may sync from.
VIEW_MODULES = {"customers": ("Accounts", "Contacts"), "vendors": ("Vendors",), "items": ("Products",)}
RUN_PAGE = 50
CRM_MODULES = ("Accounts", "Contacts", "Vendors", "Products")
_OUTCOMES = ("created", "updated", "overwritten", "cloned", "skipped", "pushed", "unchanged", "failed")


def _base(tenant_id: str) -> str:
    return f"/tenants/{tenant_id}/books/crm-integration"


def page_url(tenant_id: str) -> str:
    return f"{PREFIX}/tenants/{tenant_id}/books/settings/integrations/zohocrm"


async def _settings(request: Request, tenant_id: str) -> Reply:
    return await call(request, "GET", _base(tenant_id))


def _unavailable(request: Request, tenant_id: str, reply: Reply) -> Response:
    reason = "this build of zohosim has no Books CRM integration" if reply.missing_route else reply.error
    return render(request, "integration.html", {"tenant_id": tenant_id, "unavailable": reason})


async def overview(request: Request) -> Response:
    found = tenant(request)
    reply = await _settings(request, found.tenant_id)
    if reply.error:
        return _unavailable(request, found.tenant_id, reply)
    runs = await call(request, "GET", _base(found.tenant_id) + "/runs")
    return render(
        request,
        "integration.html",
        {
            "tenant_id": found.tenant_id,
            "settings": reply.data,
            "runs": (runs.data or {}).get("runs", []),
            "choosing_org": request.query_params.get("connect") == "1",
            "module_names": MODULES,
            "crm_sources": CRM_SOURCES,
            "base": page_url(found.tenant_id),
        },
    )


async def connect(request: Request) -> Response:
    found = tenant(request)
    org_id = (await request.form()).get("crm_org_id")
    reply = await call(request, "PUT", _base(found.tenant_id), body={"connected": True, "crm_org_id": org_id})
    return back(
        page_url(found.tenant_id), error=reply.error, done=None if reply.error else "Connected to Zoho CRM"
    )


async def disconnect(request: Request) -> Response:
    found = tenant(request)
    reply = await call(request, "PUT", _base(found.tenant_id), body={"connected": False})
    return back(page_url(found.tenant_id), error=reply.error, done=None if reply.error else "Disconnected")


async def configure(request: Request) -> Response:
    """The *Configure Now* page of one module, filled with its saved options (or the defaults)."""
    found, module = tenant(request), _module(request)
    reply = await _settings(request, found.tenant_id)
    if reply.error:
        return _unavailable(request, found.tenant_id, reply)
    settings = reply.data
    saved = settings["modules"].get(module) or {}
    shown_map = _map_shown(settings, module, saved)
    return render(
        request,
        "integration_module.html",
        {
            "tenant_id": found.tenant_id,
            "module": module,
            "module_name": MODULES[module],
            "saved": saved,
            "connected": settings["connected"],
            "crm_sources": CRM_SOURCES,
            "extents": EXTENTS,
            "duplicates": DUPLICATES,
            "views": {name: settings["views"].get(name, []) for name in VIEW_MODULES[module]},
            "contact_views": settings["views"].get("Contacts", []),
            "books_fields": settings["fields"][module]["books_fields"],
            "field_map": shown_map,
            "shown_map": orjson.dumps(shown_map).decode(),
            "base": page_url(found.tenant_id),
        },
    )


async def save(request: Request) -> Response:
    """Save the module's options, then Sync Now (to the run's page) or Sync Later (to the overview)."""
    found, module = tenant(request), _module(request)
    form = await request.form()
    settings = await _settings(request, found.tenant_id)
    if settings.error:
        return _unavailable(request, found.tenant_id, settings)
    config = _config(form, module, saved=settings.data["modules"].get(module) or {})
    here = f"{page_url(found.tenant_id)}/modules/{module}"
    saved = await call(request, "PUT", _base(found.tenant_id), body={"modules": {module: config}})
    if saved.error:
        return back(here, error=saved.error)
    when = "later" if form.get("action") == "later" else "now"
    synced = await call(
        request, "POST", _base(found.tenant_id) + "/sync", body={"modules": [module], "when": when}
    )
    if synced.error:
        return back(here, error=f"saved, but the sync was refused: {synced.error}")
    if when == "later":
        due = synced.data["scheduled"][module]
        return back(
            page_url(found.tenant_id), done=f"{MODULES[module]} saved; the sync is scheduled for {due}"
        )
    return back(f"{page_url(found.tenant_id)}/runs/{synced.data['run']['run_id']}")


async def run_page(request: Request) -> Response:
    """One run: its summary, and a page of its records, each linked to what it became."""
    found, run_id = tenant(request), request.path_params["run_id"]
    params = request.query_params
    filters = {key: params[key] for key in ("outcome", "module") if params.get(key)}
    page = int(params["page"]) if params.get("page", "").isdigit() and int(params["page"]) > 0 else 1
    query = {**filters, "offset": str((page - 1) * RUN_PAGE), "limit": str(RUN_PAGE)}
    reply = await call(request, "GET", f"{_base(found.tenant_id)}/runs/{run_id}", query=query)
    if reply.error:
        if reply.status == 404 and not reply.missing_route:
            return render(request, "missing.html", {"what": f"run {run_id}"}, status_code=404)
        return _unavailable(request, found.tenant_id, reply)
    run = reply.data
    return render(
        request,
        "integration_run.html",
        {
            "tenant_id": found.tenant_id,
            "run": run,
            "filters": filters,
            "outcomes": _OUTCOMES,
            "module_names": MODULES,
            "page": page,
            "more": run["offset"] + len(run["records"]) < run["matched"],
            "page_query": lambda n: urlencode({**filters, "page": n}),
            "self_url": f"{request.url.path}?{request.url.query}",
            "base": page_url(found.tenant_id),
        },
    )


async def compare(request: Request) -> Response:
    """One synced record: the CRM record and its Books record side by side through the field map."""
    found, module = tenant(request), _module(request)
    params = request.query_params
    crm_module, crm_id, books_id = (
        params.get("crm_module", ""),
        params.get("crm_id", ""),
        params.get("books_id", ""),
    )
    settings = await _settings(request, found.tenant_id)
    if settings.error:
        return _unavailable(request, found.tenant_id, settings)
    saved = settings.data["modules"].get(module) or {}
    use_contact_map = crm_module == "Contacts" and saved.get("crm_source") == "accounts_and_contacts"
    pairs = saved.get("contact_map" if use_contact_map else "field_map") or []
    rows = None
    if crm_module in CRM_MODULES:
        kind = "items" if module == "items" else "contacts"
        rows = records.side_by_side(
            found.crm,
            found.books,
            crm_module=crm_module,
            crm_id=crm_id,
            kind=kind,
            books_id=books_id,
            pairs=pairs,
        )
    if rows is None:
        return render(
            request,
            "missing.html",
            {"what": f"synced pair {crm_module} {crm_id} / {books_id}"},
            status_code=404,
        )
    return render(
        request,
        "integration_compare.html",
        {
            "tenant_id": found.tenant_id,
            "module": module,
            "crm_module": crm_module,
            "crm_id": crm_id,
            "books_kind": "items" if module == "items" else "contacts",
            "books_id": books_id,
            "rows": rows,
            "base": page_url(found.tenant_id),
        },
    )


def _module(request: Request) -> str:
    module = request.path_params["module"]
    if module not in MODULES:
        raise UnknownPage(f"no Books module {module!r} to configure: one of {', '.join(MODULES)}")
    return module


def _map_shown(settings: dict[str, Any], module: str, saved: dict[str, Any]) -> list[list[str]]:
    """The field map the form starts with: the saved one, else the default for the module."""
    if saved.get("field_map"):
        return [list(pair) for pair in saved["field_map"]]
    default = settings["fields"][module]["default_field_map"]
    return [list(pair) for pair in (default["accounts"] if isinstance(default, dict) else default)]


def _config(form: FormData, module: str, *, saved: dict[str, Any]) -> dict[str, Any]:
    """The form as the module's configuration. The field map is sent only when it was edited, or
    when it was saved before for the same CRM source: otherwise the default for the chosen source
    applies (Accounts and Contacts have different maps)."""
    config: dict[str, Any] = {
        key: str(form[key]) for key in ("extent", "duplicates", "view", "contact_view") if form.get(key)
    }
    if module == "customers":
        config["crm_source"] = str(form.get("crm_source") or "")
        if config["crm_source"] == "accounts_and_contacts":
            config["include_unassociated_contacts"] = form.get("include_unassociated_contacts") is not None
        else:
            config.pop("contact_view", None)
    pairs = [
        [str(books), str(crm).strip()]
        for books, crm in zip(form.getlist("map_books"), form.getlist("map_crm"), strict=False)
        if books and str(crm).strip()
    ]
    edited = pairs != orjson.loads(str(form.get("shown_map") or "[]"))
    same_source = saved.get("field_map") and saved.get("crm_source") == config.get("crm_source")
    if edited or same_source:
        config["field_map"] = pairs
    return config
