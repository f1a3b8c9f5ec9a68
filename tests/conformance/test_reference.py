"""The reference syncer passes every suite, through both routes; broken syncers do not, and the
harness names the invariant they break."""

from __future__ import annotations

import shlex
import sys
from collections import Counter
from collections.abc import Iterator

import pytest

from conformance.adapters import CommandAdapter, PythonAdapter
from conformance.directed import directed
from conformance.invariants import INVARIANTS
from conformance.profiles import Profile, get_profile
from conformance.report import failure_report
from conformance.runner import GROUPS
from conformance.session import Harness, open_harness
from conformance.suite import KINDS, replay, run_suite

REFERENCE_CLI = f'{shlex.quote(sys.executable)} -m simulator sync --config "$ZOHOSIM_CONFIG" --quiet'
CI = get_profile("ci")


@pytest.fixture(scope="module")
def python_route() -> Iterator[Harness]:
    with open_harness(PythonAdapter("conformance.reference:factory")) as harness:
        yield harness


def _every_suite(harness: Harness, profile: Profile, *, kinds: tuple[str, ...] = KINDS) -> Counter[str]:
    exercised: Counter[str] = Counter()
    for group in GROUPS:
        for kind in kinds:
            result = run_suite(harness, group, kind, profile)
            assert result.error is None, f"{group}/{kind}: {result.error!r}"
            if result.failure is not None:
                pytest.fail(failure_report(result.failure, kind=kind), pytrace=False)
            assert result.examples == profile.examples[group] + len(directed(profile, group, kind))
            exercised.update(result.exercised)
    return exercised


#: Only a syncer woken by notifications can lose one (tests/conformance/test_daemon.py checks it).
DAEMON_ONLY = {"EVENTUAL"}


def test_the_reference_passes_every_suite_in_process(python_route: Harness) -> None:
    exercised = _every_suite(python_route, CI)
    assert set(INVARIANTS) - DAEMON_ONLY <= set(exercised), "the ci profile leaves invariants unchecked"


@pytest.mark.server
@pytest.mark.slow  # a process per run, every group for every module sync: about 135 CPU-s
def test_the_reference_cli_passes_every_suite_by_command() -> None:
    with open_harness(CommandAdapter(REFERENCE_CLI, timeout=60)) as harness:
        exercised = _every_suite(harness, CI)
    assert set(INVARIANTS) - DAEMON_ONLY <= set(exercised), "the ci profile leaves invariants unchecked"


@pytest.mark.server
def test_the_reference_cli_passes_every_group_for_vendors_by_command() -> None:
    """The default tier's share of the test above: every group through the command route, for one
    module sync."""
    with open_harness(CommandAdapter(REFERENCE_CLI, timeout=60)) as harness:
        exercised = _every_suite(harness, CI, kinds=("vendors",))
    assert {"IDEMPOTENT", "INCREMENTAL", "FAULT-TOLERANT", "RESUMABLE"} <= set(exercised)


def test_a_syncer_that_writes_the_skip_duplicate_fails_skip_untouched(python_route: Harness) -> None:
    python_route.adapter = PythonAdapter("tests.conformance.broken:skip_overwrites")
    try:
        profile = Profile("t", {"first_sync": 12}, seed=3, shrink_seconds=3)
        failures = [
            run_suite(python_route, "first_sync", kind, profile) for kind in ("customers-accounts", "vendors")
        ]
    finally:
        python_route.adapter = PythonAdapter("conformance.reference:factory")
    failed = [r for r in failures if r.failure is not None]
    assert failed, "the broken syncer passed"
    outcome = failed[0].failure
    assert outcome is not None
    assert {v.invariant for v in outcome.failed()} == {"SKIP-UNTOUCHED"}
    assert outcome.scenario.sync.duplicates == "skip"
    report = failure_report(outcome, kind=failed[0].kind, replay=["zohosim conform --replay x.json"])
    assert "FAILED SKIP-UNTOUCHED" in report and "before" in report and "Replay:" in report
    # the shrunk scenario replays: it fails the broken syncer, and the reference passes it
    assert replay(python_route, "first_sync", outcome.scenario).failed() == []


def test_a_syncer_that_writes_crm_under_fetch_fails_fetch_read_only(python_route: Harness) -> None:
    python_route.adapter = PythonAdapter("tests.conformance.broken:fetch_pushes")
    try:
        result = run_suite(
            python_route, "first_sync", "vendors", Profile("t", {"first_sync": 20}, seed=5, shrink_seconds=3)
        )
    finally:
        python_route.adapter = PythonAdapter("conformance.reference:factory")
    assert result.failure is not None
    assert {v.invariant for v in result.failure.failed()} == {"FETCH-READ-ONLY"}


def test_a_python_syncer_that_bypasses_endpoints_http_cannot_be_killed(python_route: Harness) -> None:
    python_route.adapter = PythonAdapter("tests.conformance.broken:Bypasses")
    try:
        result = run_suite(
            python_route, "resume", "vendors", Profile("t", {"resume": 1}, seed=1, shrink_seconds=5)
        )
    finally:
        python_route.adapter = PythonAdapter("conformance.reference:factory")
    assert result.failure is not None
    messages = [v.message for v in result.failure.failed()]
    assert any("never fired" in m and "endpoints.http" in m for m in messages), messages
