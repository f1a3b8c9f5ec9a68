"""The API coverage table, ``docs/api-coverage.md``, generated from Zoho's own OpenAPI documents.

Every operation in ``../shared/zoho-oas`` (CRM v8 and Books v3) is called once against an
in-process simulator, with full-access tokens, plausible parameters and a plausible body. It is
*served* unless the reply is the simulator's answer for a route it does not have (CRM
``INVALID_URL_PATTERN`` / ``INVALID_REQUEST_METHOD``, or ``INVALID_MODULE`` for a path that
names no module; Books code 5 / 37). A served reply *validates* when it matches the documented
schema for its status: strictly ("yes"), or once the document's known gaps are set aside ("yes,
known gaps": ``bench/fuzz.py`` lists them with reasons); "no schema" when the document gives
none for that status. Operations left out on purpose are listed in ``simulator/scope.py``; they
must answer as a route Zoho does not have, and the table shows why each is out.

The test fails when the committed table is stale; ``ZOHOSIM_UPDATE_COVERAGE=1`` rewrites it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from bench.fuzz import DOCUMENT_GAPS
from simulator.app import create_app
from simulator.clock import DEFAULT_START, Clock
from simulator.crm.bulk import DONE_AFTER
from simulator.scope import OUT_OF_SCOPE
from simulator.tenants import Simulator, Sizes, Tenant
from simulator.testing import in_process_client
from tests.openapi import Operation, operations, response_schema, skip_without_oas, validate_response
from tests.support import SEED, TEST_SIZES, ZohoClient

skip_without_oas()

DOC = Path(__file__).resolve().parents[1] / "docs" / "api-coverage.md"
UPDATE_ENV = "ZOHOSIM_UPDATE_COVERAGE"
SCOPES = ("ZohoCRM.fullaccess.all", "ZohoBooks.fullaccess.all", "ZohoSearch.securesearch.READ")
NOT_OFFERED = {"crm": {"INVALID_URL_PATTERN", "INVALID_REQUEST_METHOD"}, "books": {5, 37}}
#: Query parameters a client gives whenever the operation takes them (the documents mark some optional
#: that the call needs: ``fields`` for a record list, ``ids`` for a mass delete, a ``word`` to search).
ALWAYS_GIVEN = frozenset({"fields", "module", "ids", "word"})
#: The Books documents of the entities the simulator models (contacts and their persons, items).
BOOKS_ENTITY_DOCUMENTS = ("contacts.yml", "items.yml")


@dataclass(frozen=True)
class Row:
    operation: Operation
    served: bool
    validates: str
    note: str

    @property
    def in_scope_entity(self) -> bool:
        """On one of the four CRM modules (a ``{module…}`` path), or on a modelled Books entity."""
        if self.operation.service == "crm":
            return "{module" in self.operation.path
        return self.operation.document in BOOKS_ENTITY_DOCUMENTS


@dataclass
class Probe:
    """The simulator under measurement, and the values that make a call plausible."""

    sim: Simulator
    zoho: ZohoClient
    tenant: Tenant
    values: dict[str, str]
    saved: dict[str, Any]

    def call(self, operation: Operation) -> httpx.Response:
        self.tenant.import_state(self.saved, clock=self.sim.clock)  # each call starts from the same state
        path = operation.path
        for name, value in self.values.items():
            path = path.replace("{" + name + "}", value)
        params = {
            p["name"]: self._value(p)
            for p in operation.parameters
            if p.get("in") == "query" and (p.get("required") or p["name"] in ALWAYS_GIVEN)
        }
        if operation.service == "books":
            params["organization_id"] = self.zoho.creds["books_organization_id"]
        headers = {"Authorization": f"Zoho-oauthtoken {self.zoho.token(SCOPES)}"}
        body = _body(operation, self.values) if operation.method in ("POST", "PUT", "PATCH") else None
        return self.zoho.http.request(operation.method, path, params=params, json=body, headers=headers)

    def _value(self, parameter: dict[str, Any]) -> str:
        name = parameter["name"]
        if name in self.values:
            return self.values[name]
        schema = parameter.get("schema") or {}
        for candidate in (parameter.get("example"), schema.get("example"), schema.get("default")):
            if candidate is not None:
                return str(candidate)
        return str((schema.get("enum") or ["1"])[0])


def _body(operation: Operation, values: dict[str, str]) -> Any:
    """A body a client would plausibly send; ``{}`` where the operation is not modelled."""
    path, method = operation.path, operation.method
    if path.endswith("/__composite_requests"):
        return {"__composite_requests": [{"method": "GET", "uri": "/crm/v8/org"}]}
    if path.endswith("/read"):
        return {"query": {"module": {"api_name": "Accounts"}}}
    if path.endswith("/coql"):
        return {"select_query": "select Account_Name from Accounts where Account_Name is not null limit 2"}
    if path.endswith(("/{module_api_name}", "/{module_api_name}/upsert")):
        record = {"Account_Name": "Coverage Co"}
        return {
            "data": [{**record, "id": values["id"]} if method == "PUT" and "upsert" not in path else record]
        }
    if path.endswith("/{module_api_name}/{id}"):
        return {"data": [{"Account_Name": "Coverage Co"}]}
    if path.endswith(("/contacts", "/contacts/{contact_id}")):
        return {"contact_name": "Coverage Ltd"}
    if path.endswith("/contactpersons/{contactperson_id}"):
        return {"first_name": "Coverage"}
    if path.endswith("/contactpersons"):
        return {"contact_id": values["contact_id"], "first_name": "Coverage"}
    if path.endswith(("/items", "/items/{item_id}")):
        return {"name": "Coverage item", "rate": 1}
    return {}


@pytest.fixture(scope="module")
def probe() -> Iterator[Probe]:
    sim = Simulator(clock=Clock(start=DEFAULT_START, frozen=True), seed=SEED)
    tenant = sim.create_tenant(sizes=Sizes(**TEST_SIZES))
    with in_process_client(create_app(sim)) as http:
        zoho = ZohoClient(mode="asgi", http=http)
        zoho.creds = tenant.credentials()
        values = _values(sim, zoho, tenant)
        yield Probe(sim=sim, zoho=zoho, tenant=tenant, values=values, saved=tenant.export_state())


def _values(sim: Simulator, zoho: ZohoClient, tenant: Tenant) -> dict[str, str]:
    """Real ids for the path and query parameters, by the name the documents give them."""
    crm, books = tenant.crm, tenant.books
    account = next(crm.iter_records("Accounts"))
    contact = next(c for c in crm.iter_records("Contacts") if c.get("Account_Name") == account["id"])
    fields = zoho.crm(
        "GET", "/settings/fields", params={"module": "Accounts"}, token=zoho.token(SCOPES)
    ).json()
    module = zoho.crm("GET", "/settings/modules/Accounts", token=zoho.token(SCOPES)).json()["modules"][0]
    view = crm.views_of("Accounts")[0]
    job = zoho.http.post(
        "/crm/bulk/v8/read",
        json={"query": {"module": {"api_name": "Accounts"}}},
        headers={"Authorization": f"Zoho-oauthtoken {zoho.token(SCOPES)}"},
    ).json()["data"][0]["details"]["id"]
    sim.clock.advance(DONE_AFTER.total_seconds())  # the job's result is ready
    book_contact = next(c for c in books.contacts.values() if c.contact_persons)
    return {
        "module_api_name": "Accounts",
        "module": "Accounts",
        "api_name": "Accounts",
        "id": account["id"],
        "record_id": account["id"],
        "external_field_value": account["id"],
        "external_value": account["id"],
        "related_list_api_name": "Contacts",
        "related_record_id": contact["id"],
        "field": fields["fields"][0]["id"],
        "user": crm.current_user_id,
        "job_id": job,
        "fields": "Created_Time,Modified_Time",
        "ids": account["id"],
        "cvid": view.id,
        "word": account["Account_Name"],
        "contact_id": book_contact.contact_id,
        "contactperson_id": book_contact.contact_persons[0].contact_person_id,
        "item_id": next(iter(books.items)),
        "organization_id": zoho.creds["books_organization_id"],
        "crm_account_id": account["id"],
        "crm_contact_id": contact["id"],
        "crm_vendor_id": next(crm.iter_records("Vendors"))["id"],
        "crm_product_id": next(crm.iter_records("Products"))["id"],
        "layout_id": module["layouts"][0]["id"],
    }


def measure(probe: Probe, operation: Operation) -> Row:
    reply = probe.call(operation)
    try:
        body = reply.json()
    except ValueError:
        body = None
    code = body.get("code") if isinstance(body, dict) else None
    module_less = operation.service == "crm" and code == "INVALID_MODULE" and "{module" not in operation.path
    # outside both services: no route at all, or the simulator's own front door (CRM's "GET /")
    no_route = isinstance(body, dict) and (body.get("error") == "not_found" or body.get("name") == "zohosim")
    served = code not in NOT_OFFERED[operation.service] and not module_less and not no_route
    reason = OUT_OF_SCOPE.get((operation.service, operation.method, operation.path))
    if reason is not None:
        return Row(operation, served, "", f"out of scope: {reason}")
    if not served:
        return Row(operation, served, "", "not served yet")
    return Row(operation, served, *_validity(operation, reply, body))


def _validity(operation: Operation, reply: httpx.Response, body: Any) -> tuple[str, str]:
    method, path, status = operation.method, reply.request.url.path, reply.status_code
    if body is None or response_schema(operation.service, method, path, status) is None:
        return "no schema", f"{status}"
    try:
        validate_response(operation.service, method, path, status, body)
        return "yes", f"{status}"
    except AssertionError as strict:
        template = operation.path.removeprefix("/books/v3")
        gaps, _ = DOCUMENT_GAPS.get((operation.service, f"{method} {template}", status), ((), ""))
        try:
            validate_response(operation.service, method, path, status, body, ignore=gaps)
        except AssertionError:
            first = str(strict).splitlines()[1].strip() if "\n" in str(strict) else str(strict)
            return "no", f"{status}: {first[:100]}"
        return "yes, known gaps", f"{status}"


def render(rows: list[Row]) -> str:
    lines = [
        "# API coverage",
        "",
        "Generated by `tests/test_api_coverage.py` from Zoho's OpenAPI documents (`../shared/zoho-oas`);",
        f"do not edit by hand: run `{UPDATE_ENV}=1 pytest tests/test_api_coverage.py` to refresh it.",
        "Each operation is called once against the simulator; *served* means the reply is not the answer",
        "for a route the simulator does not have, *validates* that the reply matches Zoho's schema for its",
        "status. Operations out of scope on purpose are listed, with their reasons, in `simulator/scope.py`.",
        "",
        *_figures(rows),
        "",
        "| service | method | path | served | validates | note |",
        "|---|---|---|---|---|---|",
    ]
    for row in rows:
        op = row.operation
        cells = [
            op.service,
            op.method,
            f"`{op.path}`",
            "yes" if row.served else "no",
            row.validates,
            row.note,
        ]
        lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    return "\n".join(lines) + "\n"


def _figures(rows: list[Row]) -> list[str]:
    def share(selected: list[Row]) -> str:
        served = sum(row.served for row in selected)
        percent = 100 * served / len(selected) if selected else 0
        return f"{served} of {len(selected)} ({percent:.0f}%)"

    crm = [row for row in rows if row.operation.service == "crm"]
    books = [row for row in rows if row.operation.service == "books"]
    served = [row for row in rows if row.served and not row.note.startswith("out of scope")]
    valid = [row for row in served if row.validates.startswith("yes")]
    entities = [row for row in rows if row.in_scope_entity]
    return [
        f"- **CRM**: {share(crm)} operations served",
        f"- **Books**: {share(books)} operations served",
        f"- **All**: {share(rows)} served; {len(valid)} of {len(served)} served replies validate",
        f"- **The four CRM modules and the Books entities in scope** (CRM paths with a `{{module}}`; "
        f"Books {', '.join(BOOKS_ENTITY_DOCUMENTS)}): {share(entities)} served; of those not left out "
        f"on purpose, {share([row for row in entities if not row.note.startswith('out of scope')])}",
        f"- **Out of scope on purpose**: {sum(row.note.startswith('out of scope') for row in rows)}",
    ]


@pytest.fixture(scope="module")
def rows(probe: Probe) -> list[Row]:
    return [measure(probe, operation) for service in ("crm", "books") for operation in operations(service)]


def test_out_of_scope_operations_answer_as_a_route_zoho_does_not_have(rows: list[Row]) -> None:
    wrongly = [
        f"{r.operation.method} {r.operation.path}"
        for r in rows
        if r.note.startswith("out of scope") and r.served
    ]
    assert not wrongly, f"listed out of scope in simulator/scope.py, yet served: {wrongly}"


def test_every_out_of_scope_entry_names_a_documented_operation(rows: list[Row]) -> None:
    documented = {(r.operation.service, r.operation.method, r.operation.path) for r in rows}
    assert not set(OUT_OF_SCOPE) - documented


def test_the_coverage_table_is_current(rows: list[Row]) -> None:
    table = render(rows)
    if os.environ.get(UPDATE_ENV) == "1":
        DOC.parent.mkdir(exist_ok=True)
        DOC.write_text(table, encoding="utf-8")
    committed = DOC.read_text(encoding="utf-8") if DOC.exists() else ""
    assert committed == table, (
        f"docs/{DOC.name} is stale: run `{UPDATE_ENV}=1 pytest tests/{Path(__file__).name}` and commit it"
    )
