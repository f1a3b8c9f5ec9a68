"""Records in the orders a list reads them, so that a page costs a page, not the module.

A list call asks for one page of a module in some order, often filtered. Copying and sorting the
whole module for every page made paging through a module quadratic. Instead:

- ``Selection`` is a lazy result: it yields rows in order, and ``page()`` reads only as far as the
  page (and one row past it, to tell whether there are more);
- id order needs no index: a module's dict holds its records in id order (ids grow with
  creation), and ``reversed()`` walks it backwards for free;
- ``TimeOrder`` keeps a module's records sorted by ``Created_Time`` or ``Modified_Time`` (ties by
  id), updated as records are written; it is built the first time a list asks for that order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from itertools import islice
from typing import Any

from sortedcontainers import SortedList

Row = dict[str, Any]


class Selection:
    """Rows in order, read lazily; also a read-only sequence (``len``, slices) for simple callers."""

    def __init__(self, rows: Callable[[], Iterator[Row]], *, size: int | None = None) -> None:
        self._rows = rows
        self._size = size

    @classmethod
    def of(cls, rows: list[Row]) -> Selection:
        return cls(lambda: iter(rows), size=len(rows))

    def filtered(self, keep: Callable[[Row], bool]) -> Selection:
        return Selection(lambda: filter(keep, self._rows()))

    def page(self, offset: int, count: int) -> tuple[list[Row], bool]:
        """The ``count`` rows from ``offset``, and whether any row follows them."""
        rows = list(islice(self._rows(), offset, offset + count + 1))
        return rows[:count], len(rows) > count

    def __iter__(self) -> Iterator[Row]:
        return self._rows()

    def __len__(self) -> int:
        if self._size is None:
            self._size = sum(1 for _ in self._rows())
        return self._size

    def __bool__(self) -> bool:
        return next(self._rows(), None) is not None

    def __getitem__(self, where: slice) -> list[Row]:
        if not isinstance(where, slice) or where.step not in (None, 1):
            raise TypeError("a Selection takes plain slices")
        start, stop = where.start or 0, where.stop
        if start < 0 or (stop is not None and stop < 0):
            return list(self)[where]
        return list(islice(self._rows(), start, stop))


class TimeOrder:
    """One module's records by ``(field, id)``: ``Created_Time`` or ``Modified_Time``."""

    def __init__(self, field: str, records: Iterable[Row]) -> None:
        self.field = field
        self._keys: SortedList = SortedList(self._key(row) for row in records)

    def add(self, row: Row) -> None:
        self._keys.add(self._key(row))

    def discard(self, row: Row) -> None:
        self._keys.discard(self._key(row))

    def ids(self, *, descending: bool) -> Iterator[str]:
        keys = reversed(self._keys) if descending else iter(self._keys)
        return (str(record_id) for _, record_id in keys)

    def ids_after(self, when: datetime) -> list[int]:
        """The ids of records whose time is after ``when``, in time order."""
        start = self._keys.bisect_right((when, float("inf")))
        return [record_id for _, record_id in self._keys.islice(start)]

    def _key(self, row: Row) -> tuple[datetime, int]:
        return row[self.field], int(row["id"])
