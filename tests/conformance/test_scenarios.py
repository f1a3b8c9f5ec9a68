"""Scenarios: their pools, their strategies, JSON round trips, and worlds built from them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conformance.contract import SyncShape, crm_key, fold
from conformance.scenarios import (
    COMPANY_NAMES,
    KIND_NAMES,
    PERSON_NAMES,
    PRODUCT_NAMES,
    STRANGER_NAMES,
    VENDOR_NAMES,
    Scenario,
    scenarios,
    spacing_variants,
)
from conformance.world import World, contact_update
from simulator.clock import Clock
from simulator.tenants import Simulator

FAST = settings(max_examples=25, deadline=None, database=None, suppress_health_check=list(HealthCheck))


@pytest.fixture(scope="module")
def sim() -> Simulator:
    return Simulator(clock=Clock(start=datetime(2026, 1, 15, 9, tzinfo=UTC), frozen=True), seed=3)


def test_every_spelling_of_a_name_has_its_key() -> None:
    names = [
        *COMPANY_NAMES,
        *VENDOR_NAMES,
        *PRODUCT_NAMES,
        *STRANGER_NAMES,
        *(f"{f} {last}" for f, last in PERSON_NAMES),
    ]
    for name in names:
        assert name.lower() == name.casefold(), f"{name!r}: lower() and casefold() differ"
        assert {fold(v) for v in spacing_variants(name)} == {fold(name)}, name
    keys = [fold(n) for n in (*COMPANY_NAMES, *VENDOR_NAMES, *PRODUCT_NAMES, *STRANGER_NAMES)]
    assert len(keys) == len(set(keys)), "pools must not share a key"


@FAST
@given(scenarios(edits=True, faults=True, kill=True))
def test_scenarios_round_trip_through_json(scenario: Scenario) -> None:
    assert Scenario.loads(scenario.dumps()) == scenario


@FAST
@given(scenarios(edits=True))
def test_crm_keys_are_unique_in_a_scenario(scenario: Scenario) -> None:
    seen: dict[str, str] = {}
    records = [*scenario.crm, *(e.record for e in scenario.edits if e.side == "crm" and e.record)]
    for record in records:
        values = dict(record.values)
        if record.module == "Contacts":
            values["Full_Name"] = f"{values.get('First_Name') or ''} {values['Last_Name']}".strip()
        key = crm_key(record.module, values).name
        assert key not in seen, f"{record.ref} and {seen[key]} share the key {key!r}"
        seen[key] = record.ref


@pytest.mark.parametrize("kind", sorted(KIND_NAMES))
def test_a_kind_fixes_the_module_sync(kind: str) -> None:
    @settings(max_examples=5, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(scenarios(kind=KIND_NAMES[kind]))
    def check(scenario: Scenario) -> None:
        module, source, flag = KIND_NAMES[kind]
        assert (
            scenario.sync.module,
            scenario.sync.crm_source,
            scenario.sync.include_unassociated_contacts,
        ) == (module, source, flag)
        shape = SyncShape(scenario.sync.entry({"view": "1", "contact_view": "2"}))
        assert any(r.module == shape.main_module for r in scenario.crm), "the synced module has records"

    check()


@FAST
@given(scenario=scenarios(edits=True), data=st.data())
def test_every_scenario_builds_and_its_edits_apply(
    sim: Simulator, tmp_path_factory: pytest.TempPathFactory, scenario: Scenario, data: st.DataObject
) -> None:
    world = World(
        sim, scenario, base_url="http://zohosim.local", workdir=tmp_path_factory.mktemp("w")
    ).build()
    try:
        snapshot = world.snapshot()
        assert sum(len(t) for t in snapshot.crm.values()) == len(scenario.crm)
        assert len(snapshot.contacts) + len(snapshot.items) == len(scenario.books)
        for seed in scenario.books:  # the created times the scenario chose
            record = snapshot.books_record(world.books_ids[seed.ref])
            assert record is not None
        in_view = world.in_view()
        if scenario.sync.view is None and scenario.sync.contact_view is None:
            assert in_view == {m: set(t) for m, t in snapshot.crm.items()}
        # pair every CRM record with some Books record of its kind (or none): edits must still apply
        books = list(world.books_ids.values())
        paired = {ref: data.draw(st.sampled_from(books)) for ref in world.crm_ids.values() if books}
        world.apply_edits(paired)  # raises ScenarioError if an edit cannot be made
    finally:
        world.close()


def test_keep_up_with_wall_only_moves_forward(sim: Simulator, tmp_path: Path) -> None:
    world = World(
        sim,
        Scenario.from_json({"sync": {"module": "vendors", "extent": "both_ways", "duplicates": "skip"}}),
        base_url="http://x",
        workdir=tmp_path,
    )
    ahead = datetime.now(UTC) + timedelta(days=3)
    sim.clock.set(ahead)
    world.keep_up_with_wall()
    assert sim.clock.now() == ahead
    sim.clock.set(datetime(2020, 1, 1, tzinfo=UTC))
    world.keep_up_with_wall()
    assert sim.clock.now() >= datetime.now(UTC) - timedelta(seconds=5)


def test_contact_update_keeps_addresses_and_persons_whole() -> None:
    current = {
        "contact_name": "Ada King",
        "billing_address": {"address_id": "1", "city": "Old", "zip": "9"},
        "contact_persons": [
            {"contact_person_id": "5", "first_name": "Pat", "email": "p@x", "is_primary_contact": True}
        ],
    }
    body = contact_update(
        current, {"billing_address.city": None, "primary_contact.email": "n@x", "website": "w"}
    )
    assert body["billing_address"] == {"city": "", "zip": "9"}
    assert body["contact_persons"] == [
        {"contact_person_id": "5", "first_name": "Pat", "email": "n@x", "is_primary_contact": True}
    ]
    assert body["website"] == "w"
    lonely = contact_update(
        {"contact_name": "Ada King", "contact_persons": []}, {"primary_contact.email": "a@x"}
    )
    assert lonely["contact_persons"] == [
        {"first_name": "Ada", "last_name": "King", "is_primary_contact": True, "email": "a@x"}
    ]


def test_the_config_a_world_hands_over_is_the_reference_schema(sim: Simulator, tmp_path: Path) -> None:
    from syncer import parse_config

    scenario = Scenario.from_json(
        {
            "sync": {
                "module": "customers",
                "crm_source": "accounts",
                "extent": "both_ways",
                "duplicates": "clone",
                "field_map": [["website", "Website"]],
            }
        }
    )
    world = World(sim, scenario, base_url="http://127.0.0.1:9", workdir=tmp_path).build()
    try:
        endpoints = world.endpoints()
        config = parse_config(endpoints.config)
        assert config.connection.complete and config.connection.crm_url == "http://127.0.0.1:9/crm/v8"
        assert config.syncs[0].duplicates == "clone" and str(config.state_path).startswith(
            str(endpoints.state_dir)
        )
        env = endpoints.env()
        assert env["ZOHOSIM_BOOKS_ORGANIZATION_ID"] == sim.tenants[world.tenant_id].books.organization_id
        assert env["ZOHOSIM_CONFIG"] == str(endpoints.config_path)
    finally:
        world.close()
