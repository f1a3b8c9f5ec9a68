"""The console's forms act through the control plane's own handlers, called in-process.

A form becomes the JSON body the control route takes, so each setting is checked once, by the
control plane, and its error message is the one shown on the page. The console's own POST is a
control-plane write to the gate, so a store (``--store``) is written through as for the JSON API.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any
from urllib.parse import urlencode

import orjson
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from simulator.control.errors import ControlError

Handler = Callable[[Request], Awaitable[Response]]


async def call(
    request: Request,
    handler: Handler,
    *,
    method: str = "POST",
    path_params: Mapping[str, str] | None = None,
    body: Any = None,
    query: Mapping[str, str] | None = None,
) -> tuple[Any, str | None]:
    """Run a control route's handler on ``body``: its JSON reply, or None and the error message."""
    raw = b"" if body is None else orjson.dumps(body)
    scope = {
        **request.scope,
        "method": method,
        "path_params": dict(path_params or {}),
        "query_string": urlencode(query or {}).encode(),
        "headers": [(b"content-type", b"application/json")],
    }
    sent = False

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": raw, "more_body": False}

    try:
        response = await handler(Request(scope, receive))
    except ControlError as exc:
        return None, exc.message
    return orjson.loads(bytes(response.body)), None


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
