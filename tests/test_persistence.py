"""Persistence with --data-dir: acknowledged writes survive a restart and a kill -9."""

from __future__ import annotations

import os
import signal
import threading
from pathlib import Path

import httpx
import orjson
import pytest

from simulator.store import Store, join, split
from simulator.tenants import Sizes, attach_store, persist
from simulator.testing import build_simulator
from tests.support import start_server, stop_server


def test_split_and_join_round_trip() -> None:
    document = {
        "org": {"next": 3},
        "records": {"Accounts": [{"id": "1", "n": "a"}, {"id": "2", "n": "b"}], "Vendors": []},
        "contacts": [{"contact_id": "9", "persons": [{"x": 1}]}],
        "plain": [1, 2],
    }
    meta, entities = split(document)
    assert set(entities) == {("/records/Accounts", "1"), ("/records/Accounts", "2"), ("/contacts", "9")}
    assert join(meta, entities) == document


def test_a_store_resumes_exactly_what_was_persisted(tmp_path: Path) -> None:
    sim = build_simulator(seed=9)
    store = Store(tmp_path / "z.sqlite3")
    assert attach_store(sim, store) is False
    tenant = sim.create_tenant(sizes=Sizes(accounts=5, contacts=10, vendors=2, products=3))
    tenant.books.allow_duplicate_names = False
    persist(sim)
    before = orjson.dumps(tenant.export_state())
    store.close()

    again = build_simulator(seed=9)
    assert attach_store(again, Store(tmp_path / "z.sqlite3")) is True
    restored = again.tenants[tenant.tenant_id]
    assert orjson.dumps(restored.export_state()) == before
    assert restored.client.client_id == tenant.client.client_id
    token = again.accounts.refresh(
        client_id=restored.client.client_id,
        client_secret=restored.client.client_secret,
        refresh_token=restored.refresh_token.token,
    )
    assert token.token not in sim.accounts.access_tokens  # the generator resumed, it did not restart


def _token(http: httpx.Client) -> tuple[dict, str]:
    creds = http.get("/__zohosim/tenants/t1").json()
    reply = http.post(
        "/oauth/v2/token",
        data={
            "grant_type": "refresh_token",
            "client_id": creds["client_id"],
            "client_secret": creds["client_secret"],
            "refresh_token": creds["refresh_token"],
        },
    )
    return creds, reply.json()["access_token"]


@pytest.mark.server
@pytest.mark.slow
def test_acknowledged_writes_survive_kill_9_during_a_write_load(tmp_path: Path) -> None:
    args = ("--data-dir", str(tmp_path), "--clock", "frozen")
    process, base_url = start_server(*args)
    acknowledged: list[str] = []
    updated: dict[str, str] = {}
    enough = threading.Event()
    lock = threading.Lock()
    with httpx.Client(base_url=base_url, timeout=10) as http:
        creds, token = _token(http)
    headers = {"Authorization": f"Zoho-oauthtoken {token}"}

    def writer(worker: int) -> None:
        with httpx.Client(base_url=base_url, timeout=10, headers=headers) as http:
            for n in range(200):
                try:
                    reply = http.post(
                        "/crm/v8/Accounts", json={"data": [{"Account_Name": f"Load {worker}-{n}"}]}
                    )
                    record_id = reply.json()["data"][0]["details"]["id"]
                    with lock:
                        acknowledged.append(record_id)
                    phone = f"555-{worker}-{n}"
                    reply = http.put(f"/crm/v8/Accounts/{record_id}", json={"data": [{"Phone": phone}]})
                    if reply.status_code == 200:
                        with lock:
                            updated[record_id] = phone
                except (httpx.TransportError, ValueError, KeyError):
                    return
                if len(acknowledged) >= 60:
                    enough.set()

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(4)]
    for thread in threads:
        thread.start()
    assert enough.wait(timeout=120), "the write load did not get going"
    os.kill(process.pid, signal.SIGKILL)
    for thread in threads:
        thread.join(timeout=30)
    stop_server(process)

    process, base_url = start_server(*args)
    try:
        with httpx.Client(base_url=base_url, timeout=10, headers=headers) as http:
            assert http.get("/__zohosim/tenants/t1").json()["client_id"] == creds["client_id"]
            for record_id in acknowledged:
                reply = http.get(f"/crm/v8/Accounts/{record_id}")  # the old token still works
                assert reply.status_code == 200, record_id
                if record_id in updated:
                    assert reply.json()["data"][0]["Phone"] == updated[record_id]
    finally:
        stop_server(process)
    assert len(acknowledged) >= 60
