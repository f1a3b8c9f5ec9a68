"""The console's forms act through the control plane, as an API client would, but in-process.

A form becomes the JSON body of a control-plane request, sent to this same app through its ASGI
interface: each setting is checked once, by the control plane, and its error message is the one
shown on the page. The console never needs to know which module handles a route, so a feature
whose routes are absent (an older build) shows as "not available" rather than breaking the page.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

CONTROL = "/__zohosim"


@dataclass(frozen=True)
class Reply:
    status: int
    data: Any
    #: The control plane's message for a 4xx reply, else None.
    error: str | None

    @property
    def missing_route(self) -> bool:
        """A 404 from the router (not a control-plane error such as an unknown tenant)."""
        return self.status == 404 and not isinstance((self.data or {}).get("error"), dict)


async def call(
    request: Request, method: str, path: str, *, body: Any = None, query: dict[str, str] | None = None
) -> Reply:
    """Send ``method path`` (under ``/__zohosim``) to this app, with the page's own credentials."""
    headers = (
        {"authorization": request.headers["authorization"]} if "authorization" in request.headers else {}
    )
    transport = httpx.ASGITransport(app=request.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://console.internal") as client:
        reply = await client.request(method, CONTROL + path, json=body, params=query, headers=headers)
    data = reply.json() if reply.content else None
    if reply.status_code < 400:
        return Reply(reply.status_code, data, None)
    detail = (data or {}).get("error")
    message = detail.get("message") if isinstance(detail, dict) else (data or {}).get("message", "not found")
    return Reply(reply.status_code, data, str(message))


def back(to: str, *, error: str | None = None, done: str | None = None) -> Response:
    """After a form: see the page again (303), with the outcome in its query string."""
    outcome = {key: value for key, value in (("error", error), ("done", done)) if value}
    return RedirectResponse(f"{to}?{urlencode(outcome)}" if outcome else to, status_code=303)


def form_values(
    form: FormData, *, numbers: tuple[str, ...] = (), flags: tuple[str, ...] = ()
) -> dict[str, Any]:
    """A form's filled fields as JSON values: ``numbers`` parsed (kept as text if not numbers, so
    the control plane names the field), ``flags`` (checkboxes) true when ticked and false when not."""
    values: dict[str, Any] = {}
    for key, value in form.items():
        if not isinstance(value, str) or value.strip() == "" or key in flags:
            continue
        values[key] = _number(value.strip()) if key in numbers else value.strip()
    for key in flags:
        values[key] = form.get(key) is not None
    return values


def _number(text: str) -> int | float | str:
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            continue
    return text
