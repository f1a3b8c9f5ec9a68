"""The stateful suite: a Hypothesis ``RuleBasedStateMachine`` that interleaves CRM edits, Books
edits, clock moves, injected faults, kills and sync runs, and checks the invariants after every
sync.

One scenario builds two worlds. The *twin* gets the edits and the clock; the *main* world gets the
same, plus the faults and the kills. After every sync:

- the twin's run is checked against every single-run invariant, as the lifecycle group checks its
  runs: IDEMPOTENT when nothing changed since the previous sync, INCREMENTAL and CONVERGE after
  edits;
- once the main world has met a fault or a kill, it must equal the twin (ids and times aside): at
  once after a run whose faults were all retried (FAULT-TOLERANT), and after the next sync when a
  reply to a create was lost or the run was killed (FAULT-TOLERANT, RESUMABLE). It must stay equal
  for the rest of the story. Between a disrupted sync and the next one, no edit, fault or kill is
  taken (an edit to a pair the main world has not made yet would fork the worlds for no fault of
  the syncer's).

The scenario's edits are a pool: each ``edit`` step takes the next unused edit of its side. The
steps taken are recorded in ``Scenario.steps``, so that a failure replays without Hypothesis
(``play`` is the group body that takes them again) and its report lists them.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

from hypothesis import seed
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    precondition,
    rule,
    run_state_machine_as_test,
)

from conformance.adapters import KillSwitch
from conformance.contract import SyncShape
from conformance.invariants import check_run, compare_worlds, keys_overflow
from conformance.observe import RunObservation, Violation
from conformance.oracle import Pairs, Plan, plan_run
from conformance.scenarios import Edit, FaultSpec, Scenario, Step, fault_specs, scenarios
from conformance.session import Harness, Outcome, Session
from conformance.world import PAUSE, World

if TYPE_CHECKING:
    from conformance.profiles import Profile

#: The edit pool a story draws from (it need not use them all).
MOST_EDITS = 8
#: Clock moves: a second, past a rate-limit minute, past the incremental overlap, past a token's
#: hour, past a day's quotas.
ADVANCES = (1, 61, 601, 3601, 86401)
#: Faults every sync meets: on its first reads (a run reads both sides). Drawn half the time, beside
#: faults on any method, many of which a short story's sync never reaches.
SURE_FAULTS = fault_specs(methods=("GET",), most_nth=2)
#: At most this many edits, clock moves, faults or kills between two syncs: every story syncs often.
MOST_BETWEEN_SYNCS = 4


class Story:
    """Two worlds built from one scenario, taking steps (``Step``) together."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.clock = session.harness.sim.clock  # one clock for both worlds
        self.twin, self.main = session.world(), session.world()
        self.shapes = {w.tenant_id: SyncShape(w.entry()) for w in (self.twin, self.main)}
        self.pool: dict[str, deque[Edit]] = {
            side: deque(e for e in session.scenario.edits if e.side == side) for side in ("crm", "books")
        }
        self.plans: dict[str, Plan | None] = {self.twin.tenant_id: None, self.main.tenant_id: None}
        self.edited = False  # an edit since the previous sync
        self.faults: list[FaultSpec] = []  # for the next sync of the main world
        self.kill_after: int | None = None
        self.between = 0  # steps since the previous sync
        self.recovery_due = False  # the previous sync carried faults or a kill
        self.disrupted: str | None = None  # from then on the main world must equal the twin
        self.pending: str | None = None  # a disruption the next sync must settle
        self.syncs = 0
        self.quiet_syncs = 0  # syncs in a row with no step between

    # ---- what may come next (from the steps alone, so that Hypothesis's replays agree) ------------

    def can_edit(self, side: str) -> bool:
        return bool(self.pool[side]) and self.can_step()

    def can_step(self) -> bool:
        return not self.recovery_due and self.between < MOST_BETWEEN_SYNCS

    def can_sync(self) -> bool:
        """Not a third sync in a row with nothing between: the second already checks IDEMPOTENT."""
        return self.between > 0 or self.recovery_due or self.quiet_syncs < 2

    def can_fault(self) -> bool:
        return self.can_step() and len(self.faults) < 3

    def can_kill(self) -> bool:
        return self.can_step() and self.kill_after is None

    # ---- the steps ---------------------------------------------------------------------------------

    def take(self, step: Step) -> None:
        if step.op == "sync":
            self._sync()
            return
        self.between += 1
        if step.op == "edit":
            self._edit(self.pool[str(step.side)].popleft())
        elif step.op == "advance":
            self.clock.advance(step.seconds)
        elif step.op == "fault" and step.fault is not None:
            self.faults.append(step.fault)
        elif step.op == "kill":
            self.kill_after = step.after
        else:
            raise ValueError(f"unknown step {step}")

    def _edit(self, edit: Edit) -> None:
        self.clock.advance(1)
        for world in (self.twin, self.main):
            plan = self.plans[world.tenant_id]
            world.apply_edit(edit, plan.pairs.main if plan else {})
        self.edited = True

    def _sync(self) -> None:
        faults, kill_after = self.faults, self.kill_after
        self.syncs += 1
        self.quiet_syncs = 0 if self.between else self.quiet_syncs + 1
        self.recovery_due = bool(faults or kill_after)
        self.faults, self.kill_after, self.between = [], None, 0
        self.clock.advance(PAUSE)
        twin = self._run(self.twin, f"sync {self.syncs}")
        twin_plan = self._plan(self.twin, twin, check=True)
        self._sync_main(twin, twin_plan, faults, kill_after)
        self.edited = False
        self.clock.advance(PAUSE)

    def _run(self, world: World, label: str, kill: KillSwitch | None = None) -> RunObservation:
        return self.session.run(world, label, kill=kill)

    def _plan(self, world: World, obs: RunObservation, *, check: bool) -> Plan:
        previous = self.plans[world.tenant_id]
        plan = plan_run(
            index=self.syncs,
            shape=self.shapes[world.tenant_id],
            allow_duplicate_names=self.session.scenario.allow_duplicate_names,
            obs=obs,
            previous=previous.after if previous else None,
            pairs_before=previous.pairs if previous else Pairs(),
            quiet=previous is not None and not self.edited,
            edited=previous is not None and self.edited,
        )
        if check:
            check_run(plan, self.session.outcome.report)
        self.plans[world.tenant_id] = plan
        return plan

    def _sync_main(
        self, twin: RunObservation, twin_plan: Plan, faults: list[FaultSpec], kill_after: int | None
    ) -> None:
        sim, n = self.session.harness.sim, self.syncs
        writes = len(twin.writes())
        switch = None
        if kill_after is not None and writes:
            switch = KillSwitch(1 + (kill_after - 1) % writes, sim=sim, tenant_id=self.main.tenant_id)
        label = f"sync {n}, main world"
        label += f", {len(faults)} fault(s)" if faults else ""
        label += f", killed after write {switch.after_writes}" if switch else ""
        rules = [sim.faults.add(spec.rule(self.main.tenant_id)) for spec in faults]
        try:
            main = self._run(self.main, label, kill=switch)
        finally:
            for added in rules:
                sim.faults.remove(added.rule_id)
        self._plan(self.main, main, check=False)  # the pairs its next edits go to
        fired = [spec for spec, added in zip(faults, rules, strict=True) if added.fired]
        if faults:
            described = ", ".join(spec.describe() for spec in fired) or "none"
            self.session.outcome.notes.append(f"sync {n}: faults fired: {described}")
        killed = switch is not None and switch.fired
        lost = any(spec.loses_a_create_reply for spec in fired)
        if killed:
            invariant, what = "RESUMABLE", ""
        elif self.pending is not None:
            invariant, what = (
                self.pending,
                "disrupted in the previous sync and synced again, the main world differs from the twin",
            )
        elif fired or switch is not None:
            invariant = "FAULT-TOLERANT" if fired else "RESUMABLE"
            what = (
                "after a run under faults (or a kill that never came), the main world differs from the twin"
            )
        elif self.disrupted is not None:
            invariant, what = self.disrupted, "the main world, disrupted earlier, has drifted from the twin"
        else:
            return  # nothing has told the worlds apart
        found: list[Violation] = []
        tolerated = any(e.action in ("clone-refused", "unsure") for e in twin_plan.expectations)
        if not main.outcome.ok and not killed and not (tolerated and not twin.outcome.ok):
            error = main.outcome.error.strip()[:1500]
            found.append(Violation(invariant, f"the main world's run failed: {error}", run=n))
        if switch is not None and not killed and not faults:
            found.append(
                Violation(
                    "RESUMABLE",
                    f"the kill after write {switch.after_writes} never fired: the run made {switch.writes} "
                    f"writes, the twin's {writes}. A Python syncer must send its requests through "
                    "endpoints.http",
                    run=n,
                )
            )
        self.disrupted = self.disrupted or invariant
        if killed or lost:
            self.pending = invariant  # the next sync settles it
            for collection, key, want, have in () if killed else keys_overflow(twin.after, main.after):
                found.append(
                    Violation(
                        invariant,
                        f"{collection}: {have} records with key {key!r} after a reply was lost, "
                        f"{want} in the twin: a duplicate",
                        run=n,
                    )
                )
        else:
            self.pending = None
            found += compare_worlds(invariant, twin.after, main.after, what=what, run=n)
        self.session.outcome.report.add(invariant, (True, found))


def play(session: Session) -> None:
    """The ``stateful`` group's body: take a saved scenario's steps again (a replay)."""
    story = Story(session)
    for step in session.scenario.steps:
        story.take(step)
    session.outcome.notes += story.twin.skipped_edits


class Search(Protocol):
    """What the machine needs from the suite (``conformance.suite``): failures already known, the
    shrink budget, and what to do with a session's outcome."""

    def known_failure(self, key: str) -> None: ...
    def stop_if_spent(self) -> None: ...
    def judge(self, key: str, outcome: Outcome) -> None: ...
    def count(self, outcome: Outcome) -> None: ...


def machine(
    harness: Harness, kind: tuple[str, str | None, bool], search: Search
) -> type[RuleBasedStateMachine]:
    """A state machine class for one module sync on ``harness``."""

    class SyncStory(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.session: Session | None = None
            self.story: Story | None = None
            self.failed = False

        @initialize(scenario=scenarios(kind=kind, edits=True, most_edits=MOST_EDITS))
        def build(self, scenario: Scenario) -> None:
            self.session = Session(harness, Scenario.from_json(scenario.to_json()), "stateful")
            search.stop_if_spent()
            self.story = Story(self.session)

        def _take(self, step: Step) -> None:
            assert self.session is not None and self.story is not None
            self.session.scenario.steps.append(step)
            self.story.take(step)

        @precondition(lambda self: self.story is not None and self.story.can_edit("crm"))
        @rule()
        def edit_crm(self) -> None:
            self._take(Step("edit", side="crm"))

        @precondition(lambda self: self.story is not None and self.story.can_edit("books"))
        @rule()
        def edit_books(self) -> None:
            self._take(Step("edit", side="books"))

        @precondition(lambda self: self.story is not None and self.story.can_step())
        @rule(seconds=st.sampled_from(ADVANCES))
        def advance_clock(self, seconds: int) -> None:
            self._take(Step("advance", seconds=seconds))

        @precondition(lambda self: self.story is not None and self.story.can_fault())
        @rule(fault=st.one_of(fault_specs(), SURE_FAULTS))
        def inject_fault(self, fault: FaultSpec) -> None:
            self._take(Step("fault", fault=fault))

        @precondition(lambda self: self.story is not None and self.story.can_kill())
        @rule(after=st.integers(1, 40))
        def kill_next_sync(self, after: int) -> None:
            self._take(Step("kill", after=after))

        @precondition(lambda self: self.story is not None and self.story.can_sync())
        @rule()
        def sync(self) -> None:
            assert self.session is not None and self.story is not None
            self.session.scenario.steps.append(Step("sync"))
            key = self.session.scenario.dumps()
            self.failed = True  # until this sync passes: then teardown takes no last sync
            search.known_failure(key)
            search.stop_if_spent()
            self.story.take(Step("sync"))
            search.judge(key, self.session.outcome)
            self.failed = False

        def teardown(self) -> None:
            if self.session is None or self.story is None:
                return
            try:
                if not self.failed and (self.story.between or not self.story.syncs):
                    self.sync()  # every story ends with a checked sync
            finally:
                self.session.outcome.notes += self.story.twin.skipped_edits
                search.count(self.session.outcome)
                self.session.close()

    return SyncStory


def stateful_test(
    harness: Harness, kind: tuple[str, str | None, bool], profile: Profile, search: Search
) -> Callable[[], None]:
    cls = machine(harness, kind, search)
    if profile.seed is not None:
        cls = seed(profile.seed)(cls)
    return lambda: run_state_machine_as_test(cls, settings=profile.settings("stateful"))
