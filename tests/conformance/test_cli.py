"""``zohosim conform``: the summary, JUnit XML, failure files and ``--replay``."""

from __future__ import annotations

import json
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from simulator.cli import main

REFERENCE = ["--syncer-python", "conformance.reference:factory"]
BROKEN = ["--syncer-python", "tests.conformance.broken:skip_overwrites"]


@pytest.mark.server
def test_conform_prints_a_summary_and_writes_junit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    junit = tmp_path / "report.xml"
    code = main(
        [
            "conform",
            *REFERENCE,
            "--profile",
            "ci",
            "--groups",
            "first_sync,lifecycle",
            "--kinds",
            "vendors",
            "--junit",
            str(junit),
            "--out",
            str(tmp_path / "out"),
        ]
    )
    out = capsys.readouterr().out
    assert code == 0, out
    assert "scenarios/s" in out and "MODULE-SHAPE" in out and "pass" in out
    suites = {s.get("name"): s for s in ET.parse(junit).getroot()}
    assert set(suites) == {"first_sync", "lifecycle", "coverage"}
    narrowed = {c.get("name"): c.find("skipped") for c in suites["coverage"]}
    assert "narrowed out by --groups" in (narrowed["RESUMABLE"].get("message") or "")  # type: ignore[union-attr]
    cases = {(c.get("classname"), c.get("name")) for c in suites["lifecycle"]}
    assert ("lifecycle.vendors", "IDEMPOTENT") in cases
    assert suites["lifecycle"].get("failures") == "0"


@pytest.mark.server
def test_a_failure_is_saved_reported_and_replayed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out_dir = tmp_path / "out"
    junit = tmp_path / "report.xml"
    code = main(
        [
            "conform",
            *BROKEN,
            "--profile",
            "quick",
            "--groups",
            "first_sync",
            "--kinds",
            "customers-accounts",
            "--out",
            str(out_dir),
            "--junit",
            str(junit),
            "--seed",
            "3",
        ]
    )
    out = capsys.readouterr().out
    assert code == 1, out
    assert "FAILED SKIP-UNTOUCHED" in out and "Replay:" in out and "zohosim conform --replay" in out
    assert "SKIP-UNTOUCHED       FAIL" in out
    saved = sorted((out_dir / "failures").glob("SKIP-UNTOUCHED-first_sync-customers-accounts-*.json"))
    assert saved, list(out_dir.rglob("*"))
    document = json.loads(saved[0].read_text())
    assert (
        document["invariants"] == ["SKIP-UNTOUCHED"] and document["scenario"]["sync"]["duplicates"] == "skip"
    )
    failures = [c for c in ET.parse(junit).getroot().iter("testcase") if c.find("failure") is not None]
    assert [c.get("name") for c in failures] == ["SKIP-UNTOUCHED"]

    assert main(["conform", *BROKEN, "--replay", str(saved[0])]) == 1
    assert "FAILED SKIP-UNTOUCHED" in capsys.readouterr().out
    assert main(["conform", *REFERENCE, "--replay", saved[0].read_text()]) == 0
    assert "the scenario passes" in capsys.readouterr().out


def test_bad_arguments_are_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["conform", *REFERENCE, "--groups", "everything"]) == 2
    assert "unknown groups" in capsys.readouterr().err
    assert main(["conform", "--syncer-python", "no_such_module_here:factory"]) == 2
    assert main(["conform", "--profile", "ci"]) == 2  # a syncer is required
    assert "give the syncer: --syncer-cmd" in capsys.readouterr().err
    assert main(["conform", "--syncer-daemon", "true", "--settle-polls", "0"]) == 2
    assert "--settle-polls must be 1 or more" in capsys.readouterr().err


@pytest.mark.server
def test_the_daemon_route_runs_the_readmes_command(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The README's words: ``--syncer-daemon`` alone, a command relative to the caller's folder."""
    monkeypatch.chdir(Path(__file__).resolve().parents[2])
    code = main(
        [
            "conform",
            "--syncer-daemon",
            f"{sys.executable} examples/python-daemon/daemon.py",
            "--profile",
            "ci",
            "--groups",
            "lifecycle",
            "--kinds",
            "vendors",
            "--out",
            str(tmp_path / "out"),
        ]
    )
    out = capsys.readouterr().out
    assert code == 0, out
    assert "IDEMPOTENT" in out and "pass" in out
