"""Sync Now, Sync Later and the repeating schedule, on the simulator's virtual clock."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from simulator.control.client import ControlClient
from simulator.tenants import Sizes
from simulator.testing import in_process
from syncer import SyncState, parse_config, run_sync
from syncer.clients import ManualClock, SimulatorClock
from syncer.report import Report
from syncer.schedule import Scheduler, with_schedule


def _config(schedule: str, interval: str = "2h"):
    return parse_config(
        {
            "connection": {"base_url": "http://zohosim.local"},
            "sync": [{"module": "vendors", "schedule": schedule, "interval": interval}],
        }
    )


def test_now_runs_at_once_and_later_at_the_next_tick() -> None:
    ran: list[str] = []
    clock = ManualClock()
    start = clock.now()
    for schedule in ("now", "later"):
        scheduler = Scheduler(
            config=_config(schedule), clock=clock, run=lambda c: ran.append(clock.now()) or Report()
        )
        scheduler.tick()
    assert ran[0] == start
    assert ran[1] == start + timedelta(hours=2)


def test_runs_repeat_every_interval_and_skip_missed_ticks() -> None:
    clock = ManualClock()
    start = clock.now()
    times = []
    scheduler = Scheduler(
        config=_config("now", "30m"), clock=clock, run=lambda c: times.append(clock.now()) or Report()
    )
    scheduler.run_ticks(3)
    assert times == [start, start + timedelta(minutes=30), start + timedelta(minutes=60)]
    clock.advance(3 * 3600)  # overslept: the next run is at the next tick, not a burst of missed ones
    scheduler.tick()
    assert times[-1] == start + timedelta(minutes=240)


def test_cli_flags_override_every_module_sync() -> None:
    config = with_schedule(_config("now"), schedule="later", interval=600)
    assert [(s.schedule, s.interval) for s in config.syncs] == [("later", 600)]


def test_a_day_of_schedule_runs_in_moments_and_picks_up_changes() -> None:
    with in_process() as running:
        tenant = running.sim.create_tenant(sizes=Sizes(accounts=2, contacts=2, vendors=4, products=2))
        client = running.client()
        control = ControlClient(client)
        clock = SimulatorClock(control)
        state = SyncState()
        config = _config("later")
        scheduler = Scheduler(
            config=config, clock=clock, run=lambda c: run_sync(c, client=client, clock=clock, state=state)
        )
        first = scheduler.tick()
        assert control.now() == "2026-01-15T11:00:00+00:00"  # two hours of virtual time, no waiting
        assert first.totals()["created"] > 0
        created = next(row for row in first.rows if row.action.value == "created")
        vendor = tenant.crm.get("Vendors", created.crm_id)
        token = running.sim.accounts.refresh(
            client_id=tenant.client.client_id,
            client_secret=tenant.client.client_secret,
            refresh_token=tenant.refresh_token.token,
        ).token
        client.put(
            f"/crm/v8/Vendors/{vendor['id']}",
            json={"data": [{"Website": "https://changed.example"}]},
            headers={"Authorization": f"Zoho-oauthtoken {token}"},
        )
        second = scheduler.tick()
        assert control.now() == "2026-01-15T13:00:00+00:00"
        assert second.totals()["updated"] == 1
        assert replace(config).syncs[0].interval == 7200
