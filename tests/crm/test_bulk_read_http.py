"""Bulk read over HTTP: a job's states on the virtual clock, and its result, a zip of one CSV."""

from __future__ import annotations

import csv
import io
import zipfile
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from simulator.crm.bulk import DONE_AFTER, PER_PAGE, STARTS_AFTER
from tests.conftest import fresh_client
from tests.crm.expect import OAS_GAPS, advance, error
from tests.openapi import validate_response
from tests.support import ZohoClient

SCOPES = ("ZohoCRM.bulk.ALL", "ZohoCRM.modules.ALL")
READ = "/crm/bulk/v8/read"


def bulk(
    zoho: ZohoClient, method: str, path: str = "", *, scopes: tuple[str, ...] = SCOPES, **kw: Any
) -> httpx.Response:
    headers = {"Authorization": f"Zoho-oauthtoken {zoho.token(scopes)}"}
    return zoho.http.request(method, READ + path, headers=headers, **kw)


def create_job(zoho: ZohoClient, query: dict[str, Any], **extra: Any) -> str:
    reply = bulk(zoho, "POST", json={"query": query, **extra})
    assert reply.status_code == 201, reply.text
    validate_response("crm", "POST", READ, 201, reply.json())
    return reply.json()["data"][0]["details"]["id"]


def result_rows(zoho: ZohoClient, job_id: str) -> list[dict[str, str]]:
    reply = bulk(zoho, "GET", f"/{job_id}/result")
    assert reply.status_code == 200, reply.text
    assert reply.headers["content-type"] == "application/x-download"
    assert reply.headers["content-disposition"] == f'attachment; filename="{job_id}.zip"'
    archive = zipfile.ZipFile(io.BytesIO(reply.content))
    assert archive.namelist() == [f"{job_id}.csv"]
    return list(csv.DictReader(io.StringIO(archive.read(f"{job_id}.csv").decode())))


def test_a_job_moves_from_added_to_completed_as_the_clock_advances(zoho: ZohoClient) -> None:
    job_id = create_job(zoho, {"module": {"api_name": "Contacts"}})
    states = []
    for seconds in (0, STARTS_AFTER.total_seconds(), (DONE_AFTER - STARTS_AFTER).total_seconds()):
        advance(zoho, seconds)
        reply = bulk(zoho, "GET", f"/{job_id}")
        assert reply.status_code == 200, reply.text
        validate_response(
            "crm", "GET", f"{READ}/{job_id}", 200, reply.json(), ignore=OAS_GAPS["bulk_read_job"]
        )
        states.append(reply.json()["data"][0]["state"])
    assert states == ["ADDED", "IN PROGRESS", "COMPLETED"]
    job = reply.json()["data"][0]
    assert job["operation"] == "read" and job["file_type"] == "csv"
    assert job["query"]["module"]["api_name"] == "Contacts" and job["query"]["page"] == 1
    total = zoho.crm("GET", "/Contacts/actions/count").json()["count"]
    assert job["result"] == {
        "page": 1,
        "count": total,
        "download_url": f"{READ}/{job_id}/result",
        "per_page": PER_PAGE,
        "more_records": False,
    }
    ignore = [gap for gap in OAS_GAPS["bulk_read_job"] if gap != "$.data[*].result"]
    validate_response(
        "crm",
        "GET",
        f"{READ}/{job_id}",
        200,
        reply.json(),
        ignore=ignore,
    )


def test_the_result_is_the_matching_records_with_the_requested_columns(zoho: ZohoClient) -> None:
    criteria = {
        "group_operator": "or",
        "group": [
            {"field": {"api_name": "Last_Name"}, "comparator": "starts_with", "value": "B"},
            {"api_name": "Last_Name", "comparator": "starts_with", "value": "C"},
        ],
    }
    job_id = create_job(
        zoho,
        {
            "module": "Contacts",
            "fields": ["Last_Name", "Account_Name", "Modified_Time"],
            "criteria": criteria,
        },
    )
    advance(zoho, DONE_AFTER.total_seconds())
    rows = result_rows(zoho, job_id)
    listed = zoho.crm(
        "GET", "/Contacts", params={"fields": "Last_Name,Account_Name,Modified_Time", "per_page": 200}
    )
    expected = {r["id"]: r for r in listed.json()["data"] if r["Last_Name"].startswith(("B", "C"))}
    assert rows and [row["Id"] for row in rows] == sorted(expected, key=int)
    for row in rows:
        assert list(row) == ["Id", "Last_Name", "Account_Name", "Modified_Time"]
        record = expected[row["Id"]]
        assert row["Last_Name"] == record["Last_Name"]
        assert row["Account_Name"] == (record["Account_Name"] or {}).get("id", "")
        assert row["Modified_Time"] == record["Modified_Time"]


def test_the_result_is_the_data_as_the_job_found_it(zoho: ZohoClient) -> None:
    job_id = create_job(zoho, {"module": "Vendors", "fields": ["Vendor_Name"]})
    zoho.crm("POST", "/Vendors", json={"data": [{"Vendor_Name": "Late Vendor"}]})
    advance(zoho, DONE_AFTER.total_seconds())
    names = [row["Vendor_Name"] for row in result_rows(zoho, job_id)]
    assert (
        "Late Vendor" not in names
        and len(names) == zoho.crm("GET", "/Vendors/actions/count").json()["count"] - 1
    )


def test_the_result_is_not_there_before_the_job_completes(zoho: ZohoClient) -> None:
    job_id = create_job(zoho, {"module": "Accounts"})
    reply = bulk(zoho, "GET", f"/{job_id}/result")
    assert reply.status_code == 400 and reply.json()["code"] == "RESOURCE_NOT_FOUND"


def test_a_callback_is_accepted_and_recorded(zoho: ZohoClient) -> None:
    callback = {"url": "https://example.com/done", "method": "post"}
    create_job(zoho, {"module": "Accounts"}, callback=callback)


# -- the documented errors -------------------------------------------------------------------


def test_an_unknown_job_is_not_found(zoho: ZohoClient) -> None:
    reply = bulk(zoho, "GET", "/1234567890123456789")
    error(reply, 404, "RESOURCE_NOT_FOUND", "the requested resource doesn't exist", {"resource": "job_id"})
    validate_response("crm", "GET", f"{READ}/1234567890123456789", 404, reply.json())


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({}, "MANDATORY_NOT_FOUND"),
        ({"query": {}}, "MANDATORY_NOT_FOUND"),
        ({"query": {"module": "Deals"}}, "INVALID_DATA"),
        ({"query": {"module": "Accounts", "fields": ["Nope"]}}, "FIELD_NOT_AVAILABLE"),
        ({"query": {"module": "Accounts", "page": 51}}, "PAGE_RANGE_EXCEEDED"),
        ({"query": {"module": "Accounts", "criteria": {"comparator": "equal"}}}, "INVALID_CRITERIA"),
        ({"query": {"module": "Accounts"}, "callback": {"url": "not a url"}}, "INVALID_CALLBACK_URL"),
        (
            {"query": {"module": "Accounts"}, "callback": {"url": "https://x.io", "method": "get"}},
            "INVALID_CALLBACK_METHOD",
        ),
        ({"query": {"module": "Accounts"}, "file_type": "ics"}, "INVALID_DATA"),
    ],
)
def test_bad_job_requests_get_zoho_s_errors(zoho: ZohoClient, body: dict[str, Any], code: str) -> None:
    reply = bulk(zoho, "POST", json=body)
    assert (reply.status_code, reply.json()["code"]) == (400, code), reply.text


def test_an_empty_body_is_refused(zoho: ZohoClient) -> None:
    reply = bulk(zoho, "POST")
    assert (reply.status_code, reply.json()["code"]) == (400, "REQUEST_BODY_IS_EMPTY")


def test_the_bulk_scope_is_required(zoho: ZohoClient) -> None:
    reply = bulk(zoho, "POST", json={"query": {"module": "Accounts"}}, scopes=("ZohoCRM.modules.ALL",))
    error(reply, 401, "OAUTH_SCOPE_MISMATCH", "Unauthorized")


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=12,
)
_QUERY = st.fixed_dictionaries(
    {},
    optional={
        "module": st.sampled_from(["Accounts", "Contacts", {"api_name": "Products"}, "Nope"]) | _JSON,
        "fields": st.lists(st.sampled_from(["Last_Name", "Email", "Nope"]) | _JSON, max_size=3) | _JSON,
        "criteria": _JSON,
        "cvid": _JSON,
        "page": st.integers(-2, 60) | _JSON,
    },
)


@pytest.fixture(scope="module")
def junk_client(asgi_http: httpx.Client) -> ZohoClient:
    return fresh_client("asgi", asgi_http)


@given(
    body=st.fixed_dictionaries({}, optional={"query": _QUERY | _JSON, "callback": _JSON, "file_type": _JSON})
    | _JSON
)
def test_junk_never_gets_a_server_error(junk_client: ZohoClient, body: Any) -> None:
    reply = bulk(junk_client, "POST", json=body)
    assert reply.status_code in (201, 400), reply.text
