"""Paging mutants: the reference syncer with its CRM record lists read wrong, as a faulty client (or
a faulty layer between a correct syncer and Zoho) would read them.

Each patches ``ZohoHttp.request`` for one run and edits what a CRM record list read
(``GET /crm/v8/{module}``) sends or gets back; every other request passes untouched. Only a world
whose lists take more than one page (``conformance/directed.py``'s ``PAGING``) can tell them from
the reference.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from typing import Any
from unittest import mock
from urllib.parse import urlsplit

import httpx

from syncer.clients.errors import ZohoApiError
from syncer.clients.http import ZohoHttp

#: Modules whose record lists a sync reads.
RECORD_LISTS = ("Accounts", "Contacts", "Vendors", "Products")

#: Given a list read's query and the call that makes it, the reply the syncer gets.
ListRead = Callable[[dict[str, Any], Callable[[dict[str, Any]], httpx.Response]], httpx.Response]


def _is_record_list(service: str, method: str, url: str) -> bool:
    segments = urlsplit(url).path.rstrip("/").split("/")
    return service == "crm" and method.upper() == "GET" and segments[-1] in RECORD_LISTS


def edited_list_reads(read: ListRead) -> Iterator[AbstractContextManager[Any]]:
    """Patches that send every CRM record list read through ``read``."""
    original = ZohoHttp.request

    def request(self: ZohoHttp, service: Any, method: str, url: str, **kwargs: Any) -> httpx.Response:
        if not _is_record_list(service, method, url):
            return original(self, service, method, url, **kwargs)

        def call(params: dict[str, Any]) -> httpx.Response:
            return original(self, service, method, url, **{**kwargs, "params": params})

        return read(dict(kwargs.get("params") or {}), call)

    yield mock.patch.object(ZohoHttp, "request", request)


def _info(reply: httpx.Response) -> dict[str, Any]:
    return (reply.json().get("info") or {}) if reply.status_code == 200 else {}


def _with_info(reply: httpx.Response, **changes: Any) -> httpx.Response:
    body = reply.json()
    body["info"] = {**body["info"], **changes}
    return httpx.Response(200, json=body, request=reply.request)


def drop_last_page(
    params: dict[str, Any], call: Callable[[dict[str, Any]], httpx.Response]
) -> httpx.Response:
    """A list's last page, when it has more than one, comes back empty (204)."""
    reply = call(params)
    later_page = "page_token" in params or int(params.get("page", 1)) > 1
    if later_page and _info(reply) and not _info(reply).get("more_records"):
        return httpx.Response(204, request=reply.request)
    return reply


def stop_at_first_page(
    params: dict[str, Any], call: Callable[[dict[str, Any]], httpx.Response]
) -> httpx.Response:
    """``more_records`` is never seen: the first page is the whole list."""
    reply = call(params)
    return _with_info(reply, more_records=False) if _info(reply).get("more_records") else reply


def pages_without_tokens(
    params: dict[str, Any], call: Callable[[dict[str, Any]], httpx.Response]
) -> httpx.Response:
    """``next_page_token`` is never seen, so the syncer asks for ``page`` after ``page``; past the
    2,000th record Zoho refuses (DISCRETE_PAGINATION_LIMIT_EXCEEDED) and the read ends there, as if
    the list had ended."""
    try:
        reply = call(params)
    except ZohoApiError as error:
        if error.code != "DISCRETE_PAGINATION_LIMIT_EXCEEDED":
            raise
        return httpx.Response(204)
    return _with_info(reply, next_page_token=None) if _info(reply).get("next_page_token") else reply
