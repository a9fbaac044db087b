"""The entity data model of the Reporting API: the one description everything derives from.

Each structured type lists its members in declaration order (the 7pace Reporting contract):

- ``Prop``: a primitive property: OData name, EDM type, nullability, the versions that have it,
  and ``expr``, the SQL expression producing it from a ``Ref`` (a table alias in a ``Scope``);
- ``Complex``: a complex property (``User``, ``WorkItem``, ``WorklogDate``...), emitted inline;
  ``ref`` turns the owner's ref into the child's, ``present`` is SQL true when it is not null;
- ``Nav``: a navigation property, emitted only when ``$expand``ed. Single-valued ones (``Parent``,
  ``Root``) are joins exactly like complex properties; collections (``Children``,
  ``DirectWorklogs``...) are a second query keyed by ``owner`` (the owner's key per target row).

``$metadata``, the service document, ``$filter``, ``$select``, ``$orderby``, ``$expand`` and the
serializer all walk these objects; nothing else names a column. Joins are lazy: a ``Ref`` asks
its ``Scope`` for a join the first time a property needs it, so ``$select=Id,Timestamp`` on
``workLogsOnly`` reads one table.

The hierarchy sets' roll-ups (``TrackedTotal``, ``RollupValueN``...) are ``Prop``s like any
other: correlated aggregates over the subtree that the work items' ``root_id`` /
``hierarchy_path`` columns (kept by ``mockpace.store.derived``) turn into one index range
(``subtree_of``). Calculated fields (``Prop.calculated``) need a worklogsFilter to be filtered
or sorted on.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    ColumnElement,
    FromClause,
    Integer,
    and_,
    case,
    cast,
    func,
    literal,
    literal_column,
    null,
    or_,
    select,
)

from mockpace.common import contract
from mockpace.common.errors import ODataError
from mockpace.common.versions import version_tuple
from mockpace.store import (
    ActivityType,
    AreaPath,
    Budget,
    Iteration,
    TeamProject,
    User,
    WorkItem,
    WorkLog,
)
from mockpace.store.tables import NOT_SET_ACTIVITY_TYPE_ID, VSTS_FIELDS, vsts_column

WL = WorkLog.__table__  # type: ignore[attr-defined]
WI = WorkItem.__table__  # type: ignore[attr-defined]
USERS = User.__table__  # type: ignore[attr-defined]
ACT = ActivityType.__table__  # type: ignore[attr-defined]
BUD = Budget.__table__  # type: ignore[attr-defined]
AREA = AreaPath.__table__  # type: ignore[attr-defined]
ITER = Iteration.__table__  # type: ignore[attr-defined]
PROJ = TeamProject.__table__  # type: ignore[attr-defined]

NS_MODELS = "TimetrackerOnline.Reporting.Models"
NS_ENUMS = "TimetrackerOnline.Entities.Extensions"
BUDGET_ASSIGNMENT_TYPES = ("NotComputed", "NoBudget", "DirectlyAssigned", "InheritedFromParent",
                           "InheritedFromIteration")
ENUM_BUDGET = f"{NS_ENUMS}.BudgetAssignmentType"
CUSTOM_SLOTS = 5
ROLLUP_SLOTS = 5


def version_ok(version: str, since: str | None, until: str | None) -> bool:
    v = version_tuple(version)
    if since is not None and v < version_tuple(since):
        return False
    return not (until is not None and v > version_tuple(until))


# ---------------------------------------------------------------------------------------------
# Scopes and refs: lazy joins
# ---------------------------------------------------------------------------------------------
@dataclass
class Params:
    """Per-request inputs that some property expressions need."""

    version: str = "v3.2"
    # customFields: slot N (1-based) -> (reference name, kind 'String'|'Numeric'|'Boolean'|None)
    custom_fields: list[tuple[str, str | None]] = field(default_factory=list)
    # extra WHERE conditions on the worklogs feeding Tracked* (worklogsFilter, prefilter=Me)
    worklog_conditions: Callable[[Scope, Ref], list[ColumnElement[Any]]] | None = None
    has_worklogs_filter: bool = False
    # rollupFields: slot N (1-based) -> the Azure DevOps reference name summed in RollupValueN
    rollup_fields: list[str] = field(default_factory=list)


class Scope:
    """One FROM clause under construction: a base table and the joins refs asked for."""

    def __init__(self, base: FromClause, params: Params) -> None:
        self.base = base
        self.params = params
        self.joins: dict[str, tuple[FromClause, ColumnElement[bool], bool]] = {}
        # a SELECT of the keys of every row the query outputs (a page), when known: per-row
        # aggregates can then be computed for all of them in one grouped pass (subtree_sums)
        self.keys: Any = None

    def join(self, key: str, make: Callable[[], tuple[FromClause, ColumnElement[bool]]],
             *, inner: bool = False) -> FromClause:
        if key not in self.joins:
            target, on = make()
            self.joins[key] = (target, on, inner)
        return self.joins[key][0]

    def from_clause(self) -> FromClause:
        result: FromClause = self.base
        for target, on, inner in self.joins.values():
            result = result.join(target, on, isouter=not inner)
        return result

    def root(self) -> Ref:
        return Ref(self, "", self.base)


@dataclass
class Ref:
    """A position in a scope: the table alias (or computed values) a type's properties read."""

    scope: Scope
    path: str
    t: Any  # a table alias (FromClause) or None for computed refs
    vals: dict[str, Any] = field(default_factory=dict)

    def join(self, name: str, make: Callable[[], tuple[FromClause, ColumnElement[bool]]],
             *, inner: bool = False) -> Ref:
        key = f"{self.path}/{name}"
        return Ref(self.scope, key, self.scope.join(key, make, inner=inner))

    @property
    def c(self) -> Any:
        return self.t.c


# ---------------------------------------------------------------------------------------------
# The type system
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Prop:
    name: str
    edm: str
    nullable: bool
    expr: Callable[[Ref], ColumnElement[Any]]
    since: str | None = None
    until: str | None = None
    calculated: bool = False  # Tracked*: filter/sort needs worklogsFilter (docs/emulation.md s4)
    custom: bool = False  # CustomXField slots: not usable in worklogsFilter/workItemsFilter

    kind = "prop"


@dataclass(frozen=True)
class Complex:
    name: str
    type: StructuredType
    nullable: bool
    ref: Callable[[Ref], Ref]
    present: Callable[[Ref], ColumnElement[bool]] | None = None
    whole_select: bool = True  # False: `$select=WorkItem` is "not allowed" (W-SEL)
    since: str | None = None
    until: str | None = None

    kind = "complex"


@dataclass(frozen=True)
class Nav:
    name: str
    target: str  # entity type name
    collection: bool
    bound_set: str | None  # entity set of the targets (metadata binding, @odata.context)
    # single-valued: like Complex
    ref: Callable[[Ref], Ref] | None = None
    present: Callable[[Ref], ColumnElement[bool]] | None = None
    # collection: (target ref, owner ref or None) -> (owner key of each target row)
    owner: Callable[[Ref], ColumnElement[Any]] | None = None
    # collection owned through a recursive relation (AllWorklogs): needs the owner keys
    owner_for_keys: Callable[[Ref, list[Any]], ColumnElement[Any]] | None = None
    since: str | None = None
    until: str | None = None
    nullable: bool = True
    page_size: int | None = None  # a collection's page size when it differs from bound_set's

    kind = "nav"


Member = Prop | Complex | Nav


@dataclass
class StructuredType:
    name: str
    members: list[Member]
    entity: bool = False
    key: str | None = None
    namespace: str = NS_MODELS
    # entity types only: the base table and the rows it may show
    table: Any = None
    base_where: Callable[[Ref], list[ColumnElement[bool]]] | None = None

    @property
    def full_name(self) -> str:
        return f"{self.namespace}.{self.name}"

    def members_for(self, version: str) -> list[Member]:
        return [m for m in self.members if version_ok(version, m.since, m.until)]

    def member(self, name: str, version: str) -> Member | None:
        lower = name.lower()
        for m in self.members:
            if m.name.lower() == lower and version_ok(version, m.since, m.until):
                return m
        return None

    def resolve(self, name: str, version: str, option: str) -> Member | None:
        """``member`` of a name the client wrote in ``option``. A match in another case is
        accepted (decision) but is a contract deviation, ``odata-property-case``; under
        ``strict_contract`` it is the 400 a case-sensitive OData service answers."""
        found = self.member(name, version)
        if found is None or found.name == name:
            return found
        text = (f"odata-property-case: property '{name}' in {option} is '{found.name}' in the "
                "model; mockpace matches it case-insensitively, a standard (case-sensitive) "
                "OData service answers 400")
        if contract.note(contract.Diagnostic("odata-property-case", name, "query", text)):
            raise ODataError(
                f"Could not find a property named '{name}' on type '{self.full_name}' "
                f"(strict_contract is on; the model spells it '{found.name}').", target=option,
                details=[{"code": "odata-property-case", "message": text, "target": name}])
        return found

    def key_prop(self) -> Prop:
        assert self.key is not None
        for m in self.members:
            if m.name == self.key and isinstance(m, Prop):
                return m
        raise KeyError(self.key)


@dataclass(frozen=True)
class EntitySet:
    name: str
    type: str
    page_size: int
    since: str | None = None
    until: str | None = None
    with_deleted: bool = False
    worklogs: bool = False  # a worklog set: worklogsFilter/workItemsFilter apply as WHERE
    # rows of the type the set shows (workItemsHierarchy: roots only); keyed access ignores it
    where: Callable[[Ref], list[ColumnElement[bool]]] | None = None


TYPES: dict[str, StructuredType] = {}


def register(t: StructuredType) -> StructuredType:
    TYPES[t.name] = t
    return t


# ---------------------------------------------------------------------------------------------
# SQL helpers used by the property expressions
# ---------------------------------------------------------------------------------------------
def _alias(table: Any) -> Callable[[Callable[[Any], ColumnElement[bool]]],
                                   Callable[[], tuple[FromClause, ColumnElement[bool]]]]:
    def wrap(on: Callable[[Any], ColumnElement[bool]]) -> Callable[[],
                                                                  tuple[FromClause,
                                                                        ColumnElement[bool]]]:
        def make() -> tuple[FromClause, ColumnElement[bool]]:
            a = table.alias()
            return a, on(a)
        return make
    return wrap


def wl_user(r: Ref, column: str) -> Ref:
    return r.join(column, _alias(USERS)(lambda u: u.c.id == getattr(r.c, column)))


def wl_edited_by(r: Ref) -> Ref:
    return r.join("edited_by", _alias(USERS)(
        lambda u: u.c.id == func.coalesce(r.c.edited_by_user_id, r.c.added_by_user_id)))


def wl_activity(r: Ref) -> Ref:
    return r.join("activity", _alias(ACT)(lambda a: a.c.id == r.c.activity_type_id))


def wl_work_item(r: Ref) -> Ref:
    return r.join("work_item", _alias(WI)(lambda w: w.c.id == r.c.work_item_id))


def wl_budget_id(r: Ref) -> ColumnElement[Any]:
    """A worklog's effective budget: its own, else its work item's."""
    return func.coalesce(r.c.budget_id, wl_work_item(r).c.effective_budget_id)


def wl_budget(r: Ref) -> Ref:
    return r.join("budget", _alias(BUD)(lambda b: b.c.id == wl_budget_id(r)))


def wl_local_date(r: Ref) -> Ref:
    """The worklog's day in its owner's time zone (docs/emulation.md s5), as yyyy-MM-dd text."""
    owner = wl_user(r, "user_id")
    day = func.date(r.c.timestamp, func.printf("%+d minutes", owner.c.timezone_offset))
    return Ref(r.scope, f"{r.path}/date", None, {"date": day})


def wi_area(r: Ref) -> Ref:
    return r.join("area", _alias(AREA)(lambda a: a.c.id == r.c.area_id))


def wi_iteration(r: Ref) -> Ref:
    return r.join("iteration", _alias(ITER)(lambda i: i.c.id == r.c.iteration_id))


def wi_project(r: Ref) -> Ref:
    return r.join("project", _alias(PROJ)(lambda p: p.c.id == r.c.project_id))


def wi_budget(r: Ref) -> Ref:
    return r.join("budget", _alias(BUD)(lambda b: b.c.id == r.c.effective_budget_id))


def wi_parent(r: Ref) -> Ref:
    return r.join("parent", _alias(WI)(lambda p: p.c.id == r.c.parent_id))


def wi_root(r: Ref) -> Ref:
    return r.join("root", _alias(WI)(lambda w: w.c.id == r.c.root_id))


def billable_seconds(r: Ref) -> ColumnElement[Any]:
    return func.coalesce(r.c.billable_length, case((r.c.is_billable == 1, r.c.length), else_=0))


def tracked(r: Ref, *, billable: bool) -> ColumnElement[Any]:
    """Seconds of the (filtered) worklogs directly on the work item at ``r``: a correlated
    aggregate, so a page of 100 items reads only their worklogs (index on work_item_id)."""
    sub = Scope(WL.alias("tw"), r.scope.params)
    wl = sub.root()
    value = billable_seconds(wl) if billable else wl.c.length
    conditions: list[ColumnElement[Any]] = [wl.c.work_item_id == r.c.id, wl.c.is_deleted == 0]
    if r.scope.params.worklog_conditions is not None:
        conditions += r.scope.params.worklog_conditions(sub, wl)
    query = select(func.coalesce(func.sum(value), 0)).select_from(sub.from_clause()) \
        .where(*conditions)
    return query.scalar_subquery()


def custom_slot(r: Ref, kind: str, slot: int) -> ColumnElement[Any]:
    """CustomXFieldN: the N-th `customFields` name when its detected kind is X, else null."""
    fields = r.scope.params.custom_fields
    if slot > len(fields) or fields[slot - 1][1] != kind:
        return null()
    name = fields[slot - 1][0]
    column = field_column(r, name)
    if column is not None:
        return column
    return func.json_extract(r.c.fields, f'$."{name}"')


SYSTEM_FIELD_COLUMNS = {
    "system.id": "id", "system.title": "title", "system.state": "state",
    "system.workitemtype": "work_item_type", "system.reason": "reason",
    "system.assignedto": "assigned_to", "system.createdby": "created_by",
    "system.areaid": "area_id", "system.iterationid": "iteration_id",
}


def field_column(r: Ref, reference_name: str) -> ColumnElement[Any] | None:
    """The column holding an Azure DevOps field kept outside the JSON, if any."""
    lower = reference_name.lower()
    if lower in SYSTEM_FIELD_COLUMNS:
        return getattr(r.c, SYSTEM_FIELD_COLUMNS[lower])
    reporting = reference_name.replace(".", "_")
    for name in VSTS_FIELDS:
        if name.lower() == reporting.lower():
            return getattr(r.c, vsts_column(name))
    return None


def field_kind(reference_name: str) -> str | None:
    """Kind of a column-backed field (custom-slot detection), None when it is a JSON field."""
    lower = reference_name.lower()
    if lower in SYSTEM_FIELD_COLUMNS:
        return "Numeric" if lower.endswith("id") else "String"
    reporting = reference_name.replace(".", "_").lower()
    for name, edm in VSTS_FIELDS.items():
        if name.lower() == reporting:
            return {"Edm.Int32": "Numeric", "Edm.Double": "Numeric"}.get(edm, "String")
    return None


# ---------------------------------------------------------------------------------------------
# Complex types
# ---------------------------------------------------------------------------------------------
def _col(name: str) -> Callable[[Ref], ColumnElement[Any]]:
    return lambda r: getattr(r.c, name)


USER_TYPE = register(StructuredType("ReportingUser", [
    Prop("Id", "Edm.Guid", False, _col("id")),
    Prop("Name", "Edm.String", True, _col("name")),
    Prop("Email", "Edm.String", True, _col("email")),
]))

ACTIVITY_TYPE = register(StructuredType("ReportingActivityType", [
    Prop("Id", "Edm.Guid", False,
         lambda r: func.coalesce(r.vals["owner"].c.activity_type_id, NOT_SET_ACTIVITY_TYPE_ID)),
    Prop("Color", "Edm.String", True, lambda r: func.coalesce(r.c.color, "ffffff")),
    Prop("Name", "Edm.String", True, lambda r: func.coalesce(r.c.name, "[Not Set]")),
]))

BUDGET_TYPE = register(StructuredType("ReportingBudget", [
    Prop("Id", "Edm.Guid", True, _col("id")),
    Prop("BudgetName", "Edm.String", True, _col("name")),
]))

DATE_TYPE = register(StructuredType("ReportingDate", [
    Prop("Year", "Edm.Int32", False,
         lambda r: cast(func.substr(r.vals["date"], 1, 4), Integer)),
    Prop("Month", "Edm.Int32", False,
         lambda r: cast(func.substr(r.vals["date"], 6, 2), Integer)),
    Prop("Day", "Edm.Int32", False,
         lambda r: cast(func.substr(r.vals["date"], 9, 2), Integer)),
    Prop("ShortDate", "Edm.String", True, lambda r: r.vals["date"]),
]))


def _budget_complex(nullable: bool, ref: Callable[[Ref], Ref], *, whole: bool) -> Complex:
    return Complex("Budget", BUDGET_TYPE, nullable, ref, lambda b: b.c.id.is_not(None),
                   whole_select=whole)


# ---------------------------------------------------------------------------------------------
# The work-item field block (the 7pace Reporting contract)
# ---------------------------------------------------------------------------------------------
def _slot(kind: str, n: int) -> Callable[[Ref], ColumnElement[Any]]:
    return lambda r: custom_slot(r, kind, n)


def work_item_block(*, head: bool, head_nullable: bool) -> list[Member]:
    members: list[Member] = []
    if head:
        members += [
            Prop("BudgetAssignmentType", ENUM_BUDGET, head_nullable,
                 _col("budget_assignment_type")),
            Prop("System_AreaId", "Edm.Int32", head_nullable, _col("area_id")),
            Prop("System_CreatedDate", "Edm.DateTimeOffset", head_nullable, _col("created_date")),
            Prop("System_IterationId", "Edm.Int32", head_nullable, _col("iteration_id")),
        ]
    members += [
        Prop("System_Id", "Edm.Int32", False, _col("id")),
        _budget_complex(True, wi_budget, whole=False),
        Prop("System_AreaPath", "Edm.String", True, lambda r: wi_area(r).c.path),
        Prop("System_AssignedTo", "Edm.String", True, _col("assigned_to")),
        Prop("System_CreatedBy", "Edm.String", True, _col("created_by")),
        Prop("System_IterationPath", "Edm.String", True, lambda r: wi_iteration(r).c.path),
        Prop("System_NodeName", "Edm.String", True, lambda r: wi_area(r).c.name),
        Prop("System_Reason", "Edm.String", True, _col("reason")),
        Prop("System_RevisedDate", "Edm.DateTimeOffset", True, _col("revised_date")),
        Prop("System_State", "Edm.String", True, _col("state")),
        Prop("System_TeamProject", "Edm.String", True, lambda r: wi_project(r).c.name),
        Prop("System_Title", "Edm.String", True, _col("title")),
        Prop("System_WorkItemType", "Edm.String", True, _col("work_item_type")),
        Prop("HierarchyPath", "Edm.String", True, _col("hierarchy_path"), since="v3.2"),
    ]
    for name, edm in VSTS_FIELDS.items():
        members.append(Prop(name, edm, True, _col(vsts_column(name))))
    for kind, edm in (("String", "Edm.String"), ("Numeric", "Edm.Double"),
                      ("Boolean", "Edm.Boolean")):
        for n in range(1, CUSTOM_SLOTS + 1):
            members.append(Prop(f"Custom{kind}Field{n}", edm, True, _slot(kind, n),
                                custom=True))
    return members


def _wi_present(r: Ref) -> ColumnElement[bool]:
    return r.c.id.is_not(None)


WORK_ITEM_TYPE = register(StructuredType(
    "ReportingWorkItem", work_item_block(head=True, head_nullable=False)))

PARENT_TYPE = register(StructuredType(
    "ReportingWorkItemParent", work_item_block(head=False, head_nullable=True),
    entity=True, key="System_Id", table=WI))


# ---------------------------------------------------------------------------------------------
# Worklog types
# ---------------------------------------------------------------------------------------------
def _bool(name: str) -> Prop:
    return Prop(name, "Edm.Boolean", False, _col(name_to_column(name)))


def name_to_column(name: str) -> str:
    out = []
    for i, ch in enumerate(name):
        if ch.isupper() and i:
            out.append("_")
        out.append(ch.lower())
    return "".join(out)


def _activity_ref(r: Ref) -> Ref:
    act = wl_activity(r)
    act.vals["owner"] = r
    return act


def worklog_members(*, complex_nullable: bool, deleted: bool) -> list[Member]:
    members: list[Member] = [
        Prop("Id", "Edm.Guid", False, _col("id")),
        Prop("UserId", "Edm.Guid", True, _col("user_id")),
        Prop("AddedByUserId", "Edm.Guid", True, _col("added_by_user_id")),
        Prop("BudgetId", "Edm.Guid", True, wl_budget_id),
        Prop("ActivityTypeId", "Edm.Guid", True,
             lambda r: func.coalesce(r.c.activity_type_id, NOT_SET_ACTIVITY_TYPE_ID)),
        Prop("WorkItemId", "Edm.Int32", True, _col("work_item_id")),
        Prop("Timestamp", "Edm.DateTimeOffset", False, _col("timestamp")),
        Prop("PeriodLength", "Edm.Int32", False, _col("length")),
        Prop("Comment", "Edm.String", True, _col("comment")),
        Prop("EditedTimestamp", "Edm.DateTimeOffset", False, _col("edited_timestamp")),
        Prop("CreatedTimestamp", "Edm.DateTimeOffset", False, _col("created_timestamp")),
        _bool("IsTracked"), _bool("IsManuallyEntered"), _bool("IsChanged"),
        _bool("IsTrackedExtended"), _bool("IsImported"), _bool("IsFromApi"), _bool("IsBillable"),
        Prop("BillablePeriodLength", "Edm.Int32", True, billable_seconds),
    ]
    if deleted:
        members.append(Prop("IsDeleted", "Edm.Boolean", False, _col("is_deleted"),
                            since="v3.3-beta"))
    members += [
        Complex("User", USER_TYPE, complex_nullable, lambda r: wl_user(r, "user_id")),
        Complex("AddedByUser", USER_TYPE, complex_nullable,
                lambda r: wl_user(r, "added_by_user_id")),
        Complex("EditedByUser", USER_TYPE, True, wl_edited_by, lambda u: u.c.id.is_not(None)),
        Complex("ActivityType", ACTIVITY_TYPE, True, _activity_ref),
        _budget_complex(True, wl_budget, whole=False),
        Complex("WorklogDate", DATE_TYPE, True, wl_local_date),
    ]
    return members


def _not_deleted(r: Ref) -> list[ColumnElement[bool]]:
    return [r.c.is_deleted == 0]


def worklog_type(name: str, *, with_item: bool, deleted: bool) -> StructuredType:
    members = worklog_members(complex_nullable=with_item, deleted=deleted)
    if with_item:
        members += [
            Complex("WorkItem", WORK_ITEM_TYPE, True, wl_work_item, _wi_present,
                    whole_select=False),
            Nav("ParentItem", "ReportingWorkItemParent", False, None,
                ref=lambda r: wi_parent(wl_work_item(r)), present=_wi_present,
                since="v3.1", until="v3.1"),
            Nav("Parent", "ReportingWorkItemParent", False, None,
                ref=lambda r: wi_parent(wl_work_item(r)), present=_wi_present, since="v3.2"),
            Nav("Root", "ReportingWorkItemParent", False, None,
                ref=lambda r: wi_root(wl_work_item(r)), present=_wi_present, since="v3.2"),
        ]
    return register(StructuredType(name, members, entity=True, key="Id", table=WL,
                                   base_where=None if deleted else _not_deleted))


WORKLOG = worklog_type("ReportingWorkLog", with_item=False, deleted=False)
WORKLOG_ITEM = worklog_type("ReportingWorkLogWorkItem", with_item=True, deleted=False)
WORKLOG_DELETED = worklog_type("ReportingWorkLogWithDeleted", with_item=False, deleted=True)
WORKLOG_ITEM_DELETED = worklog_type("ReportingWorkLogWorkItemWithDeleted", with_item=True,
                                    deleted=True)


# ---------------------------------------------------------------------------------------------
# Work items and budgets
# ---------------------------------------------------------------------------------------------
def subtree_of(anchor: Any, d: Any) -> list[ColumnElement[bool]]:
    """Work items ``d`` (columns) in the subtree of the item ``anchor`` (columns), itself
    included: the same root and a hierarchy_path starting with the anchor's. Paths are digits
    and '/', so the prefix is the range [path, path || ':'): one range of the (root_id,
    hierarchy_path) index, no LIKE, no recursion."""
    path = anchor.hierarchy_path
    return [d.root_id == anchor.root_id, d.hierarchy_path >= path,
            d.hierarchy_path < path.concat(":")]


def _subtree_owner(r: Ref, keys: list[Any]) -> ColumnElement[Any]:
    """AllWorklogs: pair the worklogs at ``r`` with the items of ``keys``
    whose subtree holds the worklog's work item. The worklogs are first bounded to the work
    items of those subtrees (an IN the work_item_id index answers); without it SQLite walks
    every worklog in Timestamp order for the page."""
    item = wl_work_item(r)
    top, below = WI.alias("sub_top"), WI.alias("sub_below")
    in_trees = select(below.c.id).select_from(top.join(below, and_(*subtree_of(top.c,
                                                                               below.c)))) \
        .where(top.c.id.in_(keys))

    def make() -> tuple[FromClause, ColumnElement[bool]]:
        anchor = WI.alias("sub_anchor")
        return anchor, and_(or_(r.c.work_item_id.in_(in_trees), r.c.work_item_id.in_(keys)),
                            anchor.c.id.in_(keys),
                            or_(anchor.c.id == item.c.id, and_(*subtree_of(anchor.c, item.c))))

    return r.join("subtree_anchor", make, inner=True).c.id


def tracked_itself_props(*, nullable: bool,
                         expr: Callable[..., ColumnElement[Any]]) -> list[Member]:
    return [Prop("TrackedItself", "Edm.Int32", nullable, lambda r: expr(r, billable=False),
                 calculated=True),
            Prop("TrackedItselfBillable", "Edm.Int32", nullable,
                 lambda r: expr(r, billable=True), calculated=True)]


def parent_navs(*, parent_item_nullable: bool) -> list[Member]:
    """``ParentItem`` (v3.0), ``Parent`` (v3.1+), ``Root`` (v3.2+) of a work-item type."""
    return [Nav("ParentItem", "ReportingWorkItemParent", False, None, ref=wi_parent,
                present=_wi_present, until="v3.0", nullable=parent_item_nullable),
            Nav("Parent", "ReportingWorkItemParent", False, None, ref=wi_parent,
                present=_wi_present, since="v3.1"),
            Nav("Root", "ReportingWorkItemParent", False, None, ref=wi_root,
                present=_wi_present, since="v3.2")]


WORK_ITEM_FLAT = register(StructuredType(
    "ReportingWorkItemFlat",
    [
        *work_item_block(head=True, head_nullable=True),
        *tracked_itself_props(nullable=True, expr=tracked),
        *parent_navs(parent_item_nullable=False),
        Nav("Children", "ReportingWorkItemFlat", True, "workItems",
            owner=lambda r: r.c.parent_id),
        Nav("DirectWorklogs", "ReportingWorkLog", True, "workLogsOnly",
            owner=lambda r: r.c.work_item_id),
        Nav("AllWorklogs", "ReportingWorkLog", True, "workLogsOnly",
            owner_for_keys=_subtree_owner, since="v3.1"),
    ],
    entity=True, key="System_Id", table=WI,
))



# ---------------------------------------------------------------------------------------------
# The hierarchy sets: roll-ups over the subtree kept in the hierarchy_path / root_id columns
# ---------------------------------------------------------------------------------------------
def _off_tree(r: Ref) -> ColumnElement[bool]:
    """Items on a parent cycle have no path (store/derived.py): their subtree is themselves."""
    return r.c.hierarchy_path.is_(None)


def _worklog_scope(params: Params, name: str) -> tuple[Scope, Ref, Ref, list[Any]]:
    """A scope over the worklogs that count (not deleted; worklogsFilter, prefilter=Me) joined
    to their work item: (scope, worklog ref, work-item ref, conditions)."""
    sub = Scope(WL.alias(name), params)
    wl = sub.root()
    # the key of wl_work_item's join: a worklogsFilter on WorkItem/... reuses this alias
    item = wl.join("work_item", _alias(WI)(lambda w: w.c.id == wl.c.work_item_id), inner=True)
    conditions: list[Any] = [wl.c.is_deleted == 0]
    if params.worklog_conditions is not None:
        conditions += params.worklog_conditions(sub, wl)
    return sub, wl, item, conditions


def subtree_sums(r: Ref) -> Ref:
    """For a query whose output keys are known (a page: ``Scope.keys``): one grouped pass over
    the subtrees of all its items, joined by key, with the four Tracked* sums as columns
    ``total``, ``total_billable``, ``itself``, ``itself_billable`` (what a hand-written query
    does; a correlated subquery per value would walk every subtree once per value)."""
    def make() -> tuple[FromClause, ColumnElement[bool]]:
        sub, wl, item, conditions = _worklog_scope(r.scope.params, "gw")
        anchor = sub.join("/anchor", _alias(WI)(lambda a: and_(
            a.c.id.in_(r.scope.keys), *subtree_of(a.c, item.c))), inner=True)
        length, billable = wl.c.length, billable_seconds(wl)
        own = item.c.id == anchor.c.id
        sums = select(anchor.c.id.label("id"), func.sum(length).label("total"),
                      func.sum(billable).label("total_billable"),
                      func.sum(case((own, length))).label("itself"),
                      func.sum(case((own, billable))).label("itself_billable")) \
            .select_from(sub.from_clause()).where(*conditions).group_by(anchor.c.id) \
            .subquery("subtree_sums")
        return sums, sums.c.id == r.c.id
    return r.join("subtree_sums", make)


def _paged(r: Ref) -> bool:
    """Use ``subtree_sums`` for the item at ``r``: its query outputs known keys, and a
    worklogsFilter needs the worklog rows themselves. (Without one, a correlated sum reads
    only the covering worklog index, which measured faster than the grouped pass; with one,
    every value read the same rows again: ~2.4x a hand-written query with two Tracked*.)"""
    return r.scope.keys is not None and r.path == "" and r.scope.params.has_worklogs_filter


def tracked_total(r: Ref, *, billable: bool) -> ColumnElement[Any]:
    """Seconds of the (filtered) worklogs on the item at ``r`` and on all its descendants:
    from ``subtree_sums`` on a page, else a correlated aggregate walking the subtree's index
    range, then each item's worklogs."""
    if _paged(r):
        column = "total_billable" if billable else "total"
        total: Any = func.coalesce(subtree_sums(r).c[column], 0)
    else:
        sub, wl, item, conditions = _worklog_scope(r.scope.params, "sw")
        value = billable_seconds(wl) if billable else wl.c.length
        total = select(func.coalesce(func.sum(value), 0)).select_from(sub.from_clause()) \
            .where(*subtree_of(r.c, item.c), *conditions).scalar_subquery()
    return cast(case((_off_tree(r), tracked(r, billable=billable)), else_=total), Integer)


def tracked_itself(r: Ref, *, billable: bool) -> ColumnElement[Any]:
    """TrackedItself(Billable) of hierarchy items: from ``subtree_sums`` on a page."""
    if not _paged(r):
        return tracked(r, billable=billable)
    own = func.coalesce(subtree_sums(r).c["itself_billable" if billable else "itself"], 0)
    return cast(case((_off_tree(r), tracked(r, billable=billable)), else_=own), Integer)


def has_children(r: Ref) -> ColumnElement[Any]:
    child = WI.alias("hc")
    return select(literal(1)).where(child.c.parent_id == r.c.id).exists()


def rollup_value(r: Ref, slot: int) -> ColumnElement[Any]:
    """RollupValueN: the N-th ``rollupFields`` field summed over the item and its descendants
    (null when none of them has a value, or without an N-th field)."""
    fields = r.scope.params.rollup_fields
    if slot > len(fields):
        return null()
    name = fields[slot - 1]
    d = Scope(WI.alias("rd"), r.scope.params).root()

    def value(ref: Ref) -> ColumnElement[Any]:
        column = field_column(ref, name)
        return column if column is not None else func.json_extract(ref.c.fields, f'$."{name}"')

    total = select(func.sum(value(d))).select_from(d.t).where(*subtree_of(r.c, d.c)) \
        .scalar_subquery()
    return case((_off_tree(r), value(r)), else_=total)


def _rollup(slot: int) -> Callable[[Ref], ColumnElement[Any]]:
    return lambda r: rollup_value(r, slot)


def _roots_only(r: Ref) -> list[ColumnElement[bool]]:
    """workItemsHierarchy: items at the top of their tree (no parent, or a dangling one)."""
    return [r.c.root_id == r.c.id]


WORK_ITEM_HIERARCHY = register(StructuredType(
    "ReportingWorkItemHierarchy",
    [
        *work_item_block(head=True, head_nullable=False),
        *tracked_itself_props(nullable=False, expr=tracked_itself),
        Prop("TrackedTotal", "Edm.Int32", False, lambda r: tracked_total(r, billable=False),
             calculated=True),
        Prop("TrackedTotalBillable", "Edm.Int32", False,
             lambda r: tracked_total(r, billable=True), calculated=True),
        Prop("HasChildren", "Edm.Boolean", False, has_children),
        *[Prop(f"RollupValue{n}", "Edm.Double", True, _rollup(n))
          for n in range(1, ROLLUP_SLOTS + 1)],
        *parent_navs(parent_item_nullable=True),
        Nav("Children", "ReportingWorkItemHierarchy", True, None,
            owner=lambda r: r.c.parent_id, page_size=100),
        Nav("DirectWorklogs", "ReportingWorkLog", True, "workLogsOnly",
            owner=lambda r: r.c.work_item_id),
        Nav("AllWorklogs", "ReportingWorkLog", True, "workLogsOnly",
            owner_for_keys=_subtree_owner),
    ],
    entity=True, key="System_Id", table=WI,
))


def budget_total(r: Ref, *, billable: bool) -> ColumnElement[Any]:
    """Seconds of the worklogs whose effective budget is the budget at ``r`` (the worklog's
    own budget, else its work item's). As one condition, ``coalesce(...) = id``, no index
    applies (a scan of every worklog per budget: minutes at 1M); split, each part is an index
    walk: the worklogs assigned to the budget themselves, plus all worklogs on the items that
    inherit it (covering index), minus those of them that carry a budget of their own (rare
    overrides, found through the worklogs' budget_id index)."""
    def part(name: str, where: Callable[[Any, Any], list[ColumnElement[bool]]],
             with_item: bool) -> ColumnElement[Any]:
        wl = Scope(WL.alias(name), r.scope.params).root()
        item = WI.alias(f"{name}_item")
        source = wl.t.join(item, item.c.id == wl.c.work_item_id) if with_item else wl.t
        value = billable_seconds(wl) if billable else wl.c.length
        return select(func.coalesce(func.sum(value), 0)).select_from(source) \
            .where(wl.c.is_deleted == 0, *where(wl.c, item.c)).scalar_subquery()

    def by_budget(name: str, condition: Callable[[Any], ColumnElement[bool]]
                  ) -> list[ColumnElement[bool]]:
        # rows through the budget_id index, whatever the statistics say (ANALYZE on data
        # where almost no worklog has a budget of its own makes SQLite scan the table)
        inner = WL.alias(f"{name}_ix")
        rows: Any = select(literal_column(f"{name}_ix.rowid")).select_from(inner) \
            .where(condition(inner.c)).correlate_except(inner)
        return [literal_column(f"{name}.rowid").in_(rows)]

    def item_budget(w: Any) -> ColumnElement[Any]:
        item = WI.alias("bw_ovr_item")
        return select(item.c.effective_budget_id).where(item.c.id == w.work_item_id) \
            .scalar_subquery()

    own = part("bw_own", lambda w, i: by_budget("bw_own", lambda x: x.budget_id == r.c.id),
               False)
    inherited = part("bw_inh", lambda w, i: [i.effective_budget_id == r.c.id], True)
    overridden = part("bw_ovr", lambda w, i: [
        *by_budget("bw_ovr", lambda x: x.budget_id.is_not(None)), item_budget(w) == r.c.id],
        False)
    return cast(own + inherited - overridden, Integer)


BUDGET_EXTENDED = register(StructuredType(
    "ReportingBudgetExtended",
    [
        Prop("Id", "Edm.Guid", False, _col("id")),
        Prop("BudgetName", "Edm.String", True, _col("name")),
        Prop("Planned", "Edm.Int32", False, _col("planned")),
        Prop("Tracked", "Edm.Int32", True, lambda r: budget_total(r, billable=False)),
        Prop("Billed", "Edm.Int32", True, lambda r: budget_total(r, billable=True)),
        Prop("Comment", "Edm.String", True, _col("comment")),
        Prop("Closed", "Edm.Boolean", False, _col("closed")),
        Prop("ClosedDate", "Edm.DateTimeOffset", True, _col("closed_date")),
        Prop("CreatedDate", "Edm.DateTimeOffset", True, _col("created_date")),
        Nav("WorkItems", "ReportingWorkItemFlat", True, "workItems",
            owner=lambda r: r.c.effective_budget_id),
        Nav("Worklogs", "ReportingWorkLog", True, "workLogsOnly", owner=wl_budget_id),
    ],
    entity=True, key="Id", table=BUD,
))

ENUM_TYPES = {"BudgetAssignmentType": BUDGET_ASSIGNMENT_TYPES}

ENTITY_SETS: list[EntitySet] = [
    EntitySet("workLogsOnly", "ReportingWorkLog", 1000, worklogs=True),
    EntitySet("budgets", "ReportingBudgetExtended", 1000),
    EntitySet("workLogsWorkItems", "ReportingWorkLogWorkItem", 1000, worklogs=True),
    EntitySet("workItemsHierarchy", "ReportingWorkItemHierarchy", 100, where=_roots_only),
    EntitySet("workItemsHierarchyAllLevels", "ReportingWorkItemHierarchy", 100),
    EntitySet("workItems", "ReportingWorkItemFlat", 100),
    EntitySet("workLogsOnlyWithDeleted", "ReportingWorkLogWithDeleted", 1000,
              since="v3.3-beta", with_deleted=True, worklogs=True),
    EntitySet("workLogsWorkItemsWithDeleted", "ReportingWorkLogWorkItemWithDeleted", 1000,
              since="v3.3-beta", with_deleted=True, worklogs=True),
]
# Sets of the vendor model not built yet: 501 naming the set (none left).
PLANNED_SETS: tuple[str, ...] = ()


def entity_sets(version: str) -> list[EntitySet]:
    return [s for s in ENTITY_SETS if version_ok(version, s.since, s.until)]


def find_set(name: str, version: str) -> EntitySet | None:
    lower = name.lower()
    for s in entity_sets(version):
        if s.name.lower() == lower:
            return s
    return None


def types_for(version: str) -> Iterator[StructuredType]:
    """Types reachable from the version's entity sets, in registration order."""
    wanted: set[str] = set()

    def visit(t: StructuredType) -> None:
        if t.name in wanted:
            return
        wanted.add(t.name)
        for m in t.members_for(version):
            if isinstance(m, Complex):
                visit(m.type)
            elif isinstance(m, Nav):
                visit(TYPES[m.target])

    for s in entity_sets(version):
        visit(TYPES[s.type])
    return (t for t in TYPES.values() if t.name in wanted)
