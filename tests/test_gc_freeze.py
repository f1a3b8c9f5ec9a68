"""Seeded objects are frozen out of the garbage collector when serving, so that a full collection
does not walk a big org (and stall the event loop); in-process users (tests) keep a normal GC."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn

from simulator import cli
from simulator.clock import Clock
from simulator.tenants import Simulator, Sizes

SMALL = Sizes(accounts=3, contacts=3, vendors=1, products=1, books_extra=1)


@pytest.fixture(autouse=True)
def unfrozen() -> Iterator[None]:
    gc.unfreeze()
    yield
    gc.unfreeze()  # hand what a test froze back to the collector


@pytest.fixture(autouse=True)
def _unfreeze_after() -> Any:
    """Give the collector back everything these tests froze: the rest of the session needs it."""
    yield
    gc.unfreeze()
    gc.collect()


def _frozen_ids() -> set[int]:
    """Ids of the objects the GC walks: a frozen object is not among them."""
    return {id(o) for o in gc.get_objects()}


def test_serve_freezes_what_it_seeded(monkeypatch: pytest.MonkeyPatch) -> None:
    served: list[Any] = []

    def run(server: uvicorn.Server, sockets: list[Any]) -> None:
        served.append(server.config.app)
        for sock in sockets:
            sock.close()

    monkeypatch.setattr(uvicorn.Server, "run", run)
    assert cli.main(["serve", "--port", "0", "--accounts", "3", "--contacts", "3", "--products", "1"]) == 0
    assert served and gc.get_freeze_count() > 0
    (app,) = served
    sim = app.state.simulator
    record = next(iter(next(iter(sim.tenants.values())).crm.records["Accounts"].values()))
    assert sim.freeze_seeded and id(record) not in _frozen_ids()


def test_a_serving_simulator_freezes_each_tenant_it_seeds() -> None:
    sim = Simulator(clock=Clock(frozen=True), seed=1, freeze_seeded=True)
    tenant = sim.create_tenant(sizes=SMALL)
    contact = next(iter(tenant.books.contacts.values()))
    assert gc.get_freeze_count() > 0 and id(contact) not in _frozen_ids()
    gc.unfreeze()
    sim.reset_tenant(tenant.tenant_id)
    assert gc.get_freeze_count() > 0 and id(next(iter(tenant.books.contacts.values()))) not in _frozen_ids()


def test_an_in_process_simulator_leaves_the_collector_alone() -> None:
    sim = Simulator(clock=Clock(frozen=True), seed=1)
    sim.create_tenant(sizes=SMALL)
    assert gc.get_freeze_count() == 0
