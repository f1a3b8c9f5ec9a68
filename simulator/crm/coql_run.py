"""A parsed COQL query, resolved against a module's fields and run over an org's records.

Conditions become the search API's ``criteria.Condition`` nodes and are matched by
``criteria.search_predicate``, so COQL compares values exactly as search and custom views do.
A column is one of the module's fields, ``id``, ``Tag`` (records filtered by tag name), or a
lookup's field one level deep (``Account_Name.Account_Name``, ``Vendor_Name.id``); its values are
read through ``Column.read``.

Caps (Zoho's COQL limitations page, v8): 50 columns, 25 criteria, 10 ORDER BY columns (a repeated
one is DUPLICATE_DATA), LIMIT 1 to 2000 (default 200), and no row beyond the 100,000th; and 100
values in ``in``, as the search API allows.  Without ORDER BY, rows come by id ascending.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from simulator.clock import crm_datetime
from simulator.crm import coql
from simulator.crm import criteria as crit
from simulator.crm.errors import DuplicateData, InvalidModule, InvalidQuery, LimitExceeded
from simulator.crm.metadata import (
    MODULES,
    NUMBER_TYPES,
    REFERENCE_TYPES,
    TEXT_TYPES,
    FieldDef,
    ModuleDef,
    find_module,
)
from simulator.crm.models import CrmOrg, sort_key
from simulator.crm.record import CrmRecord
from simulator.crm.tags import Tag, record_tags

MAX_COLUMNS = 50
MAX_CRITERIA = 25
MAX_ORDER_BY = 10
DEFAULT_LIMIT = 200
MAX_LIMIT = 2000
MAX_ROWS = 100_000
_ID = FieldDef("id", "Record Id", "bigint")
#: A record's tags, compared by name (``Tag = 'Hot'``, ``Tag in (...)``, ``Tag is null``).
_TAG = FieldDef("Tag", "Tag", "lookup")
_ORDERED = NUMBER_TYPES | {"date", "datetime"}
_LIKE_TYPES = TEXT_TYPES | {"picklist"}


@dataclass(frozen=True)
class _Tags(crit.Ref):
    """A record's tags as criteria see them: it matches any of their names."""

    tags: tuple[Tag, ...] = ()

    def matches(self, value: str) -> bool:
        return any(tag.name.lower() == value.lower() for tag in self.tags)


@dataclass(frozen=True)
class Column:
    """``path`` as selected; ``field`` describes its values, named by the path (for criteria);
    ``source`` is the field it reads, in the lookup's target module when ``lookup`` is set."""

    path: str
    field: FieldDef
    source: FieldDef
    lookup: FieldDef | None = None

    def read(self, org: CrmOrg, record: Mapping[str, Any]) -> Any:
        """The value as criteria compare it: ids as ints, lookups and users as ``Ref``."""
        if self.lookup is not None:
            target_id = record.get(self.lookup.api_name)
            if target_id is None or self.source is _ID:
                return None if target_id is None else int(target_id)
            target = org.records[self.lookup.lookup or ""].get(target_id)
            return None if target is None else org.value(target, self.source)
        if self.source is _TAG:
            found = tuple(record_tags(org, record))
            return _Tags(record["id"], None, tags=found) if found else None
        return int(record["id"]) if self.source is _ID else org.value(record, self.source)

    def show(self, org: CrmOrg, record: Mapping[str, Any]) -> Any:
        """The value as COQL replies show it: lookups and users as ``{"id"}``, times in the org's zone."""
        value = self.read(org, record)
        if value is None:
            return None
        if isinstance(value, _Tags):
            return [{"name": tag.name, "id": tag.id} for tag in value.tags]
        if isinstance(value, crit.Ref):
            return {"id": value.id}
        if self.source is _ID:
            return str(value)
        if self.source.data_type == "datetime":
            return crm_datetime(value, org.time_zone)
        return value


@dataclass(frozen=True)
class Plan:
    module: ModuleDef
    columns: tuple[Column, ...]
    where: crit.Node | None
    order_by: tuple[tuple[Column, bool], ...]
    limit: int
    offset: int


@dataclass(frozen=True)
class Result:
    rows: list[dict[str, Any]]
    more_records: bool


def plan(query: coql.Query) -> Plan:
    """Resolve ``query``'s names and check its caps; raises Zoho's COQL errors."""
    module = find_module(query.module)
    if module is None:
        raise InvalidModule({"module": query.module})
    if len(query.columns) > MAX_COLUMNS:
        raise LimitExceeded.clause("select", MAX_COLUMNS)
    columns = tuple(column(module, name) for name in dict.fromkeys(query.columns))
    if len(query.order_by) > MAX_ORDER_BY:
        raise LimitExceeded.clause("order by", MAX_ORDER_BY)
    seen: set[str] = set()
    for ordering in query.order_by:
        if ordering.column.lower() in seen:
            raise DuplicateData({"clause": "order by", "column_name": ordering.column})
        seen.add(ordering.column.lower())
    order_by = tuple((column(module, o.column), o.descending) for o in query.order_by)
    where = _criteria(module, query.where) if query.where is not None else None
    if where is not None and _count(where) > MAX_CRITERIA:
        raise LimitExceeded.clause("where", MAX_CRITERIA)
    limit = DEFAULT_LIMIT if query.limit is None else query.limit
    if limit > MAX_LIMIT:
        raise LimitExceeded.clause("limit", MAX_LIMIT)
    if limit < 1:
        raise InvalidQuery({"clause": "limit"})
    if query.offset + limit > MAX_ROWS:
        raise LimitExceeded.clause("offset", MAX_ROWS)
    return Plan(module, columns, where, order_by, limit, query.offset)


def column(module: ModuleDef, path: str) -> Column:
    if path.lower() == "id":
        return Column("id", _ID, _ID)
    if path in ("Tag", "Tag.name"):
        return Column(path, replace(_TAG, api_name=path), _TAG)
    base, _, sub = path.partition(".")
    f = module.by_name.get(base)
    if f is None or (sub and f.data_type not in REFERENCE_TYPES):
        raise InvalidQuery.column(path)
    if not sub:
        return Column(path, f, f)
    target = _ID if sub == "id" else MODULES[f.lookup].by_name.get(sub) if f.lookup else None
    if target is None:
        raise InvalidQuery.column(path)
    return Column(path, replace(target, api_name=path), target, lookup=f)


def run(org: CrmOrg, query: Plan) -> Result:
    """The rows ``query`` selects: its page of them, each with ``id`` and the selected columns."""
    module = query.module
    paths = {c.path: c for c in (*query.columns, *(c for c, _ in query.order_by))}
    rows = list(org.records[module.api_name].values())
    if query.where is not None:
        readers = _readers(module, query.where)
        matches = crit.search_predicate(query.where, lambda record, f: readers[f.api_name].read(org, record))
        rows = [row for row in rows if matches(row)]
    for ordering, descending in reversed(query.order_by):
        rows = _sorted(org, rows, paths[ordering.path], descending=descending)
    page = rows[query.offset : query.offset + query.limit]
    shown = [{**{c.path: c.show(org, row) for c in query.columns}, "id": row["id"]} for row in page]
    return Result(shown, query.offset + len(page) < min(len(rows), MAX_ROWS))


def _sorted(org: CrmOrg, rows: list[CrmRecord], by: Column, *, descending: bool) -> list[CrmRecord]:
    """Stable, empty values first going up (last going down), as a SQL database orders them."""

    def key(row: Mapping[str, Any]) -> tuple[bool, Any]:
        value = by.read(org, row)
        return (value is not None, sort_key(value) if value is not None else 0)

    return sorted(rows, key=key, reverse=descending)


# -- criteria ----------------------------------------------------------------------------------


def _criteria(module: ModuleDef, node: coql.Criteria) -> crit.Node:
    if isinstance(node, coql.Junction):
        return crit.Group((_criteria(module, node.left), _criteria(module, node.right)), (node.connector,))
    return _condition(column(module, node.column), node)


def _readers(module: ModuleDef, node: crit.Node) -> dict[str, Column]:
    if isinstance(node, crit.Condition):
        return {node.field.api_name: column(module, node.field.api_name)}
    return {name: c for child in node.children for name, c in _readers(module, child).items()}


def _count(node: crit.Node) -> int:
    return 1 if isinstance(node, crit.Condition) else sum(_count(child) for child in node.children)


def _condition(col: Column, node: coql.Comparison) -> crit.Condition:
    f, op = col.field, node.operator
    if f.data_type == "textarea":
        raise InvalidQuery.data_type(col.path, f.data_type, op)
    if op in ("in", "not_in") and len(node.values) > crit.MAX_IN_VALUES:
        raise LimitExceeded.clause("where", crit.MAX_IN_VALUES)
    if op in ("like", "not_like"):
        return _like(col, node)
    ordered = op.startswith(("less", "greater")) or op.endswith("between")
    if ordered and f.data_type not in _ORDERED:
        raise InvalidQuery.data_type(col.path, f.data_type, op)
    return crit.Condition(f, op, tuple(_value(col, literal) for literal in node.values))


def _like(col: Column, node: coql.Comparison) -> crit.Condition:
    """``like`` is starts_with (``'ab%'``), ends_with (``'%ab'``), contains (``'%ab%'``) or equal."""
    f, (literal,) = col.field, node.values
    if f.data_type not in _LIKE_TYPES or literal.kind != "string":
        raise InvalidQuery.data_type(col.path, f.data_type, node.operator)
    text = literal.text
    starts, ends = text.startswith("%"), text.endswith("%") and len(text) > 1
    core = text[1 if starts else 0 : -1 if ends else None]
    if "%" in core or not core:
        raise InvalidQuery.value(col.path, f.data_type)
    op = {(True, True): "contains", (False, True): "starts_with", (True, False): "ends_with"}.get(
        (starts, ends), "equal"
    )
    if node.operator == "not_like":
        negated = {"contains": "not_contains", "equal": "not_equal"}.get(op)
        if negated is None:
            raise InvalidQuery.data_type(col.path, f.data_type, node.operator)
        op = negated
    return crit.Condition(f, op, (core,))


def _value(col: Column, literal: coql.Literal) -> Any:
    """A literal as the column's type: numbers unquoted, text and dates quoted, lookups by id."""
    f = col.field
    kind = f.data_type
    allowed = {
        "boolean": ("boolean", "string"),
        **dict.fromkeys(NUMBER_TYPES, ("number",)),
        **dict.fromkeys(REFERENCE_TYPES, ("string", "number")),
    }.get(kind, ("string",))
    if col.source is _ID:
        allowed = ("string", "number")
    if literal.kind not in allowed:
        raise InvalidQuery.value(col.path, kind)
    if kind in REFERENCE_TYPES:
        return literal.text
    try:
        return crit.typed(f, literal.text)
    except ValueError:
        raise InvalidQuery.value(col.path, kind) from None
