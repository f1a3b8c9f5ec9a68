"""Control-plane routes for event delivery: Books webhooks (Books has no public API for its
workflow rules), the delivery queues and counters, and a flush that waits for them to drain."""

from __future__ import annotations

import math
from functools import partial

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from simulator.books.webhooks import InvalidWebhook
from simulator.control.errors import BadRequest
from simulator.control.responses import _body, _sim, _tenant
from simulator.http import json_response

#: Real seconds a flush waits unless told otherwise, and at most.
FLUSH_TIMEOUT = 30.0
FLUSH_TIMEOUT_LIMIT = 300.0


async def list_webhooks(request: Request) -> Response:
    tenant = _tenant(request)
    hooks = _sim(request).notifier.webhooks.get(tenant.tenant_id, {}).values()
    return json_response({"webhooks": [hook.to_json() for hook in hooks]})


async def add_webhook(request: Request) -> Response:
    """``{"url", "entity": contact|contact_person|item, "events"?, "headers"?, "secret"?}``."""
    tenant = _tenant(request)
    try:
        hook = _sim(request).notifier.add_webhook(tenant, await _body(request))
    except InvalidWebhook as exc:
        raise BadRequest(str(exc)) from exc
    return json_response(hook.to_json(), status_code=201)


async def delete_webhook(request: Request) -> Response:
    tenant = _tenant(request)
    webhook_id = request.path_params["webhook_id"]
    if not _sim(request).notifier.remove_webhook(tenant.tenant_id, webhook_id):
        listing = f"/__zohosim/tenants/{tenant.tenant_id}/books/webhooks"
        raise BadRequest(f"no webhook {webhook_id!r}: GET {listing} lists them")
    return json_response({"deleted": webhook_id})


async def notifications(request: Request) -> Response:
    """The delivery queues and counters, and each tenant's CRM channel ids."""
    sim = _sim(request)
    now = sim.clock.now()
    channels = {
        tenant_id: sorted(channel.channel_id for channel in book.live(now))
        for tenant_id, book in sim.notifier.channels.items()
    }
    return json_response({**sim.notifier.dispatcher.status(), "channels": channels})


async def flush(request: Request) -> Response:
    """Wait until every delivery due by the virtual clock's now has been attempted and answered
    (``{"timeout"?: real seconds}``); ``drained`` false means the timeout came first."""
    body = await _body(request, required=False)
    timeout = body.get("timeout", FLUSH_TIMEOUT)
    if (
        isinstance(timeout, bool)
        or not isinstance(timeout, int | float)
        or not math.isfinite(timeout)
        or not 0 <= timeout <= FLUSH_TIMEOUT_LIMIT
    ):
        raise BadRequest(f"'timeout' must be a number of seconds, 0 to {FLUSH_TIMEOUT_LIMIT:g}")
    dispatcher = _sim(request).notifier.dispatcher
    outcome = await anyio.to_thread.run_sync(partial(dispatcher.flush, timeout=float(timeout)))
    return json_response(outcome)


async def report_idle(request: Request) -> Response:
    """A long-running syncer says it has nothing left to do: the conformance harness takes a mark
    newer than its last edit, with no request logged since, as quiescence without a settle window."""
    tenant = _tenant(request)
    sim = _sim(request)
    mark = sim.notifier.mark_idle(tenant.tenant_id, seq=sim.request_log.last_seq, now=sim.clock.now())
    return json_response(mark)


async def idle_mark(request: Request) -> Response:
    tenant = _tenant(request)
    return json_response(_sim(request).notifier.idle.get(tenant.tenant_id, {"marks": 0}))


routes = [
    Route("/tenants/{tenant_id}/idle", report_idle, methods=["POST"]),
    Route("/tenants/{tenant_id}/idle", idle_mark, methods=["GET"]),
    Route("/tenants/{tenant_id}/books/webhooks", list_webhooks, methods=["GET"]),
    Route("/tenants/{tenant_id}/books/webhooks", add_webhook, methods=["POST"]),
    Route("/tenants/{tenant_id}/books/webhooks/{webhook_id}", delete_webhook, methods=["DELETE"]),
    Route("/notifications", notifications, methods=["GET"]),
    Route("/notifications/flush", flush, methods=["POST"]),
]
