"""Zoho's real host names, routed into the simulator from each Python HTTP client, so that code
under test changes no URL:

- httpx, through respx (``route_httpx``);
- requests (Zoho's official Python SDK, pyzohoapi), through responses (``route_requests``);
- urllib's ``urlopen``, through a handler in the global opener (``route_urllib``).

Each takes a transport (usually ``simulator.testing.InProcessTransport``) and sends a Zoho call
through it as an httpx request, so the host names and the one rewrite (Books' legacy
``books.zoho.<tld>/api/v3``) are defined once, here. Calls to other hosts go where they were going.
"""

from __future__ import annotations

import http.client
import io
import re
import urllib.error
import urllib.request
import urllib.response
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import httpx

if TYPE_CHECKING:
    import requests
    import responses
    import respx

_TLDS = r"(com|eu|in|com\.au|jp|com\.cn|sa|ca)"
#: Every Zoho host a client may call: accounts servers, API hosts (prod, sandbox, developer), and
#: the legacy Books host ``books.zoho.<tld>/api/v3``.
ZOHO_HOSTS = re.compile(
    rf"^(accounts\.zoho\.{_TLDS}|accounts\.zohocloud\.ca|((www|sandbox|developer)\.)?zohoapis\.{_TLDS}"
    rf"|books\.zoho\.{_TLDS})$"
)

_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def is_zoho_host(host: str) -> bool:
    return ZOHO_HOSTS.match(host.lower()) is not None


def serve(transport: httpx.BaseTransport, request: httpx.Request) -> httpx.Response:
    """Answer a call to a Zoho host from the simulator behind ``transport``."""
    url = request.url
    if url.host.startswith("books.zoho.") and url.path.startswith("/api/v3"):
        url = url.copy_with(path="/books/v3" + url.path.removeprefix("/api/v3"))
        request = httpx.Request(request.method, url, headers=request.headers, content=request.read())
    return transport.handle_request(request)


@runtime_checkable
class _Readable(Protocol):
    def read(self) -> bytes: ...


def _content(body: object) -> bytes | Iterable[bytes] | None:
    """A request body as requests or urllib hold it (text, bytes, a file or an iterable of bytes),
    as httpx content. A bytearray or memoryview becomes bytes: httpx would iterate it as ints."""
    if isinstance(body, str):
        return body.encode()
    if isinstance(body, _Readable):
        return body.read()
    if isinstance(body, bytearray | memoryview):
        return bytes(body)
    if body is None or isinstance(body, bytes | Iterable):
        return body
    raise TypeError(f"a request body can't be a {type(body).__name__}")


def route_httpx(router: respx.Router, transport: httpx.BaseTransport) -> respx.Route:
    """Send an httpx client's calls to Zoho's hosts through ``transport``."""
    return router.route(host__regex=ZOHO_HOSTS).mock(side_effect=lambda request: serve(transport, request))


@contextmanager
def route_requests(transport: httpx.BaseTransport) -> Iterator[responses.RequestsMock]:
    """While active, ``requests`` sends calls to Zoho's hosts through ``transport``; others pass
    through. Yields the ``responses.RequestsMock``, to which a test may add its own mocks."""
    import requests
    import responses

    def zoho_only(prepared: requests.PreparedRequest) -> tuple[bool, str]:
        host = httpx.URL(prepared.url or "").host
        return is_zoho_host(host), f"{host} is not a Zoho host"

    def answer(prepared: requests.PreparedRequest) -> tuple[int, list[tuple[str, str]], bytes]:
        # as http.client sends them: a str header value goes out in latin-1
        headers = [
            (name.encode("latin-1"), value.encode("latin-1") if isinstance(value, str) else value)
            for name, value in prepared.headers.items()
        ]
        request = httpx.Request(
            prepared.method or "GET", prepared.url or "", headers=headers, content=_content(prepared.body)
        )
        try:
            reply = serve(transport, request)
        except httpx.TransportError as exc:  # a dropped connection: what requests raises for one
            raise requests.ConnectionError(str(exc), request=prepared) from exc
        return reply.status_code, reply.headers.multi_items(), reply.read()

    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add_passthru(re.compile(".*"))
        for method in _METHODS:
            # responses annotates a callback's headers as a Mapping; it takes a list of pairs too,
            # which repeated headers (Set-Cookie) need
            mock.add_callback(
                method, re.compile(".*"), answer, content_type=None, match=[zoho_only]  # type: ignore[arg-type]
            )
        yield mock


class _ZohoHandler(urllib.request.BaseHandler):
    handler_order = 100  # before urllib's own HTTP(S)Handler (500): a Zoho call never reaches it

    def __init__(self, transport: httpx.BaseTransport) -> None:
        self._transport = transport

    def http_open(self, req: urllib.request.Request) -> urllib.response.addinfourl | None:
        if not is_zoho_host(req.host.partition(":")[0]):
            return None  # the next handler sends it
        request = httpx.Request(
            req.get_method(), req.full_url, headers=req.header_items(), content=_content(req.data)
        )
        try:
            reply = serve(self._transport, request)
        except httpx.TransportError as exc:
            raise urllib.error.URLError(str(exc)) from exc
        headers = http.client.HTTPMessage()
        for name, value in reply.headers.multi_items():
            headers[name] = value
        response = urllib.response.addinfourl(
            io.BytesIO(reply.read()), headers, req.full_url, reply.status_code
        )
        # read by urllib's error processor, as on http.client's reply; typeshed's addinfourl lacks it
        response.msg = reply.reason_phrase  # type: ignore[attr-defined]
        return response

    https_open = http_open


@contextmanager
def route_urllib(transport: httpx.BaseTransport) -> Iterator[None]:
    """While active, ``urllib.request.urlopen`` sends calls to Zoho's hosts through ``transport``.

    It installs a global opener (``urllib.request.install_opener``) and puts the previous one
    back. ``urlopen(..., context=...)`` builds its own opener, and ``http.client`` has no hook:
    neither is routed."""
    # the stdlib has no getter for the installed opener; typeshed leaves the private global out
    previous: urllib.request.OpenerDirector | None = urllib.request._opener  # type: ignore[attr-defined]
    urllib.request.install_opener(urllib.request.build_opener(_ZohoHandler(transport)))
    try:
        yield
    finally:
        urllib.request.install_opener(previous)
