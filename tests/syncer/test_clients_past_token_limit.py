"""``CrmClient.records`` past the page-token limit (100,000 records at Zoho): the rest comes by COQL.

A module of 100,000 records is too big for a test, so the simulator's limit is lowered instead
(``simulator.crm.paging.TOKEN_LIMIT``); everything else is the real list API and the real COQL.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from simulator.crm import paging
from simulator.tenants import Sizes
from syncer.clients import ViewPastTokenLimit, ZohoApiError, connect
from syncer.clients.errors import ReadOnly
from tests.syncer.test_clients import Env, _env

FIELDS = ["Last_Name", "Email", "Account_Name", "Modified_Time"]


@pytest.fixture
def env() -> Iterator[Env]:
    for env in _env(Sizes(accounts=20, contacts=500, vendors=0, products=0, books_extra=0)):
        env.sim.request_log.clear()
        yield env


def _limit(monkeypatch: pytest.MonkeyPatch, records: int) -> None:
    monkeypatch.setattr(paging, "TOKEN_LIMIT", records)


def _calls(env: Env) -> list[tuple[str, str, int]]:
    return [(entry.method, entry.path.rsplit("/", 1)[-1], entry.status) for entry in env.log(service="crm")]


def test_every_record_is_read_once_across_the_switch_to_coql(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    _limit(monkeypatch, 400)
    ids = [row["id"] for row in env.zoho.crm.records("Contacts", fields=FIELDS)]
    assert len(ids) == len(set(ids)) == 500
    assert set(ids) == set(env.tenant.crm.records["Contacts"])
    assert ids == sorted(ids, key=int, reverse=True)  # one order throughout: by id, descending
    # Two pages, a refused token, the fields of Contacts and of Accounts (Account_Name's name
    # field), then one COQL page of the last 100.
    assert _calls(env) == [
        ("GET", "Contacts", 200),
        ("GET", "Contacts", 200),
        ("GET", "Contacts", 400),
        ("GET", "fields", 200),
        ("GET", "fields", 200),
        ("POST", "coql", 200),
    ]
    assert env.zoho.counter.count(service="crm") == 6


def test_coql_pages_by_2000_until_more_records_is_false(env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("syncer.clients.crm.COQL_LIMIT", 40)
    _limit(monkeypatch, 400)
    ids = [row["id"] for row in env.zoho.crm.records("Contacts", fields=FIELDS)]
    assert len(ids) == len(set(ids)) == 500
    assert [call for call in _calls(env) if call[0] == "POST"] == [("POST", "coql", 200)] * 3


def test_records_read_by_coql_have_the_list_apis_shape(env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    listed = {row["id"]: row for row in env.zoho.crm.records("Contacts", fields=FIELDS)}
    _limit(monkeypatch, 400)
    past = list(env.zoho.crm.records("Contacts", fields=FIELDS))[400:]
    assert past
    assert all(row == listed[row["id"]] for row in past)
    assert any(row["Account_Name"] for row in past)


def test_a_user_lookup_read_by_coql_has_only_its_id(env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    _limit(monkeypatch, 400)
    past = list(env.zoho.crm.records("Contacts", fields=["Last_Name", "Owner"]))[400:]
    assert past and all(set(row["Owner"]) == {"id"} for row in past)  # a user lookup: no name by COQL
    assert [call[1] for call in _calls(env)].count("fields") == 1


def test_modified_since_reads_only_the_changed_records_past_the_limit(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    crm = env.zoho.crm
    every = sorted(env.tenant.crm.records["Contacts"], key=int)
    before = env.now()
    env.clock.sleep(5)
    changed = every[::2][:150] + every[-150:]  # low ids (read by COQL) and high ids (by the list API)
    outcomes = crm.update(
        "Contacts", [{"id": record_id, "Email": f"c{record_id}@example.com"} for record_id in changed]
    )
    assert {o["status"] for o in outcomes} == {"success"}
    env.sim.request_log.clear()
    _limit(monkeypatch, 200)
    rows = list(crm.records("Contacts", fields=FIELDS, modified_since=before))
    assert sorted(row["id"] for row in rows) == sorted(changed)
    assert all(row["Email"] == f"c{row['id']}@example.com" for row in rows)
    assert [call[1:] for call in _calls(env)] == [
        ("Contacts", 200),
        ("Contacts", 400),
        ("fields", 200),
        ("fields", 200),
        ("coql", 200),
    ]


def test_a_view_past_the_limit_names_the_problem_and_the_fix(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    criteria = {"comparator": "ends_with", "field": {"api_name": "Email"}, "value": ".com"}
    view = env.control.create_view(env.tenant.tenant_id, module="Contacts", name="Most", criteria=criteria)
    _limit(monkeypatch, 200)
    with pytest.raises(ViewPastTokenLimit) as caught:
        list(env.zoho.crm.records("Contacts", fields=FIELDS, cvid=view["id"]))
    message = str(caught.value)
    assert f"Contacts view {view['id']}" in message and "after 200 records" in message
    assert "Fix: narrow the view" in message
    assert not [call for call in _calls(env) if call[0] == "POST"]


def test_other_refusals_are_not_taken_for_the_limit(env: Env) -> None:
    with pytest.raises(ZohoApiError) as caught:
        list(env.zoho.crm.records("Contacts", fields=["No_Such_Field"]))
    assert caught.value.code != "PAGINATION_LIMIT_EXCEEDED"
    assert not [call for call in _calls(env) if call[0] == "POST"]


def test_a_dry_run_reads_past_the_limit_too(env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    """A COQL query is a POST that writes nothing: a read-only (dry-run) client may send it."""
    dry = connect(env.connection, client=env.zoho.http.client, clock=env.clock, read_only=True)
    _limit(monkeypatch, 400)
    assert len(list(dry.crm.records("Contacts", fields=FIELDS))) == 500
    with pytest.raises(ReadOnly):
        dry.crm.update(
            "Contacts", [{"id": next(iter(env.tenant.crm.records["Contacts"])), "Email": "x@y.com"}]
        )
