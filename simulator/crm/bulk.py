"""Bulk read jobs: one module's records, filtered, exported as a CSV file in a zip.

A job moves ``ADDED`` -> ``IN PROGRESS`` -> ``COMPLETED`` as the virtual clock passes
``STARTS_AFTER`` and ``DONE_AFTER`` from its creation: a test advances the clock instead of
waiting. The job reads the records when it is created (the simulator's "background run"), so its
result is fixed from then on. A callback is recorded with the job but not delivered.

Zoho's limits (bulk_read.json; Zoho's bulk read pages): 200,000 records per page of result, the
``page`` from 1 to ``MAX_PAGE``; CSV results only (ICS is for Events, a module the simulator
lacks). The request's ``criteria`` has the custom-view shape (``criteria.py``), with the field
named either as ``{"field": {"api_name"}}`` (v8) or as ``"api_name"`` (older versions).
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from simulator.clock import crm_datetime
from simulator.crm import criteria as crit
from simulator.crm.errors import (
    FieldNotAvailable,
    InvalidCallbackMethod,
    InvalidCallbackUrl,
    InvalidCriteria,
    InvalidData,
    MandatoryNotFound,
    PageRangeExceeded,
)
from simulator.crm.metadata import FieldDef, ModuleDef, find_module
from simulator.crm.models import CrmOrg, CustomView
from simulator.orders import Selection

PER_PAGE = 200_000
MAX_PAGE = 50  # the ``page`` pattern in bulk_read.json's Query schema stops at 50
STARTS_AFTER = timedelta(seconds=2)
DONE_AFTER = timedelta(seconds=10)
ID_COLUMN = "Id"


@dataclass(frozen=True)
class Callback:
    url: str
    method: str


@dataclass(frozen=True)
class Query:
    module: ModuleDef
    fields: tuple[FieldDef, ...] | None  # None: every field of the module
    criteria: Mapping[str, Any] | None
    view: CustomView | None
    page: int


@dataclass
class BulkReadJob:
    id: str
    query: Query
    created_by_id: str
    created_time: datetime
    callback: Callback | None
    columns: tuple[str, ...]
    rows: list[list[str]]
    more_records: bool

    def state(self, now: datetime) -> str:
        if now >= self.created_time + DONE_AFTER:
            return "COMPLETED"
        return "IN PROGRESS" if now >= self.created_time + STARTS_AFTER else "ADDED"

    def zip_file(self) -> bytes:
        """The result as Zoho serves it: a zip holding one ``{job id}.csv``."""
        text = io.StringIO()
        writer = csv.writer(text)
        writer.writerow(self.columns)
        writer.writerows(self.rows)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            archive.writestr(f"{self.id}.csv", text.getvalue())
        return buffer.getvalue()


@dataclass
class BulkReads:
    """A tenant's bulk read jobs, by id."""

    jobs: dict[str, BulkReadJob] = field(default_factory=dict)

    def create(self, org: CrmOrg, query: Query, *, callback: Callback | None) -> BulkReadJob:
        rows = _matching(org, query)
        start = (query.page - 1) * PER_PAGE
        shown = query.fields if query.fields is not None else query.module.fields
        job = BulkReadJob(
            id=org.ids(),
            query=query,
            created_by_id=org.current_user_id,
            created_time=org.clock.now(),
            callback=callback,
            columns=(ID_COLUMN, *(f.api_name for f in shown if f.api_name != ID_COLUMN)),
            rows=[_csv_row(org, row, shown) for row in rows[start : start + PER_PAGE]],
            more_records=len(rows) > start + PER_PAGE,
        )
        self.jobs[job.id] = job
        return job

    def get(self, job_id: str) -> BulkReadJob | None:
        return self.jobs.get(job_id)


def _matching(org: CrmOrg, query: Query) -> Selection | list[dict[str, Any]]:
    rows = org.list_records(query.module.api_name, view=query.view, sort_by="id", sort_order="asc")
    if query.criteria is None:
        return rows
    context = crit.ViewContext(org.clock.now(), org.time_zone, org.current_user_id)
    keep = crit.view_predicate(query.criteria, query.module, org.value, context)
    return [row for row in rows if keep(row)]


def _csv_row(org: CrmOrg, record: Mapping[str, Any], shown: tuple[FieldDef, ...]) -> list[str]:
    return [record["id"], *(_cell(org, record.get(f.api_name)) for f in shown if f.api_name != ID_COLUMN)]


def _cell(org: CrmOrg, value: Any) -> str:
    """Lookups and users as their ids (as stored), times in the org's zone, lists joined by ``;``."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return crm_datetime(value, org.time_zone)
    if isinstance(value, list | tuple):
        return ";".join(_cell(org, item) for item in value)
    return str(value)


# -- reading a create-job request ------------------------------------------------------------


def parse_request(org: CrmOrg, body: Mapping[str, Any]) -> tuple[Query, Callback | None]:
    """The job a request body asks for; raises the CRM error for the first thing wrong with it."""
    query = body.get("query")
    if query is None:
        raise MandatoryNotFound("query")
    if not isinstance(query, dict):
        raise InvalidData({"api_name": "query", "json_path": "$.query", "expected_data_type": "jsonobject"})
    file_type = body.get("file_type", query.get("file_type", "csv"))
    if file_type != "csv":
        raise InvalidData({"api_name": "file_type", "json_path": "$.file_type"})
    module = _module(query)
    return (
        Query(
            module=module,
            fields=_fields(query.get("fields"), module),
            criteria=_criteria(query.get("criteria"), module),
            view=_view(org, query.get("cvid"), module),
            page=_page(query.get("page")),
        ),
        _callback(body.get("callback")),
    )


def _module(query: Mapping[str, Any]) -> ModuleDef:
    raw = query.get("module")
    if raw is None:
        raise MandatoryNotFound("module", json_path="$.query.module")
    name = raw.get("api_name") if isinstance(raw, dict) else raw
    module = find_module(name) if isinstance(name, str) else None
    if module is None:
        raise InvalidData({"api_name": "module", "json_path": "$.query.module"}, message="invalid module")
    return module


def _fields(raw: Any, module: ModuleDef) -> tuple[FieldDef, ...] | None:
    if raw is None:
        return None
    if not isinstance(raw, list) or not all(isinstance(name, str) for name in raw):
        raise InvalidData(
            {"api_name": "fields", "json_path": "$.query.fields", "expected_data_type": "jsonarray"}
        )
    shown = []
    for name in raw:
        if name == ID_COLUMN:
            continue
        f = module.by_name.get(name)
        if f is None:
            raise FieldNotAvailable(name, module.api_name)
        shown.append(f)
    return tuple(shown)


def _criteria(raw: Any, module: ModuleDef) -> Mapping[str, Any] | None:
    if raw is None:
        return None
    criteria = _view_shaped(raw)
    try:
        crit.validate_view_criteria(criteria, module)
    except InvalidData as exc:
        raise InvalidCriteria(exc.details) from None
    return criteria


def _view_shaped(node: Any) -> Any:
    """Older versions name a condition's field with ``api_name``; v8 (and views) with ``field``."""
    if not isinstance(node, dict):
        return node
    shaped = {
        key: [_view_shaped(child) for child in value] if key == "group" and isinstance(value, list) else value
        for key, value in node.items()
    }
    if "field" not in shaped and isinstance(shaped.get("api_name"), str):
        shaped["field"] = {"api_name": shaped.pop("api_name")}
    return shaped


def _view(org: CrmOrg, raw: Any, module: ModuleDef) -> CustomView | None:
    if raw is None:
        return None
    view = org.view(module.api_name, str(raw)) if isinstance(raw, str | int) else None
    if view is None:
        raise InvalidData({"api_name": "cvid", "json_path": "$.query.cvid"})
    return view


def _page(raw: Any) -> int:
    if raw is None:
        return 1
    if isinstance(raw, bool) or not isinstance(raw, int):
        raise InvalidData({"api_name": "page", "json_path": "$.query.page", "expected_data_type": "integer"})
    if not 1 <= raw <= MAX_PAGE:
        raise PageRangeExceeded(MAX_PAGE)
    return raw


def _callback(raw: Any) -> Callback | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise InvalidCallbackUrl()
    url, method = raw.get("url"), raw.get("method", "post")
    if not isinstance(url, str):
        raise InvalidCallbackUrl()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise InvalidCallbackUrl()
    if not isinstance(method, str) or method.lower() != "post":
        raise InvalidCallbackMethod()
    return Callback(url=url, method="post")
