"""Runs one scenario through a syncer and checks it: the invariant groups.

- ``first_sync``: build the world, snapshot, run once, snapshot, check every single-run invariant.
- ``lifecycle``: the first sync; a second with nothing changed (IDEMPOTENT); the scenario's edits on
  either side, the clock moved on, and a third (INCREMENTAL, CONVERGE); every run checked.
- ``faults``: the same world twice, once with transient faults (429, 503, dropped connections with
  and without the write applied) scoped to its tenant; the final states must be equal, ids and
  timestamps aside (FAULT-TOLERANT).
- ``resume``: the same world twice, once with the first run killed after N writes and run again;
  it must end where one uninterrupted run ends (RESUMABLE).

A ``Harness`` is a running simulator (in-process, or a uvicorn thread on 127.0.0.1 for the
command route), a syncer adapter and a work directory.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from hypothesis import strategies as st

from conformance.adapters import CommandAdapter, KillSwitch, PythonAdapter
from conformance.contract import SyncShape
from conformance.invariants import (
    INVARIANTS,
    RUN_FAILED,
    CheckReport,
    check_run,
    compare_worlds,
    keys_overflow,
)
from conformance.observe import RunObservation, RunOutcome, Violation
from conformance.oracle import Pairs, Plan, plan_run
from conformance.scenarios import Scenario, scenarios
from conformance.world import PAUSE, World
from simulator.clock import Clock
from simulator.tenants import Simulator
from simulator.testing import InProcessTransport, in_process, serve_in_thread

Adapter = PythonAdapter | CommandAdapter


@dataclass
class Harness:
    sim: Simulator
    base_url: str
    transport: httpx.BaseTransport
    adapter: Adapter
    workroot: Path

    def world(self, scenario: Scenario) -> World:
        return World(
            self.sim, scenario, base_url=self.base_url, workdir=self.workroot, transport=self.transport
        )


@contextmanager
def open_harness(
    adapter: Adapter, *, served: bool | None = None, workroot: Path | None = None
) -> Iterator[Harness]:
    """A simulator for ``adapter``: the command route always gets a real server on 127.0.0.1; the
    Python route runs in-process unless ``served``."""
    served = adapter.route == "command" if served is None else served
    if adapter.route == "command" and not served:
        raise ValueError("a command-route syncer needs a served simulator")
    sim = Simulator(clock=Clock(start=datetime.now(UTC).replace(microsecond=0), frozen=True), seed=7)
    with ExitStack() as stack:
        root = workroot or Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="zohosim-conform-")))
        root.mkdir(parents=True, exist_ok=True)
        if served:
            running = stack.enter_context(serve_in_thread(sim))
            transport: httpx.BaseTransport = stack.enter_context(httpx.HTTPTransport())
        else:
            running = stack.enter_context(in_process(sim))
            transport = stack.enter_context(InProcessTransport(running.app))
        yield Harness(sim, running.base_url, transport, adapter, root)


# ---- one scenario ----------------------------------------------------------------------------


@dataclass
class Outcome:
    group: str
    scenario: Scenario
    report: CheckReport
    runs: list[tuple[str, RunOutcome]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0
    workdirs: list[Path] = field(default_factory=list)

    def failed(self, ignore: tuple[str, ...] = ()) -> list[Violation]:
        return self.report.failed(ignore)


class Session:
    """One scenario's worlds and runs."""

    def __init__(self, harness: Harness, scenario: Scenario, group: str) -> None:
        self.harness = harness
        self.scenario = scenario
        self.outcome = Outcome(group, scenario, CheckReport())
        self.worlds: list[World] = []
        self.shape = SyncShape(scenario.sync.entry({"view": "0", "contact_view": "0"}))

    def world(self) -> World:
        world = self.harness.world(self.scenario).build()
        self.worlds.append(world)
        self.outcome.workdirs.append(world.workdir)
        self.shape = SyncShape(world.entry())
        return world

    def run(self, world: World, label: str, *, kill: KillSwitch | None = None) -> RunObservation:
        world.keep_up_with_wall()
        before, in_view = world.snapshot(), world.in_view()
        position = world.log_position()
        outcome = self.harness.adapter.run(world.endpoints(), kill=kill)
        self.outcome.runs.append((label, outcome))
        return RunObservation(before, world.snapshot(), world.requests_since(position), in_view, outcome)

    def plan(self, obs: RunObservation, index: int, previous: Plan | None, **flags: bool) -> Plan:
        return plan_run(
            index=index,
            shape=self.shape,
            allow_duplicate_names=self.scenario.allow_duplicate_names,
            obs=obs,
            previous=previous.after if previous else None,
            pairs_before=previous.pairs if previous else Pairs(),
            **flags,
        )

    def record_failures_expected(self, obs: RunObservation) -> bool:
        """Whether the contract expects record-level failures in this first run (Books refusing a
        clone with 3062), after which a syncer may end its run with a failure status."""
        plan = self.plan(obs, 1, None)
        return any(e.action in ("clone-refused", "unsure") for e in plan.expectations)

    def close(self) -> None:
        keep = bool(self.outcome.failed())
        for world in self.worlds:
            world.close(keep_files=keep)


SINGLE_RUN_FIRST = tuple(
    i for i in INVARIANTS if i not in ("IDEMPOTENT", "INCREMENTAL", "CONVERGE", "FAULT-TOLERANT", "RESUMABLE")
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
    session.outcome.notes.append("faults fired: " + (", ".join(_fault_label(s) for s, _ in fired) or "none"))
    faulty.advance(PAUSE)
    faulty_2 = session.run(faulty, "run 2, faults gone")
    tolerated = session.record_failures_expected(clean_1)
    if not tolerated and not (clean_1.outcome.ok and clean_2.outcome.ok):
        failed = clean_1 if not clean_1.outcome.ok else clean_2
        session.outcome.notes.append("a fault-free run failed: FAULT-TOLERANT compares nothing")
        report.add(
            RUN_FAILED, (True, [Violation(RUN_FAILED, f"fault-free run failed: {failed.outcome.error}")])
        )
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


def _fault_label(spec: Any) -> str:
    what = (
        f"error {spec.status}"
        if spec.effect == "error"
        else ("drop (write applied)" if spec.apply_write else "drop (write not applied)")
    )
    return f"{what} on the {spec.service} {spec.method} #{spec.nth}"


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
            tuple(i for i in INVARIANTS if i not in ("FAULT-TOLERANT", "RESUMABLE")),
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


def describe_runs(outcome: Outcome) -> list[str]:
    lines = []
    for label, run in outcome.runs:
        state = "ok" if run.ok else ("killed" if run.killed else "FAILED")
        lines.append(f"{label}: {state} in {run.seconds:.2f} s")
    return lines
