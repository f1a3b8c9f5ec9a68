"""What the checks see: snapshots of both sides, the requests a run made, and what a check found.

Everything here is plain data (JSON-ready), so a failure report can show it and a unit test can
build it by hand.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from conformance.contract import CRM_MODULES, WRITE_METHODS


def _fresh(value: Any) -> Any:
    """A copy of an export (JSON data: its dicts and lists rebuilt, its immutable leaves shared),
    as ``copy.deepcopy`` makes it but several times faster: a paging world has thousands of records."""
    if isinstance(value, dict):
        return {key: _fresh(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_fresh(item) for item in value]
    return value


@dataclass
class Snapshot:
    """Both orgs as the simulator stores them (``Tenant.export_state()``), indexed by id."""

    crm: dict[str, dict[str, dict[str, Any]]]
    contacts: dict[str, dict[str, Any]]
    items: dict[str, dict[str, Any]]

    @classmethod
    def of_export(cls, state: Mapping[str, Any]) -> Snapshot:
        records = _fresh(state["crm"]["records"])
        books = _fresh(state["books"])
        return cls(
            crm={m: {r["id"]: r for r in records.get(m, [])} for m in CRM_MODULES},
            contacts={r["contact_id"]: r for r in books["contacts"]},
            items={r["item_id"]: r for r in books["items"]},
        )

    @classmethod
    def build(
        cls,
        crm: Mapping[str, Iterable[dict[str, Any]]] | None = None,
        contacts: Iterable[dict[str, Any]] = (),
        items: Iterable[dict[str, Any]] = (),
    ) -> Snapshot:
        """A hand-made snapshot (unit tests)."""
        crm = crm or {}
        return cls(
            crm={m: {r["id"]: copy.deepcopy(r) for r in crm.get(m, [])} for m in CRM_MODULES},
            contacts={r["contact_id"]: copy.deepcopy(r) for r in contacts},
            items={r["item_id"]: copy.deepcopy(r) for r in items},
        )

    def books(self, kind: str) -> dict[str, dict[str, Any]]:
        """``kind`` is customer, vendor or item."""
        if kind == "item":
            return self.items
        return {i: r for i, r in self.contacts.items() if r.get("contact_type") == kind}

    def books_record(self, books_id: str) -> dict[str, Any] | None:
        return self.contacts.get(books_id) or self.items.get(books_id)

    def crm_record(self, module: str, crm_id: str) -> dict[str, Any] | None:
        return self.crm.get(module, {}).get(crm_id)

    def copy(self) -> Snapshot:
        return copy.deepcopy(self)


@dataclass
class Request:
    """One logged API request (the simulator's request log)."""

    service: str
    method: str
    path: str
    body: Any = None
    status: int = 200
    query: str = ""
    fault: str | None = None

    @property
    def is_write(self) -> bool:
        return (
            self.service in ("crm", "books")
            and self.method in WRITE_METHODS
            and not self.path.rstrip("/").endswith("/coql")  # a COQL query is a read sent by POST
        )

    def crm_module(self) -> str | None:
        """``/crm/v8/Accounts/123`` -> Accounts."""
        parts = self.path.strip("/").split("/")
        return parts[2] if self.service == "crm" and len(parts) > 2 else None

    def books_target(self) -> tuple[str, str | None]:
        """(collection, record id or None): ``/books/v3/contacts/9/active`` -> (contacts, 9)."""
        parts = self.path.strip("/").split("/")[2:]
        if not parts:
            return "", None
        collection = parts[0]
        record = parts[1] if len(parts) > 1 and parts[1].isdigit() else None
        if collection == "contacts" and len(parts) > 1 and parts[1] == "contactpersons":
            record = None
        return collection, record

    def crm_ids(self) -> list[str]:
        """The record ids a CRM write names: in the path, or ``data[].id`` of the body."""
        parts = self.path.strip("/").split("/")
        ids = [parts[3]] if len(parts) > 3 and parts[3].isdigit() else []
        data = self.body.get("data") if isinstance(self.body, dict) else None
        if isinstance(data, list):
            ids += [str(item["id"]) for item in data if isinstance(item, dict) and item.get("id")]
        return ids

    def label(self) -> str:
        return f"{self.method} {self.path} -> {self.status}" + (f" ({self.fault})" if self.fault else "")


@dataclass
class RunOutcome:
    """How a syncer run ended: ok, failed (raised / non-zero exit / timeout) or killed by the harness."""

    ok: bool
    error: str = ""
    killed: bool = False
    seconds: float = 0.0
    #: A long-running syncer that was already up before this step (the daemon route): when nothing
    #: changed, making no call at all is its right answer, not a sign that it never ran.
    standing: bool = False


@dataclass
class RunObservation:
    """One run: both sides before and after, its requests, and the CRM records in the view(s)."""

    before: Snapshot
    after: Snapshot
    requests: list[Request]
    in_view: dict[str, set[str]]  # CRM module -> ids in the configured view at sync time
    outcome: RunOutcome = field(default_factory=lambda: RunOutcome(ok=True))

    def writes(self, service: str | None = None) -> list[Request]:
        return [r for r in self.requests if r.is_write and (service is None or r.service == service)]


@dataclass
class RecordDiff:
    """A record as it was, as it is, and (when the check knows) as it should be."""

    label: str
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    expected: dict[str, Any] | None = None


@dataclass
class Violation:
    invariant: str
    message: str
    records: list[RecordDiff] = field(default_factory=list)
    run: int = 0  # which run of the scenario (1-based); 0 when it compares two worlds

    def __str__(self) -> str:
        where = f" (run {self.run})" if self.run else ""
        return f"{self.invariant}{where}: {self.message}"
