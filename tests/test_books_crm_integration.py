"""Books' own Zoho CRM integration (docs/books-crm-integration.md), through the control plane:
connect and configure, Sync Now for each module, Sync Later and the two-hourly schedule on the
virtual clock, the run history's per-record outcomes, the marked requests, and bad input."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from simulator.clock import DEFAULT_START
from simulator.integration.models import CrmIntegration, NotConfigured, NotConnected, RunInProgress
from simulator.store import Store
from simulator.tenants import Sizes, attach_store
from simulator.testing import build_simulator, in_process
from syncer.config import ModuleSync
from tests.support import SEED, ZohoClient

BASE = "/tenants/t1/books/crm-integration"
SOURCE = "books-crm-integration"
#: Small enough that a run of every module takes a fraction of a second.
SMALL = {"accounts": 10, "contacts": 20, "vendors": 5, "products": 8, "books_overlap": 0.3, "books_extra": 3}


@pytest.fixture
def books(zoho: ZohoClient) -> ZohoClient:
    """The ``zoho`` client on a small tenant t1."""
    zoho.control("POST", "/tenants/t1/reset", json={"seed": SEED, "sizes": SMALL}).raise_for_status()
    return zoho


def configure(client: ZohoClient, modules: dict[str, Any]) -> dict[str, Any]:
    reply = client.control("PUT", BASE, json={"connected": True, "modules": modules})
    assert reply.status_code == 200, reply.text
    return reply.json()


def sync_now(client: ZohoClient, *modules: str) -> dict[str, Any]:
    reply = client.control("POST", f"{BASE}/sync", json={"modules": list(modules), "wait": True})
    assert reply.status_code == 200, reply.text
    run = reply.json()["run"]
    assert run["status"] == "finished", run
    return run


def records(client: ZohoClient, run_id: str, **params: Any) -> list[dict[str, Any]]:
    reply = client.control("GET", f"{BASE}/runs/{run_id}", params={"limit": 1000, **params})
    assert reply.status_code == 200, reply.text
    return reply.json()["records"]


def crm_all(client: ZohoClient, module: str, fields: str) -> dict[str, dict[str, Any]]:
    reply = client.crm("GET", f"/{module}", params={"fields": fields, "per_page": 200})
    return {row["id"]: row for row in reply.json()["data"]}


def books_ids(client: ZohoClient, collection: str) -> set[str]:
    reply = client.books("GET", f"/{collection}", params={"per_page": 200, "filter_by": "Status.All"})
    key = "contact_id" if collection == "contacts" else "item_id"
    return {row[key] for row in reply.json()[collection]}


def books_record(client: ZohoClient, collection: str, books_id: str) -> dict[str, Any]:
    reply = client.books("GET", f"/{collection}/{books_id}")
    assert reply.status_code == 200, reply.text
    return reply.json()["contact" if collection == "contacts" else "item"]


def error_of(reply: httpx.Response, status: int) -> dict[str, Any]:
    assert reply.status_code == status, reply.text
    return reply.json()["error"]


# ---- settings ------------------------------------------------------------------------------------


def test_a_new_tenant_is_not_connected_and_offers_its_own_crm_org(books: ZohoClient) -> None:
    settings = books.control("GET", BASE).json()
    assert settings["connected"] is False and settings["crm_org"] is None
    assert settings["modules"] == {"customers": None, "vendors": None, "items": None}
    assert settings["available_crm_orgs"][0]["org_id"] == books.creds["crm_org_id"]
    assert settings["interval_seconds"] == 7200
    assert settings["choices"]["duplicates"] == ["clone", "overwrite", "skip"]
    assert settings["views"]["Accounts"], "the Accounts views, for the view picker"


def test_saved_options_come_back_with_defaults_filled_in(books: ZohoClient) -> None:
    view = books.control("GET", BASE).json()["views"]["Vendors"][0]["id"]
    settings = configure(
        books,
        {
            "customers": {"crm_source": "accounts", "extent": "both_ways", "duplicates": "clone"},
            "vendors": {"view": view, "field_map": [["website", "Website"]]},
        },
    )
    assert settings["connected"] is True
    assert settings["crm_org"]["org_id"] == books.creds["crm_org_id"]
    customers, vendors = settings["modules"]["customers"], settings["modules"]["vendors"]
    assert customers["crm_source"] == "accounts" and customers["extent"] == "both_ways"
    assert customers["duplicates"] == "clone" and customers["include_unassociated_contacts"] is False
    assert customers["next_run"] is None and customers["last_run"] is None
    assert (
        vendors["view"] == view and vendors["duplicates"] == "skip" and vendors["extent"] == "fetch_from_crm"
    )
    assert vendors["field_map"] == [["contact_name", "Vendor_Name"], ["website", "Website"]], (
        "mandatory first"
    )
    assert "crm_source" not in vendors
    assert settings["modules"]["items"] is None

    settings = books.control("PUT", BASE, json={"modules": {"customers": None}}).json()
    assert settings["modules"]["customers"] is None and settings["modules"]["vendors"] is not None

    settings = books.control("PUT", BASE, json={"connected": False}).json()
    assert settings["connected"] is False
    assert settings["modules"] == {"customers": None, "vendors": None, "items": None}


# ---- Sync Now, one module at a time --------------------------------------------------------------


def test_sync_now_brings_accounts_and_their_contacts_as_customers_and_persons(books: ZohoClient) -> None:
    before = books_ids(books, "contacts")
    configure(
        books,
        {
            "customers": {
                "crm_source": "accounts_and_contacts",
                "include_unassociated_contacts": True,
                "duplicates": "overwrite",
            }
        },
    )
    run = sync_now(books, "customers")
    assert run["trigger"] == "sync_now" and run["modules"] == ["customers"]
    rows = records(books, run["run_id"])
    assert len(rows) == run["records_total"] == sum(run["totals"].values())

    accounts = crm_all(books, "Accounts", "Account_Name")
    account_rows = [row for row in rows if row["crm_module"] == "Accounts"]
    assert Counter(row["crm_id"] for row in account_rows) == Counter(list(accounts)), "each account once"
    outcomes = Counter(row["outcome"] for row in account_rows)
    assert set(outcomes) == {"created", "overwritten"}, outcomes
    for row in account_rows:
        customer = books_record(books, "contacts", row["books_id"])
        assert customer["contact_name"] == accounts[row["crm_id"]]["Account_Name"]
        assert customer["zcrm_account_id"] == row["crm_id"]
        assert (row["books_id"] in before) == (row["outcome"] == "overwritten")

    contacts = crm_all(books, "Contacts", "First_Name,Last_Name,Account_Name")
    by_account = {row["crm_id"]: row["books_id"] for row in account_rows}
    for row in (r for r in rows if r["crm_module"] == "Contacts"):
        contact = contacts[row["crm_id"]]
        if row["reason"].startswith("contact person"):
            assert row["books_id"] == by_account[contact["Account_Name"]["id"]]
            persons = books_record(books, "contacts", row["books_id"])["contact_persons"]
            assert contact["Last_Name"] in {p["last_name"] for p in persons}
        else:  # an unassociated contact, fetched as a customer of its own
            assert not contact.get("Account_Name")
            assert books_record(books, "contacts", row["books_id"])["zcrm_contact_id"] == row["crm_id"]
    assert {r["crm_id"] for r in rows if r["crm_module"] == "Contacts"} == set(contacts)

    settings = books.control("GET", BASE).json()["modules"]["customers"]
    assert settings["last_run"] == run["run_id"]
    assert settings["next_run"] == (DEFAULT_START + timedelta(hours=2)).isoformat()


def test_sync_now_of_vendors_skips_the_duplicates_it_finds(books: ZohoClient) -> None:
    before = books_ids(books, "contacts")
    configure(books, {"vendors": {"duplicates": "skip"}})
    run = sync_now(books, "vendors")
    rows = records(books, run["run_id"])
    vendors = crm_all(books, "Vendors", "Vendor_Name")
    assert {row["crm_id"] for row in rows} == set(vendors)
    skipped = records(books, run["run_id"], outcome="skipped")
    assert skipped, "the seed gives some CRM vendors a Books twin"
    for row in skipped:
        assert row["reason"] and row["books_id"] in before
    for row in (r for r in rows if r["outcome"] == "created"):
        vendor = books_record(books, "contacts", row["books_id"])
        assert vendor["contact_type"] == "vendor" and vendor["contact_name"] == row["name"]
        assert vendor["zcrm_vendor_id"] == row["crm_id"] and row["books_id"] not in before
    assert Counter(r["outcome"] for r in rows) == Counter(
        {k: v for k, v in run["totals_by_module"]["vendors"].items() if v}
    )


def test_sync_now_of_items_clones_the_duplicates_it_finds(books: ZohoClient) -> None:
    before = books_ids(books, "items")
    configure(books, {"items": {"duplicates": "clone"}})
    run = sync_now(books, "items")
    products = crm_all(books, "Products", "Product_Name,Product_Code")
    rows = records(books, run["run_id"], module="items")
    assert {row["crm_id"] for row in rows} == set(products)
    cloned = [row for row in rows if row["outcome"] == "cloned"]
    assert cloned, "the seed gives some CRM products a Books twin"
    for row in rows:
        item = books_record(books, "items", row["books_id"])
        assert item["name"] == products[row["crm_id"]]["Product_Name"]
        assert item["zcrm_product_id"] == row["crm_id"]
        assert row["books_id"] not in before, "created and cloned records are new Books items"
    after = books_ids(books, "items")
    assert before <= after, "a clone keeps the existing record too"
    assert len(after - before) == len(rows)


def test_both_ways_pushes_books_only_records_to_crm(books: ZohoClient) -> None:
    configure(books, {"customers": {"crm_source": "accounts", "extent": "both_ways", "duplicates": "skip"}})
    run = sync_now(books, "customers")
    pushed = records(books, run["run_id"], outcome="pushed")
    assert pushed, "the seed gives Books customers of its own"
    accounts = crm_all(books, "Accounts", "Account_Name")
    for row in pushed:
        assert accounts[row["crm_id"]]["Account_Name"] == row["name"]
        assert books_record(books, "contacts", row["books_id"])["zcrm_account_id"] == row["crm_id"]


def test_a_run_that_cannot_start_is_failed_with_the_reason(books: ZohoClient) -> None:
    configure(books, {"vendors": {"field_map": [["website", "No_Such_Field"]]}})
    reply = books.control("POST", f"{BASE}/sync", json={"wait": True})
    run = reply.json()["run"]
    assert reply.status_code == 200 and run["status"] == "failed" and "No_Such_Field" in run["error"]
    assert run["records_total"] == 0
    assert books.control("GET", BASE).json()["running"] is None, "the next run may start"


def test_resetting_the_tenant_disconnects_its_integration(books: ZohoClient) -> None:
    configure(books, {"vendors": {}})
    sync_now(books, "vendors")
    books.control("POST", "/tenants/t1/reset", json={"seed": SEED, "sizes": SMALL}).raise_for_status()
    settings = books.control("GET", BASE).json()
    assert settings["connected"] is False and settings["modules"]["vendors"] is None
    assert books.control("GET", f"{BASE}/runs").json()["runs"] == []


# ---- Sync Later and the schedule, on the virtual clock ------------------------------------------


def test_sync_later_runs_when_the_clock_moves_two_hours_and_every_two_hours_after(books: ZohoClient) -> None:
    configure(books, {"vendors": {}})
    reply = books.control("POST", f"{BASE}/sync", json={"modules": ["vendors"], "when": "later"})
    due = (DEFAULT_START + timedelta(hours=2)).isoformat()
    assert reply.status_code == 200 and reply.json() == {"scheduled": {"vendors": due}}
    assert books.control("GET", f"{BASE}/runs").json()["runs"] == []

    moved = books.control("POST", "/clock", json={"advance": 7199}).json()
    assert moved["integration_runs"] == [] and books.control("GET", f"{BASE}/runs").json()["runs"] == []

    moved = books.control("POST", "/clock", json={"advance": 1}).json()
    assert moved["integration_runs"] == [{"tenant_id": "t1", "run_id": "run-1"}]
    first = books.control("GET", f"{BASE}/runs/run-1").json()
    assert first["trigger"] == "schedule" and first["status"] == "finished" and first["started"] == due
    assert first["totals"]["created"] > 0

    for tick in range(2, 4):  # two more ticks, two hours apart; many hours at once run once
        moved = books.control("POST", "/clock", json={"advance": 7200 * (tick - 1)}).json()
        assert moved["integration_runs"] == [{"tenant_id": "t1", "run_id": f"run-{tick}"}]
    runs = books.control("GET", f"{BASE}/runs").json()["runs"]
    assert [run["run_id"] for run in runs] == ["run-3", "run-2", "run-1"], "newest first"
    assert all(run["totals"]["created"] == 0 for run in runs[:2]), "nothing new to fetch"


def test_sync_now_without_waiting_runs_in_the_background(books: ZohoClient) -> None:
    configure(books, {"items": {}})
    reply = books.control("POST", f"{BASE}/sync", json={})
    assert reply.status_code == 202, reply.text
    run_id = reply.json()["run"]["run_id"]
    finished = books.control("GET", f"{BASE}/runs/{run_id}", params={"wait": "true"}).json()
    assert finished["status"] == "finished" and finished["finished"] is not None
    assert finished["modules"] == ["items"] and finished["records_total"] == len(finished["records"])


# ---- the request log ---------------------------------------------------------------------------


def test_the_integrations_requests_are_marked_in_the_request_log(books: ZohoClient) -> None:
    configure(books, {"vendors": {}})
    books.crm("GET", "/Vendors", params={"fields": "Vendor_Name"})  # an outside client's request
    run = sync_now(books, "vendors")
    since = run["requests"]["first_seq"] - 1
    log = books.control("GET", "/requests", params={"tenant_id": "t1", "since_seq": since}).json()
    ours = [entry for entry in log["requests"] if entry["source"] == SOURCE]
    assert {entry["service"] for entry in ours} >= {"accounts", "crm", "books"}
    assert all(since < entry["seq"] <= run["requests"]["last_seq"] for entry in ours)
    assert sum(run["api_calls"].values()) == len(ours)
    marked = books.control(
        "GET", "/requests", params={"tenant_id": "t1", "source": SOURCE, "since_seq": since}
    ).json()
    assert [e["seq"] for e in marked["requests"]] == [e["seq"] for e in ours]
    everyone = books.control("GET", "/requests", params={"tenant_id": "t1", "since_seq": since - 1}).json()
    assert everyone["requests"][0]["source"] is None, "the outside client's request is not marked"


# ---- bad input ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "names"),
    [
        ({"modules": {"vendors": {"duplicates": "merge"}}}, "modules.vendors.duplicates"),
        ({"modules": {"vendors": {"crm_source": "accounts"}}}, "modules.vendors.crm_source"),
        ({"modules": {"customers": {}}}, "modules.customers.crm_source"),
        (
            {"modules": {"customers": {"crm_source": "accounts", "include_unassociated_contacts": True}}},
            "include",
        ),
        ({"modules": {"items": {"view": "123"}}}, "modules.items.view"),
        ({"modules": {"items": {"field_map": [["colour", "Product_Name"]]}}}, "modules.items.field_map[0]"),
        ({"modules": {"items": {"interval": "1h"}}}, "modules.items.interval"),
        ({"modules": {"invoices": {}}}, "modules.invoices"),
        ({"modules": []}, "'modules'"),
        ({"connected": "yes"}, "'connected'"),
        ({"crm_org_id": "1"}, "'crm_org_id'"),
        ({"colour": "blue"}, "'connected'"),
    ],
)
def test_a_bad_setting_is_a_400_naming_it_and_changes_nothing(
    books: ZohoClient, body: dict[str, Any], names: str
) -> None:
    books.control("PUT", BASE, json={"connected": True}).raise_for_status()
    error = error_of(books.control("PUT", BASE, json=body), 400)
    assert error["code"] == "bad_request" and names in error["message"]
    assert books.control("GET", BASE).json()["modules"] == {"customers": None, "vendors": None, "items": None}


def test_refusals_are_409s_and_unknowns_404s(books: ZohoClient) -> None:
    assert error_of(books.control("POST", f"{BASE}/sync", json={}), 409)["code"] == "not_connected"
    error = error_of(books.control("PUT", BASE, json={"modules": {"vendors": {}}}), 409)
    assert error["code"] == "not_connected"
    books.control("PUT", BASE, json={"connected": True}).raise_for_status()
    assert error_of(books.control("POST", f"{BASE}/sync", json={}), 409)["code"] == "not_configured"
    error = error_of(books.control("POST", f"{BASE}/sync", json={"modules": ["items"]}), 409)
    assert error["code"] == "not_configured" and "items" in error["message"]
    assert error_of(books.control("GET", f"{BASE}/runs/run-9"), 404)["code"] == "unknown_run"
    assert (
        error_of(books.control("GET", "/tenants/nobody/books/crm-integration"), 404)["code"]
        == "unknown_tenant"
    )


@pytest.mark.parametrize(
    "body",
    [
        {"when": "tomorrow"},
        {"modules": "vendors"},
        {"modules": ["orders"]},
        {"when": "later", "wait": True},
        {"wait": "yes"},
        {"now": True},
    ],
)
def test_a_bad_sync_request_is_a_400(books: ZohoClient, body: dict[str, Any]) -> None:
    configure(books, {"vendors": {}})
    assert error_of(books.control("POST", f"{BASE}/sync", json=body), 400)["code"] == "bad_request"


def test_a_bad_page_of_a_run_is_a_400(books: ZohoClient) -> None:
    configure(books, {"vendors": {}})
    run_id = sync_now(books)["run_id"]
    for params in ({"limit": "0"}, {"limit": "1001"}, {"offset": "-1"}, {"outcome": "won"}, {"module": "x"}):
        assert (
            error_of(books.control("GET", f"{BASE}/runs/{run_id}", params=params), 400)["code"]
            == "bad_request"
        )
    page = books.control("GET", f"{BASE}/runs/{run_id}", params={"offset": 1, "limit": 2}).json()
    assert len(page["records"]) == 2 and page["matched"] == page["records_total"]


def test_the_zcrm_marks_of_a_run_are_in_the_store(tmp_path: Path) -> None:
    sim = build_simulator()
    tenant = sim.create_tenant(sizes=Sizes(**SMALL))
    attach_store(sim, Store(tmp_path / "z.sqlite3"))
    with in_process(sim) as running:
        http = running.client()
        base = f"/__zohosim{BASE}"
        http.put(base, json={"connected": True, "modules": {"vendors": {}}}).raise_for_status()
        run_id = http.post(f"{base}/sync", json={}).json()["run"]["run_id"]  # a write, saved at once
        run = http.get(f"{base}/runs/{run_id}", params={"wait": "true"}).json()  # a read: saves nothing
    rows = [r for r in tenant.integration.history[0].report.rows if r.action.value == "created"]
    assert run["status"] == "finished" and rows
    again = build_simulator()
    attach_store(again, Store(tmp_path / "z.sqlite3"))
    for row in rows:
        assert again.tenants["t1"].books.contacts[row.books_id].zcrm_vendor_id == row.crm_id


# ---- the model, without HTTP --------------------------------------------------------------------


def test_one_run_at_a_time_and_no_disconnecting_during_a_run() -> None:
    integration = CrmIntegration()
    with pytest.raises(NotConnected):
        integration.configure({"vendors": ModuleSync(module="vendors")})
    integration.connect()
    with pytest.raises(NotConfigured):
        integration.begin([], trigger="sync_now", now=DEFAULT_START, first_seq=1)
    integration.configure({"vendors": ModuleSync(module="vendors")})
    run = integration.begin([], trigger="sync_now", now=DEFAULT_START, first_seq=1)
    assert integration.due(DEFAULT_START + timedelta(days=1)) == [], "nothing is due while a run goes"
    with pytest.raises(RunInProgress):
        integration.begin(["vendors"], trigger="sync_now", now=DEFAULT_START, first_seq=1)
    with pytest.raises(RunInProgress):
        integration.disconnect()
    integration.end(run, now=DEFAULT_START + timedelta(hours=5), last_seq=9)
    assert run.status == "finished" and integration.running is None
    # the run overslept two ticks: the next is the first one after it ended
    assert integration.modules["vendors"].next_run == DEFAULT_START + timedelta(hours=6)
    assert integration.due(DEFAULT_START + timedelta(hours=6)) == ["vendors"]


def test_the_history_keeps_the_last_fifty_runs() -> None:
    integration = CrmIntegration()
    integration.connect()
    integration.configure({"items": ModuleSync(module="items")})
    for n in range(51):
        run = integration.begin([], trigger="schedule", now=DEFAULT_START, first_seq=n)
        integration.end(run, now=DEFAULT_START, last_seq=n)
    assert len(integration.history) == 50
    assert integration.history[0].run_id == "run-51" and integration.run("run-1") is None
