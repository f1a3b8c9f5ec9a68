"""Access tokens from a refresh token, cached until they are about to expire (by the sync clock)."""

from __future__ import annotations

from datetime import datetime, timedelta

import httpx

from syncer.clients.clock import SyncClock
from syncer.clients.counter import CallCounter
from syncer.clients.errors import AuthFailed, ZohoApiError

#: Refresh this long before Zoho's expiry, so a token never dies between check and use.
EXPIRY_MARGIN = timedelta(seconds=60)


class TokenSource:
    def __init__(
        self,
        http: httpx.Client,
        *,
        accounts_url: str,
        client_id: str,
        client_secret: str,
        refresh_token: str,
        clock: SyncClock,
        counter: CallCounter | None = None,
        margin: timedelta = EXPIRY_MARGIN,
    ) -> None:
        self.http = http
        self.accounts_url = accounts_url.rstrip("/")
        self.client_id, self.client_secret, self.refresh_token = client_id, client_secret, refresh_token
        self.clock = clock
        self.counter = counter
        self.margin = margin
        self._token: str | None = None
        self._expires_at: datetime | None = None
        self.api_domain: str | None = None

    def access_token(self) -> str:
        """The cached token, or a fresh one when it is absent, invalidated or about to expire."""
        if self._token is None or self._expires_at is None or self.clock.now() >= self._expires_at:
            self._refresh()
        assert self._token is not None
        return self._token

    def invalidate(self) -> None:
        """Forget the token (Zoho refused it): the next ``access_token()`` refreshes."""
        self._token, self._expires_at = None, None

    def _refresh(self) -> None:
        url = f"{self.accounts_url}/oauth/v2/token"
        form = {
            "grant_type": "refresh_token",
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "refresh_token": self.refresh_token,
        }
        started = self.clock.now()
        if self.counter is not None:
            self.counter.record(service="accounts", method="POST")
        reply = self.http.post(url, data=form)
        body = _json(reply)
        if reply.status_code != 200 or not isinstance(body, dict):
            raise ZohoApiError(
                service="accounts",
                status=reply.status_code,
                code=body.get("error") if isinstance(body, dict) else None,
                message=reply.text[:200],
                body=body,
                method="POST",
                url=url,
            )
        if "access_token" not in body:
            raise AuthFailed(
                str(body.get("error", "no access_token in the reply")), accounts_url=self.accounts_url
            )
        lifetime = timedelta(seconds=float(body.get("expires_in", 3600)))
        self._token = str(body["access_token"])
        self._expires_at = started + max(lifetime - self.margin, timedelta(0))
        self.api_domain = body.get("api_domain")


def _json(reply: httpx.Response) -> object:
    try:
        return reply.json()
    except ValueError:
        return None
