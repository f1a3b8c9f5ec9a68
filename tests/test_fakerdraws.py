"""Faker's draws kept per generator state (``simulator.fakerdraws``): a seed gives the same org
whether its pools were drawn afresh or kept from an earlier seeding."""

from __future__ import annotations

import hashlib

import orjson
from faker import Faker

from simulator import fakerdraws
from simulator.clock import DEFAULT_START, Clock
from simulator.tenants import Sizes, seed_org_pair


def _names(fake: Faker) -> list[str]:
    return [fake.name() for _ in range(5)]


def _seeded(seed: object) -> Faker:
    fake = Faker("en_US")
    fake.seed_instance(seed)
    return fake


def test_a_kept_draw_leaves_the_generator_where_drawing_would() -> None:
    plain = _seeded(3)
    expected, after = _names(plain), plain.city()
    for _ in range(2):  # drawn afresh, then kept
        fake = _seeded(3)
        assert fakerdraws.drawn(fake, "test-names", _names) == expected
        assert fake.city() == after


def test_another_key_or_state_is_drawn_afresh() -> None:
    first = fakerdraws.drawn(_seeded(4), "test-a", _names)
    assert fakerdraws.drawn(_seeded(4), "test-b", lambda fake: [fake.city()]) != first
    assert fakerdraws.drawn(_seeded(5), "test-a", _names) != first


def _digest(seed: int) -> str:
    # extras: Books draws its extra customers from Faker after its pools
    sizes = Sizes(accounts=40, contacts=120, vendors=6, products=10)
    crm, books = seed_org_pair(seed=seed, sizes=sizes, clock=Clock(start=DEFAULT_START, frozen=True))
    return hashlib.sha256(orjson.dumps(crm.to_json()) + orjson.dumps(books.to_json())).hexdigest()


def test_an_org_seeded_from_kept_draws_is_the_org_seeded_afresh() -> None:
    fakerdraws._kept.clear()
    afresh = _digest(11)
    assert fakerdraws._kept  # the draws were kept
    assert _digest(11) == afresh
