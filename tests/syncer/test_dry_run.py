"""``zohosim sync --dry-run``: it reads, plans and prints; it writes nothing to either side nor to
the state file, and the plan it prints is what the next real run does."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from syncer import parse_config, run_sync
from syncer.config import Config
from syncer.dryrun import plan_json, plan_table
from syncer.plan import Action
from syncer.run import plan_sync
from tests.support import ZohoClient
from tests.syncer.conftest import BASE, RETRY, World

PERSONS = {"module": "customers", "crm_source": "accounts_and_contacts", "extent": "fetch_from_crm"}
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "sync"


def _config(tmp_path: Path, entry: dict[str, Any]) -> Config:
    return parse_config(
        {"connection": {"base_url": BASE}, "state": {"path": str(tmp_path / "s.sqlite3")}, "sync": [entry]}
    )


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def _changed_world(world: World, tmp_path: Path) -> tuple[Config, str, str]:
    """A first real run, then one account's website and one of its contacts' email change in CRM."""
    config = _config(tmp_path, {**PERSONS, "duplicates": "overwrite"})
    run_sync(config, client=world.http, clock=world.clock, retry=RETRY)
    contacts = world.tenant.crm.records["Contacts"]
    contact = next(c for c in contacts.values() if c.get("Account_Name"))
    account = contact["Account_Name"]
    world.advance(3600)
    api = world.api()
    api.crm.update("Accounts", [{"id": account, "Website": "https://planned.example"}])
    api.crm.update("Contacts", [{"id": contact["id"], "Email": "planned@persons.example"}])
    world.advance(60)
    return config, account, contact["id"]


def test_a_dry_run_writes_nothing_and_plans_what_the_next_run_does(world: World, tmp_path: Path) -> None:
    config, account, contact = _changed_world(world, tmp_path)
    files = _files(tmp_path)
    since = max(r.seq for r in world.sim.request_log)

    plan = plan_sync(config, client=world.http, clock=world.clock, retry=RETRY)

    requests = world.sim.request_log.filter(tenant_id=world.tenant_id, since_seq=since)
    assert requests and not [r for r in requests if r.is_write]
    assert {r.method for r in requests if r.service in ("crm", "books")} == {"GET"}
    assert _files(tmp_path) == files, "the state file is unchanged"
    writes = [step for _, step in plan.steps if step.request]
    assert len(writes) == 1, [str(s.request) for s in writes]
    [step] = writes
    assert (step.action, step.crm_module, step.crm_id, step.rule) == (
        Action.UPDATED,
        "Accounts",
        account,
        "INCREMENTAL",
    )
    assert step.request is not None and step.request.method == "PUT"
    assert step.request.path == f"/books/v3/contacts/{step.books_id}"
    body = step.request.body or {}
    assert body["website"] == "https://planned.example"
    assert "planned@persons.example" in {p.get("email") for p in body["contact_persons"]}, (
        "the changed contact rides in its customer's PUT"
    )

    since = max(r.seq for r in world.sim.request_log)
    report = run_sync(config, client=world.http, clock=world.clock, retry=RETRY)
    writes_made = [
        r for r in world.sim.request_log.filter(tenant_id=world.tenant_id, since_seq=since) if r.is_write
    ]
    assert [(r.method, r.path) for r in writes_made] == [("PUT", step.request.path)]
    changed = {(r.crm_module, r.crm_id, r.action) for r in report.rows if r.action is not Action.UNCHANGED}
    assert changed == {("Accounts", account, Action.UPDATED), ("Contacts", contact, Action.UPDATED)}


def test_the_plan_prints_as_a_table_and_as_json(world: World, tmp_path: Path) -> None:
    config, account, _ = _changed_world(world, tmp_path)
    plan = plan_sync(config, client=world.http, clock=world.clock, retry=RETRY)

    table = plan_table(plan)
    assert "nothing was written" in table
    assert "PUT /books/v3/contacts/" in table and account in table and "INCREMENTAL" in table
    document = json.loads(json.dumps(plan_json(plan)))
    assert document["dry_run"] is True and document["api_calls"]["crm"] > 0
    assert len(document["steps"]) == len(plan.steps)
    assert set(document["steps"][0]) == {
        "sync",
        "action",
        "module",
        "crm_id",
        "books_id",
        "name",
        "reason",
        "note",
        "request",
    }
    [write] = [s for s in document["steps"] if s["request"]]
    assert (
        write["request"]["method"] == "PUT"
        and write["request"]["body"]["website"] == "https://planned.example"
    )


def test_a_first_dry_run_plans_creates_and_leaves_no_state(world: World, tmp_path: Path) -> None:
    config = _config(tmp_path, {**PERSONS, "duplicates": "skip"})

    plan = plan_sync(config, client=world.http, clock=world.clock, retry=RETRY)

    assert not any(tmp_path.iterdir()), "no state file is made"
    actions = {step.action for _, step in plan.steps}
    assert Action.CREATED in actions
    creates = [step for _, step in plan.steps if step.action is Action.CREATED]
    assert all(str(step.request) == "POST /books/v3/contacts" for step in creates)
    assert all(step.rule == "MODULE-SHAPE" for step in creates)
    skipped = [step for _, step in plan.steps if step.action is Action.SKIPPED]
    assert all(step.request is None and step.rule == "SKIP-UNTOUCHED" for step in skipped)
    report = run_sync(config, client=world.http, clock=world.clock, retry=RETRY)
    created = {r.crm_id for r in report.rows if r.action is Action.CREATED and r.crm_module == "Accounts"}
    assert created == {step.crm_id for step in creates}


@pytest.mark.parametrize("mode", ["skip", "overwrite", "clone"])
def test_a_dry_run_right_after_a_run_plans_no_write(world: World, tmp_path: Path, mode: str) -> None:
    config = _config(tmp_path, {**PERSONS, "duplicates": mode})
    run_sync(config, client=world.http, clock=world.clock, retry=RETRY)
    world.advance(60)

    plan = plan_sync(config, client=world.http, clock=world.clock, retry=RETRY)

    assert [str(step.request) for _, step in plan.steps if step.request] == []
    assert plan.calls["books"] >= 1 and plan.calls["crm"] >= 1, "it did read both sides"


def _sync(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "simulator", "sync", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.server
def test_the_command_prints_the_plan_and_writes_only_the_json_report(
    served: ZohoClient, tmp_path: Path
) -> None:
    config = tmp_path / "all.toml"
    shutil.copy(FIXTURES / "all.toml", config)
    base = str(served.http.base_url).rstrip("/")
    served.control("DELETE", "/requests")

    result = _sync(
        "--config",
        str(config),
        "--base-url",
        base,
        "--dry-run",
        "--quiet",
        "--report",
        str(tmp_path / "plan.json"),
        "--state-dir",
        str(tmp_path / "state"),
    )

    assert result.returncode == 0, result.stderr
    assert "nothing was written" in result.stdout and "POST /books/v3/contacts" in result.stdout
    assert served.control("GET", "/requests", params={"writes_only": "true"}).json()["requests"] == []
    assert not (tmp_path / "state").exists()
    document = json.loads((tmp_path / "plan.json").read_text())
    assert {step["sync"] for step in document["steps"]} == {
        "customers:accounts_and_contacts",
        "vendors",
        "items",
    }


def test_a_dry_run_is_one_run_now(tmp_path: Path) -> None:
    config = tmp_path / "v.toml"
    config.write_text('[[sync]]\nmodule = "vendors"\n')
    result = _sync("--config", str(config), "--dry-run", "--every", "2h")
    assert result.returncode == 2 and "fix:" in result.stderr
