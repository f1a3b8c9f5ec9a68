"""The daemon route: idle reports and held deliveries in the simulator, the worked example through
the route, and the daemon mutants killed. Real processes: the harness polls for quiescence with
bounded counts; no test here waits on a wall-clock window of its own."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from conformance.daemon import DaemonAdapter
from conformance.invariants import INVARIANTS, RUN_FAILED
from conformance.mutants.daemon import DAEMON_MUTANTS, command
from conformance.profiles import Profile
from conformance.session import Harness, open_harness
from conformance.suite import run_suite
from simulator.tenants import Simulator, Sizes
from simulator.testing import in_process, in_process_client

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "python-daemon" / "daemon.py"
EXAMPLE_CMD = f"{sys.executable} {EXAMPLE}"
EMPTY = Sizes(accounts=0, contacts=0, vendors=0, products=0, books_overlap=0.0, books_extra=0)


@pytest.fixture
def sim() -> Iterator[Simulator]:
    simulator = Simulator(seed=3)
    simulator.create_tenant(sizes=EMPTY, tenant_id="t1")
    yield simulator


def test_an_idle_report_records_the_log_position_and_counts(sim: Simulator) -> None:
    with in_process(sim) as running, in_process_client(running.app) as http:
        assert http.get("/__zohosim/tenants/t1/idle").json() == {"marks": 0}
        first = http.post("/__zohosim/tenants/t1/idle").json()
        sim.request_log.append(
            raw_body=b"",
            time="",
            tenant_id="t1",
            service="crm",
            method="GET",
            path="/crm/v8/Accounts",
            query="",
            status=200,
            fault=None,
        )
        second = http.post("/__zohosim/tenants/t1/idle").json()
        assert (first["marks"], second["marks"]) == (1, 2)
        assert second["seq"] == first["seq"] + 1
        assert http.get("/__zohosim/tenants/t1/idle").json() == second
        assert http.post("/__zohosim/tenants/nope/idle").status_code == 404


def test_a_paused_tenant_keeps_its_deliveries_until_resumed(sim: Simulator) -> None:
    dispatcher = sim.notifier.dispatcher
    dispatcher.pause(tenant_id="t1")
    dispatcher.submit(
        queue="t1:crm:1", tenant_id="t1", service="crm", url="http://127.0.0.1:9/x", body=b"{}", headers={}
    )
    held = dispatcher.flush(timeout=5)
    assert held["drained"] and held["queues"][0]["queued"] == 1
    assert "attempts" not in held["counters"]["t1"]
    dispatcher.resume(tenant_id="t1")
    sent = dispatcher.flush(timeout=30)
    assert sent["drained"] and sent["counters"]["t1"]["attempts"] == 1  # refused: nobody listens on 9


@pytest.fixture(scope="module")
def harness() -> Iterator[Harness]:
    with open_harness(DaemonAdapter(EXAMPLE_CMD, timeout=180)) as opened:
        yield opened


def test_the_example_passes_the_daemon_route(harness: Harness) -> None:
    """Narrow and cheap: vendors only, one scenario per group."""
    groups = ("lifecycle", "resume", "eventual")
    profile = Profile("daemon-example", dict.fromkeys(groups, 1), seed=5, shrink_seconds=0.5)
    harness.adapter = DaemonAdapter(EXAMPLE_CMD, timeout=180)
    exercised: set[str] = set()
    for group in groups:
        result = run_suite(harness, group, "vendors", profile)
        assert result.error is None, f"{group}: {result.error!r}"
        assert result.failure is None, [str(v) for v in result.failure.failed()][:3]
        exercised |= set(result.exercised)
    assert {"IDEMPOTENT", "INCREMENTAL", "EVENTUAL"} <= exercised
    assert harness.adapter.quiescence_seconds  # measured for every step


@pytest.mark.parametrize("name", sorted(DAEMON_MUTANTS))
def test_the_suite_kills_the_daemon_mutant(harness: Harness, name: str) -> None:
    expected = DAEMON_MUTANTS[name]
    others = [i for i in (*INVARIANTS, RUN_FAILED) if i != expected]
    profile = Profile(f"daemon-mutant-{name}", {"eventual": 3}, seed=11, shrink_seconds=0.5)
    harness.adapter = DaemonAdapter(command(name), timeout=180)
    try:
        result = run_suite(harness, "eventual", "vendors", profile, ignore=others)
    finally:
        harness.adapter.close()
    assert result.error is None, repr(result.error)
    assert result.failure is not None, f"{name} survived {result.examples} scenarios"
    assert expected in {v.invariant for v in result.failure.failed()}


def test_a_daemon_that_never_listens_fails_its_run_with_a_clear_error(tmp_path: Path) -> None:
    adapter = DaemonAdapter(f"{sys.executable} -c 'raise SystemExit(3)'", timeout=30)
    profile = Profile("never-listens", {"first_sync": 1}, seed=1, shrink_seconds=0.5)
    with open_harness(adapter, workroot=tmp_path) as opened:
        result = run_suite(opened, "first_sync", "vendors", profile)
    assert result.failure is not None
    errors = [run.error for _, run in result.failure.runs]
    assert any("exited (status 3) before serving" in e for e in errors), errors


def test_an_unknown_daemon_mutant_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown daemon mutant"):
        command("nope")
