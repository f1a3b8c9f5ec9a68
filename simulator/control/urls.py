from starlette.routing import Route

from simulator.control import events, integration, responses

routes = [
    Route("/health", responses.health, methods=["GET"]),
    Route("/tenants", responses.list_tenants, methods=["GET"]),
    Route("/tenants", responses.create_tenant, methods=["POST"]),
    Route("/tenants/{tenant_id}", responses.get_tenant, methods=["GET"]),
    Route("/tenants/{tenant_id}", responses.delete_tenant, methods=["DELETE"]),
    Route("/tenants/{tenant_id}/reset", responses.reset_tenant, methods=["POST"]),
    Route("/tenants/{tenant_id}/crm/views", responses.create_view, methods=["POST"]),
    Route("/tenants/{tenant_id}/books/settings", responses.books_settings, methods=["GET", "PUT"]),
    Route("/tenants/{tenant_id}/books/crm-integration", integration.settings, methods=["GET", "PUT"]),
    Route("/tenants/{tenant_id}/books/crm-integration/sync", integration.sync, methods=["POST"]),
    Route("/tenants/{tenant_id}/books/crm-integration/runs", integration.runs, methods=["GET"]),
    Route(
        "/tenants/{tenant_id}/books/crm-integration/runs/{run_id}", integration.run_detail, methods=["GET"]
    ),
    Route("/tenants/{tenant_id}/limits", responses.limits, methods=["GET", "PUT"]),
    Route("/tenants/{tenant_id}/export", responses.export_tenant, methods=["GET"]),
    Route("/tenants/{tenant_id}/import", responses.import_tenant, methods=["POST"]),
    Route("/tenants/{tenant_id}/snapshots", responses.list_snapshots, methods=["GET"]),
    Route("/tenants/{tenant_id}/snapshots", responses.take_snapshot, methods=["POST"]),
    Route("/tenants/{tenant_id}/snapshots/{name}/restore", responses.restore_snapshot, methods=["POST"]),
    Route("/tenants/{tenant_id}/snapshots/{name}", responses.delete_snapshot, methods=["DELETE"]),
    Route("/faults", responses.list_faults, methods=["GET"]),
    Route("/faults", responses.add_fault, methods=["POST"]),
    Route("/faults", responses.clear_faults, methods=["DELETE"]),
    Route("/faults/{rule_id}", responses.delete_fault, methods=["DELETE"]),
    Route("/requests", responses.list_requests, methods=["GET"]),
    Route("/requests", responses.clear_requests, methods=["DELETE"]),
    Route("/reset", responses.reset, methods=["POST"]),
    Route("/clock", responses.clock, methods=["GET", "POST"]),
    *events.routes,
]
