"""The pytest plugin: with --zohosim-syncer it collects the suites; without, it does nothing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _pytest(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_the_suites_run_against_a_python_syncer(tmp_path: Path) -> None:
    result = _pytest(
        tmp_path,
        "--zohosim-syncer=conformance.reference:factory",
        "--zohosim-profile=ci",
        "--zohosim-kinds=vendors,items",
        "--zohosim-groups=first_sync,lifecycle,stateful",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "6 passed" in result.stdout


def test_a_broken_syncer_fails_with_a_report(tmp_path: Path) -> None:
    result = _pytest(
        tmp_path,
        "--zohosim-syncer=tests.conformance.broken:skip_overwrites",
        "--zohosim-profile=quick",
        "--zohosim-kinds=customers-accounts",
        "--zohosim-groups=first_sync",
        "--zohosim-scenario-seed=3",
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "FAILED SKIP-UNTOUCHED" in result.stdout and "--zohosim-replay=" in result.stdout
    saved = next((tmp_path / ".zohosim-conform" / "failures").glob("*.json"))
    replayed = _pytest(
        tmp_path, "--zohosim-syncer=conformance.reference:factory", f"--zohosim-replay={saved}"
    )
    assert replayed.returncode == 0, replayed.stdout
    assert "1 passed" in replayed.stdout


def test_without_the_option_the_plugin_collects_nothing(tmp_path: Path) -> None:
    (tmp_path / "test_mine.py").write_text("def test_mine():\n    pass\n")
    result = _pytest(tmp_path, "--collect-only")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "test_mine" in result.stdout and "suite_tests" not in result.stdout


def test_an_impossible_replay_is_one_line(tmp_path: Path) -> None:
    """A file that is not a saved scenario fails the replay with what to do, not a traceback."""
    (tmp_path / "bad.json").write_text('{"bad": 1}')
    result = _pytest(
        tmp_path, "--zohosim-syncer=conformance.reference:factory", "--zohosim-replay=bad.json"
    )
    assert result.returncode == 1, result.stdout
    assert "--zohosim-replay=bad.json: not a scenario the harness can run" in result.stdout
    assert "Traceback" not in result.stdout and "During handling" not in result.stdout
