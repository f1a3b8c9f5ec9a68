"""Zoho CRM v8: paged record reads, metadata, search, and batched writes with per-record outcomes."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any, NotRequired, TypedDict

from syncer.clients.dates import crm_datetime
from syncer.clients.errors import ViewPastTokenLimit, WriteOutcomeUnknown, ZohoApiError
from syncer.clients.http import WriteKind, ZohoHttp

PER_PAGE = 200
MAX_FIELDS = 50
WRITE_BATCH = 100
#: COQL's largest LIMIT.
COQL_LIMIT = 2000


class Outcome(TypedDict):
    """One record's result, in input order. ``id`` is the record's (the new one on insert)."""

    status: str
    id: str | None
    code: str | None
    message: str
    details: dict[str, Any]
    action: NotRequired[str]


class CrmClient:
    def __init__(self, http: ZohoHttp, base_url: str) -> None:
        self.http = http
        self.base_url = base_url.rstrip("/")

    # -- reads -------------------------------------------------------------------------------

    def records(
        self,
        module: str,
        *,
        fields: Sequence[str],
        cvid: str | None = None,
        modified_since: datetime | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Every record (of the view), following ``next_page_token`` past the first 2000, and past
        the 100,000 that page tokens reach, COQL (``_records_below``)."""
        params: dict[str, Any] = {"fields": _fields_param(fields), "per_page": PER_PAGE}
        if cvid:
            params["cvid"] = cvid
        headers = {"If-Modified-Since": crm_datetime(modified_since)} if modified_since else None
        page, token, read, smallest = 1, None, 0, 0
        while True:
            query = {**params, "page_token": token} if token else {**params, "page": page}
            try:
                reply = self.http.request(
                    "crm", "GET", f"{self.base_url}/{module}", params=query, headers=headers
                )
            except ZohoApiError as exc:
                if exc.code != "PAGINATION_LIMIT_EXCEEDED" or not read:
                    raise
                if cvid:
                    raise ViewPastTokenLimit(module=module, cvid=cvid, read=read) from exc
                yield from self._records_below(smallest, module, fields=fields, modified_since=modified_since)
                return
            if reply.status_code in (204, 304):
                return
            body = reply.json()
            data = body.get("data") or []
            yield from data
            read += len(data)
            smallest = min((int(row["id"]) for row in data), default=smallest)
            info = body.get("info") or {}
            if not info.get("more_records"):
                return
            # Without a token (v2-style replies) ``page`` goes on, up to Zoho's 2000-record cap.
            token, page = info.get("next_page_token"), page + 1

    def _records_below(
        self, smallest: int, module: str, *, fields: Sequence[str], modified_since: datetime | None
    ) -> Iterator[dict[str, Any]]:
        """The records whose id is below ``smallest``, by COQL keyset paging (Zoho's advice past the
        page-token limit). The list API reads by id descending (its default order), so every record
        not yet read has a smaller id: ``id < smallest order by id desc`` misses and repeats none,
        and needs no ``offset`` (which COQL also caps at 100,000)."""
        names = self._lookup_names(module, fields)
        columns = _fields_param([*fields, *(f"{name}.{shown}" for name, shown in names.items())])
        since = f" and Modified_Time > '{crm_datetime(modified_since)}'" if modified_since else ""
        while True:
            statement = (
                f"select {columns} from {module} where (id < {smallest}{since}) "
                f"order by id desc limit {COQL_LIMIT}"
            )
            reply = self.http.request(
                "crm", "POST", f"{self.base_url}/coql", json={"select_query": statement}
            )
            if reply.status_code == 204:
                return
            body = reply.json()
            data = body.get("data") or []
            yield from (_named(row, names) for row in data)
            if not data or not (body.get("info") or {}).get("more_records"):
                return
            smallest = min(int(row["id"]) for row in data)

    def _lookup_names(self, module: str, fields: Sequence[str]) -> dict[str, str]:
        """Each asked lookup's name field in its target module (``display_field``): COQL shows a
        lookup as ``{"id"}`` only, the list API as ``{"name", "id"}``, and a field map reads the name."""
        asked = set(fields)
        targets = {
            f["api_name"]: f["lookup"]["module"]["api_name"]
            for f in self.fields(module)
            if f["api_name"] in asked
            and f.get("data_type") == "lookup"
            and (f.get("lookup") or {}).get("module")
        }
        shown = {
            target: next((f["api_name"] for f in self.fields(target) if f.get("display_field")), None)
            for target in set(targets.values())
        }
        return {name: str(shown[target]) for name, target in targets.items() if shown[target]}

    def get(self, module: str, record_id: str) -> dict[str, Any] | None:
        reply = self.http.request("crm", "GET", f"{self.base_url}/{module}/{record_id}")
        if reply.status_code == 204:
            return None
        data = reply.json().get("data") or []
        return data[0] if data else None

    def search(
        self,
        module: str,
        *,
        criteria: str | None = None,
        email: str | None = None,
        word: str | None = None,
        fields: Sequence[str] | None = None,
    ) -> list[dict[str, Any]]:
        """Records matching exactly one of ``criteria`` (``(Field:equals:value)``), ``email``, ``word``."""
        given = {k: v for k, v in {"criteria": criteria, "email": email, "word": word}.items() if v}
        if len(given) != 1:
            raise ValueError("give exactly one of criteria, email and word")
        params: dict[str, Any] = {**given, "per_page": PER_PAGE}
        if fields:
            params["fields"] = _fields_param(fields)
        found: list[dict[str, Any]] = []
        page = 1
        while True:
            reply = self.http.request(
                "crm", "GET", f"{self.base_url}/{module}/search", params={**params, "page": page}
            )
            if reply.status_code == 204:
                return found
            body = reply.json()
            found.extend(body.get("data") or [])
            if not (body.get("info") or {}).get("more_records"):
                return found
            page += 1

    def org_id(self) -> str:
        """The CRM org's id (``org[0].zgid``, as Zoho's SDKs read it)."""
        org = (self.http.request("crm", "GET", f"{self.base_url}/org").json().get("org") or [{}])[0]
        return str(org.get("zgid") or org.get("id") or "")

    def fields(self, module: str) -> list[dict[str, Any]]:
        reply = self.http.request("crm", "GET", f"{self.base_url}/settings/fields", params={"module": module})
        return [] if reply.status_code == 204 else reply.json().get("fields") or []

    def views(self, module: str) -> list[dict[str, Any]]:
        views: list[dict[str, Any]] = []
        page = 1
        while True:
            reply = self.http.request(
                "crm",
                "GET",
                f"{self.base_url}/settings/custom_views",
                params={"module": module, "page": page, "per_page": PER_PAGE},
            )
            if reply.status_code == 204:
                return views
            body = reply.json()
            views.extend(body.get("custom_views") or [])
            if not (body.get("info") or {}).get("more_records"):
                return views
            page += 1

    # -- writes ------------------------------------------------------------------------------

    def insert(self, module: str, records: Sequence[Mapping[str, Any]]) -> list[Outcome]:
        """A create is never retried once sent: on a lost reply, ``WriteOutcomeUnknown``."""
        return self._write("POST", module, records, kind="create")

    def update(self, module: str, records: Sequence[Mapping[str, Any]]) -> list[Outcome]:
        """Each record carries its ``id``; an update is safe to retry."""
        return self._write("PUT", module, records, kind="idempotent")

    def upsert(
        self, module: str, records: Sequence[Mapping[str, Any]], *, duplicate_check_fields: Sequence[str]
    ) -> list[Outcome]:
        return self._write(
            "POST",
            module,
            records,
            kind="idempotent",
            path="/upsert",
            extra={"duplicate_check_fields": list(duplicate_check_fields)},
        )

    def _write(
        self,
        method: str,
        module: str,
        records: Sequence[Mapping[str, Any]],
        *,
        kind: WriteKind,
        path: str = "",
        extra: Mapping[str, Any] | None = None,
    ) -> list[Outcome]:
        outcomes: list[Outcome] = []
        for start in range(0, len(records), WRITE_BATCH):
            batch = [dict(record) for record in records[start : start + WRITE_BATCH]]
            try:
                items = self._write_batch(method, f"{self.base_url}/{module}{path}", batch, kind, extra)
            except WriteOutcomeUnknown as exc:
                exc.done = list(outcomes)
                raise
            outcomes.extend(_outcome(item, sent) for item, sent in zip(items, batch, strict=True))
        return outcomes

    def _write_batch(
        self,
        method: str,
        url: str,
        batch: list[dict[str, Any]],
        kind: WriteKind,
        extra: Mapping[str, Any] | None,
    ) -> list[dict[str, Any]]:
        """The reply's ``data`` items: 200/201 (all done), 207 (mixed) and 400 (all failed) alike."""
        body = {"data": batch, **(extra or {})}
        try:
            reply = self.http.request("crm", method, url, json=body, write_kind=kind)
        except ZohoApiError as exc:
            items = exc.body.get("data") if exc.status == 400 and isinstance(exc.body, dict) else None
            if isinstance(items, list) and len(items) == len(batch):
                return items
            raise
        items = reply.json().get("data")
        if isinstance(items, list) and len(items) == len(batch):
            return items
        raise ZohoApiError(
            service="crm",
            status=reply.status_code,
            code=None,
            message=f"expected {len(batch)} outcomes in data, got {str(items)[:200]}",
            body=reply.text,
            method=method,
            url=url,
        )


def _outcome(item: Mapping[str, Any], sent: Mapping[str, Any]) -> Outcome:
    raw = item.get("details")
    details: dict[str, Any] = raw if isinstance(raw, dict) else {}
    ok = item.get("status") == "success"
    record_id = details.get("id") if ok else sent.get("id")
    outcome: Outcome = {
        "status": "success" if ok else "error",
        "id": None if record_id is None else str(record_id),
        "code": item.get("code"),
        "message": str(item.get("message", "")),
        "details": details,
    }
    if item.get("action"):
        outcome["action"] = item["action"]
    return outcome


def _named(row: dict[str, Any], names: Mapping[str, str]) -> dict[str, Any]:
    """``row`` with each lookup as the list API shows it, its name from the ``lookup.name`` column."""
    for name, shown in names.items():
        value = row.pop(f"{name}.{shown}", None)
        if isinstance(row.get(name), dict):
            row[name] = {"name": value, **row[name]}
    return row


def _fields_param(fields: Sequence[str]) -> str:
    if isinstance(fields, str):
        raise TypeError("give fields as a list of API names, e.g. ['Account_Name', 'Website']")
    names = list(dict.fromkeys(name.strip() for name in fields if name.strip()))
    if not names:
        raise ValueError("CRM v8 needs at least one field to read")
    if len(names) > MAX_FIELDS:
        raise ValueError(f"CRM reads at most {MAX_FIELDS} fields per call; {len(names)} were asked for")
    return ",".join(names)
