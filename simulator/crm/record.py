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

A contact's ``Full_Name`` is read-only and, after every write through the model, the join of
``First_Name`` and ``Last_Name`` (``full_name``). When the stored value is exactly that join, its
cell holds a shared marker instead of a string of its own, and a read derives the name again
(about 45 MB for a seeded million). Every write re-checks it, so the record reads exactly as the
dict of its values would, whatever is written, directly or not.

Each record may also hold its rendered form for one field list (``rendered``, filled by
``render.py``); any write to the record drops it, so a cached rendering never outlives a change.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, MutableMapping
from typing import Any

from simulator.crm.metadata import MODULES

#: The marker in a cell whose value is derived from the record's other fields on read. It is
#: ``Ellipsis``: never a JSON value, one object across copies and pickles, and not tracked by the
#: GC, so a tuple holding it is untracked like any other tuple of plain values (an instance of a
#: class of our own would keep 740,000 contacts' tuples in every full collection of a seeded million).
DERIVED = Ellipsis
#: The fields whose cell may hold ``DERIVED``: read them through ``get``, never from ``cells``.
DERIVED_NAMES = frozenset({"Full_Name"})


def full_name(record: Mapping[str, Any]) -> str:
    """A contact's ``Full_Name``: its first and last names, those present, joined by a space."""
    return " ".join(part for part in (record.get("First_Name"), record.get("Last_Name")) if part)


def _derivable(present: Mapping[str, Any]) -> bool:
    """Whether a contact's stored ``Full_Name`` is exactly what ``full_name`` gives."""
    parts = (present.get("First_Name"), present.get("Last_Name"))
    return all(part is None or isinstance(part, str) for part in parts) and (
        present.get("Full_Name") == full_name(present)
    )


class Shape:
    """Which fields a record has (``names``, in layout order) and each one's position."""

    __slots__ = ("derives", "index", "layout", "module", "names")

    def __init__(self, module: str, names: tuple[str, ...], layout: Mapping[str, int]) -> None:
        self.module = module
        self.names = names
        self.index = {name: position for position, name in enumerate(names)}
        self.layout = layout  # every name a record of the module may hold -> its rank
        #: The fields a write must re-check ``Full_Name`` for (empty: nothing is derived).
        self.derives = _NAME_PARTS if module == "Contacts" and "Full_Name" in self.index else frozenset()


_NAME_PARTS = frozenset({"First_Name", "Last_Name", "Full_Name"})


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
    cells: tuple[Any, ...]
    shape: Shape

    def __init__(self, module: str, values: Mapping[str, Any] | Iterable[tuple[str, Any]] = ()) -> None:
        layout = _layout(module)
        present = {key: value for key, value in dict(values).items() if value is not None}
        for key in present:
            if key not in layout:
                raise KeyError(f"{key!r} is not a field of {module}")
        self.rendered: Any = None
        self._store(module, present)

    def __getitem__(self, key: str) -> Any:
        value = self.cells[self.shape.index[key]]
        return full_name(self) if value is DERIVED else value

    def get(self, key: str, default: Any = None) -> Any:
        position = self.shape.index.get(key)
        if position is None:
            return default
        value = self.cells[position]
        return full_name(self) if value is DERIVED else value

    def __contains__(self, key: object) -> bool:
        return key in self.shape.index

    def __setitem__(self, key: str, value: Any) -> None:
        if value is None:
            self.pop(key, None)
            return
        shape = self.shape
        position = shape.index.get(key)
        if position is not None and key not in shape.derives:
            self.cells = (*self.cells[:position], value, *self.cells[position + 1 :])
        elif key not in shape.layout:
            raise KeyError(f"{key!r} is not a field of {shape.module}")
        else:
            self._store(shape.module, {**self, key: value})
        self.rendered = None

    def __delitem__(self, key: str) -> None:
        present = dict(self)
        del present[key]
        self._store(self.shape.module, present)
        self.rendered = None

    def _store(self, module: str, present: dict[str, Any]) -> None:
        """Hold ``present`` (no ``None`` values): its shape, and its values with ``Full_Name``
        marked as derived when it is."""
        names = tuple(sorted(present, key=_layout(module).__getitem__))
        self.shape = shape = _shape(module, names)
        if shape.derives and _derivable(present):
            present = {**present, "Full_Name": DERIVED}
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
