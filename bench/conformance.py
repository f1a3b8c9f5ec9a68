"""Conformance: scenarios per second of the ``quick`` profile, the reference syncer under test.

It runs what ``zohosim conform --syncer-python conformance.reference:factory --profile quick``
runs (every invariant group for every module sync, the simulator served on 127.0.0.1 in this
process) and times it. The baseline is the time spent inside the syncer's own runs in the same
scenarios (the reference ``run_sync``, its HTTP included); the ratio total/syncer is what the
harness adds: building each scenario's world, snapshots, faults and kills, and checking every
invariant.

Run: python bench/conformance.py [--profile quick] [--groups G,..] [--kinds K,..]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._common import print_machine
from conformance import reference
from conformance.adapters import PythonAdapter
from conformance.profiles import PROFILES
from conformance.runner import GROUPS
from conformance.session import open_harness
from conformance.suite import KINDS, run_suite


class _TimedReference:
    """The reference syncer, with the time of each run added to ``spent``."""

    spent = 0.0

    def __init__(self) -> None:
        self.inner = reference.factory()

    def run(self, endpoints: Any) -> None:
        began = time.perf_counter()
        try:
            self.inner.run(endpoints)
        finally:
            _TimedReference.spent += time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--profile", choices=sorted(PROFILES), default="quick")
    parser.add_argument("--groups", default=",".join(GROUPS))
    parser.add_argument("--kinds", default=",".join(KINDS))
    args = parser.parse_args()
    print_machine()
    profile = PROFILES[args.profile]
    adapter = PythonAdapter(_TimedReference, name="conformance.reference:factory")
    totals = {"scenarios": 0, "runs": 0, "seconds": 0.0, "syncer": 0.0}
    failed = []
    print(f"profile {profile.name}: {profile.examples} scenarios per group and module sync\n")
    print(
        f"{'group':<10} {'module sync':<44} {'scenarios':>9} {'runs':>5} {'seconds':>8} "
        f"{'scen./s':>8} {'total/syncer':>12}"
    )
    with open_harness(adapter, served=True) as harness:
        for group in args.groups.split(","):
            for kind in args.kinds.split(","):
                before = _TimedReference.spent
                result = run_suite(harness, group, kind, profile)
                syncer = _TimedReference.spent - before
                state = (
                    "" if result.passed else ("  FAILED" if result.failure else f"  ERROR {result.error!r}")
                )
                if not result.passed:
                    failed.append((group, kind))
                print(
                    f"{group:<10} {kind:<44} {result.examples:>9} {result.runs:>5} "
                    f"{result.seconds:>8.1f} {result.examples / result.seconds:>8.2f} "
                    f"{result.seconds / max(syncer, 1e-9):>12.1f}{state}"
                )
                totals["scenarios"] += result.examples
                totals["runs"] += result.runs
                totals["seconds"] += result.seconds
                totals["syncer"] += syncer
    seconds, syncer = totals["seconds"], totals["syncer"]
    print(
        f"\n{args.profile}: {totals['scenarios']} scenarios, {totals['runs']} syncer runs "
        f"in {seconds:.1f} s: "
        f"{totals['scenarios'] / seconds:.2f} scenarios/s, {totals['runs'] / seconds:.2f} runs/s"
    )
    print(
        f"baseline: the syncer's own runs took {syncer:.1f} s ({totals['runs'] / syncer:.2f} runs/s); "
        f"ratio total/syncer {seconds / syncer:.1f} (what the harness adds: worlds, snapshots, checks)"
    )
    if failed:
        print(f"not passing (another engineer's suite is in progress): {failed}")


if __name__ == "__main__":
    main()
