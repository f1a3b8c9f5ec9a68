"""Outbound delivery: receivers that are down, slow or failing never hold up the API, queues are
bounded, faults delay, drop, duplicate, reorder and fail deliveries, deterministically under a seed.
Every assertion counts; none times. Tests flush instead of sleeping."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest

from simulator.clock import DEFAULT_START, Clock
from simulator.delivery import QUEUE_LIMIT, RETRY_AFTER
from simulator.tenants import Simulator, Sizes, Tenant
from tests.receiver import Receiver
from tests.support import ZohoClient

CHANNEL = "1000000068001"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as rx:
        yield rx


@pytest.fixture
def faults(zoho: ZohoClient) -> Iterator[Any]:
    """Add fault rules; they are removed after the test."""
    added: list[str] = []

    def add(**rule: Any) -> None:
        reply = zoho.control("POST", "/faults", json={"service": "notifications", **rule})
        assert reply.status_code == 201, reply.text
        added.append(reply.json()["rule_id"])

    yield add
    for rule_id in added:
        zoho.control("DELETE", f"/faults/{rule_id}")


def closed_port_url() -> str:
    """A URL on 127.0.0.1 where nothing listens: a receiver that is down."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/hook"


def watch(zoho: ZohoClient, url: str) -> None:
    """Watch Accounts at ``url``, with a clean request log."""
    zoho.control("DELETE", "/requests", params={"tenant_id": "t1"})
    item = {
        "channel_id": CHANNEL,
        "events": ["Accounts.all"],
        "notify_url": url,
        "notify_on_related_action": False,
    }
    body = {"watch": [item]}
    assert zoho.crm("POST", "/actions/watch", json=body).status_code == 201


def edit_accounts(zoho: ZohoClient, count: int) -> list[str]:
    """``count`` edits of seeded accounts, each answered at once; their ids, in order."""
    listed = zoho.crm("GET", "/Accounts", params={"fields": "Account_Name", "per_page": count})
    ids = [row["id"] for row in listed.json()["data"]]
    for number, record_id in enumerate(ids):
        reply = zoho.crm("PUT", f"/Accounts/{record_id}", json={"data": [{"Phone": f"+1 555 {number:04d}"}]})
        assert reply.status_code == 200
    return ids


def flush(zoho: ZohoClient) -> dict[str, Any]:
    outcome = zoho.control("POST", "/notifications/flush", json={"timeout": 60}).json()
    assert outcome["drained"], outcome
    return outcome


def queue(outcome: dict[str, Any]) -> dict[str, Any]:
    (only,) = [q for q in outcome["queues"] if q["queue"] == f"t1:crm:{CHANNEL}"]
    return only


def received_ids(receiver: Receiver) -> list[str]:
    return [body["ids"][0] for body in receiver.bodies()]


def test_deliveries_are_logged_outbound(zoho: ZohoClient, receiver: Receiver) -> None:
    watch(zoho, receiver.url + "/hook")
    (record_id,) = edit_accounts(zoho, 1)
    flush(zoho)
    (entry,) = zoho.control("GET", "/requests", params={"direction": "outbound"}).json()["requests"]
    assert (entry["service"], entry["method"], entry["path"], entry["status"]) == (
        "crm",
        "POST",
        "/hook",
        200,
    )
    assert entry["body"]["ids"] == [record_id]
    writes = zoho.control("GET", "/requests", params={"writes_only": "true"}).json()["requests"]
    assert all(each["direction"] == "inbound" for each in writes)


def test_a_receiver_that_is_down_never_blocks_the_api(zoho: ZohoClient) -> None:
    watch(zoho, closed_port_url())
    edit_accounts(zoho, 5)  # every edit answered
    outcome = flush(zoho)
    assert queue(outcome)["queued"] == 5  # the first waits for its retry, the rest behind it, in order
    assert (outcome["counters"]["t1"]["attempts"], outcome["counters"]["t1"]["retried"]) == (1, 1)
    zoho.control("POST", "/clock", json={"advance": RETRY_AFTER[0]})
    assert flush(zoho)["counters"]["t1"]["attempts"] == 2


def test_a_failing_receiver_is_retried_then_given_up(zoho: ZohoClient) -> None:
    with Receiver(status=500) as failing:
        watch(zoho, failing.url)
        first, second = edit_accounts(zoho, 2)
        flush(zoho)
        for wait in RETRY_AFTER:
            zoho.control("POST", "/clock", json={"advance": wait})
            outcome = flush(zoho)
        assert received_ids(failing)[: len(RETRY_AFTER) + 1] == [first] * (len(RETRY_AFTER) + 1)
        assert outcome["counters"]["t1"]["given_up"] == 1
        assert received_ids(failing)[len(RETRY_AFTER) + 1] == second  # then the queue moves on


def test_a_slow_receiver_never_slows_the_api(zoho: ZohoClient, receiver: Receiver) -> None:
    receiver.hold.clear()  # the receiver answers nothing until released
    watch(zoho, receiver.url)
    ids = edit_accounts(zoho, 20)  # all twenty answered while the receiver holds
    assert receiver.received == []
    status = zoho.control("GET", "/notifications").json()
    assert queue(status)["queued"] + queue(status)["in_flight"] == 20
    receiver.hold.set()
    flush(zoho)
    assert received_ids(receiver) == ids  # in order


def test_drop_duplicate_reorder(zoho: ZohoClient, receiver: Receiver, faults: Any) -> None:
    faults(effect="drop", nth=1)
    faults(effect="duplicate", nth=2)
    faults(effect="reorder", nth=3)
    watch(zoho, receiver.url)
    first, second, third, fourth = edit_accounts(zoho, 4)
    outcome = flush(zoho)
    assert received_ids(receiver) == [second, second, fourth, third]
    counts = outcome["counters"]["t1"]
    assert (counts["dropped_by_fault"], counts["duplicated"]) == (1, 1)
    log = zoho.control("GET", "/requests", params={"direction": "outbound"}).json()["requests"]
    assert [(e["body"]["ids"][0], e["status"], (e["fault"] or "").split(":")[0]) for e in log[:1]] == [
        (first, 0, "drop")
    ]


def test_a_held_back_delivery_goes_out_on_flush(zoho: ZohoClient, receiver: Receiver, faults: Any) -> None:
    faults(effect="reorder", nth=1)
    watch(zoho, receiver.url)
    ids = edit_accounts(zoho, 1)
    flush(zoho)
    assert received_ids(receiver) == ids


def test_an_error_fault_fails_the_first_attempt_and_keeps_order(
    zoho: ZohoClient, receiver: Receiver, faults: Any
) -> None:
    faults(effect="error", status=503, nth=1)
    watch(zoho, receiver.url)
    first, second = edit_accounts(zoho, 2)
    flush(zoho)
    assert receiver.received == []
    log = zoho.control("GET", "/requests", params={"direction": "outbound"}).json()["requests"]
    assert [(e["status"], e["fault"].split(":")[0]) for e in log] == [(503, "error")]
    zoho.control("POST", "/clock", json={"advance": RETRY_AFTER[0]})
    flush(zoho)
    assert received_ids(receiver) == [first, second]


def test_rules_without_the_notifications_service_leave_deliveries_alone(
    zoho: ZohoClient, receiver: Receiver
) -> None:
    rule = zoho.control("POST", "/faults", json={"effect": "error", "status": 500, "path": "/hook*"}).json()
    try:
        watch(zoho, receiver.url + "/hook")
        ids = edit_accounts(zoho, 2)
        flush(zoho)
        assert received_ids(receiver) == ids
    finally:
        zoho.control("DELETE", f"/faults/{rule['rule_id']}")


@pytest.mark.parametrize(
    "rule",
    [
        {"effect": "duplicate"},
        {"effect": "reorder", "service": "crm"},
        {"effect": "delay", "service": "notifications", "delay_seconds": -1},
        {"effect": "drop", "service": "webhooks"},
    ],
)
def test_bad_notification_rules_are_refused(zoho: ZohoClient, rule: dict[str, Any]) -> None:
    reply = zoho.control("POST", "/faults", json=rule)
    assert (reply.status_code, reply.json()["error"]["code"]) == (400, "bad_request")


# -- in-process: bounded queues and replays --------------------------------------------------------


def local_tenant(url: str) -> tuple[Simulator, Tenant]:
    sim = Simulator(clock=Clock(start=DEFAULT_START, frozen=True), seed=7)
    tenant = sim.create_tenant(sizes=Sizes(accounts=3, contacts=0, vendors=0, products=0, books_extra=0))
    item = {
        "channel_id": CHANNEL,
        "events": ["Accounts.edit"],
        "notify_url": url,
        "notify_on_related_action": False,
    }
    sim.notifier.channel_book(tenant).subscribe(
        item, index=0, now=sim.clock.now(), version="v8", base_url="http://zohosim.local/"
    )
    return sim, tenant


def edit(tenant: Tenant, times: int) -> None:
    account = next(iter(tenant.crm.records["Accounts"]))
    for number in range(times):
        (outcome,) = tenant.crm.update("Accounts", [{"id": account, "Phone": str(number)}])
        assert outcome.error is None


def test_ten_thousand_queued_deliveries_stay_bounded(receiver: Receiver) -> None:
    receiver.hold.clear()
    sim, tenant = local_tenant(receiver.url)
    limit = sim.notifier.dispatcher.queue_limit = QUEUE_LIMIT // 10  # fewer to deliver at the end
    edit(tenant, 10_000)
    status = sim.notifier.dispatcher.status()
    (only,) = status["queues"]
    assert only["queued"] == limit
    dropped = status["counters"][tenant.tenant_id]["dropped_overflow"]
    assert only["queued"] + only["in_flight"] + dropped == 10_000
    receiver.hold.set()
    outcome = sim.notifier.dispatcher.flush(timeout=60)
    assert outcome["drained"]
    assert outcome["counters"][tenant.tenant_id]["delivered"] == 10_000 - dropped
    phones = [body["ids"] for body in receiver.bodies()]
    assert len(phones) == 10_000 - dropped


def test_a_replayed_run_meets_the_same_faults() -> None:
    def run() -> list[tuple[int, str | None]]:
        sim, tenant = local_tenant(closed_port_url())
        sim.faults.add({"effect": "drop", "service": "notifications", "probability": 0.5})
        edit(tenant, 40)
        log = sim.request_log.filter(direction="outbound")
        return [(entry.body["server_time"], entry.fault) for entry in log if entry.fault]

    first, second = run(), run()
    assert 0 < len(first) < 40
    assert first == second
