"""COQL (``POST /crm/v8/coql``) over HTTP: selection, criteria, ordering, paging, caps and errors."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.crm.expect import empty, error, valid
from tests.support import ZohoClient


def coql(zoho: ZohoClient, query: str, **kwargs: Any) -> httpx.Response:
    return zoho.crm("POST", "/coql", json={"select_query": query}, **kwargs)


def rows(zoho: ZohoClient, query: str) -> list[dict[str, Any]]:
    reply = coql(zoho, query)
    return [] if reply.status_code == 204 else valid(reply)["data"]


def everything(zoho: ZohoClient, module: str, fields: str) -> list[dict[str, Any]]:
    reply = zoho.crm("GET", f"/{module}", params={"fields": fields, "per_page": 200, "sort_order": "asc"})
    return reply.json()["data"]


def syntax_error(reply: httpx.Response, column: int, near: str) -> None:
    details = {"line": 1, "column": column, "near": near}
    error(reply, 400, "SYNTAX_ERROR", "invalid query formed", details)


def test_a_select_returns_the_columns_and_id_by_id_ascending(zoho: ZohoClient) -> None:
    reply = coql(zoho, "select Last_Name, Email, Owner, Created_Time from Contacts limit 5")
    body = valid(reply)
    stored = everything(zoho, "Contacts", "Last_Name,Email,Owner,Created_Time")[:5]
    assert body["info"] == {"count": 5, "more_records": True}
    assert body["data"] == [
        {
            "Last_Name": c["Last_Name"],
            "Email": c.get("Email"),
            "Owner": {"id": c["Owner"]["id"]},
            "Created_Time": c["Created_Time"],
            "id": c["id"],
        }
        for c in stored
    ]


def test_where_compares_like_the_api_does(zoho: ZohoClient) -> None:
    products = everything(zoho, "Products", "Product_Name,Unit_Price,Product_Active")
    priced = [p for p in products if p.get("Unit_Price") is not None]
    low, high = sorted(p["Unit_Price"] for p in priced)[2], sorted(p["Unit_Price"] for p in priced)[-3]
    query = f"select Unit_Price from Products where Unit_Price between {low} and {high} limit 200"
    assert [r["id"] for r in rows(zoho, query)] == [p["id"] for p in priced if low <= p["Unit_Price"] <= high]
    over = f"select Unit_Price from Products where Unit_Price > {low} limit 200"
    assert [r["id"] for r in rows(zoho, over)] == [p["id"] for p in priced if p["Unit_Price"] > low]
    name = products[0]["Product_Name"]
    assert [r["id"] for r in rows(zoho, f"select id from Products where Product_Name = '{name}'")] == [
        p["id"] for p in products if p["Product_Name"].lower() == name.lower()
    ]


def test_like_in_and_null_tests(zoho: ZohoClient) -> None:
    contacts = everything(zoho, "Contacts", "Last_Name,Email,Account_Name")
    initial = contacts[0]["Last_Name"][0]
    found = rows(zoho, f"select Last_Name from Contacts where Last_Name like '{initial}%' limit 200")
    assert [r["id"] for r in found] == [c["id"] for c in contacts if c["Last_Name"].startswith(initial)]
    tail = contacts[1]["Last_Name"][-2:]
    found = rows(zoho, f"select Last_Name from Contacts where Last_Name like '%{tail}' limit 200")
    assert [r["id"] for r in found] == [c["id"] for c in contacts if c["Last_Name"].endswith(tail)]
    names = sorted({c["Last_Name"] for c in contacts[:4]})
    listed = ", ".join(f"'{n}'" for n in names)
    found = rows(zoho, f"select id from Contacts where Last_Name not in ({listed}) limit 200")
    assert [r["id"] for r in found] == [c["id"] for c in contacts if c["Last_Name"] not in names]
    without = rows(zoho, "select id from Contacts where Account_Name is null limit 200")
    assert [r["id"] for r in without] == [c["id"] for c in contacts if c.get("Account_Name") is None]


def test_and_or_with_brackets_and_a_lookup_one_level_deep(zoho: ZohoClient) -> None:
    contacts = everything(zoho, "Contacts", "Last_Name,Account_Name,Email")
    linked = next(c for c in contacts if c.get("Account_Name"))
    account = linked["Account_Name"]["name"].replace("'", "''")
    query = (
        "select Last_Name, Account_Name.Account_Name, Account_Name from Contacts where "
        f"((Account_Name.Account_Name = '{account}' and Email is not null) or Last_Name = 'Nobody At All') "
        "limit 200"
    )
    found = rows(zoho, query)
    expected = [
        c
        for c in contacts
        if c.get("Account_Name")
        and c["Account_Name"]["id"] == linked["Account_Name"]["id"]
        and c.get("Email")
    ]
    assert [r["id"] for r in found] == [c["id"] for c in expected]
    assert all(r["Account_Name.Account_Name"] == linked["Account_Name"]["name"] for r in found)
    assert all(r["Account_Name"] == {"id": linked["Account_Name"]["id"]} for r in found)


def test_order_by_and_both_limit_forms_page_the_same_rows(zoho: ZohoClient) -> None:
    ordered = rows(zoho, "select Last_Name from Contacts order by Last_Name desc, id asc limit 200")
    names = [r["Last_Name"].lower() for r in ordered]
    assert names == sorted(names, reverse=True)
    mysql = coql(zoho, "select Last_Name from Contacts order by Last_Name desc, id limit 10, 5")
    offset = coql(zoho, "select Last_Name from Contacts order by Last_Name desc, id limit 5 offset 10")
    assert valid(mysql)["data"] == valid(offset)["data"] == ordered[10:15]
    last = coql(zoho, "select id from Contacts limit 10 offset 85")
    assert valid(last)["info"] == {"count": 5, "more_records": False}
    empty(coql(zoho, "select id from Contacts limit 10 offset 90"), 204)


def test_nothing_matching_is_204(zoho: ZohoClient) -> None:
    empty(coql(zoho, "select id from Vendors where Vendor_Name = 'no such vendor'"), 204)


def test_keywords_are_case_insensitive_and_strings_escape_quotes(zoho: ZohoClient) -> None:
    created = zoho.crm("POST", "/Accounts", json={"data": [{"Account_Name": "O'Brien & Sons"}]})
    new_id = created.json()["data"][0]["details"]["id"]
    found = rows(zoho, "SELECT Account_Name FROM Accounts WHERE Account_Name = 'O''Brien & Sons' LIMIT 5")
    assert found == [{"Account_Name": "O'Brien & Sons", "id": new_id}]


@pytest.mark.parametrize(
    ("query", "column", "near"),
    [
        ("select id from Contacts where id is not null and Email is not null and Phone is null", 68, "and"),
        ("select from Contacts", 8, "from"),
        ("select id Contacts", 11, "Contacts"),
        ("select id from Contacts where Email == 'x'", 38, "="),
        ("select id from Contacts limit", 30, "<end>"),
        ("select id from Contacts where (Email is null", 45, "<end>"),
        ("select id from Contacts where Email is null; drop", 44, ";"),
        ("select id from Contacts where " + "(" * 200 + "id is null" + ")" * 200, 64, "("),
    ],
)
def test_syntax_errors_say_where(zoho: ZohoClient, query: str, column: int, near: str) -> None:
    syntax_error(coql(zoho, query), column, near)


def test_unknown_names_and_bad_values_are_invalid_queries(zoho: ZohoClient) -> None:
    error(
        coql(zoho, "select id from Leads"),
        400,
        "INVALID_MODULE",
        "the module name given seems to be invalid",
        {"module": "Leads"},
    )
    error(
        coql(zoho, "select Nope from Contacts"),
        400,
        "INVALID_QUERY",
        "column given seems to be invalid",
        {"column_name": "Nope"},
    )
    error(
        coql(zoho, "select Account_Name.Nope from Contacts"),
        400,
        "INVALID_QUERY",
        "column given seems to be invalid",
        {"column_name": "Account_Name.Nope"},
    )
    error(
        coql(zoho, "select id from Products where Unit_Price = 'cheap'"),
        400,
        "INVALID_QUERY",
        "value given seems to be invalid for the column",
        {"column_name": "Unit_Price", "expected_data_type": "currency"},
    )
    error(
        coql(zoho, "select id from Contacts where Last_Name > 'M'"),
        400,
        "INVALID_QUERY",
        "data type not supported",
        {"column_name": "Last_Name", "data_type": "text", "operator": "greater_than"},
    )
    error(
        coql(zoho, "select id from Contacts where Description = 'x'"),
        400,
        "INVALID_QUERY",
        "data type not supported",
        {"column_name": "Description", "data_type": "textarea", "operator": "equal"},
    )


def test_the_documented_caps(zoho: ZohoClient) -> None:
    error(
        coql(zoho, "select id from Contacts limit 2001"),
        400,
        "LIMIT_EXCEEDED",
        "limit exceeded",
        {"clause": "limit", "limit": 2000},
    )
    assert coql(zoho, "select id from Contacts limit 2000").status_code == 200
    error(
        coql(zoho, "select id from Contacts limit 99000, 2000"),
        400,
        "LIMIT_EXCEEDED",
        "limit exceeded",
        {"clause": "offset", "limit": 100_000},
    )
    error(
        coql(zoho, "select id from Contacts order by id, Email, id"),
        400,
        "DUPLICATE_DATA",
        "duplicate data",
        {"clause": "order by", "column_name": "id"},
    )
    many = " or ".join(f"Email = 'x{n}@example.com'" for n in range(2))
    nested = many
    for n in range(25):
        nested = f"({nested}) or Email = 'y{n}@example.com'"
    error(
        coql(zoho, f"select id from Contacts where {nested}"),
        400,
        "LIMIT_EXCEEDED",
        "limit exceeded",
        {"clause": "where", "limit": 25},
    )
    values = ", ".join(str(n) for n in range(101))
    error(
        coql(zoho, f"select id from Contacts where id in ({values})"),
        400,
        "LIMIT_EXCEEDED",
        "limit exceeded",
        {"clause": "where", "limit": 100},
    )
    columns = ", ".join(["id"] * 51)
    error(
        coql(zoho, f"select {columns} from Contacts"),
        400,
        "LIMIT_EXCEEDED",
        "limit exceeded",
        {"clause": "select", "limit": 50},
    )


def test_bodies_that_are_not_a_query(zoho: ZohoClient) -> None:
    error(
        zoho.crm("POST", "/coql", content=b"{"),
        400,
        "UNABLE_TO_PARSE_DATA_TYPE",
        "either the request body or parameters is in wrong format",
    )
    error(
        zoho.crm("POST", "/coql", json={}),
        400,
        "REQUIRED_PARAM_MISSING",
        "One of the expected parameter is missing",
        {"param_name": "select_query"},
    )
    error(
        zoho.crm("POST", "/coql", json={"select_query": 5}),
        400,
        "INVALID_DATA",
        "invalid data",
        {"api_name": "select_query", "json_path": "$.select_query"},
    )


def test_coql_needs_its_scope_and_the_modules(zoho: ZohoClient) -> None:
    no_coql = zoho.token(("ZohoCRM.modules.ALL",))
    error(coql(zoho, "select id from Contacts", token=no_coql), 401, "OAUTH_SCOPE_MISMATCH", "Unauthorized")
    accounts_only = zoho.token(("ZohoCRM.coql.READ", "ZohoCRM.modules.accounts.READ"))
    assert coql(zoho, "select id from Accounts", token=accounts_only).status_code == 200
    error(
        coql(zoho, "select id from Contacts", token=accounts_only),
        401,
        "OAUTH_SCOPE_MISMATCH",
        "Unauthorized",
    )
    error(
        zoho.crm("GET", "/coql"),
        400,
        "INVALID_REQUEST_METHOD",
        "The http request method type is not a valid one",
    )
