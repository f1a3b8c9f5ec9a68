"""Zoho Books v3: contacts (customers and vendors) and items, always scoped to one organization."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

import httpx

from syncer.clients.dates import parse_zoho_datetime
from syncer.clients.errors import RequestInfo, WriteOutcomeUnknown, ZohoApiError
from syncer.clients.http import WriteKind, ZohoHttp

PER_PAGE = 200
#: Books' "does not exist" (e.g. ``Contact does not exist.``).
DOES_NOT_EXIST = 1002


class BooksClient:
    def __init__(self, http: ZohoHttp, base_url: str, organization_id: str) -> None:
        self.http = http
        self.base_url = base_url.rstrip("/")
        self.organization_id = organization_id

    # -- contacts ----------------------------------------------------------------------------

    def contacts(
        self, *, contact_type: str | None = None, newer_than: datetime | None = None
    ) -> Iterator[dict[str, Any]]:
        """List rows, inactive ones included. With ``newer_than``, newest first, and only rows whose
        ``last_modified_time`` (whole seconds) is later: the read stops at the first older row, so
        an incremental read costs one page. Pass ``newer_than`` with an overlap."""
        _require_aware(newer_than)
        params: dict[str, Any] = {"filter_by": "Status.All"}
        if contact_type:
            params["contact_type"] = contact_type
        if newer_than is None:
            yield from self._list("contacts", params)
            return
        params |= {"sort_column": "last_modified_time", "sort_order": "D"}
        for row in self._list("contacts", params):
            if not _newer(row, newer_than):
                return
            yield row

    def contact(self, contact_id: str) -> dict[str, Any] | None:
        return self._get(f"contacts/{contact_id}", "contact")

    def create_contact(self, body: Mapping[str, Any]) -> dict[str, Any]:
        return self._record("POST", "contacts", body, "contact", kind="create")

    def update_contact(self, contact_id: str, body: Mapping[str, Any]) -> dict[str, Any]:
        return self._record("PUT", f"contacts/{contact_id}", body, "contact")

    def set_contact_active(self, contact_id: str, active: bool) -> None:
        self._write("POST", f"contacts/{contact_id}/{'active' if active else 'inactive'}", None)

    # -- items -------------------------------------------------------------------------------

    def items(self, *, newer_than: datetime | None = None) -> Iterator[dict[str, Any]]:
        """Every item, inactive ones included. Books cannot sort items by modification time, so
        ``newer_than`` filters here and the read still costs every page."""
        _require_aware(newer_than)
        for row in self._list("items", {"filter_by": "Status.All"}):
            if newer_than is None or _newer(row, newer_than):
                yield row

    def item(self, item_id: str) -> dict[str, Any] | None:
        return self._get(f"items/{item_id}", "item")

    def create_item(self, body: Mapping[str, Any]) -> dict[str, Any]:
        return self._record("POST", "items", body, "item", kind="create")

    def update_item(self, item_id: str, body: Mapping[str, Any]) -> dict[str, Any]:
        return self._record("PUT", f"items/{item_id}", body, "item")

    def set_item_active(self, item_id: str, active: bool) -> None:
        self._write("POST", f"items/{item_id}/{'active' if active else 'inactive'}", None)

    # -- plumbing ----------------------------------------------------------------------------

    def _list(self, collection: str, params: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
        page = 1
        while True:
            query = {**params, "page": page, "per_page": PER_PAGE}
            body = self._call("GET", collection, params=query)
            yield from body.get(collection) or []
            if not (body.get("page_context") or {}).get("has_more_page"):
                return
            page += 1

    def _get(self, path: str, key: str) -> dict[str, Any] | None:
        try:
            return self._call("GET", path)[key]
        except ZohoApiError as exc:
            if exc.code == DOES_NOT_EXIST:
                return None
            raise

    def _record(
        self, method: str, path: str, body: Mapping[str, Any], key: str, *, kind: WriteKind = "idempotent"
    ) -> dict[str, Any]:
        """The record a write's reply carries. A 2xx reply without it is an error of that record
        (``ZohoApiError``); after a create, the create may have happened (``WriteOutcomeUnknown``)."""
        reply = self._write(method, path, body, kind=kind)
        record = reply.get(key)
        if isinstance(record, dict):
            return record
        url = f"{self.base_url}/{path}"
        cause = f"the reply has no {key!r}"
        if kind == "create":
            info = RequestInfo(service="books", method=method, url=url, params=None, json=dict(body))
            raise WriteOutcomeUnknown(info, cause=cause)
        raise ZohoApiError(
            service="books",
            status=200,
            code=None,
            message=f"{cause} (Books said {str(reply)[:120]})",
            body=reply,
            method=method,
            url=url,
        )

    def _write(
        self, method: str, path: str, body: Mapping[str, Any] | None, *, kind: WriteKind = "idempotent"
    ) -> dict[str, Any]:
        return self._call(method, path, json=None if body is None else dict(body), write_kind=kind)

    def _call(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        write_kind: WriteKind = "read",
    ) -> dict[str, Any]:
        url = f"{self.base_url}/{path}"
        query = {**(params or {}), "organization_id": self.organization_id}
        reply = self.http.request("books", method, url, params=query, json=json, write_kind=write_kind)
        return _body(reply, method=method, url=url)


def _body(reply: httpx.Response, *, method: str, url: str) -> dict[str, Any]:
    """A 2xx reply's JSON; Books may still say ``code != 0`` in one, which is an error too."""
    try:
        body = reply.json()
    except ValueError:
        body = None
    if not isinstance(body, dict) or body.get("code", 0) != 0:
        raise ZohoApiError(
            service="books",
            status=reply.status_code,
            code=body.get("code") if isinstance(body, dict) else None,
            message=str(body.get("message")) if isinstance(body, dict) else reply.text[:200],
            body=body,
            method=method,
            url=url,
        )
    return body


def _require_aware(when: datetime | None) -> None:
    if when is not None and when.tzinfo is None:
        raise ValueError(f"{when!r} is naive: give an aware datetime (e.g. tzinfo=UTC)")


def _newer(row: Mapping[str, Any], than: datetime) -> bool:
    stamp = row.get("last_modified_time")
    return not stamp or parse_zoho_datetime(stamp) > than
