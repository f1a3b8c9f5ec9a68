"""The syncer's Zoho clients against an in-process simulator, on its virtual clock (no real waits)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs

import pytest

from simulator.app import create_app
from simulator.control.client import ControlClient
from simulator.requestlog import LoggedRequest
from simulator.tenants import Simulator, Sizes, Tenant
from simulator.testing import build_simulator, in_process_client, serve_in_thread
from syncer.clients import (
    AuthFailed,
    ManualClock,
    RateLimited,
    RetryPolicy,
    SimulatorClock,
    TokenSource,
    WriteOutcomeUnknown,
    ZohoApiError,
    ZohoClients,
    ZohoHttp,
    ZohoUnavailable,
    connect,
    parse_zoho_datetime,
)
from syncer.config import Connection

BASE = "http://zohosim.local"
SMALL = Sizes(accounts=250, contacts=30, vendors=5, products=5)


@dataclass
class Env:
    sim: Simulator
    tenant: Tenant
    control: ControlClient
    clock: SimulatorClock
    zoho: ZohoClients
    connection: Connection

    def log(self, **filters: Any) -> list[LoggedRequest]:
        return self.sim.request_log.filter(tenant_id=self.tenant.tenant_id, **filters)

    def now(self) -> datetime:
        return self.sim.clock.now()

    def reconnect(self, *, retry: RetryPolicy | None = None) -> ZohoClients:
        return connect(self.connection, client=self.zoho.http.client, clock=self.clock, retry=retry)


#: Exact waits, to check the backoff's schedule (``test_clients_unit`` checks the jitter).
NO_JITTER = RetryPolicy(jitter=0)


def _env(sizes: Sizes, base_url: str = BASE) -> Iterator[Env]:
    sim = build_simulator()
    tenant = sim.create_tenant(sizes=sizes)
    creds = tenant.credentials()
    connection = Connection.local(
        base_url,
        client_id=str(creds["client_id"]),
        client_secret=str(creds["client_secret"]),
        refresh_token=str(creds["refresh_token"]),
        books_organization_id=str(creds["books_organization_id"]),
    )
    with in_process_client(create_app(sim)) as client:
        clock = SimulatorClock(ControlClient(client))
        yield Env(
            sim,
            tenant,
            ControlClient(client),
            clock,
            connect(connection, client=client, clock=clock, retry=NO_JITTER),
            connection,
        )


@pytest.fixture
def env() -> Iterator[Env]:
    yield from _env(SMALL)


@pytest.fixture(scope="module")
def big() -> Iterator[Env]:
    yield from _env(Sizes(accounts=2100, contacts=0, vendors=0, products=0, books_extra=0))


def _query(entry: LoggedRequest) -> dict[str, str]:
    return {key: values[-1] for key, values in parse_qs(entry.query).items()}


def _fault(env: Env, **rule: object) -> None:
    env.control.add_fault(tenant_id=env.tenant.tenant_id, **rule)


# -- reading CRM -------------------------------------------------------------------------------


def test_records_reads_every_record_once_past_2000_with_page_tokens(big: Env) -> None:
    big.sim.request_log.clear()
    ids = [row["id"] for row in big.zoho.crm.records("Accounts", fields=["Account_Name"])]
    assert len(ids) == len(set(ids)) == 2100
    assert set(ids) == set(big.tenant.crm.records["Accounts"])
    pages = big.log(service="crm", method="GET")
    assert len(pages) == 11 and all(p.status == 200 for p in pages)
    assert _query(pages[0])["page"] == "1" and "page_token" not in _query(pages[0])
    assert all("page_token" in _query(p) and "page" not in _query(p) for p in pages[1:])
    assert {_query(p)["per_page"] for p in pages} == {"200"}
    assert big.zoho.counter.count(service="crm", method="GET") == 11


def test_records_of_a_view_only(env: Env) -> None:
    env.zoho.crm.insert("Accounts", [{"Account_Name": "Zeta View One"}, {"Account_Name": "Zeta View Two"}])
    criteria = {"comparator": "starts_with", "field": {"api_name": "Account_Name"}, "value": "Zeta View"}
    view = env.control.create_view(env.tenant.tenant_id, module="Accounts", name="Zeta", criteria=criteria)
    rows = env.zoho.crm.records("Accounts", fields=["Account_Name", "Website"], cvid=view["id"])
    assert sorted(row["Account_Name"] for row in rows) == ["Zeta View One", "Zeta View Two"]


def test_a_view_with_no_records_answers_204_and_yields_nothing(env: Env) -> None:
    criteria = {"comparator": "equal", "field": {"api_name": "Account_Name"}, "value": "No Such Company"}
    view = env.control.create_view(env.tenant.tenant_id, module="Accounts", name="Empty", criteria=criteria)
    assert list(env.zoho.crm.records("Accounts", fields=["Account_Name"], cvid=view["id"])) == []
    assert env.log(service="crm", method="GET")[-1].status == 204


def test_if_modified_since_304_then_only_the_changed_record(env: Env) -> None:
    crm = env.zoho.crm
    assert list(crm.records("Accounts", fields=["Account_Name"], modified_since=env.now())) == []
    assert env.log(service="crm", method="GET")[-1].status == 304
    before = env.now()
    env.clock.sleep(5)
    target = next(iter(crm.records("Accounts", fields=["Account_Name"])))
    assert crm.update("Accounts", [{"id": target["id"], "Website": "https://changed.example"}])[0][
        "status"
    ] == ("success")
    changed = list(crm.records("Accounts", fields=["Account_Name", "Website"], modified_since=before))
    assert [(row["id"], row["Website"]) for row in changed] == [(target["id"], "https://changed.example")]


def test_get_fields_views_and_search(env: Env) -> None:
    crm = env.zoho.crm
    first = next(iter(crm.records("Accounts", fields=["Account_Name"])))
    assert crm.get("Accounts", first["id"])["Account_Name"] == first["Account_Name"]
    assert crm.get("Accounts", "9" * 19) is None
    assert "Account_Name" in {f["api_name"] for f in crm.fields("Accounts")}
    assert "All Accounts" in {v["name"] for v in crm.views("Accounts")}
    name = first["Account_Name"]
    found = crm.search("Accounts", criteria=f"(Account_Name:equals:{name})", fields=["Account_Name"])
    assert first["id"] in {row["id"] for row in found}
    assert crm.search("Accounts", word="zzqqxxnothing") == []
    contact = next(c for c in crm.records("Contacts", fields=["Email"]) if c["Email"])
    assert contact["id"] in {row["id"] for row in crm.search("Contacts", email=contact["Email"])}


def test_search_pages_through_more_than_one_page(env: Env) -> None:
    everyone = env.zoho.crm.search("Accounts", criteria="(Account_Name:not_equal:zzz-none)")
    assert len(everyone) == 250 == len({row["id"] for row in everyone})
    assert len(env.log(service="crm", path_contains="/search")) == 2


# -- writing CRM -------------------------------------------------------------------------------


def test_insert_batches_by_100_and_keeps_input_order_with_mixed_outcomes(env: Env) -> None:
    records = [{"Account_Name": f"Batch Co {n:03}"} for n in range(250)]
    records[150] = {"Website": "https://no-name.example"}  # MANDATORY_NOT_FOUND in the 2nd batch: a 207
    outcomes = env.zoho.crm.insert("Accounts", records)
    posts = env.log(service="crm", method="POST")
    assert [len(p.body["data"]) for p in posts] == [100, 100, 50]
    assert [p.status for p in posts] == [201, 207, 201]
    assert env.zoho.counter.count(service="crm", method="POST") == 3
    assert len(outcomes) == 250
    assert outcomes[150]["status"] == "error" and outcomes[150]["code"] == "MANDATORY_NOT_FOUND"
    assert outcomes[150]["id"] is None
    stored = env.tenant.crm.records["Accounts"]
    for n in (0, 99, 100, 249):
        assert outcomes[n]["status"] == "success"
        assert stored[outcomes[n]["id"]]["Account_Name"] == f"Batch Co {n:03}"


def test_a_batch_that_fails_entirely_answers_400_and_still_gives_outcomes(env: Env) -> None:
    outcomes = env.zoho.crm.insert("Accounts", [{"Website": "a"}, {"Phone": "1"}])
    assert env.log(service="crm", method="POST")[-1].status == 400
    assert [o["code"] for o in outcomes] == ["MANDATORY_NOT_FOUND"] * 2


def test_update_batches_and_names_the_failed_record(env: Env) -> None:
    ids = [row["id"] for row in env.zoho.crm.records("Accounts", fields=["Account_Name"])][:150]
    records = [{"id": record_id, "Phone": "555-0100"} for record_id in ids]
    records[120] = {"id": "9" * 19, "Phone": "555-0100"}
    outcomes = env.zoho.crm.update("Accounts", records)
    puts = env.log(service="crm", method="PUT")
    assert [len(p.body["data"]) for p in puts] == [100, 50] and [p.status for p in puts] == [200, 207]
    assert outcomes[120] == {**outcomes[120], "status": "error", "id": "9" * 19, "code": "INVALID_DATA"}
    assert outcomes[0] == {**outcomes[0], "status": "success", "id": ids[0]}
    assert env.tenant.crm.records["Accounts"][ids[149]]["Phone"] == "555-0100"


def test_upsert_reports_insert_or_update(env: Env) -> None:
    existing = next(iter(env.zoho.crm.records("Accounts", fields=["Account_Name"])))
    outcomes = env.zoho.crm.upsert(
        "Accounts",
        [{"Account_Name": existing["Account_Name"], "Phone": "1"}, {"Account_Name": "Brand New Upsert Ltd"}],
        duplicate_check_fields=["Account_Name"],
    )
    assert [(o["status"], o.get("action")) for o in outcomes] == [
        ("success", "update"),
        ("success", "insert"),
    ]
    assert outcomes[0]["id"] == existing["id"]


# -- tokens ------------------------------------------------------------------------------------


def test_token_is_refreshed_when_the_virtual_clock_passes_its_expiry_mid_run(env: Env) -> None:
    pages = env.zoho.crm.records("Accounts", fields=["Account_Name"])
    first = [next(pages) for _ in range(200)]
    assert env.zoho.counter.count(service="accounts") == 1
    env.control.advance_clock(3601)
    rest = list(pages)
    assert len({row["id"] for row in first + rest}) == 250
    assert env.zoho.counter.count(service="accounts") == 2
    assert all(entry.status == 200 for entry in env.log(service="crm"))  # refreshed before, never a 401


def test_a_refused_token_is_refreshed_once_and_the_call_retried(env: Env) -> None:
    """The token source's clock never moves, so only the 401 tells it the token died."""
    zoho = env.zoho
    stale_clock = ManualClock(env.now())
    zoho.http.tokens.clock = stale_clock
    zoho.books.contacts().__next__()
    next(iter(zoho.crm.records("Accounts", fields=["Account_Name"])))
    env.control.advance_clock(3601)
    assert next(iter(zoho.crm.records("Accounts", fields=["Account_Name"])))["id"]
    assert [e.status for e in env.log(service="crm")][-2:] == [401, 200]
    assert zoho.counter.count(service="accounts") == 2
    env.control.advance_clock(3601)
    assert zoho.books.contact(next(iter(zoho.books.contacts()))["contact_id"]) is not None
    assert [e.status for e in env.log(service="books")][-3:] == [401, 200, 200]
    assert zoho.counter.count(service="accounts") == 3


def test_bad_credentials_raise_auth_failed_naming_the_fix(env: Env) -> None:
    tokens = TokenSource(
        env.zoho.http.client,
        accounts_url=BASE,
        client_id=env.connection.client_id,
        client_secret="wrong",
        refresh_token=env.connection.refresh_token,
        clock=env.clock,
    )
    with pytest.raises(AuthFailed, match="client_secret") as caught:
        ZohoHttp(env.zoho.http.client, tokens=tokens, clock=env.clock).request(
            "crm", "GET", f"{BASE}/crm/v8/org"
        )
    assert caught.value.error in ("invalid_client", "invalid_code")
    assert env.log(service="crm") == []


# -- retries -----------------------------------------------------------------------------------


def test_503_is_retried_with_exponential_backoff_on_the_virtual_clock(env: Env) -> None:
    _fault(env, effect="error", status=503, service="crm", path="/crm/v8/Accounts", times=2)
    started = env.now()
    rows = list(env.zoho.crm.records("Accounts", fields=["Account_Name"]))
    assert len(rows) == 250
    assert env.now() - started == timedelta(seconds=1 + 2)
    statuses = [e.status for e in env.log(service="crm", method="GET")]
    assert statuses == [503, 503, 200, 200]
    assert env.zoho.counter.count(service="crm", method="GET") == 4


def test_429_waits_exactly_retry_after(env: Env) -> None:
    _fault(env, effect="error", status=429, service="crm", path="/crm/v8/Accounts", times=2, retry_after=7)
    started = env.now()
    next(iter(env.zoho.crm.records("Accounts", fields=["Account_Name"])))
    assert env.now() - started == timedelta(seconds=14)
    assert [e.status for e in env.log(service="crm")] == [429, 429, 200]


def test_429_asking_for_more_than_max_wait_raises_rate_limited(env: Env) -> None:
    _fault(env, effect="error", status=429, service="crm", times=1, retry_after=3600)
    with pytest.raises(RateLimited, match="3600 s") as caught:
        next(iter(env.zoho.crm.records("Accounts", fields=["Account_Name"])))
    assert caught.value.wait == 3600 and caught.value.code == "TOO_MANY_REQUESTS"
    assert len(env.log(service="crm")) == 1


def test_a_lasting_outage_gives_up_after_the_configured_attempts(env: Env) -> None:
    zoho = env.reconnect(retry=RetryPolicy(attempts=3, jitter=0))
    _fault(env, effect="error", status=503, service="books")
    started = env.now()
    with pytest.raises(ZohoUnavailable, match="after 3 attempts") as caught:
        list(zoho.books.items())
    assert caught.value.error is not None and caught.value.error.code == 1000
    assert env.now() - started == timedelta(seconds=3)
    assert len(env.log(service="books")) == 3


# -- writes whose reply is lost ----------------------------------------------------------------


def test_a_dropped_create_raises_write_outcome_unknown_and_is_not_retried(env: Env) -> None:
    _fault(
        env, effect="drop", service="crm", method="POST", path="/crm/v8/Accounts", times=1, apply_write=True
    )
    with pytest.raises(WriteOutcomeUnknown, match="look for the record") as caught:
        env.zoho.crm.insert("Accounts", [{"Account_Name": "Maybe Written Ltd"}])
    assert caught.value.request.json == {"data": [{"Account_Name": "Maybe Written Ltd"}]}
    assert caught.value.request.url.endswith("/crm/v8/Accounts")
    assert len(env.log(service="crm", method="POST")) == 1
    assert env.zoho.crm.search(
        "Accounts", criteria="(Account_Name:equals:Maybe Written Ltd)"
    )  # it did happen


def test_write_outcome_unknown_carries_the_batches_that_completed(env: Env) -> None:
    _fault(env, effect="drop", service="crm", method="POST", nth=2)
    with pytest.raises(WriteOutcomeUnknown) as caught:
        env.zoho.crm.insert("Accounts", [{"Account_Name": f"Half Co {n}"} for n in range(150)])
    assert len(caught.value.done) == 100 and all(o["status"] == "success" for o in caught.value.done)
    assert len(caught.value.request.json["data"]) == 50


def test_a_dropped_books_create_raises_write_outcome_unknown(env: Env) -> None:
    _fault(env, effect="drop", service="books", method="POST", path="/books/v3/contacts", times=1)
    with pytest.raises(WriteOutcomeUnknown):
        env.zoho.books.create_contact({"contact_name": "Lost Reply Ltd"})
    assert len(env.log(service="books", method="POST")) == 1


def test_a_dropped_update_is_retried(env: Env) -> None:
    target = next(iter(env.zoho.crm.records("Accounts", fields=["Account_Name"])))
    _fault(env, effect="drop", service="crm", method="PUT", times=1, apply_write=True)
    started = env.now()
    outcomes = env.zoho.crm.update("Accounts", [{"id": target["id"], "Phone": "555-0199"}])
    assert outcomes[0]["status"] == "success"
    assert [e.fault is not None for e in env.log(service="crm", method="PUT")] == [True, False]
    assert env.now() - started == timedelta(seconds=1)
    contact = next(iter(env.zoho.books.contacts()))
    _fault(env, effect="drop", service="books", method="PUT", times=1)
    updated = env.zoho.books.update_contact(contact["contact_id"], {"website": "https://retried.example"})
    assert updated["website"] == "https://retried.example"
    assert len(env.log(service="books", method="PUT")) == 2


@pytest.mark.server
def test_a_real_socket_drop_is_also_an_unknown_outcome() -> None:
    """Over 127.0.0.1 the drop surfaces as a different httpx error than in-process: both must map."""
    with serve_in_thread() as running:
        creds = running.sim.create_tenant(
            sizes=Sizes(accounts=3, contacts=0, vendors=0, products=0)
        ).credentials()
        connection = Connection.local(
            running.base_url,
            **{k: str(creds[k]) for k in ("client_id", "client_secret", "refresh_token")},
            books_organization_id=str(creds["books_organization_id"]),
        )
        client = running.client()
        control = ControlClient(client)
        zoho = connect(connection, client=client, clock=SimulatorClock(control))
        control.add_fault(effect="drop", service="crm", method="POST", times=1)
        with pytest.raises(WriteOutcomeUnknown):
            zoho.crm.insert("Accounts", [{"Account_Name": "Socket Ltd"}])
        control.add_fault(effect="drop", service="crm", method="GET", times=1)
        assert len(list(zoho.crm.records("Accounts", fields=["Account_Name"]))) == 3


# -- Books' limits -----------------------------------------------------------------------------


def test_books_stays_under_100_calls_per_virtual_minute(env: Env) -> None:
    env.control.set_limits(env.tenant.tenant_id, books={"enabled": True})
    contact_id = next(iter(env.zoho.books.contacts()))["contact_id"]
    started = env.now()
    for _ in range(150):
        assert env.zoho.books.contact(contact_id) is not None
    calls = env.log(service="books")
    assert len(calls) == 151 and all(e.status == 200 for e in calls)  # a breach would have been a 429
    times = [parse_zoho_datetime(e.time) for e in calls]
    for first in times:
        assert sum(first <= t < first + timedelta(seconds=60) for t in times) <= 100
    assert env.now() - started >= timedelta(seconds=60)


def test_books_daily_cap_beyond_max_wait_raises_rate_limited_before_calling(env: Env) -> None:
    env.control.set_limits(env.tenant.tenant_id, books={"enabled": True, "per_day": 3})
    for _ in range(3):
        list(env.zoho.books.items())
    with pytest.raises(RateLimited, match="daily API quota") as caught:
        list(env.zoho.books.items())
    assert caught.value.wait > 300
    assert len(env.log(service="books")) == 3  # the fourth call was never sent
    fresh = env.reconnect()  # knows nothing of the quota: learns it from Zoho's 429 code 45
    with pytest.raises(RateLimited) as again:
        list(fresh.books.items())
    assert again.value.code == 45 and again.value.wait == pytest.approx(caught.value.wait, abs=1)
    assert [e.status for e in env.log(service="books")][-1] == 429


def test_books_daily_cap_that_resets_soon_is_waited_out(env: Env) -> None:
    tz = env.tenant.books.time_zone
    local_midnight = datetime.combine(
        env.now().astimezone(tz).date() + timedelta(days=1), datetime.min.time(), tz
    )
    env.control.set_clock((local_midnight - timedelta(seconds=30)).isoformat())
    env.control.set_limits(env.tenant.tenant_id, books={"enabled": True, "per_day": 2})
    list(env.zoho.books.items())
    list(env.zoho.books.items())
    rows = list(env.zoho.books.items())
    assert rows and env.now() == local_midnight
    assert all(e.status == 200 for e in env.log(service="books"))


# -- Books reads and writes --------------------------------------------------------------------


def test_books_contacts_full_and_incremental(env: Env) -> None:
    books = env.zoho.books
    everyone = list(books.contacts())
    assert len(everyone) == len(env.tenant.books.contacts)
    customers = list(books.contacts(contact_type="customer"))
    assert customers and {c["contact_type"] for c in customers} == {"customer"}
    before = env.now()
    env.clock.sleep(10)
    changed = books.update_contact(everyone[3]["contact_id"], {"website": "https://new.example"})
    books.set_contact_active(everyone[4]["contact_id"], False)
    calls = len(env.log(service="books"))
    recent = list(books.contacts(newer_than=before))
    assert {c["contact_id"] for c in recent} == {everyone[3]["contact_id"], everyone[4]["contact_id"]}
    assert len(env.log(service="books")) == calls + 1
    assert parse_zoho_datetime(changed["last_modified_time"]) > before
    assert any(c["status"] == "inactive" for c in books.contacts())  # Status.All shows inactive ones


def test_books_items_and_contacts_crud(env: Env) -> None:
    books = env.zoho.books
    item = books.create_item({"name": "Client Test Widget", "rate": 12.5})
    assert books.item(item["item_id"])["name"] == "Client Test Widget"
    before = env.now()
    env.clock.sleep(1)
    books.update_item(item["item_id"], {"rate": 13})
    books.set_item_active(item["item_id"], False)
    assert [i["item_id"] for i in books.items(newer_than=before)] == [item["item_id"]]
    assert books.item(item["item_id"])["status"] == "inactive"
    contact = books.create_contact({"contact_name": "Client Test Co", "contact_type": "customer"})
    assert books.contact(contact["contact_id"])["contact_name"] == "Client Test Co"
    assert books.contact("9" * 19) is None
    assert books.item("9" * 19) is None


# -- error paths -------------------------------------------------------------------------------


def test_books_errors_name_the_code_and_the_fix(env: Env) -> None:
    wrong_org = ZohoClients(
        http=env.zoho.http,
        crm=env.zoho.crm,
        books=type(env.zoho.books)(env.zoho.http, f"{BASE}/books/v3", "123456"),
    )
    with pytest.raises(ZohoApiError, match=r"6041.*books_organization_id") as caught:
        list(wrong_org.books.contacts())
    assert caught.value.status == 400 and caught.value.code == 6041
    env.control.allow_duplicate_names(env.tenant.tenant_id, False)
    name = next(iter(env.zoho.books.contacts()))["contact_name"]
    with pytest.raises(ZohoApiError, match="3062") as duplicate:
        env.zoho.books.create_contact({"contact_name": name})
    assert duplicate.value.code == 3062 and name in duplicate.value.message


def test_crm_errors_name_the_code_and_are_not_retried(env: Env) -> None:
    with pytest.raises(ZohoApiError, match=r"INVALID_MODULE.*module's API name") as caught:
        list(env.zoho.crm.records("Leeds", fields=["Last_Name"]))
    assert caught.value.status == 400 and caught.value.details == {"resource_path_index": 0}
    with pytest.raises(ZohoApiError, match="INVALID_DATA"):
        list(env.zoho.crm.records("Accounts", fields=["No_Such_Field"]))
    assert len(env.log(service="crm")) == 2


def test_field_limits_are_checked_before_any_call(env: Env) -> None:
    with pytest.raises(ValueError, match="at most 50"):
        list(env.zoho.crm.records("Accounts", fields=[f"F{n}" for n in range(51)]))
    with pytest.raises(ValueError, match="at least one"):
        list(env.zoho.crm.records("Accounts", fields=[]))
    with pytest.raises(TypeError, match="list of API names"):
        list(env.zoho.crm.records("Accounts", fields="Account_Name"))
    with pytest.raises(ValueError, match="naive"):
        list(env.zoho.crm.records("Accounts", fields=["Account_Name"], modified_since=datetime(2026, 1, 1)))
    assert env.log() == []


def test_simulator_clock_reads_and_advances_the_virtual_clock(env: Env) -> None:
    assert env.clock.now() == env.now() and env.clock.now().tzinfo is not None
    env.clock.sleep(90)
    env.clock.sleep(0)
    assert env.clock.now() == datetime(2026, 1, 15, 9, 1, 30, tzinfo=UTC)
