"""Hypothesis profiles: how many scenarios each invariant group draws, per module sync.

Every group runs once per module sync (customers from accounts, from contacts, from accounts and
contacts with and without unassociated contacts, vendors, items), so even a small profile covers
all six. A scenario's cost is its runs: ``first_sync`` one, ``lifecycle`` three, ``faults`` four,
``resume`` three, ``eventual`` nine (on the daemon route only; none elsewhere); a ``stateful``
story two per sync (its twin's and its main world's), and it takes up to ``steps`` steps (a sync at
least every fifth).

- ``quick``: a developer's loop; the whole harness against the reference in a few minutes on two
  cores. Derandomized: the same scenarios every time.
- ``thorough``: many more scenarios, freshly drawn each time (``zohosim conform --seed N`` or
  ``--zohosim-scenario-seed=N`` repeats a run).
- ``ci``: the smallest useful run, for the project's own tests.

Every profile also runs the directed scenarios (``conformance/directed.py``): one for each
invariant a few drawn scenarios may miss, and the paging worlds it names in ``paging``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from hypothesis import HealthCheck, Phase, Verbosity, settings


@dataclass(frozen=True)
class Profile:
    name: str
    examples: dict[str, int]  # per group, per module sync
    derandomize: bool = True
    #: After the first failure, Hypothesis shrinks the scenario for at most this long.
    shrink_seconds: float = 60.0
    #: A fixed seed makes a profile derandomized and keeps its scenarios when the harness's code changes.
    seed: int | None = None
    #: The most steps one stateful story takes.
    steps: int = 20
    #: The paging scenarios it runs (``conformance/directed.py``'s ``PAGING``), besides the drawn ones.
    paging: tuple[str, ...] = ()

    def settings(self, group: str) -> settings:
        return settings(
            max_examples=self.examples[group],
            derandomize=self.derandomize and self.seed is None,  # with a seed, the seed decides
            deadline=None,
            database=None,
            report_multiple_bugs=False,
            print_blob=False,
            verbosity=Verbosity.quiet,
            phases=(Phase.explicit, Phase.generate, Phase.shrink),
            suppress_health_check=list(HealthCheck),
            stateful_step_count=self.steps,
        )


ALL_PAGING = ("crm-pages", "crm-page-token", "books-pages")

PROFILES: dict[str, Profile] = {
    "ci": Profile(
        "ci",
        {"first_sync": 2, "lifecycle": 1, "faults": 1, "resume": 1, "stateful": 1, "eventual": 1},
        shrink_seconds=20,
        seed=1,
        steps=12,
        paging=("crm-page-token",),
    ),
    "quick": Profile(
        "quick",
        {"first_sync": 12, "lifecycle": 6, "faults": 3, "resume": 3, "stateful": 3, "eventual": 3},
        shrink_seconds=60,
        seed=2026,
        steps=16,
        paging=ALL_PAGING,
    ),
    "thorough": Profile(
        "thorough",
        {"first_sync": 150, "lifecycle": 80, "faults": 30, "resume": 30, "stateful": 30, "eventual": 30},
        derandomize=False,
        shrink_seconds=300,
        steps=30,
        paging=ALL_PAGING,
    ),
}


def get_profile(name: str, *, seed: int | None = None) -> Profile:
    try:
        profile = PROFILES[name]
    except KeyError:
        raise ValueError(f"unknown profile {name!r}: choose one of {sorted(PROFILES)}") from None
    if seed is None:
        return profile
    return replace(profile, seed=seed)
