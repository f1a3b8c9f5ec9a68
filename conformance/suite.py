"""The conformance suites: each invariant group, for each module sync, as a Hypothesis test over
scenarios. The pytest plugin and ``zohosim conform`` both run them through ``run_suite``.

When a scenario fails, Hypothesis shrinks it (within the profile's time budget: a failing scenario
is remembered, so replaying it costs nothing, and once the budget is spent every new candidate
simply passes). The smallest failing scenario comes back in ``SuiteResult.failure``.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from hypothesis import given, seed

from conformance.profiles import Profile
from conformance.runner import GROUPS, Harness, Outcome, run_scenario
from conformance.scenarios import KIND_NAMES, Scenario

KINDS = tuple(KIND_NAMES)


@dataclass
class SuiteResult:
    group: str
    kind: str
    examples: int = 0
    seconds: float = 0.0
    runs: int = 0
    exercised: Counter[str] = field(default_factory=Counter)
    failure: Outcome | None = None
    error: BaseException | None = None

    @property
    def passed(self) -> bool:
        return self.failure is None and self.error is None


class _Failed(Exception):
    def __init__(self, outcome: Outcome) -> None:
        super().__init__(f"{outcome.group}: {[str(v) for v in outcome.failed()][:3]}")
        self.outcome = outcome


def _fail(outcome: Outcome) -> None:
    """One place raises, so that Hypothesis sees every failure of a suite as the same failure."""
    raise _Failed(outcome)


def run_suite(
    harness: Harness,
    group: str,
    kind: str,
    profile: Profile,
    *,
    ignore: Iterable[str] = (),
    on_outcome: Callable[[Outcome], None] | None = None,
) -> SuiteResult:
    """Run one group for one module sync (``kind``, a name from ``KINDS``)."""
    ignored = tuple(ignore)
    result = SuiteResult(group, kind)
    failing: dict[str, Outcome] = {}
    shrink_started: list[float] = []
    started = time.perf_counter()

    def body(scenario: Scenario) -> None:
        text = scenario.dumps()
        if text in failing:
            _fail(failing[text])
        if shrink_started and time.monotonic() - shrink_started[0] > profile.shrink_seconds:
            return  # the shrink budget is spent: keep the smallest failure found so far
        outcome = run_scenario(harness, group, scenario)
        if not failing:
            result.examples += 1
            result.runs += len(outcome.runs)
            result.exercised.update(outcome.report.exercised)
        if on_outcome is not None:
            on_outcome(outcome)
        if outcome.failed(ignored):
            failing[text] = outcome
            if not shrink_started:
                shrink_started.append(time.monotonic())
            _fail(outcome)

    test = profile.settings(group)(given(GROUPS[group].strategy(KIND_NAMES[kind]))(body))
    if profile.seed is not None:
        test = seed(profile.seed)(test)
    try:
        test()
    except _Failed as failed:
        result.failure = failed.outcome
    except Exception as error:  # a harness error: report it, do not hide it
        result.error = error
    result.seconds = time.perf_counter() - started
    return result


def replay(harness: Harness, group: str, scenario: Scenario) -> Outcome:
    """Run one saved scenario through its group, once."""
    return run_scenario(harness, group, scenario)
