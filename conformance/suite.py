"""The conformance suites: each invariant group, for each module sync, as a Hypothesis test over
scenarios. The pytest plugin and ``zohosim conform`` both run them through ``run_suite``.

When a scenario fails, Hypothesis shrinks it within the profile's time budget: a failing scenario
is remembered, so replaying it costs nothing, and once the budget is spent the search stops at the
next candidate (letting every later candidate pass instead would still cost Hypothesis a scenario
draw per candidate, hundreds of them). The smallest failing scenario comes back in
``SuiteResult.failure``.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from hypothesis import example, given, seed
from hypothesis.errors import Flaky

from conformance.directed import directed
from conformance.profiles import Profile
from conformance.runner import GROUPS, run_scenario
from conformance.scenarios import KIND_NAMES, Scenario
from conformance.session import Harness, Outcome
from conformance.stateful import stateful_test

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
    #: invariants set aside when ``zohosim conform`` runs a suite again past their failures
    ignored: tuple[str, ...] = ()

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


class _ShrinkSpent(BaseException):
    """Ends a search whose shrink budget is spent. Not an ``Exception``: Hypothesis lets it
    through instead of taking it for a failure of the candidate."""


class _Search:
    """What one suite remembers while Hypothesis searches: failing scenarios (keyed by their JSON,
    so that replaying one costs nothing) and the shrink budget, started by the first failure."""

    def __init__(
        self,
        result: SuiteResult,
        profile: Profile,
        ignored: tuple[str, ...],
        on_outcome: Callable[[Outcome], None] | None,
    ) -> None:
        self.result, self.profile, self.ignored, self.on_outcome = result, profile, ignored, on_outcome
        self.failing: dict[str, Outcome] = {}
        self.shrink_started: float | None = None
        self.latest: Outcome | None = None  # Hypothesis tries ever smaller failures: the smallest

    def known_failure(self, key: str) -> None:
        if key in self.failing:
            _fail(self.failing[key])

    def spent(self) -> bool:
        """The shrink budget is spent: keep the smallest failure found so far."""
        started = self.shrink_started
        return started is not None and time.monotonic() - started > self.profile.shrink_seconds

    def stop_if_spent(self) -> None:
        """End the search once the shrink budget is spent; the smallest failure found stands."""
        if self.spent():
            raise _ShrinkSpent

    def count(self, outcome: Outcome) -> None:
        if not self.failing:
            self.result.examples += 1
            self.result.runs += len(outcome.runs)
            self.result.exercised.update(outcome.report.exercised)
        if self.on_outcome is not None:
            self.on_outcome(outcome)

    def judge(self, key: str, outcome: Outcome) -> None:
        if outcome.failed(self.ignored):
            self.failing[key] = self.latest = outcome
            if self.shrink_started is None:
                self.shrink_started = time.monotonic()
            _fail(outcome)


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
    result = SuiteResult(group, kind)
    search = _Search(result, profile, tuple(ignore), on_outcome)
    started = time.perf_counter()

    def body(scenario: Scenario) -> None:
        key = scenario.dumps()
        search.known_failure(key)
        search.stop_if_spent()
        outcome = run_scenario(harness, group, scenario)
        search.count(outcome)
        search.judge(key, outcome)

    if group == "stateful":
        test = stateful_test(harness, KIND_NAMES[kind], profile, search)
    else:
        test = given(GROUPS[group].strategy(KIND_NAMES[kind]))(body)
        for scenario in directed(profile, group, kind):
            test = example(scenario)(test)
        test = profile.settings(group)(test)
        if profile.seed is not None:
            test = seed(profile.seed)(test)
    try:
        test()
    except _Failed as failed:
        result.failure = failed.outcome
    except (_ShrinkSpent, Flaky):
        if search.latest is None:
            raise
        # The shrink budget ran out. In the stateful suite, Hypothesis may report that as flaky: a
        # story it replays now stops at once where it went on before. The smallest failure stands.
        result.failure = search.latest
    except Exception as error:  # a harness error: report it, do not hide it
        result.error = error
    result.seconds = time.perf_counter() - started
    return result


def replay(harness: Harness, group: str, scenario: Scenario) -> Outcome:
    """Run one saved scenario through its group, once."""
    return run_scenario(harness, group, scenario)
