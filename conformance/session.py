"""A harness (a running simulator, a syncer adapter, a work directory) and one scenario's session
on it: its worlds, its runs (each observed: both orgs before and after, and the requests), and
what the checks found.

A ``Harness`` is in-process, or a uvicorn thread on 127.0.0.1 for the command route.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx

from conformance.adapters import CommandAdapter, KillSwitch, PythonAdapter
from conformance.contract import SyncShape
from conformance.daemon import DaemonAdapter
from conformance.invariants import CheckReport
from conformance.observe import RunObservation, RunOutcome, Violation
from conformance.oracle import Pairs, Plan, plan_run
from conformance.scenarios import Scenario
from conformance.world import World
from simulator.clock import Clock
from simulator.tenants import Simulator
from simulator.testing import InProcessTransport, in_process, serve_in_thread

Adapter = PythonAdapter | CommandAdapter | DaemonAdapter


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
    served = adapter.route in ("command", "daemon") if served is None else served
    if adapter.route in ("command", "daemon") and not served:
        raise ValueError(f"a {adapter.route}-route syncer needs a served simulator")
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
        harness = Harness(sim, running.base_url, transport, adapter, root)
        if isinstance(adapter, DaemonAdapter):
            adapter.attach(sim)
        # Stop the daemons of whichever adapter the harness holds by then (a test may swap it),
        # before the server stops: a daemon must not outlive its harness.
        def stop_daemons() -> None:
            if isinstance(harness.adapter, DaemonAdapter):
                harness.adapter.close()

        stack.callback(stop_daemons)
        yield harness


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


def describe_runs(outcome: Outcome) -> list[str]:
    lines = []
    for label, run in outcome.runs:
        state = "ok" if run.ok else ("killed" if run.killed else "FAILED")
        lines.append(f"{label}: {state} in {run.seconds:.2f} s")
    return lines
