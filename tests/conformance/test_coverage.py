"""No green run checks nothing: a whole profile that leaves an invariant unexercised fails, a run
narrowed by ``--groups``/``--kinds`` may, and JUnit says which invariants were skipped and why.
Also the directed scenarios that make every profile cover every invariant, and the paging worlds."""

from __future__ import annotations

import time
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from conformance import cli
from conformance.directed import COVERAGE, PAGING, directed
from conformance.invariants import INVARIANTS
from conformance.profiles import PROFILES
from conformance.report import junit_xml, narrowed_out, summary_text, unexercised
from conformance.runner import GROUPS
from conformance.scenarios import Bulk, Scenario
from conformance.suite import SuiteResult
from simulator.cli import main
from simulator.tenants import Simulator

REFERENCE = ["--syncer-python", "conformance.reference:factory"]


def _results(groups: list[str], *, missing: set[str]) -> list[SuiteResult]:
    out = []
    for group in groups:
        result = SuiteResult(group, "vendors", examples=1)
        result.exercised = Counter({i: 1 for i in GROUPS[group].invariants if i not in missing})
        out.append(result)
    return out


def _junit(results: list[SuiteResult], narrowed: str | None) -> dict[str, ET.Element]:
    root = ET.fromstring(junit_xml(results, {}, seconds=1.0, narrowed=narrowed))
    return {s.get("name", ""): s for s in root}


def test_a_whole_profile_that_leaves_an_invariant_unchecked_fails() -> None:
    results = _results(list(GROUPS), missing={"CLONE-ADDS"})
    assert unexercised(results) == ["CLONE-ADDS"]
    text = summary_text(results, seconds=1.0, syncer="s", profile="ci")
    assert "CLONE-ADDS           UNCHECKED" in text
    assert "FAILED: no scenario exercised CLONE-ADDS" in text
    coverage = _junit(results, None)["coverage"]
    failed = [c.get("name") for c in coverage if c.find("failure") is not None]
    assert failed == ["CLONE-ADDS"] and coverage.get("failures") == "1"
    first_sync = _junit(results, None)["first_sync"]
    skipped = [c for c in first_sync if c.find("skipped") is not None]
    assert [c.get("name") for c in skipped] == ["CLONE-ADDS"]
    assert "exercised" in (skipped[0].find("skipped").get("message") or "")  # type: ignore[union-attr]


def test_a_narrowed_run_marks_what_it_left_out_as_skipped() -> None:
    results = _results(["first_sync"], missing={"VIEW-BOUNDED"})
    assert narrowed_out(results) == [
        "IDEMPOTENT", "INCREMENTAL", "CONVERGE", "FAULT-TOLERANT", "RESUMABLE", "EVENTUAL"
    ]
    text = summary_text(results, seconds=1.0, syncer="s", profile="ci", narrowed="--groups first_sync")
    assert "RESUMABLE            skipped" in text and "VIEW-BOUNDED         n/a" in text
    assert "FAILED" not in text and "narrowed by --groups first_sync" in text
    coverage = _junit(results, "--groups first_sync")["coverage"]
    reasons = {c.get("name"): c.find("skipped") for c in coverage}
    assert reasons["VIEW-BOUNDED"] is not None and reasons["RESUMABLE"] is not None
    assert "narrowed out by --groups first_sync" in (reasons["RESUMABLE"].get("message") or "")
    assert reasons["MODULE-SHAPE"] is None and coverage.get("failures") == "0"


def _fake_suite(missing: set[str]) -> Any:
    def run_suite(harness: Any, group: str, kind: str, profile: Any, **_: Any) -> SuiteResult:
        return _results([group], missing=missing)[0]

    return run_suite


@pytest.mark.parametrize(("narrow", "code"), [([], 1), (["--kinds", "vendors"], 0)])
def test_the_cli_fails_a_profile_that_checked_nothing_for_an_invariant(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], narrow: list[str], code: int
) -> None:
    monkeypatch.setattr(cli, "run_suite", _fake_suite({"MULTIMAP-PRIORITY"}))
    assert main(["conform", *REFERENCE, "--profile", "ci", *narrow]) == code
    out = capsys.readouterr().out
    assert ("UNCHECKED" in out) == (code == 1)


# ---- the directed scenarios ------------------------------------------------------------------


def test_the_coverage_scenarios_reach_what_drawn_ones_may_miss() -> None:
    """Each directed coverage scenario is in every profile, in a group that checks its target."""
    targets = {"SKIP-UNTOUCHED", "CLONE-ADDS", "VIEW-BOUNDED", "MULTIMAP-PRIORITY"}
    assert len(COVERAGE) == len(targets)
    for profile in PROFILES.values():
        for entry in COVERAGE:
            assert any(s.dumps() == entry.build().dumps() for s in directed(profile, entry.group, entry.kind))
    assert targets <= set(GROUPS["first_sync"].invariants) and set(INVARIANTS) >= targets


def test_every_profile_pages_past_2000_crm_records_and_200_books_records() -> None:
    for profile in PROFILES.values():
        worlds = [PAGING[name].build() for name in profile.paging]
        assert any(b.count > 2000 for w in worlds for b in w.bulk), profile.name
    quick = [PAGING[name].build() for name in PROFILES["quick"].paging]
    assert {b.module for w in quick for b in w.bulk} == {"Accounts", "Vendors", "Products"}


def test_a_bulk_scenario_round_trips_through_json() -> None:
    scenario = PAGING["crm-page-token"].build()
    again = Scenario.loads(scenario.dumps())
    assert again.bulk == [Bulk("Vendors", 2050, 40)] and again.dumps() == scenario.dumps()
    assert "2050 bulk Vendors (53 without a Books twin)" in again.describe()


def test_a_paging_world_is_built_in_bulk_and_cheaply(tmp_path: Path) -> None:
    from conformance.world import World

    sim = Simulator()
    started = time.perf_counter()
    world = World(sim, PAGING["crm-page-token"].build(), base_url="http://sim", workdir=tmp_path).build()
    seconds = time.perf_counter() - started
    try:
        assert len(world.org.crm.records["Vendors"]) == 2050
        vendors = [c for c in world.org.books.contacts.values() if c.contact_type == "vendor"]
        assert len(vendors) == 2050 - 53
        assert sim.request_log.last_seq == 0  # no HTTP: straight into the domain state
        print(f"paging world (2,050 CRM + 1,997 Books records) built in {seconds:.2f} s")
    finally:
        world.close()
