"""The state belongs to the org pair (CRM org + Books org): a run against another pair starts
fresh and says so, a pair reset to its seed (same org ids, synced records gone) is caught and
re-synced, and nothing of one pair's state is ever read by a run against another."""

from __future__ import annotations

from pathlib import Path

import pytest

from syncer import Report, SyncState, parse_config, run_sync
from syncer.config import ConfigError
from syncer.plan import Action
from tests.syncer.conftest import BASE, RETRY, World

ACCOUNTS = {"module": "customers", "crm_source": "accounts"}
LABEL = parse_config({"sync": [ACCOUNTS]}).syncs[0].label


def _run(world: World, tenant_id: str, state_path: Path) -> Report:
    config = parse_config(
        {
            "connection": {"base_url": BASE, "tenant": tenant_id},
            "state": {"path": str(state_path)},
            "sync": [ACCOUNTS],
        }
    )
    return run_sync(config, client=world.http, clock=world.clock, retry=RETRY)


def _created(report: Report) -> int:
    return sum(1 for row in report.rows if row.action in (Action.CREATED, Action.CLONED))


def _pair_files(folder: Path) -> list[Path]:
    return sorted(folder.glob("state.crm-*.books-*.sqlite3"))


def test_each_org_pair_has_its_own_state_and_a_reset_pair_is_synced_again(
    world: World, tmp_path: Path
) -> None:
    other = world.sim.create_tenant(sizes=world.tenant.sizes, seed=7)  # other seed, other org ids
    state_path = tmp_path / "state.sqlite3"

    first = _run(world, world.tenant_id, state_path)
    assert _created(first) > 0
    assert len(first.notes) == 1 and "new org pair" in first.notes[0] and str(tmp_path) in first.notes[0]

    # Another pair, the same configured state path: a fresh start, not a silent no-op.
    second = _run(world, other.tenant_id, state_path)
    assert "new org pair" in second.notes[0] and _created(second) == _created(first)
    files = _pair_files(tmp_path)
    assert len(files) == 2

    # Each file links only records of its own pair.
    mine = {c["contact_id"] for c in world.tenant.books.to_json()["contacts"]}
    theirs = {c["contact_id"] for c in other.books.to_json()["contacts"]}
    assert mine.isdisjoint(theirs)
    linked = {}
    for path in files:
        state = SyncState(path)
        linked[path] = {link.books_id for link in state.links(LABEL)}
        state.close()
    assert all(ids and (ids <= mine or ids <= theirs) for ids in linked.values())
    assert sorted(ids <= mine for ids in linked.values()) == [False, True]

    # Again against the first pair: its own state, nothing to do.
    again = _run(world, world.tenant_id, state_path)
    assert again.notes[0].startswith("state: ") and "new org pair" not in again.notes[0]
    assert _created(again) == 0 and not again.failed

    # The first pair reset to its seed: same org ids, the synced records gone. Said, and synced again.
    world.control.reset(world.tenant_id)
    after_reset = _run(world, world.tenant_id, state_path)
    assert "are gone" in after_reset.notes[0] and "starting fresh" in after_reset.notes[0]
    assert _created(after_reset) == _created(first) and not after_reset.failed

    # The other pair's state was not touched by any of it.
    untouched = _run(world, other.tenant_id, state_path)
    assert _created(untouched) == 0 and not untouched.failed
    assert "are gone" not in untouched.notes[0] and "new org pair" not in untouched.notes[0]


def test_the_reset_probe_costs_one_books_read_when_the_pair_is_intact(world: World) -> None:
    world.run(ACCOUNTS)
    again = world.run(ACCOUNTS)
    probes = [r for r in again.requests if r.method == "GET" and "/contacts/" in r.path]
    assert len(probes) == 1
    assert [r.path for r in again.requests if r.path.endswith("/org")] == ["/crm/v8/org"]


def test_a_state_given_for_one_pair_is_refused_for_another(world: World) -> None:
    other = world.sim.create_tenant(sizes=world.tenant.sizes, seed=7)
    world.run(ACCOUNTS)
    config = parse_config({"connection": {"base_url": BASE, "tenant": other.tenant_id}, "sync": [ACCOUNTS]})
    with pytest.raises(ConfigError, match="belongs to org pair"):
        run_sync(config, client=world.http, clock=world.clock, state=world.state, retry=RETRY)
