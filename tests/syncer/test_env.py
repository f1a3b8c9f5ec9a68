"""``zohosim sync`` on the conformance harness's route: the connection and the state directory come
from the ``ZOHOSIM_*`` variables, the configuration from ``$ZOHOSIM_CONFIG``; ``--base-url`` keeps
the credentials it was given."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from syncer.config import ConfigError, Connection, parse_config, with_environment
from tests.support import ZohoClient

CONFIG = {"sync": [{"module": "vendors"}]}
URLS = {
    "ZOHOSIM_ACCOUNTS_URL": "http://127.0.0.1:9/",
    "ZOHOSIM_CRM_URL": "http://127.0.0.1:9/crm/v8",
    "ZOHOSIM_BOOKS_URL": "http://127.0.0.1:9/books/v3",
}


def test_the_variables_replace_the_files_connection_and_state() -> None:
    config = parse_config({**CONFIG, "connection": {"base_url": "http://127.0.0.1:8765", "tenant": "t7"}})
    env = {
        **URLS,
        "ZOHOSIM_CLIENT_ID": "id",
        "ZOHOSIM_CLIENT_SECRET": "secret",
        "ZOHOSIM_REFRESH_TOKEN": "refresh",
        "ZOHOSIM_BOOKS_ORGANIZATION_ID": "42",
        "ZOHOSIM_CONTROL_URL": "http://127.0.0.1:9/__zohosim",
        "ZOHOSIM_STATE_DIR": "/tmp/run-state",
    }
    applied = with_environment(config, env)
    assert applied.connection == Connection(
        accounts_url="http://127.0.0.1:9",
        crm_url="http://127.0.0.1:9/crm/v8",
        books_url="http://127.0.0.1:9/books/v3",
        client_id="id",
        client_secret="secret",
        refresh_token="refresh",
        books_organization_id="42",
        tenant="t7",
        control_url="http://127.0.0.1:9/__zohosim",
    )
    assert applied.state_path == Path("/tmp/run-state/state.sqlite3")
    assert applied.syncs == config.syncs


def test_without_the_variables_the_file_decides() -> None:
    config = parse_config(CONFIG)
    assert with_environment(config, {"HOME": "/root"}) == config


def test_some_urls_without_the_others_are_refused() -> None:
    with pytest.raises(ConfigError, match="set all of ZOHOSIM_ACCOUNTS_URL"):
        with_environment(parse_config(CONFIG), {"ZOHOSIM_CRM_URL": "http://127.0.0.1:9/crm/v8"})


def _sync(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "simulator", "sync", "--quiet", *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _harness_env(served: ZohoClient, tmp_path: Path) -> dict[str, str]:
    base = str(served.http.base_url).rstrip("/")
    config = tmp_path / "config.json"
    config.write_text(json.dumps(CONFIG))
    return {
        "ZOHOSIM_ACCOUNTS_URL": base,
        "ZOHOSIM_CRM_URL": f"{base}/crm/v8",
        "ZOHOSIM_BOOKS_URL": f"{base}/books/v3",
        "ZOHOSIM_CLIENT_ID": served.creds["client_id"],
        "ZOHOSIM_CLIENT_SECRET": served.creds["client_secret"],
        "ZOHOSIM_REFRESH_TOKEN": served.creds["refresh_token"],
        "ZOHOSIM_BOOKS_ORGANIZATION_ID": served.creds["books_organization_id"],
        "ZOHOSIM_CONFIG": str(config),
        "ZOHOSIM_STATE_DIR": str(tmp_path / "state"),
    }


@pytest.mark.server
def test_zohosim_sync_runs_from_the_variables_alone(served: ZohoClient, tmp_path: Path) -> None:
    served.control("DELETE", "/requests")
    result = _sync(env=_harness_env(served, tmp_path))
    assert result.returncode == 0, result.stderr
    assert list((tmp_path / "state").glob("state.crm-*.books-*.sqlite3"))  # one file per org pair
    writes = served.control("GET", "/requests", params={"writes_only": "true"}).json()["requests"]
    assert writes and {w["path"].split("/")[1] for w in writes} == {"books"}, writes


@pytest.mark.server
def test_under_a_harness_a_retry_after_waits_on_the_virtual_clock(served: ZohoClient, tmp_path: Path) -> None:
    """A 200 s Retry-After: the run would outlast its 120 s timeout if it slept; it moves the clock."""
    env = _harness_env(served, tmp_path)
    env["ZOHOSIM_CONTROL_URL"] = env["ZOHOSIM_ACCOUNTS_URL"] + "/__zohosim"
    before = served.control("GET", "/clock").json()["now"]
    rule = {"effect": "error", "status": 429, "service": "crm", "times": 1, "retry_after": 200}
    served.control("POST", "/faults", json=rule).raise_for_status()
    try:
        result = _sync(env=env)
    finally:
        served.control("DELETE", "/faults")
    assert result.returncode == 0, result.stderr
    after = served.control("GET", "/clock").json()["now"]
    elapsed = datetime.fromisoformat(after) - datetime.fromisoformat(before)
    assert elapsed >= timedelta(seconds=200)


@pytest.mark.server
def test_base_url_keeps_the_credentials_given(served: ZohoClient, tmp_path: Path) -> None:
    """The tenant named here does not exist: only the given credentials can reach the org."""
    creds = {
        k: served.creds[k] for k in ("client_id", "client_secret", "refresh_token", "books_organization_id")
    }
    config = tmp_path / "config.json"
    config.write_text(json.dumps({**CONFIG, "connection": {**creds, "tenant": "nobody"}}))
    base = str(served.http.base_url).rstrip("/")
    result = _sync("--config", str(config), "--base-url", base, env={})
    assert result.returncode == 0, result.stderr
