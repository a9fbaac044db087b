"""`$filter` (and worklogsFilter / workItemsFilter / lambda bodies): odata-query's lexer, parser
and AST, with our own compiler to SQLAlchemy that resolves every name through the EDM.

What this fixes in stock odata-query 0.10 (architecture.md section 3), each covered by a test in
tests/api/reporting/test_reporting_filter_defects.py:
- identifiers starting with ``all``/``any``/``null``/``true``/``false`` lex (``AllWorklogs``);
- ``in`` with one element: ``('a')`` as well as ``('a',)``;
- enum literals ``Ns.BudgetAssignmentType'NoBudget'``, the ``has`` operator, ``cast``,
  ``indexof`` (``instr``), ``concat`` (``||``), ``divby``;
- self-referential navigation (``Parent/System_State``) via table aliases per path;
- navigation inside ``any``/``all`` stays inside the EXISTS subquery; a collection path without
  a lambda is rejected;
- ``contains``/``startswith``/``endswith`` escape ``%`` and ``_`` (LIKE ... ESCAPE);
- datetime literals keep their offset; date-only literals mean midnight UTC; ``date()`` works;
  durations add to datetimes correctly;
- a parser per call (sly parsers keep state), a length cap and RecursionError -> 400, the
  ``odata_query`` logger silenced.

String comparisons and string functions are case-insensitive (SQLite NOCASE, i.e. ASCII case
folding), as on the SQL Server behind the real service (default CI collation). Null semantics
follow OData: ``eq``/``ne`` are null-safe, ordering comparisons with null are false, and ``not``
treats an unknown operand as false.
"""

from __future__ import annotations

import functools
import logging
import math
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from odata_query import ast
from odata_query import exceptions as oq_exc
from odata_query.grammar import ODataLexer, ODataParser
from sly.lex import Token
from sqlalchemy import (
    REAL,
    ColumnElement,
    Float,
    Integer,
    String,
    and_,
    case,
    cast,
    exists,
    false,
    func,
    literal,
    not_,
    null,
    or_,
    select,
    true,
    type_coerce,
)

from mockpace.common.errors import ODataError
from mockpace.common.limits import (
    INT32_MAX,
    INT32_MIN,
    INT64_MAX,
    INT64_MIN,
    MAX_NUMBER_CHARS,
    NumberError,
    echo,
    parse_int,
)
from mockpace.common.timefmt import TimeFormatError, parse_datetime
from mockpace.reporting import edm
from mockpace.reporting.edm import ENUM_BUDGET, Complex, Nav, Prop, Ref, Scope, StructuredType
from mockpace.store import db_datetime

logging.getLogger("odata_query").setLevel(logging.ERROR)

MAX_FILTER_LENGTH = 8000
# Levels of the parsed expression (README "Limits"); SQLite's parser stack overflows near 27
# nested 'not' or 9 nested any(), so an any/all lambda counts as LAMBDA_WEIGHT levels.
MAX_NESTING = 20
LAMBDA_WEIGHT = 3
MAX_DURATION_SECONDS = 10_000 * 366 * 86_400  # longer than any span of Edm.DateTimeOffset
PARSED_CACHE_SIZE = 256  # parsed filter texts kept (each at most MAX_FILTER_LENGTH long)
NUMERIC = ("Edm.Int32", "Edm.Int64", "Edm.Double", "Edm.Decimal")
INTEGRAL = ("Edm.Int32", "Edm.Int64")
NOCASE = "NOCASE"


class Has(ast.Eq):
    """``has``: for the non-flags BudgetAssignmentType it means equality."""


class DivBy(ast.Div):
    """``divby`` (OData 4.01): always true division."""


class EnumLiteral(ast.String):
    """``Ns.EnumType'Member'``; ``type_name`` is the qualified type."""

    def __init__(self, val: str, type_name: str) -> None:
        super().__init__(val)
        object.__setattr__(self, "type_name", type_name)


class FixedLexer(ODataLexer):
    """odata-query's lexer with word boundaries and the literals it lacks (see module doc)."""

    tokens = ODataLexer.tokens
    literals = ODataLexer.literals
    reflags = ODataLexer.reflags

    @_(r"'(?:[^']|'')*'")  # type: ignore[name-defined]  # noqa: F821
    def STRING(self, t: Token) -> Token:
        t.value = ast.String(t.value[1:-1].replace("''", "'"))
        return t

    @_(r"(?:true|false)(?![\w.'])")  # type: ignore[name-defined]  # noqa: F821
    def BOOLEAN(self, t: Token) -> Token:
        t.value = ast.Boolean(t.value)
        return t

    @_(r"null(?![\w.'])")  # type: ignore[name-defined]  # noqa: F821
    def NULL(self, t: Token) -> Token:
        t.value = ast.Null()
        return t

    @_(r"\s+(?:divby|div)\s+")  # type: ignore[name-defined]  # noqa: F821
    def DIV(self, t: Token) -> Token:
        t.value = DivBy() if "divby" in t.value.lower() else ast.Div()
        return t

    @_(r"\s+(?:eq|has)\s+")  # type: ignore[name-defined]  # noqa: F821
    def EQ(self, t: Token) -> Token:
        t.value = Has() if "has" in t.value.lower() else ast.Eq()
        return t

    @_(r"\s+in(?:\s+|(?=\())")  # type: ignore[name-defined]  # noqa: F821
    def IN(self, t: Token) -> Token:
        t.value = ast.In()
        return t

    @_(r"not(?:\s+|(?=\())")  # type: ignore[name-defined]  # noqa: F821
    def NOT(self, t: Token) -> Token:
        t.value = ast.Not()
        return t

    @_(r"any(?=\s*\()")  # type: ignore[name-defined]  # noqa: F821
    def ANY(self, t: Token) -> Token:
        t.value = ast.Any()
        return t

    @_(r"all(?=\s*\()")  # type: ignore[name-defined]  # noqa: F821
    def ALL(self, t: Token) -> Token:
        t.value = ast.All()
        return t

    @_(r"[_a-z](?:\.?\w){0,127}(?:'(?:[^']|'')*')?")  # type: ignore[name-defined]  # noqa: F821
    def ODATA_IDENTIFIER(self, t: Token) -> Token:
        text = t.value
        if text.endswith("'"):
            name, _, rest = text.partition("'")
            t.type = "STRING"
            t.value = EnumLiteral(rest[:-1].replace("''", "'"), name)
            return t
        *ns, identifier = text.split(".")
        t.value = ast.Identifier(identifier, tuple(ns))
        return t


def _function_call(func_id: ast.Identifier, args: list[Any]) -> ast.Call:
    return ast.Call(func_id, args)  # names and arity are checked by the compiler


def _synthetic(kind: str, index: int) -> Token:
    tok = Token()
    tok.type = kind
    tok.value = kind
    tok.lineno = 1
    tok.index = index
    return tok


def _one_element_in(tokens: Iterator[Token]) -> Iterator[Token]:
    """Rewrite ``x in ('a')`` to odata-query's ``x in ('a',)``."""
    items = list(tokens)
    out: list[Token] = []
    i = 0
    while i < len(items):
        tok = items[i]
        out.append(tok)
        if tok.type == "IN":
            j = i + 1
            while j < len(items) and items[j].type == "WS":
                j += 1
            if j < len(items) and items[j].type == "(":
                depth, comma, k = 0, False, j
                while k < len(items):
                    kind = items[k].type
                    if kind == "(":
                        depth += 1
                    elif kind == ")":
                        depth -= 1
                        if depth == 0:
                            break
                    elif kind == "," and depth == 1:
                        comma = True
                    k += 1
                if k < len(items) and not comma and k > j + 1:
                    out.extend(items[i + 1:k])
                    out.append(_synthetic(",", items[k].index))
                    i = k
                    continue
        i += 1
    return iter(out)


@functools.lru_cache(maxsize=PARSED_CACHE_SIZE)
def parse(text: str, option: str, offset: int = 0) -> Any:
    """The AST of a filter expression, or a 400 naming the option, position and problem.
    ``offset``: where ``text`` starts inside the option's value (`$apply=filter(...)`), so
    positions count from the start of the option. Memoized (the trees are immutable, errors
    are not kept): a page whose statement is cached would otherwise still parse its
    ``worklogsFilter``/``workItemsFilter`` on every request (~0.1 ms with sly)."""
    if len(text) > MAX_FILTER_LENGTH:
        raise ODataError(f"The {option} expression is too long ({len(text)} characters; the "
                         f"limit is {MAX_FILTER_LENGTH}).", target=option)
    if not text.strip():
        raise ODataError(f"The {option} expression is empty.", target=option)
    lexer, parser = FixedLexer(), ODataParser()  # per call: sly parsers are not thread-safe
    parser._function_call = _function_call  # type: ignore[method-assign,assignment]
    try:
        tree = parser.parse(_one_element_in(lexer.tokenize(text)))
        if nesting(tree) > MAX_NESTING:
            raise ODataError(f"The {option} expression is nested too deeply (more than "
                             f"{MAX_NESTING} levels of parentheses, not, functions or any/all).",
                             target=option)
        return tree
    except oq_exc.TokenizingException as exc:
        pos = getattr(exc.token, "index", 0)
        raise ODataError(f"Syntax error in {option} at position {offset + pos}: unexpected "
                         f"character '{text[pos:pos + 1]}' in '{_excerpt(text, pos)}'.",
                         target=option) from None
    except oq_exc.ParsingException as exc:
        if exc.eof or exc.token is None:
            raise ODataError(f"Syntax error in {option} at position {offset + len(text)}: the "
                             "expression ends too early.", target=option) from None
        pos = exc.token.index
        shown = str(getattr(exc.token, "value", "")).strip()
        what = f"'{shown}'" if shown else "a space or the end of the expression"
        raise ODataError(f"Syntax error in {option} at position {offset + pos}: unexpected {what} "
                         f"in '{_excerpt(text, pos)}'.", target=option) from None
    except RecursionError:
        raise ODataError(f"The {option} expression is nested too deeply or has too many terms.",
                         target=option) from None
    except oq_exc.ODataException as exc:
        raise ODataError(f"Invalid {option}: {exc}.", target=option) from None


def _children(node: Any) -> Iterator[Any]:
    for name in getattr(node, "__dataclass_fields__", ()):
        value = getattr(node, name)
        if isinstance(value, ast._Node):
            yield value
        elif isinstance(value, list | tuple):
            yield from (v for v in value if isinstance(v, ast._Node))


def _flat(parent: Any, child: Any) -> bool:
    """A chain of one operator (``a and b and c``, ``x add y add z``) is one level: the SQL
    writes it without nesting."""
    return isinstance(parent, ast.BoolOp | ast.BinOp) and type(child) is type(parent) and \
        type(child.op) is type(parent.op)


def _weight(node: Any) -> int:
    """any/all compile to an EXISTS subquery, which nests the SQL several levels."""
    return LAMBDA_WEIGHT if isinstance(node, ast.CollectionLambda) else 1


def nesting(tree: Any) -> int:
    """How deeply ``tree`` nests, counted without recursion (the tree may be deep)."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        if depth > MAX_NESTING:
            break
        stack.extend((child, depth if _flat(node, child) else depth + _weight(child))
                     for child in _children(node))
    return deepest


def _excerpt(text: str, pos: int) -> str:
    return text[max(0, pos - 20): pos + 20]


# ---------------------------------------------------------------------------------------------
# Typed values
# ---------------------------------------------------------------------------------------------
@dataclass
class V:
    """A compiled operand: SQL, EDM type, nullability; ``lit`` for literals (Python value)."""

    sql: Any
    edm: str
    nullable: bool = True
    lit: Any = None
    is_lit: bool = False
    present: Any = None  # complex/navigation: SQL true when not null

    @property
    def is_null(self) -> bool:
        return self.is_lit and self.edm == "null"


def _family(edm_type: str) -> str:
    if edm_type in NUMERIC:
        return "number"
    if edm_type in ("Edm.DateTimeOffset",):
        return "datetime"
    if edm_type.startswith("TimetrackerOnline"):
        return "enum"
    return edm_type


@dataclass
class Compiler:
    """Compiles one AST against an entity type at ``ref``.

    ``option`` names the query option in messages; ``calculated_ok`` allows Tracked* (only with
    worklogsFilter); ``custom_ok`` allows the CustomXField slots (not in 7pace's own filters).
    """

    type: StructuredType
    ref: Ref
    version: str
    option: str
    text: str = ""
    calculated_ok: bool = True
    custom_ok: bool = True
    now: datetime | None = None
    lambdas: dict[str, tuple[StructuredType, Ref]] | None = None
    offset: int = 0  # where ``text`` starts in the option's value ($apply's filter/compute)

    def fail(self, message: str, near: str | None = None) -> ODataError:
        where = ""
        if near:
            match = re.search(re.escape(near), self.text, re.I)
            if match:
                where = f" at position {self.offset + match.start()}"
        return ODataError(f"Invalid {self.option}{where}: {message}", target=self.option)

    # -- entry points -------------------------------------------------------------------------
    def condition(self, node: Any) -> ColumnElement[bool]:
        try:
            value = self.value(node)
        except RecursionError:
            raise ODataError(f"The {self.option} expression is nested too deeply.",
                             target=self.option) from None
        if value.edm != "Edm.Boolean":
            raise self.fail(f"the expression is of type {value.edm}, not a boolean condition.")
        if value.is_lit:
            return true() if value.lit else false()
        return value.sql

    # -- dispatch -----------------------------------------------------------------------------
    def value(self, node: Any) -> V:
        if isinstance(node, ast.Compare):
            return self.compare(node)
        if isinstance(node, ast.BoolOp):
            left, right = self.boolean(node.left), self.boolean(node.right)
            op = and_ if isinstance(node.op, ast.And) else or_
            return V(op(left, right), "Edm.Boolean", False)
        if isinstance(node, ast.UnaryOp):
            if isinstance(node.op, ast.Not):
                inner = self.boolean(node.operand)
                return V(not_(func.coalesce(inner, false())), "Edm.Boolean", False)
            operand = self.value(node.operand)
            if _family(operand.edm) != "number":
                raise self.fail(f"'-' needs a number, not {operand.edm}.")
            if operand.is_lit:
                return V(literal(-operand.lit), operand.edm, False, -operand.lit, True)
            return V(-operand.sql, operand.edm, operand.nullable)
        if isinstance(node, ast.BinOp):
            return self.arithmetic(node)
        if isinstance(node, ast.Call):
            return self.call(node)
        if isinstance(node, ast.Identifier | ast.Attribute):
            return self.path(node)
        if isinstance(node, ast.CollectionLambda):
            return self.lambda_(node)
        if isinstance(node, ast.List):
            raise self.fail("a list is only allowed after 'in'.")
        return self.literal(node)

    def boolean(self, node: Any) -> Any:
        value = self.value(node)
        if value.edm != "Edm.Boolean":
            raise self.fail(f"'and', 'or' and 'not' need conditions, not {value.edm}.")
        if value.is_lit:
            return true() if value.lit else false()
        if value.nullable:
            return func.coalesce(value.sql, false()) == true()
        return value.sql

    # -- literals -----------------------------------------------------------------------------
    def literal(self, node: Any) -> V:
        if isinstance(node, ast.Null):
            return V(null(), "null", True, None, True)
        if isinstance(node, EnumLiteral):
            type_name = node.type_name  # type: ignore[attr-defined]
            short = type_name.split(".")[-1]
            if short not in edm.ENUM_TYPES:
                raise self.fail(f"unknown enum type '{type_name}'.", type_name)
            return V(literal(node.val), f"{edm.NS_ENUMS}.{short}", False, node.val, True)
        if isinstance(node, ast.String):
            return V(literal(node.val, String), "Edm.String", False, node.val, True)
        if isinstance(node, ast.Integer):
            try:
                number = parse_int(node.val)
            except NumberError:
                raise self.fail(f"the number {echo(node.val)} is out of range (Edm.Int64: "
                                f"{INT64_MIN} to {INT64_MAX}).", node.val[:20]) from None
            edm_type = "Edm.Int32" if INT32_MIN <= number <= INT32_MAX else "Edm.Int64"
            return V(literal(number, Integer), edm_type, False, number, True)
        if isinstance(node, ast.Float):
            real = float(node.val) if len(node.val) <= MAX_NUMBER_CHARS else float("inf")
            if not math.isfinite(real):
                raise self.fail(f"the number {echo(node.val)} is out of range (Edm.Double).",
                                node.val[:20])
            return V(literal(real, Float), "Edm.Double", False, real, True)
        if isinstance(node, ast.Boolean):
            flag = node.val.lower() == "true"
            return V(true() if flag else false(), "Edm.Boolean", False, flag, True)
        if isinstance(node, ast.GUID):
            return V(literal(node.val.lower(), String), "Edm.Guid", False, node.val.lower(), True)
        if isinstance(node, ast.DateTime):
            try:
                moment = parse_datetime(node.val)
            except TimeFormatError as exc:
                raise self.fail(str(exc), node.val) from None
            text = db_datetime(moment)
            return V(literal(text, String), "Edm.DateTimeOffset", False, moment, True)
        if isinstance(node, ast.Date):
            try:
                date.fromisoformat(node.val)
            except ValueError as exc:
                raise self.fail(f"'{node.val}' is not a valid date: {exc}.", node.val) from None
            return V(literal(node.val, String), "Edm.Date", False, node.val, True)
        if isinstance(node, ast.Duration):
            seconds = _duration_seconds(node.val)
            if seconds is not None and abs(seconds) > MAX_DURATION_SECONDS:
                raise self.fail(f"duration'{echo(node.val)}' is out of range (at most "
                                f"{MAX_DURATION_SECONDS // 86400} days).", node.val[:20])
            if seconds is None:
                raise self.fail(f"duration'{node.val}' uses years or months, which have no fixed "
                                "length.", node.val)
            return V(literal(seconds), "Edm.Duration", False, seconds, True)
        raise self.fail(f"literal '{getattr(node, 'val', node)}' of type "
                        f"{type(node).__name__} is not supported.")

    # -- paths --------------------------------------------------------------------------------
    def segments(self, node: Any) -> list[str]:
        if isinstance(node, ast.Identifier):
            return [*node.namespace, node.name] if node.namespace else [node.name]
        if isinstance(node, ast.Attribute):
            return [*self.segments(node.owner), node.attr]
        raise self.fail("expected a property path.")

    def resolve(self, names: list[str]) -> tuple[Any, Ref, StructuredType]:
        """(member, ref of its owner, owner type) for a path; lambda variables first."""
        current_type, ref = self.type, self.ref
        if self.lambdas and names[0] in self.lambdas:
            current_type, ref = self.lambdas[names[0]]
            names = names[1:]
            if not names:
                return None, ref, current_type
        elif names[0] == "$it":
            names = names[1:]
        member: Any = None
        for i, name in enumerate(names):
            if member is not None:
                if isinstance(member, Prop):
                    raise self.fail(f"'{member.name}' is a primitive property; it has no "
                                    f"member '{name}'.", name)
                if isinstance(member, Nav) and member.collection:
                    raise self.fail(f"'{member.name}' is a collection: use "
                                    f"{member.name}/any(x: ...) or all(...).", member.name)
                ref, current_type = self._descend(member, ref)
            found = current_type.resolve(name, self.version, self.option)
            if found is None:
                raise self.fail(f"unknown property '{name}' on {current_type.name} "
                                f"(API {self.version}).", name)
            member = found
            del i
        return member, ref, current_type

    def _descend(self, member: Any, ref: Ref) -> tuple[Ref, StructuredType]:
        if isinstance(member, Complex):
            return member.ref(ref), member.type
        assert isinstance(member, Nav) and member.ref is not None
        return member.ref(ref), edm.TYPES[member.target]

    def path(self, node: Any) -> V:
        names = self.segments(node)
        member, ref, _ = self.resolve(names)
        if member is None:
            raise self.fail(f"the lambda variable '{names[0]}' needs a property path.", names[0])
        if isinstance(member, Prop):
            self._check_allowed(member)
            return V(member.expr(ref), member.edm, member.nullable)
        if isinstance(member, Nav) and member.collection:
            raise self.fail(f"'{member.name}' is a collection: use {member.name}/any(x: ...) "
                            "or all(...).", member.name)
        child, _ = self._descend(member, ref)
        present = member.present(child) if member.present is not None else true()
        return V(None, "object", True, present=present)

    def _check_allowed(self, member: Prop) -> None:
        if member.calculated and not self.calculated_ok:
            raise self.fail(f"filtering on the calculated field '{member.name}' needs "
                            "worklogsFilter to bound the worklogs (add e.g. worklogsFilter="
                            "Timestamp ge 2026-01-01).", member.name)
        if member.custom and not self.custom_ok:
            raise self.fail(f"'{member.name}' (a customFields slot) can only be used in $filter, "
                            "not in worklogsFilter or workItemsFilter.", member.name)

    # -- lambdas ------------------------------------------------------------------------------
    def lambda_(self, node: ast.CollectionLambda) -> V:
        names = self.segments(node.owner)
        member, ref, _ = self.resolve(names)
        if not (isinstance(member, Nav) and member.collection):
            raise self.fail(f"'{names[-1]}' is not a collection; any/all need a collection "
                            "navigation property.", names[-1])
        if member.owner is None:
            raise self.fail(f"any/all over '{member.name}' is not supported; use the "
                            f"{member.name} navigation path instead.", member.name)
        target = edm.TYPES[member.target]
        sub = Scope(target.table.alias(), ref.scope.params)
        child = sub.root()
        conditions = [member.owner(child) == ref.c[_key_column(self.type_of(ref))]]
        if target.base_where is not None:
            conditions += target.base_where(child)
        if node.lambda_ is not None:
            var = node.lambda_.identifier.name
            inner = Compiler(target, child, self.version, self.option, self.text,
                             self.calculated_ok, self.custom_ok, self.now,
                             {**(self.lambdas or {}), var: (target, child)}, self.offset)
            body = inner.boolean(node.lambda_.expression)
            if isinstance(node.operator, ast.All):
                conditions.append(not_(func.coalesce(body, false())))
            else:
                conditions.append(body)
        query = select(literal(1)).select_from(sub.from_clause()).where(*conditions)
        found: Any = exists(query)
        if isinstance(node.operator, ast.All):
            found = not_(found)
        return V(found, "Edm.Boolean", False)

    def type_of(self, ref: Ref) -> StructuredType:
        if self.lambdas:
            for t, r in self.lambdas.values():
                if r is ref:
                    return t
        return self.type

    # -- comparisons --------------------------------------------------------------------------
    def compare(self, node: ast.Compare) -> V:
        left = self.value(node.left)
        op = node.comparator
        if isinstance(op, ast.In):
            return self.in_(left, node.right)
        right = self.value(node.right)
        if left.edm == "object" or right.edm == "object":
            obj, other = (left, right) if left.edm == "object" else (right, left)
            if not other.is_null or not isinstance(op, ast.Eq | ast.NotEq):
                raise self.fail("a complex or navigation property can only be compared with "
                                "null (eq null / ne null).")
            test = obj.present if isinstance(op, ast.NotEq) else not_(obj.present)
            return V(test, "Edm.Boolean", False)
        if left.is_null or right.is_null:
            other = right if left.is_null else left
            if isinstance(op, ast.Eq):
                return V(true() if other.is_null else other.sql.is_(None), "Edm.Boolean", False)
            if isinstance(op, ast.NotEq):
                return V(false() if other.is_null else other.sql.is_not(None), "Edm.Boolean",
                         False)
            return V(false(), "Edm.Boolean", False)  # ordering against null is false
        left, right = self.unify(left, right, op)
        a, b = left.sql, right.sql
        if left.edm == "Edm.String":
            a, b = a.collate(NOCASE), b
        nullable = left.nullable or right.nullable
        if isinstance(op, ast.Eq):
            sql = a.is_(b) if left.nullable and right.nullable else a == b
        elif isinstance(op, ast.NotEq):
            sql = a.is_not(b) if nullable else a != b
        elif isinstance(op, ast.Lt):
            sql = a < b
        elif isinstance(op, ast.LtE):
            sql = a <= b
        elif isinstance(op, ast.Gt):
            sql = a > b
        elif isinstance(op, ast.GtE):
            sql = a >= b
        else:
            raise self.fail(f"unsupported comparison {type(op).__name__}.")
        return V(sql, "Edm.Boolean", nullable and not isinstance(op, ast.Eq | ast.NotEq))

    def unify(self, left: V, right: V, op: Any) -> tuple[V, V]:
        """Check and coerce operand types; a literal takes the type of the other side."""
        if left.is_lit and not right.is_lit:
            right_, left_ = self.unify(right, left, op)
            return left_, right_
        le, re_ = left.edm, right.edm
        if right.is_lit:
            right = self.coerce(right, le)
            re_ = right.edm
        if _family(le) != _family(re_):
            raise self.fail(f"cannot compare {le} with {re_}.")
        if le.startswith("TimetrackerOnline") and not isinstance(op, ast.Eq | ast.NotEq):
            raise self.fail("enum values can only be compared with eq, ne, has or in.")
        return left, right

    def coerce(self, lit: V, target: str) -> V:
        """A literal as a value of ``target`` type, or a 400 naming both types."""
        source = lit.edm
        if target == source or _family(target) == _family(source) == "number":
            return lit
        if target == ENUM_BUDGET and source in ("Edm.String", ENUM_BUDGET):
            return self._enum(lit)
        if target == "Edm.DateTimeOffset" and source == "Edm.Date":
            moment = datetime.fromisoformat(lit.lit).replace(tzinfo=UTC)  # midnight UTC
            return V(literal(db_datetime(moment), String), target, False, moment, True)
        if target == "Edm.Date" and source == "Edm.DateTimeOffset":
            day = lit.lit.date().isoformat()
            return V(literal(day, String), target, False, day, True)
        shown = repr(lit.lit) if source == "Edm.String" else str(lit.lit)
        raise self.fail(f"the literal {shown} is {source} but the other operand is {target}"
                        + (" (write GUIDs without quotes)" if target == "Edm.Guid" else "") + ".",
                        str(lit.lit))

    def _enum(self, lit: V) -> V:
        if lit.lit not in edm.BUDGET_ASSIGNMENT_TYPES:
            raise self.fail(f"'{lit.lit}' is not a BudgetAssignmentType member (one of "
                            f"{', '.join(edm.BUDGET_ASSIGNMENT_TYPES)}).", str(lit.lit))
        return V(literal(lit.lit, String), ENUM_BUDGET, False, lit.lit, True)

    def in_(self, left: V, right: Any) -> V:
        if not isinstance(right, ast.List):
            raise self.fail("'in' needs a parenthesized list of literals.")
        values, has_null = [], False
        for item in right.val:
            value = self.value(item)
            if value.is_null:
                has_null = True
                continue
            if not value.is_lit:
                raise self.fail("the list after 'in' may only hold literals.")
            values.append(self.coerce(value, left.edm).lit if left.edm != "object" else None)
        if left.edm == "object":
            raise self.fail("'in' needs a primitive property on the left.")
        keys = [_sql_literal(v) for v in values]
        column = left.sql.collate(NOCASE) if left.edm == "Edm.String" else left.sql
        sql = column.in_(keys) if keys else false()
        if has_null:
            sql = or_(sql, left.sql.is_(None))
        return V(sql, "Edm.Boolean", False)

    # -- arithmetic ---------------------------------------------------------------------------
    def arithmetic(self, node: ast.BinOp) -> V:
        left, right = self.value(node.left), self.value(node.right)
        op = node.op
        if left.edm == "Edm.DateTimeOffset" and right.edm == "Edm.Duration" and \
                isinstance(op, ast.Add | ast.Sub):
            seconds = right.lit if isinstance(op, ast.Add) else -right.lit
            shifted = func.strftime("%Y-%m-%d %H:%M:%f000", left.sql, f"{seconds:+} seconds")
            return V(shifted, "Edm.DateTimeOffset", left.nullable)
        for side in (left, right):
            if _family(side.edm) != "number":
                raise self.fail(f"arithmetic needs numbers, not {side.edm}.")
        nullable = left.nullable or right.nullable
        integral = left.edm in INTEGRAL and right.edm in INTEGRAL
        result_type = "Edm.Int32" if integral else "Edm.Double"
        a, b = left.sql, right.sql
        if isinstance(op, ast.Add):
            sql = a + b
        elif isinstance(op, ast.Sub):
            sql = a - b
        elif isinstance(op, ast.Mult):
            sql = a * b
        elif isinstance(op, DivBy) or (isinstance(op, ast.Div) and not integral):
            sql = cast(a, REAL) / b
            result_type = "Edm.Double"
        elif isinstance(op, ast.Div):
            # raw '/': SQLAlchemy 2's '/' adds '+ 0.0' (true division); SQLite's integer '/'
            # truncates toward zero, which is OData's rule
            sql = cast(a, Integer).op("/", return_type=Integer)(cast(b, Integer))
        elif isinstance(op, ast.Mod):
            sql = a % b
        else:
            raise self.fail(f"unsupported operator {type(op).__name__}.")
        if left.is_lit and right.is_lit and isinstance(op, ast.Div | ast.Mod) and right.lit == 0:
            raise self.fail("division by zero.")
        return V(sql, result_type, nullable or isinstance(op, ast.Div | ast.Mod))

    # -- functions ----------------------------------------------------------------------------
    def call(self, node: ast.Call) -> V:
        name = node.func.name.lower()
        if node.func.namespace:
            raise self.fail(f"unknown function '{node.func.full_name()}'.", node.func.name)
        handler = FUNCTIONS.get(name)
        if handler is None:
            raise self.fail(f"unknown function '{node.func.name}' (supported: "
                            f"{', '.join(sorted(FUNCTIONS))}).", node.func.name)
        arity, fn = handler
        if len(node.args) not in arity:
            raise self.fail(f"{name}() takes {' or '.join(map(str, arity))} argument(s), got "
                            f"{len(node.args)}.", node.func.name)
        if name == "cast":
            return self._cast(node)
        args = [self.value(a) for a in node.args]
        return fn(self, args)

    def _cast(self, node: ast.Call) -> V:
        target = node.args[-1]
        if not isinstance(target, ast.Identifier):
            raise self.fail("cast() needs an EDM type name such as Edm.String.")
        type_name = target.full_name()
        value = self.value(node.args[0])
        sql_type = {"Edm.String": String, "Edm.Int32": Integer, "Edm.Int64": Integer,
                    "Edm.Double": Float, "Edm.Decimal": Float}.get(type_name)
        if sql_type is None:
            raise self.fail(f"cast to '{type_name}' is not supported (Edm.String, Edm.Int32, "
                            "Edm.Int64, Edm.Double, Edm.Decimal).", type_name)
        return V(cast(value.sql, sql_type), type_name, value.nullable)

    def string_arg(self, value: V, fn: str) -> V:
        if value.edm != "Edm.String":
            raise self.fail(f"{fn}() needs strings, not {value.edm}.", fn)
        return value

    def datetime_arg(self, value: V, fn: str) -> V:
        if value.edm not in ("Edm.DateTimeOffset", "Edm.Date"):
            raise self.fail(f"{fn}() needs a date/time, not {value.edm}.", fn)
        if value.is_lit:
            text = (db_datetime(value.lit) if value.edm == "Edm.DateTimeOffset" else value.lit)
            return V(literal(text, String), value.edm, False, value.lit, True)
        return value


def _sql_literal(value: Any) -> Any:
    if isinstance(value, datetime):
        return db_datetime(value)
    return value


def _key_column(t: StructuredType) -> str:
    return {"Id": "id", "System_Id": "id"}[t.key or "Id"]


def _duration_seconds(text: str) -> float | None:
    match = re.fullmatch(r"([+-])?P(?:([0-9]+)D)?(?:T(?:([0-9]+)H)?(?:([0-9]+)M)?"
                         r"(?:([0-9]+(?:\.[0-9]+)?)S)?)?", text, re.I)
    if not match:
        return None
    if any(part and len(part) > 15 for part in match.groups()[1:]):
        return float("inf")  # beyond any date range: out of range
    sign, d, h, m, s = match.groups()
    total: float = int(d or 0) * 86400 + int(h or 0) * 3600 + int(m or 0) * 60 + float(s or 0)
    return -total if sign == "-" else total


def _like(pattern_of: Callable[[str], str], instr_test: Callable[[Any, Any], Any], fn: str
          ) -> Callable[[Compiler, list[V]], V]:
    def build(c: Compiler, args: list[V]) -> V:
        hay, needle = (c.string_arg(a, fn) for a in args)
        if needle.is_lit:
            escaped = needle.lit.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            sql = hay.sql.like(pattern_of(escaped), escape="\\")
        else:
            sql = instr_test(func.lower(hay.sql), func.lower(needle.sql))
        return V(sql, "Edm.Boolean", hay.nullable or needle.nullable)
    return build


def _string_fn(sql: Callable[..., Any], result: str, fn: str) -> Callable[[Compiler, list[V]], V]:
    def build(c: Compiler, args: list[V]) -> V:
        checked = [c.string_arg(a, fn) for a in args]
        return V(sql(*[a.sql for a in checked]), result, any(a.nullable for a in checked))
    return build


def _date_part(fmt: str, fn: str) -> Callable[[Compiler, list[V]], V]:
    def build(c: Compiler, args: list[V]) -> V:
        value = c.datetime_arg(args[0], fn)
        return V(cast(func.strftime(fmt, value.sql), Integer), "Edm.Int32", value.nullable)
    return build


def _date_fn(c: Compiler, args: list[V]) -> V:
    value = c.datetime_arg(args[0], "date")
    return V(func.date(value.sql), "Edm.Date", value.nullable)


def _number_fn(kind: str) -> Callable[[Compiler, list[V]], V]:
    def build(c: Compiler, args: list[V]) -> V:
        value = args[0]
        if _family(value.edm) != "number":
            raise c.fail(f"{kind}() needs a number, not {value.edm}.", kind)
        x = value.sql
        truncated = cast(x, Integer)
        sql: Any
        if kind == "round":
            sql = cast(func.round(x), Integer)
        elif kind == "floor":
            sql = truncated - case((x < truncated, 1), else_=0)
        else:
            sql = truncated + case((x > truncated, 1), else_=0)
        return V(sql, "Edm.Int32" if value.edm in INTEGRAL else "Edm.Double", value.nullable)
    return build


def _now(c: Compiler, args: list[V]) -> V:
    moment = c.now or datetime.now(UTC)
    return V(literal(db_datetime(moment), String), "Edm.DateTimeOffset", False, moment, True)


def _concat(c: Compiler, args: list[V]) -> V:
    a, b = (c.string_arg(x, "concat") if x.edm == "Edm.String" else
            V(cast(x.sql, String), "Edm.String", x.nullable) for x in args)
    return V(type_coerce(a.sql, String).op("||")(b.sql), "Edm.String", a.nullable or b.nullable)


def _indexof(c: Compiler, args: list[V]) -> V:
    hay, needle = (c.string_arg(a, "indexof") for a in args)
    sql = func.instr(func.lower(hay.sql), func.lower(needle.sql)) - 1
    return V(sql, "Edm.Int32", hay.nullable or needle.nullable)


def _substring(c: Compiler, args: list[V]) -> V:
    text = c.string_arg(args[0], "substring")
    start = args[1].sql + 1
    sql = func.substr(text.sql, start, args[2].sql) if len(args) == 3 else \
        func.substr(text.sql, start)
    return V(sql, "Edm.String", text.nullable)


def _length(c: Compiler, args: list[V]) -> V:
    text = c.string_arg(args[0], "length")
    return V(func.length(text.sql), "Edm.Int32", text.nullable)


FUNCTIONS: dict[str, tuple[tuple[int, ...], Callable[[Compiler, list[V]], V]]] = {
    "contains": ((2,), _like(lambda s: f"%{s}%", lambda h, n: func.instr(h, n) > 0,
                             "contains")),
    "startswith": ((2,), _like(lambda s: f"{s}%", lambda h, n: func.instr(h, n) == 1,
                               "startswith")),
    "endswith": ((2,), _like(lambda s: f"%{s}",
                             lambda h, n: func.substr(h, -func.length(n)) == n, "endswith")),
    "tolower": ((1,), _string_fn(func.lower, "Edm.String", "tolower")),
    "toupper": ((1,), _string_fn(func.upper, "Edm.String", "toupper")),
    "trim": ((1,), _string_fn(func.trim, "Edm.String", "trim")),
    "length": ((1,), _length),
    "indexof": ((2,), _indexof),
    "concat": ((2,), _concat),
    "substring": ((2, 3), _substring),
    "year": ((1,), _date_part("%Y", "year")),
    "month": ((1,), _date_part("%m", "month")),
    "day": ((1,), _date_part("%d", "day")),
    "hour": ((1,), _date_part("%H", "hour")),
    "minute": ((1,), _date_part("%M", "minute")),
    "second": ((1,), _date_part("%S", "second")),
    "date": ((1,), _date_fn),
    "now": ((0,), _now),
    "round": ((1,), _number_fn("round")),
    "floor": ((1,), _number_fn("floor")),
    "ceiling": ((1,), _number_fn("ceiling")),
    "cast": ((2,), lambda c, a: a[0]),  # handled in Compiler._cast
}
