"""The console over HTTP, without a browser: the front door, its JSON index, forms and their errors.
The pages themselves are clicked through in tests/browser/."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from simulator.control.urls import routes as control_routes
from simulator.tenants import Simulator
from simulator.testing import in_process
from tests.support import ZohoClient

P = "/__zohosim/console"
HTML = {"accept": "text/html,application/xhtml+xml"}


def test_the_front_door_is_the_console_for_a_browser(zoho: ZohoClient) -> None:
    for path in ("/", "/__zohosim/", "/__zohosim", f"{P}/"):
        reply = zoho.http.get(path, headers=HTML)
        assert reply.status_code == 200, path
        assert reply.headers["content-type"].startswith("text/html")
        assert 'id="tenant-t1"' in reply.text


def test_the_front_door_is_an_index_of_routes_for_an_api_client(zoho: ZohoClient) -> None:
    index = zoho.http.get("/", headers={"accept": "application/json"}).json()
    assert index["console"] == P
    listed = {(route["path"], method) for route in index["control"] for method in route["methods"]}
    for route in control_routes:
        for method in route.methods or ():
            assert (f"/__zohosim{route.path}", method) in listed


def test_a_refused_change_shows_the_control_planes_message(zoho: ZohoClient) -> None:
    reply = zoho.http.post(f"{P}/clock", data={"advance": "-1"})
    assert reply.status_code == 303
    outcome = parse_qs(urlsplit(reply.headers["location"]).query)
    assert outcome["error"] == ["'advance' must be a number of seconds >= 0"]
    assert zoho.control("GET", "/clock").json()["now"] == "2026-01-15T09:00:00+00:00"


def test_a_change_goes_through_the_control_plane(zoho: ZohoClient) -> None:
    reply = zoho.http.post(
        f"{P}/tenants/t1/limits", data={"service": "books", "enabled": "on", "plan": "free"}
    )
    assert reply.status_code == 303
    assert zoho.control("GET", "/tenants/t1/limits").json()["books"]["per_day"] == 1000
    refused = zoho.http.post(f"{P}/tenants/t1/limits", data={"service": "books", "plan": "gold"})
    assert "plan" in parse_qs(urlsplit(refused.headers["location"]).query)["error"][0]


def test_unknown_things_are_404s(zoho: ZohoClient) -> None:
    assert zoho.http.get(f"{P}/tenants/t1/crm/Leads").json()["error"]["code"] == "unknown_page"
    assert zoho.http.get(f"{P}/tenants/nobody").json()["error"]["code"] == "unknown_tenant"
    assert zoho.http.get(f"{P}/tenants/t1/crm/Accounts/1", headers=HTML).status_code == 404
    assert zoho.http.get(f"{P}/requests/999999", headers=HTML).status_code == 404


def test_the_log_poll_answers_only_when_there_is_something_new(zoho: ZohoClient) -> None:
    last = zoho.control("GET", "/requests").json()["last_seq"]
    assert zoho.http.get(f"{P}/requests/rows", params={"since_seq": last}).status_code == 204
    zoho.crm("GET", "/Accounts", params={"per_page": 1})
    fresh = zoho.http.get(f"{P}/requests/rows", params={"since_seq": last})
    assert fresh.status_code == 200
    assert "/crm/v8/Accounts" in fresh.text


def test_a_page_past_the_end_is_empty(zoho: ZohoClient) -> None:
    reply = zoho.http.get(f"{P}/tenants/t1/crm/Accounts", params={"page": 1000})
    assert "Nothing here" in reply.text
    assert 'rel="next"' not in reply.text


def test_the_console_is_behind_the_control_token() -> None:
    sim = Simulator(control_token="s3cret")
    sim.create_tenant()
    with in_process(sim) as running:
        client = running.client()
        assert client.get("/", headers=HTML).status_code == 401
        assert client.post(f"{P}/clock", data={"advance": "1"}).status_code == 401
        allowed = {"authorization": "Bearer s3cret"}
        assert client.post(f"{P}/clock", data={"advance": "60"}, headers=allowed).status_code == 303
        assert client.get("/__zohosim/clock", headers=allowed).json()["now"].endswith("01:00+00:00")
