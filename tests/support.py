"""One client for the project's HTTP tests, whichever way the simulator runs (in-process or served)."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass, field
from typing import Any, TypedDict
from urllib.parse import parse_qs, urlsplit

import httpx


class SizesArgs(TypedDict):
    """``simulator.tenants.Sizes`` as keyword arguments, ``zohosim serve`` flags and control-plane JSON."""

    accounts: int
    contacts: int
    vendors: int
    products: int
    books_overlap: float
    books_extra: int


TEST_SIZES: SizesArgs = {
    "accounts": 30,
    "contacts": 90,
    "vendors": 10,
    "products": 20,
    "books_overlap": 0.25,
    "books_extra": 5,
}
SEED = 42


@dataclass
class ZohoClient:
    mode: str
    http: httpx.Client
    creds: dict[str, Any] = field(default_factory=dict)
    _tokens: dict[tuple[str, ...] | None, str] = field(default_factory=dict)

    def token(self, scopes: tuple[str, ...] | None = None, *, fresh: bool = False) -> str:
        """An access token, minted once per test (``fresh`` mints another, e.g. after the clock moved)."""
        if fresh or scopes not in self._tokens:
            self._tokens[scopes] = self._refresh_grant() if scopes is None else self._code_grant(scopes)
        return self._tokens[scopes]

    def crm(
        self, method: str, path: str, *, token: str | None = None, auth: bool = True, **kwargs: Any
    ) -> httpx.Response:
        return self._api(method, "/crm/v8" + path, token=token, auth=auth, **kwargs)

    def books(
        self,
        method: str,
        path: str,
        *,
        token: str | None = None,
        org: str | bool | None = None,
        auth: bool = True,
        **kwargs: Any,
    ) -> httpx.Response:
        params = dict(kwargs.pop("params", None) or {})
        if org is not False:
            params.setdefault("organization_id", org or self.creds["books_organization_id"])
        return self._api(method, "/books/v3" + path, token=token, auth=auth, params=params, **kwargs)

    def control(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return self.http.request(method, "/__zohosim" + path, **kwargs)

    def _api(self, method: str, path: str, *, token: str | None, auth: bool, **kwargs: Any) -> httpx.Response:
        headers = dict(kwargs.pop("headers", None) or {})
        if auth:
            headers.setdefault("Authorization", f"Zoho-oauthtoken {token or self.token()}")
        return self.http.request(method, path, headers=headers, **kwargs)

    def _refresh_grant(self) -> str:
        reply = self.http.post(
            "/oauth/v2/token",
            data={
                "grant_type": "refresh_token",
                "client_id": self.creds["client_id"],
                "client_secret": self.creds["client_secret"],
                "refresh_token": self.creds["refresh_token"],
            },
        )
        return reply.json()["access_token"]

    def _code_grant(self, scopes: tuple[str, ...]) -> str:
        consent = self.http.get(
            "/oauth/v2/auth",
            params={
                "client_id": self.creds["client_id"],
                "scope": ",".join(scopes),
                "response_type": "code",
                "redirect_uri": "http://localhost/callback",
            },
        )
        code = parse_qs(urlsplit(consent.headers["location"]).query)["code"][0]
        reply = self.http.post(
            "/oauth/v2/token",
            data={
                "grant_type": "authorization_code",
                "client_id": self.creds["client_id"],
                "client_secret": self.creds["client_secret"],
                "code": code,
                "redirect_uri": "http://localhost/callback",
            },
        )
        return reply.json()["access_token"]


def serve_args(*extra: str) -> list[str]:
    sizes = [arg for key, value in TEST_SIZES.items() for arg in (f"--{key.replace('_', '-')}", str(value))]
    return [sys.executable, "-m", "simulator", "serve", "--port", "0", "--seed", str(SEED), *sizes, *extra]


def start_server(*extra: str) -> tuple[subprocess.Popen[str], str]:
    """Start ``zohosim serve`` on a free port and wait for its ready line (bounded by the banner's length)."""
    process = subprocess.Popen(
        serve_args(*extra), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    assert process.stdout is not None
    seen = []
    for _ in range(100):
        line = process.stdout.readline()
        if not line:
            break
        seen.append(line)
        if line.startswith("zohosim ready at "):
            return process, line.removeprefix("zohosim ready at ").strip()
    stop_server(process)
    raise RuntimeError("zohosim serve did not start:\n" + "".join(seen))


def stop_server(process: subprocess.Popen[str]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)
    if process.stdout:
        process.stdout.close()
