"""Records in the orders a list reads them, so that a page costs a page, not the module.

A list call asks for one page of a module in some order, often filtered. Copying and sorting the
whole module for every page made paging through a module quadratic. Instead:

- ``Selection`` is a lazy result: it yields rows in order, and ``page()`` reads only as far as the
  page (and one row past it, to tell whether there are more);
- id order needs no index: a module's dict holds its records in id order (ids grow with
  creation), and ``reversed()`` walks it backwards for free;
- ``FieldOrder`` keeps a module's records sorted by one field (``Created_Time``, ``Modified_Time``,
  or a view's sort field), ties by id, updated as records are written; it is built the first time
  a list asks for that order;
- ``KeptOrder`` keeps records (Books' contacts and items) sorted by a key computed from the whole
  record. Those records change in place, so it remembers the key each one was filed under.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from itertools import islice
from typing import Any, Generic, TypeVar

from sortedcontainers import SortedList

Row = Mapping[str, Any]
#: What a ``Selection`` holds: a CRM record (``simulator.crm.record.CrmRecord``) or a Books record.
T = TypeVar("T")


class Selection(Generic[T]):
    """Rows in order, read lazily; also a read-only sequence (``len``, slices) for simple callers."""

    def __init__(self, rows: Callable[[], Iterator[T]], *, size: int | None = None) -> None:
        self._rows = rows
        self._size = size

    @classmethod
    def of(cls, rows: list[T]) -> Selection[T]:
        return cls(lambda: iter(rows), size=len(rows))

    def filtered(self, keep: Callable[[T], bool]) -> Selection[T]:
        return Selection(lambda: filter(keep, self._rows()))

    def page(self, offset: int, count: int) -> tuple[list[T], bool]:
        """The ``count`` rows from ``offset``, and whether any row follows them."""
        rows = list(islice(self._rows(), offset, offset + count + 1))
        return rows[:count], len(rows) > count

    def __iter__(self) -> Iterator[T]:
        return self._rows()

    def __len__(self) -> int:
        if self._size is None:
            self._size = sum(1 for _ in self._rows())
        return self._size

    def __bool__(self) -> bool:
        return next(self._rows(), None) is not None

    def __getitem__(self, where: slice) -> list[T]:
        if not isinstance(where, slice) or where.step not in (None, 1):
            raise TypeError("a Selection takes plain slices")
        start, stop = where.start or 0, where.stop
        if start < 0 or (stop is not None and stop < 0):
            return list(self)[where]
        return list(islice(self._rows(), start, stop))


class FieldOrder:
    """One module's records by one field's value, ties by id; records without a value come last,
    in id order, whichever way the rest runs (as Zoho lists them)."""

    def __init__(self, field: str, key: Callable[[Any], Any], records: Iterable[Row]) -> None:
        self.field = field
        self._key = key
        self._present: SortedList = SortedList()
        self._absent: SortedList = SortedList()
        for row in records:
            self.add(row)

    def add(self, row: Row) -> None:
        value = row.get(self.field)
        if value is None:
            self._absent.add(int(row["id"]))
        else:
            self._present.add((self._key(value), int(row["id"])))

    def discard(self, row: Row) -> None:
        value = row.get(self.field)
        if value is None:
            self._absent.discard(int(row["id"]))
        else:
            self._present.discard((self._key(value), int(row["id"])))

    def ids(self, *, descending: bool) -> Iterator[str]:
        present = reversed(self._present) if descending else iter(self._present)
        yield from (str(record_id) for _, record_id in present)
        yield from (str(record_id) for record_id in self._absent)

    def ids_after(self, value: Any) -> list[int]:
        """The ids of records whose value is after ``value``, in value order."""
        start = self._present.bisect_right((self._key(value), float("inf")))
        return [record_id for _, record_id in self._present.islice(start)]


class KeptOrder:
    """Records sorted by ``key(record)`` (a key unique to each record: ties broken inside it).

    A record changed in place is moved by ``update``: the order remembers the key it filed each
    record under, so no caller needs to announce a change before making it."""

    def __init__(self, key: Callable[[Any], Any], records: Mapping[str, Any]) -> None:
        self._key = key
        self._filed: dict[str, Any] = {}
        self._sorted: SortedList = SortedList()
        for record_id, record in records.items():
            self.update(record_id, record)

    def update(self, record_id: str, record: Any | None) -> None:
        """File the record under its current key; ``None`` takes a deleted record out."""
        old = self._filed.get(record_id)
        key = None if record is None else self._key(record)
        if old is not None and key == old:
            return
        if old is not None:
            self._sorted.discard((old, record_id))
            del self._filed[record_id]
        if record is not None:
            self._filed[record_id] = key
            self._sorted.add((key, record_id))

    def ids(self, *, descending: bool) -> Iterator[str]:
        entries = reversed(self._sorted) if descending else iter(self._sorted)
        return (record_id for _, record_id in entries)
