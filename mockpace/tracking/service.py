"""The tracking state machine (the 7pace Tracking contract, as decided in docs/emulation.md s7).

One ``tracking_sessions`` row per user holds the running (or last selected) track, so every client
of a user sees the same track. Every change runs in one ``Store.write()`` transaction (SQLite
``BEGIN IMMEDIATE``): two clients starting and stopping at once are serialized, so at most one
track runs and each track writes exactly one worklog (its id is fixed when the track starts).

Server-driven transitions (activity check expiry, maximum track length) are evaluated lazily
against the organization clock at the start of every call ("settling"): a test can move the clock
through the admin plane and the next call sees the check running, or the track stopped with
``clientInputRequired``. The ``state`` JSON column keeps what the table has no column for:

- ``worklogId``: id of the worklog the running track will write; ``lastWorklogId``: the one the
  last automatic stop wrote;
- ``timeZone``: the offset the client sent at start; ``billable``: its isBillable flag;
- ``inputRequired``: the server stopped the track and waits for the user (cleared by stop/start);
- ``changedAt``: trackStatusChangeDate; ``version``: the trackingStateModel ``timestamp``
  (incremented on every change, so clients can drop stale states).
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select as sa_select
from sqlalchemy import text
from sqlmodel import Session, col, select

from mockpace import __version__
from mockpace.common import limits
from mockpace.common.auth import Caller
from mockpace.common.context import Context
from mockpace.common.errors import SevenPaceError
from mockpace.common.timefmt import as_utc, format_rest, parse_datetime, to_local
from mockpace.settings import OrgSettings
from mockpace.store import (
    ActivityType,
    Organization,
    Store,
    TeamProject,
    TrackingSession,
    User,
    WorkItem,
)
from mockpace.store.engine import db_datetime
from mockpace.store.tables import NOT_SET_ACTIVITY_TYPE_ID, WorkLog
from mockpace.tracking import schemas as w
from mockpace.tracking.schemas import (
    STOP_ACTIVITY_CHECK,
    STOP_CLIENT_CONDITION,
    STOP_IDLE,
    STOP_MAX_LENGTH,
    STOP_TRACKING,
    UNSET,
)

# States of the Azure DevOps "Completed" and "Removed" categories in the standard processes.
CLOSED_STATES = frozenset({"closed", "done", "removed", "completed"})
STOP_REASONS = {0: "stopped by the user", 1: "stopped by the machine"}
IDLE_OPTIONS = {0: "in one hour", 1: "tomorrow", 2: "next Monday"}
LATEST_DEFAULT, LATEST_MAX = 20, 500
SEARCH_LIMIT = 50
PARENT_DEPTH_GUARD = 64
ITEM_COLUMNS = (col(WorkItem.id), col(WorkItem.title), col(WorkItem.work_item_type),
                col(WorkItem.parent_id), col(WorkItem.microsoft_vsts_scheduling_effort),
                col(WorkItem.microsoft_vsts_scheduling_storypoints),
                col(WorkItem.microsoft_vsts_scheduling_size), col(TeamProject.name))


@dataclass
class Outcome:
    """The trackSettings of one response."""

    response_state: str = "OK"
    message: str | None = None
    start_allowed: bool = True

    def json(self) -> dict[str, Any]:
        return {"isTrackingStartAllowed": self.start_allowed,
                "responseState": self.response_state, "responseMessage": self.message}


def refused(message: str) -> Outcome:
    return Outcome("Error", message, False)


def fmt(value: datetime | None) -> str | None:
    """Tracking datetimes are UTC without an offset (C9 reads them as UTC)."""
    return format_rest(value, 0) if value is not None else None


@dataclass
class Tracker:
    """The tracking operations of one caller (one request)."""

    caller: Caller
    version: str
    _org_row: Organization | None = field(default=None, init=False)

    # -- context --------------------------------------------------------------------------------
    @property
    def user_id(self) -> str:
        return self.caller.user.id

    @property
    def now(self) -> datetime:
        return as_utc(self.caller.context.now())

    @property
    def settings(self) -> OrgSettings:
        return self.caller.context.settings

    @property
    def store(self) -> Store:
        return self.caller.context.org.store

    # -- public operations ----------------------------------------------------------------------
    def current(self, *, expand: bool) -> dict[str, Any]:
        with self.store.read() as session:
            row = session.get(TrackingSession, self.user_id)
            if row is None or not self._needs_settle(row):
                return self._model(session, row, expand=expand)
        with self.store.write() as session:  # an automatic stop is due: write it
            row = self._load(session)
            self._settle(session, row)
            return self._model(session, row, expand=expand)

    def settle(self) -> bool:
        """Write an automatic stop that is due; takes the write lock only then."""
        with self.store.read() as session:
            row = session.get(TrackingSession, self.user_id)
            if row is None or not self._needs_settle(row):
                return False
        with self.store.write() as session:
            return self._settle(session, self._load(session))  # re-checked under the lock

    def start(self, req: w.StartRequest) -> dict[str, Any]:
        with self.store.write() as session:
            row = self._load(session)
            self._settle(session, row)
            item = self._work_item(session, req.tfs_id)
            activity = self._start_activity(session, req.activity_type_id)
            refusal = self._refusal(item, req.tfs_id, req.remark, activity)
            if refusal is not None:
                return self._model(session, row, outcome=refused(refusal))
            state = dict(row.state)
            same = (row.is_tracking and row.work_item_id == req.tfs_id
                    and (row.comment or "") == (req.remark or "")
                    and row.activity_type_id == activity
                    and bool(state.get("billable")) == bool(req.is_billable))
            if same:  # a client re-sending the running track's start does not split it
                return self._model(session, row)
            if row.is_tracking:  # switch: the running track writes its worklog first
                self._finish(session, row, self.now, STOP_IDLE, input_required=False)
            self._begin(row, req, activity)
            return self._model(session, row)

    def stop(self, reason: int) -> dict[str, Any]:
        with self.store.write() as session:
            row = self._load(session)
            self._settle(session, row)
            if row.is_tracking:
                kind = STOP_IDLE if reason == 0 else STOP_CLIENT_CONDITION
                self._finish(session, row, self.now, kind, input_required=False)
            elif row.state.get("inputRequired"):  # the user acknowledges the automatic stop
                self._touch(row, inputRequired=False)
            return self._model(session, row)

    def select(self, req: w.SelectRequest) -> dict[str, Any]:
        with self.store.write() as session:
            row = self._load(session)
            self._settle(session, row)
            self._work_item(session, req.tfs_id)
            activity = self._activity(session, req.activity_type_id)
            if not row.is_tracking:  # a running track is not changed by a selection
                row.work_item_id = req.tfs_id
                row.comment = req.remark
                row.activity_type_id = activity
                self._touch(row)
            return self._model(session, row, totals=req.calculate_totals)

    def adjust(self, req: w.AdjustRequest) -> dict[str, Any]:
        with self.store.write() as session:
            row = self._load(session)
            self._settle(session, row)
            activity = (row.activity_type_id if req.activity_type_id is UNSET
                        else self._activity(session, req.activity_type_id))
            if not row.is_tracking:
                return self._model(session, row, outcome=Outcome(
                    "Error", "No track is running: start tracking before adjusting it.", True))
            remark = row.comment if req.remark is None else req.remark
            st = self.settings
            if st.tracking_require_comment and not (remark or "").strip():
                return self._model(session, row, outcome=Outcome(
                    "Error", "A comment is required for tracking (organization setting "
                    "'tracking_require_comment').", True))
            if (st.tracking_require_activity_type and st.activity_types_enabled
                    and activity is None):
                return self._model(session, row, outcome=Outcome(
                    "Error", "An activity type is required for tracking (organization setting "
                    "'tracking_require_activity_type').", True))
            row.comment = remark
            row.activity_type_id = activity
            extra: dict[str, Any] = (
                {} if req.is_billable is None else {"billable": req.is_billable})
            self._touch(row, **extra)
            return self._model(session, row)

    def activity_check(self) -> dict[str, Any]:
        """The user answers "still working": the next check is an interval away again."""
        with self.store.write() as session:
            row = self._load(session)
            self._settle(session, row)
            if row.is_tracking:
                running = self._check_running(row)
                row.last_activity_at = self.now
                row.activity_check_due_at = None
                if running:
                    self._touch(row)
            return self._model(session, row)

    def idle_check(self, option: int) -> dict[str, Any]:
        """Postpone the next check; only while a check is running (the 7pace Tracking contract)."""
        with self.store.write() as session:
            row = self._load(session)
            self._settle(session, row)
            if row.is_tracking and self._check_running(row):
                row.last_activity_at = self.now
                row.activity_check_due_at = self._postponed(option)
                self._touch(row)
            return self._model(session, row)

    def latest(self, count: int) -> dict[str, Any]:
        count = min(count, LATEST_MAX)
        self.settle()  # a track the server stopped belongs in the list
        with self.store.read() as session:
            rows = session.exec(
                select(WorkLog)
                .where(WorkLog.user_id == self.user_id, col(WorkLog.is_deleted).is_(False))
                .order_by(col(WorkLog.timestamp).desc(), col(WorkLog.created_timestamp).desc(),
                          col(WorkLog.id))
                .limit(count)
            ).all()
            items = self._work_items_json(
                session, {r.work_item_id for r in rows if r.work_item_id is not None}, depth=1)
        logs = [{
            "id": r.id,
            "remark": r.comment or "",
            "startTime": fmt(r.timestamp),
            "endTime": fmt(as_utc(r.timestamp) + timedelta(seconds=r.length)),
            "periodLength": r.length,
            "activityTypeId": r.activity_type_id or NOT_SET_ACTIVITY_TYPE_ID,
            "workItem": items.get(r.work_item_id) if r.work_item_id is not None else None,
        } for r in rows]
        return {"count": len(logs), "workLogs": logs}

    def search(self, item_id: int) -> dict[str, Any]:
        with self.store.read() as session:
            items = self._work_items_json(session, {item_id}, depth=1)
        found = [items[item_id]] if item_id in items else []
        return self._search_result(str(item_id), found)

    def search_by_query(self, query: str) -> dict[str, Any]:
        text_query = query.strip()
        if not text_query:
            return self._search_result(query, [])
        pattern = "%" + text_query.replace("\\", "\\\\").replace("%", "\\%") \
            .replace("_", "\\_") + "%"
        condition = col(WorkItem.title).ilike(pattern, escape="\\")
        digits = text_query.lstrip("#")
        exact: int | None = None
        if limits.is_int_text(digits) and digits[:1].isdigit():
            try:
                exact = limits.parse_int(digits, minimum=0, maximum=limits.INT32_MAX)
            except limits.NumberError:
                exact = None  # no work item has such an id
        with self.store.read() as session:
            ids: list[int] = []
            if exact is not None and session.get(WorkItem, exact) is not None:
                ids.append(exact)
            ids += [i for i in session.exec(
                select(WorkItem.id).where(condition)
                .order_by(col(WorkItem.changed_date).desc(), col(WorkItem.id).desc())
                .limit(SEARCH_LIMIT)
            ).all() if i != exact]
            ids = ids[:SEARCH_LIMIT]
            items = self._work_items_json(session, set(ids), depth=1)
        return self._search_result(query, [items[i] for i in ids if i in items])

    # -- state machine internals ----------------------------------------------------------------
    def _load(self, session: Session) -> TrackingSession:
        row = session.get(TrackingSession, self.user_id)
        if row is None:
            row = TrackingSession(user_id=self.user_id, stopped_track_type=STOP_IDLE, state={})
            session.add(row)
        return row

    def _touch(self, row: TrackingSession, at: datetime | None = None, **changes: Any) -> None:
        state = dict(row.state)  # a new dict, so the JSON column is seen as changed
        state.update(changes)
        state["changedAt"] = db_datetime(at or self.now)
        state["version"] = int(state.get("version", 0)) + 1
        row.state = state

    def _check_due(self, row: TrackingSession) -> datetime | None:
        interval = self.settings.activity_check_interval_minutes
        if not row.is_tracking or interval <= 0 or row.started_at is None:
            return None
        if row.activity_check_due_at is not None:
            return as_utc(row.activity_check_due_at)
        since = row.last_activity_at or row.started_at
        return as_utc(since) + timedelta(minutes=interval)

    def _check_running(self, row: TrackingSession) -> bool:
        due = self._check_due(row)
        return due is not None and due <= self.now

    def _pending_stop(self, row: TrackingSession) -> tuple[datetime, datetime, int] | None:
        """(when the server stops it, where the worklog ends, stoppedTrackType) if that moment
        has come."""
        if not row.is_tracking or row.started_at is None:
            return None
        events: list[tuple[datetime, datetime, int]] = []
        hours = self.settings.max_track_length_hours
        if hours > 0:
            limit = as_utc(row.started_at) + timedelta(hours=hours)
            events.append((limit, limit, STOP_MAX_LENGTH))
        due = self._check_due(row)
        if due is not None:
            # Unanswered: the time since the check began is not the user's work.
            deadline = due + timedelta(minutes=self.settings.activity_check_wait_minutes)
            events.append((deadline, due, STOP_ACTIVITY_CHECK))
        ready = [e for e in events if e[0] <= self.now]
        return min(ready) if ready else None

    def _needs_settle(self, row: TrackingSession) -> bool:
        return self._pending_stop(row) is not None

    def _settle(self, session: Session, row: TrackingSession) -> bool:
        pending = self._pending_stop(row)
        if pending is None:
            return False
        at, end, kind = pending
        self._finish(session, row, end, kind, input_required=True, at=at)
        return True

    def _finish(self, session: Session, row: TrackingSession, end: datetime, kind: int, *,
                input_required: bool, at: datetime | None = None) -> None:
        """Stop the running track: write its worklog (docs/emulation.md s7) and go idle."""
        assert row.started_at is not None
        start = as_utc(row.started_at)
        moment = at or self.now
        worklog_id = row.state.get("worklogId") or str(uuid.uuid4())
        session.add(WorkLog(
            id=worklog_id, user_id=self.user_id, added_by_user_id=self.user_id,
            timestamp=start, length=max(1, int((end - start).total_seconds())),
            work_item_id=row.work_item_id, comment=row.comment or None,
            activity_type_id=row.activity_type_id, created_timestamp=moment,
            edited_timestamp=moment, is_tracked=True,
            is_billable=bool(row.state.get("billable")),
        ))
        row.is_tracking = False
        row.started_at = None
        row.last_activity_at = None
        row.activity_check_due_at = None
        row.stopped_track_type = kind
        self._touch(row, at=moment, worklogId=None, lastWorklogId=worklog_id,
                    inputRequired=input_required)

    def _begin(self, row: TrackingSession, req: w.StartRequest, activity: str | None) -> None:
        now = self.now
        row.is_tracking = True
        row.work_item_id = req.tfs_id
        row.comment = req.remark
        row.activity_type_id = activity
        row.started_at = now
        row.last_activity_at = now
        row.activity_check_due_at = None
        row.stopped_track_type = STOP_TRACKING
        tz = req.time_zone if req.time_zone is not None else self.caller.user.timezone_offset
        self._touch(row, worklogId=str(uuid.uuid4()), lastWorklogId=None, timeZone=tz,
                    billable=bool(req.is_billable), inputRequired=False)

    def _postponed(self, option: int) -> datetime:
        now = self.now
        if option == 0:
            return now + timedelta(hours=1)
        offset = self.caller.user.timezone_offset
        local_midnight = to_local(now, offset).replace(hour=0, minute=0, second=0, microsecond=0)
        days = 1 if option == 1 else 7 - local_midnight.weekday()
        return as_utc(local_midnight + timedelta(days=days) - timedelta(minutes=offset))

    # -- validation ------------------------------------------------------------------------------
    def _work_item(self, session: Session, item_id: int | None) -> WorkItem | None:
        if item_id is None:
            return None
        item = session.get(WorkItem, item_id)
        if item is None:
            raise SevenPaceError("EntityNotFound", f"Work item {item_id} does not exist.",
                                 fields={"tfsId": item_id})
        return item

    def _activity(self, session: Session, value: Any) -> str | None:
        """An explicit activity type: None for none/[Not Set], 404 for an unknown id."""
        if not self.settings.activity_types_enabled:
            return None
        if value is UNSET or value is None or value == NOT_SET_ACTIVITY_TYPE_ID:
            return None
        if session.get(ActivityType, value) is None:
            raise SevenPaceError("EntityNotFound", f"Activity type '{value}' does not exist.",
                                 fields={"activityTypeId": value})
        return str(value)

    def _default_activity(self, session: Session) -> str:
        return (self.caller.user.default_activity_type_id
                or self._org(session).system_default_activity_type_id
                or NOT_SET_ACTIVITY_TYPE_ID)

    def _start_activity(self, session: Session, value: Any) -> str | None:
        """Absent, null or "" on start: the user's default activity type (as the apps do)."""
        if value is UNSET or value is None:
            value = self._default_activity(session)
        return self._activity(session, value)

    def _refusal(self, item: WorkItem | None, tfs_id: int | None, remark: str | None,
                 activity: str | None) -> str | None:
        st = self.settings
        has_remark = bool((remark or "").strip())
        if tfs_id is None and st.tracking_require_work_item:
            return ("A work item is required to start tracking (organization setting "
                    "'tracking_require_work_item').")
        if tfs_id is None and not has_remark:
            return "Tracking without a work item needs a comment: send tfsId or remark."
        if st.tracking_require_comment and not has_remark:
            return ("A comment is required to start tracking (organization setting "
                    "'tracking_require_comment').")
        if st.tracking_require_activity_type and st.activity_types_enabled and activity is None:
            return ("An activity type is required to start tracking (organization setting "
                    "'tracking_require_activity_type').")
        if (item is not None and st.tracking_block_closed_items
                and item.state.lower() in CLOSED_STATES):
            return (f"Work item {item.id} is closed (state '{item.state}'): tracking on closed "
                    "items is not allowed (organization setting 'tracking_block_closed_items').")
        return None

    # -- wire building ---------------------------------------------------------------------------
    def _org(self, session: Session) -> Organization:
        if self._org_row is None:
            self._org_row = session.exec(select(Organization)).first() or Organization(
                id=NOT_SET_ACTIVITY_TYPE_ID, name=self.caller.context.org.name,
                collection=self.caller.context.org.collection, vsts_id="", vsts_collection_id="")
        return self._org_row

    def _totals(self, session: Session, row: TrackingSession | None, item_id: int | None,
                current: int | None) -> tuple[int, int, int]:
        """(today's total of the user, the user's total on the item, everyone's total on it),
        from the store plus the running track."""
        offset = self.caller.user.timezone_offset
        now = self.now
        day_local = to_local(now, offset).replace(hour=0, minute=0, second=0, microsecond=0)
        day_start = as_utc(day_local - timedelta(minutes=offset))
        day_end = day_start + timedelta(days=1)
        conn = session.connection()
        today = conn.execute(text(
            "SELECT COALESCE(SUM(length), 0) FROM worklogs WHERE user_id = :u "
            "AND timestamp >= :a AND timestamp < :b AND is_deleted = 0"),
            {"u": self.user_id, "a": db_datetime(day_start), "b": db_datetime(day_end)},
        ).scalar_one()
        mine = team = 0
        if item_id is not None:
            mine, team = conn.execute(text(
                "SELECT COALESCE(SUM(CASE WHEN user_id = :u THEN length ELSE 0 END), 0), "
                "COALESCE(SUM(length), 0) FROM worklogs "
                "WHERE work_item_id = :w AND is_deleted = 0"),
                {"u": self.user_id, "w": item_id},
            ).one()
        if current is not None and row is not None and row.started_at is not None:
            start = as_utc(row.started_at)
            today += max(0, int((now - max(start, day_start)).total_seconds()))
            mine += current
            team += current
        return int(today), int(mine), int(team)

    def _model(self, session: Session, row: TrackingSession | None, *, expand: bool = True,
               outcome: Outcome | None = None, totals: bool = True) -> dict[str, Any]:
        """The trackingStateModel (the 7pace Tracking contract)."""
        session.flush()  # the totals below are raw SQL: include this transaction's worklog
        now = self.now
        row = row or TrackingSession(user_id=self.user_id, stopped_track_type=STOP_IDLE, state={})
        state = row.state or {}
        tracking = bool(row.is_tracking and row.started_at is not None)
        check_due = self._check_due(row) if tracking else None
        check_running = check_due is not None and check_due <= now
        seconds_left = 0
        if check_running and check_due is not None:
            deadline = check_due + timedelta(minutes=self.settings.activity_check_wait_minutes)
            seconds_left = max(0, math.ceil((deadline - now).total_seconds()))
        if tracking:
            name = "activityCheck" if check_running else "tracking"
        else:
            name = "clientInputRequired" if state.get("inputRequired") else "idle"
        current = (max(0, int((now - as_utc(row.started_at)).total_seconds()))
                   if tracking and row.started_at is not None else None)
        today = mine = team = None
        if totals:
            today, mine, team = self._totals(session, row, row.work_item_id, current)
        item = None
        if row.work_item_id is not None:
            item = self._work_items_json(session, {row.work_item_id},
                                         depth=PARENT_DEPTH_GUARD if expand else 1
                                         ).get(row.work_item_id)
        changed = state.get("changedAt")
        track = {
            "tfsId": row.work_item_id,
            "remark": row.comment or "",
            "activityTypeId": row.activity_type_id or NOT_SET_ACTIVITY_TYPE_ID,
            "workItem": item,
            "trackingState": (w.TRACKING_STATES.index(name) if self.version == "2.1" else name),
            "stoppedTrackType": STOP_TRACKING if tracking else (
                row.stopped_track_type if row.stopped_track_type is not None else STOP_IDLE),
            "activityCheck": {"isRunning": check_running, "secondsLeft": seconds_left},
            "currentTrackLength": current,
            "totalMeTodayLength": today,
            "totalMeLength": mine,
            "totalTeamLength": team if team is not None else 0,
            "trackAdjustmentLength": None,
            "currentTrackStartedDateTime": fmt(row.started_at) if tracking else None,
            "trackStatusChangeDate": fmt(parse_datetime(changed) if changed else now),
            "trackTimeZone": state.get("timeZone", self.caller.user.timezone_offset),
            "workLogId": state.get("worklogId") if tracking else (
                state.get("lastWorklogId") if state.get("inputRequired") else None),
        }
        if outcome is None:
            outcome = Outcome()
            if name == "clientInputRequired":
                why = ("the activity check was not answered in time"
                       if row.stopped_track_type == STOP_ACTIVITY_CHECK
                       else "it reached the maximum single track length")
                outcome = Outcome("Warning", f"Tracking was stopped because {why}.", True)
        return {"track": track, "trackSettings": outcome.json(),
                "settings": self._settings_json(session),
                "timestamp": int(state.get("version", 0))}

    def _settings_json(self, session: Session) -> dict[str, Any]:
        user = self.caller.user
        org = self._org(session)
        default = self._default_activity(session)
        types = session.exec(select(ActivityType).order_by(col(ActivityType.position),
                                                           col(ActivityType.name))).all()
        entries = [{"id": t.id, "color": t.color, "name": t.name, "isDefault": t.id == default,
                    "isNotSet": t.id == NOT_SET_ACTIVITY_TYPE_ID} for t in types]
        if not any(t.id == NOT_SET_ACTIVITY_TYPE_ID for t in types):
            entries.insert(0, {"id": NOT_SET_ACTIVITY_TYPE_ID, "color": "ffffff",
                               "name": "[Not Set]",
                               "isDefault": default == NOT_SET_ACTIVITY_TYPE_ID, "isNotSet": True})
        return {
            "activityType": {"isEnabled": bool(self.settings.activity_types_enabled),
                             "defaultActivity": default, "activityTypes": entries},
            "userInfo": {"userId": user.id, "userName": user.name,
                         "userUniqueName": user.unique_name, "encodedImage": None,
                         "applicationVersion": __version__,
                         "teamServicesUrl": f"https://dev.azure.com/{org.name}/",
                         "projectId": None},
        }

    def _work_items_json(self, session: Session, ids: set[int],
                         depth: int) -> dict[int, dict[str, Any]]:
        """workItem objects for ``ids`` with ``depth`` levels of parents,
        loaded one query per level."""
        rows: dict[int, tuple[Any, ...]] = {}
        wanted = set(ids)
        for _ in range(depth + 1):
            wanted -= set(rows)
            if not wanted:
                break
            found = session.execute(
                sa_select(*ITEM_COLUMNS)
                .join(TeamProject, col(TeamProject.id) == col(WorkItem.project_id))
                .where(col(WorkItem.id).in_(wanted))
            ).all()
            for r in found:
                rows[r[0]] = tuple(r)
            wanted = {r[3] for r in found if r[3] is not None}
        org_name = self.caller.context.org.name

        def build(item_id: int, levels: int) -> dict[str, Any] | None:
            r = rows.get(item_id)
            if r is None:
                return None
            iid, title, kind, parent_id, effort, points, size, project = r
            value = next((v for v in (effort, points, size) if v is not None), None)
            return {
                "id": iid, "title": title, "color": w.type_color(kind), "teamProject": project,
                "type": kind, "workItemLink": w.work_item_link(org_name, project, iid),
                "effort": value,
                "parent": build(parent_id, levels - 1) if parent_id and levels > 0 else None,
            }

        result = {}
        for item_id in ids:
            built = build(item_id, depth)
            if built is not None:
                result[item_id] = built
        return result

    def _search_result(self, query: str, items: list[dict[str, Any]]) -> dict[str, Any]:
        return {"query": query,
                "workItems": [{"groupName": i["teamProject"], "workItem": i} for i in items],
                "count": len(items)}


def settle_due(context: Context) -> int:
    """Write every automatic stop (activity check expiry, max track length) that is due in the
    organization; returns how many. Tracking calls settle their own user; a surface that lists
    worklogs of several users can call this first so such worklogs show without a tracking call."""
    with context.org.store.read() as session:
        users = session.exec(
            select(User).join(TrackingSession, col(TrackingSession.user_id) == col(User.id))
            .where(col(TrackingSession.is_tracking).is_(True))).all()
    return sum(Tracker(Caller(user, None, context), "3.2").settle() for user in users)


def settle_pending(context: Context) -> int:
    """``settle_due`` for the surfaces that read worklogs (REST, Reporting), so a track the
    server stopped on its own (activity check expired, maximum length) is a worklog there at
    once. Costs one indexed lookup when nobody is tracking."""
    if not context.org.store.fast_rows(
            "SELECT 1 FROM tracking_sessions WHERE is_tracking = 1 LIMIT 1"):
        return 0
    return settle_due(context)
