"""The clients' retry, backoff, auth and budget rules, against scripted replies on a manual clock.

These cover replies the simulator does not produce (``details.retry_after``, 502/504, timeouts,
refused connections, HTML error pages) and the pure parts (backoff, the rolling budget, dates).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import httpx
import pytest

from syncer.clients import (
    AuthFailed,
    BooksClient,
    CallCounter,
    CrmClient,
    ManualClock,
    RateLimited,
    RetryPolicy,
    RollingBudget,
    TokenSource,
    WallClock,
    WriteKind,
    WriteOutcomeUnknown,
    ZohoApiError,
    ZohoHttp,
    ZohoUnavailable,
    connect,
    crm_datetime,
    parse_zoho_datetime,
)
from syncer.config import Connection

BASE = "https://zoho.test"
CRM = f"{BASE}/crm/v8/Accounts"
BOOKS = f"{BASE}/books/v3/contacts"
OK = {"code": 0, "message": "success", "contacts": [], "page_context": {"has_more_page": False}}
Step = httpx.Response | type[Exception] | Callable[[httpx.Request], httpx.Response]


class Script:
    """Answers the token endpoint itself and every other request from ``steps``, in order."""

    def __init__(self, *steps: Step, token_replies: list[httpx.Response] | None = None) -> None:
        self.steps = list(steps)
        self.token_replies = token_replies or []
        self.requests: list[httpx.Request] = []
        self.token_calls = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth/v2/token":
            self.token_calls += 1
            if self.token_replies:
                return self.token_replies.pop(0)
            return httpx.Response(200, json={"access_token": f"tok{self.token_calls}", "expires_in": 3600})
        self.requests.append(request)
        step = self.steps.pop(0)
        if isinstance(step, type):
            raise step(f"scripted {step.__name__}", request=request)  # type: ignore[call-arg]
        return step(request) if callable(step) and not isinstance(step, httpx.Response) else step


def make(script: Script, *, retry: RetryPolicy | None = None, clock: ManualClock | None = None) -> ZohoHttp:
    clock = clock or ManualClock()
    client = httpx.Client(transport=httpx.MockTransport(script))
    tokens = TokenSource(
        client, accounts_url=BASE, client_id="id", client_secret="secret", refresh_token="rt", clock=clock
    )
    return ZohoHttp(client, tokens=tokens, clock=clock, retry=retry or RetryPolicy(jitter=0))


def slept(http: ZohoHttp) -> list[float]:
    assert isinstance(http.clock, ManualClock)
    return http.clock.slept


def crm_error(status: int, code: str, **details: Any) -> httpx.Response:
    return httpx.Response(
        status, json={"code": code, "details": details, "message": code.lower(), "status": "error"}
    )


def books_error(status: int, code: int, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(status, json={"code": code, "message": f"books {code}"}, headers=headers)


def ok() -> httpx.Response:
    return httpx.Response(200, json={"data": [], "info": {"more_records": False}})


# -- pure parts --------------------------------------------------------------------------------


def test_backoff_doubles_from_one_second_up_to_the_cap() -> None:
    assert [RetryPolicy().backoff(n) for n in range(1, 9)] == [1, 2, 4, 8, 16, 32, 60, 60]


def test_rolling_budget_waits_until_the_oldest_call_leaves_the_window() -> None:
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    budget = RollingBudget(limit=3)
    for offset in (0, 10, 20):
        assert budget.wait_needed(t0 + timedelta(seconds=offset)) == 0
        budget.record(t0 + timedelta(seconds=offset))
    assert budget.wait_needed(t0 + timedelta(seconds=30)) == 30
    assert budget.wait_needed(t0 + timedelta(seconds=60)) == 0
    budget.record(t0 + timedelta(seconds=60))
    assert budget.wait_needed(t0 + timedelta(seconds=60)) == 10


def test_zoho_datetimes_parse_in_every_offset_form() -> None:
    assert parse_zoho_datetime("2013-08-05T12:06:10+0530") == datetime(2013, 8, 5, 6, 36, 10, tzinfo=UTC)
    assert parse_zoho_datetime("2024-05-07T10:12:33+05:30") == datetime(2024, 5, 7, 4, 42, 33, tzinfo=UTC)
    assert parse_zoho_datetime("2024-05-07T10:12:33Z") == datetime(2024, 5, 7, 10, 12, 33, tzinfo=UTC)
    assert parse_zoho_datetime("2024-05-07T10:12:33-0700") == datetime(2024, 5, 7, 17, 12, 33, tzinfo=UTC)
    assert parse_zoho_datetime("2024-05-07T10:12:33").tzinfo == UTC
    assert crm_datetime(datetime(2024, 5, 7, 4, 42, 33, 999, tzinfo=UTC)) == "2024-05-07T04:42:33+00:00"


def test_clocks() -> None:
    clock = ManualClock(datetime(2026, 1, 1, tzinfo=UTC))
    clock.sleep(2.5)
    assert clock.now() == datetime(2026, 1, 1, 0, 0, 2, 500000, tzinfo=UTC) and clock.slept == [2.5]
    with pytest.raises(ValueError, match="aware"):
        ManualClock(datetime(2026, 1, 1))
    wall = WallClock()
    assert wall.now().tzinfo is not None
    wall.sleep(0)


def test_call_counter_totals() -> None:
    counter = CallCounter()
    for service, method in (("crm", "GET"), ("crm", "get"), ("books", "POST"), ("accounts", "POST")):
        counter.record(service=service, method=method)
    assert counter.total == 4
    assert counter.by_service() == {"crm": 2, "books": 1, "accounts": 1}
    assert counter.by_method() == {"GET": 2, "POST": 2}
    assert counter.as_dict() == {"accounts": {"POST": 1}, "books": {"POST": 1}, "crm": {"GET": 2}}


def test_connect_names_missing_credentials() -> None:
    with pytest.raises(ValueError, match="client_secret, refresh_token"):
        connect(Connection.local("http://127.0.0.1:1", client_id="x", books_organization_id="1"))


# -- auth --------------------------------------------------------------------------------------


def test_every_call_carries_the_token_which_is_cached_until_just_before_expiry() -> None:
    script = Script(ok(), ok(), ok(), ok())
    clock = ManualClock()
    http = make(script, clock=clock)
    http.request("crm", "GET", CRM)
    http.request("crm", "GET", CRM)
    assert script.token_calls == 1
    assert script.requests[0].headers["Authorization"] == "Zoho-oauthtoken tok1"
    clock.advance(3600 - 61)
    http.request("crm", "GET", CRM)
    assert script.token_calls == 1
    clock.advance(1)  # within the 60-second margin of Zoho's 3600
    http.request("crm", "GET", CRM)
    assert script.token_calls == 2 and script.requests[-1].headers["Authorization"] == "Zoho-oauthtoken tok2"
    assert http.counter.by_service() == {"accounts": 2, "crm": 4}


def test_oauth_error_in_a_200_reply_raises_auth_failed() -> None:
    script = Script(token_replies=[httpx.Response(200, json={"error": "invalid_code"})])
    with pytest.raises(AuthFailed, match="client_id, client_secret and refresh_token") as caught:
        make(script).request("crm", "GET", CRM)
    assert caught.value.error == "invalid_code" and script.requests == []


def test_a_failing_token_endpoint_is_retried_like_any_transient_failure() -> None:
    script = Script(ok(), token_replies=[httpx.Response(503, text="busy")])
    http = make(script)
    http.request("crm", "GET", CRM)
    assert script.token_calls == 2 and slept(http) == [1]


def test_a_token_refused_twice_is_an_error_with_the_fix() -> None:
    script = Script(crm_error(401, "INVALID_TOKEN"), crm_error(401, "INVALID_TOKEN"))
    with pytest.raises(ZohoApiError, match="check the refresh token") as caught:
        make(script).request("crm", "GET", CRM)
    assert caught.value.status == 401 and script.token_calls == 2 and len(script.requests) == 2


def test_a_scope_mismatch_is_not_retried_nor_refreshed() -> None:
    script = Script(crm_error(401, "OAUTH_SCOPE_MISMATCH"))
    with pytest.raises(ZohoApiError, match="lacks a ZohoCRM scope"):
        make(script).request("crm", "GET", CRM)
    assert script.token_calls == 1 and len(script.requests) == 1


def test_books_code_57_refreshes_once() -> None:
    script = Script(books_error(401, 57), httpx.Response(200, json=OK))
    http = make(script)
    http.request("books", "GET", BOOKS)
    assert script.token_calls == 2
    assert [r.headers["Authorization"] for r in script.requests] == [
        "Zoho-oauthtoken tok1",
        "Zoho-oauthtoken tok2",
    ]


# -- retries -----------------------------------------------------------------------------------


def test_crm_details_retry_after_is_honoured() -> None:
    script = Script(crm_error(429, "TOO_MANY_REQUESTS", retry_after=12), ok())
    http = make(script)
    http.request("crm", "GET", CRM)
    assert slept(http) == [12]


@pytest.mark.parametrize(
    ("reply", "wait"),
    [
        (books_error(429, 1070, {"Retry-After": "5"}), 5),
        (books_error(429, 44), 60),
        (books_error(429, 1070), 1),
    ],
)
def test_books_429_waits(reply: httpx.Response, wait: float) -> None:
    script = Script(reply, httpx.Response(200, json=OK))
    http = make(script)
    http.request("books", "GET", BOOKS)
    assert slept(http) == [wait]


def test_429s_that_never_stop_raise_rate_limited() -> None:
    script = Script(*[crm_error(429, "TOO_MANY_REQUESTS")] * 3)
    http = make(script, retry=RetryPolicy(attempts=3, jitter=0))
    with pytest.raises(RateLimited, match="still refused after 3 attempts"):
        http.request("crm", "GET", CRM)
    assert slept(http) == [1, 2]


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_server_errors_on_a_read_are_retried(status: int) -> None:
    script = Script(httpx.Response(status, text="<html>bad gateway</html>"), ok())
    http = make(script)
    assert http.request("crm", "GET", CRM).status_code == 200
    assert len(script.requests) == 2


def test_an_outage_outlasting_the_attempts_raises_unavailable() -> None:
    script = Script(*[httpx.Response(502, text="<html>bad gateway</html>")] * 4)
    http = make(script, retry=RetryPolicy(attempts=4, jitter=0))
    with pytest.raises(ZohoUnavailable, match=r"after 4 attempts \(last: HTTP 502"):
        http.request("crm", "GET", CRM)
    assert slept(http) == [1, 2, 4]


@pytest.mark.parametrize("kind", ["read", "idempotent"])
@pytest.mark.parametrize(
    "error", [httpx.ReadTimeout, httpx.RemoteProtocolError, httpx.ReadError, httpx.ConnectError]
)
def test_transport_errors_are_retried_for_reads_and_idempotent_writes(
    kind: str, error: type[Exception]
) -> None:
    script = Script(error, ok())
    http = make(script)
    method = "PUT" if kind == "idempotent" else "GET"
    http.request("crm", method, CRM, json={"data": []}, write_kind=cast("WriteKind", kind))
    assert len(script.requests) == 2 and slept(http) == [1]


@pytest.mark.parametrize("error", [httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout])
def test_a_create_that_never_left_is_retried(error: type[Exception]) -> None:
    script = Script(error, httpx.Response(201, json={"data": []}))
    make(script).request("crm", "POST", CRM, json={"data": []}, write_kind="create")
    assert len(script.requests) == 2


@pytest.mark.parametrize(
    "step",
    [
        httpx.ReadTimeout,
        httpx.RemoteProtocolError,
        httpx.ReadError,
        httpx.WriteTimeout,
        httpx.Response(500),
        httpx.Response(504),
    ],
)
def test_a_create_whose_reply_was_lost_is_not_retried(step: Step) -> None:
    script = Script(step)
    with pytest.raises(WriteOutcomeUnknown) as caught:
        make(script).request(
            "books", "POST", BOOKS, params={"organization_id": "1"}, json={"a": 1}, write_kind="create"
        )
    assert len(script.requests) == 1
    assert caught.value.request.json == {"a": 1} and caught.value.request.method == "POST"


def test_a_create_turned_away_with_503_or_429_is_retried() -> None:
    script = Script(books_error(503, 1000), books_error(429, 1070), httpx.Response(201, json=OK))
    make(script).request("books", "POST", BOOKS, json={"a": 1}, write_kind="create")
    assert len(script.requests) == 3


def test_errors_no_retry_can_mend_are_raised_as_they_are() -> None:
    script = Script(httpx.UnsupportedProtocol)
    with pytest.raises(httpx.UnsupportedProtocol):
        make(script).request("crm", "GET", CRM)
    script = Script(crm_error(400, "INVALID_DATA", api_name="cvid"))
    with pytest.raises(ZohoApiError, match="crm answered 400 INVALID_DATA") as caught:
        make(script).request("crm", "GET", CRM)
    assert caught.value.details == {"api_name": "cvid"} and len(script.requests) == 1


# -- Books' quota ------------------------------------------------------------------------------


def test_remaining_zero_holds_books_calls_until_the_reset_but_not_crm() -> None:
    spent = httpx.Response(200, json=OK, headers={"X-Rate-Limit-Remaining": "0", "X-Rate-Limit-Reset": "30"})
    script = Script(spent, ok(), httpx.Response(200, json=OK))
    http = make(script)
    http.request("books", "GET", BOOKS)
    http.request("crm", "GET", CRM)
    assert slept(http) == []
    http.request("books", "GET", BOOKS)
    assert slept(http) == [30]


def test_books_budget_is_configurable_and_counts_retries() -> None:
    script = Script(books_error(503, 1000), *[httpx.Response(200, json=OK)] * 3)
    clock = ManualClock()
    client = httpx.Client(transport=httpx.MockTransport(script))
    tokens = TokenSource(
        client, accounts_url=BASE, client_id="i", client_secret="s", refresh_token="r", clock=clock
    )
    http = ZohoHttp(client, tokens=tokens, clock=clock, books_per_minute=2, retry=RetryPolicy(jitter=0))
    http.request("books", "GET", BOOKS)  # a 503, a 1 s backoff, then a 200: two calls in the window
    http.request("books", "GET", BOOKS)
    assert clock.slept == [1, 59]
    http.request("books", "GET", BOOKS)
    assert clock.slept == [1, 59, 1]


# -- client shapes -----------------------------------------------------------------------------


def test_books_says_error_inside_a_200() -> None:
    script = Script(httpx.Response(200, json={"code": 43, "message": "throttled"}))
    books = BooksClient(make(script), f"{BASE}/books/v3", "42")
    with pytest.raises(ZohoApiError, match="43: throttled"):
        list(books.contacts())
    assert script.requests[0].url.params["organization_id"] == "42"
    assert script.requests[0].url.params["filter_by"] == "Status.All"


def test_books_incremental_read_stops_at_the_first_older_row() -> None:
    rows = [
        {"contact_id": "3", "last_modified_time": "2026-01-15T15:00:00+0530"},
        {"contact_id": "2", "last_modified_time": "2026-01-15T14:30:01+0530"},
        {"contact_id": "1", "last_modified_time": "2026-01-15T14:30:00+0530"},
    ]
    page = {"code": 0, "message": "success", "contacts": rows, "page_context": {"has_more_page": True}}
    script = Script(httpx.Response(200, json=page))
    books = BooksClient(make(script), f"{BASE}/books/v3", "42")
    newer = list(books.contacts(newer_than=datetime(2026, 1, 15, 9, 0, tzinfo=UTC)))
    assert [r["contact_id"] for r in newer] == ["3", "2"]
    assert len(script.requests) == 1
    assert script.requests[0].url.params["sort_column"] == "last_modified_time"
    assert script.requests[0].url.params["sort_order"] == "D"


def test_crm_write_reply_with_the_wrong_number_of_outcomes_is_an_error() -> None:
    script = Script(httpx.Response(201, json={"data": []}))
    crm = CrmClient(make(script), f"{BASE}/crm/v8")
    with pytest.raises(ZohoApiError, match="expected 1 outcomes"):
        crm.insert("Accounts", [{"Account_Name": "x"}])


def test_crm_follows_page_tokens_and_stops_on_more_records_false() -> None:
    def page(token: str | None, more: bool, ids: list[str]) -> httpx.Response:
        return httpx.Response(
            200,
            json={"data": [{"id": i} for i in ids], "info": {"more_records": more, "next_page_token": token}},
        )

    script = Script(page("abc", True, ["1", "2"]), page(None, False, ["3"]))
    crm = CrmClient(make(script), f"{BASE}/crm/v8")
    assert [r["id"] for r in crm.records("Accounts", fields=["Account_Name"])] == ["1", "2", "3"]
    assert (
        script.requests[1].url.params["page_token"] == "abc" and "page" not in script.requests[1].url.params
    )
