"""Assemble one Starlette app: the accounts server, CRM, Books and the control plane, on one base URL."""

from __future__ import annotations

import logging

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from simulator import scope
from simulator.accounts.urls import routes as accounts_routes
from simulator.books import errors as books_errors
from simulator.books.urls import routes as books_routes
from simulator.console.urls import routes as console_routes
from simulator.control import errors as control_errors
from simulator.control.errors import ControlError
from simulator.control.urls import routes as control_routes
from simulator.crm import errors as crm_errors
from simulator.crm.urls import routes as crm_routes
from simulator.errors import ZohoError
from simulator.gate import ConnectionDropped, Gate
from simulator.http import StripTrailingSlash, json_response, service_of
from simulator.integration.runner import DueRuns
from simulator.router_index import IndexedRouter
from simulator.tenants import Simulator

logger = logging.getLogger("zohosim")


def create_app(simulator: Simulator | None = None) -> Starlette:
    app = Starlette(
        middleware=[
            Middleware(InternalErrors),
            Middleware(StripTrailingSlash),
            Middleware(DueRuns),
            Middleware(Gate),
        ],
        exception_handlers={
            ZohoError: _zoho_error,
            ControlError: _zoho_error,
            404: _not_found,
            405: _method_not_allowed,
        },
    )
    # Starlette builds a plain Router and takes no other: the indexed one (same routes, same
    # answers) replaces it before the first request builds the middleware stack around it.
    app.router = IndexedRouter(
        [
            *accounts_routes,
            *scope.crm_routes,  # left-out operations first: their paths would otherwise match generic routes
            *crm_routes,
            *scope.books_routes,
            *books_routes,
            *console_routes,
            Mount("/__zohosim", routes=control_routes),
        ]
    )
    app.state.simulator = simulator or Simulator()
    return app


async def _zoho_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ZohoError | ControlError)
    return exc.response()


async def _not_found(request: Request, exc: Exception) -> Response:
    service = service_of(request.url.path)
    if service == "crm":
        return crm_errors.InvalidUrlPattern().response()
    if service == "books":
        return books_errors.InvalidUrl().response()
    detail = exc.detail if isinstance(exc, HTTPException) else "Not Found"
    return json_response({"error": "not_found", "message": detail}, status_code=404)


async def _method_not_allowed(request: Request, exc: Exception) -> Response:
    service = service_of(request.url.path)
    if service == "crm":
        return crm_errors.InvalidRequestMethod().response()
    if service == "books":
        return books_errors.MethodNotAllowed().response()
    if request.url.path.startswith("/__zohosim/"):
        allowed = exc.headers.get("Allow", "") if isinstance(exc, HTTPException) and exc.headers else ""
        return control_errors.MethodNotAllowed(request.method, allowed).response()
    return json_response({"error": "method_not_allowed"}, status_code=405)


class InternalErrors:
    """A bug in the simulator still answers in the service's own shape, and keeps the connection.

    Starlette's own handler for ``Exception`` re-raises after replying, so uvicorn drops the
    keep-alive connection and the client's next request on it fails; here the exception ends with
    the reply. One that comes after the reply has started (an injected dropped connection) goes on
    up, so that the connection does close.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as exc:
            if started:
                raise
            if not isinstance(exc, ConnectionDropped):
                logger.exception("unexpected error on %s %s", scope["method"], scope["path"], exc_info=exc)
            await _internal_error(service_of(scope["path"]))(scope, receive, send)


def _internal_error(service: str) -> Response:
    if service == "crm":
        return crm_errors.InternalError().response()
    if service == "books":
        return books_errors.InternalError().response()
    return json_response({"error": "internal_error"}, status_code=500)
