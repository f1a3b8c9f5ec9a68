"""Fixtures and helpers for the syncer's contract tests (``test_sync_*.py``).

``world`` is a fresh in-process simulator with one small seeded tenant, reached through the
syncer's real HTTP clients, on the simulator's frozen virtual clock (``SimulatorClock``: a wait
advances virtual time, nothing sleeps). ``World.run(...)`` runs module syncs and returns a
``SyncRun``: the report, both sides before and after (straight from the simulator's state, not
through the API), and the requests the run made (the simulator's request log).

The helpers below read records as the contract speaks of them (match keys, mapped values,
primary persons), written independently of ``fieldmap`` so that the tests do not grade
the syncer with its own code.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx
import pytest

from fieldmap import FieldPair
from simulator.control.client import ControlClient
from simulator.requestlog import LoggedRequest
from simulator.tenants import Simulator, Sizes, Tenant
from simulator.testing import RunningSimulator, build_simulator, in_process
from syncer import Config, ModuleSync, Report, SyncState, parse_config, run_sync
from syncer.clients import RetryPolicy, SimulatorClock, ZohoClients, connect
from syncer.run import resolve_connection
from syncer.state import Link

BASE = "http://zohosim.local"
#: Small enough that a whole module sync takes a fraction of a second.
SIZES = Sizes(accounts=24, contacts=60, vendors=8, products=16)
PERSONS = "ContactPersons"
#: The backoff's jitter drawn from a seeded generator: every run waits the same.
RETRY = RetryPolicy(seed=11)


# ---- both sides, as plain JSON ------------------------------------------------------------------


@dataclass
class Snapshot:
    """Both orgs' records as the simulator stores them: CRM by module, Books contacts and items."""

    crm: dict[str, dict[str, dict[str, Any]]]
    contacts: dict[str, dict[str, Any]]
    items: dict[str, dict[str, Any]]

    @classmethod
    def of(cls, tenant: Tenant) -> Snapshot:
        crm = tenant.crm.to_json()["records"]
        books = tenant.books.to_json()
        return cls(
            crm={module: {row["id"]: row for row in rows} for module, rows in copy.deepcopy(crm).items()},
            contacts={row["contact_id"]: row for row in copy.deepcopy(books["contacts"])},
            items={row["item_id"]: row for row in copy.deepcopy(books["items"])},
        )

    def books(self, kind: str) -> dict[str, dict[str, Any]]:
        """``kind`` is ``customer``, ``vendor`` or ``item``."""
        if kind == "item":
            return self.items
        return {i: r for i, r in self.contacts.items() if r["contact_type"] == kind}

    def books_record(self, books_id: str) -> dict[str, Any] | None:
        return self.contacts.get(books_id) or self.items.get(books_id)


@dataclass
class SyncRun:
    syncs: tuple[ModuleSync, ...]
    report: Report
    before: Snapshot
    after: Snapshot
    requests: list[LoggedRequest]
    links: list[Link]
    error: BaseException | None = None

    @property
    def sync(self) -> ModuleSync:
        return self.syncs[0]

    def writes(self, service: str | None = None) -> list[LoggedRequest]:
        return [r for r in self.requests if r.is_write and (service is None or r.service == service)]

    def main_links(self) -> dict[tuple[str, str], str]:
        """(CRM module, CRM id) → Books id, for every linked record pair (not contact persons)."""
        return {
            (link.crm_module, link.crm_id): link.books_id for link in self.links if link.person_id is None
        }

    def person_links(self) -> dict[str, Link]:
        return {link.crm_id: link for link in self.links if link.crm_module == PERSONS}


@dataclass
class World:
    running: RunningSimulator
    tenant: Tenant
    http: httpx.Client
    control: ControlClient
    clock: SimulatorClock
    state: SyncState = field(default_factory=SyncState)
    _api: ZohoClients | None = None

    @property
    def sim(self) -> Simulator:
        return self.running.sim

    @property
    def tenant_id(self) -> str:
        return self.tenant.tenant_id

    def config(self, *entries: Mapping[str, Any]) -> Config:
        return parse_config({"connection": {"base_url": BASE}, "sync": [dict(e) for e in entries]})

    def snapshot(self) -> Snapshot:
        return Snapshot.of(self.tenant)

    def run(
        self,
        *entries: Mapping[str, Any],
        state: SyncState | None = None,
        expect_error: type[BaseException] | None = None,
    ) -> SyncRun:
        """Run the module syncs once; with ``expect_error`` the run must raise it (a crash)."""
        config = self.config(*entries)
        before = self.snapshot()
        since = max((r.seq for r in self.sim.request_log), default=0)
        state = state or self.state
        error: BaseException | None = None
        try:
            report = run_sync(config, client=self.http, clock=self.clock, state=state, retry=RETRY)
        except BaseException as exc:
            if expect_error is None or not isinstance(exc, expect_error):
                raise
            error, report = exc, Report()
        else:
            assert expect_error is None, f"the run should have raised {expect_error.__name__}"
        links = [link for sync in config.syncs for link in state.links(sync.label)]
        return SyncRun(
            syncs=config.syncs,
            report=report,
            before=before,
            after=self.snapshot(),
            requests=self.sim.request_log.filter(tenant_id=self.tenant_id, since_seq=since),
            links=links,
            error=error,
        )

    def api(self) -> ZohoClients:
        """The syncer's own clients, to change records through the public API as a user would."""
        if self._api is None:
            connection = resolve_connection(
                parse_config({"connection": {"base_url": BASE}, "sync": [{"module": "vendors"}]}).connection,
                client=self.http,
            )
            self._api = connect(connection, client=self.http, clock=self.clock, retry=RetryPolicy())
        return self._api

    def advance(self, seconds: float) -> None:
        self.control.advance_clock(seconds)

    def view(self, module: str, name: str) -> str:
        """The id of a seeded custom view."""
        return next(v.id for v in self.tenant.crm.views_of(module) if v.name == name)

    def in_view(self, module: str, view_id: str | None) -> set[str]:
        """The ids of the CRM records in a view now (all records when ``view_id`` is None)."""
        records = self.tenant.crm.records[module]
        if view_id is None:
            return set(records)
        view = self.tenant.crm.view(module, view_id)
        assert view is not None
        keep = self.tenant.crm.view_filter(view)
        return {record_id for record_id, record in records.items() if keep(record)}


def make_world(sizes: Sizes = SIZES, *, seed: int = 42) -> Iterator[World]:
    with ExitStack() as stack:
        running = stack.enter_context(in_process(build_simulator(seed=seed)))
        tenant = running.sim.create_tenant(sizes=sizes)
        http = running.client()
        control = ControlClient(http)
        world = World(running, tenant, http, control, SimulatorClock(control))
        stack.callback(lambda: world.state.close())
        yield world


@pytest.fixture
def world() -> Iterator[World]:
    yield from make_world()


# ---- the contract's reading of records ----------------------------------------------------------


def fold(text: object) -> str:
    """A match key: trimmed, runs of white space folded to one space, case ignored."""
    return " ".join(str(text or "").split()).casefold()


def crm_field(record: Mapping[str, Any], name: str) -> Any:
    """A CRM field's value; a contact's ``Full_Name`` is ``First_Name + " " + Last_Name``, trimmed."""
    if name == "Full_Name":
        return f"{record.get('First_Name') or ''} {record.get('Last_Name') or ''}".strip()
    return record.get(name)


def crm_name_field(module: str) -> str:
    return {
        "Accounts": "Account_Name",
        "Contacts": "Full_Name",
        "Vendors": "Vendor_Name",
        "Products": "Product_Name",
    }[module]


def crm_keys(module: str, record: Mapping[str, Any]) -> tuple[str, str]:
    sku = fold(record.get("Product_Code")) if module == "Products" else ""
    return fold(crm_field(record, crm_name_field(module))), sku


def books_keys(record: Mapping[str, Any]) -> tuple[str, str]:
    if "item_id" in record:
        return fold(record.get("name")), fold(record.get("sku"))
    return fold(record.get("contact_name")), ""


def same_key(left: tuple[str, str], right: tuple[str, str]) -> bool:
    """Customers and vendors: the name. Items: the SKU when both sides have one, else the name."""
    if left[1] and right[1]:
        return left[1] == right[1]
    return bool(left[0]) and left[0] == right[0]


def shares_a_key(left: tuple[str, str], right: tuple[str, str]) -> bool:
    """For both_ways' NO-CRM-DUPLICATE: the same name, or (items) the same SKU."""
    return (bool(left[0]) and left[0] == right[0]) or (bool(left[1]) and left[1] == right[1])


def earliest_first(records: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Earliest created first; ties by the smallest id."""
    return sorted(records, key=lambda r: (datetime.fromisoformat(r["created_time"]), int(books_id(r))))


def books_id(record: Mapping[str, Any]) -> str:
    return str(record.get("contact_id") or record.get("item_id"))


def primary_person(record: Mapping[str, Any]) -> dict[str, Any] | None:
    persons = record.get("contact_persons") or []
    primaries = [p for p in persons if p.get("is_primary_contact")]
    assert len(primaries) <= 1, f"{books_id(record)} has {len(primaries)} primary persons"
    return primaries[0] if primaries else None


def books_field(record: Mapping[str, Any], path: str) -> Any:
    head, _, key = path.partition(".")
    if not key:
        return record.get(path)
    if head == "primary_contact":
        person = primary_person(record)
        return person.get(key) if person else None
    return (record.get(head) or {}).get(key)


def books_form(books_path: str, value: Any) -> Any:
    """The Books value a CRM value becomes."""
    if books_path == "status":
        return "inactive" if value is False else "active"
    if books_path == "rate":
        return float(value or 0)
    return "" if value is None else value


def crm_form(crm_name: str, value: Any) -> Any:
    """The CRM value a Books value becomes."""
    if crm_name == "Product_Active":
        return value != "inactive"
    if crm_name == "Unit_Price":
        return float(value or 0)
    return None if value == "" else value


def books_disagreements(
    field_map: Sequence[FieldPair], crm_record: Mapping[str, Any], books_record: Mapping[str, Any]
) -> dict[str, tuple[Any, Any]]:
    """Mapped Books fields whose value is not the CRM value (the first pair for a Books field wins)."""
    seen: set[str] = set()
    wrong: dict[str, tuple[Any, Any]] = {}
    for pair in field_map:
        if pair.books in seen:
            continue
        seen.add(pair.books)
        want = books_form(pair.books, crm_field(crm_record, pair.crm))
        have = books_field(books_record, pair.books)
        if pair.books == "rate":
            have = float(have or 0)
        if have != want and not (have in (None, "") and want in (None, "")):
            # Choice: Books needs a person's first name, so a blank CRM First_Name becomes the last name.
            if pair.books.endswith("first_name") and want == "" and have == crm_record.get("Last_Name"):
                continue
            wrong[pair.books] = (have, want)
    return wrong


def push_source(field_map: Sequence[FieldPair], crm_name: str, mandatory: FieldPair) -> str:
    """MULTIMAP-PRIORITY: the mandatory Books field if it maps to ``crm_name``, else the first."""
    sources = [pair.books for pair in field_map if pair.crm == crm_name]
    return mandatory.books if mandatory.books in sources and mandatory.crm == crm_name else sources[0]


def strip_volatile(value: Any) -> Any:
    """A record without ids and timestamps: what stays equal between two runs of the same sync."""
    volatile = {
        "id",
        "contact_id",
        "item_id",
        "address_id",
        "contact_person_id",
        "Created_Time",
        "Modified_Time",
        "created_time",
        "last_modified_time",
    }
    if isinstance(value, Mapping):
        return {k: strip_volatile(v) for k, v in value.items() if k not in volatile}
    if isinstance(value, list):
        return [strip_volatile(v) for v in value]
    return value


def canonical(snapshot: Snapshot, links: Iterable[Link] = ()) -> dict[str, list[str]]:
    """Both sides as sorted lists of id-free, time-free records, and the linked pairs as pairs of
    such records (a contact person as its customer and its name): to compare two worlds."""

    def text(record: Mapping[str, Any] | None) -> str:
        return json.dumps(strip_volatile(record), sort_keys=True, default=str)

    def rows(records: Iterable[Mapping[str, Any]]) -> list[str]:
        return sorted(text(r) for r in records)

    out = {f"crm:{m}": rows(t.values()) for m, t in snapshot.crm.items()}
    out["books:contacts"] = rows(snapshot.contacts.values())
    out["books:items"] = rows(snapshot.items.values())
    pairs = []
    for link in links:
        books = snapshot.books_record(link.books_id)
        if link.person_id is not None:
            person = next(
                (
                    p
                    for p in (books or {}).get("contact_persons", [])
                    if p["contact_person_id"] == link.person_id
                ),
                None,
            )
            crm = snapshot.crm["Contacts"].get(link.crm_id)
            pairs.append(f"{text(crm)} ~ {text(books)} / {text(person)}")
        else:
            pairs.append(f"{text(snapshot.crm[link.crm_module].get(link.crm_id))} ~ {text(books)}")
    out["links"] = sorted(pairs)
    return out
