"""The console's routes: ``/`` and ``/__zohosim`` (the front page), and pages under ``/__zohosim/console``."""

from pathlib import Path

from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from simulator.console import integration, ops, pages
from simulator.console.pages import PREFIX

_TENANT = PREFIX + "/tenants/{tenant_id}"
_CRM_INTEGRATION = _TENANT + "/books/settings/integrations/zohocrm"

routes = [
    Route("/", pages.index, methods=["GET"]),
    # without it, /__zohosim/ (slash stripped) meets the control plane's Mount, which adds it back
    Route("/__zohosim", pages.index, methods=["GET"]),
    Route(PREFIX, pages.home, methods=["GET"]),
    Mount(PREFIX + "/static", StaticFiles(directory=Path(__file__).parent / "static")),
    Route(PREFIX + "/tenants", pages.create_tenant, methods=["POST"]),
    Route(_TENANT, pages.tenant_page, methods=["GET"]),
    Route(_TENANT + "/crm/{module}", pages.crm_list, methods=["GET"]),
    Route(_TENANT + "/crm/{module}/{record_id}", pages.crm_record, methods=["GET"]),
    Route(_TENANT + "/books/{kind}", pages.books_list, methods=["GET"]),
    Route(_TENANT + "/books/{kind}/{record_id}", pages.books_record, methods=["GET"]),
    Route(_TENANT + "/limits", ops.limits_change, methods=["POST"]),
    Route(_TENANT + "/snapshots", ops.snapshot_take, methods=["POST"]),
    Route(_TENANT + "/snapshots/{name}/restore", ops.snapshot_restore, methods=["POST"]),
    Route(_TENANT + "/snapshots/{name}/delete", ops.snapshot_delete, methods=["POST"]),
    Route(_CRM_INTEGRATION, integration.overview, methods=["GET"]),
    Route(_CRM_INTEGRATION + "/connect", integration.connect, methods=["POST"]),
    Route(_CRM_INTEGRATION + "/disconnect", integration.disconnect, methods=["POST"]),
    Route(_CRM_INTEGRATION + "/modules/{module}", integration.configure, methods=["GET"]),
    Route(_CRM_INTEGRATION + "/modules/{module}", integration.save, methods=["POST"]),
    Route(_CRM_INTEGRATION + "/runs/{run_id}", integration.run_page, methods=["GET"]),
    Route(_CRM_INTEGRATION + "/modules/{module}/compare", integration.compare, methods=["GET"]),
    Route(PREFIX + "/requests", ops.request_log, methods=["GET"]),
    Route(PREFIX + "/requests/rows", ops.request_rows, methods=["GET"]),
    Route(PREFIX + "/requests/{seq:int}", ops.request_detail, methods=["GET"]),
    Route(PREFIX + "/clock", ops.clock_page, methods=["GET"]),
    Route(PREFIX + "/clock", ops.clock_change, methods=["POST"]),
    Route(PREFIX + "/faults", ops.faults_page, methods=["GET"]),
    Route(PREFIX + "/faults", ops.fault_add, methods=["POST"]),
    Route(PREFIX + "/faults/{rule_id}/remove", ops.fault_remove, methods=["POST"]),
]
