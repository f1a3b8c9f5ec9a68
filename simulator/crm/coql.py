"""COQL, Zoho CRM's SQL-like query language: a tokenizer and a recursive-descent parser.

The grammar served (Zoho's COQL overview and limitations pages, v8)::

    query     := SELECT column {"," column} FROM module [WHERE criteria]
                 [ORDER BY column [ASC|DESC] {"," ...}] [LIMIT n [OFFSET m | "," n]] [OFFSET m]
    criteria  := term [(AND|OR) term]          -- more than two need brackets: ((A and B) and C)
    term      := "(" criteria ")" | condition
    condition := column (= | != | <> | < | <= | > | >=) value
               | column [NOT] IN "(" value {"," value} ")" | column [NOT] LIKE 'pattern'
               | column IS [NOT] NULL | column [NOT] BETWEEN value AND value

Keywords are case-insensitive; a column is an API name, ``lookup.field`` one level deep, or a
quoted name (``'External'``, for reserved words).  Strings are single- or double-quoted with the
quote doubled inside.  ``LIMIT offset, count`` is MySQL's form, which Zoho accepts too.

This module only reads the text: names are resolved against a module by ``coql_run``.  Nesting
is bounded (``MAX_DEPTH``) so that a query of ten thousand ``(`` is a SYNTAX_ERROR, not a
RecursionError.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from simulator.crm.errors import CoqlSyntaxError

MAX_DEPTH = 32
KEYWORDS = frozenset(
    {"select", "from", "where", "order", "by", "asc", "desc", "limit", "offset", "and", "or", "not",
     "in", "like", "is", "null", "between", "true", "false"}
)  # fmt: skip
_TOKEN = re.compile(
    r"""\s*(?:
      (?P<string>'(?:[^']|'')*'|"(?:[^"]|"")*")
    | (?P<number>-?\d+(?:\.\d+)?(?![\w.]))
    | (?P<word>[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)?)
    | (?P<op><=|>=|!=|<>|=|<|>)
    | (?P<punct>[(),])
    )""",
    re.VERBOSE,
)
COMPARISONS = {"=": "equal", "!=": "not_equal", "<>": "not_equal", "<": "less_than", "<=": "less_equal",
               ">": "greater_than", ">=": "greater_equal"}  # fmt: skip


@dataclass(frozen=True)
class Token:
    kind: str  # string, number, word, op, punct, end
    text: str
    column: int

    @property
    def keyword(self) -> str | None:
        lowered = self.text.lower()
        return lowered if self.kind == "word" and lowered in KEYWORDS else None

    @property
    def value(self) -> str:
        """A string's content (quotes removed, doubled quotes undone), else the text."""
        if self.kind != "string":
            return self.text
        quote = self.text[0]
        return self.text[1:-1].replace(quote * 2, quote)


@dataclass(frozen=True)
class Literal:
    kind: str  # string, number, boolean
    text: str


@dataclass(frozen=True)
class Comparison:
    column: str
    operator: str  # criteria's operator names: equal, not_equal, in, not_in, like, not_like, ...
    values: tuple[Literal, ...]
    position: int


@dataclass(frozen=True)
class Junction:
    connector: str  # and, or
    left: Criteria
    right: Criteria


Criteria = Comparison | Junction


@dataclass(frozen=True)
class Ordering:
    column: str
    descending: bool


@dataclass(frozen=True)
class Query:
    columns: tuple[str, ...]
    module: str
    where: Criteria | None
    order_by: tuple[Ordering, ...]
    limit: int | None
    offset: int


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    position = 0
    while True:
        match = _TOKEN.match(text, position)
        if match is None or match.lastgroup is None:
            rest = text[position:].lstrip()
            if not rest:
                tokens.append(Token("end", "", len(text) + 1))
                return tokens
            column = len(text) - len(rest) + 1
            raise CoqlSyntaxError(column=column, near=rest.split()[0][:40])
        tokens.append(Token(match.lastgroup, match.group(match.lastgroup), match.start(match.lastgroup) + 1))
        position = match.end()


def parse(text: str) -> Query:
    """Parse a ``select_query``; raises CoqlSyntaxError naming where it stopped making sense."""
    return _Parser(tokenize(text)).query()


class _Parser:
    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.pos = 0

    @property
    def token(self) -> Token:
        return self.tokens[self.pos]

    def fail(self) -> CoqlSyntaxError:
        token = self.token
        return CoqlSyntaxError(column=token.column, near=token.text[:40] or "<end>")

    def take(self) -> Token:
        token = self.token
        if token.kind != "end":
            self.pos += 1
        return token

    def accept(self, *words: str) -> bool:
        if self.token.keyword in words or (self.token.kind in ("punct", "op") and self.token.text in words):
            self.pos += 1
            return True
        return False

    def expect(self, *words: str) -> None:
        if not self.accept(*words):
            raise self.fail()

    # -- clauses ---------------------------------------------------------------------------------

    def query(self) -> Query:
        self.expect("select")
        columns = [self.column()]
        while self.accept(","):
            columns.append(self.column())
        self.expect("from")
        module = self.name()
        where = self.criteria(depth=0) if self.accept("where") else None
        order_by: list[Ordering] = []
        if self.accept("order"):
            self.expect("by")
            order_by.append(self.ordering())
            while self.accept(","):
                order_by.append(self.ordering())
        limit, offset = self.paging()
        if self.token.kind != "end":
            raise self.fail()
        return Query(tuple(columns), module, where, tuple(order_by), limit, offset)

    def paging(self) -> tuple[int | None, int]:
        limit, offset = None, 0
        if self.accept("limit"):
            limit = self.count()
            if self.accept(","):
                offset, limit = limit, self.count()
            elif self.accept("offset"):
                offset = self.count()
        elif self.accept("offset"):
            offset = self.count()
        return limit, offset

    def count(self) -> int:
        token = self.token
        if token.kind != "number" or not token.text.isdigit():
            raise self.fail()
        self.pos += 1
        return int(token.text)

    def ordering(self) -> Ordering:
        column = self.column()
        descending = self.token.keyword == "desc"
        self.accept("asc", "desc")
        return Ordering(column, descending)

    def name(self) -> str:
        token = self.token
        if token.kind != "word" or token.keyword is not None:
            raise self.fail()
        self.pos += 1
        return token.text

    def column(self) -> str:
        """An API name, or a quoted one (how a reserved word is given as a column)."""
        if self.token.kind == "string" and self.token.value.strip():
            return self.take().value.strip()
        return self.name()

    # -- criteria --------------------------------------------------------------------------------

    def criteria(self, *, depth: int) -> Criteria:
        if depth > MAX_DEPTH:
            raise self.fail()
        left = self.term(depth=depth)
        connector = self.token.keyword
        if connector not in ("and", "or"):
            return left
        self.pos += 1
        right = self.term(depth=depth)
        if self.token.keyword in ("and", "or"):
            raise self.fail()  # Zoho wants brackets around each pair beyond two criteria
        return Junction(connector, left, right)

    def term(self, *, depth: int) -> Criteria:
        if self.accept("("):
            inner = self.criteria(depth=depth + 1)
            self.expect(")")
            return inner
        return self.condition()

    def condition(self) -> Comparison:
        position = self.token.column
        column = self.column()
        token = self.token
        if token.kind == "op":
            self.pos += 1
            return Comparison(column, COMPARISONS[token.text], (self.literal(),), position)
        if self.accept("is"):
            negated = self.accept("not")
            self.expect("null")
            return Comparison(column, "is_not_null" if negated else "is_null", (), position)
        negated = self.accept("not")
        prefix = "not_" if negated else ""
        if self.accept("in"):
            self.expect("(")
            values = [self.literal()]
            while self.accept(","):
                values.append(self.literal())
            self.expect(")")
            return Comparison(column, f"{prefix}in", tuple(values), position)
        if self.accept("like"):
            return Comparison(column, f"{prefix}like", (self.literal(),), position)
        if self.accept("between"):
            low = self.literal()
            self.expect("and")
            return Comparison(column, f"{prefix}between", (low, self.literal()), position)
        raise self.fail()

    def literal(self) -> Literal:
        token = self.token
        if token.kind in ("string", "number"):
            self.pos += 1
            return Literal(token.kind, token.value)
        if token.keyword in ("true", "false"):
            self.pos += 1
            return Literal("boolean", token.keyword)
        raise self.fail()
