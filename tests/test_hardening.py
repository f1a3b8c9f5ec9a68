"""Hostile and unlucky input: every case here answered 500, broke a later request, or lost a write.

Each test names the defect it pins down; all of them failed before the fix.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from simulator.app import create_app
from simulator.cli import _exposed_warning, _is_loopback, main
from simulator.requestlog import BODY_LIMIT, RequestLog
from simulator.store import Store
from simulator.tenants import Simulator, Sizes, attach_store
from simulator.testing import build_simulator, in_process_client, serve_in_thread
from tests.support import ZohoClient

SMALL = Sizes(accounts=5, contacts=5, vendors=2, products=2, books_extra=0)


def test_search_criteria_nested_1500_deep_is_an_invalid_query(zoho: ZohoClient) -> None:
    criteria = "(" * 1500 + "Account_Name:equals:x" + ")" * 1500
    reply = zoho.crm("GET", "/Accounts/search", params={"criteria": criteria})
    assert reply.status_code == 400
    assert reply.json()["code"] == "INVALID_QUERY"


def test_a_body_nested_too_deep_for_the_log_leaves_the_log_readable(zoho: ZohoClient) -> None:
    deep = b"[" * 300 + b"]" * 300
    zoho.http.post("/crm/v8/Accounts", content=deep, headers={"content-type": "application/json"})
    reply = zoho.control("GET", "/requests", params={"path_contains": "/crm/v8/Accounts"})
    assert reply.status_code == 200
    assert reply.json()["requests"][-1]["body"] == deep.decode()


@pytest.mark.parametrize(
    "body",
    [
        {"advance": 1e12},
        {"set": "9999-12-31T23:59:59.999Z"},
        {"set": "0001-01-01T00:00:00Z"},
        {"advance": -1},
        {"advance": "soon"},
    ],
    ids=["advance-1e12", "year-9999", "year-1", "backwards", "text"],
)
def test_the_clock_refuses_instants_out_of_range(zoho: ZohoClient, body: dict[str, object]) -> None:
    before = zoho.control("GET", "/clock").json()
    reply = zoho.control("POST", "/clock", json=body)
    assert reply.status_code == 400
    assert reply.json()["error"]["code"] == "bad_request"
    assert zoho.control("GET", "/clock").json() == before
    assert zoho.crm("GET", "/Accounts", params={"fields": "Account_Name"}).status_code == 200


def test_a_write_that_fails_to_persist_is_not_applied_in_memory_or_on_disk(tmp_path: Path) -> None:
    sim = build_simulator()
    attach_store(sim, Store(tmp_path / "zohosim.sqlite3"))
    tenant = sim.create_tenant(sizes=SMALL)
    from simulator.tenants import persist

    persist(sim)
    with in_process_client(create_app(sim)) as http:
        client = ZohoClient(mode="asgi", http=http, creds=tenant.credentials())
        token = client.token()
        assert sim.store is not None
        sim.store._db.execute("PRAGMA max_page_count = 1")  # the disk is full from now on
        big = [{"Account_Name": f"Full disk {n}", "Description": "x" * 2000} for n in range(50)]
        reply = client.crm("POST", "/Accounts", token=token, json={"data": big})
        assert reply.status_code == 500
        assert reply.json()["code"] == "INTERNAL_ERROR"
        sim.store._db.execute("PRAGMA max_page_count = 1073741823")
        tenant = sim.tenants[tenant.tenant_id]
        criteria = {"criteria": "(Account_Name:starts_with:Full disk)"}
        found = client.crm("GET", "/Accounts/search", token=token, params=criteria)
        assert found.status_code == 204  # not in memory
        later = client.crm("POST", "/Accounts", token=token, json={"data": [{"Account_Name": "Later"}]})
        assert later.is_success
    restarted = build_simulator()
    attach_store(restarted, Store(tmp_path / "zohosim.sqlite3"))
    saved = restarted.tenants[tenant.tenant_id].crm.to_json()["records"]["Accounts"]
    names = {record["Account_Name"] for record in saved}
    assert "Later" in names and not any(name.startswith("Full disk") for name in names)  # not on disk


def test_the_request_log_is_bounded_in_bytes_and_says_what_it_cut() -> None:
    log = RequestLog(max_bytes=4 * BODY_LIMIT)
    for n in range(300):
        log.append(
            time="", tenant_id=None, service="crm", method="POST", path=f"/{n}", query="", status=401,
            raw_body=b"x" * (1024 * 1024),
        )
    entries = list(log)
    assert 0 < len(entries) <= 4 and entries[-1].path == "/299"
    assert entries[-1].body_truncated and entries[-1].body_bytes == 1024 * 1024
    assert len(entries[-1].body) == BODY_LIMIT


def test_tenant_ids_are_checked_and_automatic_ids_never_collide(zoho: ZohoClient) -> None:
    one = {"sizes": {"accounts": 1}}
    assert zoho.control("POST", "/tenants", json={"tenant_id": "t2", **one}).status_code == 201
    zoho.control("DELETE", "/tenants/t2")
    assert zoho.control("POST", "/tenants", json={"tenant_id": "t3", **one}).status_code == 201
    made = [zoho.control("POST", "/tenants", json={"sizes": {"accounts": 1}}) for _ in range(2)]
    assert [reply.status_code for reply in made] == [201, 201]
    made_ids = {reply.json()["tenant_id"] for reply in made}
    assert len(made_ids) == 2 and not made_ids & {"t1", "t3"}
    for bad in ([1], "123", "../x", "", "a" * 64):
        reply = zoho.control("POST", "/tenants", json={"tenant_id": bad})
        assert reply.status_code == 400, bad
        assert "tenant_id" in reply.json()["error"]["message"]


def test_after_an_unexpected_error_the_connection_stays_usable(monkeypatch: pytest.MonkeyPatch) -> None:
    sim = build_simulator()
    tenant = sim.create_tenant(sizes=SMALL)
    with serve_in_thread(sim) as running, httpx.Client(base_url=running.base_url) as http:
        client = ZohoClient(mode="server", http=http, creds=tenant.credentials())
        token = client.token()

        def broken(*args: object, **kwargs: object) -> None:
            raise RuntimeError("a bug")

        monkeypatch.setattr(type(sim.tenants[tenant.tenant_id].crm), "list_records", broken)
        reply = client.crm("GET", "/Accounts", token=token, params={"fields": "Account_Name"})
        assert reply.status_code == 500 and reply.json()["code"] == "INTERNAL_ERROR"
        monkeypatch.undo()
        again = client.crm("GET", "/Accounts", token=token, params={"fields": "Account_Name"})
        assert again.status_code == 200


@pytest.fixture
def store_dir(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path / "data"


@pytest.mark.parametrize("problem", ["corrupt", "not-sqlite-schema", "a-file", "clock-out-of-range"])
def test_a_store_that_cannot_be_served_is_a_one_line_error(
    store_dir: Path, problem: str, capsys: pytest.CaptureFixture[str]
) -> None:
    if problem == "a-file":
        store_dir.write_text("not a folder")
    else:
        store_dir.mkdir()
        path = store_dir / "zohosim.sqlite3"
        if problem == "corrupt":
            path.write_bytes(b"this is not a database" * 100)
        elif problem == "not-sqlite-schema":
            with sqlite3.connect(path) as db:
                db.execute("CREATE TABLE documents (something_else TEXT)")
        else:
            with sqlite3.connect(path) as db:
                db.executescript(
                    "CREATE TABLE documents (owner TEXT, part TEXT, doc BLOB, PRIMARY KEY (owner, part));"
                    "CREATE TABLE entities (owner TEXT, part TEXT, collection TEXT, entity_id TEXT,"
                    " ord INTEGER, doc BLOB, PRIMARY KEY (owner, part, collection, entity_id));"
                )
                accounts = b'{"clients": []}'
                db.execute("INSERT INTO documents VALUES ('__server__', 'accounts', ?)", (accounts,))
                db.execute(
                    "INSERT INTO documents VALUES ('__server__', 'clock', ?)",
                    (b'{"now": "9999-12-31T23:59:59.999+00:00", "frozen": true}',),
                )
    code = main(["serve", "--port", "0", "--data-dir", str(store_dir), "--accounts", "1"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert len(err) == 1 and err[0].startswith("zohosim: ") and "--data-dir" in err[0]
    assert "Traceback" not in err[0]


def test_listening_beyond_loopback_warns_and_the_control_token_guards_the_control_plane() -> None:
    assert _is_loopback("127.0.0.1") and _is_loopback("localhost") and _is_loopback("::1")
    assert not _is_loopback("0.0.0.0")
    assert "--control-token" in _exposed_warning("0.0.0.0", has_token=False)
    sim = Simulator(control_token="s3cret")
    sim.create_tenant(sizes=SMALL)
    with in_process_client(create_app(sim)) as http:
        refused = http.get("/__zohosim/tenants")
        assert refused.status_code == 401
        assert refused.json()["error"]["code"] == "control_token_required"
        assert http.get("/__zohosim/tenants", headers={"Authorization": "Bearer wrong"}).status_code == 401
        allowed = http.get("/__zohosim/tenants", headers={"Authorization": "Bearer s3cret"})
        assert allowed.status_code == 200


def test_api_domain_is_the_public_url_not_the_host_header() -> None:
    sim = Simulator(public_url="http://zohosim.internal:8765/")
    creds = sim.create_tenant(sizes=SMALL).credentials()
    with in_process_client(create_app(sim)) as http:
        reply = http.post(
            "/oauth/v2/token",
            headers={"Host": "evil.example"},
            data={"grant_type": "refresh_token", "client_id": creds["client_id"],
                  "client_secret": creds["client_secret"], "refresh_token": creds["refresh_token"]},
        )
    assert reply.json()["api_domain"] == "http://zohosim.internal:8765"


def test_grant_codes_go_only_to_the_registered_redirect_uri(zoho: ZohoClient) -> None:
    params = {"client_id": zoho.creds["client_id"], "scope": "ZohoCRM.modules.ALL", "response_type": "code"}
    elsewhere = zoho.http.get("/oauth/v2/auth", params={**params, "redirect_uri": "https://evil.example/cb"})
    assert elsewhere.status_code == 200 and elsewhere.json() == {"error": "invalid_redirect_uri"}
    home = zoho.creds["redirect_uri"]
    registered = zoho.http.get("/oauth/v2/auth", params={**params, "redirect_uri": home})
    assert registered.status_code == 302
    assert "code" in parse_qs(urlsplit(registered.headers["location"]).query)
    made = zoho.control(
        "POST", "/tenants", json={"sizes": {"accounts": 1}, "redirect_uri": "https://app.example/oauth"}
    )
    assert made.json()["redirect_uri"] == "https://app.example/oauth"


def test_non_ascii_digits_are_not_a_record_id(zoho: ZohoClient) -> None:
    reply = zoho.crm("GET", "/Accounts/²")
    assert reply.status_code == 400
    assert zoho.control("GET", "/requests", params={"since_seq": "²"}).status_code == 400
