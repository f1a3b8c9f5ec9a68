"""Property: no sequence of API calls made with one org's token changes another org."""

from __future__ import annotations

from collections.abc import Iterator

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulator.app import create_app
from simulator.tenants import Sizes, Tenant
from simulator.testing import build_simulator, in_process_client

SMALL = Sizes(accounts=4, contacts=6, vendors=2, products=3, books_overlap=0.5, books_extra=2)
MODULES = ("Accounts", "Contacts", "Vendors", "Products")


@pytest.fixture(scope="module")
def world() -> Iterator[tuple[list[str], object, Tenant, Tenant, str]]:
    sim = build_simulator(seed=3)
    mine, theirs = (
        sim.create_tenant(sizes=SMALL, tenant_id="a"),
        sim.create_tenant(seed=4, sizes=SMALL, tenant_id="b"),
    )
    token = sim.accounts.refresh(
        client_id=mine.client.client_id,
        client_secret=mine.client.client_secret,
        refresh_token=mine.refresh_token.token,
    ).token
    targets = _ids(theirs) + _ids(mine)[:5] + ["1", "999999999999999999"]
    with in_process_client(create_app(sim)) as client:
        yield targets, client, mine, theirs, token


def _ids(tenant: Tenant) -> list[str]:
    state = tenant.export_state()
    return sorted(set(_digit_strings(state)))[:40]


def _digit_strings(value: object) -> Iterator[str]:
    if isinstance(value, dict):
        for item in value.values():
            yield from _digit_strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _digit_strings(item)
    elif isinstance(value, str) and value.isdigit() and len(value) >= 15:
        yield value


def _calls(targets: list[str], orgs: list[str]) -> st.SearchStrategy[list[tuple[str, str, dict, object]]]:
    target = st.sampled_from(targets)
    org = st.sampled_from(orgs)
    body = st.sampled_from([{"Account_Name": "X"}, {"contact_name": "Y"}, {"name": "Z", "rate": 1}, {}])
    crm = st.builds(
        lambda method, module, rid, fields: (
            method,
            f"/crm/v8/{module}/{rid}",
            {},
            {"data": [{"id": rid, **fields}]},
        ),
        st.sampled_from(["GET", "PUT", "DELETE"]),
        st.sampled_from(MODULES),
        target,
        body,
    )
    crm_bulk = st.builds(
        lambda method, module, rid: (
            method,
            f"/crm/v8/{module}",
            {"ids": rid},
            {"data": [{"id": rid, "Phone": "1"}]},
        ),
        st.sampled_from(["PUT", "DELETE", "POST"]),
        st.sampled_from(MODULES),
        target,
    )
    books = st.builds(
        lambda method, path, rid, organization, fields: (
            method,
            path.format(rid),
            {"organization_id": organization},
            {"contact_id": rid, **fields},
        ),
        st.sampled_from(["GET", "PUT", "DELETE", "POST"]),
        st.sampled_from(
            [
                "/books/v3/contacts/{}",
                "/books/v3/items/{}",
                "/books/v3/contacts/{}/inactive",
                "/books/v3/contacts/contactpersons/{}",
                "/books/v3/contacts/contactpersons/{}/primary",
                "/books/v3/contacts",
                "/books/v3/items",
            ]
        ),
        target,
        org,
        body,
    )
    return st.lists(st.one_of(crm, crm_bulk, books), min_size=1, max_size=8)


@settings(max_examples=40)
@given(data=st.data())
def test_one_tenants_token_never_changes_another_tenant(world, data: st.DataObject) -> None:
    targets, client, mine, theirs, token = world
    before = orjson.dumps(theirs.export_state())
    orgs = [theirs.books.organization_id, mine.books.organization_id, "0"]
    for method, path, params, body in data.draw(_calls(targets, orgs)):
        reply = client.request(
            method, path, params=params, json=body, headers={"Authorization": f"Zoho-oauthtoken {token}"}
        )
        assert reply.status_code < 500, (method, path, reply.text)
    assert orjson.dumps(theirs.export_state()) == before
