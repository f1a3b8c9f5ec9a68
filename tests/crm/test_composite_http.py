"""The composite API over HTTP: sub-requests through the real routes, references, all-or-nothing."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import fresh_client
from tests.crm.expect import error
from tests.openapi import validate_response
from tests.support import ZohoClient

SCOPES = ("ZohoCRM.modules.ALL", "ZohoCRM.org.READ", "ZohoCRM.composite_requests.CUSTOM")
NEW_ACCOUNT = {
    "method": "POST",
    "uri": "/crm/v8/Accounts",
    "body": {"data": [{"Account_Name": "Composite Co"}]},
}
OTHER_ACCOUNT = {
    "method": "POST",
    "uri": "/crm/v8/Accounts",
    "body": {"data": [{"Account_Name": "Other Co"}]},
}
BAD_CONTACT = {
    "method": "POST",
    "uri": "/crm/v8/Contacts",
    "body": {"data": [{"First_Name": "No last name"}]},
}


def composite(zoho: ZohoClient, body: Any, *, scopes: tuple[str, ...] = SCOPES) -> httpx.Response:
    return zoho.crm("POST", "/__composite_requests", json=body, token=zoho.token(scopes))


def responses(reply: httpx.Response) -> list[dict[str, Any]]:
    return [entry["details"]["response"] for entry in reply.json()["__composite_requests"]]


def count(zoho: ZohoClient, module: str) -> int:
    return zoho.crm("GET", f"/{module}/actions/count").json()["count"]


def test_each_sub_request_answers_as_the_direct_call_would(zoho: ZohoClient) -> None:
    accounts = {
        "method": "GET",
        "uri": "/crm/v8/Accounts",
        "params": {"fields": "Account_Name", "per_page": 3},
    }
    reply = composite(zoho, {"__composite_requests": [accounts, {"method": "GET", "uri": "/crm/v8/org"}]})
    assert reply.status_code == 200, reply.text
    entries = reply.json()["__composite_requests"]
    assert [(e["code"], e["status"], e["message"]) for e in entries] == [
        ("SUCCESS", "success", "success")
    ] * 2
    direct = zoho.crm("GET", "/Accounts", params={"fields": "Account_Name", "per_page": 3}).json()
    listed, org = responses(reply)
    assert listed["status_code"] == 200 and listed["body"]["data"] == direct["data"]
    assert org["body"]["org"][0]["id"] == zoho.crm("GET", "/org").json()["org"][0]["id"]


def test_a_reference_carries_one_sub_request_s_result_into_another(zoho: ZohoClient) -> None:
    contact = {
        "method": "POST",
        "uri": "/crm/v8/Contacts",
        "body": {"data": [{"Last_Name": "Referrer", "Account_Name": {"id": "@{acc:$.data[0].details.id}"}}]},
    }
    read_back = {
        "method": "GET",
        "uri": "/crm/v8/Accounts/@{acc:$.data[0].details.id}",
        "params": {"fields": "Account_Name"},
    }
    reply = composite(
        zoho, {"__composite_requests": [{**NEW_ACCOUNT, "sub_request_id": "acc"}, contact, read_back]}
    )
    assert reply.status_code == 200, reply.text
    created, linked, fetched = responses(reply)
    account_id = created["body"]["data"][0]["details"]["id"]
    assert created["status_code"] == 201 and linked["status_code"] == 201
    assert fetched["body"]["data"][0] == {"Account_Name": "Composite Co", "id": account_id}
    contact_id = linked["body"]["data"][0]["details"]["id"]
    stored = zoho.crm("GET", f"/Contacts/{contact_id}", params={"fields": "Account_Name"}).json()["data"][0]
    assert stored["Account_Name"]["id"] == account_id


def test_without_rollback_a_failure_keeps_the_other_writes(zoho: ZohoClient) -> None:
    before = count(zoho, "Accounts")
    reply = composite(zoho, {"__composite_requests": [NEW_ACCOUNT, BAD_CONTACT]})
    assert reply.status_code == 207
    assert [r["status_code"] for r in responses(reply)] == [201, 400]
    assert count(zoho, "Accounts") == before + 1


def test_rollback_on_fail_undoes_every_write_and_stops(zoho: ZohoClient) -> None:
    before = (count(zoho, "Accounts"), count(zoho, "Contacts"))
    body = {"rollback_on_fail": True, "__composite_requests": [NEW_ACCOUNT, BAD_CONTACT, OTHER_ACCOUNT]}
    reply = composite(zoho, body)
    assert reply.status_code == 207
    rolled, failed, stopped = reply.json()["__composite_requests"]
    assert rolled == {
        "code": "ROLLBACK_PERFORMED",
        "details": {"rollbacked_by_sub_request_index": 1},
        "message": "rollback performed",
        "status": "error",
    }
    assert failed["details"]["response"]["status_code"] == 400
    assert failed["details"]["response"]["body"]["data"][0]["code"] == "MANDATORY_NOT_FOUND"
    assert stopped["code"] == "PROCESSING_STOPPED"
    assert (count(zoho, "Accounts"), count(zoho, "Contacts")) == before


def test_rollback_on_fail_with_every_sub_request_succeeding_keeps_them(zoho: ZohoClient) -> None:
    before = count(zoho, "Accounts")
    reply = composite(zoho, {"rollback_on_fail": True, "__composite_requests": [NEW_ACCOUNT, OTHER_ACCOUNT]})
    assert reply.status_code == 200
    assert count(zoho, "Accounts") == before + 2


def test_sub_requests_are_logged_and_share_the_composite_call_s_credit(zoho: ZohoClient) -> None:
    zoho.control("DELETE", "/requests")
    zoho.control(
        "PUT", "/tenants/t1/limits", json={"crm": {"enabled": True, "concurrency": 1}}
    ).raise_for_status()
    reply = composite(zoho, {"__composite_requests": [{"method": "GET", "uri": "/crm/v8/org"}] * 3})
    assert reply.status_code == 200, reply.text
    logged = [(e["method"], e["path"]) for e in zoho.control("GET", "/requests").json()["requests"]]
    assert logged.count(("GET", "/crm/v8/org")) == 3
    assert ("POST", "/crm/v8/__composite_requests") in logged


def test_sub_requests_need_their_own_scopes(zoho: ZohoClient) -> None:
    reply = composite(
        zoho,
        {"__composite_requests": [NEW_ACCOUNT]},
        scopes=("ZohoCRM.composite_requests.CUSTOM", "ZohoCRM.modules.contacts.ALL"),
    )
    assert reply.status_code == 207
    assert responses(reply)[0]["body"]["code"] == "OAUTH_SCOPE_MISMATCH"


def test_the_composite_scope_is_required(zoho: ZohoClient) -> None:
    reply = composite(zoho, {"__composite_requests": [NEW_ACCOUNT]}, scopes=("ZohoCRM.modules.ALL",))
    error(reply, 401, "OAUTH_SCOPE_MISMATCH", "Unauthorized")


# -- the documented errors -------------------------------------------------------------------


def test_more_than_five_sub_requests_are_refused(zoho: ZohoClient) -> None:
    reply = composite(zoho, {"__composite_requests": [{"method": "GET", "uri": "/crm/v8/org"}] * 6})
    error(
        reply,
        400,
        "INVALID_DATA",
        "invalid data",
        {"api_name": "__composite_requests", "json_path": "$.__composite_requests", "maximum_length": 5},
    )
    validate_response("crm", "POST", "/crm/v8/__composite_requests", 400, reply.json())


def test_rollback_and_concurrent_execution_together_are_ambiguous(zoho: ZohoClient) -> None:
    body = {"rollback_on_fail": True, "concurrent_execution": True, "__composite_requests": [NEW_ACCOUNT]}
    reply = composite(zoho, body)
    assert reply.status_code == 400
    assert reply.json()["code"] == "AMBIGUITY_DURING_PROCESSING"


def test_a_missing_list_is_mandatory(zoho: ZohoClient) -> None:
    error(
        composite(zoho, {"rollback_on_fail": False}),
        400,
        "MANDATORY_NOT_FOUND",
        "required field not found",
        {"api_name": "__composite_requests", "json_path": "$.__composite_requests"},
    )


def test_bad_sub_requests_are_each_named_and_nothing_runs(zoho: ZohoClient) -> None:
    before = count(zoho, "Accounts")
    body = {
        "__composite_requests": [
            {**NEW_ACCOUNT, "sub_request_id": "same"},
            {"method": "GET", "uri": "/books/v3/contacts", "sub_request_id": "same"},
            {"method": "GET", "uri": "/crm/v8/org", "headers": {"Authorization": "Zoho-oauthtoken x"}},
            {"method": "GET", "uri": "/crm/v8/Accounts/@{nobody:$.data[0].id}"},
        ]
    }
    reply = composite(zoho, body)
    assert reply.status_code == 400
    codes = [(e["code"], e["details"].get("json_path")) for e in reply.json()["__composite_requests"]]
    assert codes == [
        ("INVALID_DATA", "$.__composite_requests[1].uri"),
        ("INVALID_DATA", "$.__composite_requests[2].headers"),
        ("INVALID_REFERENCE", "$.__composite_requests[3]"),
    ]
    validate_response("crm", "POST", "/crm/v8/__composite_requests", 400, reply.json())
    assert count(zoho, "Accounts") == before


def test_duplicate_sub_request_ids_are_duplicate_data(zoho: ZohoClient) -> None:
    get_org = {"method": "GET", "uri": "/crm/v8/org", "sub_request_id": "x"}
    reply = composite(zoho, {"__composite_requests": [get_org, get_org]})
    assert reply.status_code == 400
    (duplicate,) = reply.json()["__composite_requests"]
    assert duplicate["code"] == "DUPLICATE_DATA" and duplicate["details"]["sub_request_indexes"] == [0, 1]


def test_sub_requests_that_refer_to_each_other_are_a_loop(zoho: ZohoClient) -> None:
    body = {
        "__composite_requests": [
            {"method": "GET", "uri": "/crm/v8/Accounts/@{b:$.data[0].id}", "sub_request_id": "a"},
            {"method": "GET", "uri": "/crm/v8/Accounts/@{a:$.data[0].id}", "sub_request_id": "b"},
        ]
    }
    reply = composite(zoho, body)
    assert reply.status_code == 400 and reply.json()["code"] == "LOOPING_FOUND"


def test_a_composite_call_cannot_nest_another(zoho: ZohoClient) -> None:
    nested = {"method": "POST", "uri": "/crm/v8/__composite_requests", "body": {"__composite_requests": []}}
    reply = composite(zoho, {"__composite_requests": [nested]})
    assert reply.json()["__composite_requests"][0]["code"] == "NOT_SUPPORTED"


def test_a_reference_to_a_missing_value_fails_that_sub_request(zoho: ZohoClient) -> None:
    body = {
        "__composite_requests": [
            {"method": "GET", "uri": "/crm/v8/org", "sub_request_id": "org"},
            {"method": "GET", "uri": "/crm/v8/Accounts/@{org:$.nothing[3].here}"},
        ]
    }
    reply = composite(zoho, body)
    assert reply.status_code == 207
    assert reply.json()["__composite_requests"][1]["code"] == "INVALID_REFERENCE"


def test_a_body_that_is_not_json_is_unparsable(zoho: ZohoClient) -> None:
    reply = zoho.crm("POST", "/__composite_requests", content=b"{nope", token=zoho.token(SCOPES))
    assert reply.status_code == 400 and reply.json()["code"] == "UNABLE_TO_PARSE_DATA_TYPE"


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=12,
)
_SUB_REQUEST = st.fixed_dictionaries(
    {},
    optional={
        "method": st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH", "TRACE"]) | _JSON,
        "uri": st.sampled_from(["/crm/v8/Accounts", "/crm/v8/org", "/crm/v8/Accounts/1", "/crm/v8/x"])
        | _JSON,
        "params": _JSON,
        "headers": _JSON,
        "body": _JSON,
        "sub_request_id": st.sampled_from(["a", "b"]) | _JSON,
    },
)
_BODY = st.fixed_dictionaries(
    {},
    optional={
        "rollback_on_fail": _JSON,
        "concurrent_execution": _JSON,
        "__composite_requests": st.lists(_SUB_REQUEST | _JSON, max_size=6) | _JSON,
    },
)


@pytest.fixture(scope="module")
def junk_client(asgi_http: httpx.Client) -> ZohoClient:
    """One in-process client for every example: junk may write, and only the status matters."""
    return fresh_client("asgi", asgi_http)


@given(body=_BODY | _JSON)
def test_junk_never_gets_a_server_error(junk_client: ZohoClient, body: Any) -> None:
    reply = composite(junk_client, body)
    assert reply.status_code < 500, reply.text
    assert "code" in reply.json() or "__composite_requests" in reply.json()
