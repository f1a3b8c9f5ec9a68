"""Persistence with --data-dir: acknowledged writes survive a restart and a kill -9."""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
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


def test_a_store_from_before_snapshots_were_kept_loads_with_none(tmp_path: Path) -> None:
    sim = build_simulator(seed=9)
    store = Store(tmp_path / "z.sqlite3")
    attach_store(sim, store)
    tenant = sim.create_tenant(sizes=Sizes(accounts=5, contacts=10, vendors=2, products=3))
    persist(sim, services=("crm", "books"))  # what the previous version wrote: no "snapshots" part
    assert store.load(tenant.tenant_id, "snapshots") is None
    before = orjson.dumps(tenant.export_state())
    store.close()

    again = build_simulator(seed=9)
    assert attach_store(again, Store(tmp_path / "z.sqlite3")) is True
    restored = again.tenants[tenant.tenant_id]
    assert restored.snapshots == {}
    assert orjson.dumps(restored.export_state()) == before
    restored.snapshots["later"] = restored.export_state()
    persist(again)
    assert again.store is not None and again.store.load(tenant.tenant_id, "snapshots") == {
        "later": restored.export_state()
    }


def test_a_restored_state_comes_back_in_its_own_order(tmp_path: Path) -> None:
    """Rows that come back in the middle (a restore) keep the restored order through a restart."""
    sim = build_simulator(seed=9)
    attach_store(sim, Store(tmp_path / "z.sqlite3"))
    tenant = sim.create_tenant(sizes=Sizes(accounts=5, contacts=10, vendors=2, products=3))
    persist(sim)
    original = tenant.export_state()
    fewer = orjson.loads(orjson.dumps(original))
    del fewer["crm"]["records"]["Contacts"][1]
    del fewer["books"]["contacts"][1]
    tenant.import_state(fewer, clock=sim.clock)
    persist(sim)
    tenant.import_state(original, clock=sim.clock)
    persist(sim)
    assert sim.store is not None
    sim.store.close()

    again = build_simulator(seed=9)
    attach_store(again, Store(tmp_path / "z.sqlite3"))
    assert orjson.dumps(again.tenants[tenant.tenant_id].export_state()) == orjson.dumps(original)


@pytest.mark.server
def test_snapshots_survive_a_restart(tmp_path: Path) -> None:
    args = ("--data-dir", str(tmp_path), "--clock", "frozen")
    tenant = "/__zohosim/tenants/t1"

    @contextmanager
    def served() -> Iterator[httpx.Client]:
        """``zohosim serve`` on the same data dir, stopped (cleanly) when the block ends."""
        process, base_url = start_server(*args)
        try:
            with httpx.Client(base_url=base_url, timeout=10) as http:
                yield http
        finally:
            stop_server(process)

    with served() as http:
        _, token = _token(http)
        http.headers["Authorization"] = f"Zoho-oauthtoken {token}"
        exports = {}
        for name in ("first", "second"):
            assert http.post(f"{tenant}/snapshots", json={"name": name}).status_code == 201
            exports[name] = http.get(f"{tenant}/export").content
            # change the data: a record deleted from the middle, one created, a Books setting flipped
            page = http.get("/crm/v8/Accounts", params={"fields": "Account_Name", "per_page": 3}).json()
            assert http.delete(f"/crm/v8/Accounts/{page['data'][1]['id']}").status_code == 200
            created = http.post("/crm/v8/Accounts", json={"data": [{"Account_Name": f"After {name}"}]})
            assert created.status_code == 201
            setting = {"allow_duplicate_names": name == "second"}
            assert http.put(f"{tenant}/books/settings", json=setting).status_code == 200
        changed = http.get(f"{tenant}/export").content
        assert len({changed, *exports.values()}) == 3

    with served() as http:
        assert http.get(f"{tenant}/export").content == changed
        assert http.get(f"{tenant}/snapshots").json() == {"snapshots": ["first", "second"]}
        assert http.post(f"{tenant}/snapshots/first/restore").status_code == 200
        assert http.get(f"{tenant}/export").content == exports["first"]
        assert http.post(f"{tenant}/snapshots/second/restore").status_code == 200
        assert http.get(f"{tenant}/export").content == exports["second"]
        assert http.delete(f"{tenant}/snapshots/first").status_code == 200

    with served() as http:
        assert http.get(f"{tenant}/export").content == exports["second"]  # the restore was persisted
        assert http.get(f"{tenant}/snapshots").json() == {"snapshots": ["second"]}
        assert http.post(f"{tenant}/snapshots/first/restore").status_code == 400
        assert http.post(f"{tenant}/snapshots/second/restore").status_code == 200
        assert http.get(f"{tenant}/export").content == exports["second"]
        assert http.post(f"{tenant}/reset").status_code == 200

    with served() as http:
        assert http.get(f"{tenant}/snapshots").json() == {"snapshots": []}
