"""Faker's draws, kept per generator state.

A seeder draws pools of names, streets and cities from Faker once per org, then composes its
records from them with its own ``random.Random``. Drawing the pools is most of the cost of seeding
a small org, and tests reset the same tenant with the same seed hundreds of times. Faker's output
depends only on its generator's state, so pools drawn from the same state are the same pools:
they are kept, and the generator is left in the state the drawing would have left it in, so
whatever is drawn next is drawn as before.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from faker import Faker

T = TypeVar("T")

#: How many (state, key) draws are kept: a few seeds and sizes in use at once.
_LIMIT = 16
_kept: OrderedDict[tuple[Any, Hashable], tuple[Any, Any]] = OrderedDict()
_lock = threading.Lock()  # tenants are seeded in worker threads


def drawn(fake: Faker, key: Hashable, build: Callable[[Faker], T]) -> T:
    """``build(fake)``, or what it returned before from the same state of ``fake`` and the same
    ``key`` (which must name everything else ``build`` depends on). Either way ``fake`` ends in
    the state ``build`` leaves it in. What ``build`` returns is shared: never change it."""
    state = fake.random.getstate()
    with _lock:
        kept = _kept.get((state, key))
        if kept is not None:
            _kept.move_to_end((state, key))
    if kept is not None:
        fake.random.setstate(kept[1])
        value: T = kept[0]
        return value
    value = build(fake)
    with _lock:
        _kept[(state, key)] = (value, fake.random.getstate())
        while len(_kept) > _LIMIT:
            _kept.popitem(last=False)
    return value
