"""One httpx request served by the ASGI app in this process, for the sync transports built on it:
``simulator.testing.InProcessTransport`` (its own event-loop thread) and the Books CRM
integration's (the server's own loop, reached from a worker thread)."""

from __future__ import annotations

import httpx

from simulator.gate import ConnectionDropped


async def round_trip(asgi: httpx.ASGITransport, request: httpx.Request) -> httpx.Response:
    """The app's reply, read whole; an injected dropped connection is the client's protocol error."""
    try:
        response = await asgi.handle_async_request(request)
    except ConnectionDropped as exc:
        raise httpx.RemoteProtocolError(str(exc), request=request) from exc
    content = await response.aread()
    return httpx.Response(
        status_code=response.status_code,
        headers=response.headers,
        content=content,
        extensions=response.extensions,
        request=request,
    )
