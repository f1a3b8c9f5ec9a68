"""The slotted Books address (``address.py``) against the dict it replaced.

A plain dict per address is the oracle: random edits through the model (billing and shipping
replaced whole, additional addresses added and edited key by key) must leave every reply and the
state export exactly as the dict form gave them, and a store written with dict addresses loads.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from simulator.books import addresses
from simulator.books.address import ADDRESS_KEYS, Address
from simulator.books.models import BooksOrg
from simulator.books.records import OrgProfile
from simulator.clock import Clock
from simulator.fastdict import asdict
from simulator.ids import IdSequence

START = datetime(2026, 1, 15, 9, 0, 0, tzinfo=UTC)
#: A body's address: some of the keys, as text, numbers (Books stores their text) or null ("").
BODIES = st.dictionaries(
    st.sampled_from(ADDRESS_KEYS),
    st.one_of(st.text(max_size=6), st.integers(-99, 99), st.none()),
    max_size=5,
)
STEPS = st.one_of(
    st.tuples(st.sampled_from(("billing_address", "shipping_address", "add")), st.just(0), BODIES),
    st.tuples(st.just("edit"), st.integers(0, 3), BODIES),
)


def _org() -> BooksOrg:
    profile = OrgProfile(
        name="Zillum",
        contact_name="John Smith",
        email="john@zillum.com",
        account_created_date="2022-02-18",
        currency_id="4150868000000000097",
    )
    clock = Clock(start=START, frozen=True)
    return BooksOrg(organization_id="10234695", profile=profile, clock=clock, ids=IdSequence(prefix=4150868))


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _as_dict(address_id: str, body: dict[str, Any]) -> dict[str, str]:
    """What the dict form held: ``address_id``, then every key, the given ones parsed."""
    return {"address_id": address_id, **{key: _text(body.get(key)) for key in ADDRESS_KEYS}}


@given(first=BODIES, steps=st.lists(STEPS, max_size=10))
def test_addresses_show_and_export_as_the_dicts_they_replaced(
    first: dict[str, Any], steps: list[tuple[str, int, dict[str, Any]]]
) -> None:
    org = _org()
    contact = org.create_contact({"contact_name": "Bowman", "billing_address": first})
    expected = {
        "billing_address": _as_dict(contact.billing_address.address_id, first),
        "shipping_address": _as_dict(contact.shipping_address.address_id, {}),
    }
    additional: list[dict[str, str]] = []
    for kind, position, body in steps:
        if kind == "add":
            added = addresses.add_address(org, contact.contact_id, body)
            additional.append(_as_dict(added["address_id"], body))
        elif kind == "edit" and additional:
            edited = additional[position % len(additional)]
            addresses.update_address(org, contact.contact_id, edited["address_id"], body)
            edited.update({key: _text(value) for key, value in body.items()})
        elif kind != "edit":
            org.update_contact(contact.contact_id, {kind: body})
            expected[kind] = _as_dict(expected[kind]["address_id"], body)
    detail = contact.to_api(org.time_zone)
    assert orjson.dumps([detail["billing_address"], detail["shipping_address"], detail["addresses"]]) == (
        orjson.dumps([expected["billing_address"], expected["shipping_address"], additional])
    )
    listed = addresses.list_addresses(org, contact.contact_id)
    assert orjson.dumps(listed) == orjson.dumps([*expected.values(), *additional])
    exported = asdict(contact)
    assert [exported["billing_address"], exported["shipping_address"], exported["addresses"]] == [
        *expected.values(),
        additional,
    ]
    restored = BooksOrg.from_json(orjson.loads(orjson.dumps(org.to_json())), clock=org.clock)
    assert orjson.dumps(restored.to_json()) == orjson.dumps(org.to_json())
    assert isinstance(restored.contacts[contact.contact_id].billing_address, Address)


@given(body=BODIES, edit=BODIES)
def test_an_address_reads_as_its_dict(body: dict[str, Any], edit: dict[str, Any]) -> None:
    plain = _as_dict("1", body)
    address = Address(**plain)
    assert address == plain and plain == dict(address) and {**address} == plain
    assert list(address) == list(plain) and len(address) == len(plain)
    assert all(address[key] == plain[key] and address.get(key) == plain.get(key) for key in plain)
    changes = {key: _text(value) for key, value in edit.items()}
    address.update(changes)
    plain.update(changes)
    assert address == plain and list(address.items()) == list(plain.items())


def test_an_address_has_no_other_keys() -> None:
    address = Address("1")
    with pytest.raises(KeyError):
        address["zipcode"]
    with pytest.raises(KeyError):
        address.update({"zipcode": "1"})
    assert address.get("zipcode") is None and "zipcode" not in address


def test_a_store_with_dict_addresses_and_none_additional_loads() -> None:
    """A contact as an older store wrote it: dict addresses, no ``addresses`` key."""
    org = _org()
    contact = org.create_contact({"contact_name": "Bowman", "billing_address": {"city": "Tern"}})
    data = orjson.loads(orjson.dumps(org.to_json()))
    del data["contacts"][0]["addresses"]
    restored = BooksOrg.from_json(data, clock=org.clock).contacts[contact.contact_id]
    assert restored.billing_address == contact.billing_address and restored.addresses == []
    assert restored.to_api(org.time_zone) == contact.to_api(org.time_zone)
