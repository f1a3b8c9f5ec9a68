"""Creating a tenant through the control plane seeds it in a worker thread: while a big tenant
seeds, the other tenants are served.

The seeding is held (an event) until the other requests are answered, so the test does not race
the machine: if seeding ran on the event loop, the loop would be blocked and the requests would
time out instead.
"""

from __future__ import annotations

import threading
from typing import Any

import httpx
import pytest

from simulator.control import responses
from simulator.tenants import Sizes
from simulator.testing import build_simulator, serve_in_thread
from tests.support import ZohoClient

REQUESTS = 5


def test_other_tenants_are_served_while_a_tenant_seeds(monkeypatch: pytest.MonkeyPatch) -> None:
    started, release = threading.Event(), threading.Event()
    real_seeding = responses.seed_org_pair

    def held_seeding(**kwargs: Any) -> Any:
        started.set()
        assert release.wait(timeout=60), "the test never released the seeding"
        return real_seeding(**kwargs)

    monkeypatch.setattr(responses, "seed_org_pair", held_seeding)
    sim = build_simulator()
    sim.create_tenant(sizes=Sizes(accounts=5, contacts=5, vendors=1, products=1, books_extra=1))
    created: list[httpx.Response] = []
    with serve_in_thread(sim) as running, httpx.Client(base_url=running.base_url, timeout=20) as http:
        t1 = ZohoClient("server", http, creds=http.get("/__zohosim/tenants/t1").json())
        body = {"tenant_id": "big", "sizes": {"accounts": 200, "contacts": 200}}

        def create() -> None:
            with httpx.Client(base_url=running.base_url, timeout=120) as other:
                created.append(other.post("/__zohosim/tenants", json=body))

        creating = threading.Thread(target=create)
        creating.start()
        try:
            assert started.wait(timeout=20)
            page = {"fields": "Account_Name", "per_page": 2}
            answered = [t1.crm("GET", "/Accounts", params=page) for _ in range(REQUESTS)]
            assert [reply.status_code for reply in answered] == [200] * REQUESTS
            assert creating.is_alive() and not created  # all answered while the tenant was seeding
        finally:
            release.set()
            creating.join(timeout=120)
    assert created[0].status_code == 201 and created[0].json()["tenant_id"] == "big"
    assert len(sim.tenants["big"].crm.records["Accounts"]) == 200
