"""Fault rules and Zoho's limits, under the virtual clock."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.support import ZohoClient


def _fault(zoho: ZohoClient, **rule: object) -> dict:
    reply = zoho.control("POST", "/faults", json=rule)
    assert reply.status_code == 201, reply.text
    return reply.json()


@pytest.fixture(autouse=True)
def _no_faults_left(zoho: ZohoClient) -> None:
    zoho.control("DELETE", "/faults")
    zoho.control("PUT", "/tenants/t1/limits", json={"crm": {"enabled": False}, "books": {"enabled": False}})


def _count_accounts(zoho: ZohoClient) -> int:
    return zoho.crm("GET", "/Accounts/actions/count").json()["count"]


def test_an_error_rule_fires_on_the_nth_matching_request(zoho: ZohoClient) -> None:
    _fault(zoho, effect="error", status=503, service="books", method="GET", path="/books/v3/contacts", nth=2)
    statuses = [zoho.books("GET", "/contacts").status_code for _ in range(3)]
    assert statuses == [200, 503, 200]
    assert zoho.books("GET", "/items").status_code == 200


def test_a_429_rule_for_the_next_k_requests_carries_retry_after(zoho: ZohoClient) -> None:
    _fault(zoho, effect="error", status=429, service="crm", path="/crm/v8/Accounts*", times=2, retry_after=7)
    replies = [zoho.crm("GET", "/Accounts", params={"fields": "Account_Name"}) for _ in range(3)]
    assert [r.status_code for r in replies] == [429, 429, 200]
    assert replies[0].json()["code"] == "TOO_MANY_REQUESTS"
    assert replies[0].headers["retry-after"] == "7"


def test_probability_is_deterministic_for_a_seed(zoho: ZohoClient) -> None:
    def run() -> list[int]:
        zoho.control("DELETE", "/faults")
        _fault(zoho, rule_id="coin", effect="error", status=500, service="books", probability=0.5)
        return [zoho.books("GET", "/contacts").status_code for _ in range(12)]

    first = run()
    assert run() == first
    assert {200, 500} == set(first)


def test_dropped_connection_without_the_write(zoho: ZohoClient) -> None:
    before = _count_accounts(zoho)
    _fault(zoho, effect="drop", service="crm", method="POST", times=1)
    with pytest.raises(httpx.RemoteProtocolError):
        zoho.crm("POST", "/Accounts", json={"data": [{"Account_Name": "Lost Ltd"}]})
    assert _count_accounts(zoho) == before


def test_dropped_connection_after_the_write_applied(zoho: ZohoClient) -> None:
    before = _count_accounts(zoho)
    _fault(zoho, effect="drop", service="crm", method="POST", times=1, apply_write=True)
    with pytest.raises(httpx.RemoteProtocolError):
        zoho.crm("POST", "/Accounts", json={"data": [{"Account_Name": "Ghost Ltd"}]})
    assert _count_accounts(zoho) == before + 1
    [logged] = zoho.control("GET", "/requests", params={"method": "POST", "service": "crm"}).json()[
        "requests"
    ][-1:]
    assert logged["fault"].startswith("drop:") and logged["status"] == 201


def test_rules_match_by_tenant(zoho: ZohoClient) -> None:
    zoho.control("POST", "/tenants", json={"tenant_id": "w2", "sizes": {"accounts": 2}})
    _fault(zoho, effect="error", status=500, tenant_id="w2")
    assert zoho.books("GET", "/contacts").status_code == 200


def test_invalid_rules_are_refused_with_the_fix(zoho: ZohoClient) -> None:
    for rule, words in [
        ({"effect": "explode"}, "effect"),
        ({"effect": "error", "status": 418}, "status"),
        ({"effect": "error", "nth": 1, "times": 2}, "at most one"),
        ({"effect": "error", "probability": 2}, "probability"),
        ({"effect": "error", "colour": "red"}, "unknown keys"),
        ({"effect": "error", "tenant_id": "ghost"}, "ghost"),
    ]:
        reply = zoho.control("POST", "/faults", json=rule)
        assert reply.status_code in (400, 404) and words in reply.json()["error"]["message"], rule


def test_latency_rule_still_answers(zoho: ZohoClient) -> None:
    _fault(zoho, effect="latency", latency_ms=5, service="books")
    assert zoho.books("GET", "/contacts").status_code == 200


def test_books_per_minute_limit_follows_the_clock(zoho: ZohoClient) -> None:
    zoho.control("PUT", "/tenants/t1/limits", json={"books": {"enabled": True, "per_minute": 3}})
    replies = [zoho.books("GET", "/contacts") for _ in range(4)]
    assert [r.status_code for r in replies] == [200, 200, 200, 429]
    assert replies[3].json()["code"] == 44
    assert "X-Rate-Limit-Reset" in replies[3].headers
    zoho.control("POST", "/clock", json={"advance": 60})
    assert zoho.books("GET", "/contacts").status_code == 200


def test_books_daily_cap_and_headers(zoho: ZohoClient) -> None:
    zoho.control("PUT", "/tenants/t1/limits", json={"books": {"enabled": True, "per_day": 2}})
    first = zoho.books("GET", "/contacts")
    assert first.headers["X-Rate-Limit-Limit"] == "2"
    assert first.headers["X-Rate-Limit-Remaining"] == "1"
    zoho.books("GET", "/contacts")
    capped = zoho.books("GET", "/contacts")
    assert (capped.status_code, capped.json()["code"]) == (429, 45)
    assert "maximum call rate limit of 2" in capped.json()["message"]
    zoho.control("POST", "/clock", json={"advance": 86400})
    assert zoho.books("GET", "/contacts", token=zoho.token(fresh=True)).status_code == 200


def test_crm_credit_budget_rolls_over_24_hours(zoho: ZohoClient) -> None:
    zoho.control("PUT", "/tenants/t1/limits", json={"crm": {"enabled": True, "credits": 2}})
    assert [zoho.crm("GET", "/org").status_code for _ in range(3)] == [200, 200, 429]
    zoho.control("POST", "/clock", json={"advance": 86400})
    assert zoho.crm("GET", "/org", token=zoho.token(fresh=True)).status_code == 200
    settings = zoho.control("GET", "/tenants/t1/limits").json()["crm"]
    assert settings["credits"] == 2 and settings["edition"] == "enterprise"


def test_books_concurrency_limit(zoho: ZohoClient) -> None:
    if zoho.mode == "server":
        pytest.skip("one in-process run proves the rule; the served run would only repeat it")
    zoho.control("PUT", "/tenants/t1/limits", json={"books": {"enabled": True, "concurrency": 2}})
    _fault(zoho, effect="latency", latency_ms=300, service="books")
    token = zoho.token()
    with ThreadPoolExecutor(max_workers=4) as pool:
        codes = list(pool.map(lambda _: zoho.books("GET", "/contacts", token=token).status_code, range(4)))
    assert sorted(codes) == [200, 200, 429, 429]


def test_invalid_limits_are_refused(zoho: ZohoClient) -> None:
    for body in ({"books": {"plan": "gold"}}, {"crm": {"edition": "mega"}}, {"crm": 3}, {"bank": {}}):
        assert zoho.control("PUT", "/tenants/t1/limits", json=body).status_code == 400, body
