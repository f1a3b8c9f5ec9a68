"""The two routes to a syncer: what a command gets, how runs fail, and how the harness kills one."""

from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path

import httpx
import pytest

from conformance.adapters import ENV_VARS, CommandAdapter, Endpoints, KillSwitch, PythonAdapter, load_factory


def _endpoints(tmp_path: Path, **overrides: object) -> Endpoints:
    values: dict = {
        "accounts_url": "http://127.0.0.1:9",
        "crm_url": "http://127.0.0.1:9/crm/v8",
        "books_url": "http://127.0.0.1:9/books/v3",
        "client_id": "id",
        "client_secret": "secret",
        "refresh_token": "refresh",
        "crm_org_id": "crm-org",
        "books_organization_id": "books-org",
        "config": {"sync": [{"module": "vendors"}], "state": {"path": str(tmp_path / "state" / "s.sqlite3")}},
        "config_path": tmp_path / "config.json",
        "state_dir": tmp_path / "state",
        "base_url": "http://127.0.0.1:9",
    }
    values.update(overrides)
    return Endpoints(**values)


def _python(code: str) -> str:
    return f"{shlex.quote(sys.executable)} -c {shlex.quote(code)}"


def test_a_command_gets_the_environment_and_the_config(tmp_path: Path) -> None:
    dump = tmp_path / "seen.json"
    code = (
        "import json, os, pathlib; "
        f"env = {{k: os.environ[k] for k in {list(ENV_VARS)!r}}}; "
        "env['config'] = json.loads(pathlib.Path(os.environ['ZOHOSIM_CONFIG']).read_text()); "
        f"pathlib.Path({str(dump)!r}).write_text(json.dumps(env))"
    )
    outcome = CommandAdapter(_python(code)).run(_endpoints(tmp_path))
    assert outcome.ok, outcome.error
    seen = json.loads(dump.read_text())
    assert seen["ZOHOSIM_CRM_URL"] == "http://127.0.0.1:9/crm/v8"
    assert seen["ZOHOSIM_BOOKS_ORGANIZATION_ID"] == "books-org"
    assert seen["ZOHOSIM_STATE_DIR"] == str(tmp_path / "state") and Path(seen["ZOHOSIM_STATE_DIR"]).is_dir()
    assert seen["config"]["sync"] == [{"module": "vendors"}]


def test_a_non_zero_exit_is_a_failed_run_with_its_stderr(tmp_path: Path) -> None:
    code = "import sys; print('first line'); sys.stderr.write('it broke: bad token\\n'); sys.exit(3)"
    outcome = CommandAdapter(_python(code)).run(_endpoints(tmp_path))
    assert not outcome.ok and not outcome.killed
    assert "exit status 3" in outcome.error and "it broke: bad token" in outcome.error


def test_a_command_that_hangs_times_out(tmp_path: Path) -> None:
    code = (
        "import sys, threading; sys.stderr.write('waiting\\n'); sys.stderr.flush(); threading.Event().wait()"
    )
    outcome = CommandAdapter(_python(code), timeout=1).run(_endpoints(tmp_path))
    assert not outcome.ok and "timed out after 1 s" in outcome.error and "waiting" in outcome.error


def test_the_python_route_fails_a_run_that_raises(tmp_path: Path) -> None:
    transport = httpx.MockTransport(lambda request: httpx.Response(200, json={}))
    adapter = PythonAdapter("tests.conformance.broken:Crashes")
    outcome = adapter.run(_endpoints(tmp_path, transport=transport))
    assert not outcome.ok and "this syncer always fails" in outcome.error


class _Writer:
    """A syncer that makes five writes through endpoints.http."""

    def run(self, endpoints: Endpoints) -> None:
        assert endpoints.http is not None
        for n in range(5):
            endpoints.http.post(f"/books/v3/contacts?n={n}", json={})
            endpoints.http.get("/crm/v8/Accounts")


def test_the_python_route_kills_a_run_after_n_writes(tmp_path: Path) -> None:
    seen: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(f"{request.method} {request.url.path}")
        return httpx.Response(200, json={})

    endpoints = _endpoints(tmp_path, transport=httpx.MockTransport(answer))
    switch = KillSwitch(3)
    outcome = PythonAdapter(_Writer).run(endpoints, kill=switch)
    assert outcome.killed and switch.fired and switch.writes == 3
    assert seen.count("POST /books/v3/contacts") == 3, "the third write reached the server; nothing after it"
    assert seen[-1] == "POST /books/v3/contacts"
    assert PythonAdapter(_Writer).run(endpoints).ok


def test_factories_load_by_name() -> None:
    assert load_factory("conformance.reference:factory")().__class__.__name__ == "ReferenceSyncer"
    with pytest.raises(ValueError, match=r"package\.module:factory"):
        load_factory("conformance.reference")
    with pytest.raises(AttributeError):
        load_factory("conformance.reference:nothing_here")
