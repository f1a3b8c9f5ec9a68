"""In-process use of the simulator from Python: transports, routing of Zoho's real host names
from every client (``simulator.routing``), and a uvicorn server in a thread. The pytest plugin
(``simulator.plugin``) builds on these.

``httpx.ASGITransport`` is async-only; sync clients (and most syncers are sync) reach the app
through ``InProcessTransport``, which runs the async transport on a private event-loop thread.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import Any

import anyio.from_thread
import httpx
from starlette.types import ASGIApp

from simulator.app import create_app
from simulator.clock import DEFAULT_START, Clock
from simulator.gate import quiet_dropped_connections
from simulator.http import listen
from simulator.routing import route_httpx, route_requests, route_urllib
from simulator.tenants import Simulator, Sizes, Tenant
from simulator.transport import round_trip


class InProcessTransport(httpx.BaseTransport):
    def __init__(self, app: ASGIApp, *, raise_app_exceptions: bool = True) -> None:
        self._stack = ExitStack()
        self._portal = self._stack.enter_context(anyio.from_thread.start_blocking_portal())
        self._asgi = httpx.ASGITransport(app=app, raise_app_exceptions=raise_app_exceptions)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.read()
        return self._portal.call(round_trip, self._asgi, request)

    def close(self) -> None:
        self._stack.close()


def in_process_client(app: ASGIApp, *, base_url: str = "http://zohosim.local") -> httpx.Client:
    """A sync httpx client whose requests are served by ``app`` in this process, with no socket."""
    return httpx.Client(transport=InProcessTransport(app), base_url=base_url)


@dataclass
class RunningSimulator:
    """A simulator and a way to reach it: ``base_url`` is real only in server mode."""

    sim: Simulator
    app: ASGIApp
    base_url: str
    _stack: ExitStack = field(default_factory=ExitStack, repr=False)

    def client(self) -> httpx.Client:
        """A sync httpx client for this simulator (in-process, or over 127.0.0.1 in server mode)."""
        if self.base_url.startswith("http://zohosim.local"):
            return self._stack.enter_context(in_process_client(self.app, base_url=self.base_url))
        return self._stack.enter_context(httpx.Client(base_url=self.base_url, timeout=30))

    def new_tenant(self, *, seed: int | None = None, sizes: Sizes | None = None) -> Tenant:
        return self.sim.create_tenant(
            seed=seed, sizes=sizes, tenant_id=f"t{len(self.sim.tenants) + 1}-{id(self)}"
        )

    def close(self) -> None:
        self._stack.close()


def build_simulator(*, seed: int = 42, frozen: bool = True) -> Simulator:
    return Simulator(clock=Clock(start=DEFAULT_START if frozen else None, frozen=frozen), seed=seed)


@contextmanager
def in_process(sim: Simulator | None = None) -> Iterator[RunningSimulator]:
    sim = sim or build_simulator()
    running = RunningSimulator(sim=sim, app=create_app(sim), base_url="http://zohosim.local")
    try:
        yield running
    finally:
        running.close()


@contextmanager
def serve_in_thread(sim: Simulator | None = None, *, host: str = "127.0.0.1") -> Iterator[RunningSimulator]:
    """uvicorn on a free port, in a daemon thread. The socket listens before this returns, so the
    first request waits in the backlog rather than failing; leaving the block stops the server."""
    import uvicorn

    sim = sim or build_simulator()
    app = create_app(sim)
    sock = listen(host, 0)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off"))
    quiet_dropped_connections()
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True, name="zohosim")
    thread.start()
    running = RunningSimulator(sim=sim, app=app, base_url=f"http://{host}:{sock.getsockname()[1]}")
    try:
        yield running
    finally:
        running.close()
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


@contextmanager
def zoho_mock(sim: Simulator | None = None, **respx_options: Any) -> Iterator[RunningSimulator]:
    """While active, every call to a Zoho host, from httpx, requests or urllib, is answered by an
    in-process simulator (``simulator.routing``); calls to other hosts go where they were going.

    >>> with zoho_mock() as zoho:
    ...     tenant = zoho.sim.create_tenant()
    ...     requests.post("https://accounts.zoho.com/oauth/v2/token", data={...})
    """
    import respx

    with in_process(sim) as running:
        transport = running._stack.enter_context(InProcessTransport(running.app))
        with (
            respx.mock(assert_all_called=False, **respx_options) as router,
            route_requests(transport),
            route_urllib(transport),
        ):
            route_httpx(router, transport)
            router.route().pass_through()
            yield running
