"""What the clients raise. Each message says what happened and, where there is one, the fix."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

#: Known codes whose fix is worth naming in the message.
_HINTS: dict[str | int, str] = {
    "INVALID_TOKEN": "the access token was refused even after a refresh: check the refresh token",
    "AUTHENTICATION_FAILURE": "the access token was refused even after a refresh: check the refresh token",
    "OAUTH_SCOPE_MISMATCH": "the refresh token lacks a ZohoCRM scope this call needs "
    "(e.g. ZohoCRM.modules.ALL, ZohoCRM.settings.ALL): issue one with the scopes",
    "INVALID_MODULE": "check the module's API name (Accounts, Contacts, Vendors, Products)",
    "NO_PERMISSION": "the CRM user behind the token lacks the permission named in details",
    57: "the token is invalid or lacks a ZohoBooks scope (ZohoBooks.contacts.*, ZohoBooks.settings.*, "
    "or ZohoBooks.fullaccess.all): check the refresh token's scopes",
    6041: "the token's user cannot reach that organization: check books_organization_id",
    3062: "the Books org disallows duplicate display names",
}


class ZohoClientError(Exception):
    """Everything the clients raise derives from this."""


class AuthFailed(ZohoClientError):
    """The accounts server refused the refresh token grant."""

    def __init__(self, error: str, *, accounts_url: str) -> None:
        super().__init__(
            f"Zoho accounts ({accounts_url}) refused the refresh-token grant: {error!r}. Check client_id, "
            "client_secret and refresh_token, and that accounts_url is the accounts server of the data "
            "centre the refresh token was issued by."
        )
        self.error = error
        self.accounts_url = accounts_url


class ZohoApiError(ZohoClientError):
    """A reply that is an error and not worth retrying (or no longer: see ``attempts``)."""

    def __init__(
        self,
        *,
        service: str,
        status: int,
        code: str | int | None,
        message: str,
        body: Any,
        method: str = "",
        url: str = "",
        attempts: int = 1,
    ) -> None:
        where = f" on {method} {url}" if method else ""
        hint = _HINTS.get(code) if code is not None else None
        tries = f" (after {attempts} attempts)" if attempts > 1 else ""
        super().__init__(
            f"{service} answered {status} {code}: {message}{where}{tries}"
            + (f". Fix: {hint}" if hint else "")
        )
        self.service, self.status, self.code, self.message, self.body = service, status, code, message, body
        self.method, self.url, self.attempts = method, url, attempts

    @property
    def details(self) -> dict[str, Any]:
        details = self.body.get("details") if isinstance(self.body, dict) else None
        return details if isinstance(details, dict) else {}


class ViewPastTokenLimit(ZohoClientError):
    """A view holds more records than page tokens reach, and COQL can't express a view."""

    def __init__(self, *, module: str, cvid: str, read: int) -> None:
        super().__init__(
            f"CRM stopped the read of {module} view {cvid} after {read} records: page_token reaches "
            "at most 100,000 records (PAGINATION_LIMIT_EXCEEDED), and the rest of a view can't be read "
            "with COQL. Fix: narrow the view's criteria below 100,000 records, or sync without a view."
        )
        self.module, self.cvid, self.read = module, cvid, read


class ZohoUnavailable(ZohoClientError):
    """Transient failures (5xx, timeouts, dropped connections) outlasted every retry."""

    def __init__(
        self,
        *,
        service: str,
        method: str,
        url: str,
        attempts: int,
        last: str,
        error: ZohoApiError | None = None,
    ) -> None:
        super().__init__(
            f"{service} stayed unavailable on {method} {url} after {attempts} attempts (last: {last}); "
            "the run can be resumed later"
        )
        self.service, self.method, self.url, self.attempts, self.last = service, method, url, attempts, last
        self.error = error


class RateLimited(ZohoClientError):
    """Zoho asks for a wait longer than the client will sit through (or retries ran out)."""

    def __init__(self, *, service: str, wait: float, reason: str, code: str | int | None = None) -> None:
        super().__init__(
            f"{service} rate limit: {reason}; the next call is possible in {wait:.0f} s. "
            "Resume the run after that (or raise max_wait to sit it out)"
        )
        self.service, self.wait, self.reason, self.code = service, wait, reason, code


@dataclass(frozen=True)
class RequestInfo:
    service: str
    method: str
    url: str
    params: dict[str, Any] | None
    json: Any


class WriteOutcomeUnknown(ZohoClientError):
    """A create may or may not have happened: the reply was lost after the request went out.

    Retrying blindly could create the record twice; look for it first (e.g. search by its match
    key), then retry only if it is absent. ``done`` holds the outcomes of earlier batches of the
    same call, which did complete.
    """

    def __init__(self, request: RequestInfo, *, cause: str) -> None:
        super().__init__(
            f"the outcome of {request.method} {request.url} is unknown ({cause}): the write may have "
            "happened; look for the record before retrying it"
        )
        self.request, self.cause = request, cause
        self.done: list[Any] = []


class ReadOnly(ZohoClientError):
    """A write asked of clients connected read-only (``zohosim sync --dry-run``): a bug, never sent."""
