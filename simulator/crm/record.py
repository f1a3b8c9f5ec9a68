"""A stored CRM record in a compact form: its present values in one tuple, their names shared.

A plain dict of 20-30 keys costs about 830 bytes before its values (a 64-entry hash table), and a
seeded org holds a million of them. A record here is three slots: a ``Shape`` (which fields are
present, in the module's field order, and where each one's value sits), a tuple of those values,
and its cached rendering. Records with the same fields present share one ``Shape``, the way
CPython's split dicts or a JavaScript engine's hidden classes share keys, so a record costs its
values and about 100 bytes (a seeded contact: ~270 bytes instead of ~900).

It behaves as the dict it replaces (``MutableMapping``): a field holds a value or is absent, so
``record[name] = None`` removes the field, as the model's writes always did (they store no
``None``). Iteration follows the module's field order, ``id`` first. A write makes a new tuple
(and finds the shape of the new field set): writes are rare next to reads.

Each record may also hold its rendered form for one field list (``rendered``, filled by
``render.py``); any write to the record drops it, so a cached rendering never outlives a change.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, MutableMapping
from typing import Any

from simulator.crm.metadata import MODULES


class Shape:
    """Which fields a record has (``names``, in layout order) and each one's position."""

    __slots__ = ("index", "layout", "module", "names")

    def __init__(self, module: str, names: tuple[str, ...], layout: Mapping[str, int]) -> None:
        self.module = module
        self.names = names
        self.index = {name: position for position, name in enumerate(names)}
        self.layout = layout  # every name a record of the module may hold -> its rank


_SHAPES: dict[tuple[str, tuple[str, ...]], Shape] = {}
_LAYOUTS: dict[str, dict[str, int]] = {}


def _shape(module: str, names: tuple[str, ...]) -> Shape:
    found = _SHAPES.get((module, names))
    if found is None:
        found = _SHAPES[(module, names)] = Shape(module, names, _layout(module))
    return found


def _layout(module: str) -> dict[str, int]:
    """``id``, the module's fields in their order, then ``Tag`` (the module definitions are static)."""
    found = _LAYOUTS.get(module)
    if found is None:
        names = ("id", *(f.api_name for f in MODULES[module].fields), "Tag")
        found = _LAYOUTS[module] = {name: rank for rank, name in enumerate(names)}
    return found


class CrmRecord(MutableMapping[str, Any]):
    """A record of one module; see the module docstring."""

    __slots__ = ("cells", "rendered", "shape")

    def __init__(self, module: str, values: Mapping[str, Any] | Iterable[tuple[str, Any]] = ()) -> None:
        layout = _layout(module)
        present = {key: value for key, value in dict(values).items() if value is not None}
        for key in present:
            if key not in layout:
                raise KeyError(f"{key!r} is not a field of {module}")
        names = tuple(sorted(present, key=layout.__getitem__))
        self.shape = _shape(module, names)
        self.cells = tuple(present[name] for name in names)
        self.rendered: Any = None

    def __getitem__(self, key: str) -> Any:
        return self.cells[self.shape.index[key]]

    def get(self, key: str, default: Any = None) -> Any:
        position = self.shape.index.get(key)
        return default if position is None else self.cells[position]

    def __contains__(self, key: object) -> bool:
        return key in self.shape.index

    def __setitem__(self, key: str, value: Any) -> None:
        if value is None:
            self.pop(key, None)
            return
        shape = self.shape
        position = shape.index.get(key)
        if position is not None:
            self.cells = (*self.cells[:position], value, *self.cells[position + 1 :])
        elif key not in shape.layout:
            raise KeyError(f"{key!r} is not a field of {shape.module}")
        else:
            self._reshape({**dict(zip(shape.names, self.cells, strict=True)), key: value})
        self.rendered = None

    def __delitem__(self, key: str) -> None:
        present = dict(zip(self.shape.names, self.cells, strict=True))
        del present[key]
        self._reshape(present)
        self.rendered = None

    def _reshape(self, present: dict[str, Any]) -> None:
        layout = self.shape.layout
        names = tuple(sorted(present, key=layout.__getitem__))
        self.shape = _shape(self.shape.module, names)
        self.cells = tuple(present[name] for name in names)

    def __iter__(self) -> Iterator[str]:
        return iter(self.shape.names)

    def __len__(self) -> int:
        return len(self.cells)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Mapping):
            return NotImplemented
        return dict(self.items()) == dict(other.items())

    __hash__ = None  # type: ignore[assignment]  # mutable, like the dict it replaces

    def __repr__(self) -> str:
        return f"CrmRecord({self.shape.module!r}, {dict(self.items())!r})"
