"""The Zoho accounts (OAuth) server's state: clients, grant codes, refresh and access tokens.

It knows nothing of HTTP. Tokens are drawn from a seeded generator, so a seed always prints the
same credentials; expiry reads the virtual clock.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from simulator.accounts import scopes as scope_rules
from simulator.clock import Clock
from simulator.fastdict import asdict

ACCESS_TOKEN_SECONDS = 3600
GRANT_CODE_SECONDS = 180

OAuthErrorCode = Literal[
    "invalid_client", "invalid_code", "invalid_redirect_uri", "unsupported_grant_type", "invalid_scope"
]


class OAuthError(Exception):
    """An error of the token endpoint; Zoho answers these with HTTP 200 and ``{"error": code}``."""

    def __init__(self, code: OAuthErrorCode) -> None:
        super().__init__(code)
        self.code = code


class AuthError(Exception):
    """An API call's credentials are unusable. Each service maps ``kind`` to its own error."""

    def __init__(self, kind: Literal["missing", "invalid", "expired"]) -> None:
        super().__init__(kind)
        self.kind = kind


@dataclass
class OAuthClient:
    client_id: str
    client_secret: str
    tenant_id: str
    redirect_uri: str = "http://localhost/callback"


@dataclass
class RefreshToken:
    token: str
    client_id: str
    tenant_id: str
    scopes: tuple[str, ...]


@dataclass
class AccessToken:
    token: str
    client_id: str
    tenant_id: str
    scopes: tuple[str, ...]
    expires_at: datetime

    def allows(self, *, service: str, group: str, action: str, resource: str | None = None) -> bool:
        return scope_rules.allows(self.scopes, service=service, group=group, action=action, resource=resource)


@dataclass
class GrantCode:
    code: str
    client_id: str
    scopes: tuple[str, ...]
    redirect_uri: str
    expires_at: datetime


@dataclass
class Accounts:
    clock: Clock
    rng: random.Random = field(default_factory=lambda: random.Random(0))
    clients: dict[str, OAuthClient] = field(default_factory=dict)
    refresh_tokens: dict[str, RefreshToken] = field(default_factory=dict)
    access_tokens: dict[str, AccessToken] = field(default_factory=dict)
    grant_codes: dict[str, GrantCode] = field(default_factory=dict)

    def register_client(self, *, tenant_id: str, redirect_uri: str | None = None) -> OAuthClient:
        client = OAuthClient(
            client_id="1000." + self._token_chars(30),
            client_secret=self._hex(42),
            tenant_id=tenant_id,
        )
        if redirect_uri is not None:
            client.redirect_uri = redirect_uri
        self.clients[client.client_id] = client
        return client

    def issue_refresh_token(self, client: OAuthClient, *, scopes: tuple[str, ...]) -> RefreshToken:
        token = RefreshToken(self._zoho_token(), client.client_id, client.tenant_id, scopes)
        self.refresh_tokens[token.token] = token
        return token

    def issue_grant_code(
        self, *, client_id: str, scopes: tuple[str, ...], redirect_uri: str | None = None
    ) -> GrantCode:
        client = self.clients.get(client_id)
        if client is None:
            raise OAuthError("invalid_client")
        if not scopes or not all(scope_rules.is_known(s) for s in scopes):
            raise OAuthError("invalid_scope")
        if redirect_uri and redirect_uri != client.redirect_uri:  # Zoho sends codes only where registered
            raise OAuthError("invalid_redirect_uri")
        code = GrantCode(
            code=self._zoho_token(),
            client_id=client_id,
            scopes=scopes,
            redirect_uri=redirect_uri or client.redirect_uri,
            expires_at=self.clock.now() + timedelta(seconds=GRANT_CODE_SECONDS),
        )
        self.grant_codes[code.code] = code
        return code

    def exchange_code(
        self, *, client_id: str, client_secret: str, code: str, redirect_uri: str | None
    ) -> tuple[AccessToken, RefreshToken]:
        client = self._client(client_id, client_secret)
        grant = self.grant_codes.pop(code, None)  # single use, even when the exchange fails
        if grant is None or grant.client_id != client_id or grant.expires_at <= self.clock.now():
            raise OAuthError("invalid_code")
        if redirect_uri and redirect_uri != grant.redirect_uri:
            raise OAuthError("invalid_redirect_uri")
        refresh = self.issue_refresh_token(client, scopes=grant.scopes)
        return self._issue_access(client, refresh.scopes), refresh

    def refresh(self, *, client_id: str, client_secret: str, refresh_token: str) -> AccessToken:
        client = self._client(client_id, client_secret)
        stored = self.refresh_tokens.get(refresh_token)
        if stored is None or stored.client_id != client_id:
            raise OAuthError("invalid_code")
        return self._issue_access(client, stored.scopes)

    def client_credentials(
        self, *, client_id: str, client_secret: str, scopes: tuple[str, ...]
    ) -> AccessToken:
        client = self._client(client_id, client_secret)
        if not scopes or not all(scope_rules.is_known(s) for s in scopes):
            raise OAuthError("invalid_scope")
        return self._issue_access(client, scopes)

    def revoke(self, token: str) -> None:
        """Revoking a refresh token also ends the access tokens it issued for that client."""
        stored = self.refresh_tokens.pop(token, None)
        self.access_tokens.pop(token, None)
        if stored is not None:
            for key in [k for k, v in self.access_tokens.items() if v.client_id == stored.client_id]:
                del self.access_tokens[key]

    def authenticate(self, token: str | None) -> AccessToken:
        if not token:
            raise AuthError("missing")
        stored = self.access_tokens.get(token)
        if stored is None:
            raise AuthError("invalid")
        if stored.expires_at <= self.clock.now():
            raise AuthError("expired")
        return stored

    def forget_tenant(self, tenant_id: str) -> None:
        for table in (self.clients, self.refresh_tokens, self.access_tokens):
            for key in [k for k, v in table.items() if v.tenant_id == tenant_id]:
                del table[key]

    def to_json(self) -> dict[str, Any]:
        """Everything, the generator's state included, so a restarted server never re-issues a token."""
        version, state, gauss = self.rng.getstate()
        return {
            "rng": [version, list(state), gauss],
            "clients": [asdict(c) for c in self.clients.values()],
            "refresh_tokens": [asdict(t) for t in self.refresh_tokens.values()],
            "access_tokens": [_timed(asdict(t)) for t in self.access_tokens.values()],
            "grant_codes": [_timed(asdict(g)) for g in self.grant_codes.values()],
        }

    def load_json(self, data: dict[str, Any]) -> None:
        version, state, gauss = data["rng"]
        self.rng.setstate((version, tuple(state), gauss))
        self.clients = {c["client_id"]: OAuthClient(**c) for c in data["clients"]}
        self.refresh_tokens = {
            t["token"]: RefreshToken(**{**t, "scopes": tuple(t["scopes"])}) for t in data["refresh_tokens"]
        }
        self.access_tokens = {t["token"]: AccessToken(**_untimed(t)) for t in data["access_tokens"]}
        self.grant_codes = {g["code"]: GrantCode(**_untimed(g)) for g in data["grant_codes"]}

    def _client(self, client_id: str, client_secret: str) -> OAuthClient:
        client = self.clients.get(client_id)
        if client is None or client.client_secret != client_secret:
            raise OAuthError("invalid_client")
        return client

    def _issue_access(self, client: OAuthClient, scopes: tuple[str, ...]) -> AccessToken:
        token = AccessToken(
            token=self._zoho_token(),
            client_id=client.client_id,
            tenant_id=client.tenant_id,
            scopes=scopes,
            expires_at=self.clock.now() + timedelta(seconds=ACCESS_TOKEN_SECONDS),
        )
        self.access_tokens[token.token] = token
        return token

    def _zoho_token(self) -> str:
        """Zoho's shape: ``1000.<32 hex>.<32 hex>``."""
        return f"1000.{self._hex(32)}.{self._hex(32)}"

    def _hex(self, length: int) -> str:
        return "".join(self.rng.choice("0123456789abcdef") for _ in range(length))

    def _token_chars(self, length: int) -> str:
        alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
        return "".join(self.rng.choice(alphabet) for _ in range(length))


def _timed(data: dict[str, Any]) -> dict[str, Any]:
    return {**data, "expires_at": data["expires_at"].isoformat()}


def _untimed(data: dict[str, Any]) -> dict[str, Any]:
    return {**data, "expires_at": datetime.fromisoformat(data["expires_at"]), "scopes": tuple(data["scopes"])}
