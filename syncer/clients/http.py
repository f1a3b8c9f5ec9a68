"""One door to Zoho's APIs: auth header, retries with backoff, Books' rate budget, error mapping.

Each ``request`` makes one or more attempts. An attempt ends in a reply to return, a reply or
exception to raise, or a transient failure to wait out: 429 (for as long as Zoho says, when it
says), 5xx, timeouts and dropped connections. A create whose reply was lost is never retried
here: the caller must look before it writes again (``WriteOutcomeUnknown``).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

import httpx

from syncer.clients.auth import TokenSource
from syncer.clients.clock import SyncClock
from syncer.clients.counter import CallCounter
from syncer.clients.errors import (
    RateLimited,
    ReadOnly,
    RequestInfo,
    WriteOutcomeUnknown,
    ZohoApiError,
    ZohoUnavailable,
)
from syncer.clients.policy import RetryPolicy, RollingBudget

Service = Literal["crm", "books"]
WriteKind = Literal["read", "idempotent", "create"]

TRANSIENT_STATUSES = frozenset({500, 502, 503, 504})
#: Replies to a create after which it may have happened: the server failed while (or after) writing.
#: A 503 (and a 429) means the request was turned away before any work, so it is retried.
UNKNOWN_OUTCOME_STATUSES = frozenset({500, 502, 504})
#: Failures before a byte of the request left: safe to retry even for a create.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
#: Failures no retry can mend (a bad URL scheme, a malformed request).
_NOT_RETRIED = (httpx.UnsupportedProtocol, httpx.LocalProtocolError)
_TOKEN_REFUSED: dict[str, frozenset[str | int]] = {
    "crm": frozenset({"INVALID_TOKEN", "AUTHENTICATION_FAILURE"}),
    "books": frozenset({57}),
}
BOOKS_MINUTE_FALLBACK = 60.0
#: A wait at least this long is announced (``on_wait``): what for, and until when.
ANNOUNCED_WAIT = 1.0


@dataclass(frozen=True)
class _Transient:
    """A failed attempt worth another: ``wait`` None means the policy's backoff."""

    last: str
    wait: float | None = None
    rate_limited: bool = False
    error: ZohoApiError | None = None


_REAUTHORIZE = object()


class ZohoHttp:
    def __init__(
        self,
        client: httpx.Client,
        *,
        tokens: TokenSource,
        clock: SyncClock,
        counter: CallCounter | None = None,
        retry: RetryPolicy | None = None,
        books_per_minute: int | None = 100,
        on_wait: Callable[[str], None] | None = None,
        read_only: bool = False,
    ) -> None:
        self.client = client
        self.read_only = read_only
        self.tokens = tokens
        self.clock = clock
        self.counter = counter if counter is not None else tokens.counter or CallCounter()
        tokens.counter = self.counter
        self.retry = retry or RetryPolicy()
        self.on_wait = on_wait
        self._rng = random.Random(self.retry.seed)
        self.books_budget = RollingBudget(limit=books_per_minute) if books_per_minute else None
        self._books_hold_until: datetime | None = None

    def request(
        self,
        service: Service,
        method: str,
        url: str,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
        headers: dict[str, str] | None = None,
        write_kind: WriteKind = "read",
    ) -> httpx.Response:
        """The reply (2xx, or 304); anything else raises. ``write_kind`` says what a retry may risk."""
        info = RequestInfo(service=service, method=method.upper(), url=url, params=params, json=json)
        if self.read_only and info.method != "GET" and write_kind != "read":  # a COQL query reads
            raise ReadOnly(f"{info.method} {url}: a dry run writes nothing")
        failures, reauthorized = 0, False
        while True:
            outcome = self._attempt(info, headers=headers, write_kind=write_kind, reauthorized=reauthorized)
            if isinstance(outcome, httpx.Response):
                return outcome
            if outcome is _REAUTHORIZE:
                reauthorized = True
                continue
            assert isinstance(outcome, _Transient)
            failures += 1
            wait = outcome.wait if outcome.wait is not None else self.retry.jittered(failures, self._rng)
            if failures >= self.retry.attempts:
                raise _exhausted(info, outcome, attempts=failures, wait=wait)
            self._announce(
                f"{info.method} {info.url}: {outcome.last}; retry {failures} of {self.retry.attempts - 1}",
                wait,
                always=True,
            )
            self.clock.sleep(wait)

    def _announce(self, what: str, wait: float, *, always: bool = False) -> None:
        """Say what a wait is for and until when: every retry, and any other wait of a second or more."""
        if self.on_wait is None or not (always or wait >= ANNOUNCED_WAIT):
            return
        until = (self.clock.now() + timedelta(seconds=wait)).strftime("%H:%M:%S")
        self.on_wait(f"{what}: waiting until {until} ({wait:.1f} s)")

    # -- one attempt -------------------------------------------------------------------------

    def _attempt(
        self, info: RequestInfo, *, headers: dict[str, str] | None, write_kind: WriteKind, reauthorized: bool
    ) -> httpx.Response | _Transient | object:
        if info.service == "books":
            self._books_gate()
        try:
            token = self.tokens.access_token()
        except httpx.TransportError as exc:
            if isinstance(exc, _NOT_RETRIED):
                raise
            return _Transient(f"token endpoint: {type(exc).__name__}")
        except ZohoApiError as exc:
            if exc.status in TRANSIENT_STATUSES or exc.status == 429:
                return _Transient(f"token endpoint: HTTP {exc.status}", error=exc)
            raise
        try:
            reply = self._send(info, token=token, headers=headers)
        except httpx.TransportError as exc:
            return self._transport_failure(info, exc, write_kind=write_kind)
        if info.service == "books":
            self._note_books_quota(reply)
        if reply.status_code < 400:
            return reply
        error = api_error(info, reply)
        if (
            reply.status_code == 401
            and error.code in _TOKEN_REFUSED.get(info.service, frozenset())
            and not reauthorized
        ):
            self.tokens.invalidate()
            return _REAUTHORIZE
        if reply.status_code == 429:
            return self._rate_limit(info, reply, error)
        if reply.status_code in TRANSIENT_STATUSES:
            if write_kind == "create" and reply.status_code in UNKNOWN_OUTCOME_STATUSES:
                raise WriteOutcomeUnknown(
                    info, cause=f"HTTP {reply.status_code} {error.code}: {error.message}"
                )
            return _Transient(f"HTTP {reply.status_code} {error.code}", error=error)
        raise error

    def _send(self, info: RequestInfo, *, token: str, headers: dict[str, str] | None) -> httpx.Response:
        self.counter.record(service=info.service, method=info.method)
        return self.client.request(
            info.method,
            info.url,
            params=info.params,
            json=info.json,
            headers={**(headers or {}), "Authorization": f"Zoho-oauthtoken {token}"},
        )

    def _transport_failure(
        self, info: RequestInfo, exc: httpx.TransportError, *, write_kind: WriteKind
    ) -> _Transient:
        """Called inside the ``except``: a bare ``raise`` re-raises ``exc``."""
        if isinstance(exc, _NOT_RETRIED):
            raise exc
        if write_kind == "create" and not isinstance(exc, _NOT_SENT):
            raise WriteOutcomeUnknown(info, cause=f"{type(exc).__name__}: {exc}") from exc
        return _Transient(f"{type(exc).__name__}: {exc}")

    def _rate_limit(self, info: RequestInfo, reply: httpx.Response, error: ZohoApiError) -> _Transient:
        wait = _retry_after(error.body, reply.headers)
        reason = f"{error.code}: {error.message}"
        if info.service == "books" and error.code == 45:
            wait = _seconds(reply.headers.get("X-Rate-Limit-Reset"))
            reason = f"the org's daily API quota is used up ({error.message})"
        elif info.service == "books" and error.code == 44 and wait is None:
            wait = BOOKS_MINUTE_FALLBACK
        if wait is not None and wait > self.retry.max_wait:
            raise RateLimited(service=info.service, wait=wait, reason=reason, code=error.code)
        return _Transient(f"HTTP 429 {error.code}", wait=wait, rate_limited=True, error=error)

    # -- Books' budget -----------------------------------------------------------------------

    def _books_gate(self) -> None:
        """Before a Books attempt: sit out a used-up daily quota (if short), then the minute budget."""
        now = self.clock.now()
        if self._books_hold_until is not None and now < self._books_hold_until:
            wait = (self._books_hold_until - now).total_seconds()
            if wait > self.retry.max_wait:
                raise RateLimited(
                    service="books",
                    wait=wait,
                    reason="the org's daily API quota is used up (X-Rate-Limit-Remaining: 0)",
                    code=45,
                )
            self._announce("Books: the org's daily API quota is used up", wait)
            self.clock.sleep(wait)
            now = self.clock.now()
        if self.books_budget is None:
            return
        wait = self.books_budget.wait_needed(now)
        if wait > 0:
            self._announce(f"Books: {self.books_budget.limit} calls a minute are used up", wait)
            self.clock.sleep(wait)
            now = self.clock.now()
        self.books_budget.record(now)

    def _note_books_quota(self, reply: httpx.Response) -> None:
        remaining = _seconds(reply.headers.get("X-Rate-Limit-Remaining"))
        reset = _seconds(reply.headers.get("X-Rate-Limit-Reset"))
        if remaining is not None and remaining <= 0 and reset is not None:
            self._books_hold_until = self.clock.now() + timedelta(seconds=reset)


def api_error(info: RequestInfo, reply: httpx.Response, *, attempts: int = 1) -> ZohoApiError:
    """A reply as an error: CRM ``{code, message, details}``, Books ``{code, message}``, or text."""
    try:
        body: Any = reply.json()
    except ValueError:
        body = reply.text
    code = message = None
    if isinstance(body, dict):
        code, message = body.get("code"), body.get("message")
        items = body.get("data")
        if code is None and isinstance(items, list) and items and isinstance(items[0], dict):
            code, message = items[0].get("code"), items[0].get("message")
    return ZohoApiError(
        service=info.service,
        status=reply.status_code,
        code=code,
        message=str(message if message is not None else str(body)[:200]),
        body=body,
        method=info.method,
        url=info.url,
        attempts=attempts,
    )


def _exhausted(info: RequestInfo, last: _Transient, *, attempts: int, wait: float) -> Exception:
    if last.rate_limited:
        reason = f"still refused after {attempts} attempts ({last.last})"
        code = last.error.code if last.error else None
        return RateLimited(service=info.service, wait=wait, reason=reason, code=code)
    return ZohoUnavailable(
        service=info.service,
        method=info.method,
        url=info.url,
        attempts=attempts,
        last=last.last,
        error=last.error,
    )


def _retry_after(body: Any, headers: httpx.Headers) -> float | None:
    """CRM's ``details.retry_after``, else a numeric ``Retry-After`` header (seconds)."""
    details = body.get("details") if isinstance(body, dict) else None
    if isinstance(details, dict):
        value = _seconds(details.get("retry_after"))
        if value is not None:
            return value
    return _seconds(headers.get("Retry-After"))


def _seconds(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, seconds)
