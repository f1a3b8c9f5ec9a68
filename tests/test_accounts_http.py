"""The accounts (OAuth) server: grants, errors as HTTP 200, expiry on the virtual clock, scopes."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

from tests.support import ZohoClient

TOKEN = re.compile(r"^1000\.[0-9a-f]{32}\.[0-9a-f]{32}$")


def _grant(zoho: ZohoClient, **form: str) -> dict:
    reply = zoho.http.post("/oauth/v2/token", data=form)
    assert reply.status_code == 200  # Zoho answers OAuth errors with 200 too
    return reply.json()


def _client(zoho: ZohoClient) -> dict[str, str]:
    return {"client_id": zoho.creds["client_id"], "client_secret": zoho.creds["client_secret"]}


def _consent(zoho: ZohoClient, scope: str, **extra: str) -> str:
    reply = zoho.http.get(
        "/oauth/v2/auth",
        params={"client_id": zoho.creds["client_id"], "scope": scope, "response_type": "code", **extra},
    )
    assert reply.status_code == 302
    return parse_qs(urlsplit(reply.headers["location"]).query)["code"][0]


def test_refresh_grant_returns_a_zoho_token_whose_api_domain_is_the_simulator(zoho: ZohoClient) -> None:
    body = _grant(
        zoho, grant_type="refresh_token", refresh_token=zoho.creds["refresh_token"], **_client(zoho)
    )
    assert set(body) == {"access_token", "api_domain", "token_type", "expires_in"}
    assert TOKEN.match(body["access_token"])
    assert body["api_domain"] == str(zoho.http.base_url).rstrip("/")
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600


def test_token_parameters_may_come_in_the_query_string(zoho: ZohoClient) -> None:
    params = {"grant_type": "refresh_token", "refresh_token": zoho.creds["refresh_token"], **_client(zoho)}
    reply = zoho.http.post("/oauth/v2/token", params=params)
    assert TOKEN.match(reply.json()["access_token"])


def test_token_parameters_may_come_as_multipart_form_data(zoho: ZohoClient) -> None:
    """Zoho's Node.js SDKs (and ``curl -F``) send the refresh grant as multipart/form-data."""
    fields = {"grant_type": "refresh_token", "refresh_token": zoho.creds["refresh_token"], **_client(zoho)}
    reply = zoho.http.post("/oauth/v2/token", files={key: (None, value) for key, value in fields.items()})
    assert reply.request.headers["content-type"].startswith("multipart/form-data")
    assert TOKEN.match(reply.json()["access_token"])


def test_revoke_reads_a_multipart_body(zoho: ZohoClient) -> None:
    fields = {"grant_type": "refresh_token", "refresh_token": zoho.creds["refresh_token"], **_client(zoho)}
    access = _grant(zoho, **fields)["access_token"]
    revoked = zoho.http.post("/oauth/v2/token/revoke", files={"token": (None, access)})
    assert revoked.json() == {"status": "success"}
    listed = zoho.http.get("/crm/v8/Accounts", params={"fields": "Account_Name"},
                           headers={"Authorization": f"Zoho-oauthtoken {access}"})
    assert listed.status_code == 401


def test_a_malformed_multipart_body_is_an_unsupported_grant_not_a_500(zoho: ZohoClient) -> None:
    reply = zoho.http.post(
        "/oauth/v2/token", content=b"--x\r\nnot a part", headers={"content-type": "multipart/form-data"}
    )
    assert reply.status_code == 200 and reply.json() == {"error": "unsupported_grant_type"}


def test_authorization_code_grant_is_single_use_and_returns_a_refresh_token(zoho: ZohoClient) -> None:
    code = _consent(zoho, "ZohoCRM.modules.ALL", redirect_uri="http://localhost/callback", state="xyz")
    body = _grant(
        zoho,
        grant_type="authorization_code",
        code=code,
        redirect_uri="http://localhost/callback",
        **_client(zoho),
    )
    assert TOKEN.match(body["access_token"]) and TOKEN.match(body["refresh_token"])
    again = _grant(zoho, grant_type="authorization_code", code=code, **_client(zoho))
    assert again == {"error": "invalid_code"}


def test_consent_redirect_carries_state_and_the_accounts_server(zoho: ZohoClient) -> None:
    reply = zoho.http.get(
        "/oauth/v2/auth",
        params={"client_id": zoho.creds["client_id"], "scope": "ZohoBooks.fullaccess.all", "state": "s1"},
    )
    query = parse_qs(urlsplit(reply.headers["location"]).query)
    assert query["state"] == ["s1"] and query["location"] == ["us"]
    assert "accounts-server" in query


def test_grant_code_expires_after_three_minutes_of_virtual_time(zoho: ZohoClient) -> None:
    code = _consent(zoho, "ZohoCRM.modules.ALL")
    zoho.control("POST", "/clock", json={"advance": 181})
    assert _grant(zoho, grant_type="authorization_code", code=code, **_client(zoho)) == {
        "error": "invalid_code"
    }


def test_redirect_uri_must_match_the_consent(zoho: ZohoClient) -> None:
    code = _consent(zoho, "ZohoCRM.modules.ALL", redirect_uri=zoho.creds["redirect_uri"])
    body = _grant(
        zoho, grant_type="authorization_code", code=code, redirect_uri="http://localhost/b", **_client(zoho)
    )
    assert body == {"error": "invalid_redirect_uri"}


def test_oauth_errors(zoho: ZohoClient) -> None:
    refresh = zoho.creds["refresh_token"]
    assert _grant(
        zoho, grant_type="refresh_token", refresh_token=refresh, client_id="1000.NOPE", client_secret="x"
    ) == {"error": "invalid_client"}
    wrong_secret = {"client_id": zoho.creds["client_id"], "client_secret": "wrong"}
    assert _grant(zoho, grant_type="refresh_token", refresh_token=refresh, **wrong_secret) == {
        "error": "invalid_client"
    }
    assert _grant(zoho, grant_type="refresh_token", refresh_token="1000.bad.bad", **_client(zoho)) == {
        "error": "invalid_code"
    }
    assert _grant(zoho, grant_type="password", **_client(zoho)) == {"error": "unsupported_grant_type"}
    assert _grant(zoho, grant_type="client_credentials", scope="Nonsense.scope", **_client(zoho)) == {
        "error": "invalid_scope"
    }
    consent = zoho.http.get(
        "/oauth/v2/auth", params={"client_id": "1000.NOPE", "scope": "ZohoCRM.modules.ALL"}
    )
    assert consent.json() == {"error": "invalid_client"}


def test_client_credentials_grant_echoes_its_scope(zoho: ZohoClient) -> None:
    body = _grant(
        zoho,
        grant_type="client_credentials",
        scope="ZohoCRM.modules.ALL,ZohoCRM.settings.ALL",
        **_client(zoho),
    )
    assert body["scope"] == "ZohoCRM.modules.ALL ZohoCRM.settings.ALL"
    assert (
        zoho.crm(
            "GET", "/Accounts", token=body["access_token"], params={"fields": "Account_Name"}
        ).status_code
        == 200
    )


def test_access_token_expires_after_an_hour_of_virtual_time(zoho: ZohoClient) -> None:
    token = zoho.token()
    zoho.control("POST", "/clock", json={"advance": 3599})
    assert zoho.crm("GET", "/org", token=token).status_code == 200
    zoho.control("POST", "/clock", json={"advance": 1})
    crm = zoho.crm("GET", "/org", token=token)
    assert crm.status_code == 401
    assert crm.json() == {
        "code": "INVALID_TOKEN",
        "details": {},
        "message": "invalid oauth token",
        "status": "error",
    }
    books = zoho.books("GET", "/contacts", token=token)
    assert books.status_code == 401
    assert books.json()["code"] == 57


def test_revoking_the_refresh_token_ends_it_and_its_access_tokens(zoho: ZohoClient) -> None:
    code = _consent(zoho, "ZohoCRM.org.ALL")
    body = _grant(zoho, grant_type="authorization_code", code=code, **_client(zoho))
    assert zoho.crm("GET", "/org", token=body["access_token"]).status_code == 200
    revoked = zoho.http.post("/oauth/v2/token/revoke", params={"token": body["refresh_token"]})
    assert revoked.json() == {"status": "success"}
    assert zoho.crm("GET", "/org", token=body["access_token"]).status_code == 401
    again = _grant(zoho, grant_type="refresh_token", refresh_token=body["refresh_token"], **_client(zoho))
    assert again == {"error": "invalid_code"}


def test_missing_or_unknown_credentials(zoho: ZohoClient) -> None:
    crm = zoho.crm("GET", "/org", auth=False)
    assert crm.status_code == 401
    assert crm.json() == {
        "code": "AUTHENTICATION_FAILURE",
        "details": {},
        "message": "Authentication failed",
        "status": "error",
    }
    assert zoho.crm("GET", "/org", token="1000.unknown.token").json()["code"] == "INVALID_TOKEN"
    books = zoho.books("GET", "/contacts", auth=False)
    assert (books.status_code, books.json()["code"]) == (401, 14)


def test_scopes_are_enforced_per_service_and_module(zoho: ZohoClient) -> None:
    token = zoho.token(("ZohoCRM.modules.accounts.READ", "ZohoBooks.contacts.READ"))
    assert zoho.crm("GET", "/Accounts", token=token, params={"fields": "Account_Name"}).status_code == 200
    denied = zoho.crm("GET", "/Contacts", token=token, params={"fields": "Last_Name"})
    assert denied.status_code == 401
    assert denied.json()["code"] == "OAUTH_SCOPE_MISMATCH"
    write = zoho.crm("POST", "/Accounts", token=token, json={"data": [{"Account_Name": "Nope"}]})
    assert write.json()["code"] == "OAUTH_SCOPE_MISMATCH"
    assert zoho.books("GET", "/contacts", token=token).status_code == 200
    items = zoho.books("GET", "/items", token=token)
    assert (items.status_code, items.json()["code"]) == (401, 57)
