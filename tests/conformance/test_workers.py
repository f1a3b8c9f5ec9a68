"""pytest-xdist: the conformance plugin under ``pytest -n 2`` and ``zohosim conform --workers 2``
give the serial run's verdicts. The syncer under test fails every items run and passes the rest,
so that a run has both verdicts to get right (and fails fast: no costly shrinking)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

ITEMS_BROKEN = """
from conformance.reference import ReferenceSyncer


class ItemsBroken:
    def run(self, endpoints):
        if endpoints.config["sync"][0]["module"] == "items":
            raise RuntimeError("this syncer cannot sync items")
        ReferenceSyncer().run(endpoints)


def factory():
    return ItemsBroken()
"""

SUITES = ["--profile=ci", "--groups=first_sync,lifecycle", "--kinds=vendors,items"]


def _run(tmp_path: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "items_broken.py").write_text(ITEMS_BROKEN)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), str(ROOT)])}
    return subprocess.run(
        [sys.executable, *argv],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def _verdicts(output: str) -> dict[str, str]:
    """``PASSED ::test_first_sync[vendors]`` lines (pytest -rA) as {test: verdict}."""
    return dict(
        (name, verdict)
        for verdict, name in re.findall(r"^(PASSED|FAILED) \S*?(test_\w+\[[\w-]+\])", output, re.M)
    )


def _pytest(tmp_path: Path, *args: str) -> dict[str, str]:
    options = [f"--zohosim-{arg.removeprefix('--')}" for arg in SUITES]
    result = _run(
        tmp_path,
        "-m",
        "pytest",
        "-p",
        "no:cacheprovider",
        "-rA",
        "--zohosim-syncer=items_broken:factory",
        *options,
        *args,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    return _verdicts(result.stdout)


@pytest.mark.slow
def test_the_plugin_under_xdist_gives_the_serial_verdicts(tmp_path: Path) -> None:
    serial = _pytest(tmp_path)
    assert serial == {
        "test_first_sync[vendors]": "PASSED",
        "test_first_sync[items]": "FAILED",
        "test_lifecycle[vendors]": "PASSED",
        "test_lifecycle[items]": "FAILED",
    }
    assert _pytest(tmp_path, "-n", "2") == serial


@pytest.mark.slow
def test_conform_with_workers_gives_the_serial_verdicts(tmp_path: Path) -> None:
    cli = ["-c", "from simulator.cli import main; raise SystemExit(main())", "conform"]
    cli += ["--syncer-python", "items_broken:factory", *SUITES]
    serial = _run(tmp_path, *cli)
    assert serial.returncode == 1, serial.stdout + serial.stderr
    first_rounds: dict[tuple[str, str], str] = {}  # after a failure, the CLI runs a suite again
    for group, kind, verdict in re.findall(
        r"^(first_sync|lifecycle) +(vendors|items) .*?(pass|FAIL)", serial.stdout, re.M
    ):
        first_rounds.setdefault((group, kind), verdict)
    assert first_rounds == {
        ("first_sync", "vendors"): "pass",
        ("first_sync", "items"): "FAIL",
        ("lifecycle", "vendors"): "pass",
        ("lifecycle", "items"): "FAIL",
    }
    parallel = _run(tmp_path, *cli, "--workers", "2", "--junit", "report.xml")
    assert parallel.returncode == 1, parallel.stdout + parallel.stderr
    assert "2 failed, 2 passed" in parallel.stdout
    failed = set(re.findall(r"^FAILED \S*?test_(\w+)\[([\w-]+)\]", parallel.stdout, re.M))
    assert failed == {("first_sync", "items"), ("lifecycle", "items")}
    assert "RUN-FAILED" in parallel.stdout and (tmp_path / "report.xml").exists()
