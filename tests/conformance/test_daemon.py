"""The daemon route: idle reports and held deliveries in the simulator, the worked example through
the route, and the daemon mutants killed. Real processes: the harness polls for quiescence with
bounded counts; no test here waits on a wall-clock window of its own."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from conformance.cli import load_replay
from conformance.daemon import DaemonAdapter
from conformance.mutants.daemon import DAEMON_MUTANTS, command
from conformance.profiles import Profile
from conformance.scenarios import Scenario
from conformance.session import Harness, open_harness
from conformance.suite import replay, run_suite
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


#: Scenarios the search found killing the daemon mutants (``zohosim conform --profile quick``),
#: replayed here so that each kill costs one scenario, not a search.
SCENARIOS = Path(__file__).parent / "daemon_scenarios"
KILLERS = {
    "never_polls": "vendors-both_ways-overwrite.json",
    "trusts_payload_order": "vendors-both_ways-overwrite.json",
    "replays_duplicates": "vendors-clone.json",
}


def use(harness: Harness, cmd: str) -> DaemonAdapter:
    """Swap the harness's daemon for ``cmd`` (stopping the previous one's processes)."""
    if isinstance(harness.adapter, DaemonAdapter):
        harness.adapter.close()
    adapter = DaemonAdapter(cmd, timeout=180)
    adapter.attach(harness.sim)
    harness.adapter = adapter
    return adapter


def scenario(name: str) -> Scenario:
    return load_replay(str(SCENARIOS / name))[2]


@pytest.fixture(scope="module")
def harness() -> Iterator[Harness]:
    with open_harness(DaemonAdapter(EXAMPLE_CMD, timeout=180)) as opened:
        yield opened


def test_every_daemon_mutant_has_a_killing_scenario() -> None:
    assert set(KILLERS) == set(DAEMON_MUTANTS)


@pytest.mark.parametrize("name", sorted(set(KILLERS.values())))
def test_the_example_passes_the_killing_scenarios(harness: Harness, name: str) -> None:
    adapter = use(harness, EXAMPLE_CMD)
    outcome = replay(harness, "eventual", scenario(name))
    assert not outcome.failed(), [str(v) for v in outcome.failed()][:3]
    assert "EVENTUAL" in outcome.report.exercised
    assert len(adapter.quiescence_seconds) == 9  # three worlds, three steps each


def test_the_example_passes_the_lifecycle_and_a_kill(harness: Harness) -> None:
    """Narrow and cheap: vendors only, one drawn scenario per group."""
    profile = Profile("daemon-example", {"lifecycle": 1, "resume": 1}, seed=5, shrink_seconds=0.5)
    use(harness, EXAMPLE_CMD)
    for group in ("lifecycle", "resume"):
        result = run_suite(harness, group, "vendors", profile)
        assert result.error is None, f"{group}: {result.error!r}"
        assert result.failure is None, [str(v) for v in result.failure.failed()][:3]


@pytest.mark.parametrize("name", sorted(DAEMON_MUTANTS))
def test_the_suite_kills_the_daemon_mutant(harness: Harness, name: str) -> None:
    use(harness, command(name))
    outcome = replay(harness, "eventual", scenario(KILLERS[name]))
    assert DAEMON_MUTANTS[name] in {v.invariant for v in outcome.failed()}


def test_a_daemon_that_never_listens_fails_its_run_with_a_clear_error(tmp_path: Path) -> None:
    adapter = DaemonAdapter(f"{sys.executable} -c 'raise SystemExit(3)'", timeout=30)
    profile = Profile("never-listens", {"first_sync": 1}, seed=1, shrink_seconds=0.5)
    with open_harness(adapter, workroot=tmp_path) as opened:
        result = run_suite(opened, "first_sync", "vendors", profile)
    assert result.failure is not None
    errors = [run.error for _, run in result.failure.runs]
    assert any("exited with status 3 before serving" in e for e in errors), errors


def test_an_unknown_daemon_mutant_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown daemon mutant"):
        command("nope")
