"""Properties: no COQL text and no body sent to the COQL, related-records, tags and recycle-bin
routes makes the simulator fail; each gets a Zoho error (a 4xx) or an answer."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from simulator.crm import coql, coql_run
from simulator.crm.errors import CrmError
from tests.conftest import fresh_client
from tests.support import ZohoClient

WORDS = (
    "select", "from", "where", "order", "by", "asc", "desc", "limit", "offset", "and", "or", "not",
    "in", "like", "is", "null", "between", "true", "false", "Contacts", "Accounts", "Products",
    "Vendors", "Leads", "id", "Last_Name", "Email", "Unit_Price", "Account_Name", "Owner",
    "Account_Name.Account_Name", "Vendor_Name.id", "Created_Time", "Description", "Email_Opt_Out",
    "=", "!=", "<>", "<", ">=", "(", ")", ",", "'x'", "'%a%'", "'O''Neil'", '"q"', "5", "-3.2", "2001",
    "100000", "'2024-01-01'", "'2024-01-01T00:00:00+05:30'", "*", ";", "'",
)  # fmt: skip
queries = st.one_of(
    st.lists(st.sampled_from(WORDS), max_size=30).map(" ".join),
    st.lists(st.sampled_from(WORDS), max_size=12).map(
        lambda words: "select id from Contacts where " + " ".join(words)
    ),
    st.text(max_size=200),
)
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12,
)
bodies = st.one_of(
    json_values.map(lambda value: json.dumps(value).encode()),
    st.dictionaries(st.sampled_from(["tags", "ids", "data", "select_query", "over_write"]), json_values).map(
        lambda value: json.dumps(value).encode()
    ),
    st.binary(max_size=64),
)


@pytest.fixture(scope="module")
def zoho(asgi_http: httpx.Client) -> Iterator[ZohoClient]:
    yield fresh_client("asgi", asgi_http)


@given(text=queries)
def test_any_query_text_parses_or_is_a_zoho_error(text: str) -> None:
    try:
        coql_run.plan(coql.parse(text))
    except CrmError as exc:
        assert exc.status_code == 400


@given(text=queries)
def test_coql_never_fails_on_any_query(zoho: ZohoClient, text: str) -> None:
    reply = zoho.crm("POST", "/coql", json={"select_query": text})
    assert reply.status_code in (200, 204, 400), reply.text


@given(
    body=bodies,
    route=st.sampled_from(
        [
            ("POST", "/coql", {}),
            ("POST", "/settings/tags", {"module": "Accounts"}),
            ("PUT", "/settings/tags/{tag}", {"module": "Accounts"}),
            ("POST", "/Accounts/actions/add_tags", {}),
            ("POST", "/Accounts/actions/remove_tags", {"ids": "{account}"}),
            ("POST", "/Accounts/{account}/actions/add_tags", {"over_write": "true"}),
            ("PUT", "/Accounts/{account}/Products", {}),
            ("DELETE", "/Accounts/{account}/Products", {"ids": "1,x"}),
            ("GET", "/Accounts/{account}/Contacts", {"fields": "Email", "page": "0"}),
            ("GET", "/settings/recycle_bin", {"filters": "{", "per_page": "900"}),
            ("DELETE", "/settings/recycle_bin", {"ids": "abc"}),
        ]
    ),
)
def test_junk_bodies_never_fail_the_new_routes(
    zoho: ZohoClient, body: bytes, route: tuple[str, str, dict[str, str]]
) -> None:
    method, template, params = route
    account = zoho.crm("GET", "/Accounts", params={"fields": "Owner", "per_page": 1}).json()["data"][0]["id"]
    path = template.replace("{account}", account).replace("{tag}", "1234")
    params = {key: value.replace("{account}", account) for key, value in params.items()}
    reply = zoho.crm(method, path, params=params, content=body)
    assert reply.status_code < 500, reply.text
