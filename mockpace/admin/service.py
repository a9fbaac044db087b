"""Admin plane rules, shared by the HTTP routes and the CLI."""

from __future__ import annotations

import hashlib
import re
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import text
from sqlmodel import select

from mockpace.common.errors import SevenPaceError
from mockpace.common.limits import MAX_YEAR, MIN_YEAR
from mockpace.common.timefmt import TimeFormatError, format_admin, parse_date
from mockpace.orgs import DataSource, Org, Registry, fill, init_settings
from mockpace.seed.generator import EMAIL_DOMAIN
from mockpace.settings import OrgSettings
from mockpace.store import ApiToken, Organization, Store, TimeApproval, User
from mockpace.store.tables import (
    APPROVAL_APPROVED,
    APPROVAL_CLOSED,
    APPROVAL_REOPENED,
    APPROVAL_SUBMITTED,
)

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
RESERVED_ORG_NAMES = {"rest", "tracking", "odata", "pin", "token", "api"}


def bad(message: str, **fields: Any) -> SevenPaceError:
    return SevenPaceError("BadRequest", message, fields=fields)


def not_found(message: str, **fields: Any) -> SevenPaceError:
    return SevenPaceError("EntityNotFound", message, status=404, fields=fields)


def token_list(org: Org) -> list[dict[str, Any]]:
    """One entry per user with a personal token, sorted by e-mail (docs/admin.md)."""
    with org.store.read() as session:
        rows = session.exec(
            select(User, ApiToken)
            .join(ApiToken, ApiToken.user_id == User.id)  # type: ignore[arg-type]
            .where(ApiToken.kind == "personal")
            .order_by(User.email, ApiToken.token)
        ).all()
    seen: set[str] = set()
    result = []
    for user, token in rows:
        if user.id in seen:
            continue
        seen.add(user.id)
        result.append({"email": user.email, "name": user.name, "role": user.role,
                       "userId": user.id, "token": token.token})
    return result


# -- snapshots --------------------------------------------------------------------------------
def check_snapshot_name(name: str) -> None:
    if not NAME.match(name) or name.startswith("__"):
        raise bad(f"Invalid snapshot name '{name}': use 1-100 letters, digits, '.', '_' or '-', "
                  "not starting with '__'.", name=name)


def save_snapshot(org: Org, name: str) -> dict[str, Any]:
    check_snapshot_name(name)
    created = org.save_snapshot(name)
    return {"name": name, "createdAt": format_admin(created)}


def restore_snapshot(org: Org, name: str) -> dict[str, Any]:
    check_snapshot_name(name)
    try:
        ms = org.restore(name)
    except KeyError:
        raise not_found(f"No snapshot named '{name}'.", name=name) from None
    return {"name": name, "status": "restored", "ms": round(ms, 1)}


def list_snapshots(org: Org) -> list[dict[str, Any]]:
    return [{"name": name, "createdAt": format_admin(created)}
            for name, created in sorted(org.store.snapshots(), key=lambda s: (s[1], s[0]))]


def drop_snapshot(org: Org, name: str) -> dict[str, Any]:
    try:
        if name.startswith("__"):
            raise KeyError(name)
        org.store.drop_snapshot(name)
    except KeyError:
        raise not_found(f"No snapshot named '{name}'.", name=name) from None
    return {"name": name, "status": "deleted"}


# -- export, import, seed ---------------------------------------------------------------------
def export_state(org: Org) -> dict[str, Any]:
    from mockpace.seed import dump_fixture

    document: dict[str, Any] = dump_fixture(org.store)
    return document


def fixture_problems(exc: Exception) -> list[dict[str, str]]:
    """The FixtureError's problems as ``[{"entry", "problem"}]``."""
    raw = getattr(exc, "errors", None) or getattr(exc, "problems", None)
    problems: list[dict[str, str]] = []
    if isinstance(raw, list):
        for item in raw:
            if hasattr(item, "entry") and hasattr(item, "problem"):
                problems.append({"entry": str(item.entry), "problem": str(item.problem)})
            elif isinstance(item, dict):
                problems.append({"entry": str(item.get("entry", "")),
                                 "problem": str(item.get("problem", item))})
            elif isinstance(item, tuple | list) and len(item) == 2:
                problems.append({"entry": str(item[0]), "problem": str(item[1])})
            else:
                problems.append({"entry": "", "problem": str(item)})
    if not problems:
        problems.append({"entry": "", "problem": str(exc)})
    return problems


def replace_state(org: Org, document: Any, *, pristine: bool) -> dict[str, Any]:
    """Replace the organization's data with a fixture document, all or nothing; settings and
    clock stay as they were unless the document sets them. ``pristine``: it becomes the state
    that reset returns to."""
    from mockpace.seed import FixtureError, load_fixture

    if not isinstance(document, dict):
        raise SevenPaceError("DbValidationError", "The fixture document must be an object "
                             "(JSON, or YAML sent as application/yaml).",
                             fields={"errors": [{"entry": "", "problem": "not an object"}]})

    def build(scratch: Store) -> None:
        settings, clock = org.state()
        load_fixture(scratch, document, name="document")
        init_settings(scratch, settings, clock)

    try:
        org.replace(build, pristine=pristine)
    except FixtureError as exc:
        problems = fixture_problems(exc)
        raise SevenPaceError(
            "DbValidationError",
            f"The fixture has {len(problems)} problem(s); nothing was changed. First: "
            f"{problems[0]['entry']}: {problems[0]['problem']}".replace(" : ", " "),
            fields={"errors": problems}) from exc
    return {"status": "loaded", "counts": org.store.counts()}


SEED_KEYS = {"seed": "seed", "users": "users", "workItems": "work_items", "days": "days",
             "workLogs": "worklogs", "anchorDate": "anchor_date"}


def seed_source(body: Any, base: DataSource | None = None) -> DataSource:
    """A DataSource from an admin seed body (``{"seed", "users", "workItems", "days",
    "workLogs", "anchorDate"}``, all optional)."""
    if not isinstance(body, dict):
        raise bad("The seed body is a JSON object.")
    unknown = sorted(set(body) - set(SEED_KEYS))
    if unknown:
        raise bad(f"Unknown properties {', '.join(unknown)}; known: "
                  f"{', '.join(SEED_KEYS)}.", property=unknown[0])
    values: dict[str, Any] = {}
    limits = {"seed": (-(2**62), None), "users": (1, 10_000), "workItems": (1, 2_000_000),
              "days": (1, 3_650), "workLogs": (0, 20_000_000)}
    for key, (low, high) in limits.items():
        value = body.get(key)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int) or value < low or \
                (high is not None and value > high):
            span = f"between {low} and {high}" if high is not None else "an integer"
            raise bad(f"'{key}' must be an integer {span}.", property=key)
        values[SEED_KEYS[key]] = value
    anchor = body.get("anchorDate")
    if anchor is not None:
        try:
            if not isinstance(anchor, str):
                raise TimeFormatError("not a string")
            values["anchor_date"] = parse_date(anchor)
        except TimeFormatError as exc:
            raise bad(f"'anchorDate' must be a date (yyyy-MM-dd): {exc}",
                      property="anchorDate") from exc
    if base is not None:
        values = {"seed": base.seed, "anchor_date": base.anchor_date, "users": base.users,
                  "work_items": base.work_items, "days": base.days,
                  "worklogs": base.worklogs} | values
    return DataSource(**values)


def reseed(org: Org, body: Any) -> dict[str, Any]:
    """Regenerate the organization (it keeps its name, settings and clock); the new data is
    the state that reset returns to."""
    source = seed_source(body)

    def build(scratch: Store) -> None:
        settings, clock = org.state()
        fill(scratch, source, settings, clock)
        _rename(scratch, org.name, org.collection)

    org.replace(build, pristine=True)
    return {"status": "seeded", "counts": org.store.counts()}


def _rename(store: Store, name: str, collection: str) -> None:
    """Give the organization row of ``store`` a name and collection (the generator names it
    after the default organization)."""
    with store.write() as session:
        row = session.exec(select(Organization)).first()
        if row is not None:
            row.name, row.collection = name, collection
            session.add(row)


# -- organizations ----------------------------------------------------------------------------
def org_json(org: Org) -> dict[str, Any]:
    return {"name": org.name, "collection": org.collection, "counts": org.store.counts()}


def create_org(registry: Registry, body: Any, defaults: OrgSettings) -> Org:
    if not isinstance(body, dict):
        raise bad("The organization body is a JSON object.")
    name = body.get("name")
    if not isinstance(name, str) or not NAME.match(name) or "." in name:
        raise bad("'name' is required: 1-100 letters, digits, '_' or '-' (it is the collection "
                  "name and the first label of the Host header).", property="name")
    if name.lower() in RESERVED_ORG_NAMES:
        raise bad(f"'{name}' is reserved by the 7pace paths; choose another name.",
                  property="name")
    source = seed_source({k: v for k, v in body.items() if k != "name"})
    with registry.lock:  # one creation at a time: the name check and the add are one step
        if registry.get(name) is not None:
            raise SevenPaceError("BadRequest", f"An organization named '{name}' exists "
                                 "already.", status=409, fields={"name": name})
        org = Org(name, Store(":memory:"))
        try:
            org.store.create_schema()
            fill(org.store, source, defaults, None)
            _rename(org.store, name, name)
            with org.store.write() as session:
                _rename_domain(session, name)
            _rekey_tokens(org.store, name)
            org.refresh_identity()
            org.replace_pristine()
        except BaseException:
            org.store.dispose()
            raise
        registry.add(org)
    return org


# Columns where the generator writes identities ("Name <user@contoso.com>" or the e-mail).
IDENTITY_COLUMNS = {
    "users": ("email", "unique_name"),
    "work_items": ("assigned_to", "created_by", "microsoft_vsts_common_activatedby",
                   "microsoft_vsts_common_closedby", "microsoft_vsts_common_resolvedby"),
}


def _rename_domain(session: Any, name: str) -> None:
    """Generated users of another organization get its own e-mail domain (fabrikam.com), not
    the default organization's."""
    old, new = f"@{EMAIL_DOMAIN}", f"@{name.lower()}.com"
    for table, columns in IDENTITY_COLUMNS.items():
        assignments = ", ".join(f"{c} = replace({c}, :old, :new)" for c in columns)
        session.execute(text(f"UPDATE {table} SET {assignments}"), {"old": old, "new": new})


def _rekey_tokens(store: Store, name: str) -> None:
    """Tokens are deterministic per seed: derive this organization's own from its name, so a
    token of one organization is never valid in another seeded alike."""
    with store.engine.begin() as conn:
        tokens = [row[0] for row in conn.execute(text("SELECT token FROM api_tokens"))]
        for token in tokens:
            digest = hashlib.sha256(f"{name.lower()}:{token}".encode()).hexdigest()
            new = (digest * (len(token) // len(digest) + 1))[:max(len(token), 32)]
            conn.execute(text("UPDATE api_tokens SET token = :new WHERE token = :old"),
                         {"new": new, "old": token})


def delete_org(registry: Registry, name: str) -> Org:
    org = registry.get(name)
    if org is None:
        raise not_found(f"Unknown organization '{name}'.", name=name)
    if org is registry.default:
        raise bad(f"'{org.name}' is the default organization and cannot be deleted.",
                  name=name)
    with registry.lock:
        if registry.get(org.name) is not org:
            raise not_found(f"Unknown organization '{name}'.", name=name)
        return registry.remove(org.name)


# -- approvals --------------------------------------------------------------------------------
APPROVAL_STATES = {"submitted": APPROVAL_SUBMITTED, "reopened": APPROVAL_REOPENED,
                   "approved": APPROVAL_APPROVED, "closed": APPROVAL_CLOSED}
APPROVAL_KEYS = ("userId", "weekStart", "state", "managerId")


def set_approval(org: Org, body: Any, now: datetime) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise bad("The approval body is a JSON object.")
    unknown = sorted(set(body) - set(APPROVAL_KEYS))
    if unknown:
        raise bad(f"Unknown properties {', '.join(unknown)}; known: "
                  f"{', '.join(APPROVAL_KEYS)}.", property=unknown[0])
    state = body.get("state")
    if not isinstance(state, str) or state not in APPROVAL_STATES:
        raise bad(f"'state' must be one of {', '.join(APPROVAL_STATES)}.", property="state")
    week = body.get("weekStart")
    try:
        if not isinstance(week, str):
            raise TimeFormatError("'weekStart' is required")
        week_start = parse_date(week)
    except TimeFormatError as exc:
        raise bad(f"'weekStart' must be a date (yyyy-MM-dd): {exc}",
                  property="weekStart") from exc
    if week_start.weekday() != 0:
        raise bad(f"'weekStart' {week_start.isoformat()} is not a Monday.", property="weekStart")
    if not MIN_YEAR <= week_start.year <= MAX_YEAR:
        raise bad(f"'weekStart' must lie in the years {MIN_YEAR}-{MAX_YEAR}.",
                  property="weekStart")
    user_id, manager_id = body.get("userId"), body.get("managerId")
    with org.store.write() as session:
        user = session.get(User, user_id) if isinstance(user_id, str) else None
        if user is None:
            raise not_found(f"Unknown user '{user_id}'.", property="userId")
        manager = None
        if manager_id is not None:
            manager = session.get(User, manager_id) if isinstance(manager_id, str) else None
            if manager is None:
                raise not_found(f"Unknown manager '{manager_id}'.", property="managerId")
        row = session.exec(select(TimeApproval).where(TimeApproval.user_id == user.id)
                           .where(TimeApproval.week_start == week_start)).first()
        if row is None:
            row = TimeApproval(id=_approval_id(org.name, user.id, week_start), user_id=user.id,
                               week_start=week_start, week_end=week_start + timedelta(days=6),
                               approval_state=APPROVAL_STATES[state],
                               modification_timestamp=now)
        code = APPROVAL_STATES[state]
        row.approval_state = code
        row.modification_timestamp = now
        if code == APPROVAL_SUBMITTED:
            row.submitted_timestamp = now
            row.approval_timestamp = None
            row.approved_by_manager_id = None
            if manager is not None:
                row.assigned_manager_id = manager.id
        elif code in (APPROVAL_APPROVED, APPROVAL_CLOSED):
            row.approval_timestamp = now
            if manager is not None:
                row.approved_by_manager_id = manager.id
                row.assigned_manager_id = row.assigned_manager_id or manager.id
        else:  # reopened
            row.approval_timestamp = None
            row.approved_by_manager_id = None
            if manager is not None:
                row.assigned_manager_id = manager.id
        session.add(row)
        session.flush()
        users = {u.id: u for u in session.exec(select(User).where(
            User.id.in_([i for i in (row.user_id, row.assigned_manager_id,  # type: ignore[attr-defined]
                                     row.approved_by_manager_id) if i]))).all()}
        return approval_json(row, users)


def _approval_id(org_name: str, user_id: str, week: date) -> str:
    digest = hashlib.sha256(f"approval:{org_name}:{user_id}:{week}".encode()).hexdigest()
    return f"{digest[:8]}-{digest[8:12]}-{digest[12:16]}-{digest[16:20]}-{digest[20:32]}"


def approval_json(row: TimeApproval, users: dict[str, User]) -> dict[str, Any]:
    """The record exactly as REST ``timeApproval/all`` shows it (one wire function)."""
    from mockpace.rest.wire import approval_json as rest_approval_json

    return rest_approval_json(row, users, expand_display_name=False)
