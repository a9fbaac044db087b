"""`$apply` (the OData Data Aggregation Extension), translated into one SQL statement.

The transformations (`filter`, `compute`, `groupby`, `aggregate`, chained with `/`) are
applied in order to a *stage*: a FROM clause, its WHERE conditions, and the structured type
whose members are the names visible at that point. Every name resolves through the EDM:

- the first stage is the entity set itself. `filter(...)` and `compute(...)` before any
  grouping are per-row, so when nothing groups the result is still an entity collection: a
  copy of the entity type with the compute aliases as extra properties and the filters as
  extra base conditions, served by the ordinary collection code (paging, `$select`...);
- `groupby` / `aggregate` turn the current stage into a `GROUP BY` subquery and the next stage
  reads it through a *synthetic* type built from the group keys (nested complex properties,
  `WorkItem/System_TeamProject` -> `WorkItem` { `System_TeamProject` }) and the aggregate
  aliases. `$filter`, `$orderby`, `$select`, `$count`, paging and the serializer of the
  engine walk that type exactly as they walk an entity type.

Expressions (filter conditions, computed values, aggregated values) are compiled by the one
`$filter` compiler (query/filter.py), so any property whose EDM ``expr`` is SQL (columns,
joins, correlated sums such as ``TrackedItself``) can be grouped, computed and aggregated.

Every problem is a 400 naming the position in the `$apply` text; a part of the extension that
mockpace does not build is a 501 naming it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import REAL, ColumnElement, Integer, case, func, literal, select, true
from sqlalchemy.engine import Connection

from mockpace.common.errors import ODataError
from mockpace.reporting import edm
from mockpace.reporting.edm import Complex, Member, Nav, Prop, Ref, Scope, StructuredType
from mockpace.reporting.query import engine
from mockpace.reporting.query import filter as flt
from mockpace.reporting.query.options import Options, parse_expand

OPTION = "$apply"
MAX_APPLY_LENGTH = 8000
MAX_TRANSFORMATIONS = 20
RESULT_NAME = "the $apply result"
METHODS = ("sum", "min", "max", "average", "countdistinct")
# Transformations of the extension that mockpace does not build: 501 naming them.
NOT_BUILT = ("topcount", "topsum", "toppercent", "bottomcount", "bottomsum", "bottompercent",
             "identity", "concat", "expand", "search", "nest", "orderby", "top", "skip",
             "ancestors", "descendants", "traverse", "join", "outerjoin", "rolluprecursive")
_NAME = re.compile(r"[A-Za-z_]\w*\Z")


def bad(message: str, pos: int | None = None) -> ODataError:
    where = "" if pos is None else f" at position {pos}"
    return ODataError(f"Invalid {OPTION}{where}: {message}", target=OPTION)


def not_built(what: str, pos: int) -> ODataError:
    return ODataError(f"{OPTION} at position {pos}: {what} is not implemented by mockpace "
                      "(supported: filter, compute, groupby, aggregate with sum, min, max, "
                      "average, countdistinct and $count).", status=501, code="NotImplemented",
                      target=OPTION)


# ---------------------------------------------------------------------------------------------
# Text: top-level splitting with absolute positions
# ---------------------------------------------------------------------------------------------
def _depths(text: str, base: int) -> list[int]:
    """Parenthesis depth at each character (-1 inside a string literal); a 400 when the
    parentheses or quotes do not balance."""
    depths, depth, quoted = [], 0, False
    for i, ch in enumerate(text):
        if ch == "'":
            quoted = not quoted
            depths.append(-1)
            continue
        if quoted:
            depths.append(-1)
            continue
        if ch == ")":
            depth -= 1
            if depth < 0:
                raise bad("unbalanced ')'.", base + i)
        depths.append(depth)
        if ch == "(":
            depth += 1
    if quoted:
        raise bad("a string literal is not closed.", base + len(text))
    if depth:
        raise bad("a '(' is not closed.", base + len(text))
    return depths


def split(text: str, base: int, sep: str) -> list[tuple[str, int]]:
    """``text`` (starting at ``base`` in the option) split on ``sep`` outside parentheses and
    quotes: (part, absolute position of the part) pairs."""
    depths = _depths(text, base)
    parts, start = [], 0
    for i, ch in enumerate(text):
        if ch == sep and depths[i] == 0:
            parts.append((text[start:i], base + start))
            start = i + 1
    parts.append((text[start:], base + start))
    return parts


def last_word(text: str, word: str) -> int | None:
    """Index of the last `` word `` outside parentheses and quotes, or None."""
    depths = _depths(text, 0)
    found = None
    for match in re.finditer(rf"\s+{word}\s+", text, re.I):
        if depths[match.start()] == 0:
            found = match
    return None if found is None else found.start()


def strip(text: str, pos: int) -> tuple[str, int]:
    lead = len(text) - len(text.lstrip())
    return text.strip(), pos + lead


@dataclass
class Call:
    """``name(args)``: ``pos`` of the name, ``args_pos`` of the first argument character."""

    name: str
    args: str
    pos: int
    args_pos: int


def call(text: str, pos: int, where: str) -> Call:
    text, pos = strip(text, pos)
    match = re.match(r"([$A-Za-z_][\w.]*)\s*\(", text)
    if not match:
        if text.lower() in NOT_BUILT:  # `identity` takes no parentheses
            raise not_built(f"the transformation '{text}'", pos)
        raise bad(f"expected a transformation such as filter(...), groupby(...), "
                  f"aggregate(...) or compute(...){where}, got '{text[:40]}'.", pos)
    depths = _depths(text, pos)
    close = next(i for i in range(match.end(), len(text)) if text[i] == ")" and depths[i] == 0)
    if close != len(text) - 1:
        raise bad(f"unexpected '{text[close + 1:close + 21].strip()}' after "
                  f"{match.group(1)}(...).", pos + close + 1)
    return Call(match.group(1), text[match.end():-1], pos, pos + match.end())


# ---------------------------------------------------------------------------------------------
# Stages
# ---------------------------------------------------------------------------------------------
@dataclass
class Stage:
    """The names visible at a point of the pipeline and where their values come from."""

    type: StructuredType
    scope: Scope
    ref: Ref
    where: list[Any] = field(default_factory=list)
    keys: list[Any] = field(default_factory=list)  # columns unique per row (grouped stages)


@dataclass
class Plan:
    """The outcome of `$apply`: an entity type to serve as usual (``entity``), or a grouped
    final stage (``final``) with the navigation properties it grouped by (``navs``)."""

    entity: StructuredType | None = None
    final: Stage | None = None
    navs: set[str] = field(default_factory=set)



# SQLite's abs() of the smallest Int64 raises "integer overflow" (a SQLite limit: a 400).
_OVERFLOW = func.abs(literal(-9223372036854775807, Integer) - 1)


def _integer_or_overflow(aggregate: Any) -> Any:
    """An aggregate declared integral, or the "integer overflow" error: SQLite computes an
    integer `mul`/`add` past Int64 as a REAL, and an Edm.Int64 is never answered as a float."""
    return case((func.typeof(aggregate) == "real", _OVERFLOW), else_=aggregate)


class Builder:
    """One request's `$apply`: parses the text, checks every name and builds the stages."""

    def __init__(self, qc: engine.QueryContext, t: StructuredType, text: str,
                 conditions: Callable[[StructuredType, Ref], list[Any]]) -> None:
        self.qc = qc
        self.version: str = qc.version
        self.entity = t
        self.text = text
        self.conditions = conditions  # the entity stage's WHERE for a scope (ref)
        self.navs: set[str] = set()
        self.groupings = 0

    def compiler(self, t: StructuredType, ref: Ref, text: str, pos: int, *,
                 calculated_ok: bool) -> flt.Compiler:
        return flt.Compiler(t, ref, self.version, OPTION, text, calculated_ok=calculated_ok,
                            now=self.qc.now, offset=pos)

    def parse(self, text: str, pos: int) -> Any:
        text, pos = strip(text, pos)
        if not text:
            raise bad("an expression is missing.", pos)
        return flt.parse(text, OPTION, pos)

    # -- the pipeline -------------------------------------------------------------------------
    def build(self) -> Plan:
        text = self.text
        if len(text) > MAX_APPLY_LENGTH:
            raise bad(f"the expression is too long ({len(text)} characters; the limit is "
                      f"{MAX_APPLY_LENGTH}).", 0)
        if not text.strip():
            raise bad("the expression is empty.", 0)
        steps = [call(part, pos, "") for part, pos in split(text, 0, "/")]
        if len(steps) > MAX_TRANSFORMATIONS:
            raise bad(f"{len(steps)} transformations; at most {MAX_TRANSFORMATIONS}.", 0)
        for step in steps:
            name = step.name.lower()
            if name in NOT_BUILT:
                raise not_built(f"the transformation '{step.name}'", step.pos)
            if name not in ("filter", "compute", "groupby", "aggregate"):
                raise bad(f"unknown transformation '{step.name}' (filter, compute, groupby, "
                          "aggregate).", step.pos)
        # per-row steps before the first grouping make an entity type
        t = self.entity
        filters: list[tuple[StructuredType, Any, str, int]] = []
        index = 0
        while index < len(steps) and steps[index].name.lower() in ("filter", "compute"):
            step = steps[index]
            if step.name.lower() == "filter":
                filters.append((t, self.parse(step.args, step.args_pos), step.args,
                                step.args_pos))
            else:
                t = self.compute_type(t, step, None)
            index += 1
        entity = self.entity_type(t, filters)
        if index == len(steps):
            probe = Scope(entity.table.alias("probe"), self.qc.params)
            assert entity.base_where is not None
            entity.base_where(probe.root())  # compile once: errors surface as 400s now
            return Plan(entity=entity)
        scope = Scope(entity.table.alias("e"), self.qc.params)
        ref = scope.root()
        stage = Stage(entity, scope, ref, self.conditions(entity, ref))
        for step in steps[index:]:
            name = step.name.lower()
            if name == "filter":
                compiler = self.compiler(stage.type, stage.ref, step.args.strip(),
                                         strip(step.args, step.args_pos)[1],
                                         calculated_ok=self.qc.params.has_worklogs_filter)
                stage.where.append(compiler.condition(self.parse(step.args, step.args_pos)))
            elif name == "compute":
                stage.type = self.compute_type(stage.type, step, stage.ref)
            elif name == "groupby":
                stage = self.groupby(stage, step)
            else:
                stage = self.group(stage, [], self.aggregates(stage, step, set()), step.pos)
        return Plan(final=stage, navs=self.navs)

    def entity_type(self, t: StructuredType,
                    filters: list[tuple[StructuredType, Any, str, int]]) -> StructuredType:
        base = self.entity.base_where
        ok = self.qc.params.has_worklogs_filter

        def where(ref: Ref) -> list[ColumnElement[bool]]:
            out = list(base(ref)) if base is not None else []
            for at, tree, text, pos in filters:
                text_, pos_ = strip(text, pos)
                out.append(self.compiler(at, ref, text_, pos_, calculated_ok=ok)
                           .condition(tree))
            return out

        return StructuredType(t.name, t.members, entity=True, key=t.key, table=t.table,
                              base_where=where)

    # -- compute ------------------------------------------------------------------------------
    def compute_type(self, t: StructuredType, step: Call, ref: Ref | None) -> StructuredType:
        members = list(t.members)
        current = t
        for item, pos in split(step.args, step.args_pos, ","):
            expr_text, alias, alias_pos = self.alias_split(item, pos, "as", "compute")
            if current.member(alias, self.version) is not None:
                raise bad(f"compute alias '{alias}' is already a property of "
                          f"{current.name}.", alias_pos)
            expr_text, expr_pos = strip(expr_text, pos)
            tree = self.parse(expr_text, expr_pos)
            snapshot = current
            probe_ref = ref if ref is not None else \
                Scope(t.table.alias("probe"), self.qc.params).root()
            value = self.compiler(snapshot, probe_ref, expr_text, expr_pos,
                                  calculated_ok=True).value(tree)
            if value.edm in ("object", "null") or value.edm.startswith("Edm.Duration"):
                raise bad(f"compute '{alias}' must be a primitive value, not {value.edm}.",
                          expr_pos)

            def expr(r: Ref, at: StructuredType = snapshot, tree: Any = tree,
                     text: str = expr_text, pos: int = expr_pos) -> ColumnElement[Any]:
                return self.compiler(at, r, text, pos, calculated_ok=True).value(tree).sql

            members.append(Prop(alias, value.edm if value.edm != "Edm.Date" else "Edm.String",
                                True, expr))
            current = StructuredType(t.name, list(members), entity=t.entity, key=t.key,
                                     table=t.table, base_where=t.base_where)
        return current

    def alias_split(self, item: str, pos: int, word: str, where: str) -> tuple[str, str, int]:
        """``<expression> <word> <alias>``: (expression, alias, alias position)."""
        at = last_word(item, word)
        words = item[at:].split(None, 1) if at is not None else []
        if len(words) < 2:  # no `word`, or nothing after it (`compute(1 as )`)
            raise bad(f"each {where} item needs '... {word} Alias'; got "
                      f"'{item.strip()[:40]}'.", strip(item, pos)[1])
        alias_text = words[1]
        alias, alias_pos = strip(alias_text, pos + len(item) - len(alias_text))
        if not _NAME.match(alias):
            raise bad(f"'{alias}' is not a valid alias (letters, digits, '_').", alias_pos)
        return item[:at], alias, alias_pos

    # -- groupby / aggregate ------------------------------------------------------------------
    def groupby(self, stage: Stage, step: Call) -> Stage:
        parts = split(step.args, step.args_pos, ",")
        paths_text, paths_pos = strip(*parts[0])
        if not (paths_text.startswith("(") and paths_text.endswith(")")):
            raise bad("groupby needs a parenthesized list of properties first: "
                      "groupby((User/Name),aggregate(...)).", paths_pos)
        keys: list[tuple[list[str], int]] = []
        for path, pos in split(paths_text[1:-1], paths_pos + 1, ","):
            path, pos = strip(path, pos)
            if re.match(r"rollup\s*\(", path, re.I):
                raise not_built("groupby with rollup(...)", pos)
            segments = [s.strip() for s in path.split("/")]
            if not path or not all(_NAME.match(s) for s in segments):
                raise bad(f"'{path}' is not a property path (groupby takes properties such "
                          "as User/Name).", pos)
            keys.append((segments, pos))
        aggregates: list[tuple[str, Any, str, bool, int]] = []
        if len(parts) > 2:
            raise bad("groupby takes the property list and at most one aggregate(...).",
                      parts[2][1])
        if len(parts) == 2:
            inner = call(parts[1][0], parts[1][1], " inside groupby")
            if inner.name.lower() != "aggregate":
                raise not_built(f"groupby with a nested '{inner.name}' transformation",
                                inner.pos)
            taken = {s[0].lower() for s, _ in keys}
            aggregates = self.aggregates(stage, inner, taken)
        return self.group(stage, keys, aggregates, step.pos)

    def aggregates(self, stage: Stage, step: Call, taken: set[str]
                   ) -> list[tuple[str, Any, str, bool, int]]:
        """(alias, SQL, EDM type, nullable, position) per aggregate item."""
        out = []
        for item, pos in split(step.args, step.args_pos, ","):
            text, pos = strip(item, pos)
            if not text:
                raise bad("an aggregate item is missing.", pos)
            if re.search(r"\sfrom\s", text, re.I) and last_word(text, "from") is not None:
                raise not_built("aggregate ... from ...", pos)
            if text.lower().startswith("$count"):
                _, alias, alias_pos = self.alias_split(text, pos, "as", "aggregate")
                if text[:last_word(text, "as")].strip().lower() != "$count":
                    raise bad("write '$count as Alias'.", pos)
                sql, edm_type, nullable = func.count(), "Edm.Int64", False
            else:
                head, alias, alias_pos = self.alias_split(text, pos, "as", "aggregate")
                at = last_word(head, "with")
                if at is None:
                    raise bad("each aggregate item needs 'Expression with method as Alias' "
                              "or '$count as Alias'.", pos)
                method_text = head[at:].split(None, 1)[1].strip()
                method_pos = pos + at + head[at:].index(method_text)
                sql, edm_type, nullable = self.aggregate(stage, head[:at], pos, method_text,
                                                         method_pos)
            if alias.lower() in taken:
                raise bad(f"the alias '{alias}' is used twice in the result.", alias_pos)
            taken.add(alias.lower())
            out.append((alias, sql, edm_type, nullable, pos))
        return out

    def aggregate(self, stage: Stage, expr_text: str, pos: int, method_text: str,
                  method_pos: int) -> tuple[Any, str, bool]:
        method = method_text.lower()
        if method not in METHODS:
            if "." in method:
                raise not_built(f"the custom aggregation method '{method_text}'", method_pos)
            raise bad(f"unknown aggregation method '{method_text}' ({', '.join(METHODS)}).",
                      method_pos)
        expr_text, expr_pos = strip(expr_text, pos)
        tree = self.parse(expr_text, expr_pos)
        value = self.compiler(stage.type, stage.ref, expr_text, expr_pos,
                              calculated_ok=True).value(tree)
        if value.edm in ("object", "null", "Edm.Duration"):
            raise bad(f"'{expr_text}' cannot be aggregated: it is not a primitive value.",
                      expr_pos)
        x = value.sql
        number = value.edm in flt.NUMERIC
        if method in ("sum", "average") and not number:
            raise bad(f"{method} needs a number; '{expr_text}' is {value.edm}.", method_pos)
        integral = value.edm in flt.INTEGRAL
        if method == "sum":
            zero = literal(0, Integer) if integral else literal(0.0, REAL)
            total = func.coalesce(func.sum(x), zero)
            return (_integer_or_overflow(total) if integral else total), \
                "Edm.Int64" if integral else "Edm.Double", False
        if method == "average":
            return func.avg(x), "Edm.Double", True
        if method in ("min", "max"):
            extreme = getattr(func, method)(x)
            return (_integer_or_overflow(extreme) if integral else extreme), value.edm, True
        # countdistinct counts null as one more value, as .NET's Distinct().Count() does
        return func.count(x.distinct()) + func.max(case((x.is_(None), 1), else_=0)), \
            "Edm.Int64", False

    def group(self, stage: Stage, keys: list[tuple[list[str], int]],
              aggregates: list[tuple[str, Any, str, bool, int]], pos: int) -> Stage:
        """The GROUP BY subquery of ``stage`` and the stage that reads it."""
        self.groupings += 1
        tree: dict[str, Any] = {}  # name -> ("leaf", label, edm, nullable) | ("node", ...)
        columns: list[Any] = []
        group_by: list[Any] = []

        def add(expr: Any) -> str:
            label = f"c{len(columns)}"
            columns.append(expr.label(label))
            group_by.append(expr)
            return label

        for segments, at in keys:
            self.key(stage, segments, at, tree, add)
        for alias, sql, _, _, _ in aggregates:
            columns.append(sql.label(f"a_{alias}"))
        if not columns:
            raise bad("groupby needs at least one property.", pos)
        query = select(*columns).select_from(stage.scope.from_clause()).where(*stage.where)
        if group_by:
            query = query.group_by(*group_by)
        sub = query.subquery(f"g{self.groupings}")
        scope = Scope(sub, self.qc.params)
        members = self.members(tree)
        for alias, _, edm_type, nullable, _ in aggregates:
            members.append(Prop(alias, edm_type, nullable, _column(f"a_{alias}")))
        t = StructuredType(RESULT_NAME, members)
        return Stage(t, scope, scope.root(), [], [sub.c[c.name] for c in columns
                                                  if not c.name.startswith("a_")])

    def key(self, stage: Stage, segments: list[str], pos: int, tree: dict[str, Any],
            add: Callable[[Any], str]) -> None:
        node: dict[str, Any] = tree
        ref, t = stage.ref, stage.type
        for i, name in enumerate(segments):
            member = t.resolve(name, self.version, OPTION)  # another case: a warning
            if member is None:
                at = pos + sum(len(s) + 1 for s in segments[:i])
                raise bad(f"unknown property '{name}' on {t.name} (API {self.version}).", at)
            last = i == len(segments) - 1
            if isinstance(member, Prop):
                if not last:
                    raise bad(f"'{member.name}' is a primitive property; it has no member "
                              f"'{segments[i + 1]}'.", pos)
                entry = node.get(member.name)
                if entry is None:
                    node[member.name] = ("leaf", add(member.expr(ref)), member.edm,
                                         member.nullable)
                elif entry[0] != "leaf":
                    raise bad(f"'{member.name}' is grouped twice.", pos)
                return
            if isinstance(member, Nav) and member.collection:
                raise bad(f"'{member.name}' is a collection; group by a single-valued "
                          "property.", pos)
            child = member.ref(ref) if member.ref is not None else ref
            if isinstance(member, Nav):
                self.navs.add(member.name.lower())
            target = member.type if isinstance(member, Complex) else edm.TYPES[member.target]
            entry = node.get(member.name)
            if entry is None:
                children: dict[str, Any] = {}
                present = member.present(child) if member.present is not None and \
                    member.nullable else None
                label = add(present) if present is not None else None
                entry = node[member.name] = ("node", label, target.name, children)
            elif entry[0] != "node":
                raise bad(f"'{member.name}' is grouped twice.", pos)
            node, ref, t = entry[3], child, target
            if last:
                if isinstance(member, Nav):
                    leaves = [target.key_prop()]
                else:
                    if not member.whole_select:
                        raise bad(f"grouping by the whole '{member.name}' object is not "
                                  f"allowed; name its properties, e.g. {member.name}/"
                                  f"{target.members[0].name}.", pos)
                    leaves = [m for m in target.members_for(self.version)
                              if isinstance(m, Prop)]
                for leaf in leaves:
                    if leaf.name not in node:
                        node[leaf.name] = ("leaf", add(leaf.expr(ref)), leaf.edm,
                                           leaf.nullable)
                return

    def members(self, tree: dict[str, Any]) -> list[Member]:
        members: list[Member] = []
        for name, entry in tree.items():
            if entry[0] == "leaf":
                members.append(Prop(name, entry[2], entry[3], _column(entry[1])))
            else:
                present = entry[1]
                members.append(Complex(
                    name, StructuredType(entry[2], self.members(entry[3])), present is not None,
                    _same, None if present is None else _present(present)))
        return members


def _column(label: str) -> Callable[[Ref], ColumnElement[Any]]:
    return lambda r: r.t.c[label]


def _present(label: str) -> Callable[[Ref], ColumnElement[bool]]:
    return lambda r: r.t.c[label] == true()


def _same(r: Ref) -> Ref:
    return r


def plan(qc: engine.QueryContext, t: StructuredType, text: str,
         conditions: Callable[[StructuredType, Ref], list[Any]]) -> Plan:
    """Build the `$apply` pipeline of ``text`` over entity type ``t``; ``conditions`` gives
    the entity stage's WHERE (base conditions, 7pace parameters, navigation owner)."""
    try:
        return Builder(qc, t, text, conditions).build()
    except RecursionError:
        raise bad("the expression is nested too deeply.") from None


def check_expand(result: Plan, options: Options, version: str) -> None:
    """`$expand` of a grouped result may only name the navigation properties it grouped by,
    and select no more than the grouped result holds of them (their key:
    ``groupby((Parent))&$expand=Parent($select=System_Id)``). Selecting more, or nested options,
    would be silently missing from the answer: a 501 naming them."""
    text = options.get("expand")
    if not text or not text.strip():
        return
    assert result.final is not None
    for item in parse_expand(text):
        member = result.final.type.member(item.name, version)
        if item.name.lower() not in result.navs or not isinstance(member, Complex):
            raise ODataError(f"Invalid $expand at position {item.position}: '{item.name}' is "
                             f"not a navigation property of {RESULT_NAME}; group by it "
                             "first.", target="$expand")
        held = {m.name.lower() for m in member.type.members}
        others = sorted(f"${n}" for n in item.options.values if n != "select")
        missing = [w.strip() for w in (item.options.get("select") or "").split(",")
                   if w.strip() and w.strip().lower() not in held]
        if others or missing:
            what = ", ".join(others) if others else "$select of " + ", ".join(missing)
            raise ODataError(
                f"$expand at position {item.position}: expanding '{item.name}' of a grouped "
                f"result with {what} is not implemented by mockpace; the group holds only "
                f"{', '.join(m.name for m in member.type.members)}.",
                status=501, code="NotImplemented", target="$expand")


def context(entries: list[tuple[Any, Any]]) -> str:
    """`User(Name),WorkItem(System_TeamProject),PeriodLength`: the grouped shape for
    `@odata.context`."""
    parts = []
    for member, sub in entries:
        if isinstance(member, Prop):
            parts.append(member.name)
        elif sub is not None:
            parts.append(f"{member.name}({context(sub.entries)})")
    return ",".join(parts)


@dataclass
class Result:
    rows: list[dict[str, Any]]
    more: bool
    count: int | None
    context: str


def run(conn: Connection, qc: engine.QueryContext, result: Plan, options: Options, *,
        limit: int | None, skip: int, with_count: bool) -> Result:
    """One page of a grouped result: `$filter`, `$orderby`, `$select` and paging apply to it;
    the order ends with every group key, so pages never repeat or skip a group."""
    stage = result.final
    assert stage is not None
    check_expand(result, options, qc.version)
    t, ref = stage.type, stage.ref
    where = list(stage.where)
    text = options.get("filter")
    if text is not None:
        where.append(engine.compile_filter(qc, t, ref, text, "$filter"))
    order = engine.compile_orderby(qc, t, ref, options.get("orderby"))
    order += [(key, False) for key in stage.keys]
    shape = engine.build_shape(t, qc.version, options.get("select"), None)
    cols: list[Any] = []
    build = engine.compile_plan(engine.project(shape, ref, cols, []))
    source = stage.scope.from_clause()
    stmt = select(*cols).select_from(source).where(*where) \
        .order_by(*[e.desc() if d else e.asc() for e, d in order])
    if limit is not None:
        stmt = stmt.limit(limit + 1)
    if skip:
        stmt = stmt.offset(skip)
    rows = engine.raw_rows(conn, stmt)
    more = limit is not None and len(rows) > limit
    if more:
        rows = rows[:limit]
    count = None
    if with_count:
        count = engine.raw_rows(conn, select(func.count()).select_from(source)
                                .where(*where))[0][0]
    return Result([build(row, [], None) for row in rows], more, count, context(shape.entries))
