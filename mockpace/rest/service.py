"""REST CRUD rules: rights, validation, approval locks and the SQL behind each endpoint.

Keyword-only functions called by the thin routes in router.py. Every write runs in one
``Store.write()`` transaction (BEGIN IMMEDIATE), so checks and writes cannot interleave with
another request's, and a batch is all-or-nothing. A worklog page is one SELECT whatever its
size, rendered to JSON by the database (see wire.py).
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import text
from sqlmodel import Session, col, select

from mockpace.common.auth import Caller, require_any_role, require_role, user_from_row
from mockpace.common.errors import SevenPaceError
from mockpace.common.timefmt import (
    TimeFormatError,
    has_offset,
    parse_date,
    parse_datetime,
    to_local,
)
from mockpace.common.versions import version_tuple
from mockpace.rest.params import (
    RestQuery,
    checked_day,
    parse_guid,
    worklog_filter,
)
from mockpace.rest.schemas import (
    RoleAssignment,
    WorkLogInput,
    bad_body,
    lower_keys,
    role_assignments,
    week_submission,
    worklog_input,
)
from mockpace.rest.wire import (
    NOT_SET,
    account_json,
    activity_type_json,
    approval_json,
    json_array,
    user_json,
    user_with_role_json,
    with_utc_timestamp,
    worklog_select,
    worklog_select_one,
)
from mockpace.store import ActivityType, Organization, TimeApproval, User, WorkLog, db_datetime
from mockpace.store.tables import (
    APPROVAL_APPROVED,
    APPROVAL_CLOSED,
    APPROVAL_REOPENED,
    APPROVAL_SUBMITTED,
    NOT_SET_ACTIVITY_TYPE_ID,
    ROLES,
)

ADMIN = "Administrator"
WORKLOG_READERS = ("Administrator", "Budget", "Product")  # workLogs/all and others' worklogs
APPROVAL_READERS = ("Administrator", "Approval Manager")
LOCKING_STATES = (APPROVAL_APPROVED, APPROVAL_CLOSED)
MAX_BATCH = 500
# Role ids are not published; mockpace derives stable GUIDs from the role names.
_ROLE_NAMESPACE = uuid.UUID("7a3e0c52-2f49-4b47-9a0e-6d7061636501")
ROLE_IDS: dict[str, str] = {name: str(uuid.uuid5(_ROLE_NAMESPACE, name)) for name in ROLES}
STATE_NAMES = {APPROVAL_SUBMITTED: "submitted", APPROVAL_REOPENED: "reopened",
               APPROVAL_APPROVED: "approved", APPROVAL_CLOSED: "closed"}


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def local_week(instant: datetime, offset_minutes: int) -> date:
    """Monday of the user-local week (Monday to Sunday) that holds ``instant``."""
    return monday_of(to_local(instant, offset_minutes).date())


def not_found(what: str, ident: Any, **fields: Any) -> SevenPaceError:
    return SevenPaceError("EntityNotFound", f"{what} '{ident}' was not found.",
                          fields={"id": str(ident), **fields})


def no_rights(action: str, owner: User, caller: Caller) -> SevenPaceError:
    return SevenPaceError(
        "NoRightsToWorkLogModification",
        f"The caller may not {action} a worklog of another user ({owner.unique_name}): that "
        f"needs the role Administrator; the caller's role is {caller.role}.",
        fields={"userId": owner.id, "role": caller.role},
    )


# -- users, roles, activity types -------------------------------------------------------------

def _page_sql(count: int, skip: int) -> str:
    return f" LIMIT {int(count)} OFFSET {int(skip)}"


_ME_SQL = (
    "SELECT o.vsts_id, o.vsts_collection_id, o.collection, o.id, t.color, t.name, t.id "
    "FROM organizations o LEFT JOIN activity_types t ON t.id = ? LIMIT 2"
)


def me(*, caller: Caller, query: RestQuery) -> dict[str, Any]:
    """GET me: no role needed (even None). One raw statement (cheap enough for the event
    loop); the ORM read below only when the organization row is not exactly one (its error)."""
    rows = caller.context.org.store.fast_rows(
        _ME_SQL, (caller.user.default_activity_type_id or "",))
    if len(rows) == 1:
        vsts_id, vsts_collection_id, collection, org_id, color, name, type_id = rows[0]
        return {
            "user": user_json(caller.user, expand_display_name=query.expand_display_name()),
            "account": {"vstsId": vsts_id, "vstsCollectionId": vsts_collection_id,
                        "name": collection, "id": org_id},
            "defaultActivityType": ({"color": color, "name": name, "id": type_id}
                                    if type_id is not None else None),
            "timeZone": caller.user.timezone_offset,
        }
    with caller.context.org.store.read() as session:
        org = session.exec(select(Organization)).one()
        default_type = (session.get(ActivityType, caller.user.default_activity_type_id)
                        if caller.user.default_activity_type_id else None)
    return {
        "user": user_json(caller.user, expand_display_name=query.expand_display_name()),
        "account": account_json(org),
        "defaultActivityType": activity_type_json(default_type) if default_type else None,
        "timeZone": caller.user.timezone_offset,
    }


def list_users(*, caller: Caller, query: RestQuery) -> list[dict[str, Any]]:
    require_any_role(caller, "GET users")
    count, skip = query.page()
    expand = query.expand_display_name()
    with caller.context.org.store.read() as session:
        users = session.exec(select(User).order_by(col(User.name), col(User.id))
                             .offset(skip).limit(count)).all()
    return [user_json(u, expand_display_name=expand) for u in users]


def get_user(*, caller: Caller, user_id: str, query: RestQuery) -> dict[str, Any]:
    require_any_role(caller, "GET users/{id}")
    ident = parse_guid(user_id, "id")
    with caller.context.org.store.read() as session:
        user = session.get(User, ident)
    if user is None:
        raise not_found("User", ident)
    return user_json(user, expand_display_name=query.expand_display_name())


def list_user_roles(*, caller: Caller, query: RestQuery) -> list[dict[str, Any]]:
    require_role(caller, (ADMIN,), "GET users/roles")
    count, skip = query.page()
    expand = query.expand_display_name()
    include_none = query.boolean("includeNoneRoles", dollar=False)
    statement = select(User)
    if not include_none:
        statement = statement.where(User.role != "None")
    with caller.context.org.store.read() as session:
        users = session.exec(statement.order_by(col(User.name), col(User.id))
                             .offset(skip).limit(count)).all()
    return [user_with_role_json(u, ROLE_IDS.get(u.role, ROLE_IDS["None"]),
                                expand_display_name=expand) for u in users]


def _resolve_role(entry: RoleAssignment) -> str:
    if entry.role_id is not None:
        for name, role_id in ROLE_IDS.items():
            if role_id == entry.role_id.strip().lower():
                return name
        raise ValueError(f"Unknown role id '{entry.role_id}'.")
    if entry.role_name is not None:
        for name in ROLES:
            if name.lower() == entry.role_name.strip().lower():
                return name
        raise ValueError(f"Unknown role name '{entry.role_name}'. Roles: {', '.join(ROLES)}.")
    raise ValueError("The role is missing: give role.id or role.name.")


def _resolve_user(session: Session, entry: RoleAssignment) -> User:
    given = [(k, v) for k, v in (("id", entry.user_id), ("vstsId", entry.vsts_id),
                                 ("email", entry.email)) if v]
    if len(given) != 1:
        raise ValueError("Identify the user by exactly one of id, vstsId or email.")
    key, value = given[0]
    value = value.strip()
    if key == "id":
        try:
            user = session.get(User, str(uuid.UUID(value)))
        except ValueError:
            raise ValueError(f"The user id '{value}' is not a GUID.") from None
    elif key == "vstsId":
        user = session.exec(select(User).where(User.vsts_id == value.lower())).first()
    else:
        user = session.exec(select(User).where(
            col(User.email).ilike(value.replace("\\", "\\\\").replace("%", "\\%")
                                  .replace("_", "\\_"), escape="\\"))).first()
    if user is None:
        raise ValueError(f"No user with {key} '{value}'.")
    return user


def assign_roles(*, caller: Caller, body: Any) -> dict[str, Any]:
    """POST users/roles. Without ``skipErrors`` one failing entry means nothing is written."""
    require_role(caller, (ADMIN,), "POST users/roles")
    skip_errors, entries = role_assignments(body)
    failed: list[dict[str, Any]] = []
    changes: list[tuple[User, str]] = []
    with caller.context.org.store.write() as session:
        for entry in entries:
            try:
                changes.append((_resolve_user(session, entry), _resolve_role(entry)))
            except ValueError as exc:
                failed.append({"entity": entry.raw, "error": {"message": str(exc)}})
        if failed and not skip_errors:
            return {"succeeded": 0, "failed": len(failed), "failedEntries": failed}
        for user, role in changes:
            user.role = role
            session.add(user)
    return {"succeeded": len(changes), "failed": len(failed), "failedEntries": failed}


def activity_types(*, caller: Caller) -> dict[str, Any]:
    require_any_role(caller, "GET activityTypes")
    with caller.context.org.store.read() as session:
        rows = session.exec(select(ActivityType).order_by(col(ActivityType.position),
                                                          col(ActivityType.name))).all()
        org = session.exec(select(Organization)).first()
    items = [activity_type_json(t) for t in rows]
    if not any(t.id == NOT_SET_ACTIVITY_TYPE_ID for t in rows):
        items.insert(0, dict(NOT_SET))
    return {
        "enabled": caller.context.settings.activity_types_enabled,
        "activityTypes": items,
        "systemDefaultActivityTypeId": (org.system_default_activity_type_id if org
                                        else NOT_SET_ACTIVITY_TYPE_ID),
    }


def activity_type(*, caller: Caller, type_id: str) -> dict[str, Any]:
    require_any_role(caller, "GET activityTypes/{id}")
    ident = parse_guid(type_id, "id")
    if not caller.context.settings.activity_types_enabled:
        raise SevenPaceError("ActivityTypeDisabled",
                             "Activity types are disabled for this organization.",
                             fields={"id": ident})
    with caller.context.org.store.read() as session:
        row = session.get(ActivityType, ident)
    if row is None and ident == NOT_SET_ACTIVITY_TYPE_ID:
        return dict(NOT_SET)
    if row is None:
        raise not_found("Activity type", ident)
    return activity_type_json(row)


# -- worklogs: reading ------------------------------------------------------------------------

def _render_params(caller: Caller, params: dict[str, Any], *, expand: bool,
                   editable: bool) -> dict[str, Any]:
    return {**params, "expand": expand, "editable": editable, "caller": caller.user.id,
            "admin": caller.role == ADMIN}


def _select_worklogs(session: Session, caller: Caller, where: Sequence[str],
                     params: dict[str, Any], *, expand: bool = False, editable: bool = False,
                     page: tuple[int, int] | None = None,
                     single: bool = False) -> list[tuple[str, str, str]]:
    """(id, owner id, worklog JSON) of the worklogs matching ``where``: one SELECT, rendered by
    the database. Runs on the session's connection (inside a write, it sees the write).
    ``single``: ``where`` matches one worklog at most (by id), the cheaper statement."""
    sql = (worklog_select_one(" AND ".join(where)) if single
           else worklog_select(" AND ".join(where), _page_sql(*page) if page else ""))
    bound = _render_params(caller, params, expand=expand, editable=editable)
    # Straight to the driver (named :params are sqlite3's own style): no statement compiling.
    rows = session.connection().exec_driver_sql(sql, bound).fetchall()
    return [(r[0], r[1], r[2]) for r in rows]


def list_worklogs(*, caller: Caller, query: RestQuery, all_users: bool) -> str:
    """GET workLogs (the caller's) and workLogs/all: filters, order and paging in SQL; the
    JSON array of the page."""
    if all_users:
        require_any_role(caller, "GET workLogs/all")
        require_role(caller, WORKLOG_READERS, "GET workLogs/all")
    else:
        require_any_role(caller, "GET workLogs")
    spec = worklog_filter(query, caller.user.timezone_offset)
    where = ["w.is_deleted = 0"]
    params: dict[str, Any] = {}
    if not all_users:
        where.append("w.user_id = :uid")
        params["uid"] = caller.user.id
    for column, op, name, value in (
        ("w.timestamp", ">", "from_ts", spec.from_timestamp),
        ("w.timestamp", "<", "to_ts", spec.to_timestamp),
        ("w.created_timestamp", ">", "from_created", spec.from_created),
        ("w.created_timestamp", "<", "to_created", spec.to_created),
    ):
        if value is not None:
            where.append(f"{column} {op} :{name}")
            params[name] = db_datetime(value)
    if spec.work_item_ids is not None:
        ids = ", ".join(str(int(i)) for i in spec.work_item_ids) or "NULL"
        where.append(f"w.work_item_id IN ({ids})")
    if spec.count == 0:
        return "[]"
    # One statement on the raw read connection (its own snapshot), not a Session.
    sql = worklog_select(" AND ".join(where), _page_sql(spec.count, spec.skip))
    rows = caller.context.org.store.fast_read(sql, _render_params(
        caller, params, expand=spec.expand_display_name, editable=spec.include_editable))
    return json_array([r[2] for r in rows])


def get_worklog(*, caller: Caller, worklog_id: str, query: RestQuery) -> str:
    require_any_role(caller, "GET workLogs/{id}")
    ident = parse_guid(worklog_id, "id")
    with caller.context.org.store.read() as session:
        rows = _select_worklogs(session, caller, ["w.id = :id", "w.is_deleted = 0"],
                                {"id": ident}, expand=query.expand_display_name(),
                                editable=query.boolean("includeEditable"), single=True)
    if not rows:
        raise not_found("Worklog", ident)
    _, owner, rendered = rows[0]
    if owner != caller.user.id and caller.role not in WORKLOG_READERS:
        require_role(caller, WORKLOG_READERS, "reading another user's worklog")
    return rendered


# -- worklogs: writing ------------------------------------------------------------------------

_INSERT_SQL = (
    "INSERT INTO worklogs (id, user_id, added_by_user_id, edited_by_user_id, timestamp, length,"
    " billable_length, work_item_id, comment, activity_type_id, budget_id, created_timestamp,"
    " edited_timestamp, is_tracked, is_manually_entered, is_changed, is_tracked_extended,"
    " is_imported, is_from_api, is_billable, is_deleted) VALUES (:id, :user_id, :added_by,"
    " :edited_by, :timestamp, :length, :billable_length, :work_item_id, :comment,"
    " :activity_type_id, NULL, :created, :edited, 0, :manual, 0, 0, 0, :from_api, :billable, 0)"
)
_INSERT = text(_INSERT_SQL)
_USER_COLUMNS = tuple(User.model_fields)
_USER_SQL = f"SELECT {', '.join(_USER_COLUMNS)} FROM users WHERE id = ?"


class WriteScope:
    """Lookups shared by the items of one write (users, activity types, approval states),
    read through the write transaction and cached, so a batch of 500 costs a few queries."""

    def __init__(self, session: Session | None, caller: Caller,
                 conn: sqlite3.Connection | None = None) -> None:
        # Either an ORM session (update, delete, batches) or the raw connection of
        # ``Store.raw_write`` (single creates, the hot path).
        self._session = session
        self.conn = conn
        self.caller = caller
        self.now = caller.context.now()
        self.settings = caller.context.settings
        self._users: dict[str, User | None] = {caller.user.id: caller.user}
        self._types: dict[str, bool] = {}
        self._items: dict[int, bool] = {}
        self._org_default: str | None = None
        self._weeks: dict[tuple[str, date], int | None] = {}

    @property
    def is_admin(self) -> bool:
        return self.caller.role == ADMIN

    @property
    def session(self) -> Session:
        assert self._session is not None, "an ORM write scope"
        return self._session

    def _first(self, sql: str, params: dict[str, Any]) -> Any:
        if self.conn is not None:
            return self.conn.execute(sql, params).fetchone()
        return self.session.execute(text(sql), params).first()

    def user(self, user_id: str) -> User:
        if user_id not in self._users:
            if self.conn is not None:
                found = self.conn.execute(_USER_SQL, (user_id,)).fetchone()
                self._users[user_id] = user_from_row(found) if found else None
            else:
                self._users[user_id] = self.session.get(User, user_id)
        user = self._users[user_id]
        if user is None:
            raise not_found("User", user_id, property="userId")
        return user

    def activity_type_id(self, requested: str | None, owner: User, *, given: bool) -> str | None:
        """The stored activity type id (NULL for [Not Set]); default: the owner's, else the
        organization's system default."""
        if not given:
            requested = owner.default_activity_type_id or self.org_default_type()
            if requested is not None and not self._type_exists(requested):
                requested = None  # a dangling default falls back to [Not Set]
        if requested is None or requested == NOT_SET_ACTIVITY_TYPE_ID:
            return None
        if not self._type_exists(requested):
            raise not_found("Activity type", requested, property="activityTypeId")
        return requested

    # Core SQL, not ORM gets: these run on every create, where ORM overhead dominated.
    def _type_exists(self, type_id: str) -> bool:
        if type_id not in self._types:
            self._types[type_id] = self._first(
                "SELECT 1 FROM activity_types WHERE id = :i", {"i": type_id}) is not None
        return self._types[type_id]

    def check_work_item(self, item_id: int | None) -> None:
        """404 ``EntityNotFound`` unless ``item_id`` (``None``: no work item) is a work item of
        the organization, as the Tracking API checks ``tfsId`` (docs/emulation.md section 6)."""
        if item_id is None:
            return
        if item_id not in self._items:
            self._items[item_id] = self._first(
                "SELECT 1 FROM work_items WHERE id = :i", {"i": item_id}) is not None
        if not self._items[item_id]:
            raise SevenPaceError("EntityNotFound", f"Work item {item_id} does not exist.",
                                 fields={"id": str(item_id), "property": "workItemId"})

    def org_default_type(self) -> str | None:
        if self._org_default is None:
            found = self._first(
                "SELECT system_default_activity_type_id FROM organizations LIMIT 1", {})
            self._org_default = (found[0] if found else None) or ""
        return self._org_default or None

    def week_state(self, user_id: str, week: date) -> int | None:
        key = (user_id, week)
        if key not in self._weeks:
            found = self._first(
                "SELECT approval_state FROM time_approvals WHERE user_id = :u "
                "AND week_start = :w", {"u": user_id, "w": week.isoformat()})
            self._weeks[key] = found[0] if found else None
        return self._weeks[key]

    def check_unlocked(self, owner: User, instant: datetime) -> None:
        week = local_week(instant, owner.timezone_offset)
        state = self.week_state(owner.id, week)
        if state in LOCKING_STATES:
            raise SevenPaceError(
                "ApprovalStateFailed",
                f"The week {week.isoformat()} to {(week + timedelta(days=6)).isoformat()} of "
                f"{owner.unique_name} is {STATE_NAMES[state]}: its worklogs cannot be created, "
                "changed or deleted.",
                fields={"weekStart": week.isoformat(), "approvalState": state,
                        "userId": owner.id},
            )

    def check_not_future(self, owner: User, instant: datetime) -> None:
        if not self.settings.prevent_future_time:
            return
        day = to_local(instant, owner.timezone_offset).date()
        today = to_local(self.now, owner.timezone_offset).date()
        if day > today:
            raise SevenPaceError(
                "FutureCheckFailed",
                f"The worklog's date {day.isoformat()} is after today ({today.isoformat()}, "
                f"{owner.unique_name}'s local time): the organization prevents time tracking "
                "beyond the present day.",
                fields={"property": "timeStamp", "date": day.isoformat()},
            )

    def parse_timestamp(self, value: str, owner: User) -> datetime:
        try:
            instant = parse_datetime(value, owner.timezone_offset)
            checked_day(instant.date())
        except (ValueError, OverflowError) as exc:  # TimeFormatError, bad offset, overflow
            raise bad_body(f"'timeStamp': {exc or 'not a valid date-time'}",
                           property="timeStamp") from None
        return instant


LENGTH_MIN = 1  # seconds: a worklog's length is positive (create and update)
BILLABLE_MIN = 0  # a billable length is never negative


def check_length(length: int | None, billable: int | None) -> None:
    if length is None:
        raise SevenPaceError("LengthIsRequired",
                             "The length is required: give 'length' in seconds (3600 = 1 hour).",
                             fields={"property": "length"})
    if length < LENGTH_MIN:
        raise SevenPaceError("LengthMustBePositive",
                             f"The length must be a positive number of seconds, got {length}.",
                             fields={"property": "length", "value": length})
    if billable is not None and billable < BILLABLE_MIN:
        raise SevenPaceError("DbValidationError",
                             f"'billableLength' must not be negative, got {billable}.",
                             fields={"property": "billableLength", "value": billable})


def check_work_item_or_comment(work_item_id: int | None, comment: str | None) -> None:
    if work_item_id is None and not (comment and comment.strip()):
        raise SevenPaceError(
            "WorkItemIdOrCommentRequired",
            "A worklog needs a work item ('workItemId') or a non-empty 'comment'.",
            fields={"properties": ["workItemId", "comment"]},
        )


def api_flags(version: str) -> bool:
    """API-created worklogs: 3.2 and later isFromApi/isManuallyEntered true, 3.0/3.1 false."""
    return version_tuple(version) >= (3, 2)


def _prepare_create(scope: WriteScope, item: WorkLogInput, version: str) -> dict[str, Any]:
    """Validate one creation model and return the row to insert (nothing written yet)."""
    caller = scope.caller
    # Body rules first (422), then rights (403), then references (404), then time (409/422).
    check_length(item.length, item.billable_length)
    check_work_item_or_comment(item.work_item_id, item.comment)
    owner_id = item.user_id or caller.user.id
    if owner_id != caller.user.id and not scope.is_admin:
        raise no_rights("create", scope.user(owner_id), caller)
    owner = scope.user(owner_id)
    scope.check_work_item(item.work_item_id)
    type_id = scope.activity_type_id(item.activity_type_id, owner,
                                     given="activitytypeid" in item.present)
    stamp = scope.parse_timestamp(item.timestamp, owner) if item.timestamp else scope.now
    scope.check_not_future(owner, stamp)
    scope.check_unlocked(owner, stamp)
    flag = api_flags(version)
    now = db_datetime(scope.now)
    return {
        "id": str(uuid.uuid4()), "user_id": owner.id, "added_by": caller.user.id,
        "edited_by": caller.user.id, "timestamp": db_datetime(stamp), "length": item.length,
        "billable_length": item.billable_length, "work_item_id": item.work_item_id,
        "comment": item.comment, "activity_type_id": type_id, "created": now, "edited": now,
        "manual": flag, "from_api": flag,
        "billable": bool(item.billable_length and item.billable_length > 0),
    }


def create_worklog(*, caller: Caller, version: str, body: Any, query: RestQuery,
                   wait: bool = True) -> str:
    """POST workLogs, on ``Store.raw_write`` (no ORM session: the Session's set-up and commit
    cost more than the SQL of one create); ``wait=False`` raises ``WriteBusy`` instead of
    waiting for the write lock (callers on the event loop)."""
    require_any_role(caller, "POST workLogs")
    item = worklog_input(body)
    with caller.context.org.store.raw_write(wait=wait) as conn:
        row = _prepare_create(WriteScope(None, caller, conn), item, version)
        conn.execute(_INSERT_SQL, row)
        sql = worklog_select_one("w.id = :id")
        found = conn.execute(sql, _render_params(caller, {"id": row["id"]},
                                                 expand=query.expand_display_name(),
                                                 editable=False)).fetchone()
    return _create_echo(str(found[2]), item)


def _create_echo(rendered: str, item: WorkLogInput) -> str:
    """The create answer echoes a ``timeStamp`` sent with ``Z`` or an offset in UTC with ``Z``
    (a real 3.2 capture); reads render it in the owner's local time (docs/emulation.md s5)."""
    if item.timestamp is None or not has_offset(item.timestamp):
        return rendered
    return with_utc_timestamp(rendered, parse_datetime(item.timestamp))


@dataclass
class BatchItemError:
    index: int
    error: SevenPaceError

    def json(self) -> dict[str, Any]:
        return {"index": self.index, "statusCode": self.error.status,
                "errorCode": self.error.error_code,
                "errorDescription": self.error.description, "fields": self.error.fields}


def create_batch(*, caller: Caller, version: str, body: Any, query: RestQuery) -> str:
    """POST workLogs/batch: all items valid, or 422 with every item's error and nothing
    written. ``validateOnly`` runs the same work and rolls it back."""
    require_any_role(caller, "POST workLogs/batch")
    if isinstance(body, dict) and caller.context.settings.lenient_params:
        wrapped = lower_keys(body, "body").get("worklogs")
        if isinstance(wrapped, list):
            body = wrapped
    if not isinstance(body, list):
        raise bad_body("workLogs/batch takes a JSON array of worklog creation models",
                       property="body")
    if len(body) > MAX_BATCH:
        raise SevenPaceError(
            "BatchTooLarge",
            f"The batch holds {len(body)} worklogs; at most {MAX_BATCH} are allowed per call.",
            fields={"count": len(body), "maximum": MAX_BATCH},
        )
    validate_only = (query.boolean("validateOnly", dollar=False)
                     or query.boolean("validateOnly"))
    with caller.context.org.store.write() as session:
        scope = WriteScope(session, caller)
        rows: list[dict[str, Any]] = []
        errors: list[BatchItemError] = []
        for index, raw in enumerate(body):
            try:
                rows.append(_prepare_create(scope, worklog_input(raw, f"[{index}]"), version))
            except SevenPaceError as exc:
                errors.append(BatchItemError(index, exc))
        if errors:
            first = errors[0]
            raise SevenPaceError(
                "DbValidationError",
                f"The batch was rejected and nothing was written: {len(errors)} of {len(body)} "
                f"items are invalid. First: item {first.index}: {first.error.description}",
                fields={"items": [e.json() for e in errors]},
            )
        if not rows:
            return "[]"
        session.execute(_INSERT, rows)
        order = {row["id"]: i for i, row in enumerate(rows)}
        marks = ", ".join(f":i{n}" for n in order.values())
        found = _select_worklogs(session, caller, [f"w.id IN ({marks})"],
                                 {f"i{n}": wid for wid, n in order.items()},
                                 expand=query.expand_display_name())
        if validate_only:
            session.rollback()
    return json_array([r[2] for r in sorted(found, key=lambda r: order[r[0]])])


def _load_worklog(scope: WriteScope, ident: str) -> WorkLog:
    row = scope.session.get(WorkLog, ident)
    if row is None or row.is_deleted:
        raise not_found("Worklog", ident)
    return row


def _modifiable_worklog(scope: WriteScope, ident: str, action: str) -> tuple[WorkLog, User]:
    """The worklog and its owner, once the caller may ``action`` it (the owner or an
    Administrator) and its week is not locked."""
    log = _load_worklog(scope, ident)
    owner = scope.user(log.user_id)
    if owner.id != scope.caller.user.id and not scope.is_admin:
        raise no_rights(action, owner, scope.caller)
    scope.check_unlocked(owner, log.timestamp)
    return log, owner


def update_worklog(*, caller: Caller, worklog_id: str, body: Any, query: RestQuery) -> str:
    """PATCH workLogs/{id}: merge the sent properties; editedTimestamp/editedByUser move."""
    require_any_role(caller, "PATCH workLogs/{id}")
    ident = parse_guid(worklog_id, "id")
    item = worklog_input(body)
    with caller.context.org.store.write() as session:
        scope = WriteScope(session, caller)
        log, old_owner = _modifiable_worklog(scope, ident, "change")
        owner = old_owner
        if "userid" in item.present and item.user_id and item.user_id != log.user_id:
            if not scope.is_admin:
                raise no_rights("move to another user", scope.user(item.user_id), caller)
            owner = scope.user(item.user_id)
        present = item.present
        length = item.length if "length" in present else log.length
        billable = item.billable_length if "billablelength" in present else log.billable_length
        work_item = item.work_item_id if "workitemid" in present else log.work_item_id
        comment = item.comment if "comment" in present else log.comment
        check_length(length, billable)
        check_work_item_or_comment(work_item, comment)
        if "workitemid" in present:
            scope.check_work_item(work_item)
        type_id = (scope.activity_type_id(item.activity_type_id, owner, given=True)
                   if "activitytypeid" in present else log.activity_type_id)
        stamp = log.timestamp
        if item.timestamp is not None:
            stamp = scope.parse_timestamp(item.timestamp, owner)
            scope.check_not_future(owner, stamp)
        if stamp != log.timestamp or owner.id != old_owner.id:
            scope.check_unlocked(owner, stamp)
        if log.is_tracked and (length != log.length or stamp != log.timestamp):
            log.is_changed = True
        log.user_id = owner.id
        log.length = length  # type: ignore[assignment]  # checked by check_length
        log.billable_length = billable
        log.work_item_id = work_item
        log.comment = comment
        log.activity_type_id = type_id
        log.timestamp = stamp
        log.is_billable = bool(billable and billable > 0)
        log.edited_by_user_id = caller.user.id
        log.edited_timestamp = scope.now
        session.add(log)
        session.flush()
        rows = _select_worklogs(session, caller, ["w.id = :id"], {"id": ident},
                                expand=query.expand_display_name(), single=True)
    return rows[0][2]


def delete_worklog(*, caller: Caller, worklog_id: str) -> None:
    """DELETE workLogs/{id}: a soft delete with a new editedTimestamp."""
    require_any_role(caller, "DELETE workLogs/{id}")
    ident = parse_guid(worklog_id, "id")
    with caller.context.org.store.write() as session:
        scope = WriteScope(session, caller)
        log, _owner = _modifiable_worklog(scope, ident, "delete")
        log.is_deleted = True
        log.edited_timestamp = scope.now
        log.edited_by_user_id = caller.user.id
        session.add(log)


# -- time approvals ---------------------------------------------------------------------------

def list_approvals(*, caller: Caller, query: RestQuery) -> list[dict[str, Any]]:
    """GET timeApproval/all: weeks containing `$fromTimestamp` or after it, and containing
    `$toTimestamp` or before it (dates in the caller's local time)."""
    require_any_role(caller, "GET timeApproval/all")
    require_role(caller, APPROVAL_READERS, "GET timeApproval/all")
    count, skip = query.page()
    offset = caller.user.timezone_offset
    start = query.timestamp("fromTimestamp", offset)
    end = query.timestamp("toTimestamp", offset)
    statement = select(TimeApproval)
    if start is not None:
        statement = statement.where(TimeApproval.week_end >= to_local(start, offset).date())
    if end is not None:
        statement = statement.where(TimeApproval.week_start <= to_local(end, offset).date())
    statement = statement.order_by(col(TimeApproval.week_start).desc(), col(TimeApproval.id))
    with caller.context.org.store.read() as session:
        rows = session.exec(statement.offset(skip).limit(count)).all()
        ids = {i for r in rows for i in (r.user_id, r.assigned_manager_id,
                                         r.approved_by_manager_id) if i}
        users = {u.id: u for u in session.exec(select(User).where(col(User.id).in_(ids))).all()}
    expand = query.expand_display_name()
    return [approval_json(r, users, expand_display_name=expand) for r in rows]


def week_locked(week: date, state: int, action: str) -> SevenPaceError:
    return SevenPaceError(
        "ApprovalStateFailed",
        f"The week {week.isoformat()} is {STATE_NAMES[state]}; it can no longer be {action}.",
        fields={"weekStart": week.isoformat(), "approvalState": state},
    )


def _week_start(text_value: str) -> date:
    try:
        return monday_of(checked_day(parse_date(text_value)))
    except TimeFormatError as exc:
        raise bad_body(f"'weekStart': {exc}", property="weekStart") from None


def submit_week(*, caller: Caller, body: Any) -> bool:
    """POST timeApproval/week: the caller's week goes to the manager (state 1, submitted)."""
    require_any_role(caller, "POST timeApproval/week")
    submission = week_submission(body)
    week = _week_start(submission.week_start)
    now = caller.context.now()
    with caller.context.org.store.write() as session:
        scope = WriteScope(session, caller)
        if submission.assigned_manager_id:
            try:
                scope.user(submission.assigned_manager_id)
            except SevenPaceError:
                raise not_found("User", submission.assigned_manager_id,
                                property="assignedManagerId") from None
        record = session.exec(select(TimeApproval).where(
            TimeApproval.user_id == caller.user.id, TimeApproval.week_start == week)).first()
        if record is not None and record.approval_state in LOCKING_STATES:
            raise week_locked(week, record.approval_state, "submitted again")
        if record is None:
            record = TimeApproval(id=str(uuid.uuid4()), user_id=caller.user.id, week_start=week,
                                  week_end=week + timedelta(days=6),
                                  approval_state=APPROVAL_SUBMITTED, modification_timestamp=now)
        record.approval_state = APPROVAL_SUBMITTED
        record.submitted_timestamp = now
        record.modification_timestamp = now
        record.assigned_manager_id = submission.assigned_manager_id
        session.add(record)
    return True


def revoke_week(*, caller: Caller, week_start: date) -> bool:
    """DELETE timeApproval/week: withdraw the caller's submitted (or reopened) week; false
    when the week was not submitted."""
    require_any_role(caller, "DELETE timeApproval/week")
    week = monday_of(week_start)
    with caller.context.org.store.write() as session:
        record = session.exec(select(TimeApproval).where(
            TimeApproval.user_id == caller.user.id, TimeApproval.week_start == week)).first()
        if record is None:
            return False
        if record.approval_state in LOCKING_STATES:
            raise week_locked(week, record.approval_state, "revoked")
        session.delete(record)
    return True

