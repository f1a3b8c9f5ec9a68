"""Seeding through the control plane runs in a worker thread: while a big tenant is created, or
reset with new sizes, the other tenants are served.

The seeding is held (an event) until the other requests are answered, so the test does not race
the machine: if seeding ran on the event loop, the loop would be blocked and the requests would
time out instead.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from simulator import tenants
from simulator.control import responses
from simulator.tenants import Simulator, Sizes
from simulator.testing import build_simulator, serve_in_thread
from tests.support import ZohoClient

REQUESTS = 5
SMALL = Sizes(accounts=5, contacts=5, vendors=1, products=1, books_extra=1)


def _served_while_seeding(
    monkeypatch: pytest.MonkeyPatch, module: Any, sim: Simulator, method: str, path: str, body: dict[str, Any]
) -> httpx.Response:
    """Make the control-plane request ``method path body``, whose seeding (``module.seed_org_pair``)
    is held until tenant t1 has answered ``REQUESTS`` requests; its reply."""
    started, release = threading.Event(), threading.Event()
    real_seeding: Callable[..., Any] = module.seed_org_pair

    def held_seeding(**kwargs: Any) -> Any:
        started.set()
        assert release.wait(timeout=60), "the test never released the seeding"
        return real_seeding(**kwargs)

    monkeypatch.setattr(module, "seed_org_pair", held_seeding)
    replies: list[httpx.Response] = []
    with serve_in_thread(sim) as running, httpx.Client(base_url=running.base_url, timeout=20) as http:
        t1 = ZohoClient("server", http, creds=http.get("/__zohosim/tenants/t1").json())

        def seed() -> None:
            with httpx.Client(base_url=running.base_url, timeout=120) as other:
                replies.append(other.request(method, path, json=body))

        seeding = threading.Thread(target=seed)
        seeding.start()
        try:
            assert started.wait(timeout=20)
            page = {"fields": "Account_Name", "per_page": 2}
            answered = [t1.crm("GET", "/Accounts", params=page) for _ in range(REQUESTS)]
            assert [reply.status_code for reply in answered] == [200] * REQUESTS
            assert seeding.is_alive() and not replies  # all answered while the tenant was seeding
        finally:
            release.set()
            seeding.join(timeout=120)
    return replies[0]


def test_other_tenants_are_served_while_a_tenant_seeds(monkeypatch: pytest.MonkeyPatch) -> None:
    sim = build_simulator()
    sim.create_tenant(sizes=SMALL)
    body = {"tenant_id": "big", "sizes": {"accounts": 200, "contacts": 200}}
    created = _served_while_seeding(monkeypatch, responses, sim, "POST", "/__zohosim/tenants", body)
    assert created.status_code == 201 and created.json()["tenant_id"] == "big"
    assert len(sim.tenants["big"].crm.records["Accounts"]) == 200


def test_other_tenants_are_served_while_a_reset_seeds_new_sizes(monkeypatch: pytest.MonkeyPatch) -> None:
    sim = build_simulator()
    sim.create_tenant(sizes=SMALL)
    big = sim.create_tenant(sizes=SMALL, tenant_id="big")
    body = {"seed": 7, "sizes": {"accounts": 200, "contacts": 200}}
    reset = _served_while_seeding(monkeypatch, tenants, sim, "POST", "/__zohosim/tenants/big/reset", body)
    assert reset.status_code == 200 and reset.json() == {"reset": ["big"], "seed": 7}
    assert sim.tenants["big"] is big and len(big.crm.records["Accounts"]) == 200
    assert big.sizes.accounts == 200
