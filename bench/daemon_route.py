"""The daemon route: scenarios per second, and the real time each step waits for quiescence, with
the worked example (``examples/python-daemon/daemon.py``) under test.

Each step of the daemon route is: let the held notifications go, then wait until every delivery
is answered and the daemon has reported idle (or been quiet for the settle window). The figures:
scenarios per second for each group, and the median, 95th percentile and longest wait.

Run: python bench/daemon_route.py [--groups lifecycle,resume,eventual] [--kinds vendors]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._common import print_machine
from conformance.daemon import DaemonAdapter
from conformance.profiles import PROFILES
from conformance.session import open_harness
from conformance.suite import run_suite

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "python-daemon" / "daemon.py"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--groups", default="lifecycle,resume,eventual")
    parser.add_argument("--kinds", default="vendors")
    parser.add_argument("--profile", default="quick", choices=sorted(PROFILES))
    args = parser.parse_args()
    print_machine()
    adapter = DaemonAdapter(f"{sys.executable} {EXAMPLE}")
    with open_harness(adapter) as harness:
        for group in args.groups.split(","):
            for kind in args.kinds.split(","):
                steps_before = len(adapter.quiescence_seconds)
                started = time.perf_counter()
                result = run_suite(harness, group, kind, PROFILES[args.profile])
                seconds = time.perf_counter() - started
                state = "pass" if result.passed else "FAIL"
                print(
                    f"{group:<10} {kind:<12} {result.examples:>3} scenarios {state}  "
                    f"{result.examples / seconds:5.2f} scenarios/s  "
                    f"{len(adapter.quiescence_seconds) - steps_before} steps"
                )
    waits = sorted(adapter.quiescence_seconds)
    if waits:
        p95 = waits[min(len(waits) - 1, int(len(waits) * 0.95))]
        print(
            f"time to quiescence over {len(waits)} steps: median {statistics.median(waits) * 1000:.0f} ms, "
            f"p95 {p95 * 1000:.0f} ms, max {waits[-1] * 1000:.0f} ms"
        )


if __name__ == "__main__":
    main()
