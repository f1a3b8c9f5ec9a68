"""Mutation testing of the harness: every mutant in ``conformance.mutants`` breaks one rule, and
the suites must flag it under that rule's invariant id (and may flag others too). Each mutant runs
only the group and module syncs that can reveal it, with a small profile and a short shrink."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator

import pytest

from conformance.adapters import PythonAdapter
from conformance.directed import PAGING
from conformance.invariants import INVARIANTS, RUN_FAILED
from conformance.mutants import MUTANTS
from conformance.profiles import PROFILES, Profile
from conformance.scenarios import FaultSpec
from conformance.session import Harness, Outcome, open_harness
from conformance.suite import replay, run_suite

ACCOUNTS, VENDORS, ITEMS = "customers-accounts", "vendors", "items"
UNASSOCIATED = "customers-accounts_and_contacts+unassociated"

#: mutant -> (group, module syncs to try in order, scenarios per module sync)
PLANS: dict[str, tuple[str, tuple[str, ...], int]] = {
    "skip_writes_duplicate": ("first_sync", (VENDORS, ACCOUNTS), 12),
    "overwrite_creates": ("first_sync", (VENDORS, ACCOUNTS), 12),
    "clone_touches_existing": ("first_sync", (VENDORS, ACCOUNTS), 12),
    "fetch_writes_crm": ("first_sync", (VENDORS, ITEMS), 12),
    "ignores_view": ("first_sync", (ACCOUNTS, VENDORS), 12),
    "drops_unassociated_contacts": ("first_sync", (UNASSOCIATED,), 12),
    "last_mapped_wins_on_push": ("first_sync", (ACCOUNTS, VENDORS), 40),
    "rewrites_linked": ("lifecycle", (VENDORS, ACCOUNTS), 4),
    "retries_lost_create": ("faults", (VENDORS, ACCOUNTS), 3),
    "forgets_intents": ("resume", (ACCOUNTS, VENDORS), 4),
    "checkpoint_ahead": ("lifecycle", (VENDORS, ACCOUNTS), 4),
    "deletes_unlinked": ("first_sync", (VENDORS, ACCOUNTS), 12),
    "pushes_crm_duplicates": ("first_sync", (VENDORS, ACCOUNTS), 12),
    "customers_write_vendors": ("first_sync", (ACCOUNTS,), 12),
    "drops_mapped_fields": ("first_sync", (VENDORS, ACCOUNTS), 12),
    # The paging mutants fall to the ci profile's paging world (run first, as a directed example).
    "drops_last_crm_page": ("first_sync", (VENDORS,), 1),
    "stops_at_first_crm_page": ("first_sync", (VENDORS,), 1),
    "never_uses_page_token": ("first_sync", (VENDORS,), 1),
}
PAGING_MUTANTS = ("drops_last_crm_page", "stops_at_first_crm_page", "never_uses_page_token")

#: Drawn fault scenarios rarely drop the reply to a Books create that was applied (the case a
#: mutant that creates again without looking gets wrong): for these mutants, the drawn scenarios
#: are also replayed with exactly that fault.
LOST_CREATE_REPLY = FaultSpec("drop", "books", "POST", 1, apply_write=True)
DIRECTED = {"retries_lost_create": LOST_CREATE_REPLY}


@pytest.fixture(scope="module")
def harness() -> Iterator[Harness]:
    with open_harness(PythonAdapter("conformance.reference:factory")) as opened:
        yield opened


def flagged_ids(harness: Harness, name: str) -> set[str]:
    """Every invariant id the failing scenario breaks, stopping at the first module sync that flags
    the expected id. The suites stop at a scenario's first failure; to let them search on for the
    expected id, every other id is ignored in the search (and still reported). The scenario that
    kills the mutant is replayed against the reference, which must pass it: the kill is the
    mutant's doing, not the harness's."""
    group, kinds, examples = PLANS[name]
    expected = MUTANTS[name][1]
    paging = PROFILES["ci"].paging if name in PAGING_MUTANTS else ()
    profile = Profile(f"mutant-{name}", {group: examples}, seed=11, shrink_seconds=0.5, paging=paging)
    others = [i for i in (*INVARIANTS, RUN_FAILED) if i != expected]
    flagged: set[str] = set()
    drawn: list[Outcome] = []
    killer = None
    harness.adapter = PythonAdapter(f"conformance.mutants:{name}")
    try:
        for kind in kinds:
            result = run_suite(harness, group, kind, profile, ignore=others, on_outcome=drawn.append)
            assert result.error is None, f"{name} {group}/{kind}: {result.error!r}"
            if result.failure is not None:
                flagged |= {v.invariant for v in result.failure.failed()}
                killer = result.failure.scenario
                break
        if killer is None and name in DIRECTED:
            for outcome in drawn:
                directed = dataclasses.replace(outcome.scenario, faults=[DIRECTED[name]])
                found = {v.invariant for v in replay(harness, group, directed).failed()}
                if expected in found:
                    flagged |= found
                    killer = directed
                    break
    finally:
        harness.adapter = PythonAdapter("conformance.reference:factory")
    if killer is not None:
        clean = replay(harness, group, killer).failed()
        assert not clean, f"the reference fails {name}'s killing scenario: {[str(v) for v in clean][:3]}"
    return flagged


def test_every_mutant_has_a_plan() -> None:
    """With this, the kill rate is 100% exactly when every ``test_the_harness_kills_the_mutant``
    passes: each asserts its own kill, so the mutants can share out among xdist workers."""
    assert set(PLANS) == set(MUTANTS)


@pytest.mark.parametrize("name", sorted(MUTANTS))
def test_the_harness_kills_the_mutant(harness: Harness, name: str) -> None:
    started = time.perf_counter()
    flagged = flagged_ids(harness, name)
    expected = MUTANTS[name][1]
    print(f"{name}: expected {expected}, flagged {sorted(flagged)} in {time.perf_counter() - started:.1f} s")
    assert expected in flagged, f"{name} survived: expected {expected}, flagged {sorted(flagged)}"


@pytest.mark.parametrize("profile", ["ci", "quick"])
@pytest.mark.parametrize("name", PAGING_MUTANTS)
def test_a_paging_mutant_falls_to_the_profiles_paging_worlds(
    harness: Harness, name: str, profile: str
) -> None:
    """Each profile's own paging worlds flag every paging mutant (ci's also kill it in the suite
    above); the reference passes the world that did."""
    flagged: set[str] = set()
    for world in PROFILES[profile].paging:
        directed = PAGING[world]
        harness.adapter = PythonAdapter(f"conformance.mutants:{name}")
        try:
            flagged = {v.invariant for v in replay(harness, directed.group, directed.build()).failed()}
        finally:
            harness.adapter = PythonAdapter("conformance.reference:factory")
        if MUTANTS[name][1] in flagged:
            clean = replay(harness, directed.group, directed.build()).failed()
            assert not clean, f"the reference fails {world}: {[str(v) for v in clean][:3]}"
            return
    pytest.fail(f"{name} survived the {profile} profile's paging worlds {PROFILES[profile].paging}")
