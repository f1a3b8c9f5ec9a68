"""The conformance suites as pytest tests, collected by the plugin (``conformance.plugin``) when
``--zohosim-syncer`` or ``--zohosim-syncer-cmd`` is given. One test per invariant group, each
parametrized by module sync; each is a Hypothesis test over scenarios (``conformance.suite``).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from conformance.plugin import EXERCISED, Conformance
from conformance.report import failure_report, replay_commands, save_failure
from conformance.suite import SuiteResult, replay, run_suite


def _check(conformance: Conformance, group: str, kind: str, record: Callable[[str, object], None]) -> None:
    result: SuiteResult = run_suite(conformance.harness, group, kind, conformance.profile)
    if result.error is not None:
        raise result.error
    if result.failure is None:
        record(EXERCISED, {"group": group, "kind": kind, "invariants": sorted(result.exercised)})
        return
    syncer = conformance.syncer_cmd or conformance.syncer_python or conformance.syncer_daemon or "?"
    saved = save_failure(result.failure, conformance.out / "failures", kind=kind, syncer=syncer)
    commands = replay_commands(
        saved,
        syncer_cmd=conformance.syncer_cmd,
        syncer_python=conformance.syncer_python,
        syncer_daemon=conformance.syncer_daemon,
    )
    pytest.fail(failure_report(result.failure, kind=kind, saved=saved, replay=commands), pytrace=False)


def test_first_sync(
    zohosim_conformance: Conformance, zohosim_kind: str, record_property: Callable[[str, object], None]
) -> None:
    """SKIP-UNTOUCHED, OVERWRITE-REPLACES, CLONE-ADDS, FETCH-READ-ONLY, VIEW-BOUNDED, MODULE-SHAPE,
    MAPPED-EQUAL, MULTIMAP-PRIORITY, NO-DELETE, NO-CRM-DUPLICATE, MODULE-ISOLATION on one sync."""
    _check(zohosim_conformance, "first_sync", zohosim_kind, record_property)


def test_lifecycle(
    zohosim_conformance: Conformance, zohosim_kind: str, record_property: Callable[[str, object], None]
) -> None:
    """Sync, sync again (IDEMPOTENT), edit both sides and sync (INCREMENTAL, CONVERGE), every run checked."""
    _check(zohosim_conformance, "lifecycle", zohosim_kind, record_property)


def test_faults(
    zohosim_conformance: Conformance, zohosim_kind: str, record_property: Callable[[str, object], None]
) -> None:
    """FAULT-TOLERANT: 429, 503 and dropped connections change nothing but the time it takes."""
    _check(zohosim_conformance, "faults", zohosim_kind, record_property)


def test_resume(
    zohosim_conformance: Conformance, zohosim_kind: str, record_property: Callable[[str, object], None]
) -> None:
    """RESUMABLE: a run killed after N writes, then run again, ends where one uninterrupted run ends."""
    _check(zohosim_conformance, "resume", zohosim_kind, record_property)


def test_stateful(
    zohosim_conformance: Conformance, zohosim_kind: str, record_property: Callable[[str, object], None]
) -> None:
    """Edits on both sides, clock moves, faults, kills and syncs interleaved (a Hypothesis state
    machine); the invariants checked after every sync."""
    _check(zohosim_conformance, "stateful", zohosim_kind, record_property)


def test_eventual(
    zohosim_conformance: Conformance, zohosim_kind: str, record_property: Callable[[str, object], None]
) -> None:
    """EVENTUAL (daemon route): with notifications dropped, duplicated or reordered, the syncer still
    converges once the virtual clock has moved past its poll interval."""
    if not zohosim_conformance.syncer_daemon:
        pytest.skip("EVENTUAL is checked on the daemon route (--zohosim-syncer-daemon) only")
    _check(zohosim_conformance, "eventual", zohosim_kind, record_property)


def test_replay(zohosim_conformance: Conformance) -> None:
    """``--zohosim-replay=FILE``: one saved scenario through its group."""
    from conformance.cli import REPLAY_ERRORS, load_replay
    from conformance.world import ScenarioError

    if not zohosim_conformance.replay:
        pytest.skip("no --zohosim-replay")
    problem: str | None = None
    try:
        group, kind, scenario = load_replay(zohosim_conformance.replay)
        outcome = replay(zohosim_conformance.harness, group or "lifecycle", scenario)
    except (*REPLAY_ERRORS, ScenarioError) as error:
        problem = f"not a scenario the harness can run ({error!r})"
    if problem is not None:  # failed outside the except block: one line, no chained traceback
        pytest.fail(
            f"--zohosim-replay={zohosim_conformance.replay}: {problem}; "
            "fix the file, or replay one that the harness saved",
            pytrace=False,
        )
    if outcome.failed():
        pytest.fail(failure_report(outcome, kind=kind, max_violations=20), pytrace=False)
