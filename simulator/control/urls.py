from starlette.routing import Route

from simulator.control import responses

routes = [
    Route("/health", responses.health, methods=["GET"]),
    Route("/tenants", responses.list_tenants, methods=["GET"]),
    Route("/tenants", responses.create_tenant, methods=["POST"]),
    Route("/tenants/{tenant_id}", responses.get_tenant, methods=["GET"]),
    Route("/tenants/{tenant_id}", responses.delete_tenant, methods=["DELETE"]),
    Route("/tenants/{tenant_id}/reset", responses.reset_tenant, methods=["POST"]),
    Route("/tenants/{tenant_id}/crm/views", responses.create_view, methods=["POST"]),
    Route("/tenants/{tenant_id}/books/settings", responses.books_settings, methods=["GET", "PUT"]),
    Route("/reset", responses.reset, methods=["POST"]),
    Route("/clock", responses.clock, methods=["GET", "POST"]),
]
