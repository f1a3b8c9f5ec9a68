"""A scenario built into a fresh simulator tenant, and what the checks observe of it.

The tenant starts empty (sizes all 0). Records go in through the domain models: a scenario's bulk
(``scenarios.Bulk``, thousands of records for the paging worlds) first and at one moment, then its
drawn records, the clock moving between creates so that created times differ (Books records get
the created time the scenario chose, ties included). The world then creates the views, sets the
Books duplicate-names setting, and hands the syncer its ``Endpoints``. Between runs it applies the
scenario's edits.

The simulator's clock is frozen and virtual, and a command-route syncer keeps time with the wall
clock, as it would against Zoho. So the virtual clock stays close to the wall: a world is built in
the recent past (its records' created times a few seconds to a minute ago), ``keep_up_with_wall()``
moves the clock up to the wall before each run (never back), and between runs the clock moves only
the few seconds that order the edits. The simulator is never behind a syncer's clock (its
"modified since" reads would miss changes), and never far ahead of it.
"""

from __future__ import annotations

import itertools
import shutil
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from conformance.adapters import Endpoints
from conformance.observe import Request, Snapshot
from conformance.scenarios import KIND_OF, NAME_FIELD, BooksSeed, CrmSeed, Edit, Scenario
from simulator.tenants import Simulator, Sizes, Tenant

EMPTY = Sizes(accounts=0, contacts=0, vendors=0, products=0, books_overlap=0.0, books_extra=0)
#: Books records get created times in the first seconds of this span (the scenario's offsets).
BOOKS_SPAN = 10
#: Between runs, and after the edits: enough for every timestamp of a run to be older than what follows.
PAUSE = 2
_COUNTER = itertools.count(1)


class ScenarioError(RuntimeError):
    """The scenario cannot be built as drawn (a bug in the strategies, not in the syncer)."""


class World:
    def __init__(
        self,
        sim: Simulator,
        scenario: Scenario,
        *,
        base_url: str,
        workdir: Path,
        transport: httpx.BaseTransport | None = None,
        name: str | None = None,
    ) -> None:
        self.sim = sim
        self.scenario = scenario
        self.base_url = base_url.rstrip("/")
        self.transport = transport
        self.tenant_id = name or f"conform-{next(_COUNTER)}"
        self.workdir = workdir / self.tenant_id
        self.tenant: Tenant | None = None
        self.crm_ids: dict[str, tuple[str, str]] = {}  # ref -> (module, id)
        self.books_ids: dict[str, str] = {}  # ref -> Books id
        self.view_ids: dict[str, str] = {}  # "view" / "contact_view" -> cvid
        self.skipped_edits: list[str] = []
        self.runs = 0

    # ---- building ------------------------------------------------------------------------

    def build(self) -> World:
        tenant = self.sim.create_tenant(sizes=EMPTY, tenant_id=self.tenant_id)
        self.tenant = tenant
        self.workdir.mkdir(parents=True, exist_ok=True)
        # In the recent past: the bulk records (all at one moment), one second per drawn CRM record,
        # then the Books records, then ten quiet seconds before the wall clock (a fresh world's
        # clock may go back; its tenant is new).
        span = len(self.scenario.crm) + BOOKS_SPAN + 11
        self.sim.clock.set(datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=span))
        self._build_bulk()
        self.advance(1)
        for seed in self.scenario.crm:
            self._create_crm(seed)
            self.advance(1)
        epoch = self.sim.clock.now()
        for books_seed in self.scenario.books:
            self._create_books(books_seed, epoch)
        self.advance(BOOKS_SPAN)
        sync = self.scenario.sync
        for key, spec in (("view", sync.view), ("contact_view", sync.contact_view)):
            if spec is not None:
                view = tenant.crm.create_view(
                    spec.module, name=f"conformance {key}", criteria=spec.criteria()
                )
                self.view_ids[key] = view.id
        tenant.books.allow_duplicate_names = self.scenario.allow_duplicate_names
        return self

    def _build_bulk(self) -> None:
        """Bulk records: one insert per module and their Books twins, all at one moment, through the
        domain models (thousands of HTTP calls would make a paging world cost seconds)."""
        books = self.org.books
        for bulk in self.scenario.bulk:
            names = [bulk.name(n) for n in range(bulk.count)]
            outcomes = self.org.crm.insert(bulk.module, [{NAME_FIELD[bulk.module]: name} for name in names])
            error = next((o.error for o in outcomes if o.error is not None), None)
            if error is not None:
                raise ScenarioError(f"cannot create bulk CRM {bulk.module}: {error}")
            kind = KIND_OF[bulk.module]
            for n, name in enumerate(names):
                if bulk.lone(n):
                    continue
                if kind == "item":
                    books.create_item({"name": name, "rate": 0})
                else:
                    books.create_contact({"contact_name": name, "contact_type": kind, "company_name": name})

    def _create_crm(self, seed: CrmSeed) -> str:
        values = dict(seed.values)
        if seed.module == "Contacts" and values.get("Account_Name"):
            values["Account_Name"] = self.crm_ids[values["Account_Name"]][1]
        outcome = self.org.crm.insert(seed.module, [values])[0]
        if outcome.error is not None or outcome.record is None:
            raise ScenarioError(f"cannot create CRM {seed.module} {seed.ref} {values}: {outcome.error}")
        self.crm_ids[seed.ref] = (seed.module, outcome.record["id"])
        return outcome.record["id"]

    def _create_books(self, seed: BooksSeed, epoch: datetime | None = None) -> str:
        books = self.org.books
        body = dict(seed.values)
        status = body.pop("status", None)
        if seed.kind == "item":
            record: Any = books.create_item(body)
            if status == "inactive":
                books.set_item_status(record.item_id, active=False)
            books_id = record.item_id
        else:
            record = books.create_contact(body)
            books_id = record.contact_id
        if epoch is not None:  # the created time the scenario chose (ties and reversals included)
            record.created_time = record.last_modified_time = epoch + timedelta(seconds=seed.created_offset)
        self.books_ids[seed.ref] = books_id
        return books_id

    @property
    def org(self) -> Tenant:
        if self.tenant is None:
            raise RuntimeError("build() the world first")
        return self.tenant

    # ---- what the syncer gets ------------------------------------------------------------------

    def entry(self) -> dict[str, Any]:
        return self.scenario.sync.entry(self.view_ids)

    def endpoints(self) -> Endpoints:
        self.runs += 1
        creds = self.org.credentials()
        state_dir = self.workdir / "state"
        config = {
            "connection": {
                "base_url": self.base_url,
                "client_id": creds["client_id"],
                "client_secret": creds["client_secret"],
                "refresh_token": creds["refresh_token"],
                "books_organization_id": creds["books_organization_id"],
                "tenant": self.tenant_id,
            },
            "sync": [self.entry()],
            "state": {"path": str(state_dir / "state.sqlite3")},
        }
        return Endpoints(
            accounts_url=self.base_url,
            crm_url=f"{self.base_url}/crm/v8",
            books_url=f"{self.base_url}/books/v3",
            client_id=str(creds["client_id"]),
            client_secret=str(creds["client_secret"]),
            refresh_token=str(creds["refresh_token"]),
            crm_org_id=str(creds["crm_org_id"]),
            books_organization_id=str(creds["books_organization_id"]),
            config=config,
            config_path=self.workdir / "config.json",
            state_dir=state_dir,
            base_url=self.base_url,
            tenant_id=self.tenant_id,
            run_label=f"run{self.runs}",
            control_url=f"{self.base_url}/__zohosim",
            transport=self.transport,
        )

    # ---- what the checks see -----------------------------------------------------------------

    def snapshot(self) -> Snapshot:
        return Snapshot.of_export(self.org.export_state())

    def in_view(self) -> dict[str, set[str]]:
        """For every CRM module, the ids of the records the configured view(s) hold now (every
        record of a module no view applies to)."""
        crm = self.org.crm
        out = {module: set(table) for module, table in crm.records.items()}
        for key in ("view", "contact_view"):
            view_id = self.view_ids.get(key)
            if view_id is None:
                continue
            view = crm.views[view_id]
            keep = crm.view_filter(view)
            out[view.module] = {i for i, r in crm.records[view.module].items() if keep(r)}
        return out

    def log_position(self) -> int:
        return self.sim.request_log.last_seq

    def requests_since(self, seq: int) -> list[Request]:
        return [
            Request(e.service, e.method, e.path, e.body, e.status, e.query, e.fault)
            for e in self.sim.request_log.filter(tenant_id=self.tenant_id, since_seq=seq, direction="inbound")
        ]

    # ---- time ------------------------------------------------------------------------------------

    def advance(self, seconds: float) -> None:
        self.sim.clock.advance(seconds)

    def keep_up_with_wall(self) -> None:
        wall = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=1)
        if self.sim.clock.now() < wall:
            self.sim.clock.set(wall)

    # ---- edits between syncs ---------------------------------------------------------------------

    def apply_edits(self, paired: dict[tuple[str, str], str]) -> None:
        """Apply the scenario's edits, one virtual second apart. ``paired`` maps (CRM module, CRM id)
        to the Books id the harness paired it with: ``pair:<ref>`` edits go to that record (and are
        skipped, noted in ``skipped_edits``, when the CRM record has no pair)."""
        for edit in self.scenario.edits:
            self.advance(1)
            self.apply_edit(edit, paired)
        self.advance(PAUSE)

    def apply_edit(self, edit: Edit, paired: dict[tuple[str, str], str]) -> None:
        """One edit, at the clock's current time (see ``apply_edits`` for ``paired``)."""
        if edit.side == "crm":
            self._crm_edit(edit)
        else:
            self._books_edit(edit, paired)

    def _crm_edit(self, edit: Edit) -> None:
        if edit.op == "create":
            assert isinstance(edit.record, CrmSeed)
            self._create_crm(edit.record)
            return
        module, crm_id = self.crm_ids[str(edit.target)]
        outcome = self.org.crm.update(module, [{"id": crm_id, **edit.values}])[0]
        if outcome.error is not None:
            raise ScenarioError(f"cannot edit CRM {module} {edit.target} {edit.values}: {outcome.error}")

    def _books_edit(self, edit: Edit, paired: dict[tuple[str, str], str]) -> None:
        books = self.org.books
        if edit.op == "create":
            assert isinstance(edit.record, BooksSeed)
            self._create_books(edit.record)
            return
        target = str(edit.target)
        if target.startswith("pair:"):
            crm = self.crm_ids.get(target.removeprefix("pair:"))  # None: its CRM create is still to come
            books_id = paired.get(crm) if crm else None
        else:
            books_id = self.books_ids.get(target)
        if books_id is None:
            self.skipped_edits.append(f"{target}: no Books record to edit")
            return
        if books_id in books.items:
            values = dict(edit.values)
            status = values.pop("status", None)
            if values:
                books.update_item(books_id, {k: ("" if v is None else v) for k, v in values.items()})
            if status is not None:
                books.set_item_status(books_id, active=status == "active")
            return
        current = asdict(books.get_contact(books_id))
        books.update_contact(books_id, contact_update(current, edit.values))

    def close(self, *, keep_files: bool = False) -> None:
        if self.tenant is not None and self.tenant_id in self.sim.tenants:
            self.sim.delete_tenant(self.tenant_id)
        if not keep_files:
            shutil.rmtree(self.workdir, ignore_errors=True)


def contact_update(current: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    """A Books contact update body that sets ``values`` (by Books path) and keeps the rest: an
    address is sent whole; persons are sent back whole, with the primary's field changed (a person
    named after the contact is added when there is none)."""
    body: dict[str, Any] = {}
    for path, raw in values.items():
        value = "" if raw is None else raw
        head, _, key = path.partition(".")
        if not key:
            body[head] = value
        elif head == "primary_contact":
            persons = body.setdefault("contact_persons", _persons(current))
            primary = next((p for p in persons if p.get("is_primary_contact")), None)
            if primary is None:
                words = str(current["contact_name"]).split()
                primary = {"first_name": " ".join(words[:-1]) or words[-1], "last_name": words[-1]}
                primary["is_primary_contact"] = True
                persons.append(primary)
            primary[key] = value
        else:
            address = body.setdefault(head, {k: v for k, v in current[head].items() if k != "address_id"})
            address[key] = value
    return body


def _persons(current: dict[str, Any]) -> list[dict[str, Any]]:
    keep: tuple[str, ...] = ("contact_person_id", "salutation", "first_name", "last_name", "email", "phone")
    keep += ("mobile", "designation", "department", "is_primary_contact")
    return [{k: p[k] for k in keep if k in p} for p in current.get("contact_persons") or []]
