"""The pytest plugin: with --zohosim-syncer it collects the suites; without, it does nothing. A
whole profile that leaves an invariant unexercised fails, as the CLI's does."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from conformance.invariants import INVARIANTS
from conformance.plugin import EXERCISED, WholeProfile, unexercised
from conformance.runner import GROUPS
from conformance.suite import KINDS

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
        "--junitxml=report.xml",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "6 passed" in result.stdout
    assert f'name="{EXERCISED}"' in (tmp_path / "report.xml").read_text()  # what the rule reads


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
    result = _pytest(tmp_path, "--zohosim-syncer=conformance.reference:factory", "--zohosim-replay=bad.json")
    assert result.returncode == 1, result.stdout
    assert "--zohosim-replay=bad.json: not a scenario the harness can run" in result.stdout
    assert "Traceback" not in result.stdout and "During handling" not in result.stdout


# ---- a whole profile must exercise every invariant -------------------------------------------------

ROUTED = [g for g in GROUPS if g != "eventual"]  # the eventual group runs on the daemon route only


def _every_test_passed(exercised: set[str]) -> dict[tuple[str, str], set[str]]:
    return {(group, kind): exercised for group in ROUTED for kind in KINDS}


def test_a_whole_profile_names_what_no_scenario_exercised() -> None:
    meant = {i for g in ROUTED for i in GROUPS[g].invariants}
    passed = _every_test_passed(meant - {"RESUMABLE"})
    assert unexercised(passed, groups=ROUTED) == ["RESUMABLE"]
    assert unexercised(_every_test_passed(meant), groups=ROUTED) == []


def test_a_partial_run_is_not_held_to_every_invariant() -> None:
    passed = _every_test_passed(set())
    del passed[(ROUTED[0], KINDS[0])]  # deselected, failed or skipped: not a whole profile
    assert unexercised(passed, groups=ROUTED) == []


def _report(group: str, kind: str, invariants: list[str], outcome: str = "passed") -> pytest.TestReport:
    return pytest.TestReport(
        f"suite_tests.py::test_{group}[{kind}]",
        ("suite_tests.py", 0, group),
        {},
        outcome,
        None,
        "call",
        user_properties=[(EXERCISED, {"group": group, "kind": kind, "invariants": invariants})],
    )


class _Config:
    def __init__(self, **options: Any) -> None:
        self.options = options

    def getoption(self, name: str) -> Any:
        return self.options.get(name)


@pytest.mark.parametrize("narrowed", [None, "--zohosim-kinds"])
def test_the_session_fails_when_a_whole_profile_left_an_invariant_unexercised(narrowed: str | None) -> None:
    plugin = WholeProfile(_Config(**({narrowed: "vendors"} if narrowed else {})))  # type: ignore[arg-type]
    everything_but_resumable = sorted(set(INVARIANTS) - {"RESUMABLE"})
    for group in ROUTED:
        for kind in KINDS:
            plugin.pytest_runtest_logreport(_report(group, kind, everything_but_resumable))
    session = SimpleNamespace(exitstatus=pytest.ExitCode.OK)
    plugin.pytest_sessionfinish(session)  # type: ignore[arg-type]
    lines: list[str] = []
    plugin.pytest_terminal_summary(SimpleNamespace(write_line=lambda line, **_: lines.append(line)))
    if narrowed:
        assert session.exitstatus == pytest.ExitCode.OK and lines == []
    else:
        assert session.exitstatus == pytest.ExitCode.TESTS_FAILED
        assert lines and "no scenario exercised RESUMABLE" in lines[0]
