"""Zoho's official Node.js SDK for CRM v8, ``@zohocrm/nodejs-sdk-8.0``, unmodified against ``zohosim serve``.

``tests/node/crm_accounts.mjs`` drives the SDK and prints what it saw; this test checks that and
the simulator's own state.  Locally the test skips without ``node`` or without the installed
package (``npm ci --prefix tests/node``); under CI (``CI`` set) their absence is a failure.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.support import ZohoClient

NODE_PROJECT = Path(__file__).parent / "node"
SDK_PACKAGE = NODE_PROJECT / "node_modules" / "@zohocrm" / "nodejs-sdk-8.0"
SCRIPT = NODE_PROJECT / "crm_accounts.mjs"
NAME = "Zylker Node SDK Test"
SdkRun = tuple[ZohoClient, dict[str, Any]]

pytestmark = pytest.mark.server


def _node() -> str:
    node = shutil.which("node")
    missing = (
        "node is not on PATH (install Node.js 20, then: npm ci --prefix tests/node)"
        if node is None
        else f"{SDK_PACKAGE} is not installed (run: npm ci --prefix tests/node)"
        if not SDK_PACKAGE.is_dir()
        else None
    )
    if missing is None:
        return str(node)
    if os.environ.get("CI", "").lower() not in ("", "0", "false"):
        pytest.fail(f"CI must run the Node.js SDK test, but {missing}")
    pytest.skip(missing)


def _run_sdk(node: str, served: ZohoClient, workdir: Path) -> dict[str, Any]:
    env = {
        **os.environ,
        "ZOHO_CLIENT_ID": served.creds["client_id"],
        "ZOHO_CLIENT_SECRET": served.creds["client_secret"],
        "ZOHO_REFRESH_TOKEN": served.creds["refresh_token"],
    }
    base = str(served.http.base_url).rstrip("/")
    # The timeout only guards against a hung child; the script makes a fixed number of calls.
    done = subprocess.run(
        [node, str(SCRIPT), base, str(workdir)],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr + (workdir / "sdk.log").read_text(errors="replace")
    return json.loads(done.stdout)


@pytest.fixture
def sdk_run(request: pytest.FixtureRequest, tmp_path: Path) -> SdkRun:
    """The script's report, run on a fresh tenant (checked for node before a server is started)."""
    node = _node()
    served: ZohoClient = request.getfixturevalue("served")
    served.control("DELETE", "/requests")
    return served, _run_sdk(node, served, tmp_path)


def test_node_sdk_refreshes_its_token_with_the_simulators_credentials(sdk_run: SdkRun) -> None:
    served, result = sdk_run
    log = served.control("GET", "/requests").json()["requests"]
    assert (log[0]["method"], log[0]["path"], log[0]["status"]) == ("POST", "/oauth/v2/token", 200)
    assert [e for e in log if e["status"] >= 400] == []
    assert served.crm("GET", "/org", token=result["access_token"]).status_code == 200


def test_node_sdk_lists_creates_updates_searches_and_deletes_accounts(sdk_run: SdkRun) -> None:
    served, result = sdk_run
    seeded = served.crm("GET", "/Accounts", params={"fields": "Account_Name", "per_page": 200}).json()["data"]
    assert result["list"]["status"] == 200
    assert sorted(result["list"]["names"]) == sorted(a["Account_Name"] for a in seeded)

    [created] = result["create"]["outcomes"]
    assert result["create"]["status"] == 201 and created["status"] == "success"
    new_id = created["id"]
    assert result["update"]["outcomes"] == [{"status": "success", "code": "SUCCESS", "id": new_id}]
    assert result["search"] == {"status": 200, "hits": [{"id": new_id, "phone": "555-0199"}]}
    assert result["delete"]["outcomes"] == [{"status": "success", "code": "SUCCESS", "id": new_id}]
    assert result["search_after_delete"] == {"status": 204}

    assert served.crm("GET", f"/Accounts/{new_id}").status_code == 204
    bin_ = served.crm("GET", "/Accounts/deleted", params={"type": "recycle"}).json()["data"]
    assert [(row["id"], row["display_name"]) for row in bin_ if row["id"] == new_id] == [(new_id, NAME)]


def test_node_sdk_reads_a_contacts_account_lookup(sdk_run: SdkRun) -> None:
    served, result = sdk_run
    contact = result["contact"]
    stored = served.crm("GET", f"/Contacts/{contact['id']}", params={"fields": "Account_Name"}).json()
    [row] = stored["data"]
    assert row["Account_Name"] == {"name": contact["account_name"], "id": contact["account_id"]}


@pytest.mark.parametrize(("ci", "outcome"), [("true", pytest.fail.Exception), ("", pytest.skip.Exception)])
def test_a_missing_sdk_fails_under_ci_and_skips_locally(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, ci: str, outcome: type[BaseException]
) -> None:
    monkeypatch.setattr(f"{__name__}.SDK_PACKAGE", tmp_path / "absent")
    monkeypatch.setenv("CI", ci)
    with pytest.raises(outcome, match="npm ci --prefix tests/node"):
        _node()
