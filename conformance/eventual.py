"""EVENTUAL: a long-running syncer converges within its poll interval, whatever happened to the
notifications that should have woken it (the daemon route only, ``conformance/daemon.py``).

The group builds one scenario three times. The reference world: the first sync, the scenario's
edits, quiescence, then the virtual clock moved past the daemon's poll interval and quiescence
again. Then the same with every notification of the edits **dropped**, and with every one
**duplicated and reordered** (each copy held back until the next delivery has gone). After the
poll interval, each world must equal the reference (ids and times aside). A duplicated or
reordered notification must not change what the syncer does either: that world's run after the
edits is also checked as any run is (IDEMPOTENT, INCREMENTAL, ... with the oracle's plan).
"""

from __future__ import annotations

from typing import Any

from conformance.daemon import DaemonAdapter
from conformance.invariants import check_run, compare_worlds
from conformance.session import Session

EVENTUAL = "EVENTUAL"  # described in ``conformance.invariants.INVARIANTS``
#: How the notifications of the edits go astray: (what is said of them, fault rules, whether the
#: run right after the edits must still do what a run does).
LOSSES: tuple[tuple[str, tuple[dict[str, Any], ...], bool], ...] = (
    ("dropped", ({"effect": "drop"},), False),
    ("duplicated and reordered", ({"effect": "duplicate"}, {"effect": "reorder"}), True),
)


def eventual(session: Session) -> None:
    report = session.outcome.report
    adapter = session.harness.adapter
    if not isinstance(adapter, DaemonAdapter):
        session.outcome.notes.append("EVENTUAL is checked on the daemon route (--syncer-daemon) only")
        report.add(EVENTUAL, (False, []))
        return
    past_poll = adapter.poll_interval + 1
    reference = session.world()
    first = session.plan(session.run(reference, "reference: run 1"), 1, None)
    reference.apply_edits(first.pairs.main)
    session.run(reference, "reference: after the edits")
    reference.advance(past_poll)
    expected = session.run(reference, "reference: after the poll interval").after
    sim = session.harness.sim
    for label, effects, checked in LOSSES:
        world = session.world()
        first = session.plan(session.run(world, f"{label}: run 1"), 1, None)
        rules = [
            sim.faults.add(
                {**effect, "service": "notifications", "probability": 1.0, "tenant_id": world.tenant_id}
            )
            for effect in effects
        ]
        try:
            world.apply_edits(first.pairs.main)
            edited = session.run(world, f"{label}: after the edits")
        finally:
            for rule in rules:
                sim.faults.remove(rule.rule_id)
        if checked:
            check_run(session.plan(edited, 2, first, edited=True), report)
        fired = any(rule.fired for rule in rules)
        world.advance(past_poll)
        final = session.run(world, f"{label}: after the poll interval")
        found = compare_worlds(
            EVENTUAL,
            expected,
            final.after,
            what=f"with the edits' notifications {label}, the world after the poll interval "
            "differs from the one where every notification arrived",
            run=3,
        )
        report.add(EVENTUAL, (fired, found))
