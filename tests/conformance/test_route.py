"""A third-party syncer, end to end: the command runs in the caller's folder, a syncer that never
runs passes nothing, a failed run leads the report, the Python route imports from the caller's
folder (``zohosim conform`` and plain ``pytest``), and the harness writes only to its work dir."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from conformance.adapters import CommandAdapter, Endpoints
from conformance.invariants import INVARIANTS, RUN_FAILED, CheckReport, check_run
from conformance.observe import Request, RunOutcome
from simulator.cli import main
from tests.conformance.builders import plan, snap, vendor, write

ROOT = Path(__file__).resolve().parents[2]
NARROW = ["--profile", "ci", "--kinds", "vendors"]
FACTORY = "from conformance.reference import factory\n"


def _endpoints(tmp_path: Path) -> Endpoints:
    world = tmp_path / "world"
    return Endpoints(
        accounts_url="http://127.0.0.1:9",
        crm_url="http://127.0.0.1:9/crm/v8",
        books_url="http://127.0.0.1:9/books/v3",
        client_id="id",
        client_secret="secret",
        refresh_token="refresh",
        crm_org_id="crm-org",
        books_organization_id="books-org",
        config={"sync": [{"module": "vendors"}]},
        config_path=world / "config.json",
        state_dir=world / "state",
        run_label="run3",
        control_url="http://127.0.0.1:9/__zohosim",
    )


def _conform(cwd: Path, *args: str, pytest_script: bool = False) -> subprocess.CompletedProcess[str]:
    """``zohosim conform`` (or ``pytest``) as a user runs it: from ``cwd``, an installed package,
    nothing of the caller's folder on PYTHONPATH."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    program = [str(Path(sys.executable).with_name("pytest")), "-p", "no:cacheprovider", "-q"]
    if not pytest_script:
        program = [sys.executable, "-m", "simulator", "conform"]
    return subprocess.run(
        [*program, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600, check=False
    )


def test_a_command_given_by_a_relative_path_runs_in_the_callers_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    caller = tmp_path / "project"
    caller.mkdir()
    (caller / "my-sync.py").write_text(
        "import json, os, sys\n"
        "print('synced')\n"
        "json.dump({'cwd': os.getcwd(), **{k: v for k, v in os.environ.items() if k.startswith('ZOHOSIM_')}},"
        " open(os.path.join(os.environ['ZOHOSIM_RUN_DIR'], 'seen.json'), 'w'))\n"
    )
    monkeypatch.chdir(caller)
    endpoints = _endpoints(tmp_path)
    outcome = CommandAdapter(f"{shlex.quote(sys.executable)} my-sync.py").run(endpoints)
    assert outcome.ok, outcome.error
    run_dir = tmp_path / "world" / "run3"
    seen = json.loads((run_dir / "seen.json").read_text())
    assert seen["cwd"] == str(caller)
    assert seen["ZOHOSIM_RUN_DIR"] == str(run_dir)
    assert seen["ZOHOSIM_STATE_DIR"] == str(tmp_path / "world" / "state")
    assert seen["ZOHOSIM_CONTROL_URL"] == "http://127.0.0.1:9/__zohosim"
    assert (run_dir / "stdout.log").read_text() == "synced\n"
    assert not (caller / "stdout.log").exists()


def test_a_failed_command_names_itself_its_folder_and_its_stderr(tmp_path: Path) -> None:
    outcome = CommandAdapter("exit 7", cwd=tmp_path).run(_endpoints(tmp_path))
    assert not outcome.ok
    assert outcome.error.startswith(f"`exit 7` (in {tmp_path}) ended with exit status 7")
    assert "(nothing on stderr)" in outcome.error


@pytest.mark.server
def test_a_command_that_fails_at_once_is_reported_first_and_passes_nothing(tmp_path: Path) -> None:
    command = f"{shlex.quote(sys.executable)} no-such-sync.py"
    result = _conform(tmp_path, "--syncer-cmd", command, *NARROW, "--groups", "lifecycle")
    assert result.returncode == 1, result.stdout + result.stderr
    report = result.stdout[result.stdout.index("SYNCER FAILED") :]
    first, second = report.splitlines()[1:3]
    assert first.startswith(f"RUN-FAILED: in runs 1, 2, 3: the run failed: `{command}` (in {tmp_path})")
    assert (
        f"{tmp_path / 'no-such-sync.py'}" in second
    )  # the end of its stderr: looked for in the caller's folder
    assert "Invariants failed as a consequence: " in report
    assert "cannot pass: the syncer made no API call" in report
    assert "contract: docs/contract.md#run-failed" in report
    summary = result.stdout[result.stdout.index("invariant            result") :]
    for invariant in ("IDEMPOTENT", "INCREMENTAL", "NO-DELETE", "MODULE-ISOLATION"):
        assert f"{invariant:<20} FAIL" in summary, summary
    assert not (tmp_path / ".hypothesis").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == [".zohosim-conform"]
    assert {p.name for p in (tmp_path / ".zohosim-conform").iterdir()} >= {"failures", "worlds"}


@pytest.mark.server
def test_a_command_that_makes_no_call_passes_nothing(tmp_path: Path) -> None:
    result = _conform(
        tmp_path, "--syncer-cmd", "true", *NARROW, "--groups", "first_sync", "--work-dir", "out"
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "SYNCER FAILED" not in result.stdout  # it exited 0: not a failed run, yet it did nothing
    assert "cannot pass: the syncer made no API call in this run" in result.stdout
    assert "NO-DELETE            FAIL" in result.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


@pytest.mark.server
def test_the_reference_cli_is_a_command_route_syncer_with_no_wrapper(tmp_path: Path) -> None:
    result = _conform(tmp_path, "--syncer-cmd", "zohosim sync --quiet", *NARROW, "--groups", "resume")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "RESUMABLE            pass     1" in result.stdout
    assert not (tmp_path / ".hypothesis").exists()


@pytest.mark.server
def test_syncer_python_imports_from_the_callers_folder(tmp_path: Path) -> None:
    (tmp_path / "mypkg").mkdir()
    (tmp_path / "mypkg" / "__init__.py").write_text("")
    (tmp_path / "mypkg" / "conform.py").write_text(FACTORY)
    result = _conform(tmp_path, "--syncer-python", "mypkg.conform:factory", *NARROW, "--groups", "first_sync")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "MODULE-SHAPE         pass" in result.stdout
    missing = _conform(tmp_path, "--syncer-python", "otherpkg.conform:factory", *NARROW)
    assert missing.returncode == 2
    assert "Run from the folder that holds 'otherpkg'" in missing.stderr


def test_the_pytest_plugin_imports_from_the_rootdir(tmp_path: Path) -> None:
    """Plain ``pytest`` (its script, not ``python -m pytest``) puts no folder on sys.path."""
    (tmp_path / "mypkg").mkdir()
    (tmp_path / "mypkg" / "__init__.py").write_text("")
    (tmp_path / "mypkg" / "conform.py").write_text(FACTORY)
    narrow = ["--zohosim-profile=ci", "--zohosim-kinds=vendors", "--zohosim-groups=first_sync"]
    result = _conform(tmp_path, "--zohosim-syncer=mypkg.conform:factory", *narrow, pytest_script=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout
    wrong = _conform(tmp_path, "--zohosim-syncer=otherpkg.conform:factory", *narrow, pytest_script=True)
    assert wrong.returncode == 4, wrong.stdout + wrong.stderr  # one usage error, not an error per test
    assert "--zohosim-syncer: 'otherpkg.conform:factory'" in wrong.stderr


def test_contract_and_config_schema_print(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["conform", "--contract"]) == 0
    contract = capsys.readouterr().out
    assert contract == (ROOT / "docs" / "contract.md").read_text(encoding="utf-8")
    assert main(["conform", "--config-schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert schema["title"] == "zohosim sync configuration"


@pytest.mark.server
def test_a_replay_of_a_scenario_that_cannot_be_built_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    document = json.loads(
        (Path(__file__).parent / "regressions" / "RESUMABLE-push-outside-view.json").read_text()
    )
    document["scenario"]["crm"][0]["values"]["Vendor_Name"] = ""
    code = main(
        [
            "conform",
            "--syncer-python",
            "conformance.reference:factory",
            "--replay",
            json.dumps(document),
            "--work-dir",
            str(tmp_path),
        ]
    )
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith(
        "zohosim conform: --replay: the scenario cannot be built (cannot create CRM Vendors"
    )
    assert len(err.strip().splitlines()) == 1


# ---- a run that did not happen vouches for nothing -----------------------------------------------


def _checked(requests: list, outcome: RunOutcome) -> set[str]:
    before = snap(vendor("1", "Northwind"))
    report = CheckReport()
    check_run(
        plan(
            {"module": "vendors", "extent": "both_ways", "duplicates": "skip"},
            before,
            before,
            requests=requests,
            outcome=outcome,
        ),
        report,
    )
    return {v.invariant for v in report.violations}


def test_a_run_with_no_api_call_fails_every_invariant_it_was_checked_for() -> None:
    assert _checked([], RunOutcome(ok=True)) == set(INVARIANTS) - {"FAULT-TOLERANT", "RESUMABLE", "EVENTUAL"}


def test_a_standing_daemon_is_judged_on_what_it_did_not_on_its_silence() -> None:
    """Already up and connected (the daemon route): a step with no call is not a run that never
    happened; the checks judge its result (here the vendor it should have created is missing)."""
    assert _checked([], RunOutcome(ok=True, standing=True)) == {"MODULE-SHAPE"}


def test_a_run_that_failed_before_its_first_write_passes_nothing() -> None:
    read = Request("crm", "GET", "/crm/v8/Vendors")
    failed = RunOutcome(ok=False, error="exit status 1")
    assert _checked([read], failed) == {*INVARIANTS, RUN_FAILED} - {"FAULT-TOLERANT", "RESUMABLE", "EVENTUAL"}
    vacuous = {"IDEMPOTENT", "NO-DELETE", "FETCH-READ-ONLY", "MODULE-ISOLATION"}
    assert not vacuous & _checked([read], RunOutcome(ok=True))
    assert _checked([read, write("books", "POST", "/books/v3/contacts")], failed) >= {RUN_FAILED}
    assert "IDEMPOTENT" not in _checked([read, write("books", "POST", "/books/v3/contacts")], failed)
