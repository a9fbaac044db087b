"""Fixture files: exact data in JSON or YAML (the same structure), and the reverse dump.

The format is documented key by key in ``fixtures/README.md``. In short::

    organization: {name, collection, id, vstsId, vstsCollectionId, adminUser,
                   systemDefaultActivityType}
    settings: {name: value}
    activityTypes: [{id, name, color, position}]            # optional: the standard ones
    users: [{id, name, email, uniqueName, role, timeZone, token | tokens, defaultActivityType,
             vstsId, vstsCollectionId, vstsCollectionId2}]
    projects: [{id, name, processTemplate, areas, iterations, workItems}]
    budgets: [{id, name, planned, comment, closed, closedDate, createdDate,
               assignments: {iterations, workItems, workLogs}}]
    workLogs: [{id, user, workItem, timestamp, length, billableLength, comment, activityType,
                budget, addedBy, editedBy, createdTimestamp, editedTimestamp, flags, isDeleted}]
    approvals: [{id, user, weekStart, state, assignedManager, approvedBy, submittedTimestamp,
                 approvalTimestamp, modificationTimestamp}]
    trackingSessions: [{user, isTracking, workItem, activityType, comment, startedAt, ...}]

``load_fixture`` validates everything first and reports every problem at once (file, entry,
problem) before it writes anything; then it loads in one transaction. ``dump_fixture`` writes a
store back in the same format, so that a dump loads into an identical database.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml
from sqlmodel import SQLModel

from mockpace.seed.generator import (
    COLLECTION_NAME,
    STANDARD_ACTIVITY_TYPES,
    TEMPLATES,
    TOKEN_ALPHABET,
    TOKEN_LENGTH,
)
from mockpace.store import budgets as budget_rules
from mockpace.store import derived
from mockpace.store.engine import Store, db_datetime
from mockpace.store.tables import (
    APPROVAL_APPROVED,
    APPROVAL_CLOSED,
    APPROVAL_REOPENED,
    APPROVAL_SUBMITTED,
    NOT_SET_ACTIVITY_TYPE_ID,
    ROLES,
    VSTS_FIELDS,
)

# Name-based ids of entries that do not give one: stable for the same fixture content.
FIXTURE_NAMESPACE = uuid.UUID("6b1f3a52-7c1e-4d6a-9a57-0d2f6d8e9c41")
DEFAULT_CREATED = datetime(2024, 1, 1, tzinfo=UTC)  # work items and budgets without a date
APPROVAL_STATES = {
    "submitted": APPROVAL_SUBMITTED,
    "reopened": APPROVAL_REOPENED,
    "approved": APPROVAL_APPROVED,
    "closed": APPROVAL_CLOSED,
}
APPROVAL_STATE_NAMES = {v: k for k, v in APPROVAL_STATES.items()}
FLAG_COLUMNS = {
    "isTracked": "is_tracked",
    "isManuallyEntered": "is_manually_entered",
    "isChanged": "is_changed",
    "isTrackedExtended": "is_tracked_extended",
    "isImported": "is_imported",
    "isFromApi": "is_from_api",
    "isBillable": "is_billable",
}
# Dotted Azure DevOps reference name -> column, for the Microsoft.VSTS fields kept as columns.
VSTS_BY_REFERENCE = {name.replace("_", "."): name.lower() for name in VSTS_FIELDS}
VSTS_TYPE_BY_COLUMN = {name.lower(): edm for name, edm in VSTS_FIELDS.items()}
_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_COLOR = re.compile(r"^[0-9a-f]{6}$")


@dataclass(frozen=True)
class FixtureProblem:
    """One thing wrong with a fixture: where (``workLogs[3].user``) and what."""

    entry: str
    problem: str

    def __str__(self) -> str:
        return f"{self.entry}: {self.problem}"


class FixtureError(ValueError):
    """A fixture that cannot be loaded; ``problems`` lists everything found wrong."""

    def __init__(self, source: str, problems: list[FixtureProblem]) -> None:
        self.source = source
        self.problems = problems
        super().__init__(str(self))

    def __str__(self) -> str:
        count = len(self.problems)
        lines = [f"fixture {self.source}: {count} problem{'s' if count != 1 else ''}"]
        lines += [f"  {self.source}: {p.entry}: {p.problem}" for p in self.problems]
        return "\n".join(lines)


def _name_id(kind: str, key: str) -> str:
    return str(uuid.uuid5(FIXTURE_NAMESPACE, f"{kind}:{key}"))


def default_token(email: str) -> str:
    """The token of a fixture user that names none: derived from the e-mail address."""
    digest = hashlib.sha256(f"mockpace-token:{email.lower()}".encode()).digest()
    digest += hashlib.sha256(digest).digest()
    return "".join(TOKEN_ALPHABET[b % len(TOKEN_ALPHABET)] for b in digest[:TOKEN_LENGTH])


def _iso(value: str | None) -> str | None:
    """Store datetime text -> ISO 8601 UTC with ``Z`` (fraction only when not zero)."""
    if value is None:
        return None
    parsed = datetime.fromisoformat(str(value))
    text = parsed.strftime("%Y-%m-%dT%H:%M:%S")
    if parsed.microsecond:
        text += f".{parsed.microsecond:06d}".rstrip("0")
    return text + "Z"


def _norm_path(path: str) -> str:
    return "\\".join(part.strip() for part in path.replace("/", "\\").split("\\") if part.strip())


# -- reading the source ------------------------------------------------------------------------


def _read_source(source: Path | str | Mapping[str, Any], name: str | None) -> tuple[Any, str]:
    if isinstance(source, Mapping):
        return source, name or "<fixture>"
    if isinstance(source, str) and "\n" in source:  # the document itself
        text, label, suffix = source, name or "<fixture>", ""
    else:
        path = Path(source)
        label = name or str(source)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise FixtureError(label, [FixtureProblem("<file>", f"cannot read: {exc}")]) from exc
        suffix = path.suffix.lower()
    try:
        if suffix == ".json":
            return json.loads(text), label
        return yaml.safe_load(text), label  # YAML is a superset of JSON
    except (ValueError, yaml.YAMLError) as exc:
        detail = str(exc).replace("\n", " ")
        raise FixtureError(label, [FixtureProblem("<document>", f"not valid "
                                                  f"{'JSON' if suffix == '.json' else 'YAML'}: "
                                                  f"{detail}")]) from exc


# -- validation helpers ------------------------------------------------------------------------

_MISSING = object()


class _Checker:
    def __init__(self) -> None:
        self.problems: list[FixtureProblem] = []

    def add(self, entry: str, problem: str) -> None:
        self.problems.append(FixtureProblem(entry, problem))

    def obj(self, value: Any, entry: str, allowed: Iterable[str]) -> dict[str, Any] | None:
        if not isinstance(value, dict):
            self.add(entry, f"must be an object, not {_kind(value)}")
            return None
        allowed = set(allowed)
        for key in value:
            if key not in allowed:
                self.add(entry, f"unknown key '{key}' (allowed: {', '.join(sorted(allowed))})")
        return value

    def items(self, value: Any, entry: str) -> list[Any]:
        if value is None:
            return []
        if not isinstance(value, list):
            self.add(entry, f"must be a list, not {_kind(value)}")
            return []
        return value

    def get(self, data: dict[str, Any], key: str, entry: str, types: tuple[type, ...],
            label: str, *, required: bool = False, default: Any = None) -> Any:
        value = data.get(key, _MISSING)
        if value is _MISSING or value is None:
            if required:
                self.add(entry, f"missing required '{key}'")
            return default
        if isinstance(value, bool) and bool not in types:
            self.add(f"{entry}.{key}", f"must be {label}, not a boolean")
            return default
        if not isinstance(value, types):
            self.add(f"{entry}.{key}", f"must be {label}, not {_kind(value)}")
            return default
        return value

    def string(self, data: dict[str, Any], key: str, entry: str, *, required: bool = False,
               default: str | None = None) -> str | None:
        value = self.get(data, key, entry, (str,), "a string", required=required,
                         default=default)
        if required and value == "":
            self.add(f"{entry}.{key}", "must not be empty")
        return value

    def integer(self, data: dict[str, Any], key: str, entry: str, *, required: bool = False,
                default: int | None = None, minimum: int | None = None) -> int | None:
        value = self.get(data, key, entry, (int,), "an integer", required=required,
                         default=default)
        if value is not None and minimum is not None and value < minimum:
            self.add(f"{entry}.{key}", f"must be at least {minimum}, not {value}")
        return value

    def boolean(self, data: dict[str, Any], key: str, entry: str, default: bool = False) -> bool:
        return bool(self.get(data, key, entry, (bool,), "true or false", default=default))

    def guid(self, data: dict[str, Any], key: str, entry: str) -> str | None:
        value = self.string(data, key, entry)
        if value is not None and not _GUID.match(value):
            self.add(f"{entry}.{key}", f"'{value}' is not a GUID")
            return None
        return value.lower() if value else None

    def when(self, data: dict[str, Any], key: str, entry: str, *, required: bool = False,
             local_offset: int | None = None, default: datetime | None = None
             ) -> datetime | None:
        """An ISO 8601 date-time (``Z`` or an offset; without one it is UTC, or the user's local
        time when ``local_offset`` is given) -> aware UTC datetime."""
        value = data.get(key)
        if value is None:
            if required:
                self.add(entry, f"missing required '{key}'")
            return default
        if isinstance(value, datetime):
            parsed = value
        elif isinstance(value, date):
            parsed = datetime(value.year, value.month, value.day)
        elif isinstance(value, str):
            try:
                parsed = datetime.fromisoformat(value.strip())
            except ValueError:
                self.add(f"{entry}.{key}",
                         f"bad date-time '{value}' (expected ISO 8601 such as "
                         "2026-03-02T09:15:00Z)")
                return default
        else:
            self.add(f"{entry}.{key}", f"must be an ISO 8601 date-time, not {_kind(value)}")
            return default
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
            if local_offset:
                parsed -= timedelta(minutes=local_offset)
        return parsed.astimezone(UTC)

    def day(self, data: dict[str, Any], key: str, entry: str, *, required: bool = False
            ) -> date | None:
        value = data.get(key)
        if value is None:
            if required:
                self.add(entry, f"missing required '{key}'")
            return None
        if isinstance(value, datetime):
            return value.date()
        if isinstance(value, date):
            return value
        if isinstance(value, str):
            try:
                return date.fromisoformat(value.strip())
            except ValueError:
                pass
        self.add(f"{entry}.{key}", f"bad date '{value}' (expected YYYY-MM-DD)")
        return None


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    return {bool: "a boolean", int: "an integer", float: "a number", str: "a string",
            list: "a list", dict: "an object"}.get(type(value), type(value).__name__)


def _dt(value: datetime | None) -> str | None:
    return db_datetime(value) if value is not None else None


# -- the loader --------------------------------------------------------------------------------


class _Loader:
    TOP = ("organization", "settings", "activityTypes", "users", "projects", "budgets",
           "workLogs", "approvals", "trackingSessions", "description", "formatVersion")

    def __init__(self, data: Any) -> None:
        self.c = _Checker()
        self.data = data
        self.rows: dict[str, list[tuple[Any, ...]]] = {}

    # -- references ----------------------------------------------------------------------------
    def user_ref(self, value: Any, entry: str) -> str | None:
        if value is None:
            return None
        if not isinstance(value, str):
            self.c.add(entry, f"a user is referenced by e-mail, unique name or id, not "
                       f"{_kind(value)}")
            return None
        found = self.users_by_key.get(value.lower())
        if found is None:
            self.c.add(entry, f"unknown user '{value}'")
        return found

    def activity_ref(self, value: Any, entry: str) -> str | None:
        if value is None:
            return None
        if not isinstance(value, str):
            self.c.add(entry, f"an activity type is referenced by name or id, not {_kind(value)}")
            return None
        found = self.activities_by_key.get(value.lower())
        if found is None:
            self.c.add(entry, f"unknown activity type '{value}'")
        return found

    def budget_ref(self, value: Any, entry: str) -> str | None:
        if value is None:
            return None
        if not isinstance(value, str):
            self.c.add(entry, f"a budget is referenced by name or id, not {_kind(value)}")
            return None
        found = self.budgets_by_key.get(value.lower())
        if found is None:
            self.c.add(entry, f"unknown budget '{value}'")
        return found

    def node_ref(self, value: Any, entry: str, kind: str, by_path: dict[str, int],
                 ids: set[int], project: str | None) -> int | None:
        """An area or iteration by id or path (full, or relative to ``project``)."""
        if value is None:
            return None
        if isinstance(value, int) and not isinstance(value, bool):
            if value not in ids:
                self.c.add(entry, f"unknown {kind} id {value}")
                return None
            return value
        if not isinstance(value, str):
            self.c.add(entry, f"an {kind} is referenced by path or id, not {_kind(value)}")
            return None
        path = _norm_path(value)
        found = by_path.get(path.lower())
        if found is None and project is not None:
            found = by_path.get(f"{project}\\{path}".lower())
        elif found is None:  # no project context: a relative path must fit exactly one project
            matches = {by_path[key] for name in self.project_names.values()
                       if (key := f"{name}\\{path}".lower()) in by_path}
            if len(matches) > 1:
                self.c.add(entry, f"ambiguous {kind} '{value}': give the full path")
                return None
            found = matches.pop() if matches else None
        if found is None:
            self.c.add(entry, f"unknown {kind} '{value}'")
        return found

    def assign_budget(self, target: dict[Any, str | None], key: Any, budget: str | None,
                      entry: str, what: str) -> None:
        if budget is None:
            return
        current = target.get(key)
        if current is not None and current != budget:
            self.c.add(entry, f"{what} already has another budget")
            return
        target[key] = budget

    # -- sections ------------------------------------------------------------------------------
    def load(self) -> None:
        data = self.c.obj(self.data, "<document>", self.TOP)
        if data is None:
            return
        version = data.get("formatVersion", 1)
        if version != 1:
            self.c.add("formatVersion", f"unsupported format version {version!r} (expected 1)")
        self.organization_in = data.get("organization") or {}
        self.activity_types(data.get("activityTypes"))
        self.users(data.get("users"))
        self.organization()
        self.budgets(data.get("budgets"))
        self.projects(data.get("projects"))
        self.work_logs(data.get("workLogs"))
        self.budget_assignments(data.get("budgets"))
        self.approvals(data.get("approvals"))
        self.tracking_sessions(data.get("trackingSessions"))
        self.settings(data.get("settings"))
        self.finish_rows()

    def activity_types(self, value: Any) -> None:
        c = self.c
        self.activities_by_key: dict[str, str] = {}
        rows: list[tuple[Any, ...]] = []
        if value is None:
            rows = list(STANDARD_ACTIVITY_TYPES)
        else:
            for n, raw in enumerate(c.items(value, "activityTypes")):
                entry = f"activityTypes[{n}]"
                item = c.obj(raw, entry, ("id", "name", "color", "position"))
                if item is None:
                    continue
                name = c.string(item, "name", entry, required=True) or ""
                type_id = c.guid(item, "id", entry) or _name_id("activityType", name)
                color = c.string(item, "color", entry, default="a2a4a7") or "a2a4a7"
                if not _COLOR.match(color):
                    c.add(f"{entry}.color", f"'{color}' is not 6 lower-case hex digits (no '#')")
                position = c.integer(item, "position", entry, default=n + 1, minimum=0)
                rows.append((type_id, name, color, position))
            if not any(r[0] == NOT_SET_ACTIVITY_TYPE_ID for r in rows):
                rows.insert(0, STANDARD_ACTIVITY_TYPES[0])
        for n, row in enumerate(rows):
            for key in (row[0], row[1].lower()):
                if key in self.activities_by_key:
                    c.add(f"activityTypes[{n}]", f"duplicate activity type '{key}'")
                self.activities_by_key[key] = row[0]
        # "[Not Set]" is stored as NULL on worklogs and users.
        self.activity_ids = {r[0] for r in rows}
        self.rows["activity_types"] = rows

    def users(self, value: Any) -> None:
        c = self.c
        self.users_by_key: dict[str, str] = {}
        self.user_offsets: dict[str, int] = {}
        self.user_roles: dict[str, str] = {}
        users: list[tuple[Any, ...]] = []
        tokens: list[tuple[Any, ...]] = []
        seen_tokens: set[str] = set()
        pending_defaults: list[tuple[int, Any]] = []
        items = c.items(value, "users")
        if not items:
            c.add("users", "a fixture needs at least one user")
        for n, raw in enumerate(items):
            entry = f"users[{n}]"
            item = c.obj(raw, entry, (
                "id", "name", "email", "uniqueName", "role", "timeZone", "token", "tokens",
                "defaultActivityType", "vstsId", "vstsCollectionId", "vstsCollectionId2",
            ))
            if item is None:
                continue
            name = c.string(item, "name", entry, required=True) or ""
            email = c.string(item, "email", entry, required=True) or ""
            if email and "@" not in email:
                c.add(f"{entry}.email", f"'{email}' is not an e-mail address")
            user_id = c.guid(item, "id", entry) or _name_id("user", email.lower())
            unique = c.string(item, "uniqueName", entry, default=email) or email
            role = c.string(item, "role", entry, default="Team") or "Team"
            if role not in ROLES:
                c.add(f"{entry}.role", f"unknown role '{role}' (one of {', '.join(ROLES)})")
            offset = c.integer(item, "timeZone", entry, default=0) or 0
            if not -720 <= offset <= 840:
                c.add(f"{entry}.timeZone", f"{offset} is not an offset in minutes east of UTC "
                      "(-720 to 840)")
            vsts_id = c.guid(item, "vstsId", entry) or _name_id("vsts", email.lower())
            vsts_cid = c.guid(item, "vstsCollectionId", entry) or vsts_id
            vsts_cid2 = c.guid(item, "vstsCollectionId2", entry) or _name_id("vsts2",
                                                                             email.lower())
            for key in {user_id, email.lower(), unique.lower()}:
                if key in self.users_by_key and self.users_by_key[key] != user_id:
                    c.add(entry, f"duplicate user '{key}'")
                elif key in self.users_by_key:
                    c.add(entry, f"duplicate user id '{key}'")
                self.users_by_key[key] = user_id
            self.user_offsets[user_id] = offset
            self.user_roles[user_id] = role
            pending_defaults.append((len(users), item.get("defaultActivityType")))
            users.append((user_id, unique, name, email, vsts_id, vsts_cid, vsts_cid2, role,
                          offset, None))
            if "token" in item and "tokens" in item:
                c.add(entry, "give 'token' or 'tokens', not both")
            token_list: list[tuple[str, str, datetime, datetime | None]] = []
            if "tokens" in item:
                for t, raw_token in enumerate(c.items(item["tokens"], f"{entry}.tokens")):
                    t_entry = f"{entry}.tokens[{t}]"
                    tok = c.obj(raw_token, t_entry, ("token", "kind", "createdAt", "expiresAt"))
                    if tok is None:
                        continue
                    kind = c.string(tok, "kind", t_entry, default="personal") or "personal"
                    if kind not in ("personal", "access", "refresh"):
                        c.add(f"{t_entry}.kind", f"unknown token kind '{kind}'")
                    token_list.append((
                        c.string(tok, "token", t_entry, required=True) or "",
                        kind,
                        c.when(tok, "createdAt", t_entry, default=DEFAULT_CREATED)
                        or DEFAULT_CREATED,
                        c.when(tok, "expiresAt", t_entry),
                    ))
            else:
                token = c.string(item, "token", entry) or default_token(email)
                token_list.append((token, "personal", DEFAULT_CREATED, None))
            for token, kind, created, expires in token_list:
                if token in seen_tokens:
                    c.add(entry, f"duplicate token '{token}'")
                seen_tokens.add(token)
                tokens.append((token, user_id, kind, _dt(created), _dt(expires)))
        for index, ref in pending_defaults:
            activity = self.activity_ref(ref, f"users[{index}].defaultActivityType")
            if activity == NOT_SET_ACTIVITY_TYPE_ID:
                activity = None
            users[index] = (*users[index][:9], activity)
        self.user_list = users
        self.rows["users"] = users
        self.rows["api_tokens"] = tokens

    def organization(self) -> None:
        c = self.c
        item = c.obj(self.organization_in, "organization", (
            "name", "collection", "id", "vstsId", "vstsCollectionId", "adminUser",
            "systemDefaultActivityType",
        ))
        if item is None:
            return
        name = c.string(item, "name", "organization", default="contoso") or "contoso"
        collection = c.string(item, "collection", "organization",
                              default=COLLECTION_NAME) or COLLECTION_NAME
        org_id = c.guid(item, "id", "organization") or _name_id("organization", name)
        vsts_id = c.guid(item, "vstsId", "organization") or _name_id("organization-vsts", name)
        vsts_cid = c.guid(item, "vstsCollectionId", "organization") or _name_id(
            "organization-collection", f"{name}/{collection}")
        admin = self.user_ref(item.get("adminUser"), "organization.adminUser")
        if admin is None and "adminUser" not in item:
            admin = next((u[0] for u in self.user_list if u[7] == "Administrator"), None)
            if admin is None and self.user_list:
                admin = self.user_list[0][0]
        default = self.activity_ref(item.get("systemDefaultActivityType"),
                                    "organization.systemDefaultActivityType")
        self.rows["organizations"] = [(org_id, name, collection, vsts_id, vsts_cid,
                                       default or NOT_SET_ACTIVITY_TYPE_ID, admin)]

    def budgets(self, value: Any) -> None:
        c = self.c
        self.budgets_by_key: dict[str, str] = {}
        rows: list[tuple[Any, ...]] = []
        for n, raw in enumerate(c.items(value, "budgets")):
            entry = f"budgets[{n}]"
            item = c.obj(raw, entry, ("id", "name", "planned", "comment", "closed", "closedDate",
                                      "createdDate", "assignments"))
            if item is None:
                continue
            name = c.string(item, "name", entry, required=True) or ""
            budget_id = c.guid(item, "id", entry) or _name_id("budget", name)
            for key in (budget_id, name.lower()):
                if key in self.budgets_by_key:
                    c.add(entry, f"duplicate budget '{key}'")
                self.budgets_by_key[key] = budget_id
            rows.append((
                budget_id, name, c.integer(item, "planned", entry, default=0, minimum=0),
                c.string(item, "comment", entry), int(c.boolean(item, "closed", entry)),
                _dt(c.when(item, "closedDate", entry)),
                _dt(c.when(item, "createdDate", entry)),
            ))
        self.rows["budgets"] = rows

    def projects(self, value: Any) -> None:
        c = self.c
        self.project_rows: list[tuple[Any, ...]] = []
        areas: list[dict[str, Any]] = []  # collected first: ids are assigned after
        iterations: list[dict[str, Any]] = []
        self.item_budgets: dict[int, str | None] = {}
        self.iteration_budgets: dict[int, str | None] = {}
        self.worklog_budgets: dict[str, str | None] = {}
        raw_items: list[tuple[str, dict[str, Any], int | None, int]] = []
        names: set[str] = set()
        project_ids: set[str] = set()
        projects = c.items(value, "projects")
        for n, raw in enumerate(projects):
            entry = f"projects[{n}]"
            item = c.obj(raw, entry, ("id", "name", "processTemplate", "areas", "iterations",
                                      "workItems"))
            if item is None:
                continue
            name = c.string(item, "name", entry, required=True) or f"project{n}"
            if "\\" in name or "/" in name:
                c.add(f"{entry}.name", "a project name cannot contain '\\' or '/'")
            project_id = c.guid(item, "id", entry) or _name_id("project", name)
            template = c.string(item, "processTemplate", entry, default="Agile") or "Agile"
            if template not in ("Agile", "Scrum", "Basic", "CMMI"):
                c.add(f"{entry}.processTemplate",
                      f"unknown process template '{template}' (Agile, Scrum, Basic or CMMI)")
            if name.lower() in names or project_id in project_ids:
                c.add(entry, f"duplicate project '{name}'")
            names.add(name.lower())
            project_ids.add(project_id)
            self.project_rows.append((project_id, name, template))
            for kind, target, extra in (("areas", areas, ()),
                                        ("iterations", iterations,
                                         ("startDate", "finishDate", "budget"))):
                has_root = False
                for m, node in enumerate(c.items(item.get(kind), f"{entry}.{kind}")):
                    n_entry = f"{entry}.{kind}[{m}]"
                    if isinstance(node, str):
                        node = {"path": node}
                    node_item = c.obj(node, n_entry, ("id", "path", *extra))
                    if node_item is None:
                        continue
                    path = _norm_path(c.string(node_item, "path", n_entry, required=True) or "")
                    if path.lower() != name.lower() and not path.lower().startswith(
                        name.lower() + "\\"
                    ):
                        path = f"{name}\\{path}" if path else name
                    has_root = has_root or path.lower() == name.lower()
                    target.append({"entry": n_entry, "project": project_id, "path": path,
                                   "id": c.integer(node_item, "id", n_entry, minimum=1),
                                   "item": node_item})
                if not has_root:
                    target.append({"entry": f"{entry}.{kind}", "project": project_id,
                                   "path": name, "id": None, "item": {}})
            for m, raw_item in enumerate(c.items(item.get("workItems"), f"{entry}.workItems")):
                self._collect_items(raw_item, f"{entry}.workItems[{m}]", None, project_id,
                                    template, raw_items)
        self.area_by_path, self.area_ids, self.area_project = self._nodes(areas, "area_paths",
                                                                          "area")
        self.iteration_by_path, self.iteration_ids, _ = self._nodes(iterations, "iterations",
                                                                    "iteration")
        self.project_names = {p[0]: p[1] for p in self.project_rows}
        self._work_items(raw_items)
        self.rows["team_projects"] = self.project_rows

    def _nodes(self, nodes: list[dict[str, Any]], table: str, kind: str
               ) -> tuple[dict[str, int], set[int], dict[int, str]]:
        """Give area or iteration nodes ids (given ones kept, the rest numbered after the
        largest), create missing intermediate levels, link parents by path."""
        c = self.c
        given = [n["id"] for n in nodes if n["id"] is not None]
        next_id = max(given, default=0) + 1
        by_path: dict[str, dict[str, Any]] = {}
        ids: set[int] = set()
        for node in nodes:
            key = node["path"].lower()
            if key in by_path:
                if node["item"]:
                    c.add(node["entry"], f"duplicate {kind} '{node['path']}'")
                continue
            by_path[key] = node
        # Missing intermediate levels ("A\\B\\C" without "A\\B").
        for node in list(by_path.values()):
            parts = node["path"].split("\\")
            for depth in range(1, len(parts)):
                prefix = "\\".join(parts[:depth])
                if prefix.lower() not in by_path:
                    by_path[prefix.lower()] = {"entry": node["entry"], "project": node["project"],
                                               "path": prefix, "id": None, "item": {}}
        ordered = sorted(by_path.values(), key=lambda n: (n["id"] is None, n["path"].count("\\")))
        for node in ordered:
            if node["id"] is None:
                node["id"] = next_id
                next_id += 1
            elif node["id"] in ids:
                c.add(node["entry"], f"duplicate {kind} id {node['id']}")
            ids.add(node["id"])
        rows: list[tuple[Any, ...]] = []
        budgets = self.iteration_budgets
        for node in sorted(by_path.values(), key=lambda n: n["id"]):
            path = node["path"]
            parent = by_path.get(path.rsplit("\\", 1)[0].lower()) if "\\" in path else None
            name = path.rsplit("\\", 1)[-1]
            row: list[Any] = [node["id"], node["project"], parent["id"] if parent else None,
                              name, path]
            if table == "iterations":
                item = node["item"]
                start = self.c.day(item, "startDate", node["entry"])
                finish = self.c.day(item, "finishDate", node["entry"])
                if start and finish and finish < start:
                    self.c.add(node["entry"], "finishDate is before startDate")
                row += [start.isoformat() if start else None,
                        finish.isoformat() if finish else None, None]
                budget = self.budget_ref(item.get("budget"), f"{node['entry']}.budget")
                self.assign_budget(budgets, node["id"], budget, node["entry"], "the iteration")
            rows.append(tuple(row))
        self.rows[table] = rows
        return ({k: n["id"] for k, n in by_path.items()}, ids,
                {n["id"]: n["project"] for n in by_path.values()})

    def _collect_items(self, raw: Any, entry: str, parent: int | None, project: str,
                       template: str, out: list[tuple[str, dict[str, Any], int | None, int]]
                       ) -> None:
        item = self.c.obj(raw, entry, (
            "id", "type", "title", "state", "reason", "parent", "children", "assignedTo",
            "assignedToUser", "createdBy", "area", "iteration", "createdDate", "changedDate",
            "revisedDate", "budget", "fields",
        ))
        if item is None:
            return
        if parent is not None and "parent" in item:
            self.c.add(entry, "a nested work item takes its parent from the tree; drop 'parent'")
        item = dict(item, _project=project, _template=template)
        out.append((entry, item, parent, len(out)))
        item_id = item.get("id") if isinstance(item.get("id"), int) else None
        for m, child in enumerate(self.c.items(item.get("children"), f"{entry}.children")):
            self._collect_items(child, f"{entry}.children[{m}]", item_id, project, template, out)

    def _work_items(self, raw_items: list[tuple[str, dict[str, Any], int | None, int]]) -> None:
        c = self.c
        columns = [col.name for col in SQLModel.metadata.tables["work_items"].columns]
        index = {name: i for i, name in enumerate(columns)}
        self.work_item_columns = columns
        self.work_item_ids: set[int] = set()
        rows: list[list[Any]] = []
        parents: list[tuple[str, int, Any]] = []
        display = {u[0]: f"{u[2]} <{u[3]}>" for u in self.user_list}
        for entry, item, tree_parent, _ in raw_items:
            item_id = c.integer(item, "id", entry, required=True, minimum=1)
            if item_id is None:
                continue
            if item_id in self.work_item_ids:
                c.add(f"{entry}.id", f"duplicate work item id {item_id}")
                continue
            self.work_item_ids.add(item_id)
            project: str = item["_project"]
            kind = c.string(item, "type", entry, required=True) or ""
            states = TEMPLATES.get(item["_template"])
            default_state = "New"
            if states and kind in states.states:
                default_state = states.states[kind][0][0]
            row: list[Any] = [None] * len(columns)
            row[index["id"]] = item_id
            row[index["project_id"]] = project
            row[index["work_item_type"]] = kind
            row[index["title"]] = c.string(item, "title", entry, required=True)
            row[index["state"]] = c.string(item, "state", entry, default=default_state)
            row[index["reason"]] = c.string(item, "reason", entry)
            parent = tree_parent if tree_parent is not None else item.get("parent")
            if parent is not None:
                parents.append((entry, item_id, parent))
            row[index["parent_id"]] = parent if isinstance(parent, int) else None
            # assignedTo: a user reference, or free text "Name <email>" (resolved by e-mail).
            assigned = item.get("assignedTo")
            user_id = None
            if isinstance(assigned, str) and "<" in assigned:
                match = re.search(r"<([^>]+)>", assigned)
                user_id = self.users_by_key.get(match.group(1).lower()) if match else None
                text: str | None = assigned
            else:
                user_id = self.user_ref(assigned, f"{entry}.assignedTo")
                text = display.get(user_id) if user_id else None
            if "assignedToUser" in item:
                user_id = self.user_ref(item["assignedToUser"], f"{entry}.assignedToUser")
            row[index["assigned_to_user_id"]] = user_id
            row[index["assigned_to"]] = text
            created_by = item.get("createdBy")
            if isinstance(created_by, str) and "<" not in created_by:
                ref = self.user_ref(created_by, f"{entry}.createdBy")
                created_by = display.get(ref) if ref else created_by
            elif created_by is not None and not isinstance(created_by, str):
                c.add(f"{entry}.createdBy", f"must be a string, not {_kind(created_by)}")
                created_by = None
            row[index["created_by"]] = created_by
            project_name = self.project_names.get(project)
            area = self.node_ref(item.get("area"), f"{entry}.area", "area", self.area_by_path,
                                 self.area_ids, project_name)
            iteration = self.node_ref(item.get("iteration"), f"{entry}.iteration", "iteration",
                                      self.iteration_by_path, self.iteration_ids, project_name)
            root_key = (project_name or "").lower()
            row[index["area_id"]] = area or self.area_by_path.get(root_key)
            row[index["iteration_id"]] = iteration or self.iteration_by_path.get(root_key)
            created = c.when(item, "createdDate", entry, default=DEFAULT_CREATED)
            row[index["created_date"]] = _dt(created)
            row[index["changed_date"]] = _dt(c.when(item, "changedDate", entry, default=created))
            row[index["revised_date"]] = _dt(c.when(item, "revisedDate", entry))
            row[index["budget_assignment_type"]] = budget_rules.NOT_COMPUTED
            self.assign_budget(self.item_budgets, item_id,
                               self.budget_ref(item.get("budget"), f"{entry}.budget"), entry,
                               "the work item")
            fields = c.get(item, "fields", entry, (dict,), "an object", default={})
            extra: dict[str, Any] = {}
            for key, value in fields.items():
                column = VSTS_BY_REFERENCE.get(key)
                if column is None:
                    extra[key] = value
                    continue
                row[index[column]] = self._vsts_value(value, VSTS_TYPE_BY_COLUMN[column],
                                                      f"{entry}.fields.{key}")
            row[index["fields"]] = json.dumps(extra)
            rows.append(row)
        for entry, _, parent in parents:
            if not isinstance(parent, int) or isinstance(parent, bool):
                c.add(f"{entry}.parent", f"must be a work item id, not {_kind(parent)}")
            elif parent not in self.work_item_ids:
                c.add(f"{entry}.parent", f"unknown work item {parent}")
        self.work_item_rows = rows
        self.work_item_index = index

    def _vsts_value(self, value: Any, edm: str, entry: str) -> Any:
        if value is None:
            return None
        if edm == "Edm.Int32":
            if isinstance(value, int) and not isinstance(value, bool):
                return value
            self.c.add(entry, f"must be an integer, not {_kind(value)}")
        elif edm == "Edm.Double":
            if isinstance(value, int | float) and not isinstance(value, bool):
                return float(value)
            self.c.add(entry, f"must be a number, not {_kind(value)}")
        elif edm == "Edm.DateTimeOffset":
            return _dt(self.c.when({"v": value}, "v", entry))
        elif isinstance(value, str):
            return value
        else:
            self.c.add(entry, f"must be a string, not {_kind(value)}")
        return None

    def work_logs(self, value: Any) -> None:
        c = self.c
        rows: list[tuple[Any, ...]] = []
        self.worklog_ids: set[str] = set()
        for n, raw in enumerate(c.items(value, "workLogs")):
            entry = f"workLogs[{n}]"
            item = c.obj(raw, entry, (
                "id", "user", "workItem", "timestamp", "length", "billableLength", "comment",
                "activityType", "budget", "addedBy", "editedBy", "createdTimestamp",
                "editedTimestamp", "flags", "isDeleted",
            ))
            if item is None:
                continue
            if "user" not in item:
                c.add(entry, "missing required 'user'")
            user = self.user_ref(item.get("user"), f"{entry}.user")
            offset = self.user_offsets.get(user or "", 0)
            worklog_id = c.guid(item, "id", entry) or _name_id("worklog", str(n))
            if worklog_id in self.worklog_ids:
                c.add(f"{entry}.id", f"duplicate worklog id '{worklog_id}'")
            self.worklog_ids.add(worklog_id)
            work_item = c.integer(item, "workItem", entry)
            if work_item is not None and work_item not in self.work_item_ids:
                c.add(f"{entry}.workItem", f"unknown work item {work_item}")
            comment = c.string(item, "comment", entry)
            if work_item is None and not comment:
                c.add(entry, "a worklog needs a workItem or a comment")
            timestamp = c.when(item, "timestamp", entry, required=True, local_offset=offset)
            length = c.integer(item, "length", entry, required=True, minimum=1)
            billable = c.integer(item, "billableLength", entry, minimum=0)
            created = c.when(item, "createdTimestamp", entry, local_offset=offset)
            if created is None and timestamp is not None:
                created = timestamp + timedelta(seconds=length or 0)
            edited = c.when(item, "editedTimestamp", entry, local_offset=offset) or created
            activity = self.activity_ref(item.get("activityType"), f"{entry}.activityType")
            if activity == NOT_SET_ACTIVITY_TYPE_ID:
                activity = None
            flags_in = c.get(item, "flags", entry, (dict,), "an object", default={})
            c.obj(flags_in, f"{entry}.flags", FLAG_COLUMNS)
            flags = {k: c.boolean(flags_in, k, f"{entry}.flags") for k in FLAG_COLUMNS}
            if "isManuallyEntered" not in flags_in:
                flags["isManuallyEntered"] = not flags["isTracked"]
            added_by = self.user_ref(item.get("addedBy"), f"{entry}.addedBy") or user
            edited_by = self.user_ref(item.get("editedBy"), f"{entry}.editedBy")
            self.assign_budget(self.worklog_budgets, worklog_id,
                               self.budget_ref(item.get("budget"), f"{entry}.budget"), entry,
                               "the worklog")
            rows.append((
                worklog_id, user, added_by, edited_by, _dt(timestamp), length, billable,
                work_item, comment, activity, None, _dt(created), _dt(edited),
                *(int(flags[k]) for k in FLAG_COLUMNS),
                int(c.boolean(item, "isDeleted", entry)),
            ))
        self.worklog_rows = rows

    def budget_assignments(self, value: Any) -> None:
        c = self.c
        for n, raw in enumerate(value if isinstance(value, list) else []):
            if not isinstance(raw, dict) or raw.get("assignments") is None:
                continue
            entry = f"budgets[{n}].assignments"
            budget = self.budgets_by_key.get(str(raw.get("name", "")).lower())
            if isinstance(raw.get("id"), str):
                budget = self.budgets_by_key.get(raw["id"].lower(), budget)
            assignments = c.obj(raw["assignments"], entry, ("iterations", "workItems",
                                                            "workLogs"))
            if assignments is None or budget is None:
                continue
            for m, ref in enumerate(c.items(assignments.get("iterations"),
                                             f"{entry}.iterations")):
                iteration = self.node_ref(ref, f"{entry}.iterations[{m}]", "iteration",
                                          self.iteration_by_path, self.iteration_ids, None)
                if iteration is not None:
                    self.assign_budget(self.iteration_budgets, iteration, budget,
                                       f"{entry}.iterations[{m}]", f"iteration {ref}")
            for m, ref in enumerate(c.items(assignments.get("workItems"), f"{entry}.workItems")):
                if not isinstance(ref, int) or isinstance(ref, bool):
                    c.add(f"{entry}.workItems[{m}]", f"must be a work item id, not {_kind(ref)}")
                elif ref not in self.work_item_ids:
                    c.add(f"{entry}.workItems[{m}]", f"unknown work item {ref}")
                else:
                    self.assign_budget(self.item_budgets, ref, budget,
                                       f"{entry}.workItems[{m}]", f"work item {ref}")
            for m, ref in enumerate(c.items(assignments.get("workLogs"), f"{entry}.workLogs")):
                key = ref.lower() if isinstance(ref, str) else None
                if key not in self.worklog_ids:
                    c.add(f"{entry}.workLogs[{m}]", f"unknown worklog {ref!r}")
                else:
                    self.assign_budget(self.worklog_budgets, key, budget,
                                       f"{entry}.workLogs[{m}]", f"worklog {ref}")

    def approvals(self, value: Any) -> None:
        c = self.c
        rows: list[tuple[Any, ...]] = []
        seen: set[tuple[str, date]] = set()
        ids: set[str] = set()
        for n, raw in enumerate(c.items(value, "approvals")):
            entry = f"approvals[{n}]"
            item = c.obj(raw, entry, (
                "id", "user", "weekStart", "state", "assignedManager", "approvedBy",
                "submittedTimestamp", "approvalTimestamp", "modificationTimestamp",
            ))
            if item is None:
                continue
            if "user" not in item:
                c.add(entry, "missing required 'user'")
            user = self.user_ref(item.get("user"), f"{entry}.user")
            week = c.day(item, "weekStart", entry, required=True)
            if week is not None and week.weekday() != 0:
                c.add(f"{entry}.weekStart", f"{week.isoformat()} is not a Monday")
            state_in = item.get("state", "submitted")
            state: int | None = None
            if isinstance(state_in, str):
                state = APPROVAL_STATES.get(state_in.lower())
            elif isinstance(state_in, int) and not isinstance(state_in, bool):
                state = state_in if state_in in APPROVAL_STATE_NAMES else None
            if state is None:
                c.add(f"{entry}.state", f"unknown approval state {state_in!r} "
                      "(submitted, reopened, approved, closed or 1, 2, 3, 99)")
            if user and week:
                if (user, week) in seen:
                    c.add(entry, f"duplicate approval of week {week.isoformat()} for the user")
                seen.add((user, week))
            approval_id = c.guid(item, "id", entry) or _name_id(
                "approval", f"{user}:{week.isoformat() if week else n}")
            if approval_id in ids:
                c.add(f"{entry}.id", f"duplicate approval id '{approval_id}'")
            ids.add(approval_id)
            submitted = c.when(item, "submittedTimestamp", entry)
            approved = c.when(item, "approvalTimestamp", entry)
            modified = c.when(item, "modificationTimestamp", entry) or approved or submitted
            if modified is None and week is not None:
                modified = datetime(week.year, week.month, week.day, tzinfo=UTC) + timedelta(7)
            rows.append((
                approval_id, user, week.isoformat() if week else None,
                (week + timedelta(days=6)).isoformat() if week else None, state, _dt(modified),
                _dt(submitted), _dt(approved),
                self.user_ref(item.get("assignedManager"), f"{entry}.assignedManager"),
                self.user_ref(item.get("approvedBy"), f"{entry}.approvedBy"),
            ))
        self.rows["time_approvals"] = rows

    def tracking_sessions(self, value: Any) -> None:
        c = self.c
        rows: list[tuple[Any, ...]] = []
        seen: set[str] = set()
        for n, raw in enumerate(c.items(value, "trackingSessions")):
            entry = f"trackingSessions[{n}]"
            item = c.obj(raw, entry, (
                "user", "isTracking", "workItem", "activityType", "comment", "startedAt",
                "lastActivityAt", "activityCheckDueAt", "stoppedTrackType", "state",
            ))
            if item is None:
                continue
            user = self.user_ref(item.get("user"), f"{entry}.user")
            if user in seen:
                c.add(entry, "duplicate tracking session of the user")
            if user:
                seen.add(user)
            activity = self.activity_ref(item.get("activityType"), f"{entry}.activityType")
            rows.append((
                user, int(c.boolean(item, "isTracking", entry)),
                c.integer(item, "workItem", entry), activity, c.string(item, "comment", entry),
                _dt(c.when(item, "startedAt", entry)), _dt(c.when(item, "lastActivityAt", entry)),
                _dt(c.when(item, "activityCheckDueAt", entry)),
                c.integer(item, "stoppedTrackType", entry),
                json.dumps(c.get(item, "state", entry, (dict,), "an object", default={})),
            ))
        self.rows["tracking_sessions"] = rows

    def settings(self, value: Any) -> None:
        if value is None:
            self.rows["settings"] = []
            return
        if not isinstance(value, dict):
            self.c.add("settings", f"must be an object, not {_kind(value)}")
            self.rows["settings"] = []
            return
        self.rows["settings"] = [(str(k), json.dumps(v)) for k, v in value.items()]

    def finish_rows(self) -> None:
        """Fold the budget assignments (direct keys and ``assignments``) into the rows."""
        if not hasattr(self, "work_item_rows"):
            return
        index = self.work_item_index
        self.rows["work_items"] = [
            (*row[:index["budget_id"]], self.item_budgets.get(row[0]),
             *row[index["budget_id"] + 1:])
            for row in self.work_item_rows
        ]
        self.rows["iterations"] = [
            (*row[:7], self.iteration_budgets.get(row[0])) for row in self.rows["iterations"]
        ]
        self.rows["worklogs"] = [
            (*row[:10], self.worklog_budgets.get(row[0]), *row[11:]) for row in self.worklog_rows
        ]


TABLE_COLUMNS: dict[str, tuple[str, ...]] = {
    "activity_types": ("id", "name", "color", "position"),
    "organizations": ("id", "name", "collection", "vsts_id", "vsts_collection_id",
                      "system_default_activity_type_id", "admin_user_id"),
    "users": ("id", "unique_name", "name", "email", "vsts_id", "vsts_collection_id",
              "vsts_collection_id2", "role", "timezone_offset", "default_activity_type_id"),
    "api_tokens": ("token", "user_id", "kind", "created_at", "expires_at"),
    "team_projects": ("id", "name", "process_template"),
    "area_paths": ("id", "project_id", "parent_id", "name", "path"),
    "budgets": ("id", "name", "planned", "comment", "closed", "closed_date", "created_date"),
    "iterations": ("id", "project_id", "parent_id", "name", "path", "start_date", "finish_date",
                   "budget_id"),
    "worklogs": ("id", "user_id", "added_by_user_id", "edited_by_user_id", "timestamp", "length",
                 "billable_length", "work_item_id", "comment", "activity_type_id", "budget_id",
                 "created_timestamp", "edited_timestamp", *FLAG_COLUMNS.values(), "is_deleted"),
    "time_approvals": ("id", "user_id", "week_start", "week_end", "approval_state",
                       "modification_timestamp", "submitted_timestamp", "approval_timestamp",
                       "assigned_manager_id", "approved_by_manager_id"),
    "tracking_sessions": ("user_id", "is_tracking", "work_item_id", "activity_type_id",
                          "comment", "started_at", "last_activity_at", "activity_check_due_at",
                          "stopped_track_type", "state"),
    "settings": ("name", "value"),
}
# Tables a fixture describes; pins and dataset_info are run-time state and stay out.
FIXTURE_TABLES = (*TABLE_COLUMNS, "work_items")


def load_fixture(store: Store, source: Path | str | Mapping[str, Any], *,
                 name: str | None = None, replace: bool = False) -> None:
    """Validate a fixture completely, then load it into ``store`` in one transaction.

    ``source`` is a path (``.json``, ``.yaml``/``.yml``), the document text, or an already
    parsed dict (``dump_fixture`` output). Raises ``FixtureError`` listing every problem before
    anything is written. The store must be empty unless ``replace=True``, which deletes the
    fixture tables' rows in the same transaction.
    """
    data, label = _read_source(source, name)
    loader = _Loader(data)
    loader.load()
    if loader.c.problems:
        raise FixtureError(label, loader.c.problems)
    if not replace:
        with store.engine.connect() as conn:
            used = [t for t in ("organizations", "users", "work_items", "worklogs")
                    if conn.exec_driver_sql(f"SELECT count(*) FROM {t}").scalar_one()]
        if used:
            raise FixtureError(label, [FixtureProblem(
                "<store>", f"the store already holds data ({', '.join(used)}); "
                "load into an empty store or pass replace=True")])
    with store.raw_transaction() as raw:
        if replace:
            for table in reversed(SQLModel.metadata.sorted_tables):
                if table.name in FIXTURE_TABLES:
                    raw.execute(f"DELETE FROM {table.name}")
        for table, columns in TABLE_COLUMNS.items():
            store.bulk_insert(table, columns, loader.rows.get(table, []), conn=raw)
        store.bulk_insert("work_items", loader.work_item_columns, loader.rows["work_items"],
                          conn=raw)
        derived.recompute(raw)  # budgets, roots and hierarchy paths


# -- the dump ----------------------------------------------------------------------------------


def dump_fixture(store: Store) -> dict[str, Any]:
    """The store's data in the fixture format; ``load_fixture`` of it rebuilds an identical
    database (every fixture table, deleted worklogs and tokens included)."""
    with store.engine.connect() as conn:

        def rows(sql: str) -> list[tuple[Any, ...]]:
            return [tuple(r) for r in conn.exec_driver_sql(sql).fetchall()]

        users = rows("SELECT id, unique_name, name, email, vsts_id, vsts_collection_id, "
                     "vsts_collection_id2, role, timezone_offset, default_activity_type_id "
                     "FROM users ORDER BY rowid")
        tokens: dict[str, list[dict[str, Any]]] = {}
        for token, user_id, kind, created, expires in rows(
            "SELECT token, user_id, kind, created_at, expires_at FROM api_tokens ORDER BY rowid"
        ):
            entry: dict[str, Any] = {"token": token, "kind": kind, "createdAt": _iso(created)}
            if expires is not None:
                entry["expiresAt"] = _iso(expires)
            tokens.setdefault(user_id, []).append(entry)
        out: dict[str, Any] = {"formatVersion": 1}
        org = rows("SELECT id, name, collection, vsts_id, vsts_collection_id, "
                   "system_default_activity_type_id, admin_user_id FROM organizations")
        if org:
            o = org[0]
            out["organization"] = {"id": o[0], "name": o[1], "collection": o[2], "vstsId": o[3],
                                   "vstsCollectionId": o[4], "adminUser": o[6],
                                   "systemDefaultActivityType": o[5]}
        out["settings"] = {n: _json_value(v)
                           for n, v in rows("SELECT name, value FROM settings ORDER BY rowid")}
        out["activityTypes"] = [
            {"id": r[0], "name": r[1], "color": r[2], "position": r[3]}
            for r in rows("SELECT id, name, color, position FROM activity_types ORDER BY rowid")
        ]
        out["users"] = [
            {"id": u[0], "name": u[2], "email": u[3], "uniqueName": u[1], "role": u[7],
             "timeZone": u[8], "defaultActivityType": u[9], "vstsId": u[4],
             "vstsCollectionId": u[5], "vstsCollectionId2": u[6], "tokens": tokens.get(u[0], [])}
            for u in users
        ]
        out["projects"] = _dump_projects(rows)
        worklog_budgets: dict[str, list[str]] = {}
        iteration_budgets: dict[str, list[int]] = {}
        item_budgets: dict[str, list[int]] = {}
        for iteration_id, budget in rows("SELECT id, budget_id FROM iterations WHERE budget_id "
                                         "IS NOT NULL ORDER BY id"):
            iteration_budgets.setdefault(budget, []).append(iteration_id)
        for item_id, budget in rows("SELECT id, budget_id FROM work_items WHERE budget_id IS "
                                    "NOT NULL ORDER BY id"):
            item_budgets.setdefault(budget, []).append(item_id)
        worklogs = []
        for w in rows(f"SELECT {', '.join(TABLE_COLUMNS['worklogs'])} FROM worklogs "
                      "ORDER BY rowid"):
            if w[10] is not None:
                worklog_budgets.setdefault(w[10], []).append(w[0])
            worklogs.append({
                "id": w[0], "user": w[1], "workItem": w[7], "timestamp": _iso(w[4]),
                "length": w[5], "billableLength": w[6], "comment": w[8], "activityType": w[9],
                "addedBy": w[2], "editedBy": w[3], "createdTimestamp": _iso(w[11]),
                "editedTimestamp": _iso(w[12]),
                "flags": {k: bool(v) for k, v in zip(FLAG_COLUMNS, w[13:20], strict=True)},
                "isDeleted": bool(w[20]),
            })
        budgets = []
        for b in rows("SELECT id, name, planned, comment, closed, closed_date, created_date "
                      "FROM budgets ORDER BY rowid"):
            budget_out: dict[str, Any] = {
                "id": b[0], "name": b[1], "planned": b[2], "comment": b[3], "closed": bool(b[4]),
                "closedDate": _iso(b[5]), "createdDate": _iso(b[6]),
            }
            assignments = {"iterations": iteration_budgets.get(b[0], []),
                           "workItems": item_budgets.get(b[0], []),
                           "workLogs": worklog_budgets.get(b[0], [])}
            if any(assignments.values()):
                budget_out["assignments"] = assignments
            budgets.append(budget_out)
        out["budgets"] = budgets
        out["workLogs"] = worklogs
        out["approvals"] = [
            {"id": a[0], "user": a[1], "weekStart": a[2],
             "state": APPROVAL_STATE_NAMES.get(a[4], a[4]), "assignedManager": a[8],
             "approvedBy": a[9], "submittedTimestamp": _iso(a[6]),
             "approvalTimestamp": _iso(a[7]), "modificationTimestamp": _iso(a[5])}
            for a in rows(f"SELECT {', '.join(TABLE_COLUMNS['time_approvals'])} "
                          "FROM time_approvals ORDER BY rowid")
        ]
        out["trackingSessions"] = [
            {"user": t[0], "isTracking": bool(t[1]), "workItem": t[2], "activityType": t[3],
             "comment": t[4], "startedAt": _iso(t[5]), "lastActivityAt": _iso(t[6]),
             "activityCheckDueAt": _iso(t[7]), "stoppedTrackType": t[8],
             "state": _json_value(t[9]) or {}}
            for t in rows(f"SELECT {', '.join(TABLE_COLUMNS['tracking_sessions'])} "
                          "FROM tracking_sessions ORDER BY rowid")
        ]
    return out


def _json_value(value: Any) -> Any:
    """A JSON column read raw: SQLite's NUMERIC affinity (a column declared JSON) turns the
    text of a JSON number into a number, so only text needs decoding."""
    if isinstance(value, str | bytes):
        return json.loads(value)
    return value


def _dump_projects(rows: Any) -> list[dict[str, Any]]:
    columns = [col.name for col in SQLModel.metadata.tables["work_items"].columns]
    vsts = [(i, name) for i, name in enumerate(columns) if name.startswith("microsoft_vsts_")]
    reference = {column: ref for ref, column in VSTS_BY_REFERENCE.items()}
    idx = {name: i for i, name in enumerate(columns)}
    projects: list[dict[str, Any]] = []
    by_id: dict[str, dict[str, Any]] = {}
    for project_id, name, template in rows("SELECT id, name, process_template FROM team_projects "
                                           "ORDER BY rowid"):
        project = {"id": project_id, "name": name, "processTemplate": template, "areas": [],
                   "iterations": [], "workItems": []}
        projects.append(project)
        by_id[project_id] = project
    for area_id, project_id, path in rows("SELECT id, project_id, path FROM area_paths "
                                          "ORDER BY id"):
        by_id[project_id]["areas"].append({"id": area_id, "path": path})
    for it in rows("SELECT id, project_id, path, start_date, finish_date FROM iterations "
                   "ORDER BY id"):
        node: dict[str, Any] = {"id": it[0], "path": it[2]}
        if it[3] is not None:
            node["startDate"] = str(it[3])
        if it[4] is not None:
            node["finishDate"] = str(it[4])
        by_id[it[1]]["iterations"].append(node)
    for w in rows(f"SELECT {', '.join(columns)} FROM work_items ORDER BY id"):
        fields = _json_value(w[idx["fields"]]) or {}
        for i, column in vsts:
            value = w[i]
            if value is not None:
                if VSTS_TYPE_BY_COLUMN[column] == "Edm.DateTimeOffset":
                    value = _iso(value)
                fields[reference[column]] = value
        item: dict[str, Any] = {
            "id": w[idx["id"]], "parent": w[idx["parent_id"]], "type": w[idx["work_item_type"]],
            "title": w[idx["title"]], "state": w[idx["state"]], "reason": w[idx["reason"]],
            "assignedTo": w[idx["assigned_to"]],
            "assignedToUser": w[idx["assigned_to_user_id"]],
            "createdBy": w[idx["created_by"]], "area": w[idx["area_id"]],
            "iteration": w[idx["iteration_id"]], "createdDate": _iso(w[idx["created_date"]]),
            "changedDate": _iso(w[idx["changed_date"]]),
            "revisedDate": _iso(w[idx["revised_date"]]), "fields": fields,
        }
        by_id[w[idx["project_id"]]]["workItems"].append(item)
    return projects
