"""The report (SYNC-SEMANTICS.md section 5: one row per record, totals) and the API calls a run costs,
against the fewest calls that could do the same work."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from syncer.plan import Action
from tests.syncer.conftest import SyncRun, World

ACCOUNTS = {"module": "customers", "crm_source": "accounts"}
HOUR = 3600


def calls(run: SyncRun) -> Counter[tuple[str, str, str]]:
    """(service, method, what) for each request: ``record`` for a path that ends in a record id."""
    out: Counter[tuple[str, str, str]] = Counter()
    for r in run.requests:
        last = r.path.rsplit("/", 1)[-1]
        what = "record" if last.isdigit() else ("record-status" if last in ("active", "inactive") else r.path)
        out[(r.service, r.method, what)] += 1
    return out


def test_one_row_per_record_with_both_ids_and_totals(world: World) -> None:
    entry = {**ACCOUNTS, "extent": "both_ways", "duplicates": "overwrite"}
    run = world.run(entry)
    report = run.report
    rows = report.rows
    by_crm = Counter(r.crm_id for r in rows if r.crm_id and r.action is not Action.PUSHED)
    assert set(by_crm) == set(run.before.crm["Accounts"]) and set(by_crm.values()) == {1}, (
        "a row per CRM record"
    )
    left = set(run.before.books("customer")) - set(run.main_links().values())
    assert left, "the seed has Books-only duplicates"
    skipped = [r.books_id for r in rows if r.action is Action.SKIPPED and r.crm_id is None]
    assert sorted(skipped) == sorted(left), "a row per Books record left unlinked (a CRM duplicate)"
    pushed = Counter(r.books_id for r in rows if r.action is Action.PUSHED)
    assert set(pushed.values()) == {1}
    for row in rows:
        assert row.sync == "customers:accounts" and row.name
        if row.action in (Action.CREATED, Action.OVERWRITTEN, Action.PUSHED):
            assert row.crm_id and row.books_id, row
        if row.action is Action.SKIPPED:
            assert row.reason and row.books_id, row
    totals = report.totals()
    assert set(totals) == {a.value for a in Action}
    assert sum(totals.values()) == len(rows)
    assert totals["created"] + totals["overwritten"] == len(run.main_links()) - totals["pushed"]
    assert report.totals_by_sync() == {"customers:accounts": {k: v for k, v in totals.items() if v}}
    document = json.loads(json.dumps(report.to_json()))
    assert document["totals"] == totals and document["api_calls"] == report.calls
    assert len(document["rows"]) == len(rows) and document["started"] <= document["finished"]
    table = report.table()
    assert "customers:accounts" in table and "API calls" in table


def test_a_failed_record_is_a_row_with_its_reason(world: World) -> None:
    world.control.allow_duplicate_names(world.tenant_id, False)
    run = world.run({**ACCOUNTS, "extent": "fetch_from_crm", "duplicates": "clone"})
    assert run.report.failed
    for row in run.report.failed:
        assert row.crm_id and row.crm_module == "Accounts" and row.books_id is None
        assert "3062" in row.reason
    assert "failed:" in run.report.table()
    entry = {**ACCOUNTS, "extent": "fetch_from_crm", "duplicates": "clone"}
    world.advance(60)
    # Choice: IDEMPOTENT wins: a failed record is not tried again until it changes in CRM.
    assert not world.run(entry).writes()
    world.control.allow_duplicate_names(world.tenant_id, True)
    failed = sorted(r.crm_id for r in run.report.failed if r.crm_id)
    world.advance(HOUR)
    world.api().crm.update("Accounts", [{"id": failed[0], "Description": "touched"}])
    world.advance(60)
    again = world.run(entry)
    assert [(r.action, r.crm_id) for r in again.report.rows if r.action is not Action.UNCHANGED] == [
        (Action.CLONED, failed[0])
    ]


def test_api_calls_in_the_report_are_the_requests_made(world: World) -> None:
    world.control.add_fault(tenant_id=world.tenant_id, effect="error", service="books", status=503, nth=3)
    run = world.run({**ACCOUNTS, "extent": "both_ways", "duplicates": "skip"})
    made = Counter(r.service for r in run.requests)
    assert run.report.calls == dict(made), "every attempt counts, retries too"


# Fewest calls: a sync must read each side (a page per 200 records), validate the map once per
# configuration (CRM field metadata; the view list only when there is a view), create each new
# record (Books creates one per call; CRM inserts 100 per call), and for an existing Books record it
# overwrites or pushes, read it whole (a list row lacks addresses) and write it once. Every run also
# learns the CRM org id (one call: the state belongs to the org pair), and a run with links reads
# back the Books record linked last (one call: an org reset to its seed starts fresh, docs/syncer-state.md).


def test_calls_of_a_first_and_an_incremental_fetch(world: World) -> None:
    entry = {**ACCOUNTS, "extent": "fetch_from_crm", "duplicates": "overwrite"}
    first = world.run(entry)
    totals = first.report.totals()
    assert calls(first) == Counter(
        {
            ("accounts", "POST", "/oauth/v2/token"): 1,
            ("crm", "GET", "/crm/v8/org"): 1,
            ("crm", "GET", "/crm/v8/settings/fields"): 1,
            ("crm", "GET", "/crm/v8/Accounts"): 1,
            ("books", "GET", "/books/v3/contacts"): 1,
            ("books", "POST", "/books/v3/contacts"): totals["created"],
            ("books", "GET", "record"): totals["overwritten"],
            ("books", "PUT", "record"): totals["overwritten"],
        }
    )
    assert first.report.calls == {
        "accounts": 1,
        "crm": 3,
        "books": 1 + totals["created"] + 2 * totals["overwritten"],
    }

    world.advance(HOUR)
    account = sorted(crm_id for (_, crm_id) in first.main_links())[0]
    world.api().crm.update("Accounts", [{"id": account, "Website": "https://incremental.example"}])
    world.advance(60)
    second = world.run(entry)
    assert second.report.calls == {"accounts": 1, "crm": 2, "books": 3}, "read each side once, write once"
    world.advance(60)
    assert world.run(entry).report.calls == {"accounts": 1, "crm": 2, "books": 2}


@pytest.mark.parametrize(
    "entry", [{"module": "vendors"}, ACCOUNTS, {"module": "items"}], ids=["vendors", "accounts", "items"]
)
def test_calls_of_a_first_and_an_incremental_sync_both_ways(world: World, entry: dict[str, str]) -> None:
    entry = {**entry, "extent": "both_ways", "duplicates": "overwrite"}
    first = world.run(entry)
    totals = first.report.totals()
    seen = calls(first)
    collection = "items" if entry["module"] == "items" else "contacts"
    module = {"vendors": "Vendors", "items": "Products"}.get(entry["module"], "Accounts")
    assert seen[("crm", "GET", "/crm/v8/settings/fields")] == 1
    assert seen[("crm", "GET", f"/crm/v8/{module}")] == 1, "one read serves the sync and the duplicate check"
    assert seen[("crm", "POST", f"/crm/v8/{module}")] == 1, "one insert per 100 pushed records"
    assert seen[("books", "GET", f"/books/v3/{collection}")] == 1
    assert seen[("books", "POST", f"/books/v3/{collection}")] == totals["created"] + totals["cloned"]
    # An item's map is flat and its list row holds every mapped field: an overwrite needs no read.
    overwrite_reads = totals["overwritten"] if collection == "contacts" else 0
    assert seen[("books", "GET", "record")] == overwrite_reads + totals["pushed"]
    writes_back = seen[("books", "PUT", "record")] - totals["overwritten"]
    assert 0 <= writes_back <= totals["pushed"], "at most one write back per pushed record"
    reads = Counter(
        r.path for r in first.requests if r.method == "GET" and r.path.rsplit("/", 1)[-1].isdigit()
    )
    assert set(reads.values()) == {1}, "no Books record is read twice"

    world.advance(HOUR)
    links = sorted(first.main_links().items())
    (_, crm_id), _ = links[0]
    _, books_id = links[-1]
    api = world.api()
    if entry["module"] == "items":
        api.crm.update(module, [{"id": crm_id, "Description": "incremental"}])
        api.books.update_item(books_id, {"rate": 4.25})
    else:
        api.crm.update(module, [{"id": crm_id, "Website": "https://crm.example"}])
        api.books.update_contact(books_id, {"website": "https://books.example"})
    world.advance(60)
    second = world.run(entry)
    seen = calls(second)
    assert second.report.calls["crm"] == 3, "the org id, one read, one update"
    assert seen[("books", "GET", "record")] == 2, "the reset probe; the record that changed, read whole once"
    assert seen[("books", "PUT", "record")] == 1
    assert second.report.calls["books"] == 4
    world.advance(60)
    assert world.run(entry).report.calls == {"accounts": 1, "crm": 2, "books": 2}
