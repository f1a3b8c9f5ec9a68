"""Record filters: the search API's ``criteria`` string and custom views' criteria JSON.

Both compile to a predicate over stored records.  A record's values are read through a
``Getter`` supplied by the caller (the org resolves lookups and users to ``Ref``), so these are
pure functions of their inputs.

Search (research §2, Zoho's search-records page): ``((Field:op:value)and(Field:op:value))``, at
most 10 conditions; ``\\``-escapes for ``(``, ``)``, ``,`` and ``\\``; ``equals`` means a
case-insensitive *contains* on text fields but an exact match on picklists; each data type allows
only some operators.  Custom views (research §3): ``{"comparator", "field": {"api_name"},
"value"}`` or ``{"group_operator", "group": [...]}``, with ``${EMPTY}``, ``${NOTEMPTY}``,
``${CURRENTUSER}``, ``${TODAY}`` and ``${LASTnDAYS}`` values.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any

from simulator.clock import parse_datetime
from simulator.crm.errors import InvalidData, InvalidQuery
from simulator.crm.metadata import NUMBER_TYPES, REFERENCE_TYPES, TEXT_TYPES, FieldDef, ModuleDef

MAX_CONDITIONS = 10
MAX_IN_VALUES = 100


@dataclass(frozen=True)
class Ref:
    """A lookup or user value as criteria see it: matched by id, name or (users) email."""

    id: str
    name: str | None
    email: str | None = None

    def matches(self, value: str) -> bool:
        lowered = value.lower()
        return value == self.id or any(
            v is not None and v.lower() == lowered for v in (self.name, self.email)
        )


Record = Mapping[str, Any]
Getter = Callable[[Record, FieldDef], Any]
Predicate = Callable[[Record], bool]


# -- search criteria ---------------------------------------------------------------------------

_ORDERED = (
    "equals",
    "not_equal",
    "greater_equal",
    "greater_than",
    "less_equal",
    "less_than",
    "between",
    "in",
)
_SEARCH_OPERATORS: dict[str, frozenset[str]] = {
    "text": frozenset({"equals", "not_equal", "starts_with", "in"}),
    "email": frozenset({"equals", "not_equal", "starts_with", "in"}),
    "phone": frozenset({"equals", "not_equal", "starts_with", "in"}),
    "website": frozenset({"equals", "not_equal", "starts_with", "in"}),
    "textarea": frozenset({"equals", "not_equal", "starts_with"}),
    "picklist": frozenset({"equals", "not_equal", "in"}),
    "boolean": frozenset({"equals", "not_equal"}),
    "lookup": frozenset({"equals", "not_equal", "in"}),
    "ownerlookup": frozenset({"equals", "not_equal", "in"}),
    "userlookup": frozenset({"equals", "not_equal", "in"}),
    **{t: frozenset(_ORDERED) for t in ("integer", "bigint", "double", "currency", "date", "datetime")},
}
SEARCH_OPERATORS = frozenset().union(*_SEARCH_OPERATORS.values())


@dataclass(frozen=True)
class Condition:
    field: FieldDef
    operator: str
    values: tuple[Any, ...]


@dataclass(frozen=True)
class Group:
    """Children joined left to right by ``connectors`` (``and``/``or``), one fewer than children."""

    children: tuple[Node, ...]
    connectors: tuple[str, ...]


Node = Condition | Group


def parse_search(text: str, module: ModuleDef) -> Node:
    """Parse a search ``criteria`` string, or raise ``InvalidQuery``."""
    node = _SearchParser(text, module).parse()
    if _count(node) > MAX_CONDITIONS:
        raise _query_error("criteria", f"only {MAX_CONDITIONS} conditions are allowed in criteria")
    return node


def _count(node: Node) -> int:
    return 1 if isinstance(node, Condition) else sum(_count(child) for child in node.children)


def _query_error(api_name: str, reason: str, **extra: Any) -> InvalidQuery:
    return InvalidQuery({**extra, "reason": reason, "api_name": api_name})


#: How deep parentheses (search) or groups (view criteria) may nest. Zoho caps criteria at
#: ``MAX_CONDITIONS`` conditions, so deeper nesting is never needed; the cap keeps a hostile
#: criteria string from exhausting the parser's stack (a 400, not a ``RecursionError``).
MAX_DEPTH = 32


class _SearchParser:
    def __init__(self, text: str, module: ModuleDef) -> None:
        self.text = text.strip()
        self.module = module
        self.pos = 0
        self.depth = 0

    def parse(self) -> Node:
        if not self.text:
            raise _query_error("criteria", "criteria is empty")
        if not self.text.startswith("("):
            return self._condition(self._raw(until_paren=False))
        node = self._item()
        self._skip_spaces()
        if self.pos != len(self.text):
            raise _query_error("criteria", "unexpected text after the criteria")
        return node

    def _item(self) -> Node:
        self._expect("(")
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise _query_error("criteria", f"criteria may nest at most {MAX_DEPTH} levels deep")
        try:
            return self._item_body()
        finally:
            self.depth -= 1

    def _item_body(self) -> Node:
        self._skip_spaces()
        if self._peek() != "(":
            node = self._condition(self._raw(until_paren=True))
            self._expect(")")
            return node
        children: list[Node] = [self._item()]
        connectors: list[str] = []
        while True:
            self._skip_spaces()
            if self._peek() == ")":
                self.pos += 1
                return children[0] if len(children) == 1 else Group(tuple(children), tuple(connectors))
            connectors.append(self._connector())
            self._skip_spaces()
            children.append(self._item())

    def _connector(self) -> str:
        match = re.compile(r"(and|or)\s*(?=\()", re.IGNORECASE).match(self.text, self.pos)
        if match is None:
            raise _query_error("criteria", "expected 'and' or 'or' between conditions")
        self.pos = match.end()
        return match.group(1).lower()

    def _raw(self, *, until_paren: bool) -> list[tuple[str, bool]]:
        """The condition's characters up to an unescaped ``)``, each flagged if it was escaped."""
        chars: list[tuple[str, bool]] = []
        while self.pos < len(self.text):
            char = self.text[self.pos]
            if char == "\\" and self.pos + 1 < len(self.text):
                chars.append((self.text[self.pos + 1], True))
                self.pos += 2
                continue
            if until_paren and char == ")":
                return chars
            if char == "(":
                raise _query_error("criteria", "unescaped '(' inside a condition")
            chars.append((char, False))
            self.pos += 1
        if until_paren:
            raise _query_error("criteria", "missing ')'")
        return chars

    def _condition(self, chars: list[tuple[str, bool]]) -> Condition:
        parts = _split(chars, ":", limit=2)
        if len(parts) != 3:
            raise _query_error("criteria", "a condition must read (field:operator:value)")
        name, op = _text(parts[0]).strip(), _text(parts[1]).strip().lower()
        f = self.module.by_name.get(name)
        if f is None:
            raise _query_error(name, "the field is not available in the module")
        if op not in SEARCH_OPERATORS:
            raise _query_error(name, "the operator is not supported", operator=op)
        if op not in _SEARCH_OPERATORS[f.data_type]:
            raise _query_error(name, f"the operator is not supported for {f.data_type} fields", operator=op)
        raw_values = (
            [_text(p) for p in _split(parts[2], ",")] if op in ("in", "between") else [_text(parts[2])]
        )
        return Condition(f, op, self._values(f, op, raw_values))

    def _values(self, f: FieldDef, op: str, raw_values: list[str]) -> tuple[Any, ...]:
        if op == "between" and len(raw_values) != 2:
            raise _query_error(f.api_name, "between needs two values", value=",".join(raw_values))
        if op == "in" and len(raw_values) > MAX_IN_VALUES:
            raise InvalidQuery(
                {"api_name": f.api_name, "param_name": "criteria"},
                message='Only 100 values are allowed in "IN" criteria',
            )
        if any(value == "" for value in raw_values):
            raise _query_error(f.api_name, "the value is empty", value="")
        try:
            return tuple(typed(f, value) for value in raw_values)
        except ValueError:
            raise _query_error(
                f.api_name, "the value does not match the field's data type", expected_data_type=f.data_type
            ) from None

    def _peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def _expect(self, char: str) -> None:
        if self._peek() != char:
            raise _query_error("criteria", f"expected {char!r}")
        self.pos += 1

    def _skip_spaces(self) -> None:
        while self._peek().isspace():
            self.pos += 1


def _split(chars: list[tuple[str, bool]], sep: str, *, limit: int = -1) -> list[list[tuple[str, bool]]]:
    parts: list[list[tuple[str, bool]]] = [[]]
    for char, escaped in chars:
        if char == sep and not escaped and (limit < 0 or len(parts) <= limit):
            parts.append([])
        else:
            parts[-1].append((char, escaped))
    return parts


def _text(chars: list[tuple[str, bool]]) -> str:
    return "".join(char for char, _ in chars)


def typed(f: FieldDef, value: str) -> Any:
    """A criteria value as the field's type; ValueError when it cannot be one."""
    if f.data_type in ("integer", "bigint"):
        return int(value)
    if f.data_type in ("double", "currency"):
        return float(value)
    if f.data_type == "boolean":
        if value.lower() not in ("true", "false"):
            raise ValueError(value)
        return value.lower() == "true"
    if f.data_type == "date":
        return date.fromisoformat(value).isoformat()
    if f.data_type == "datetime":
        return parse_datetime(value)
    return value


def search_predicate(node: Node, get: Getter) -> Predicate:
    if isinstance(node, Condition):
        test = _search_test(node)
        f = node.field
        return lambda record: test(get(record, f))
    parts = [search_predicate(child, get) for child in node.children]
    return _joined(parts, node.connectors)


def _joined(parts: Sequence[Predicate], connectors: Sequence[str]) -> Predicate:
    def predicate(record: Record) -> bool:
        result = parts[0](record)
        for connector, part in zip(connectors, parts[1:], strict=True):
            result = (result and part(record)) if connector == "and" else (result or part(record))
        return result

    return predicate


def _search_test(node: Condition) -> Callable[[Any], bool]:
    f, op, values = node.field, node.operator, node.values
    negated = NEGATIONS.get(op)
    if negated is not None:
        positive = _search_test(Condition(f, negated, values))
        return lambda value: value is not None and not positive(value)
    if op == "equal":
        return _equals(f, values[0], contains=False)
    if op == "is_null":
        return lambda value: value is None
    if op in ("contains", "ends_with"):
        part = values[0].lower()
        found = str.__contains__ if op == "contains" else str.endswith
        return lambda value: isinstance(value, str) and found(value.lower(), part)
    if op == "equals":
        return _equals(f, values[0], contains=f.data_type in TEXT_TYPES)
    if op == "not_equal":
        exact = _equals(f, values[0], contains=False)
        return lambda value: not exact(value)
    if op == "in":
        tests = [_equals(f, value, contains=False) for value in values]
        return lambda value: any(test(value) for test in tests)
    if op == "starts_with":
        prefix = values[0].lower()
        return lambda value: isinstance(value, str) and value.lower().startswith(prefix)
    if op == "between":
        low, high = values
        return lambda value: value is not None and low <= value <= high
    compare = _COMPARISONS[op]
    return lambda value: value is not None and compare(value, values[0])


#: Operators only COQL uses (``=`` is an exact match there, ``like`` has three forms), with the
#: negative ones defined by their positive (a negative never matches an empty value, as in SQL).
NEGATIONS = {"not_in": "in", "not_contains": "contains", "not_between": "between", "is_not_null": "is_null"}

_COMPARISONS: dict[str, Callable[[Any, Any], bool]] = {
    "greater_than": operator.gt,
    "greater_equal": operator.ge,
    "less_than": operator.lt,
    "less_equal": operator.le,
}


def _equals(f: FieldDef, wanted: Any, *, contains: bool) -> Callable[[Any], bool]:
    if f.data_type in REFERENCE_TYPES:
        return lambda value: isinstance(value, Ref) and value.matches(wanted)
    if isinstance(wanted, str):
        lowered = wanted.lower()
        if contains:
            return lambda value: isinstance(value, str) and lowered in value.lower()
        return lambda value: isinstance(value, str) and value.lower() == lowered
    return lambda value: value is not None and value == wanted


# -- custom view criteria ----------------------------------------------------------------------

COMPARATORS = frozenset(
    {
        "equal",
        "not_equal",
        "contains",
        "not_contains",
        "starts_with",
        "ends_with",
        "greater_than",
        "greater_equal",
        "less_than",
        "less_equal",
        "between",
        "in",
    }
)
_EMPTY, _NOT_EMPTY, _CURRENT_USER, _TODAY = "${EMPTY}", "${NOTEMPTY}", "${CURRENTUSER}", "${TODAY}"
_LAST_DAYS = re.compile(r"^\$\{LAST(\d+)DAYS\}$")


@dataclass(frozen=True)
class ViewContext:
    """What relative criteria values mean: ``now``, the org's time zone and the current user."""

    now: datetime
    tz: timezone
    current_user_id: str


def validate_view_criteria(criteria: Mapping[str, Any] | None, module: ModuleDef, *, depth: int = 0) -> None:
    """Raise ``InvalidData`` unless ``criteria`` is a well-formed view criteria for ``module``."""
    if criteria is None:
        return
    if not isinstance(criteria, Mapping) or depth > MAX_DEPTH:
        raise InvalidData({"api_name": "criteria"})
    if "group" in criteria:
        group = criteria["group"]
        if str(criteria.get("group_operator", "")).upper() not in ("AND", "OR") or not isinstance(
            group, list
        ):
            raise InvalidData({"api_name": "group_operator"})
        for child in group:
            validate_view_criteria(child, module, depth=depth + 1)
        return
    field_ref = criteria.get("field")
    name = field_ref.get("api_name") if isinstance(field_ref, Mapping) else None
    f = module.by_name.get(name) if isinstance(name, str) else None
    if f is None:
        raise InvalidData({"api_name": str(name)})
    if criteria.get("comparator") not in COMPARATORS:
        raise InvalidData({"api_name": "comparator"})
    try:
        values = _view_values(f, criteria.get("value"))
    except (ValueError, TypeError):
        raise InvalidData({"api_name": f.api_name, "expected_data_type": f.data_type}) from None
    if criteria["comparator"] == "between" and len(values) != 2:
        raise InvalidData({"api_name": f.api_name})


def view_predicate(
    criteria: Mapping[str, Any] | None, module: ModuleDef, get: Getter, ctx: ViewContext
) -> Predicate:
    """Compile validated view criteria; ``None`` (a view of every record) matches everything."""
    if criteria is None:
        return lambda record: True
    if "group" in criteria:
        parts = [view_predicate(child, module, get, ctx) for child in criteria["group"]]
        connector = "and" if str(criteria["group_operator"]).upper() == "AND" else "or"
        return _joined(parts, [connector] * (len(parts) - 1))
    f = module.by_name[criteria["field"]["api_name"]]
    test = _view_test(f, criteria["comparator"], criteria.get("value"), ctx)
    return lambda record: test(get(record, f))


def _view_test(f: FieldDef, comparator: str, raw: Any, ctx: ViewContext) -> Callable[[Any], bool]:
    if raw in (_EMPTY, _NOT_EMPTY):
        wants_empty = (raw == _EMPTY) == (comparator == "equal")
        return lambda value: (value is None or value == "") == wants_empty
    test = _view_positive(f, comparator.removeprefix("not_"), _view_values(f, raw, ctx), ctx)
    if comparator.startswith("not_"):
        return lambda value: not test(value)
    return test


def _view_positive(
    f: FieldDef, comparator: str, values: list[Any], ctx: ViewContext
) -> Callable[[Any], bool]:
    if comparator in ("equal", "in"):
        tests = [_view_equal(f, value, ctx) for value in values]
        return lambda value: any(test(value) for test in tests)
    if comparator in ("contains", "starts_with", "ends_with"):
        needle = str(values[0]).lower()
        method = {"contains": str.__contains__, "starts_with": str.startswith, "ends_with": str.endswith}[
            comparator
        ]
        return lambda value: (text := _as_text(value)) is not None and method(text.lower(), needle)
    if comparator == "between":
        low, high = (_comparable(value) for value in values)
        return lambda value: (v := _point(f, value, ctx, low)) is not None and low <= v <= high
    bound = _comparable(values[0])
    compare = {
        "greater": operator.gt,
        "greater_equal": operator.ge,
        "less": operator.lt,
        "less_equal": operator.le,
    }[comparator.replace("_than", "")]
    return lambda value: (v := _point(f, value, ctx, bound)) is not None and compare(v, bound)


def _view_equal(f: FieldDef, wanted: Any, ctx: ViewContext) -> Callable[[Any], bool]:
    if isinstance(wanted, _Since):
        return lambda value: isinstance(value, datetime) and value >= wanted.start
    if f.data_type in REFERENCE_TYPES:
        return lambda value: isinstance(value, Ref) and value.matches(str(wanted))
    if f.data_type == "datetime" and isinstance(wanted, str):
        return lambda value: (
            isinstance(value, datetime) and value.astimezone(ctx.tz).date().isoformat() == wanted
        )
    if isinstance(wanted, str):
        lowered = wanted.lower()
        return lambda value: isinstance(value, str) and value.lower() == lowered
    return lambda value: value is not None and value == wanted


@dataclass(frozen=True)
class _Since:
    """``${LASTnDAYS}``: from the start of the day n-1 days ago until now."""

    start: datetime


def _view_values(f: FieldDef, raw: Any, ctx: ViewContext | None = None) -> list[Any]:
    items = raw if isinstance(raw, list) else [raw]
    return [_view_value(f, item, ctx) for item in items]


def _view_value(f: FieldDef, item: Any, ctx: ViewContext | None) -> Any:
    if item == _CURRENT_USER:
        return ctx.current_user_id if ctx else item
    if item == _TODAY:
        return ctx.now.astimezone(ctx.tz).date().isoformat() if ctx else item
    if isinstance(item, str) and (match := _LAST_DAYS.match(item)):
        if ctx is None:
            return item
        today = datetime.combine(ctx.now.astimezone(ctx.tz).date(), datetime.min.time(), ctx.tz)
        return _Since(today - timedelta(days=int(match.group(1)) - 1))
    if f.data_type == "boolean":
        if isinstance(item, bool):
            return item
        if str(item).lower() not in ("true", "false"):
            raise ValueError(item)
        return str(item).lower() == "true"
    if f.data_type in NUMBER_TYPES:
        if isinstance(item, bool) or not isinstance(item, (int, float, str)):
            raise ValueError(item)
        return typed(f, str(item)) if isinstance(item, str) else item
    if f.data_type == "date":
        return date.fromisoformat(str(item)).isoformat()
    if f.data_type == "datetime":
        return _datetime_value(str(item))
    if not isinstance(item, (str, int)):
        raise TypeError(item)
    return str(item)


def _datetime_value(text: str) -> str | datetime:
    """A date (``2024-05-07``, compared by day in the org's zone) or a full datetime."""
    if len(text) == 10:
        return date.fromisoformat(text).isoformat()
    return parse_datetime(text)


def _comparable(value: Any) -> Any:
    return value.start if isinstance(value, _Since) else value


def _point(f: FieldDef, value: Any, ctx: ViewContext, bound: Any) -> Any:
    """A stored value in the same terms as ``bound`` (a datetime seen as a day for date bounds)."""
    if value is None:
        return None
    if f.data_type == "datetime" and isinstance(bound, str):
        return value.astimezone(ctx.tz).date().isoformat()
    return value


def _as_text(value: Any) -> str | None:
    if isinstance(value, Ref):
        return value.name
    return value if isinstance(value, str) else None
