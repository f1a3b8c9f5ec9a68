"""Small helpers shared by every service's routes: JSON out, JSON in, and path clean-up."""

from __future__ import annotations

import functools
import socket
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any
from urllib.parse import parse_qs

import orjson
from starlette.datastructures import QueryParams
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

JSON_MEDIA_TYPE = "application/json;charset=UTF-8"
#: The ASGI scope key marking a composite API's sub-request: the gate charges no rate limit for it.
SUB_REQUEST = "zohosim.sub_request"


def body_once(body: bytes) -> Receive:
    """An ASGI ``receive`` that gives ``body`` whole, then a disconnect: a body already read,
    handed to an app (the gate's replay, a composite call's sub-request)."""
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receive


def query_params(request: Request) -> Mapping[str, str]:
    """``request.query_params`` as a read-only dict (a repeated name reads as its last value, as
    Starlette's does), parsed once per distinct query string. A list call reads a dozen
    parameters, and Starlette's multi-dict answers each ``get`` in Python, through ``Mapping.get``."""
    return _parsed_query(request.scope.get("query_string", b""))


@functools.lru_cache(maxsize=4096)  # most traffic repeats a few query strings
def _parsed_query(raw: bytes) -> Mapping[str, str]:
    return MappingProxyType(dict(QueryParams(raw).items()))


class BodyError(ValueError):
    """The request body is not the JSON the route needs; each service maps it to its own error."""


def json_response(
    content: Any, *, status_code: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    return Response(
        orjson.dumps(content), status_code=status_code, headers=headers, media_type=JSON_MEDIA_TYPE
    )


def empty_response(status_code: int, *, headers: Mapping[str, str] | None = None) -> Response:
    """204 and 304 carry no body and no Content-Type: the CRM SDK reads a body only when one is set."""
    return Response(status_code=status_code, headers=headers)


async def read_json(request: Request, *, allow_json_string: bool = False) -> Any:
    """Parse the body as JSON whatever the Content-Type: Zoho's own SDKs often send none.

    With ``allow_json_string`` (Books), a form body's ``JSONString`` field is accepted too.
    """
    raw = await request.body()
    content_type = request.headers.get("content-type", "")
    if allow_json_string and (
        content_type.startswith("multipart/form-data")
        or (content_type.startswith("application/x-www-form-urlencoded") and b"JSONString=" in raw)
    ):
        form = await request.form()
        field = form.get("JSONString")
        if not isinstance(field, str):
            raise BodyError("JSONString")
        raw = field.encode()
    if not raw.strip():
        raise BodyError("empty")
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise BodyError("malformed") from exc


async def read_form(request: Request) -> dict[str, str]:
    """Form fields merged over query parameters: Zoho's token endpoint takes either.

    The body may be URL-encoded (curl ``-d``, most SDKs) or multipart/form-data (Zoho's Node.js
    SDKs, curl ``-F``); any other body is read as URL-encoded, as Zoho does.
    """
    values = dict(request.query_params)
    if request.headers.get("content-type", "").lower().startswith("multipart/form-data"):
        try:
            async with request.form() as form:
                values |= {key: item for key, item in form.items() if isinstance(item, str)}
        except (HTTPException, MultiPartException):  # Starlette raises the first inside an app
            pass  # a malformed multipart body carries no usable field: the grant is then unsupported
        return values
    raw = await request.body()
    for key, items in parse_qs(raw.decode("utf-8", "replace"), keep_blank_values=True).items():
        values[key] = items[-1]
    return values


class StripTrailingSlash:
    """``/contacts/1/`` means ``/contacts/1`` (pyzohoapi sends the slash); no 307 round trip."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path: str = scope["path"]
            if len(path) > 1 and path.endswith("/"):
                scope = dict(scope, path=path.rstrip("/") or "/")
                scope["raw_path"] = scope["path"].encode()
        await self.app(scope, receive, send)


def query_bool(value: str | None, *, default: bool = False) -> bool:
    """Booleans arrive as ``true``/``True``/``false`` (the SDK sends Python's ``str()``)."""
    if value is None or value == "":
        return default
    return value.strip().lower() == "true"


def service_of(path: str) -> str:
    """Which Zoho service a path belongs to; anything else is the control plane."""
    for prefix, service in (("/crm/", "crm"), ("/books/", "books"), ("/oauth/", "accounts")):
        if path.startswith(prefix):
            return service
    return "control"


def listen(host: str, port: int) -> socket.socket:
    """A listening TCP socket, bound before the server starts: "ready" then means connectable.

    It is made with ``IPPROTO_TCP`` so that asyncio sets ``TCP_NODELAY`` on accepted connections;
    without it each reply stalls ~40 ms on Nagle's algorithm and delayed ACKs.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    sock.listen(2048)
    return sock
