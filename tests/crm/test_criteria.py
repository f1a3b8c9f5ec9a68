"""Search criteria and custom-view criteria, parsed and evaluated without an org."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from simulator.crm.criteria import (
    Condition,
    Group,
    Ref,
    ViewContext,
    parse_search,
    search_predicate,
    validate_view_criteria,
    view_predicate,
)
from simulator.crm.errors import CrmError, InvalidData, InvalidQuery
from simulator.crm.metadata import ACCOUNTS, CONTACTS, PRODUCTS, FieldDef

IST = timezone(timedelta(hours=5, minutes=30))
NOW = datetime(2026, 1, 15, 9, 0, tzinfo=UTC)
CTX = ViewContext(now=NOW, tz=IST, current_user_id="111")


def get(record: dict[str, Any], f: FieldDef) -> Any:
    return record.get(f.api_name)


def search(text: str, records: list[dict[str, Any]], module: Any = ACCOUNTS) -> list[str]:
    predicate = search_predicate(parse_search(text, module), get)
    return [r["id"] for r in records if predicate(r)]


def view(criteria: dict[str, Any] | None, records: list[dict[str, Any]], module: Any = ACCOUNTS) -> list[str]:
    validate_view_criteria(criteria, module)
    predicate = view_predicate(criteria, module, get, CTX)
    return [r["id"] for r in records if predicate(r)]


ACCOUNT_ROWS = [
    {"id": "1", "Account_Name": "Zylker Inc", "Industry": "Technology", "Employees": 50, "Phone": "555-1234"},
    {"id": "2", "Account_Name": "ABC Zylker", "Industry": "Technology Services", "Employees": 500},
    {"id": "3", "Account_Name": "Burns, B (West)", "Industry": "Retail", "Employees": 5},
    {"id": "4", "Industry": None, "Owner": Ref("111", "Pat Boyle", "p@x.com")},
]


def _error(exc: pytest.ExceptionInfo[CrmError]) -> dict[str, Any]:
    return exc.value.body()


# -- parsing ---------------------------------------------------------------------------------


def test_a_nested_criteria_parses_into_groups_and_typed_values() -> None:
    node = parse_search(
        "((Account_Name:equals:Zylker)and((Employees:greater_than:10)or(Phone:starts_with:555)))", ACCOUNTS
    )
    assert isinstance(node, Group) and node.connectors == ("and",)
    first, second = node.children
    assert first == Condition(ACCOUNTS.by_name["Account_Name"], "equals", ("Zylker",))
    assert isinstance(second, Group) and second.connectors == ("or",)
    assert second.children[0] == Condition(ACCOUNTS.by_name["Employees"], "greater_than", (10,))


def test_a_bare_condition_and_datetime_values_with_colons_parse() -> None:
    node = parse_search("Created_Time:between:2024-02-01T18:52:56+00:00,2024-02-20T18:52:56+00:00", ACCOUNTS)
    assert isinstance(node, Condition)
    assert node.values == (
        datetime(2024, 2, 1, 18, 52, 56, tzinfo=UTC),
        datetime(2024, 2, 20, 18, 52, 56, tzinfo=UTC),
    )


def test_escaped_parentheses_and_commas_are_part_of_the_value() -> None:
    assert search(r"(Account_Name:equals:Burns\, B \(West\))", ACCOUNT_ROWS) == ["3"]
    node = parse_search(r"(Account_Name:in:Burns\, B,Zylker Inc)", ACCOUNTS)
    assert isinstance(node, Condition) and node.values == ("Burns, B", "Zylker Inc")


@pytest.mark.parametrize(
    ("text", "details"),
    [
        ("(Nope:equals:x)", {"reason": "the field is not available in the module", "api_name": "Nope"}),
        (
            "(Account_Name:like:x)",
            {"operator": "like", "reason": "the operator is not supported", "api_name": "Account_Name"},
        ),
        (
            "(Industry:starts_with:Tech)",
            {
                "operator": "starts_with",
                "reason": "the operator is not supported for picklist fields",
                "api_name": "Industry",
            },
        ),
        (
            "(Employees:equals:many)",
            {
                "expected_data_type": "integer",
                "reason": "the value does not match the field's data type",
                "api_name": "Employees",
            },
        ),
        (
            "(Account_Name:equals)",
            {"reason": "a condition must read (field:operator:value)", "api_name": "criteria"},
        ),
        (
            "((Account_Name:equals:a)(Phone:equals:b))",
            {"reason": "expected 'and' or 'or' between conditions", "api_name": "criteria"},
        ),
        ("(Account_Name:equals:a", {"reason": "missing ')'", "api_name": "criteria"}),
        (
            "(Employees:between:1)",
            {"value": "1", "reason": "between needs two values", "api_name": "Employees"},
        ),
        ("(Account_Name:equals:)", {"value": "", "reason": "the value is empty", "api_name": "Account_Name"}),
    ],
)
def test_malformed_criteria_are_invalid_queries(text: str, details: dict[str, Any]) -> None:
    with pytest.raises(InvalidQuery) as exc:
        parse_search(text, ACCOUNTS)
    assert _error(exc) == {
        "code": "INVALID_QUERY",
        "details": details,
        "message": "invalid query formed",
        "status": "error",
    }


def test_at_most_ten_conditions_and_a_hundred_in_values() -> None:
    ten = "(" + "and".join(["(Employees:greater_than:1)"] * 10) + ")"
    assert isinstance(parse_search(ten, ACCOUNTS), Group)
    with pytest.raises(InvalidQuery) as exc:
        parse_search("(" + "and".join(["(Employees:greater_than:1)"] * 11) + ")", ACCOUNTS)
    assert exc.value.details["reason"] == "only 10 conditions are allowed in criteria"
    with pytest.raises(InvalidQuery) as exc:
        parse_search("(Employees:in:" + ",".join(str(n) for n in range(101)) + ")", ACCOUNTS)
    assert exc.value.message == 'Only 100 values are allowed in "IN" criteria'
    assert exc.value.details == {"api_name": "Employees", "param_name": "criteria"}


# -- evaluating search criteria --------------------------------------------------------------


def test_equals_is_a_case_insensitive_contains_on_text_but_exact_on_picklists() -> None:
    assert search("(Account_Name:equals:zylker)", ACCOUNT_ROWS) == ["1", "2"]
    assert search("(Industry:equals:Technology)", ACCOUNT_ROWS) == ["1"]
    assert search("(Industry:equals:technology)", ACCOUNT_ROWS) == ["1"]


def test_not_equal_starts_with_in_and_comparisons() -> None:
    assert search("(Industry:not_equal:Technology)", ACCOUNT_ROWS) == ["2", "3", "4"]
    assert search("(Account_Name:starts_with:abc)", ACCOUNT_ROWS) == ["2"]
    assert search("(Industry:in:Retail,Technology)", ACCOUNT_ROWS) == ["1", "3"]
    assert search("(Employees:greater_equal:50)", ACCOUNT_ROWS) == ["1", "2"]
    assert search("(Employees:less_than:50)", ACCOUNT_ROWS) == ["3"]
    assert search("(Employees:between:5,50)", ACCOUNT_ROWS) == ["1", "3"]


def test_and_or_combine_left_to_right() -> None:
    assert search("((Account_Name:equals:zylker)and(Employees:greater_than:100))", ACCOUNT_ROWS) == ["2"]
    assert search("((Industry:equals:Retail)or(Employees:equals:50))", ACCOUNT_ROWS) == ["1", "3"]


def test_lookups_and_owners_match_by_id_name_or_email() -> None:
    rows = [{"id": "1", "Account_Name": Ref("9", "Zylker")}, {"id": "2", "Account_Name": None}]
    assert search("(Account_Name:equals:9)", rows, CONTACTS) == ["1"]
    assert search("(Account_Name:equals:zylker)", rows, CONTACTS) == ["1"]
    assert search("(Owner:equals:p@x.com)", ACCOUNT_ROWS) == ["4"]
    assert search("(Owner:in:111,222)", ACCOUNT_ROWS) == ["4"]


def test_booleans_dates_and_datetimes_are_typed() -> None:
    rows = [
        {"id": "1", "Product_Active": True, "Sales_Start_Date": "2025-03-01"},
        {"id": "2", "Product_Active": False, "Sales_Start_Date": "2025-05-01"},
    ]
    assert search("(Product_Active:equals:true)", rows, PRODUCTS) == ["1"]
    assert search("(Sales_Start_Date:greater_than:2025-04-01)", rows, PRODUCTS) == ["2"]
    with pytest.raises(InvalidQuery):
        parse_search("(Product_Active:equals:yes)", PRODUCTS)
    stamped = [{"id": "1", "Created_Time": datetime(2025, 1, 1, tzinfo=UTC)}]
    assert search("(Created_Time:greater_than:2024-12-31T23:00:00+05:30)", stamped) == ["1"]


# -- custom view criteria --------------------------------------------------------------------


def _cond(api_name: str, comparator: str, value: Any) -> dict[str, Any]:
    return {"comparator": comparator, "field": {"api_name": api_name}, "value": value}


def test_view_comparators_on_text() -> None:
    assert view(None, ACCOUNT_ROWS) == ["1", "2", "3", "4"]
    assert view(_cond("Industry", "equal", "technology"), ACCOUNT_ROWS) == ["1"]
    assert view(_cond("Industry", "not_equal", "Technology"), ACCOUNT_ROWS) == ["2", "3", "4"]
    assert view(_cond("Account_Name", "contains", "zyl"), ACCOUNT_ROWS) == ["1", "2"]
    assert view(_cond("Account_Name", "not_contains", "zyl"), ACCOUNT_ROWS) == ["3", "4"]
    assert view(_cond("Account_Name", "starts_with", "zyl"), ACCOUNT_ROWS) == ["1"]
    assert view(_cond("Account_Name", "ends_with", "ZYLKER"), ACCOUNT_ROWS) == ["2"]
    assert view(_cond("Industry", "in", ["Retail", "Technology"]), ACCOUNT_ROWS) == ["1", "3"]


def test_view_comparators_on_numbers_and_groups() -> None:
    assert view(_cond("Employees", "greater_than", 50), ACCOUNT_ROWS) == ["2"]
    assert view(_cond("Employees", "less_equal", "50"), ACCOUNT_ROWS) == ["1", "3"]
    assert view(_cond("Employees", "between", [5, 50]), ACCOUNT_ROWS) == ["1", "3"]
    both = {
        "group_operator": "AND",
        "group": [_cond("Industry", "contains", "tech"), _cond("Employees", "less_than", 100)],
    }
    either = {
        "group_operator": "or",
        "group": [_cond("Industry", "equal", "Retail"), _cond("Employees", "equal", 500)],
    }
    assert view(both, ACCOUNT_ROWS) == ["1"]
    assert view(either, ACCOUNT_ROWS) == ["2", "3"]


def test_empty_not_empty_current_user_and_booleans() -> None:
    assert view(_cond("Industry", "equal", "${EMPTY}"), ACCOUNT_ROWS) == ["4"]
    assert view(_cond("Industry", "equal", "${NOTEMPTY}"), ACCOUNT_ROWS) == ["1", "2", "3"]
    assert view(_cond("Industry", "not_equal", "${EMPTY}"), ACCOUNT_ROWS) == ["1", "2", "3"]
    assert view(_cond("Owner", "equal", "${CURRENTUSER}"), ACCOUNT_ROWS) == ["4"]
    assert view(_cond("Owner", "equal", "Pat Boyle"), ACCOUNT_ROWS) == ["4"]
    products = [{"id": "1", "Product_Active": True}, {"id": "2", "Product_Active": False}, {"id": "3"}]
    assert view(_cond("Product_Active", "equal", "true"), products, PRODUCTS) == ["1"]
    assert view(_cond("Product_Active", "equal", False), products, PRODUCTS) == ["2"]


def test_relative_and_date_values_read_the_context_clock_in_the_org_zone() -> None:
    rows = [
        {"id": "old", "Created_Time": NOW - timedelta(days=30)},
        {"id": "week", "Created_Time": NOW - timedelta(days=5)},
        {"id": "today", "Created_Time": datetime(2026, 1, 14, 19, 0, tzinfo=UTC)},  # 15 Jan 00:30 IST
    ]
    assert view(_cond("Created_Time", "equal", "${LAST7DAYS}"), rows) == ["week", "today"]
    assert view(_cond("Created_Time", "equal", "${TODAY}"), rows) == ["today"]
    assert view(_cond("Created_Time", "equal", "2026-01-15"), rows) == ["today"]
    assert view(_cond("Created_Time", "less_than", "2026-01-01"), rows) == ["old"]
    assert view(_cond("Created_Time", "greater_than", "2026-01-14T00:00:00+00:00"), rows) == ["today"]


@pytest.mark.parametrize(
    ("criteria", "details"),
    [
        (_cond("Nope", "equal", "x"), {"api_name": "Nope"}),
        (_cond("Industry", "like", "x"), {"api_name": "comparator"}),
        (_cond("Employees", "equal", "many"), {"api_name": "Employees", "expected_data_type": "integer"}),
        (_cond("Employees", "between", [1]), {"api_name": "Employees"}),
        ({"group_operator": "XOR", "group": []}, {"api_name": "group_operator"}),
        ("Industry = Technology", {"api_name": "criteria"}),
    ],
)
def test_malformed_view_criteria_are_invalid_data(criteria: Any, details: dict[str, Any]) -> None:
    with pytest.raises(InvalidData) as exc:
        validate_view_criteria(criteria, ACCOUNTS)
    assert exc.value.details == details
