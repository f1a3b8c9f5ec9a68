"""``zohosim sync`` against a real ``zohosim serve``, and the sample configurations."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from syncer import load_config
from tests.support import ZohoClient

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "sync"


def _sync(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "simulator", "sync", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize("name", sorted(p.name for p in FIXTURES.glob("*.toml")))
def test_every_sample_configuration_loads(name: str) -> None:
    config = load_config(FIXTURES / name)
    assert config.syncs


@pytest.mark.server
def test_sync_runs_prints_a_summary_and_writes_a_report(served: ZohoClient, tmp_path: Path) -> None:
    config = tmp_path / "all.toml"
    shutil.copy(FIXTURES / "all.toml", config)
    base = str(served.http.base_url).rstrip("/")
    state = ("--state-dir", str(tmp_path / "state"))
    first = _sync(
        "--config", str(config), "--base-url", base, "--report", str(tmp_path / "r.json"), "--quiet", *state
    )
    assert first.returncode == 0, first.stderr
    assert "zohosim sync" in first.stdout and "API calls" in first.stdout
    assert "new org pair" in first.stdout.splitlines()[0]
    [pair_file] = (tmp_path / "state").glob("all.crm-*.books-*.sqlite3")
    assert str(pair_file) in first.stdout
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["totals"]["created"] > 0 and report["api_calls"]["books"] > 0
    assert {row["sync"] for row in report["rows"]} == {"customers:accounts_and_contacts", "vendors", "items"}

    served.control("DELETE", "/requests")
    second = _sync("--config", str(config), "--base-url", base, "--quiet", *state)
    assert second.returncode == 0, second.stderr
    assert second.stdout.startswith(f"state: {pair_file} (")
    writes = served.control("GET", "/requests", params={"writes_only": "true"}).json()["requests"]
    assert writes == []


def test_a_bad_configuration_names_the_field_and_the_fix(tmp_path: Path) -> None:
    config = tmp_path / "bad.toml"
    config.write_text('[[sync]]\nmodule = "customers"\ncrm_source = "leads"\n')
    result = _sync("--config", str(config))
    assert result.returncode == 2
    assert "sync[0].crm_source" in result.stderr and "fix:" in result.stderr


def test_no_simulator_running_is_a_clear_error(tmp_path: Path) -> None:
    config = tmp_path / "v.toml"
    config.write_text('[connection]\nbase_url = "http://127.0.0.1:9"\n[[sync]]\nmodule = "vendors"\n')
    result = _sync("--config", str(config))
    assert result.returncode == 2
    assert "no simulator answers" in result.stderr and "zohosim serve" in result.stderr
