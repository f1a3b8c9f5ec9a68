"""A sync of a CRM module bigger than page tokens reach (100,000 records at Zoho; lowered here via
``simulator.crm.paging.TOKEN_LIMIT``) reads the rest by COQL and syncs exactly what it would
have synced under no limit; a view that big stops the run with the fix named."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from simulator.crm import paging
from simulator.tenants import Sizes
from syncer.clients import ViewPastTokenLimit
from tests.syncer.conftest import World, make_world

PERSONS = {"module": "customers", "crm_source": "accounts_and_contacts"}
BIG = Sizes(accounts=30, contacts=450, vendors=0, products=0, books_extra=0)


@pytest.fixture
def worlds() -> Iterator[tuple[World, World]]:
    """Two worlds seeded alike: one to sync under the lowered limit, one under Zoho's."""
    for limited in make_world(BIG):
        for unlimited in make_world(BIG):
            yield limited, unlimited


def _books_side(world: World) -> list[dict[str, Any]]:
    """The Books customers with their persons, without the ids the simulator drew for them."""
    rows = world.snapshot().books("customer").values()
    return sorted(
        (
            {
                "name": row["contact_name"],
                "persons": sorted(p.get("email") or "" for p in row.get("contact_persons") or []),
            }
            for row in rows
        ),
        key=lambda row: row["name"],
    )


def test_a_sync_past_the_limit_writes_what_it_would_without_one(
    worlds: tuple[World, World], monkeypatch: pytest.MonkeyPatch
) -> None:
    limited, unlimited = worlds
    expected = unlimited.run({**PERSONS, "extent": "fetch_from_crm"})
    monkeypatch.setattr(paging, "TOKEN_LIMIT", 200)
    got = limited.run({**PERSONS, "extent": "fetch_from_crm"})
    assert any(r.path.endswith("/coql") for r in got.requests)
    assert not any(r.path.endswith("/coql") for r in expected.requests)
    assert len(got.person_links()) == len(expected.person_links()) > 200
    books = _books_side(limited)
    assert sum(len(row["persons"]) for row in books) > 200
    assert books == _books_side(unlimited)
    assert got.report.totals() == expected.report.totals()
    assert not got.report.failed


def test_a_view_past_the_limit_stops_the_run_naming_the_fix(
    worlds: tuple[World, World], monkeypatch: pytest.MonkeyPatch
) -> None:
    world, _ = worlds
    criteria = {"comparator": "ends_with", "field": {"api_name": "Email"}, "value": ".com"}
    view = world.control.create_view(world.tenant_id, module="Contacts", name="Most", criteria=criteria)["id"]
    assert len(world.in_view("Contacts", view)) > 200
    monkeypatch.setattr(paging, "TOKEN_LIMIT", 200)
    run = world.run(
        {**PERSONS, "extent": "fetch_from_crm", "contact_view": view}, expect_error=ViewPastTokenLimit
    )
    assert "narrow the view" in str(run.error)
    assert not run.writes("books")
