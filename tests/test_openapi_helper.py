"""The OpenAPI helper on its own: no simulator involved.

Every test that reads the documents goes through ``response_schema``/``validate_response``,
which skip the test (with the reason) when ``../shared/zoho-oas`` is absent.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest

from tests.openapi import OAS_DIR, oas_available, response_schema, skip_without_oas, validate_response

Operation = tuple[Any, str, str, int]

# (operation, a top-level key its 200/201 schema declares)
DOCUMENTED: list[tuple[Operation, str]] = [
    (("crm", "GET", "/crm/v8/Accounts", 200), "data"),
    (("crm", "POST", "/crm/v8/Accounts", 200), "data"),
    (("crm", "PUT", "/crm/v8/Accounts", 200), "data"),
    (("crm", "GET", "/crm/v8/Accounts/5843104000000424001", 200), "data"),
    (("crm", "PUT", "/crm/v8/Accounts/5843104000000424001", 200), "data"),
    (("crm", "DELETE", "/crm/v8/Accounts/5843104000000424001", 200), "data"),
    (("crm", "POST", "/crm/v8/Accounts/upsert", 200), "data"),
    (("crm", "GET", "/crm/v8/Accounts/search", 200), "data"),
    (("crm", "GET", "/crm/v8/Accounts/actions/count", 200), "count"),
    (("crm", "GET", "/crm/v8/Accounts/deleted", 200), "data"),
    (("crm", "GET", "/crm/v8/settings/fields", 200), "fields"),
    (("crm", "GET", "/crm/v8/settings/modules", 200), "modules"),
    (("crm", "GET", "/crm/v8/settings/custom_views", 200), "custom_views"),
    (("crm", "GET", "/crm/v8/settings/custom_views/5843104000000087501", 200), "custom_views"),
    (("crm", "GET", "/crm/v8/users", 200), "users"),
    (("crm", "GET", "/crm/v8/org", 200), "org"),
    (("books", "GET", "/books/v3/contacts", 200), "contacts"),
    (("books", "POST", "/books/v3/contacts", 201), "contact"),
    (("books", "GET", "/books/v3/contacts/460000000026049", 200), "contact"),
    (("books", "PUT", "/books/v3/contacts/460000000026049", 200), "contact"),
    (("books", "POST", "/books/v3/contacts/460000000026049/active", 200), "message"),
    (("books", "GET", "/books/v3/contacts/contactpersons", 200), "message"),
    (("books", "POST", "/books/v3/contacts/contactpersons/460000000026051/primary", 200), "message"),
    (("books", "GET", "/books/v3/contacts/460000000026049/contactpersons", 200), "message"),
    (("books", "GET", "/books/v3/items", 200), "items"),
    (("books", "GET", "/books/v3/items/460000000027009", 200), "item"),
    (("books", "GET", "/books/v3/organizations", 200), "organizations"),
    (("books", "POST", "/books/v3/crm/account/5843104000000424001/import", 200), "data"),
]


def _id(operation: Operation) -> str:
    return " ".join(map(str, operation))


def _top_level_keys(schema: Any) -> set[str]:
    if not isinstance(schema, dict):
        return set()
    keys = set(schema.get("properties", {}))
    for alternative in [*schema.get("anyOf", ()), *schema.get("allOf", ())]:
        keys |= _top_level_keys(alternative)
    return keys


@pytest.mark.parametrize(("operation", "key"), DOCUMENTED, ids=[_id(case[0]) for case in DOCUMENTED])
def test_documented_operations_have_a_schema(operation: Operation, key: str) -> None:
    schema = response_schema(*operation)
    assert schema is not None
    assert key in _top_level_keys(schema)
    assert "$ref" not in repr(schema), "the schema must be self-contained"


@pytest.mark.parametrize(
    ("operation", "not_key"),
    [
        # /settings/fields, not /{module_api_name}/{id} (whose body has "data")
        (("crm", "GET", "/crm/v8/settings/fields", 200), "data"),
        # /{module}/search, not /{module_api_name}/{id} (whose body may be a "file")
        (("crm", "GET", "/crm/v8/Accounts/search", 200), "file"),
        # /users, not /{module_api_name}
        (("crm", "GET", "/crm/v8/users", 200), "data"),
        # /contacts/contactpersons, not /contacts/{contact_id} (whose body has "contact")
        (("books", "GET", "/books/v3/contacts/contactpersons", 200), "contact"),
    ],
    ids=["fields", "search", "users", "contactpersons"],
)
def test_literal_segments_beat_templates(operation: Operation, not_key: str) -> None:
    assert not_key not in _top_level_keys(response_schema(*operation))


@pytest.mark.parametrize(
    "operation",
    [
        ("crm", "GET", "/crm/v8/Accounts", 204),  # documented without a body
        ("crm", "GET", "/crm/v8/Accounts", 400),
        ("crm", "POST", "/crm/v8/Accounts", 201),  # Zoho documents inserts as 200
        ("books", "GET", "/books/v3/contacts", 404),
        ("books", "PATCH", "/books/v3/contacts", 200),
        # deeper than any documented template ({module}/{id}/{related_list}/{related_id} is four)
        ("crm", "GET", "/crm/v8/no/such/documented/path/at/all", 200),
    ],
    ids=_id,
)
def test_undocumented_operations_have_no_schema(operation: Operation) -> None:
    assert response_schema(*operation) is None
    with pytest.raises(AssertionError, match="no application/json response schema is documented"):
        validate_response(*operation, {})


# -- the documents' own examples --------------------------------------------------------------

_MISSING: Any = object()


def _types(schema: dict[str, Any]) -> set[str]:
    types = schema.get("type", ())
    return {types} if isinstance(types, str) else set(types)


def _example(schema: Any, *, quote_numbers: bool) -> Any:
    """A body assembled from the ``example`` of every property (the helper keeps them as ``examples``)."""
    if not isinstance(schema, dict):
        return _MISSING
    if "examples" in schema:
        value = schema["examples"][0]
        wants_string = "string" in _types(schema) and not _types(schema) & {"integer", "number"}
        numeric = isinstance(value, int | float) and not isinstance(value, bool)
        return str(value) if quote_numbers and wants_string and numeric else value
    for alternative in [*schema.get("allOf", ()), *schema.get("anyOf", ())]:
        if (value := _example(alternative, quote_numbers=quote_numbers)) is not _MISSING:
            return value
    if "array" in _types(schema):
        item = _example(schema.get("items"), quote_numbers=quote_numbers)
        return _MISSING if item is _MISSING else [item]
    properties = {
        name: value
        for name, sub in schema.get("properties", {}).items()
        if (value := _example(sub, quote_numbers=quote_numbers)) is not _MISSING
    }
    return properties or _MISSING


# The CRM documents carry no examples at all; the Books documents do.  Where the examples
# disagree with their own schema the case says how, and the helper's `ignore` (or the quoting of
# bare numbers) covers exactly that; `test_listed_example_disagreements_are_real` keeps the list honest.
QUOTED = "example spells string-typed IDs/zip codes as bare numbers (contact_id: 460000000026049)"
AMOUNTS = "example unused_credits_receivable_amount(_bcy) is 1369.66, but the schema types it integer"
CONTACT_AMOUNTS = (
    "$.contact.unused_credits_receivable_amount",
    "$.contact.unused_credits_receivable_amount_bcy",
)
BOOKS_EXAMPLES: list[tuple[Operation, bool, tuple[str, ...], str]] = [
    # (operation, quote bare numbers?, ignore, reason)
    (
        ("books", "GET", "/books/v3/contacts", 200),
        True,
        ("$.contacts[*].unused_credits_receivable_amount",),
        f"{QUOTED}; {AMOUNTS}",
    ),
    (("books", "POST", "/books/v3/contacts", 201), True, CONTACT_AMOUNTS, f"{QUOTED}; {AMOUNTS}"),
    (
        ("books", "GET", "/books/v3/contacts/460000000026049", 200),
        True,
        CONTACT_AMOUNTS,
        f"{QUOTED}; {AMOUNTS}",
    ),
    (("books", "DELETE", "/books/v3/contacts/460000000026049", 200), False, (), ""),
    (("books", "POST", "/books/v3/contacts/460000000026049/inactive", 200), False, (), ""),
    (("books", "GET", "/books/v3/contacts/460000000026049/contactpersons", 200), False, (), ""),
    (("books", "POST", "/books/v3/contacts/contactpersons/460000000026051/primary", 200), False, (), ""),
    (("books", "GET", "/books/v3/items", 200), True, (), QUOTED),
    (("books", "POST", "/books/v3/items", 201), True, (), QUOTED),
    (("books", "GET", "/books/v3/items/460000000027009", 200), True, (), QUOTED),
    (("books", "GET", "/books/v3/organizations", 200), False, (), ""),
    (("books", "GET", "/books/v3/organizations/10234695", 200), False, (), ""),
    (("books", "POST", "/books/v3/crm/account/5843104000000424001/import", 200), True, (), QUOTED),
]
_EXAMPLE_IDS = [_id(case[0]) for case in BOOKS_EXAMPLES]


@pytest.mark.parametrize(("operation", "quote", "ignore", "reason"), BOOKS_EXAMPLES, ids=_EXAMPLE_IDS)
def test_document_examples_match_their_schema(
    operation: Operation, quote: bool, ignore: tuple[str, ...], reason: str
) -> None:
    body = _example(response_schema(*operation), quote_numbers=quote)
    assert body is not _MISSING
    validate_response(*operation, body, ignore=ignore)


@pytest.mark.parametrize(
    ("operation", "quote", "ignore", "reason"),
    [case for case in BOOKS_EXAMPLES if case[3]],
    ids=[i for i, case in zip(_EXAMPLE_IDS, BOOKS_EXAMPLES, strict=True) if case[3]],
)
def test_listed_example_disagreements_are_real(
    operation: Operation, quote: bool, ignore: tuple[str, ...], reason: str
) -> None:
    schema = response_schema(*operation)
    if quote:
        with pytest.raises(AssertionError, match="is not of type 'string'"):
            validate_response(*operation, _example(schema, quote_numbers=False), ignore=ignore)
    if ignore:
        with pytest.raises(AssertionError, match="is not of type 'integer'"):
            validate_response(*operation, _example(schema, quote_numbers=True))


# -- hand-made bodies ---------------------------------------------------------------------------

USER = {"id": "5843104000000425001", "name": "Patricia Boyle", "email": "p.boyle@zylker.com"}
RECORD = {
    "id": "5843104000000424001",
    "Account_Name": "Zylker",
    "Phone": "+1 555 0100",
    "Owner": USER,
    "Created_By": USER,
    "Modified_By": USER,
    "Created_Time": "2024-03-01T10:00:00+05:30",
    "Modified_Time": "2024-03-02T11:30:00+05:30",
    "Annual_Revenue": 1250000.5,
}
INFO = {"per_page": 200, "count": 1, "page": 1, "sort_by": "id", "sort_order": "desc", "more_records": False}
SUCCESS = {
    "code": "SUCCESS",
    "details": {
        "id": "5843104000000424001",
        "Created_Time": "2024-03-01T10:00:00+05:30",
        "Modified_Time": "2024-03-01T10:00:00+05:30",
        "Created_By": USER,
        "Modified_By": USER,
    },
    "message": "record added",
    "status": "success",
}
CONTACT = {
    "contact_id": "460000000026049",
    "contact_name": "Bowman and Co",
    "company_name": "Bowman and Co",
    "contact_type": "customer",
    "status": "active",
    "currency_id": "460000000000097",
    "currency_code": "USD",
    "outstanding_receivable_amount": 0,
    "contact_persons": [
        {
            "contact_person_id": "460000000026051",
            "first_name": "Will",
            "last_name": "Smith",
            "email": "willsmith@bowmanfurniture.com",
            "is_primary_contact": True,
        }
    ],
    "created_time": "2024-03-01T10:00:00+0530",
}

HAND_MADE: list[tuple[Operation, object]] = [
    (("crm", "GET", "/crm/v8/Accounts", 200), {"data": [RECORD], "info": INFO}),
    (("crm", "GET", "/crm/v8/Accounts/5843104000000424001", 200), {"data": [RECORD]}),
    (("crm", "POST", "/crm/v8/Accounts", 200), {"data": [SUCCESS]}),
    (
        ("crm", "PUT", "/crm/v8/Accounts/5843104000000424001", 200),
        {"data": [{**SUCCESS, "message": "record updated"}]},
    ),
    (
        ("crm", "DELETE", "/crm/v8/Accounts", 200),
        {
            "data": [
                {
                    "code": "SUCCESS",
                    "details": {"id": RECORD["id"]},
                    "message": "record deleted",
                    "status": "success",
                }
            ]
        },
    ),
    (
        ("crm", "POST", "/crm/v8/Accounts/upsert", 200),
        {
            "data": [
                {
                    **SUCCESS,
                    "action": "update",
                    "duplicate_field": "Account_Name",
                    "message": "record updated",
                }
            ]
        },
    ),
    (("crm", "GET", "/crm/v8/Accounts/search", 200), {"data": [RECORD], "info": INFO}),
    (
        ("crm", "GET", "/crm/v8/Accounts/deleted", 200),
        {
            "data": [
                {
                    "id": RECORD["id"],
                    "display_name": "Zylker",
                    "type": "recycle",
                    "deleted_by": USER,
                    "created_by": USER,
                    "deleted_time": "2024-03-03T09:00:00+05:30",
                }
            ],
            "info": INFO,
        },
    ),
    (
        ("crm", "GET", "/crm/v8/Accounts/5843104000000424001", 200),
        {
            "status": "error",
            "code": "INVALID_DATA",
            "message": "the id given seems to be invalid.",
            "details": {},
        },
    ),
    (
        ("books", "POST", "/books/v3/contacts", 201),
        {"code": 0, "message": "The contact has been added.", "contact": CONTACT},
    ),
    (("books", "GET", "/books/v3/contacts", 200), {"code": 0, "message": "success", "contacts": [CONTACT]}),
    (("books", "POST", "/books/v3/contacts/460000000026049/active", 200), {"code": 0, "message": "success"}),
]


@pytest.mark.parametrize(("operation", "body"), HAND_MADE, ids=[_id(case[0]) for case in HAND_MADE])
def test_hand_made_valid_bodies_pass(operation: Operation, body: object) -> None:
    validate_response(*operation, body)


# -- failures -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("operation", "body", "expected"),
    [
        (
            ("crm", "GET", "/crm/v8/Accounts/1", 200),
            {"data": [{**RECORD, "id": 123}]},
            "$.data[0].id: 123 is not of type",
        ),
        (
            ("crm", "GET", "/crm/v8/Accounts/1", 200),
            {"data": "Zylker"},
            "$.data: 'Zylker' is not of type 'array'",
        ),
        (("crm", "GET", "/crm/v8/Accounts/search", 200), {"info": INFO}, "$: 'data' is a required property"),
        (
            ("crm", "GET", "/crm/v8/Accounts/1", 200),
            {"unexpected": 1},
            "is not valid under any of the given schemas",
        ),
        (
            ("books", "GET", "/books/v3/contacts/1", 200),
            {"code": "0", "contact": CONTACT},
            "$.code: '0' is not of type",
        ),
        (
            ("books", "POST", "/books/v3/contacts", 201),
            {"code": 0, "contact": {**CONTACT, "contact_persons": [{"is_primary_contact": "yes"}]}},
            "$.contact.contact_persons[0].is_primary_contact: 'yes' is not of type 'boolean'",
        ),
    ],
    ids=[
        "crm-id-int",
        "crm-data-str",
        "crm-search-no-data",
        "crm-unknown-shape",
        "books-code",
        "books-nested",
    ],
)
def test_invalid_bodies_fail_naming_the_path(operation: Operation, body: object, expected: str) -> None:
    with pytest.raises(AssertionError) as failure:
        validate_response(*operation, body)
    assert expected in str(failure.value)
    assert operation[2] in str(failure.value)


def test_every_error_is_listed() -> None:
    body = {"data": [{**RECORD, "id": 1, "Created_By": "me"}, {**RECORD, "Created_Time": 5}]}
    with pytest.raises(AssertionError, match=r"\(3 errors\)") as failure:
        validate_response("crm", "GET", "/crm/v8/Accounts", 200, body)
    for path in ("$.data[0].id", "$.data[0].Created_By", "$.data[1].Created_Time"):
        assert f"  {path}: " in str(failure.value)


def test_ignore_tolerates_only_the_listed_paths() -> None:
    # Zoho's Info schema types the page tokens as plain strings, the real API sends null.
    nulls = {"next_page_token": None, "previous_page_token": None, "page_token_expiry": None}
    body = {"data": [{**RECORD, "id": 7}], "info": {**INFO, **nulls}}
    operation = ("crm", "GET", "/crm/v8/Accounts", 200)
    tokens = ["$.info.next_page_token", "$.info.previous_page_token", "$.info.page_token_expiry"]
    validate_response(*operation, body, ignore=[*tokens, "$.data[*].id"])
    validate_response(*operation, body, ignore=["$.info", "$.data[0]['id']"])
    with pytest.raises(AssertionError, match=r"\$\.data\[0\]\.id") as failure:
        validate_response(*operation, body, ignore=tokens)
    assert "page_token" not in str(failure.value)
    with pytest.raises(AssertionError, match=r"\(1 error\)"):
        validate_response(*operation, body, ignore=[*tokens, "$.data[1].id"])


def test_ignore_covers_a_missing_required_key_by_its_own_path() -> None:
    operation = ("crm", "GET", "/crm/v8/users", 200)
    body = {"users": [{"id": "5843104000000425001"}], "info": {"per_page": 200, "count": 1, "page": 1}}
    with pytest.raises(AssertionError, match=r"\$\.info: 'more_records' is a required property"):
        validate_response(*operation, body)
    validate_response(*operation, body, ignore=["$.info.more_records"])


def test_bad_ignore_pattern_is_rejected() -> None:
    with pytest.raises(ValueError, match="must start with"):
        validate_response("books", "GET", "/books/v3/contacts", 200, {}, ignore=["data.id"])
    with pytest.raises(ValueError, match="cannot parse"):
        validate_response("books", "GET", "/books/v3/contacts", 200, {}, ignore=["$.data[x]"])


def test_schema_is_a_copy() -> None:
    schema = response_schema("books", "GET", "/books/v3/contacts", 200)
    assert schema is not None
    schema["properties"].clear()
    with pytest.raises(AssertionError):
        validate_response("books", "GET", "/books/v3/contacts", 200, {"code": "zero"})


# -- where the documents are --------------------------------------------------------------------


def test_default_location_is_next_to_the_repo() -> None:
    assert Path(__file__).resolve().parents[1].parent / "shared" / "zoho-oas" == OAS_DIR


def test_absent_documents_skip_with_a_clear_reason(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZOHOSIM_OAS_DIR", str(tmp_path))
    assert not oas_available()
    with pytest.raises(
        pytest.skip.Exception, match=f"{re.escape(str(tmp_path))}.* is absent: Zoho's OpenAPI documents"
    ):
        skip_without_oas()
    with pytest.raises(pytest.skip.Exception, match="is absent"):
        validate_response("crm", "GET", "/crm/v8/Accounts", 200, {"data": []})
    with pytest.raises(pytest.skip.Exception, match="is absent"):
        response_schema("books", "GET", "/books/v3/contacts", 200)


def test_default_location_is_named_in_the_skip_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ZOHOSIM_OAS_DIR", raising=False)
    monkeypatch.setattr("tests.openapi.OAS_DIR", Path("/nonexistent/zoho-oas"))
    with pytest.raises(pytest.skip.Exception, match=r"^\.\./shared/zoho-oas is absent: "):
        skip_without_oas()


def test_environment_variable_points_elsewhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    skip_without_oas()
    current = Path(os.environ.get("ZOHOSIM_OAS_DIR") or OAS_DIR)
    for folder in ("crm-v8", "books-v3"):
        (tmp_path / folder).symlink_to(current / folder)
    monkeypatch.setenv("ZOHOSIM_OAS_DIR", str(tmp_path))
    assert oas_available()
    validate_response(
        "books", "POST", "/books/v3/items/460000000027009/active", 200, {"code": 0, "message": "ok"}
    )
