"""What one run of one module sync knows: both sides as read, indexed once in memory, and kept
current as the run writes. Every lookup of the later stages (plan, apply, push) is by index: no
stage scans every row or every link for one record.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from syncer.clients import SyncClock, ZohoClients
from syncer.report import Report
from syncer.state import Indexed, Link, SyncState

PERSONS = "ContactPersons"


@dataclass
class Context:
    clients: ZohoClients
    state: SyncState
    clock: SyncClock
    report: Report


@dataclass
class World:
    """The indexes of one run. The Books index, the person links and the CRM keys live in the
    state store between runs (an incremental read returns only what changed); each is loaded from
    it once, on first use."""

    state: SyncState
    key: str  # the module sync's label
    kind: str  # the Books kind: customer, vendor or item
    books_rows: dict[str, dict[str, Any]] = field(default_factory=dict)  # list rows read this run
    fresh: dict[str, dict[str, Any]] = field(default_factory=dict)  # Books records as they are now
    crm_read: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)  # by module, by id
    read_whole: set[str] = field(default_factory=set)  # CRM modules read with no view this run
    contacts_by_account: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    taken: set[str] = field(default_factory=set)  # Books ids linked, or claimed by this run
    handled: set[str] = field(default_factory=set)  # Books ids CRM→Books dealt with this run
    placed: set[str] = field(default_factory=set)  # CRM contacts placed as persons this run
    _by_link: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    _index: dict[str, Indexed] | None = None
    _by_key: dict[str, list[Indexed]] = field(default_factory=dict)
    _persons: dict[str, Link] | None = None  # person links by CRM contact id
    _persons_of: dict[str, set[str]] = field(default_factory=dict)  # customer -> its contacts' ids
    _crm_keys: dict[str, set[str]] = field(default_factory=dict)

    # ---- the Books index (name and SKU keys, for duplicates) ---------------------------------

    def candidates(self, keys: tuple[str, str] | None = None) -> list[Indexed]:
        """The Books index of this kind. With ``keys``, only the entries that share the name or
        the SKU: the rest cannot be duplicates."""
        if self._index is None:
            self._index = {}
            for entry in self.state.books_index(self.kind):
                self._remember(entry)
        if keys is None:
            return list(self._index.values())
        name, sku = keys
        return self._by_key.get(name, []) + (self._by_key.get(f"sku:{sku}", []) if sku else [])

    def index_books(self, entries: list[Indexed]) -> None:
        self.state.index_books(self.kind, entries)
        if self._index is not None:
            for entry in entries:
                self._remember(entry)

    def forget_books(self, books_id: str) -> None:
        self.state.forget_books(self.kind, books_id)
        if self._index is not None:
            self._drop(books_id)

    def _remember(self, entry: Indexed) -> None:
        assert self._index is not None
        self._drop(entry.record_id)
        self._index[entry.record_id] = entry
        for key in (entry.match_key, f"sku:{entry.sku}" if entry.sku else None):
            if key is not None:
                self._by_key.setdefault(key, []).append(entry)

    def _drop(self, books_id: str) -> None:
        assert self._index is not None
        old = self._index.pop(books_id, None)
        if old is not None:
            for key in (old.match_key, f"sku:{old.sku}"):
                if key in self._by_key:
                    self._by_key[key] = [e for e in self._by_key[key] if e.record_id != books_id]

    # ---- Books rows by the CRM id they carry -------------------------------------------------

    def carrying(self, link_field: str) -> dict[str, list[str]]:
        """The Books rows read this run, by the CRM id their ``link_field`` (``zcrm_*``) carries."""
        if link_field not in self._by_link:
            index: dict[str, list[str]] = {}
            for books_id, row in self.books_rows.items():
                index.setdefault(str(row.get(link_field) or ""), []).append(books_id)
            self._by_link[link_field] = index
        return self._by_link[link_field]

    # ---- contact persons -----------------------------------------------------------------------

    def person_links(self, books_id: str) -> dict[str, Link]:
        """The person links of one customer, by CRM contact id."""
        if self._persons is None:
            self._persons = {}
            for link in self.state.links(self.key, PERSONS):
                self._persons[link.crm_id] = link
                self._persons_of.setdefault(link.books_id, set()).add(link.crm_id)
        return {crm_id: self._persons[crm_id] for crm_id in self._persons_of.get(books_id, ())}

    def save_person(self, crm_id: str, books_id: str, person_id: str | None, agreed: dict[str, Any]) -> None:
        self.state.save_link(
            self.key, crm_module=PERSONS, crm_id=crm_id, books_id=books_id, person_id=person_id, agreed=agreed
        )
        if self._persons is None:
            return
        old = self._persons.get(crm_id)
        if old is not None:
            self._persons_of.get(old.books_id, set()).discard(crm_id)
        self._persons[crm_id] = Link(PERSONS, crm_id, books_id, person_id, agreed, None, None)
        self._persons_of.setdefault(books_id, set()).add(crm_id)

    # ---- the CRM index's keys (both ways never creates a CRM duplicate) ------------------------

    def crm_keys_of(self, crm_module: str) -> set[str]:
        if crm_module not in self._crm_keys:
            self._crm_keys[crm_module] = self.state.crm_keys(crm_module)
        return self._crm_keys[crm_module]


def books_id_of(record: Mapping[str, Any]) -> str:
    return str(record.get("contact_id") or record.get("item_id"))
