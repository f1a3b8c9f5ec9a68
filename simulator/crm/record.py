"""A stored CRM record in a compact form: one slot per field of its module, no per-record table.

A plain dict of 20-30 keys costs about 830 bytes before its values (a 64-entry hash table), and a
seeded org holds a million of them. A record here is an instance of a class made once per module
(``record_class``) whose ``__slots__`` are ``id``, the module's fields and ``Tag``: the names live
once, in the class, and a record is its values only (about 300-370 bytes).

It behaves as the dict it replaces (``MutableMapping``): a field holds a value or is absent, and
absence is ``None`` in the slot, so ``record[name] = None`` removes the field, as the model's writes
always did (they store no ``None``). Iteration follows the module's field order, ``id`` first.

Each record may also hold its rendered form for one field list (``rendered``, filled by
``render.py``); any write to the record drops it, so a cached rendering never outlives a change.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, MutableMapping
from typing import Any, ClassVar

from simulator.crm.metadata import MODULES, ModuleDef


class CrmRecord(MutableMapping[str, Any]):
    """Base of the per-module record classes; see the module docstring."""

    __slots__ = ("rendered",)
    #: The slot names of the module's records, in iteration order.
    names: ClassVar[tuple[str, ...]] = ()
    known: ClassVar[frozenset[str]] = frozenset()
    module: ClassVar[str] = ""

    def __init__(self, values: Mapping[str, Any] | Iterable[tuple[str, Any]] = ()) -> None:
        for name in self.names:
            setattr(self, name, None)
        self.rendered: Any = None
        self.update(values)

    def __getitem__(self, key: str) -> Any:
        value = getattr(self, key, None) if key in self.known else None
        if value is None:
            raise KeyError(key)
        return value

    def get(self, key: str, default: Any = None) -> Any:
        value = getattr(self, key) if key in self.known else None
        return default if value is None else value

    def __contains__(self, key: object) -> bool:
        return key in self.known and getattr(self, key) is not None  # type: ignore[arg-type]

    def __setitem__(self, key: str, value: Any) -> None:
        if key not in self.known:
            raise KeyError(f"{key!r} is not a field of {self.module}")
        setattr(self, key, value)
        self.rendered = None

    def __delitem__(self, key: str) -> None:
        if key not in self:
            raise KeyError(key)
        setattr(self, key, None)
        self.rendered = None

    def __iter__(self) -> Iterator[str]:
        return (name for name in self.names if getattr(self, name) is not None)

    def __len__(self) -> int:
        return sum(getattr(self, name) is not None for name in self.names)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Mapping):
            return NotImplemented
        return dict(self.items()) == dict(other.items())

    __hash__ = None  # type: ignore[assignment]  # mutable, like the dict it replaces

    def __repr__(self) -> str:
        return f"{type(self).__name__}({dict(self.items())!r})"

    def copy(self) -> dict[str, Any]:
        """A plain dict of the present fields (what ``dict.copy`` gave callers before)."""
        return dict(self.items())


_CLASSES: dict[str, type[CrmRecord]] = {}


def record_class(module: ModuleDef) -> type[CrmRecord]:
    """The record class of ``module``, made on first use (the module definitions are static)."""
    found = _CLASSES.get(module.api_name)
    if found is None:
        names = ("id", *(f.api_name for f in module.fields), "Tag")
        attributes = {"__slots__": names, "names": names, "known": frozenset(names)}
        attributes["module"] = module.api_name
        found = type(f"{module.api_name}Record", (CrmRecord,), attributes)
        _CLASSES[module.api_name] = found
    return found


def make_record(module: str, values: Mapping[str, Any] | Iterable[tuple[str, Any]] = ()) -> CrmRecord:
    """A record of ``module`` holding ``values`` (``None`` values are left absent)."""
    return record_class(MODULES[module])(values)
