"""The Books CRM integration's run history (docs/books-crm-integration.md): what each record a run
wrote became, field by field, and the integration's settings and history kept by the store
(``--data-dir``) and by snapshots."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from fieldmap import books_value, same
from simulator.clock import DEFAULT_START
from simulator.integration import changes as changes_module
from simulator.integration import stored
from simulator.integration.models import CrmIntegration, RunInProgress
from simulator.store import Store
from simulator.tenants import Sizes, attach_store, persist
from simulator.testing import build_simulator, in_process
from syncer.config import ModuleSync, parse_module_sync
from syncer.plan import Action
from tests.support import ZohoClient, start_server, stop_server
from tests.test_books_crm_integration import (
    BASE,
    SMALL,
    books,  # noqa: F401 - the fixture
    books_record,
    configure,
    records,
    sync_now,
)

CUSTOMERS = {"crm_source": "accounts_and_contacts", "extent": "both_ways", "duplicates": "overwrite"}


def changes_of(record: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    return {c["field"]: (c["before"], c["after"]) for c in record["changes"]}


def test_an_overwritten_record_shows_its_mapped_fields_before_and_after(books: ZohoClient) -> None:  # noqa: F811
    vendors = books.books("GET", "/contacts", params={"contact_type": "vendor", "per_page": 200}).json()
    ids = [row["contact_id"] for row in vendors["contacts"]]
    was = {books_id: books_record(books, "contacts", books_id) for books_id in ids}
    configure(books, {"vendors": {"duplicates": "overwrite"}})
    overwritten = [r for r in records(books, sync_now(books)["run_id"]) if r["outcome"] == "overwritten"]
    assert overwritten
    field_map = books.control("GET", BASE).json()["modules"]["vendors"]["field_map"]
    for record in overwritten:
        now = books_record(books, "contacts", record["books_id"])
        changed = changes_of(record)
        assert changed, "an overwrite of a seeded twin changes some mapped field"
        for path, _ in field_map:
            before, after = books_value(was[record["books_id"]], path), books_value(now, path)
            assert changed.get(path) == (None if same(before, after) else (before, after))


def test_a_created_record_has_no_before_and_a_skipped_one_no_changes(books: ZohoClient) -> None:  # noqa: F811
    configure(books, {"vendors": {}})
    rows = records(books, sync_now(books)["run_id"])
    created = [r for r in rows if r["outcome"] == "created"]
    assert created and all(r["changes"] is None for r in rows if r["outcome"] == "skipped")
    for record in created:
        vendor = books_record(books, "contacts", record["books_id"])
        changed = changes_of(record)
        assert changed["contact_name"] == (None, vendor["contact_name"])
        assert all(before is None for before, _ in changed.values())


def test_a_second_run_shows_the_field_the_crm_changed(books: ZohoClient) -> None:  # noqa: F811
    configure(books, {"vendors": {}})
    first = records(books, sync_now(books)["run_id"], outcome="created")[0]
    old = changes_of(first)["website"][1]
    reply = books.crm(
        "PUT", f"/Vendors/{first['crm_id']}", json={"data": [{"Website": "https://changed.example"}]}
    )
    assert reply.status_code == 200, reply.text
    second = sync_now(books)
    updated = records(books, second["run_id"], outcome="updated")
    assert [r["books_id"] for r in updated] == [first["books_id"]]
    assert changes_of(updated[0]) == {"website": (old, "https://changed.example")}
    assert second["changes"] == {"records": 1, "capped": False, "cap": changes_module.CAP}


def test_pushed_records_and_contact_persons_name_their_own_fields(books: ZohoClient) -> None:  # noqa: F811
    configure(books, {"customers": CUSTOMERS, "items": {"extent": "both_ways"}})
    rows = records(books, sync_now(books)["run_id"])
    pushed = [r for r in rows if r["outcome"] == "pushed" and r["module"] == "items"]
    assert pushed
    for record in pushed:
        product = books.crm("GET", f"/Products/{record['crm_id']}").json()["data"][0]
        changed = changes_of(record)
        assert changed["Product_Name"] == (None, product["Product_Name"])
    persons = [r for r in rows if r["reason"] == "contact person" and r["outcome"] == "created"]
    assert persons
    for record in persons:
        first, last = (changes_of(record)[f][1] for f in ("first_name", "last_name"))
        assert f"{first} {last}".strip() == record["name"]


def test_changes_past_the_cap_are_left_out_and_the_run_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(changes_module, "CAP", 2)
    sim = build_simulator()
    sim.create_tenant(sizes=Sizes(**SMALL))
    with in_process(sim) as running:
        http = running.client()
        base = f"/__zohosim{BASE}"
        http.put(base, json={"connected": True, "modules": {"vendors": {}}}).raise_for_status()
        run = http.post(f"{base}/sync", json={"wait": True}).json()["run"]
        rows = http.get(f"{base}/runs/{run['run_id']}").json()["records"]
    assert run["changes"] == {"records": 2, "capped": True, "cap": 2}
    written = [r for r in rows if r["outcome"] == "created"]
    assert len(written) > 2 and [r["changes"] is not None for r in written][:3] == [True, True, False]


# ---- kept: the store and snapshots --------------------------------------------------------------


def _settings_and_history(http: httpx.Client) -> tuple[dict[str, Any], dict[str, Any], list[Any]]:
    base = f"/__zohosim{BASE}"
    settings = http.get(base).json()
    runs = http.get(f"{base}/runs").json()
    pages = [http.get(f"{base}/runs/{run['run_id']}", params={"limit": 1000}).json() for run in runs["runs"]]
    return settings, runs, pages


@pytest.mark.server
def test_settings_and_history_survive_a_restart_with_a_data_dir(tmp_path: Path) -> None:
    @contextmanager
    def served() -> Iterator[httpx.Client]:
        process, base_url = start_server("--data-dir", str(tmp_path), "--clock", "frozen")
        try:
            with httpx.Client(base_url=base_url, timeout=30) as http:
                yield http
        finally:
            stop_server(process)

    base = f"/__zohosim{BASE}"
    with served() as http:
        http.put(base, json={"connected": True, "modules": {"vendors": {}}})
        assert http.post(f"{base}/sync", json={"wait": True}).json()["run"]["status"] == "finished"
        later = http.post(f"{base}/sync", json={"modules": ["vendors"], "when": "later"})
        assert later.status_code == 200, later.text
        kept = _settings_and_history(http)
    assert kept[0]["modules"]["vendors"]["next_run"] and kept[2][0]["changes"]["records"] > 0
    with served() as http:
        assert _settings_and_history(http) == kept
        run = http.post(f"{base}/sync", json={"wait": True}).json()["run"]
        assert run["run_id"] == "run-2", "run ids go on from the saved count"
    # the syncer's memory came back too: the second run reads only what changed since the first,
    # where a syncer that forgot it would read every record again and find each duplicate again
    assert kept[1]["runs"][0]["totals"]["skipped"] > 0 and run["totals"]["skipped"] == 0


def test_an_interrupted_run_loads_as_failed_and_its_changes_come_back() -> None:
    integration = CrmIntegration()
    integration.connect()
    integration.configure({"vendors": parse_module_sync({"module": "vendors"}, where="vendors")})
    run = integration.begin([], trigger="sync_now", now=DEFAULT_START, first_seq=3)
    run.report.add("vendors", Action.CREATED, crm_module="Vendors", crm_id="1", books_id="2")
    run.changes = {run.report.rows[0]: (changes_module.Change("contact_name", None, "Acme"),)}
    loaded = stored.load(stored.dump(integration))
    again = loaded.run(run.run_id)
    assert again is not None and loaded.running is None and loaded.connected and loaded.state is not None
    assert (again.status, again.error) == ("failed", stored.INTERRUPTED) and again.done.is_set()
    assert again.changes == run.changes and again.report.rows == run.report.rows
    assert loaded.modules["vendors"].sync == integration.modules["vendors"].sync
    assert loaded.runs_started == 1


@pytest.mark.parametrize(
    "document",
    [
        None,
        [],
        {"format": "zohosim-integration/0"},
        {"format": stored.FORMAT},
        {"format": stored.FORMAT, "runs": "x"},
    ],
)
def test_a_saved_integration_that_does_not_load_says_so(document: Any) -> None:
    with pytest.raises(stored.InvalidIntegration):
        stored.load(document)


def test_a_store_from_before_the_integration_was_kept_still_loads(tmp_path: Path) -> None:
    path = tmp_path / "z.sqlite3"
    sim = build_simulator()
    sim.create_tenant(sizes=Sizes(**SMALL))
    attach_store(sim, Store(path))
    store = Store(path)
    store._db.execute("DELETE FROM documents WHERE part='integration'")
    store._db.execute("DELETE FROM entities WHERE part='integration'")
    store.close()
    again = build_simulator()
    assert attach_store(again, Store(path))
    assert not again.tenants["t1"].integration.connected


def test_a_snapshot_brings_back_the_settings_and_the_history(books: ZohoClient) -> None:  # noqa: F811
    configure(books, {"vendors": {}})
    first = sync_now(books)
    first_records = records(books, first["run_id"])
    snapshot = books.control("POST", "/tenants/t1/snapshots", json={"name": "after-first"})
    assert snapshot.status_code == 201
    configure(books, {"items": {}})
    sync_now(books)
    assert books.control("PUT", BASE, json={"connected": False}).status_code == 200
    assert books.control("POST", "/tenants/t1/snapshots/after-first/restore").status_code == 200
    settings = books.control("GET", BASE).json()
    assert settings["connected"] and settings["modules"]["items"] is None and settings["modules"]["vendors"]
    runs = books.control("GET", f"{BASE}/runs").json()["runs"]
    assert [run["run_id"] for run in runs] == [first["run_id"]]
    assert records(books, first["run_id"]) == first_records and any(r["changes"] for r in first_records)
    assert sync_now(books)["run_id"] == "run-2", "the snapshot's own run count"


def test_a_snapshot_is_not_restored_over_a_running_integration() -> None:
    sim = build_simulator()
    tenant = sim.create_tenant(sizes=Sizes(**SMALL))
    tenant.take_snapshot("before")
    tenant.integration.connect()
    tenant.integration.configure({"vendors": ModuleSync(module="vendors")})
    tenant.integration.begin([], trigger="sync_now", now=DEFAULT_START, first_seq=1)
    with pytest.raises(RunInProgress):
        tenant.restore_snapshot("before", clock=sim.clock)
    assert tenant.integration.connected
    with in_process(sim) as running:
        reply = running.client().post("/__zohosim/tenants/t1/snapshots/before/restore")
    assert reply.status_code == 409 and reply.json()["error"]["code"] == "run_in_progress"


def test_an_old_snapshot_leaves_the_integration_as_it_is() -> None:
    sim = build_simulator()
    tenant = sim.create_tenant(sizes=Sizes(**SMALL))
    tenant.snapshots["old"] = tenant.export_state()  # as snapshots were taken before
    tenant.integration.connect()
    tenant.restore_snapshot("old", clock=sim.clock)
    assert tenant.integration.connected


def test_a_wrong_method_on_an_integration_route_is_a_405_in_the_control_planes_shape(
    books: ZohoClient,  # noqa: F811
) -> None:
    reply = books.control("DELETE", BASE)
    assert reply.status_code == 405
    error = reply.json()["error"]
    assert error["code"] == "method_not_allowed" and "PUT" in error["message"]


def test_contact_options_outside_accounts_and_contacts_are_a_400(books: ZohoClient) -> None:  # noqa: F811
    reply = books.control("PUT", BASE, json={"connected": True, "modules": {"vendors": {"person_map": []}}})
    assert reply.status_code == 400
    assert reply.json()["error"]["message"].startswith("modules.vendors.person_map:")
    assert books.control("GET", BASE).json()["modules"]["vendors"] is None


def test_the_store_keeps_each_run_of_the_history_and_forgets_those_that_fall_off(tmp_path: Path) -> None:
    path = tmp_path / "z.sqlite3"
    sim = build_simulator()
    tenant = sim.create_tenant(sizes=Sizes(**SMALL))
    attach_store(sim, Store(path))
    integration = tenant.integration
    integration.connect()
    integration.configure({"items": parse_module_sync({"module": "items"}, where="items")})
    for n in range(51):
        run = integration.begin([], trigger="schedule", now=DEFAULT_START, first_seq=n)
        integration.end(run, now=DEFAULT_START, last_seq=n)
        persist(sim, tenant, services=("integration",))
    integration.begin([], trigger="schedule", now=DEFAULT_START, first_seq=99)  # going when it stops
    persist(sim, tenant, services=("integration",))
    kept = Store(path)
    parts = kept._db.execute("SELECT COUNT(*) FROM documents WHERE part LIKE 'integration-run:%'").fetchone()
    kept.close()
    assert parts == (50,)
    again = build_simulator()
    attach_store(again, Store(path))
    history = again.tenants["t1"].integration.history
    assert [run.run_id for run in history][:2] == ["run-52", "run-51"] and len(history) == 50
    assert history[0].status == "failed" and history[0].error == stored.INTERRUPTED
    assert again.tenants["t1"].integration.modules["items"].sync == integration.modules["items"].sync
