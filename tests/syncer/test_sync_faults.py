"""Failure and resume (SYNC-SEMANTICS.md section 5): rate limits, injected transient faults
(FAULT-TOLERANT) and runs that die part-way (RESUMABLE). Each ends in the state a fault-free,
uninterrupted run reaches from the same seeded org, ids and timestamps aside, with no duplicates.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from syncer import SyncState
from syncer.apply import Writer
from syncer.clients import BooksClient, CrmClient, WriteOutcomeUnknown, ZohoUnavailable
from syncer.engine import ModuleRun
from tests.syncer.conftest import World, canonical, make_world, strip_volatile

ACCOUNTS = {"module": "customers", "crm_source": "accounts", "extent": "both_ways", "duplicates": "overwrite"}
ITEMS = {"module": "items", "extent": "both_ways", "duplicates": "clone"}
PERSONS = {
    "module": "customers",
    "crm_source": "accounts_and_contacts",
    "include_unassociated_contacts": True,
    "extent": "both_ways",
    "duplicates": "overwrite",
}
ENTRIES = {
    "accounts": ACCOUNTS,
    "accounts-clone": {**ACCOUNTS, "duplicates": "clone"},
    "accounts-skip": {**ACCOUNTS, "duplicates": "skip"},
    "items": ITEMS,
    "persons": PERSONS,
}


class Crash(BaseException):
    """The process dies: nothing in the syncer catches it."""


@cache
def fault_free(name: str) -> tuple[dict[str, list[str]], tuple[tuple[str, int], ...]]:
    """The final state (and report totals) of one uninterrupted, fault-free run of ``ENTRIES[name]``."""
    for world in make_world():
        run = world.run(ENTRIES[name])
        assert not run.report.failed
        return canonical(run.after, run.links), tuple(sorted(run.report.totals().items()))
    raise AssertionError


def assert_converged(world: World, name: str) -> None:
    """The same state as the fault-free run (so no duplicate and nothing lost: records are compared as
    multisets), and a further run writes nothing."""
    sync = world.config(ENTRIES[name]).syncs[0]
    state = canonical(world.snapshot(), world.state.links(sync.label))
    expected, _ = fault_free(name)
    for side in expected:
        assert Counter(state[side]) == Counter(expected[side]), f"{side} differ from the fault-free run's"
    world.advance(60)
    again = world.run(ENTRIES[name])
    assert not again.writes(), (
        f"a converged run writes nothing: {[(r.method, r.path) for r in again.writes()]}"
    )


# ---- rate limits ---------------------------------------------------------------------------------


@pytest.mark.parametrize("cap_known", [True, False], ids=["cap-known", "cap-unknown"])
def test_books_per_minute_limit_is_waited_out_on_the_virtual_clock(
    world: World, monkeypatch: pytest.MonkeyPatch, cap_known: bool
) -> None:
    """Known: the syncer reads the simulator's cap and paces itself. Unknown (as with real Zoho, when
    the org's cap is lower than Books' usual 100): it meets 429 (code 44) and waits for the next minute."""
    world.control.set_limits(world.tenant_id, books={"enabled": True, "per_minute": 10})
    if not cap_known:
        monkeypatch.setattr("syncer.run.books_per_minute", lambda *a, **k: 100)
    started = world.sim.clock.now()

    run = world.run(ACCOUNTS)

    assert not run.report.failed
    served = [r for r in run.requests if r.service == "books" and r.status != 429]
    refused = run.report.calls["books"] - len(served)
    assert (refused > 0) != cap_known, f"{refused} requests refused"
    assert (world.sim.clock.now() - started).total_seconds() >= 60 * (len(served) // 10 - 1)
    minutes = Counter(datetime.fromisoformat(r.time).replace(second=0) for r in served)
    assert max(minutes.values()) <= 10, "never more than the cap in a minute"
    assert_converged(world, "accounts")


# ---- FAULT-TOLERANT ------------------------------------------------------------------------------

FAULTS: dict[str, tuple[str, list[dict[str, Any]]]] = {
    "crm-reads-503": ("accounts", [{"service": "crm", "method": "GET", "status": 503, "times": 3}]),
    "crm-reads-429": (
        "accounts",
        [{"service": "crm", "method": "GET", "status": 429, "retry_after": 7, "times": 2}],
    ),
    "books-reads-503": (
        "accounts",
        [{"service": "books", "method": "GET", "status": 503, "probability": 0.2}],
    ),
    "books-any-429": ("items", [{"service": "books", "status": 429, "probability": 0.15}]),
    "books-creates-503": ("accounts", [{"service": "books", "method": "POST", "status": 503, "times": 3}]),
    "books-creates-500": ("accounts", [{"service": "books", "method": "POST", "status": 500, "nth": 2}]),
    "books-updates-500": ("accounts", [{"service": "books", "method": "PUT", "status": 500, "times": 2}]),
    "books-create-dropped": (
        "accounts",
        [{"service": "books", "method": "POST", "effect": "drop", "nth": 2}],
    ),
    "books-create-dropped-applied": (
        "accounts",
        [{"service": "books", "method": "POST", "effect": "drop", "apply_write": True, "nth": 3}],
    ),
    "item-create-dropped-applied": (
        "items",
        [
            {
                "service": "books",
                "method": "POST",
                "path": "/books/v3/items",
                "effect": "drop",
                "apply_write": True,
                "nth": 2,
            }
        ],
    ),
    "crm-insert-dropped": ("accounts", [{"service": "crm", "method": "POST", "effect": "drop", "nth": 1}]),
    "crm-insert-dropped-applied": (
        "accounts",
        [{"service": "crm", "method": "POST", "effect": "drop", "apply_write": True, "nth": 1}],
    ),
    "crm-insert-500": ("items", [{"service": "crm", "method": "POST", "status": 500, "nth": 1}]),
    "token-503": ("accounts", [{"service": "accounts", "status": 503, "times": 2}]),
    "persons-update-dropped-applied": (
        "persons",
        [{"service": "books", "method": "PUT", "effect": "drop", "apply_write": True, "nth": 2}],
    ),
    "many": (
        "persons",
        [
            {"service": "books", "status": 503, "probability": 0.1},
            {"service": "crm", "status": 503, "probability": 0.1},
            {"service": "books", "method": "POST", "effect": "drop", "apply_write": True, "nth": 4},
        ],
    ),
}


@pytest.mark.parametrize("case", list(FAULTS))
def test_transient_faults_change_nothing_in_the_end(world: World, case: str) -> None:
    name, rules = FAULTS[case]
    for rule in rules:
        world.control.add_fault(**{"effect": "error", **rule, "tenant_id": world.tenant_id})

    run = world.run(ENTRIES[name])

    assert any(r.fault for r in run.requests) or any(
        r.service == "accounts" for r in world.sim.request_log if r.fault
    ), "the fault fired"
    assert not run.report.failed, run.report.failed
    _, totals = fault_free(name)
    assert tuple(sorted(run.report.totals().items())) == totals, "the same report as without faults"
    world.control.clear_faults()
    assert_converged(world, name)


# ---- RESUMABLE -----------------------------------------------------------------------------------


def crash_on_call(monkeypatch: pytest.MonkeyPatch, owner: Any, name: str, n: int, *, after: bool) -> None:
    """Make the nth call of ``owner.name`` kill the run: before it does anything, or after it did."""
    original = getattr(owner, name)
    calls = {"n": 0}

    def dying(*args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == n and not after:
            raise Crash(name)
        result = original(*args, **kwargs)
        if calls["n"] == n:
            raise Crash(name)
        return result

    monkeypatch.setattr(owner, name, dying)


CRASHES: dict[str, tuple[str, Callable[[pytest.MonkeyPatch], None]]] = {
    "after-a-books-create": (
        "accounts",
        lambda mp: crash_on_call(mp, BooksClient, "create_contact", 5, after=True),
    ),
    "before-a-books-create": (
        "accounts",
        lambda mp: crash_on_call(mp, BooksClient, "create_contact", 5, after=False),
    ),
    "after-an-overwrite": (
        "accounts",
        lambda mp: crash_on_call(mp, BooksClient, "update_contact", 2, after=True),
    ),
    "after-an-item-create": (
        "items",
        lambda mp: crash_on_call(mp, BooksClient, "create_item", 3, after=True),
    ),
    "after-the-crm-insert": ("accounts", lambda mp: crash_on_call(mp, CrmClient, "insert", 1, after=True)),
    "after-an-item-push": ("items", lambda mp: crash_on_call(mp, CrmClient, "insert", 1, after=True)),
    "after-placing-persons": (
        "persons",
        lambda mp: crash_on_call(mp, Writer, "link_persons", 2, after=False),
    ),
    "after-the-checkpoint-read": (
        "persons",
        lambda mp: crash_on_call(mp, ModuleRun, "push", 1, after=False),
    ),
}


@pytest.mark.parametrize("case", list(CRASHES))
def test_a_run_killed_part_way_then_run_again_ends_as_one_uninterrupted_run(
    world: World, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, case: str
) -> None:
    name, arm = CRASHES[case]
    on_disk = case == "after-a-books-create"  # (SQLite commits each statement: memory is as good)
    path = tmp_path / "state.sqlite3"
    state = SyncState(path) if on_disk else world.state
    with monkeypatch.context() as patch:
        arm(patch)
        world.run(ENTRIES[name], state=state, expect_error=Crash)
    if on_disk:
        state.close()
        world.state.close()
        world.state = SyncState(path)  # a new process opens the state the dead one left

    world.run(ENTRIES[name])

    assert_converged(world, name)


def test_retries_that_run_out_stop_the_run_and_the_next_run_converges(world: World) -> None:
    """503 on every Books update outlasts the retries: the run stops (ZohoUnavailable); run again."""
    world.control.add_fault(
        tenant_id=world.tenant_id, effect="error", service="books", method="PUT", status=503
    )
    world.run(ACCOUNTS, expect_error=ZohoUnavailable)
    world.control.clear_faults()
    world.run(ACCOUNTS)
    assert_converged(world, "accounts")


@pytest.mark.parametrize("name", ["accounts", "accounts-clone", "accounts-skip"])
def test_a_create_whose_retry_is_lost_too_is_adopted_by_the_next_run(world: World, name: str) -> None:
    """The first reply is lost before the write, the second after it: the run stops not knowing."""
    for nth, applied in ((2, False), (3, True)):
        world.control.add_fault(
            tenant_id=world.tenant_id,
            effect="drop",
            service="books",
            method="POST",
            nth=nth,
            apply_write=applied,
        )
    world.run(ENTRIES[name], expect_error=WriteOutcomeUnknown)
    world.control.clear_faults()
    world.run(ENTRIES[name])
    assert_converged(world, name)


def _incremental(world: World, monkeypatch: pytest.MonkeyPatch | None) -> dict[str, list[str]]:
    """A first sync, a change on each side, and a second sync (killed after its CRM update, then
    run again, when ``monkeypatch`` is given): the final state, with the links."""
    world.run(ACCOUNTS)
    world.advance(3600)
    links = sorted(world.state.links("customers:accounts"), key=lambda link: link.crm_id)
    api = world.api()
    api.crm.update("Accounts", [{"id": links[0].crm_id, "Website": "https://crm.example"}])
    api.books.update_contact(links[-1].books_id, {"website": "https://books.example"})
    world.advance(60)
    if monkeypatch is not None:
        with monkeypatch.context() as patch:
            crash_on_call(patch, CrmClient, "update", 1, after=True)
            world.run(ACCOUNTS, expect_error=Crash)
        world.advance(60)
    world.run(ACCOUNTS)
    return canonical(world.snapshot(), world.state.links("customers:accounts"))


def test_a_later_run_killed_after_its_crm_update_converges_when_run_again(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    resumed = _incremental(world, monkeypatch)
    for other in make_world():
        assert resumed == _incremental(other, None)
    world.advance(60)
    assert not world.run(ACCOUNTS).writes()


def test_an_inactive_item_whose_create_reply_is_lost_still_ends_inactive(world: World) -> None:
    """Found again after the lost reply, the item still needs the step the lost create skipped."""
    products = [record["id"] for record in world.tenant.crm.iter_records("Products")]
    world.tenant.crm.update("Products", [{"id": pid, "Product_Active": False} for pid in products])
    world.control.add_fault(
        tenant_id=world.tenant_id,
        effect="drop",
        service="books",
        method="POST",
        path="/books/v3/items",
        nth=1,
        apply_write=True,
    )
    world.run({"module": "items", "extent": "fetch_from_crm", "duplicates": "clone"})
    linked = [link.books_id for link in world.state.links("items")]
    assert len(linked) == len(products)
    assert {world.tenant.books.items[books_id].status for books_id in linked} == {"inactive"}


# (module sync, the seeded view, a Books record no CRM record has the key of)
OUTSIDE_THE_VIEW: dict[str, tuple[dict[str, Any], tuple[str, str], dict[str, Any]]] = {
    "vendors": (
        {"module": "vendors", "extent": "both_ways", "duplicates": "overwrite"},
        ("Vendors", "US Vendors"),
        {"contact_name": " STRANGER  ALPHA ", "company_name": "Old Co", "contact_type": "vendor"},
    ),
    "contacts": (
        {"module": "customers", "crm_source": "contacts", "extent": "both_ways", "duplicates": "overwrite"},
        ("Contacts", "UK Contacts"),
        {
            "contact_name": "  Stranger   Alpha ",
            "company_name": "Old Co",
            "contact_type": "customer",
            "customer_sub_type": "individual",
            "contact_persons": [{"first_name": "Jo", "last_name": "March", "is_primary_contact": True}],
        },
    ),
}


def _push_outside_the_view(world: World, case: str, monkeypatch: pytest.MonkeyPatch | None) -> dict[str, Any]:
    """Both ways with a view: a Books record is pushed to CRM, outside the view (the run killed right
    after the CRM insert applied, when ``monkeypatch`` is given, then run again). The final state."""
    entry, (module, view_name), books = OUTSIDE_THE_VIEW[case]
    entry = {**entry, "view": world.view(module, view_name)}
    books_id = world.api().books.create_contact(books)["contact_id"]
    world.advance(60)
    if monkeypatch is not None:
        with monkeypatch.context() as patch:
            crash_on_call(patch, CrmClient, "insert", 1, after=True)
            world.run(entry, expect_error=Crash)
        world.advance(60)
    world.run(entry)
    sync = world.config(entry).syncs[0]
    assert any(link.books_id == books_id for link in world.state.links(sync.label)), "pushed and linked"
    world.advance(60)
    assert not world.run(entry).writes(), "IDEMPOTENT"
    snapshot = world.snapshot()
    return {"record": strip_volatile(snapshot.contacts[books_id]), **canonical(snapshot)}


@pytest.mark.parametrize("case", list(OUTSIDE_THE_VIEW))
def test_a_run_killed_after_pushing_a_record_outside_the_view_ends_as_one_uninterrupted_run(
    world: World, monkeypatch: pytest.MonkeyPatch, case: str
) -> None:
    """The resumed run adopts the CRM record the lost insert made: that record is outside the view, so
    the adopting run itself must write back to Books what the push implies, as the uninterrupted run
    did (company_name from the name; for a contact, the name and primary person CRM split it into)."""
    resumed = _push_outside_the_view(world, case, monkeypatch)
    for other in make_world():
        uninterrupted = _push_outside_the_view(other, case, None)
        assert resumed.pop("record") == uninterrupted.pop("record")
        assert resumed == uninterrupted
