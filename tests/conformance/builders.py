"""Hand-built records and runs for the invariant checks' unit tests (simulator export format)."""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from typing import Any

from conformance.contract import SyncShape
from conformance.invariants import SINGLE_RUN, CheckReport
from conformance.observe import Request, RunObservation, RunOutcome, Snapshot
from conformance.oracle import Pairs, Plan, plan_run
from simulator.books.address import ADDRESS_KEYS

T0 = "2026-01-15T09:00:00+00:00"
T1 = "2026-01-15T09:00:01+00:00"
T2 = "2026-01-15T09:00:02+00:00"
T3 = "2026-01-15T09:05:00+00:00"


def account(crm_id: str, name: str, *, created: str = T0, modified: str | None = None, **fields: Any) -> dict:
    return {
        "id": crm_id,
        "Account_Name": name,
        "Created_Time": created,
        "Modified_Time": modified or created,
        **fields,
    }


def contact(
    crm_id: str,
    first: str | None,
    last: str,
    *,
    account_id: str | None = None,
    created: str = T0,
    **fields: Any,
) -> dict:
    record = {"id": crm_id, "Last_Name": last, "Created_Time": created, "Modified_Time": created, **fields}
    if first:
        record["First_Name"] = first
    if account_id:
        record["Account_Name"] = account_id
    record["Full_Name"] = " ".join(p for p in (first, last) if p)
    return record


def vendor(crm_id: str, name: str, **fields: Any) -> dict:
    return {"id": crm_id, "Vendor_Name": name, "Created_Time": T0, "Modified_Time": T0, **fields}


def product(crm_id: str, name: str, *, code: str | None = None, **fields: Any) -> dict:
    record = {"id": crm_id, "Product_Name": name, "Created_Time": T0, "Modified_Time": T0, **fields}
    if code:
        record["Product_Code"] = code
    return record


def _address(**fields: str) -> dict:
    return {"address_id": "9", **dict.fromkeys(ADDRESS_KEYS, ""), **fields}


def customer(
    books_id: str,
    name: str,
    *,
    created: str = T0,
    modified: str | None = None,
    sub: str = "business",
    kind: str = "customer",
    persons: Iterable[Mapping[str, Any]] = (),
    **fields: Any,
) -> dict:
    record = {
        "contact_id": books_id,
        "contact_name": name,
        "contact_type": kind,
        "customer_sub_type": sub,
        "created_time": created,
        "last_modified_time": modified or created,
        "company_name": "",
        "website": "",
        "notes": "",
        "payment_terms": 0,
        "status": "active",
        "billing_address": _address(),
        "shipping_address": _address(),
        "contact_persons": [dict(p) for p in persons],
        "zcrm_account_id": "",
        "zcrm_contact_id": "",
        "zcrm_vendor_id": "",
    }
    for key, value in fields.items():
        if key in ("billing_address", "shipping_address"):
            record[key] = _address(**value)
        else:
            record[key] = value
    return record


def person(person_id: str, first: str, last: str, *, primary: bool = False, **fields: Any) -> dict:
    return {
        "contact_person_id": person_id,
        "first_name": first,
        "last_name": last,
        "email": "",
        "phone": "",
        "mobile": "",
        "designation": "",
        "department": "",
        "is_primary_contact": primary,
        **fields,
    }


def item(
    books_id: str, name: str, *, sku: str = "", rate: float = 0, created: str = T0, **fields: Any
) -> dict:
    return {
        "item_id": books_id,
        "name": name,
        "sku": sku,
        "rate": rate,
        "description": "",
        "status": "active",
        "unit": "",
        "created_time": created,
        "last_modified_time": created,
        "zcrm_product_id": "",
        **fields,
    }


def snap(*records: dict) -> Snapshot:
    crm: dict[str, list[dict]] = {"Accounts": [], "Contacts": [], "Vendors": [], "Products": []}
    contacts, items = [], []
    for record in records:
        if "contact_id" in record:
            contacts.append(record)
        elif "item_id" in record:
            items.append(record)
        elif "Account_Name" in record and "Last_Name" not in record:
            crm["Accounts"].append(record)
        elif "Last_Name" in record:
            crm["Contacts"].append(record)
        elif "Vendor_Name" in record:
            crm["Vendors"].append(record)
        else:
            crm["Products"].append(record)
    return Snapshot.build(crm, contacts, items)


def changed(
    snapshot: Snapshot, books_id: str | None = None, *, crm: tuple[str, str] | None = None, **fields: Any
) -> Snapshot:
    """A copy of ``snapshot`` with one record's fields changed."""
    out = copy.deepcopy(snapshot)
    if books_id:
        record = out.books_record(books_id)
    else:
        assert crm is not None, "name the record: a Books id or crm=(module, id)"
        record = out.crm[crm[0]][crm[1]]
    assert record is not None
    for key, value in fields.items():
        if "." in key:
            head, sub = key.split(".", 1)
            record[head][sub] = value
        else:
            record[key] = value
    return out


def plan(
    entry: Mapping[str, Any],
    before: Snapshot,
    after: Snapshot,
    *,
    requests: Iterable[Request] = (),
    in_view: Mapping[str, set[str]] | None = None,
    previous: Snapshot | None = None,
    pairs: Pairs | None = None,
    allow_dup: bool = True,
    quiet: bool = False,
    edited: bool = False,
    outcome: RunOutcome | None = None,
) -> Plan:
    view = {m: set(t) for m, t in before.crm.items()}
    view.update(in_view or {})
    obs = RunObservation(before, after, list(requests), view, outcome or RunOutcome(ok=True))
    return plan_run(
        index=2 if previous else 1,
        shape=SyncShape(dict(entry)),
        allow_duplicate_names=allow_dup,
        obs=obs,
        previous=previous,
        pairs_before=pairs or Pairs(),
        quiet=quiet,
        edited=edited,
    )


def flagged(the_plan: Plan) -> set[str]:
    """Every invariant id any single-run check reports for this run."""
    report = CheckReport()
    for invariant, check in SINGLE_RUN.items():
        report.add(invariant, check(the_plan))
    return {v.invariant for v in report.violations}


def write(service: str, method: str, path: str, body: Any = None, status: int = 200) -> Request:
    return Request(service, method, path, body, status)
