"""Assertions shared by the CRM HTTP tests: Zoho's envelopes, exactly, and the documented shapes.

Where Zoho's OpenAPI documents disagree with what the API returns (per the research), the
disagreeing paths are listed here once, each with its reason, and tolerated by ``valid``.
"""

from __future__ import annotations

from typing import Any

import httpx

from tests.openapi import validate_response
from tests.support import ZohoClient

#: Paths where the documents contradict the research's captures of real replies.
OAS_GAPS: dict[str, tuple[str, ...]] = {
    # Null until there is a next/previous page (research §1.1 sample); the document says string.
    "list": ("$.info.next_page_token", "$.info.previous_page_token", "$.info.page_token_expiry"),
    # ``duplicate_field`` is null on an upsert's insert (research §1.5).
    "upsert": ("$.data[*].duplicate_field",),
    # The SDK types ``count`` as Long (CountWrapper); the document says string.
    "count": ("$.count",),
    # Features a field does not use are null or {} in Zoho's replies; the document requires objects,
    # and requires generator artefacts (``common.picklist``, ``autonumber``, ``_update_existing_records``).
    "fields": tuple(
        f"$.fields[*]['{key}']"
        for key in (
            "associated_module",
            "association_details",
            "autonumber",
            "common.picklist",
            "crypt",
            "external",
            "hipaa_compliance",
            "history_tracking",
            "multiuserlookup",
            "private",
            "refer_from_field",
            "sharing_properties",
            "sub_module",
            "textarea",
            "tooltip",
            "_update_existing_records",
        )
    ),
    # Research §3's module sample: ``modified_by`` null; a module entry lists no fields, views or
    # related-list settings (those have their own endpoints).
    "modules": tuple(
        f"$.modules[*]['{key}']"
        for key in (
            "modified_by",
            "common.search_supported",
            "fields",
            "custom_view",
            "related_list_properties",
        )
    ),
    # Research §3: the list carries no criteria (nor a view's columns, sort or sharing); a system
    # view has no creator.
    "custom_views": tuple(
        f"$.custom_views[*].{key}"
        for key in (
            "created_by",
            "modified_by",
            "module",
            "criteria",
            "offline",
            "shared_to",
            "fields",
            "sort_by",
            "sort_order",
        )
    ),
    # A bulk read job (Zoho's job-details samples): the query echoes what was asked (module and page
    # at least); ``result`` comes with COMPLETED, without ``next_page_token`` when there is no next page.
    "bulk_read_job": (
        "$.data[*].query.cvid",
        "$.data[*].query.fields",
        "$.data[*].query.criteria",
        "$.data[*].query.file_type",
        "$.data[*].result",
        "$.data[*].result.next_page_token",
    ),
    # The by-id view: module as {api_name, id}, criteria in Zoho's own shape, no sharing on public views.
    "custom_view": (
        "$.custom_views[*].created_by",
        "$.custom_views[*].modified_by",
        "$.custom_views[*].module",
        "$.custom_views[*].criteria",
        "$.custom_views[*].shared_to",
    ),
    # Research §3's org sample: lower-case ``production``; an enterprise licence with no expiry set.
    "org": (
        "$.org[*].type",
        "$.org[*].license_details.paid_expiry",
        "$.org[*].license_details.trial_action",
        "$.org[*].ezgid",
        "$.org[*].call_icon",
        "$.org[*].zia_zgid",
    ),
    # The record document types a record's tags as whole tags (times, creators); records carry them as
    # tags.json's Record_Detail_Tag ({name, id, color_code}), COQL as {name, id}.
    "tags": ("$.data[*].Tag",),
    # A standard layout has no creator, no conversion mapping and no section properties (null or {}
    # where the document requires objects); its fields are settings/fields' own entries ("fields").
    "layouts": (
        "$.layouts[*].created_for",
        "$.layouts[*].modified_by",
        "$.layouts[*].created_by",
        "$.layouts[*].convert_mapping",
        "$.layouts[*].sections[*].properties",
        "$.layouts[*].sections[*]._delete",
        "$.layouts[*].sections[*].fields",
    ),
    # Research §3's user sample: ``time_zone`` a name, ``MM/dd/yyyy``; the document's e-mail regex
    # and object-only ``Reporting_To`` (null for the top of the hierarchy) fit no real org.
    "users": (
        "$.users[*].time_zone",
        "$.users[*].date_format",
        "$.users[*].email",
        "$.users[*].Reporting_To",
    ),
}


def valid(reply: httpx.Response, gaps: str | None = None) -> dict[str, Any]:
    """The reply's body, after checking it against Zoho's OpenAPI document for its route."""
    body = reply.json()
    ignore = OAS_GAPS[gaps] if gaps else ()
    validate_response(
        "crm", reply.request.method, reply.request.url.path, reply.status_code, body, ignore=ignore
    )
    return body


def error(
    reply: httpx.Response, status: int, code: str, message: str, details: dict[str, Any] | None = None
) -> None:
    """A top-level CRM error, exactly."""
    expected = {"code": code, "details": details or {}, "message": message, "status": "error"}
    assert (reply.status_code, reply.json()) == (status, expected)
    assert reply.headers["content-type"] == "application/json;charset=UTF-8"


def item(code: str, message: str, details: dict[str, Any]) -> dict[str, Any]:
    """A per-record error inside ``{"data": [...]}``."""
    return {"code": code, "details": details, "message": message, "status": "error"}


def empty(reply: httpx.Response, status: int) -> None:
    """204 and 304: no body and no Content-Type (the SDK reads a body only when one is typed)."""
    assert reply.status_code == status
    assert reply.content == b""
    assert "content-type" not in reply.headers


def advance(zoho: ZohoClient, seconds: float) -> None:
    """Move the virtual clock; access tokens age with it."""
    zoho.control("POST", "/clock", json={"advance": seconds}).raise_for_status()


def fresh_token(zoho: ZohoClient) -> str:
    """A new access token from the tenant's refresh token (the cached one may have expired)."""
    reply = zoho.http.post(
        "/oauth/v2/token",
        data={
            "grant_type": "refresh_token",
            "client_id": zoho.creds["client_id"],
            "client_secret": zoho.creds["client_secret"],
            "refresh_token": zoho.creds["refresh_token"],
        },
    )
    return reply.json()["access_token"]


def versioned(zoho: ZohoClient, version: str, method: str, path: str, **kwargs: Any) -> httpx.Response:
    """A CRM call on another API version than v8."""
    headers = {"Authorization": f"Zoho-oauthtoken {zoho.token()}"}
    return zoho.http.request(method, f"/crm/{version}{path}", headers=headers, **kwargs)


def ids_of(reply: httpx.Response) -> list[str]:
    return [record["id"] for record in reply.json()["data"]]
