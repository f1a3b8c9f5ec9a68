"""When Zoho does not behave: a reply without its record, retries with jitter that say what they
wait for, the next scheduled run's time, the skip reason that names the real match, and the
lookups a run makes once, not once per record."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from syncer.clients import BooksClient, ManualClock, RetryPolicy, TokenSource, ZohoHttp
from syncer.config import parse_config
from syncer.plan import Action
from syncer.report import Report
from syncer.schedule import Scheduler
from syncer.state import SyncState
from tests.syncer.conftest import World

BASE = "https://zoho.test"
ACCOUNTS = {"module": "customers", "crm_source": "accounts"}
PERSONS = {"module": "customers", "crm_source": "accounts_and_contacts"}


def _http(
    handler: Any, *, retry: RetryPolicy | None = None, books_per_minute: int | None = None
) -> tuple[ZohoHttp, list[str]]:
    said: list[str] = []
    clock = ManualClock(datetime(2026, 1, 15, 9, 0, tzinfo=UTC))

    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth/v2/token":
            return httpx.Response(200, json={"access_token": "tok", "expires_in": 3600})
        return handler(request)

    client = httpx.Client(transport=httpx.MockTransport(answer))
    tokens = TokenSource(
        client, accounts_url=BASE, client_id="i", client_secret="s", refresh_token="r", clock=clock
    )
    http = ZohoHttp(
        client,
        tokens=tokens,
        clock=clock,
        retry=retry,
        books_per_minute=books_per_minute,
        on_wait=said.append,
    )
    return http, said


def _failing(times: int) -> Any:
    left = {"n": times}

    def handler(request: httpx.Request) -> httpx.Response:
        if left["n"] > 0:
            left["n"] -= 1
            raise httpx.ConnectError("connection refused", request=request)
        return httpx.Response(200, json={"code": 0, "contacts": []})

    return handler


# ---- replies without their record -----------------------------------------------------------------


def test_a_put_reply_without_its_record_is_an_error_of_that_record() -> None:
    http, _ = _http(lambda request: httpx.Response(200, json={"code": 0, "message": "updated"}))
    books = BooksClient(http, f"{BASE}/books/v3", "1")
    with pytest.raises(Exception, match="the reply has no 'contact'") as caught:
        books.update_contact("9", {"website": "x"})
    assert type(caught.value).__name__ == "ZohoApiError"


def test_a_run_whose_put_replies_lack_the_record_reports_failed_rows_and_goes_on(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = world.run(ACCOUNTS)
    changed = sorted(crm_id for (_, crm_id) in first.main_links())[:2]
    world.api().crm.update("Accounts", [{"id": i, "Website": f"https://changed-{i}.test"} for i in changed])
    world.advance(60)
    write = BooksClient._write

    def without_record(self: BooksClient, method: str, path: str, body: Any, **kw: Any) -> dict[str, Any]:
        reply = write(self, method, path, body, **kw)
        return {k: v for k, v in reply.items() if k != "contact"} if method == "PUT" else reply

    monkeypatch.setattr(BooksClient, "_write", without_record)
    run = world.run(ACCOUNTS)
    failed = {row.crm_id: row.reason for row in run.report.failed}
    assert set(failed) == set(changed)
    assert all("the reply has no 'contact'" in reason for reason in failed.values())


# ---- retries: jitter, and saying so as they happen ------------------------------------------------


def test_backoff_has_seeded_jitter_within_its_bounds() -> None:
    waits = []
    for _ in range(2):
        http, _ = _http(_failing(4), retry=RetryPolicy(seed=5))
        http.request("books", "GET", f"{BASE}/books/v3/contacts")
        assert isinstance(http.clock, ManualClock)
        waits.append(http.clock.slept)
    assert waits[0] == waits[1]  # the same seed, the same waits
    policy = RetryPolicy()
    for n, wait in enumerate(waits[0], start=1):
        assert policy.backoff(n) * (1 - policy.jitter) <= wait <= policy.backoff(n)
    assert waits[0] != [policy.backoff(n) for n in range(1, 5)]  # not the bare schedule


def test_a_connection_failure_names_the_url_and_the_retry_as_it_happens() -> None:
    http, said = _http(_failing(2), retry=RetryPolicy(seed=1))
    http.request("books", "GET", f"{BASE}/books/v3/contacts")
    assert len(said) == 2
    assert f"GET {BASE}/books/v3/contacts: ConnectError" in said[0]
    assert "retry 1 of 5" in said[0] and "retry 2 of 5" in said[1]
    assert "waiting until 09:00:0" in said[0]


def test_a_wait_for_the_books_budget_says_what_for_and_until_when() -> None:
    http, said = _http(lambda r: httpx.Response(200, json={"code": 0}), books_per_minute=2)
    for _ in range(3):
        http.request("books", "GET", f"{BASE}/books/v3/contacts")
    assert said == ["Books: 2 calls a minute are used up: waiting until 09:01:00 (60.0 s)"]


def test_later_and_every_say_when_the_next_run_is() -> None:
    config = parse_config(
        {
            "connection": {"base_url": "http://zohosim.local"},
            "sync": [{"module": "vendors", "schedule": "later"}],
        }
    )
    said: list[str] = []
    clock = ManualClock(datetime(2026, 1, 15, 9, 0, tzinfo=UTC))
    scheduler = Scheduler(config=config, clock=clock, run=lambda c: Report(), say=said.append)
    scheduler.tick()
    scheduler.tick()
    label = config.syncs[0].label
    assert said == [
        f"next run at 2026-01-15T11:00:00+00:00: {label}",
        f"next run at 2026-01-15T13:00:00+00:00: {label}",
    ]


# ---- the skip reason -------------------------------------------------------------------------------


def test_the_skip_reason_names_the_sku_when_the_sku_matched(world: World) -> None:
    item = next(i for i in world.tenant.books.to_json()["items"] if i.get("sku"))
    world.api().crm.insert(
        "Products", [{"Product_Name": "A wholly other name", "Product_Code": item["sku"], "Unit_Price": 1}]
    )
    run = world.run({"module": "items", "extent": "fetch_from_crm", "duplicates": "skip"})
    ours = next(row for row in run.report.rows if row.name == "A wholly other name")
    assert ours.action is Action.SKIPPED and ours.reason.startswith("a Books record has its SKU")
    by_name = [r for r in run.report.rows if r.action is Action.SKIPPED and "has its name" in r.reason]
    assert by_name, "the seed's same-named products are skipped by name"


# ---- once per run, not once per record -------------------------------------------------------------


def test_person_links_are_read_from_the_state_once_per_run(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    world.run(PERSONS)
    contacts = sorted(world.tenant.crm.records["Contacts"])[:6]
    world.api().crm.update("Contacts", [{"id": i, "Title": "Changed"} for i in contacts])
    world.advance(60)
    reads: list[str | None] = []
    links = SyncState.links

    def counted(self: SyncState, sync: str, crm_module: str | None = None) -> Any:
        reads.append(crm_module)
        return links(self, sync, crm_module)

    monkeypatch.setattr(SyncState, "links", counted)
    run = world.run(PERSONS)
    assert sum(1 for r in run.report.rows if r.crm_module == "Contacts" and r.action is Action.UPDATED) > 1
    assert reads.count("ContactPersons") == 1


def test_an_overwrite_with_a_flat_map_writes_without_reading_first(world: World) -> None:
    flat = {
        **ACCOUNTS,
        "duplicates": "overwrite",
        "field_map": [
            {"books": "contact_name", "crm": "Account_Name"},
            {"books": "website", "crm": "Website"},
        ],
    }
    run = world.run(flat)
    overwritten = {r.books_id for r in run.report.rows if r.action is Action.OVERWRITTEN}
    assert overwritten
    reads = {r.path.rsplit("/", 1)[-1] for r in run.requests if r.method == "GET" and "/contacts/" in r.path}
    assert not overwritten & reads
