"""Books records by the values selective filters ask for, kept on write, so a page costs a page.

A list reads its sort order (``KeptOrder``) and filters while it reads. When few records match
(``zcrm_account_id=...``, ``filter_by=Status.Duplicate``, an ``Invoice.OverDue`` that nothing
matches), that read would go through most of the org to fill a page. A ``KeptIndex`` holds, for
each value, the ids of the records that have it, so the list knows its candidates up front:

- ``Candidates.read`` reads the sort order only as long as it costs less than the candidates do
  (as many rows as there are candidates); if the page is not full by then, it sorts the
  candidates instead. Either way it costs about the smaller of the two, never the org;
- the results are exactly the plain scan's: the index only narrows which records are read, and
  every filter still runs on each of them.

``BooksIndexes`` holds an org's kept orders and indexes, builds each on first use and refiles a
record in all of them after every write (``BooksOrg.reindex``). It keeps no reference to the org
(tables are passed in), so dropping an org frees it by reference counting, frozen or not.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Hashable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from itertools import islice
from typing import Any, TypeVar

from sortedcontainers import SortedDict

from simulator.books.records import Contact, Item
from simulator.orders import KeptOrder

T = TypeVar("T")
#: The keys one record is filed under (most indexes: one key; a contact's persons: one each).
Keys = Callable[[Any], tuple[Hashable, ...]]
_NONE: frozenset[str] = frozenset()


class KeptIndex:
    """Record ids by key: ``ids(key)`` are the records ``keys(record)`` filed under ``key``.

    Like ``KeptOrder``, it remembers the keys it filed each record under, so a record changed in
    place is refiled by ``update`` without anyone announcing the change first. It also keeps which
    keys more than one record is filed under (``shared``: duplicates). With ``order``, its keys
    are kept sorted by it (``keys_in_order``). A key with one record holds that record's id
    itself, not a set of one: most keys of a name or person index have one record, and a set
    would take ~200 bytes each."""

    def __init__(
        self, keys: Keys, records: Mapping[str, Any], *, order: Callable[[Any], Any] | None = None
    ) -> None:
        self._keys = keys
        self._filed: dict[str, tuple[Hashable, ...]] = {}
        self._ids: dict[Hashable, str | set[str]] = {} if order is None else SortedDict(order)  # type: ignore[assignment]
        self._shared_keys: set[Hashable] = set()
        for record_id, record in records.items():
            self.update(record_id, record)

    def update(self, record_id: str, record: Any | None) -> None:
        """File the record under its current keys; ``None`` takes a deleted record out."""
        old = self._filed.get(record_id, ())
        new = () if record is None else self._keys(record)
        if new == old:
            return
        for key in old:
            self._unfile(key, record_id)
        for key in new:
            self._file(key, record_id)
        if new:
            self._filed[record_id] = new
        else:
            self._filed.pop(record_id, None)

    def __eq__(self, other: object) -> bool:
        """The same records filed under the same keys (a kept index equals one built afresh)."""
        if not isinstance(other, KeptIndex):
            return NotImplemented
        return (self._filed, dict(self._ids), self._shared_keys) == (
            other._filed,
            dict(other._ids),
            other._shared_keys,
        )

    def ids(self, key: Hashable) -> Collection[str]:
        found = self._ids.get(key)
        if found is None:
            return _NONE
        return (found,) if isinstance(found, str) else found

    def shared(self) -> set[str]:
        """The records filed under a key that another record is filed under too."""
        return set().union(*(self.ids(key) for key in self._shared_keys))

    def keys_in_order(self) -> Iterator[Any]:
        """The keys in ``order`` (an index built with one)."""
        assert isinstance(self._ids, SortedDict), "keys_in_order needs an index built with an order"
        return iter(self._ids.keys())

    def _file(self, key: Hashable, record_id: str) -> None:
        found = self._ids.get(key)
        if found is None:
            self._ids[key] = record_id
        elif isinstance(found, set):
            found.add(record_id)
        elif found != record_id:
            self._ids[key] = {found, record_id}
            self._shared_keys.add(key)

    def _unfile(self, key: Hashable, record_id: str) -> None:
        found = self._ids.get(key)
        if isinstance(found, set):
            found.discard(record_id)
            if len(found) == 1:
                (self._ids[key],) = found
                self._shared_keys.discard(key)
        elif found == record_id:  # (None: a key the record listed twice, already taken out)
            del self._ids[key]


#: One tuple object per distinct value of a low-cardinality key (statuses, types), shared by all
#: the records filed under it, instead of a tuple per record.
_TUPLES: dict[tuple[Hashable, ...], tuple[Hashable, ...]] = {}


def _shared(keys: tuple[Hashable, ...]) -> tuple[Hashable, ...]:
    return _TUPLES.setdefault(keys, keys)


def _linked(field: str) -> Keys:
    """A CRM link field (``zcrm_account_id``, ...); unlinked records (most) are filed nowhere."""
    return lambda record: (value,) if (value := getattr(record, field)) else ()


#: The ``filter_by`` values a contact can match, other than ``Status.All`` and ``Status.Duplicate``
#: (those depend on no one contact alone). Overdue, unpaid and over-limit contacts need
#: transactions, which the simulator has none of: no contact is ever filed under them.
CONTACT_STATUSES: dict[str, Callable[[Contact], bool]] = {
    "Status.Active": lambda c: c.status == "active",
    "Status.Inactive": lambda c: c.status == "inactive",
    "Status.PortalEnabled": lambda c: c.is_portal_enabled,
    "Status.PortalDisabled": lambda c: not c.is_portal_enabled,
    "Status.Crm": lambda c: c.is_linked_with_zohocrm,
}
CRM_LINKS = ("zcrm_account_id", "zcrm_contact_id", "zcrm_vendor_id")


def name_key(contact: Contact) -> tuple[str, str]:
    """What makes two contacts duplicates for ``Status.Duplicate``: type and name, any case."""
    return contact.contact_type, contact.contact_name.lower()


#: Each index: what a record is filed under, and the order its keys are kept in (or None).
INDEXES: dict[str, dict[str, tuple[Keys, Callable[[Any], Any] | None]]] = {
    "contact": {
        "status": (
            lambda c: _shared(tuple(name for name, holds in CONTACT_STATUSES.items() if holds(c))),
            None,
        ),
        "contact_type": (lambda c: _shared((c.contact_type,)), None),
        "name": (lambda c: (name_key(c),), None),
        **{link: (_linked(link), None) for link in CRM_LINKS},
        "person": (lambda c: tuple(p.contact_person_id for p in c.contact_persons), int),
    },
    "item": {
        "status": (lambda i: _shared((i.status,)), None),
        "zcrm_product_id": (_linked("zcrm_product_id"), None),
    },
}


class BooksIndexes:
    """An org's kept sort orders by (entity, column) and indexes by (entity, name), each built on
    first use from the table it is given, then refiled by ``refile`` after every write of that
    entity."""

    def __init__(self) -> None:
        self._built: dict[tuple[str, str], KeptIndex] = {}
        self._orders: dict[tuple[str, str], KeptOrder] = {}

    def index(self, entity: str, name: str, table: Mapping[str, Any]) -> KeptIndex:
        found = self._built.get((entity, name))
        if found is None:
            keys, order = INDEXES[entity][name]
            found = self._built[(entity, name)] = KeptIndex(keys, table, order=order)
        return found

    def order(
        self,
        entity: str,
        column: str,
        table: Mapping[str, Any],
        sort_key: Callable[[str], Callable[[Any], Any]],
    ) -> KeptOrder:
        """The records of ``table`` by ``column``, whose key is ``sort_key(column)``."""
        found = self._orders.get((entity, column))
        if found is None:
            found = self._orders[(entity, column)] = KeptOrder(sort_key(column), table)
        return found

    def refile(self, entity: str, record_id: str, record: Contact | Item | None) -> None:
        for kept in (self._orders, self._built):
            for (kind, _), index in kept.items():
                if kind == entity:
                    index.update(record_id, record)


@dataclass(frozen=True)
class Indexed:
    """One entity of an org, for a list to narrow its read with: its records by id, and its kept
    indexes by name (``index`` builds one on first use)."""

    records: Mapping[str, Any]
    index: Callable[[str], KeptIndex]

    def narrowed(
        self, found: list[Collection[str]], sort_key: Callable[[str], Callable[[Any], Any]]
    ) -> Candidates | None:
        """The fewest of the candidate sets the filters ``found`` in indexes (None: no index applies)."""
        return Candidates(min(found, key=len), self.records, sort_key) if found else None


@dataclass(frozen=True)
class Candidates:
    """The only records a list's filters can match (``ids``), the table they are in, and the sort
    key of each column (which orders records as their kept order does)."""

    ids: Collection[str]
    records: Mapping[str, Any]
    sort_key: Callable[[str], Callable[[Any], Any]]

    def read(
        self,
        in_order: Iterable[T],
        match: Callable[[Iterable[T]], Iterator[T]],
        *,
        column: str,
        descending: bool,
        need: int,
    ) -> list[T]:
        """The first ``need`` records of ``in_order`` that ``match`` keeps: read from the order
        while that costs less than the candidates (as many rows as there are candidates), else
        from the candidates, sorted."""
        if not self.ids:
            return []
        found = list(islice(match(islice(in_order, len(self.ids))), need))
        if len(found) == need:
            return found
        key = self.sort_key(column)
        ranked = sorted((self.records[record_id] for record_id in self.ids), key=key, reverse=descending)
        return list(islice(match(ranked), need))
