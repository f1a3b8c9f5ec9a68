"""A stored Books address: one slotted object instead of a dict.

Every address a contact holds (billing, shipping, each additional one) has the same eleven keys,
``address_id`` first. As a dict that is a hash table of its own, about 520 bytes with its keys
block; a seeded org of a million CRM records holds a quarter of a million of them. Here it is one
object of eleven slots (about 120 bytes), read as the dict it replaces (a read-only ``Mapping``
in the same key order: ``address["city"]``, ``dict(address)``, ``{**address}``, ``==`` against a
dict). It is a dataclass, so ``fastdict.asdict`` and state exports write it as that same dict.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, fields


@dataclass(slots=True, eq=False)  # eq: Mapping's, so an address equals the dict it used to be
class Address(Mapping[str, str]):
    address_id: str
    attention: str = ""
    address: str = ""
    street2: str = ""
    state_code: str = ""
    city: str = ""
    state: str = ""
    zip: str = ""
    country: str = ""
    fax: str = ""
    phone: str = ""

    def __getitem__(self, key: str) -> str:
        if key not in _KEYS:
            raise KeyError(key)
        return getattr(self, key)

    def __iter__(self) -> Iterator[str]:
        return iter(_NAMES)

    def __len__(self) -> int:
        return len(_NAMES)

    def update(self, values: Mapping[str, str]) -> None:
        """Set the given keys (an address's keys are fixed: an unknown one is a ``KeyError``)."""
        for key, value in values.items():
            if key not in _KEYS:
                raise KeyError(key)
            setattr(self, key, value)


_NAMES = tuple(field.name for field in fields(Address))
_KEYS = frozenset(_NAMES)
#: An address's keys after ``address_id``, in the order replies show them.
ADDRESS_KEYS = _NAMES[1:]
