"""The gate between the wire and the services: the request log, fault rules and Zoho's limits.

Every API request (accounts, CRM, Books; not the control plane) passes here once. Faults act
first, like the network would; then the org's limits, like Zoho's front door; then the service.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs

import anyio
from starlette.datastructures import Headers
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from simulator.books import errors as books_errors
from simulator.control.errors import ControlTokenRequired
from simulator.crm import errors as crm_errors
from simulator.faults import FaultRule
from simulator.http import SUB_REQUEST, body_once, service_of
from simulator.requestlog import SOURCE_HEADER, WRITE_METHODS
from simulator.tenants import Simulator, Tenant, persist


class ConnectionDropped(Exception):
    """Raised after a response has started, so that the server closes the connection mid-reply."""


class _QuietDrops(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and isinstance(record.exc_info[1], ConnectionDropped))


def quiet_dropped_connections() -> None:
    """An injected drop is not a server error: keep its traceback out of uvicorn's log."""
    logger = logging.getLogger("uvicorn.error")
    if not any(isinstance(f, _QuietDrops) for f in logger.filters):
        logger.addFilter(_QuietDrops())


class Gate:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        service = service_of(scope["path"])
        sim: Simulator = scope["app"].state.simulator
        if service == "control":
            if sim.control_token and not _has_control_token(scope, sim.control_token):
                await ControlTokenRequired().response()(scope, receive, send)
                return
            write = scope["method"] in WRITE_METHODS
            await self.app(scope, receive, _persisting(send, lambda: persist(sim)) if write else send)
            return
        body = await _read_body(receive)
        visit = _Visit(sim=sim, scope=scope, service=service, body=body)
        try:
            await visit.run(self.app, send)
        finally:
            if not visit.logged:
                visit.log()


def _has_control_token(scope: Scope, token: str) -> bool:
    given = Headers(scope=scope).get("authorization", "")
    return hmac.compare_digest(given.encode(), f"Bearer {token}".encode())


class _Visit:
    """One request's way through the gate."""

    def __init__(self, *, sim: Simulator, scope: Scope, service: str, body: bytes) -> None:
        self.sim, self.scope, self.service, self.body = sim, scope, service, body
        self.method: str = scope["method"]
        self.path: str = scope["path"]
        self.headers = Headers(scope=scope)
        self.time = sim.clock.now()
        self.tenant = sim.tenant_of(
            authorization=self.headers.get("authorization"), client_id=self._client_id()
        )
        self.status = 0
        self.fault: str | None = None
        self.logged = False

    async def run(self, app: ASGIApp, send: Send) -> None:
        rules = self.sim.faults.decide(
            service=self.service, method=self.method, path=self.path, tenant_id=self._tenant_id
        )
        delay = sum(rule.latency_ms for rule in rules if rule.effect == "latency") / 1000
        for rule in rules:
            if rule.effect == "error":
                self.fault = f"error:{rule.rule_id}"
                await self._reply(self._fault_error(rule), send)
                return
            if rule.effect == "drop":
                self.fault = f"drop:{rule.rule_id}"
                await self._drop(app, send, apply_write=rule.apply_write)
                return
        refusal, release = self._admit()
        if refusal is not None:
            await self._reply(refusal, send)
            return
        try:
            if delay:
                await anyio.sleep(delay)  # a slow server: the request stays in flight meanwhile
            await app(self.scope, body_once(self.body), self._watch(send))
        except Exception:
            self.status = self.status or 500  # the reply is made outside the gate, in the service's shape
            raise
        finally:
            release()

    def log(self) -> None:
        self.logged = True
        self.sim.request_log.append(
            time=self.time.isoformat(),
            tenant_id=self._tenant_id,
            service=self.service,
            method=self.method,
            path=self.path,
            query=self.scope.get("query_string", b"").decode("latin-1"),
            raw_body=self.body,
            status=self.status,
            fault=self.fault,
            source=self.headers.get(SOURCE_HEADER),
        )

    @property
    def _tenant_id(self) -> str | None:
        return self.tenant.tenant_id if self.tenant else None

    def _client_id(self) -> str | None:
        if self.service != "accounts":
            return None
        query = parse_qs(self.scope.get("query_string", b"").decode("latin-1"))
        form = parse_qs(self.body.decode("utf-8", "replace"))
        values = form.get("client_id") or query.get("client_id")
        return values[0] if values else None

    def _admit(self) -> tuple[Response | None, Callable[[], None]]:
        tenant = self.tenant
        if tenant is None or self.service == "accounts" or self.scope.get(SUB_REQUEST):
            return None, _nothing  # a composite call's sub-requests share its one credit
        limits = tenant.books_limits if self.service == "books" else tenant.crm_limits
        verdict = limits.admit(self.time)
        if verdict is None:
            return None, limits.release
        return _limit_error(tenant, self.service, verdict, self.time), _nothing

    def _fault_error(self, rule: FaultRule) -> Response:
        if self.service == "crm":
            error: Any = (
                crm_errors.TooManyRequests(retry_after=rule.retry_after)
                if rule.status == 429
                else crm_errors.InternalError()
            )
        elif self.service == "books":
            error = books_errors.RateLimitPerMinute() if rule.status == 429 else books_errors.InternalError()
        else:
            return _with_status(
                Response(b'{"error":"server_error"}', media_type="application/json"), rule.status
            )
        response = error.response()
        if rule.retry_after is not None:
            response.headers["Retry-After"] = str(rule.retry_after)
        return _with_status(response, rule.status)

    async def _drop(self, app: ASGIApp, send: Send, *, apply_write: bool) -> None:
        """The "did my write happen?" case: the reply is lost whether or not the write was applied."""
        if apply_write:
            sink: list[Message] = []

            async def keep(message: Message) -> None:
                sink.append(message)

            await app(self.scope, body_once(self.body), keep)
            self.status = next((m["status"] for m in sink if m["type"] == "http.response.start"), 0)
            self._persist()
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"1024")]})
        raise ConnectionDropped(f"fault {self.fault}: connection dropped on {self.method} {self.path}")

    def _persist(self) -> None:
        """Durable before acknowledged: the write reaches the store before the reply's first byte."""
        if self.method in WRITE_METHODS:
            services = () if self.service == "accounts" else (self.service,)
            persist(self.sim, self.tenant, services=services)

    async def _reply(self, response: Response, send: Send) -> None:
        self.status = response.status_code
        await response(self.scope, body_once(self.body), send)

    def _watch(self, send: Send) -> Send:
        async def watched(message: Message) -> None:
            if message["type"] == "http.response.start":
                self.status = message["status"]
                self._persist()
                if self.service == "books" and self.tenant is not None and 200 <= self.status < 300:
                    headers = self.tenant.books_limits.headers(self.time)
                    message["headers"] = [
                        *message.get("headers", []),
                        *((k.lower().encode(), v.encode()) for k, v in headers.items()),
                    ]
                # Logged before the reply's first byte leaves: whoever watches the log (the
                # harness's kill switch) acts while the client has not yet seen the reply.
                self.log()
            await send(message)

        return watched


def _persisting(send: Send, persist_now: Callable[[], None]) -> Send:
    async def persisting(message: Message) -> None:
        if message["type"] == "http.response.start":
            persist_now()
        await send(message)

    return persisting


def _limit_error(tenant: Tenant, service: str, verdict: str, now: Any) -> Response:
    if service == "crm":
        retry = tenant.crm_limits.seconds_until_credit(now) if verdict == "credits" else 1
        return crm_errors.TooManyRequests(retry_after=retry).response()
    limits = tenant.books_limits
    if verdict == "minute":
        error: books_errors.BooksError = books_errors.RateLimitPerMinute()
    elif verdict == "day":
        error = books_errors.DailyLimit(limit=limits.daily_cap)
    else:
        error = books_errors.ConcurrencyLimit()
    response = error.response()
    response.headers.update(limits.headers(now))
    return response


def _with_status(response: Response, status: int) -> Response:
    response.status_code = status
    return response


def _nothing() -> None:
    return None


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)
