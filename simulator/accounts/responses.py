"""The accounts server's routes: token grants, revocation and the consent redirect."""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from simulator.accounts import scopes as scope_rules
from simulator.accounts.models import AccessToken, OAuthError, RefreshToken
from simulator.http import json_response, read_form
from simulator.tenants import Simulator

_ZOHO_API_HOSTS = {"accounts.zohocloud.ca": "https://www.zohoapis.ca"}


def api_domain(request: Request) -> str:
    """For a real Zoho accounts host (respx routing), its API host; else the simulator's public URL
    (``--public-url``) or, without one, the base URL the request came to."""
    host = request.url.hostname or ""
    if host in _ZOHO_API_HOSTS:
        return _ZOHO_API_HOSTS[host]
    if host.startswith("accounts.zoho."):
        return "https://www.zohoapis." + host.removeprefix("accounts.zoho.")
    public_url: str | None = request.app.state.simulator.public_url
    return public_url.rstrip("/") if public_url else f"{request.url.scheme}://{request.url.netloc}"


async def token(request: Request) -> Response:
    sim: Simulator = request.app.state.simulator
    form = await read_form(request)
    grant_type = form.get("grant_type", "")
    client_id, client_secret = form.get("client_id", ""), form.get("client_secret", "")
    try:
        if grant_type == "refresh_token":
            access = sim.accounts.refresh(
                client_id=client_id, client_secret=client_secret, refresh_token=form.get("refresh_token", "")
            )
            return _token_reply(request, access)
        if grant_type == "authorization_code":
            access, refresh = sim.accounts.exchange_code(
                client_id=client_id,
                client_secret=client_secret,
                code=form.get("code", ""),
                redirect_uri=form.get("redirect_uri"),
            )
            return _token_reply(request, access, refresh=refresh)
        if grant_type == "client_credentials":
            access = sim.accounts.client_credentials(
                client_id=client_id,
                client_secret=client_secret,
                scopes=scope_rules.parse(form.get("scope", "")),
            )
            return _token_reply(request, access, with_scope=True)
        raise OAuthError("unsupported_grant_type")
    except OAuthError as exc:
        return json_response({"error": exc.code})


async def revoke(request: Request) -> Response:
    sim: Simulator = request.app.state.simulator
    form = await read_form(request)
    sim.accounts.revoke(form.get("token", ""))
    return json_response({"status": "success"})


async def authorize(request: Request) -> Response:
    """The consent page, approved at once: redirect to ``redirect_uri`` with a grant code.

    ``grant_type=client_credentials`` here is the form Zoho's CRM docs spell for self clients.
    """
    if request.query_params.get("grant_type") == "client_credentials":
        return await token(request)
    sim: Simulator = request.app.state.simulator
    params = request.query_params
    try:
        grant = sim.accounts.issue_grant_code(
            client_id=params.get("client_id", ""),
            scopes=scope_rules.parse(params.get("scope", "")),
            redirect_uri=params.get("redirect_uri"),
        )
    except OAuthError as exc:
        return json_response({"error": exc.code})
    query = {"code": grant.code, "location": "us", "accounts-server": api_domain(request)}
    if "state" in params:
        query["state"] = params["state"]
    return RedirectResponse(f"{grant.redirect_uri}?{urlencode(query)}", status_code=302)


def _token_reply(
    request: Request, access: AccessToken, *, refresh: RefreshToken | None = None, with_scope: bool = False
) -> Response:
    body: dict[str, object] = {"access_token": access.token}
    if refresh is not None:
        body["refresh_token"] = refresh.token
    if with_scope:
        body["scope"] = " ".join(access.scopes)
    body |= {"api_domain": api_domain(request), "token_type": "Bearer", "expires_in": 3600}
    return json_response(body)
