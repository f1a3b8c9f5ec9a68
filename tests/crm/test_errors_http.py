"""Every CRM error path over HTTP: exact status, code, details and message."""

from __future__ import annotations

from typing import Any

import pytest

from simulator.clock import DEFAULT_START
from simulator.crm.paging import binding, issue_token
from tests.crm.expect import advance, error, fresh_token, item
from tests.support import ZohoClient

INVALID = "invalid data"
BAD_FORMAT = "either the request body or parameters is in wrong format"
MISSING = "One of the expected parameter is missing"


def first_id(zoho: ZohoClient, module: str) -> str:
    return zoho.crm("GET", f"/{module}", params={"fields": "Created_Time"}).json()["data"][0]["id"]


def view_id(zoho: ZohoClient, module: str, name: str) -> str:
    views = zoho.crm("GET", "/settings/custom_views", params={"module": module}).json()["custom_views"]
    return next(view["id"] for view in views if view["name"] == name)


# -- authentication and scopes ---------------------------------------------------------------


def test_a_missing_or_foreign_authorization_header_is_an_authentication_failure(zoho: ZohoClient) -> None:
    error(zoho.crm("GET", "/org", auth=False), 401, "AUTHENTICATION_FAILURE", "Authentication failed")
    basic = zoho.crm("GET", "/org", auth=False, headers={"Authorization": "Basic dXNlcjpwYXNz"})
    error(basic, 401, "AUTHENTICATION_FAILURE", "Authentication failed")


def test_unknown_and_expired_tokens_are_invalid(zoho: ZohoClient) -> None:
    error(zoho.crm("GET", "/org", token="1000.nope.nope"), 401, "INVALID_TOKEN", "invalid oauth token")
    token = zoho.token()
    advance(zoho, 3600)
    error(
        zoho.crm("GET", "/Accounts", token=token, params={"fields": "Phone"}),
        401,
        "INVALID_TOKEN",
        "invalid oauth token",
    )


def test_scopes_limit_modules_actions_and_settings(zoho: ZohoClient) -> None:
    token = zoho.token(("ZohoCRM.modules.contacts.READ", "ZohoCRM.settings.fields.READ"))
    assert zoho.crm("GET", "/Contacts", token=token, params={"fields": "Email"}).status_code == 200
    assert zoho.crm("GET", "/settings/fields", token=token, params={"module": "Contacts"}).status_code == 200
    for method, path, params in [
        ("GET", "/Accounts", {"fields": "Phone"}),
        ("POST", "/Contacts", {}),
        ("DELETE", "/Contacts", {"ids": "1"}),
        ("GET", "/settings/custom_views", {"module": "Contacts"}),
        ("GET", "/settings/modules", {}),
        ("GET", "/users", {}),
        ("GET", "/org", {}),
    ]:
        reply = zoho.crm(method, path, token=token, params=params, json={"data": [{"Last_Name": "x"}]})
        error(reply, 401, "OAUTH_SCOPE_MISMATCH", "Unauthorized")


# -- URLs, methods, modules ------------------------------------------------------------------


def test_unknown_urls_and_versions_are_invalid_url_patterns(zoho: ZohoClient) -> None:
    message = "Please check if the URL trying to access is a correct one"
    error(zoho.http.get("/crm/v9/Accounts"), 404, "INVALID_URL_PATTERN", message)
    error(zoho.crm("GET", "/Accounts/1/Contacts/2/extra"), 404, "INVALID_URL_PATTERN", message)
    error(zoho.crm("GET", "/settings/layouts_of_nothing"), 404, "INVALID_URL_PATTERN", message)


def test_a_wrong_method_is_an_invalid_request_method(zoho: ZohoClient) -> None:
    message = "The http request method type is not a valid one"
    error(zoho.crm("PATCH", "/Accounts"), 400, "INVALID_REQUEST_METHOD", message)
    error(zoho.crm("POST", "/org"), 400, "INVALID_REQUEST_METHOD", message)
    error(zoho.crm("DELETE", "/settings/fields"), 400, "INVALID_REQUEST_METHOD", message)
    error(zoho.crm("GET", "/Accounts/upsert"), 400, "INVALID_REQUEST_METHOD", message)
    error(zoho.crm("POST", "/Contacts/search"), 400, "INVALID_REQUEST_METHOD", message)
    error(zoho.crm("DELETE", "/Vendors/deleted"), 400, "INVALID_REQUEST_METHOD", message)


def test_unknown_modules(zoho: ZohoClient) -> None:
    message = "the module name given seems to be invalid"
    error(
        zoho.crm("GET", "/Leads", params={"fields": "Email"}),
        400,
        "INVALID_MODULE",
        message,
        {"resource_path_index": 0},
    )
    error(
        zoho.crm("POST", "/Deals", json={"data": [{}]}),
        400,
        "INVALID_MODULE",
        message,
        {"resource_path_index": 0},
    )
    fields = zoho.crm("GET", "/settings/fields", params={"module": "Leads"})
    error(fields, 400, "INVALID_MODULE", message, {"param_name": "module"})
    error(
        zoho.crm("GET", "/settings/modules/Leads"), 400, "INVALID_MODULE", message, {"resource_path_index": 2}
    )


# -- list parameters -------------------------------------------------------------------------


def test_fields_is_required_limited_and_checked(zoho: ZohoClient) -> None:
    error(zoho.crm("GET", "/Accounts"), 400, "REQUIRED_PARAM_MISSING", MISSING, {"param_name": "fields"})
    many = ",".join(f"Field_{n}" for n in range(51))
    error(
        zoho.crm("GET", "/Accounts", params={"fields": many}),
        400,
        "LIMIT_EXCEEDED",
        "limit exceeded",
        {"limit": 50, "param_name": "fields"},
    )
    unknown = zoho.crm("GET", "/Accounts", params={"fields": "Account_Name,Last_Name"})
    error(unknown, 400, "INVALID_DATA", INVALID, {"param_name": "fields", "api_name": "Last_Name"})
    one = zoho.crm("GET", f"/Accounts/{first_id(zoho, 'Accounts')}", params={"fields": "Nope"})
    error(one, 400, "INVALID_DATA", INVALID, {"param_name": "fields", "api_name": "Nope"})


def test_page_and_per_page_limits(zoho: ZohoClient) -> None:
    def listing(**params: Any) -> Any:
        return zoho.crm("GET", "/Accounts", params={"fields": "Account_Name", **params})

    error(
        listing(per_page=201),
        400,
        "LIMIT_EXCEEDED",
        "limit exceeded",
        {"limit": 200, "param_name": "per_page"},
    )
    error(listing(per_page="ten"), 400, "UNABLE_TO_PARSE_DATA_TYPE", BAD_FORMAT)
    error(listing(page=0), 400, "INVALID_DATA", INVALID, {"param_name": "page"})
    message = "You can only get the first 2000 records without using page_token param"
    error(listing(page=11, per_page=200), 400, "DISCRETE_PAGINATION_LIMIT_EXCEEDED", message, {"limit": 2000})
    error(listing(page=21, per_page=100), 400, "DISCRETE_PAGINATION_LIMIT_EXCEEDED", message, {"limit": 2000})
    assert listing(page=10, per_page=200).status_code == 204


def test_sorting_views_ids_and_if_modified_since_are_checked(zoho: ZohoClient) -> None:
    def listing(headers: dict[str, str] | None = None, **params: Any) -> Any:
        return zoho.crm("GET", "/Accounts", params={"fields": "Account_Name", **params}, headers=headers)

    error(
        listing(sort_by="Account_Name"),
        400,
        "INVALID_DATA",
        INVALID,
        {"param_name": "sort_by", "supported_values": ["id", "Created_Time", "Modified_Time"]},
    )
    error(
        listing(sort_order="up"),
        400,
        "INVALID_DATA",
        INVALID,
        {"param_name": "sort_order", "supported_values": ["asc", "desc"]},
    )
    us = view_id(zoho, "Accounts", "US Accounts")
    error(
        listing(cvid=us, sort_by="id"),
        400,
        "AMBIGUITY_DURING_PROCESSING",
        "Ambiguity while processing",
        {"ambiguity_due_to": [{"param_name": "sort_by"}, {"param_name": "cvid"}]},
    )
    for cvid in ("abc", "1234567", view_id(zoho, "Contacts", "UK Contacts")):
        error(listing(cvid=cvid), 400, "INVALID_DATA", INVALID, {"param_name": "cvid"})
    error(listing(ids="12,abc"), 400, "UNABLE_TO_PARSE_DATA_TYPE", BAD_FORMAT)
    error(
        listing(headers={"If-Modified-Since": "yesterday"}),
        400,
        "INVALID_DATA",
        INVALID,
        {"param_name": "If-Modified-Since"},
    )
    assert listing(headers={"If-Modified-Since": "Wed, 01 Jan 2025 07:28:00 GMT"}).status_code == 200


# -- page tokens -----------------------------------------------------------------------------


def next_token(zoho: ZohoClient, **params: Any) -> str:
    reply = zoho.crm("GET", "/Accounts", params={"fields": "Account_Name", "per_page": 5, **params})
    return reply.json()["info"]["next_page_token"]


def test_a_page_token_is_bound_to_the_other_params(zoho: ZohoClient) -> None:
    token = next_token(zoho)
    message = "The page_token given seems to be invalid or input param is added or altered or deleted"
    for changed in (
        {"per_page": 6},
        {"fields": "Account_Name,Phone", "per_page": 5},
        {"per_page": 5, "sort_order": "asc"},
    ):
        reply = zoho.crm(
            "GET", "/Accounts", params={"fields": "Account_Name", **changed, "page_token": token}
        )
        error(reply, 400, "TOKEN_BOUND_DATA_MISMATCH", message, {"param_name": "page_token"})
    forged = zoho.crm(
        "GET", "/Accounts", params={"fields": "Account_Name", "per_page": 5, "page_token": "c8582xx9e7c7"}
    )
    error(forged, 400, "TOKEN_BOUND_DATA_MISMATCH", message, {"param_name": "page_token"})
    elsewhere = zoho.crm(
        "GET", "/Contacts", params={"fields": "Account_Name", "per_page": 5, "page_token": token}
    )
    error(elsewhere, 400, "TOKEN_BOUND_DATA_MISMATCH", message, {"param_name": "page_token"})
    both = zoho.crm(
        "GET", "/Accounts", params={"fields": "Account_Name", "per_page": 5, "page_token": token, "page": 2}
    )
    error(
        both,
        400,
        "AMBIGUITY_DURING_PROCESSING",
        "Ambiguity while processing",
        {"ambiguity_due_to": [{"param_name": "page"}, {"param_name": "page_token"}]},
    )


def test_a_page_token_expires_after_24_hours_of_virtual_time(zoho: ZohoClient) -> None:
    token = next_token(zoho)
    params = {"fields": "Account_Name", "per_page": 5, "page_token": token}
    advance(zoho, 24 * 3600 - 1)
    assert zoho.crm("GET", "/Accounts", token=fresh_token(zoho), params=params).status_code == 200
    advance(zoho, 1)
    error(
        zoho.crm("GET", "/Accounts", token=fresh_token(zoho), params=params),
        400,
        "EXPIRED_VALUE",
        "Page token expired",
        {"api_name": "page_token", "json_path": "$.query.page_token"},
    )


def test_page_tokens_reach_at_most_100000_records(zoho: ZohoClient) -> None:
    me = zoho.crm("GET", "/users", params={"type": "CurrentUser"}).json()["users"][0]["id"]
    params = {"fields": "Account_Name", "per_page": "200"}
    bound = binding(zoho.creds["crm_org_id"], me, "Accounts", params=params)
    at_limit, _ = issue_token(100_000, bound_to=bound, now=DEFAULT_START)
    error(
        zoho.crm("GET", "/Accounts", params={**params, "page_token": at_limit}),
        400,
        "PAGINATION_LIMIT_EXCEEDED",
        "You can only get upto 100000 records using page_token param",
        {"param_name": "page_token"},
    )
    below, _ = issue_token(20, bound_to=bound, now=DEFAULT_START)
    assert zoho.crm("GET", "/Accounts", params={**params, "page_token": below}).json()["info"]["page"] == 1


# -- ids in paths ----------------------------------------------------------------------------


def test_a_malformed_id_in_the_path_is_invalid(zoho: ZohoClient) -> None:
    details = {"resource_path_index": 1}
    message = "the id given seems to be invalid"
    for method in ("GET", "PUT", "DELETE"):
        reply = zoho.crm(method, "/Accounts/12ab", json={"data": [{"Phone": "1"}]})
        error(reply, 400, "INVALID_DATA", message, details)
    error(zoho.crm("GET", "/users/me"), 400, "INVALID_DATA", message, details)
    view = zoho.crm("GET", "/settings/custom_views/x1", params={"module": "Accounts"})
    error(view, 400, "INVALID_DATA", message, {"resource_path_index": 2})


# -- write bodies ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "status", "code", "message", "details"),
    [
        (b'{"data": [', 400, "UNABLE_TO_PARSE_DATA_TYPE", BAD_FORMAT, {}),
        (b"[1, 2]", 400, "UNABLE_TO_PARSE_DATA_TYPE", BAD_FORMAT, {}),
        (b"", 400, "REQUIRED_PARAM_MISSING", MISSING, {"param_name": "data"}),
        (b'{"records": []}', 400, "REQUIRED_PARAM_MISSING", MISSING, {"param_name": "data"}),
        (b'{"data": {}}', 400, "INVALID_DATA", INVALID, {"api_name": "data", "json_path": "$.data"}),
        (b'{"data": []}', 400, "INVALID_DATA", INVALID, {"api_name": "data", "json_path": "$.data"}),
    ],
)
def test_malformed_write_bodies(
    zoho: ZohoClient, content: bytes, status: int, code: str, message: str, details: dict[str, Any]
) -> None:
    for method, path in (("POST", "/Accounts"), ("PUT", "/Accounts"), ("POST", "/Accounts/upsert")):
        error(zoho.crm(method, path, content=content), status, code, message, details)


def test_more_than_100_records_is_a_limit_inside_data(zoho: ZohoClient) -> None:
    reply = zoho.crm("POST", "/Accounts", json={"data": [{"Account_Name": f"N{n}"} for n in range(101)]})
    limit = item(
        "LIMIT_EXCEEDED",
        "count of records in your request exceeds the limit",
        {"maximum_length": 100, "api_name": "data"},
    )
    assert (reply.status_code, reply.json()) == (400, {"data": [limit]})
    assert (
        zoho.crm(
            "POST", "/Accounts", json={"data": [{"Account_Name": f"N{n}"} for n in range(100)]}
        ).status_code
        == 201
    )


def test_per_record_errors_over_http(zoho: ZohoClient) -> None:
    reply = zoho.crm(
        "POST",
        "/Contacts",
        json={
            "data": [
                7,
                {"Last_Name": "X", "Company": "Zylker"},
                {"Last_Name": "X", "Email": "nope"},
                {"Last_Name": "X" * 81},
                {"Last_Name": "X", "Account_Name": {"id": "1234567890123456789"}},
            ]
        },
    )
    assert reply.status_code == 400
    assert reply.json()["data"] == [
        item("INVALID_DATA", INVALID, {"api_name": "data", "json_path": "$.data[0]"}),
        item("INVALID_DATA", INVALID, {"api_name": "Company", "json_path": "$.data[1].Company"}),
        item(
            "INVALID_DATA",
            INVALID,
            {"expected_data_type": "email", "api_name": "Email", "json_path": "$.data[2].Email"},
        ),
        item(
            "INVALID_DATA",
            INVALID,
            {
                "maximum_length": 80,
                "expected_data_type": "text",
                "api_name": "Last_Name",
                "json_path": "$.data[3].Last_Name",
            },
        ),
        item(
            "INVALID_DATA",
            INVALID,
            {
                "expected_data_type": "lookup",
                "api_name": "Account_Name",
                "json_path": "$.data[4].Account_Name",
            },
        ),
    ]


def test_upsert_duplicate_check_fields_are_checked(zoho: ZohoClient) -> None:
    body: dict[str, Any] = {"data": [{"Last_Name": "X"}], "duplicate_check_fields": "Email"}
    error(
        zoho.crm("POST", "/Contacts/upsert", json=body),
        400,
        "INVALID_DATA",
        INVALID,
        {"api_name": "duplicate_check_fields", "json_path": "$.duplicate_check_fields"},
    )
    body["duplicate_check_fields"] = ["Email", "Nope"]
    error(
        zoho.crm("POST", "/Contacts/upsert", json=body),
        400,
        "INVALID_DATA",
        INVALID,
        {"api_name": "Nope", "json_path": "$.duplicate_check_fields[1]"},
    )


def test_delete_needs_at_most_100_well_formed_ids(zoho: ZohoClient) -> None:
    error(zoho.crm("DELETE", "/Accounts"), 400, "REQUIRED_PARAM_MISSING", MISSING, {"param_name": "ids"})
    error(
        zoho.crm("DELETE", "/Accounts", params={"ids": ""}),
        400,
        "REQUIRED_PARAM_MISSING",
        MISSING,
        {"param_name": "ids"},
    )
    error(
        zoho.crm("DELETE", "/Accounts", params={"ids": "1,x"}), 400, "UNABLE_TO_PARSE_DATA_TYPE", BAD_FORMAT
    )
    many = ",".join(str(10**18 + n) for n in range(101))
    error(
        zoho.crm("DELETE", "/Accounts", params={"ids": many}),
        400,
        "LIMIT_EXCEEDED",
        "limit exceeded",
        {"limit": 100, "param_name": "ids"},
    )


# -- search, count, deleted, metadata parameters ---------------------------------------------


def test_search_errors(zoho: ZohoClient) -> None:
    error(
        zoho.crm("GET", "/Accounts/search"),
        400,
        "EXPECTED_PARAM_MISSING",
        "mandatory param missing",
        {"param_names": ["criteria", "email", "phone", "word"]},
    )
    error(
        zoho.crm("GET", "/Accounts/search", params={"criteria": "(Account_Name:contains:x)"}),
        400,
        "INVALID_QUERY",
        "invalid query formed",
        {"operator": "contains", "reason": "the operator is not supported", "api_name": "Account_Name"},
    )
    error(
        zoho.crm("GET", "/Accounts/search", params={"criteria": "(Employees:greater_than:ten)"}),
        400,
        "INVALID_QUERY",
        "invalid query formed",
        {
            "expected_data_type": "integer",
            "reason": "the value does not match the field's data type",
            "api_name": "Employees",
        },
    )
    error(
        zoho.crm("GET", "/Accounts/search", params={"word": "co", "page": 11, "per_page": 200}),
        400,
        "LIMIT_REACHED",
        "maximum response iteration limit reached",
        {"limit": "2000"},
    )
    error(
        zoho.crm("GET", "/Accounts/search", params={"word": "c"}),
        400,
        "INVALID_DATA",
        INVALID,
        {"param_name": "word"},
    )


def test_count_refuses_a_view_with_search_params(zoho: ZohoClient) -> None:
    us = view_id(zoho, "Accounts", "US Accounts")
    error(
        zoho.crm("GET", "/Accounts/actions/count", params={"cvid": us, "email": "a@b.c"}),
        400,
        "AMBIGUITY_DURING_PROCESSING",
        "Please use either Cvid or Search Params. Combination of both the params is not allowed",
        {"ambiguity_due_to": [{"param_name": "cvid"}, {"param_name": "email"}]},
    )


def test_choice_parameters_and_module_parameters(zoho: ZohoClient) -> None:
    error(
        zoho.crm("GET", "/Accounts/deleted", params={"type": "gone"}),
        400,
        "INVALID_DATA",
        INVALID,
        {"param_name": "type", "supported_values": ["all", "recycle", "permanent"]},
    )
    users = zoho.crm("GET", "/users", params={"type": "Everyone"})
    assert users.status_code == 400 and users.json()["details"]["param_name"] == "type"
    assert "CurrentUser" in users.json()["details"]["supported_values"]
    for path in ("/settings/fields", "/settings/custom_views"):
        error(zoho.crm("GET", path), 400, "REQUIRED_PARAM_MISSING", MISSING, {"param_name": "module"})
    view = view_id(zoho, "Accounts", "US Accounts")
    error(
        zoho.crm("GET", f"/settings/custom_views/{view}"),
        400,
        "REQUIRED_PARAM_MISSING",
        MISSING,
        {"param_name": "module"},
    )


# -- bad input never reaches a 500 ----------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "kwargs"),
    [
        ("GET", "/Accounts", {"params": {"fields": ",,,"}}),
        ("GET", "/Accounts", {"params": {"fields": "Account_Name", "per_page": "-5"}}),
        ("GET", "/Accounts", {"params": {"fields": "Account_Name", "page": "1e9"}}),
        ("GET", "/Accounts", {"params": {"fields": "Account_Name", "page_token": "é" * 40}}),
        ("GET", "/Accounts", {"params": {"fields": "Account_Name", "page_token": "3a3a3a"}}),
        ("GET", "/Accounts", {"params": {"fields": "Account_Name", "ids": ",,"}}),
        ("GET", "/Accounts", {"params": {"fields": "Account_Name"}, "headers": {"If-Modified-Since": ""}}),
        ("GET", "/Accounts/search", {"params": {"criteria": "((((("}}),
        ("GET", "/Accounts/search", {"params": {"criteria": "(Account_Name:in:" + "," * 200 + ")"}}),
        ("GET", "/Accounts/search", {"params": {"criteria": "(Created_Time:between:x,y)"}}),
        ("GET", "/Accounts/search", {"params": {"phone": "---"}}),
        ("GET", "/Accounts/actions/count", {"params": {"cvid": "x"}}),
        ("POST", "/Accounts", {"json": {"data": [{"Account_Name": {"nested": True}}]}}),
        ("POST", "/Accounts", {"json": {"data": [{"Parent_Account": [1, 2], "Account_Name": "L"}]}}),
        ("POST", "/Accounts", {"json": {"data": [{"Account_Name": "F", "Employees": 1.5}]}}),
        ("POST", "/Accounts", {"json": {"data": [None]}}),
        ("PUT", "/Accounts", {"json": {"data": [{"id": {"x": 1}}]}}),
        ("PUT", "/Accounts", {"json": {"data": [{"id": -5}]}}),
        ("PUT", "/Accounts/1234567890123456789", {"json": {"data": ["text"]}}),
        (
            "POST",
            "/Accounts/upsert",
            {"json": {"data": [{"Account_Name": ["a"]}], "duplicate_check_fields": []}},
        ),
        ("DELETE", "/Accounts", {"params": {"ids": "0"}}),
        ("GET", "/settings/modules/12", {}),
        ("GET", "/users", {"params": {"ids": "abc"}}),
    ],
)
def test_bad_input_is_never_a_server_error(
    zoho: ZohoClient, method: str, path: str, kwargs: dict[str, Any]
) -> None:
    reply = zoho.crm(method, path, **kwargs)
    assert reply.status_code < 500, reply.text
    if reply.content:
        body = reply.json()
        assert body.get("status") == "error" or "data" in body or "modules" in body, body
