"""``zohosim conform --workers N``: the suites through pytest-xdist, exactly as
``pytest --zohosim-syncer=... -n N`` runs them (``conformance.plugin``, ``suite_tests.py``).

Each worker is a process with its own harness: its own simulator, on its own port, and its own
syncer adapter. The suites (one invariant group for one module sync, a Hypothesis test each) are
shared out among the workers; each suite draws the same scenarios wherever it runs, so every
verdict is the serial run's. The report is pytest's: a line per suite, and each failure's report
as the plugin gives it.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path


def pytest_args(args: argparse.Namespace) -> list[str]:
    """The pytest command line for ``zohosim conform``'s arguments. The caller's own pytest
    configuration (addopts, testpaths) is left out: ``-c`` names an empty one."""
    syncer = (
        f"--zohosim-syncer-cmd={args.syncer_cmd}"
        if args.syncer_cmd
        else f"--zohosim-syncer={args.syncer_python}"
    )
    return [
        f"--numprocesses={args.workers}",
        syncer,
        "--zohosim-served",  # as the serial ``zohosim conform`` serves the Python route too
        f"--zohosim-profile={args.profile}",
        f"--zohosim-timeout={args.timeout}",
        f"--zohosim-out={args.work_dir}",
        *([f"--zohosim-scenario-seed={args.seed}"] if args.seed is not None else []),
        *([f"--zohosim-groups={args.groups}"] if args.groups else []),
        *([f"--zohosim-kinds={args.kinds}"] if args.kinds else []),
        *([f"--junitxml={args.junit}"] if args.junit else []),
        "-c",
        os.devnull,
        f"--rootdir={Path.cwd()}",
        "-p",
        "no:cacheprovider",
        "--assert=plain",  # nothing to rewrite: the suites report in their own words
        "-q",
        "-rfE",
    ]


def run_with_workers(args: argparse.Namespace) -> int:
    """0 when every suite passes, 1 when one fails, 2 when pytest could not run them."""
    import pytest

    code = int(pytest.main(pytest_args(args)))
    return code if code in (0, 1) else 2
