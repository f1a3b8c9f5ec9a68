"""Runs one scenario through a syncer and checks it: the invariant groups.

- ``first_sync``: build the world, snapshot, run once, snapshot, check every single-run invariant.
- ``lifecycle``: the first sync; a second with nothing changed (IDEMPOTENT); the scenario's edits on
  either side, the clock moved on, and a third (INCREMENTAL, CONVERGE); every run checked.
- ``faults``: the same world twice, once with transient faults (429, 503, dropped connections with
  and without the write applied) scoped to its tenant; the final states must be equal, ids and
  timestamps aside (FAULT-TOLERANT).
- ``resume``: the same world twice, once with the first run killed after N writes and run again;
  it must end where one uninterrupted run ends (RESUMABLE).

- ``stateful``: edits, clock moves, faults, kills and syncs interleaved, every sync checked
  (``conformance/stateful.py``); its scenario carries the steps, played back here.

The harness and a scenario's session live in ``conformance/session.py``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from hypothesis import strategies as st

from conformance.adapters import KillSwitch
from conformance.eventual import eventual
from conformance.invariants import (
    INVARIANTS,
    RUN_FAILED,
    CheckReport,
    check_run,
    compare_worlds,
    keys_overflow,
    never_vouches,
)
from conformance.observe import Violation
from conformance.scenarios import Scenario, scenarios
from conformance.session import Harness, Outcome, Session
from conformance.stateful import MOST_EDITS, play
from conformance.world import PAUSE

SINGLE_RUN_FIRST = tuple(
    i
    for i in INVARIANTS
    if i not in ("IDEMPOTENT", "INCREMENTAL", "CONVERGE", "FAULT-TOLERANT", "RESUMABLE", "EVENTUAL")
)


def first_sync(session: Session) -> None:
    world = session.world()
    plan = session.plan(session.run(world, "run 1"), 1, None)
    check_run(plan, session.outcome.report, only=(*SINGLE_RUN_FIRST, RUN_FAILED))


def lifecycle(session: Session) -> None:
    world = session.world()
    report = session.outcome.report
    first = session.plan(session.run(world, "run 1"), 1, None)
    check_run(first, report)
    world.advance(PAUSE)
    second = session.plan(session.run(world, "run 2 (nothing changed)"), 2, first, quiet=True)
    check_run(second, report)
    world.apply_edits(second.pairs.main)
    session.outcome.notes += world.skipped_edits
    third = session.plan(session.run(world, "run 3 (after the edits)"), 3, second, edited=True)
    check_run(third, report)


def faults(session: Session) -> None:
    report = session.outcome.report
    clean = session.world()
    clean_1 = session.run(clean, "fault-free run 1")
    clean.advance(PAUSE)
    clean_2 = session.run(clean, "fault-free run 2")
    faulty = session.world()
    sim = session.harness.sim
    rules = [sim.faults.add(spec.rule(faulty.tenant_id)) for spec in session.scenario.faults]
    try:
        faulty_1 = session.run(faulty, "run 1 under faults")
    finally:
        for rule in rules:
            sim.faults.remove(rule.rule_id)
    fired = [(spec, rule) for spec, rule in zip(session.scenario.faults, rules, strict=True) if rule.fired]
    session.outcome.notes.append("faults fired: " + (", ".join(s.describe() for s, _ in fired) or "none"))
    faulty.advance(PAUSE)
    faulty_2 = session.run(faulty, "run 2, faults gone")
    tolerated = session.record_failures_expected(clean_1)
    if not tolerated and not (clean_1.outcome.ok and clean_2.outcome.ok):
        failed = clean_1 if not clean_1.outcome.ok else clean_2
        session.outcome.notes.append("a fault-free run failed: FAULT-TOLERANT compares nothing")
        report.add(
            RUN_FAILED, (True, [Violation(RUN_FAILED, f"fault-free run failed: {failed.outcome.error}")])
        )
        _cannot_pass(report, "FAULT-TOLERANT", "a fault-free run failed")
        return
    blocked = never_vouches(clean_1, failure_expected=tolerated)
    if blocked:
        _cannot_pass(report, "FAULT-TOLERANT", f"fault-free run 1: {blocked}")
        return
    found: list[Violation] = []
    if not faulty_1.outcome.ok and not (tolerated and not clean_1.outcome.ok):
        found.append(
            Violation(
                "FAULT-TOLERANT",
                "the run failed under transient faults that a retry with backoff "
                f"overcomes: {faulty_1.outcome.error.strip()[:1500]}",
                run=1,
            )
        )
    lost_create = any(spec.loses_a_create_reply for spec, _ in fired)
    if lost_create:
        # A lost reply to a create may be settled by the next run (section 5); duplicates may not.
        for label, key, want, have in keys_overflow(clean_2.after, faulty_1.after):
            found.append(
                Violation(
                    "FAULT-TOLERANT",
                    f"{label}: {have} records with key {key!r} after the faulty "
                    f"run, {want} in the fault-free world: a duplicate",
                    run=1,
                )
            )
    else:
        found += compare_worlds(
            "FAULT-TOLERANT",
            clean_1.after,
            faulty_1.after,
            what="the run under faults ended elsewhere than the fault-free run",
            run=1,
        )
    found += compare_worlds(
        "FAULT-TOLERANT",
        clean_2.after,
        faulty_2.after,
        what="after a second run the worlds still differ",
        run=2,
    )
    report.add("FAULT-TOLERANT", (bool(fired), found))


def resume(session: Session) -> None:
    report = session.outcome.report
    whole = session.world()
    reference = session.run(whole, "uninterrupted run")
    writes = len(reference.writes())
    tolerated = session.record_failures_expected(reference)
    blocked = never_vouches(reference, failure_expected=tolerated)
    if blocked:
        if not reference.outcome.ok:
            error = reference.outcome.error.strip()[:2000]
            report.add(RUN_FAILED, (True, [Violation(RUN_FAILED, f"the uninterrupted run failed: {error}")]))
        _cannot_pass(report, "RESUMABLE", f"the uninterrupted run: {blocked}")
        return
    if (not reference.outcome.ok and not tolerated) or writes == 0:
        session.outcome.notes.append(f"the uninterrupted run made {writes} writes: nothing to kill")
        report.add("RESUMABLE", (False, []))
        return
    after_writes = 1 + (session.scenario.kill_after - 1) % writes
    killed = session.world()
    switch = KillSwitch(after_writes, sim=session.harness.sim, tenant_id=killed.tenant_id)
    first = session.run(killed, f"run killed after write {after_writes} of {writes}", kill=switch)
    found: list[Violation] = []
    if not switch.fired:
        found.append(
            Violation(
                "RESUMABLE",
                f"the kill after write {after_writes} never fired: the run made "
                f"{switch.writes} writes (the uninterrupted run made {writes}). A Python syncer must "
                "send its requests through endpoints.http",
                run=1,
            )
        )
    killed.advance(PAUSE)
    again = session.run(killed, "run again")
    if not again.outcome.ok and not tolerated:
        found.append(
            Violation(
                "RESUMABLE", f"the run after the kill failed: {again.outcome.error.strip()[:1500]}", run=2
            )
        )
    found += compare_worlds(
        "RESUMABLE",
        reference.after,
        again.after,
        what=f"killed after write {after_writes} and run again, the world differs from one uninterrupted run",
        run=2,
    )
    report.add("RESUMABLE", (first.outcome.killed or switch.fired, found))


def _cannot_pass(report: CheckReport, invariant: str, why: str) -> None:
    """An invariant that needs a run whose run did not happen: it fails, saying why."""
    report.add(invariant, (True, [Violation(invariant, f"cannot pass: {why}")]))


@dataclass(frozen=True)
class Group:
    name: str
    title: str
    invariants: tuple[str, ...]
    strategy: Callable[..., st.SearchStrategy[Scenario]]
    body: Callable[[Session], None]


GROUPS: dict[str, Group] = {
    group.name: group
    for group in (
        Group(
            "first_sync",
            "one sync from a fresh org",
            SINGLE_RUN_FIRST,
            lambda kind=None: scenarios(kind=kind),
            first_sync,
        ),
        Group(
            "lifecycle",
            "sync, sync again, edit both sides, sync",
            tuple(i for i in INVARIANTS if i not in ("FAULT-TOLERANT", "RESUMABLE", "EVENTUAL")),
            lambda kind=None: scenarios(kind=kind, edits=True),
            lifecycle,
        ),
        Group(
            "faults",
            "transient faults",
            ("FAULT-TOLERANT",),
            lambda kind=None: scenarios(kind=kind, faults=True),
            faults,
        ),
        Group(
            "resume",
            "a run killed part-way",
            ("RESUMABLE",),
            lambda kind=None: scenarios(kind=kind, kill=True),
            resume,
        ),
        Group(
            "stateful",
            "edits, clock moves, faults, kills and syncs interleaved",
            tuple(i for i in INVARIANTS if i != "EVENTUAL"),
            lambda kind=None: scenarios(kind=kind, edits=True, most_edits=MOST_EDITS),
            play,
        ),
        Group(
            "eventual",
            "a long-running syncer's notifications dropped, duplicated and reordered (daemon route)",
            ("EVENTUAL",),
            lambda kind=None: scenarios(kind=kind, edits=True),
            eventual,
        ),
    )
}


def run_scenario(harness: Harness, group: str, scenario: Scenario) -> Outcome:
    session = Session(harness, scenario, group)
    started = time.perf_counter()
    try:
        GROUPS[group].body(session)
    finally:
        session.outcome.seconds = time.perf_counter() - started
        session.close()
    return session.outcome
