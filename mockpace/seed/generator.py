"""The deterministic data generator: the default organization of docs/emulation.md s9.

Everything derives from one ``random.Random(seed)`` and the anchor date: faker is seeded from
it, GUIDs and tokens are drawn from it, every timestamp is computed from the anchor. The same
parameters therefore give a byte-identical database, ids and tokens included.

Speed: rows are prepared as plain tuples (datetimes already in the store's text form) and
written with ``executemany`` in one transaction; the worklog table's secondary indexes are
dropped for the load and rebuilt afterwards (building an index from sorted data is several
times faster than maintaining nine indexes row by row), and worklog ids are drawn up front and
handed out in sorted order so that the primary-key index is filled by appends. Faker is only
used for people's names and a small pool of phrases.
"""

from __future__ import annotations

import gc
import json
import queue
import random
import re
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from faker import Faker
from sqlmodel import SQLModel

from mockpace.seed import words
from mockpace.store import budgets as budget_rules
from mockpace.store import derived
from mockpace.store.engine import Store
from mockpace.store.tables import (
    APPROVAL_APPROVED,
    APPROVAL_CLOSED,
    APPROVAL_REOPENED,
    APPROVAL_SUBMITTED,
    NOT_SET_ACTIVITY_TYPE_ID,
    ROLES,
)

Progress = Callable[[str, int, int], None]

# the 7pace REST contract, verbatim: clients hard-code these ids. (id, name, color, position)
STANDARD_ACTIVITY_TYPES: tuple[tuple[str, str, str, int], ...] = (
    (NOT_SET_ACTIVITY_TYPE_ID, "[Not Set]", "ffffff", 0),
    ("cee030e2-b8b4-e711-8418-00155d0a6b50", "Deployment", "ec654c", 1),
    ("cfe030e2-b8b4-e711-8418-00155d0a6b50", "Design", "54c270", 2),
    ("d0e030e2-b8b4-e711-8418-00155d0a6b50", "Development", "46aee8", 3),
    ("d1e030e2-b8b4-e711-8418-00155d0a6b50", "Documentation", "a2a4a7", 4),
    ("d2e030e2-b8b4-e711-8418-00155d0a6b50", "Planning", "4765a9", 5),
    ("d3e030e2-b8b4-e711-8418-00155d0a6b50", "Requirements", "8c4093", 6),
    ("d4e030e2-b8b4-e711-8418-00155d0a6b50", "Testing", "f8b63a", 7),
)

ORGANIZATION_NAME = "contoso"
COLLECTION_NAME = "DefaultCollection"
EMAIL_DOMAIN = "contoso.com"
FIRST_WORK_ITEM_ID = 100  # Azure DevOps-like ids
TOKEN_ALPHABET = "abcdefghijklmnopqrstuvwxyz234567"  # Azure DevOps PATs: 52 base32 characters
TOKEN_LENGTH = 52

# Minutes east of UTC, weighted: Americas, UK, central Europe, eastern Europe, India.
TIMEZONE_OFFSETS = (-480, -300, -300, 0, 0, 60, 60, 60, 120, 330)

WORKLOG_COLUMNS = (
    "id",
    "user_id",
    "added_by_user_id",
    "edited_by_user_id",
    "timestamp",
    "length",
    "billable_length",
    "work_item_id",
    "comment",
    "activity_type_id",
    "budget_id",
    "created_timestamp",
    "edited_timestamp",
    "is_tracked",
    "is_manually_entered",
    "is_changed",
    "is_tracked_extended",
    "is_imported",
    "is_from_api",
    "is_billable",
    "is_deleted",
)

# Entries a working day when the size is not forced: 1 to 4, mean 2.55.
BASE_ENTRY_COUNTS = (1, 2, 2, 2, 3, 3, 3, 4, 4, 1, 2, 3, 4, 2, 3, 2, 1, 4, 3, 2)
BASE_MEAN = sum(BASE_ENTRY_COUNTS) / len(BASE_ENTRY_COUNTS)
MAX_ENTRIES_A_DAY = 9 * 12  # 9 hours in 5-minute entries
DAY_OFF_RATE = 0.04  # holidays and sick days

_V4_CLEAR = ((1 << 128) - 1) ^ ((0xF000 << 64) | (0xC000 << 48))
_V4_SET = (0x4000 << 64) | (0x8000 << 48)


def guid_from_bits(bits: int) -> str:
    """``str(uuid.UUID(int=bits, version=4))`` without building a UUID object (3x faster)."""
    h = ((bits & _V4_CLEAR) | _V4_SET).to_bytes(16).hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


@dataclass
class SeedParams:
    """Sizes of the generated organization. ``worklogs=N`` forces exactly N non-deleted
    worklogs (soft-deleted ones, about 0.6 %, come on top); otherwise the count follows from
    users x working days x 1-4 entries a day."""

    seed: int = 1
    anchor_date: date | None = None  # None: today (UTC)
    users: int = 25
    work_items: int = 400
    days: int = 90
    worklogs: int | None = None
    # The clock's "now" when the data is generated: nothing generated lies after it.
    now: datetime | None = None

    def resolved_anchor(self) -> date:
        return self.anchor_date or datetime.now(UTC).date()

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready description (the anchor resolved), e.g. for ``dataset_info``."""
        data = asdict(self)
        data["anchor_date"] = self.resolved_anchor().isoformat()
        data.pop("now")
        return data

    def validate(self) -> None:
        if self.users < 1:
            raise ValueError("users must be at least 1")
        if self.work_items < 1:
            raise ValueError("work_items must be at least 1")
        if self.days < 1:
            raise ValueError("days must be at least 1")
        if self.worklogs is not None and self.worklogs < 0:
            raise ValueError("worklogs must not be negative")


# -- time helpers: integer seconds since the epoch, formatted without datetime objects ---------

_EPOCH = date(1970, 1, 1)


def _day_number(d: date) -> int:
    return (d - _EPOCH).days


class _TimeText:
    """Formats epoch seconds in the store's datetime text form, caching the date part."""

    def __init__(self) -> None:
        self._days: dict[int, str] = {}

    def day(self, day_number: int) -> str:
        text = self._days.get(day_number)
        if text is None:
            text = (_EPOCH + timedelta(days=day_number)).isoformat()
            self._days[day_number] = text
        return text

    def __call__(self, secs: int, micro: int = 0) -> str:
        day, rem = divmod(secs, 86400)
        text = self._days.get(day)
        if text is None:
            text = self.day(day)
        return f"{text} {rem // 3600:02d}:{rem // 60 % 60:02d}:{rem % 60:02d}.{micro:06d}"


# -- process templates -------------------------------------------------------------------------


@dataclass(frozen=True)
class _Template:
    levels: tuple[str, ...]  # the backlog levels, root first; the last one is the task level
    bug: str | None
    bug_parents: tuple[str, ...]
    # type -> (open states, done state, removed state)
    states: dict[str, tuple[tuple[str, ...], str, str | None]]
    reasons: dict[str, str]


TEMPLATES: dict[str, _Template] = {
    "Agile": _Template(
        levels=("Epic", "Feature", "User Story", "Task"),
        bug="Bug",
        bug_parents=("Feature", "User Story"),
        states={
            "Epic": (("New", "Active", "Resolved"), "Closed", "Removed"),
            "Feature": (("New", "Active", "Resolved"), "Closed", "Removed"),
            "User Story": (("New", "Active", "Resolved"), "Closed", "Removed"),
            "Task": (("New", "Active"), "Closed", "Removed"),
            "Bug": (("New", "Active", "Resolved"), "Closed", None),
        },
        reasons={
            "New": "New",
            "Active": "Implementation started",
            "Resolved": "Code complete and unit tests pass",
            "Closed": "Acceptance tests pass",
            "Removed": "Removed from the backlog",
        },
    ),
    "Scrum": _Template(
        levels=("Epic", "Feature", "Product Backlog Item", "Task"),
        bug="Bug",
        bug_parents=("Feature",),
        states={
            "Epic": (("New", "In Progress"), "Done", "Removed"),
            "Feature": (("New", "In Progress"), "Done", "Removed"),
            "Product Backlog Item": (("New", "Approved", "Committed"), "Done", "Removed"),
            "Task": (("To Do", "In Progress"), "Done", "Removed"),
            "Bug": (("New", "Approved", "Committed"), "Done", "Removed"),
        },
        reasons={
            "New": "New backlog item",
            "Approved": "Approved by the Product Owner",
            "Committed": "Commitment made by the team",
            "In Progress": "Work started",
            "To Do": "New task",
            "Done": "Work finished",
            "Removed": "Removed from the backlog",
        },
    ),
    "Basic": _Template(
        levels=("Epic", "Issue", "Task"),
        bug=None,
        bug_parents=(),
        states={
            "Epic": (("To Do", "Doing"), "Done", None),
            "Issue": (("To Do", "Doing"), "Done", None),
            "Task": (("To Do", "Doing"), "Done", None),
        },
        reasons={"To Do": "Added to backlog", "Doing": "Started", "Done": "Work finished"},
    ),
}


# -- the generator -----------------------------------------------------------------------------


@dataclass
class _User:
    id: str
    name: str
    email: str
    role: str
    offset: int
    default_activity: str | None
    display: str
    project: int = 0


@dataclass
class _Project:
    id: str
    name: str
    template: str
    areas: list[int]
    root_iteration: int
    release_of_sprint: list[int]
    sprints: list[int]
    sprint_start_days: list[int]  # day numbers


def generate(store: Store, params: SeedParams, progress: Progress | None = None) -> None:
    """Fill an empty store (schema created) with the default organization, in one transaction."""
    params.validate()
    with store.engine.connect() as conn:
        if conn.exec_driver_sql("SELECT count(*) FROM organizations").scalar_one():
            raise ValueError("the store already holds an organization; generate() needs it empty")
    gen = _Generator(params, progress)
    # Millions of short-lived tuples next to long-lived plans: the cyclic GC would rescan the
    # plans over and over for nothing (none of this data has cycles).
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        # No foreign-key enforcement: the generated rows reference each other consistently by
        # construction (the tests run PRAGMA foreign_key_check), and checking a million rows'
        # five references costs a fifth of the load.
        with store.raw_transaction(foreign_keys=False) as raw:
            gen.write(store, raw)
    finally:
        if gc_was_enabled:
            gc.enable()


class _Generator:
    def __init__(self, params: SeedParams, progress: Progress | None) -> None:
        self.params = params
        self.progress: Progress = progress or (lambda _phase, _done, _total: None)
        self.rng = random.Random(params.seed)
        self.fake = Faker("en_US")
        self.fake.seed_instance(self.rng.getrandbits(32))
        self.fmt = _TimeText()
        self.anchor = params.resolved_anchor()
        self.anchor_day = _day_number(self.anchor)
        self.first_day = self.anchor_day - params.days + 1
        self.first_secs = self.first_day * 86400
        # Nothing is created or edited later than the end of the anchor day in UTC-12.
        self.limit_secs = (self.anchor_day + 1) * 86400 + 12 * 3600
        # ... nor later than the clock's "now" when it falls on the anchor day (in some time
        # zone) or in the hours after it: the default anchor is today, whose later hours have
        # not happened yet. An anchor the user put in the future keeps its data.
        self.cutoff: int | None = None
        if params.now is not None:
            now_secs = int(params.now.timestamp())
            if self.anchor_day * 86400 - 14 * 3600 <= now_secs < self.limit_secs:
                self.cutoff = self.limit_secs = now_secs
        self.work_item_rows: list[Sequence[Any]] = []

    def guid(self) -> str:
        return guid_from_bits(self.rng.getrandbits(128))

    # -- orchestration -------------------------------------------------------------------------
    def write(self, store: Store, raw: Any) -> None:
        self.progress("organization", 0, 1)
        self.build_users()
        self.build_projects()
        self.build_budgets()
        self.build_work_items()
        insert = store.bulk_insert
        insert("activity_types", ("id", "name", "color", "position"), STANDARD_ACTIVITY_TYPES,
               conn=raw)
        insert("organizations", (
            "id", "name", "collection", "vsts_id", "vsts_collection_id",
            "system_default_activity_type_id", "admin_user_id",
        ), [self.organization_row], conn=raw)
        insert("users", (
            "id", "unique_name", "name", "email", "vsts_id", "vsts_collection_id",
            "vsts_collection_id2", "role", "timezone_offset", "default_activity_type_id",
        ), self.user_rows, conn=raw)
        insert("api_tokens", ("token", "user_id", "kind", "created_at", "expires_at"),
               self.token_rows, conn=raw)
        insert("team_projects", ("id", "name", "process_template"), self.project_rows, conn=raw)
        insert("area_paths", ("id", "project_id", "parent_id", "name", "path"), self.area_rows,
               conn=raw)
        insert("budgets", (
            "id", "name", "planned", "comment", "closed", "closed_date", "created_date",
        ), self.budget_rows, conn=raw)
        insert("iterations", (
            "id", "project_id", "parent_id", "name", "path", "start_date", "finish_date",
            "budget_id",
        ), self.iteration_rows, conn=raw)
        self.progress("work items", 0, len(self.work_item_rows))
        with _indexes_dropped(raw, "work_items"):
            insert("work_items", self.work_item_columns, self.work_item_rows, conn=raw)
        self.progress("work items", len(self.work_item_rows), len(self.work_item_rows))
        self.work_item_rows = []
        self.plan_worklogs()
        with _indexes_dropped(raw, "worklogs") as rebuild:
            insert("worklogs", WORKLOG_COLUMNS, self._progress_rows(self.worklog_rows()),
                   conn=raw, chunk=PRODUCER_BATCH)
            self.progress("indexes", 0, 1)
            rebuild()
            self.progress("indexes", 1, 1)
        insert("time_approvals", (
            "id", "user_id", "week_start", "week_end", "approval_state",
            "modification_timestamp", "submitted_timestamp", "approval_timestamp",
            "assigned_manager_id", "approved_by_manager_id",
        ), self.approval_rows(), conn=raw)
        self.progress("budgets", 0, 1)
        derived.recompute(raw)  # budgets, roots and hierarchy paths
        self.progress("budgets", 1, 1)

    def _progress_rows(self, rows: Iterator[tuple[Any, ...]]) -> Iterator[tuple[Any, ...]]:
        """The rows, produced by a helper thread in batches, with progress reports.

        sqlite3 releases the GIL while SQLite executes a statement, so building the next batch
        of tuples overlaps with inserting this one: on two cores the worklog phase takes about
        the longer of the two instead of their sum. One producer keeps the RNG sequence, so the
        data stays deterministic; the main thread does not touch the RNG until it is done."""
        total = self.worklog_total
        self.progress("worklogs", 0, total)
        done = 0
        for batch in _in_background(rows, PRODUCER_BATCH):
            yield from batch
            done += len(batch)
            self.progress("worklogs", done, total)

    # -- users, tokens, organization -------------------------------------------------------------
    def role_plan(self) -> list[str]:
        n = self.params.users
        # Every role once (the first user is the administrator), then mostly Team members.
        first = ["Administrator", "Approval Manager", "Team", "Budget", "Product", "None"]
        if n <= len(first):
            return first[:n]
        weights = {"Team": 70, "Approval Manager": 8, "Product": 7, "Budget": 5,
                   "Administrator": 3, "None": 7}
        assert set(weights) == set(ROLES)
        rest = self.rng.choices(list(weights), weights=list(weights.values()), k=n - len(first))
        tail = first[1:] + rest
        self.rng.shuffle(tail)
        return [first[0], *tail]

    def build_users(self) -> None:
        rng, fake = self.rng, self.fake
        roles = self.role_plan()
        activity_ids = [a[0] for a in STANDARD_ACTIVITY_TYPES[1:]]
        activity_weights = [8, 10, 40, 8, 8, 6, 20]
        seen: set[str] = set()
        self.users: list[_User] = []
        self.user_rows: list[tuple[Any, ...]] = []
        self.token_rows: list[tuple[Any, ...]] = []
        token_created = self.fmt((self.first_day - 30) * 86400 + 9 * 3600)
        for role in roles:
            first, last = fake.first_name(), fake.last_name()
            local = re.sub(r"[^a-z0-9.]", "", f"{first}.{last}".lower())
            email, n = f"{local}@{EMAIL_DOMAIN}", 2
            while email in seen:
                email, n = f"{local}{n}@{EMAIL_DOMAIN}", n + 1
            seen.add(email)
            name = f"{first} {last}"
            default_activity = (
                rng.choices(activity_ids, activity_weights)[0] if rng.random() < 0.75 else None
            )
            user = _User(self.guid(), name, email, role, rng.choice(TIMEZONE_OFFSETS),
                         default_activity, f"{name} <{email}>")
            vsts_id = self.guid()
            self.users.append(user)
            self.user_rows.append((user.id, email, name, email, vsts_id, vsts_id, self.guid(),
                                   role, user.offset, default_activity))
            token = "".join(rng.choices(TOKEN_ALPHABET, k=TOKEN_LENGTH))
            self.token_rows.append((token, user.id, "personal", token_created, None))
        self.admins = [u for u in self.users if u.role == "Administrator"]
        self.managers = [u for u in self.users if u.role in ("Approval Manager", "Administrator")]
        self.workers = [u for u in self.users if u.role != "None"]
        self.organization_row = (self.guid(), ORGANIZATION_NAME, COLLECTION_NAME, self.guid(),
                                 self.guid(), NOT_SET_ACTIVITY_TYPE_ID, self.users[0].id)

    # -- projects, areas, iterations -------------------------------------------------------------
    def build_projects(self) -> None:
        rng = self.rng
        self.projects: list[_Project] = []
        self.project_rows: list[tuple[Any, ...]] = []
        self.area_rows: list[tuple[Any, ...]] = []
        self.iteration_rows: list[list[Any]] = []
        area_id, iteration_id = 1, 1
        # Two-week sprints from the Monday on or before the first day, until one sprint past
        # the anchor; four sprints make a release.
        first_monday = self.first_day - (_EPOCH + timedelta(days=self.first_day)).weekday()
        sprint_starts = list(range(first_monday, self.anchor_day + 15, 14))
        for name, template in words.PROJECTS:
            project_id = self.guid()
            self.project_rows.append((project_id, name, template))
            root_area = area_id
            self.area_rows.append((area_id, project_id, None, name, name))
            areas = [area_id]
            area_id += 1
            for i, area in enumerate(sorted(rng.sample(words.AREAS, rng.randint(3, 4)))):
                self.area_rows.append((area_id, project_id, root_area, area, f"{name}\\{area}"))
                parent_area = area_id
                areas.append(area_id)
                area_id += 1
                if i == 0:  # one deeper level, as real area trees have
                    sub = rng.choice(words.SUB_AREAS)
                    self.area_rows.append(
                        (area_id, project_id, parent_area, sub, f"{name}\\{area}\\{sub}")
                    )
                    areas.append(area_id)
                    area_id += 1
            root_iteration = iteration_id
            self.iteration_rows.append([iteration_id, project_id, None, name, name, None, None,
                                        None])
            iteration_id += 1
            release_of_sprint: list[int] = []
            sprints: list[int] = []
            release_id = 0
            for n, start in enumerate(sprint_starts):
                if n % 4 == 0:
                    release = f"Release {n // 4 + 1}"
                    last = sprint_starts[min(n + 3, len(sprint_starts) - 1)]
                    release_id = iteration_id
                    self.iteration_rows.append([
                        iteration_id, project_id, root_iteration, release, f"{name}\\{release}",
                        self._date(start), self._date(last + 13), None,
                    ])
                    iteration_id += 1
                sprint = f"Sprint {n + 1}"
                self.iteration_rows.append([
                    iteration_id, project_id, release_id, sprint,
                    f"{name}\\Release {n // 4 + 1}\\{sprint}",
                    self._date(start), self._date(start + 13), None,
                ])
                release_of_sprint.append(release_id)
                sprints.append(iteration_id)
                iteration_id += 1
            self.projects.append(_Project(project_id, name, template, areas, root_iteration,
                                          release_of_sprint, sprints, sprint_starts))
        for i, user in enumerate(self.users):
            user.project = i % len(self.projects)

    @staticmethod
    def _date(day_number: int) -> str:
        return (_EPOCH + timedelta(days=day_number)).isoformat()

    # -- budgets -------------------------------------------------------------------------------
    def build_budgets(self) -> None:
        rng = self.rng
        count = min(8 + self.params.work_items // 5000, 40)
        created = self.fmt((self.first_day - 45) * 86400 + 10 * 3600)
        year = self.anchor.year
        self.budget_ids: list[str] = []
        self.budget_rows: list[tuple[Any, ...]] = []
        for i in range(count):
            project = words.PROJECTS[i % len(words.PROJECTS)][0]
            theme = words.BUDGET_THEMES[i % len(words.BUDGET_THEMES)]
            themes = len(words.BUDGET_THEMES)
            suffix = f" {i // themes + 1}" if i >= themes else ""
            name = f"{project} {theme} {year}{suffix}"
            budget_id = self.guid()
            closed = i == count - 1  # one closed budget
            closed_date = (
                self.fmt((self.first_day + self.params.days // 2) * 86400 + 16 * 3600)
                if closed else None
            )
            comment = f"Planned hours for {theme.lower()}" if rng.random() < 0.6 else None
            self.budget_ids.append(budget_id)
            self.budget_rows.append((budget_id, name, rng.randint(100, 3000) * 3600, comment,
                                     int(closed), closed_date, created))
        # Iterations: every other release of the Agile project, one sprint of the Scrum one;
        # the Basic project gets none, so its items without an item budget have NoBudget.
        agile, scrum = self.projects[0], self.projects[1]
        for n, release in enumerate(sorted(set(agile.release_of_sprint))):
            if n % 2 == 0:
                self._iteration(release)[7] = self.budget_ids[n % count]
        sprint = scrum.sprints[len(scrum.sprints) // 2]
        self._iteration(sprint)[7] = self.budget_ids[1 % count]

    def _iteration(self, iteration_id: int) -> list[Any]:
        row = self.iteration_rows[iteration_id - 1]
        assert row[0] == iteration_id
        return row

    # -- work items ----------------------------------------------------------------------------
    def tree_sizes(self) -> list[int]:
        remaining = self.params.work_items
        sizes: list[int] = []
        while remaining > 0:
            size = min(self.rng.randint(12, 50), remaining)
            sizes.append(size)
            remaining -= size
        if len(sizes) > 1 and sizes[-1] < 6:  # too small for a full-depth tree: merge it
            last = sizes.pop()
            sizes[-1] += last
        return sizes

    def tree_shape(self, template: _Template, size: int) -> list[tuple[str, int]]:
        """(type, parent index) in creation order: a chain down to the task level first (so
        every tree is 3 to 5 deep), then random growth, wide at the bottom as real backlogs."""
        rnd, choice = self.rng.random, self.rng.choice
        levels = template.levels
        nodes: list[tuple[str, int]] = []
        by_type: dict[str, list[int]] = {t: [] for t in (*levels, template.bug or "")}

        def add(kind: str, parent: int) -> None:
            by_type[kind].append(len(nodes))
            nodes.append((kind, parent))

        for depth, kind in enumerate(levels[:size]):
            add(kind, depth - 1)
        task, requirement = levels[-1], levels[-2]
        task_parents = by_type[requirement]
        while len(nodes) < size:
            r = rnd()
            if len(levels) == 4 and r < 0.08:
                add(levels[1], 0)
            elif r < 0.30:
                add(requirement, choice(by_type[levels[-3]]))
            elif template.bug and r < 0.40:
                parent_type = choice(template.bug_parents)
                add(template.bug, choice(by_type[parent_type]))
            elif task_parents or by_type.get(template.bug or "", []):
                pool = task_parents + by_type[template.bug] if template.bug else task_parents
                add(task, choice(pool))
            else:
                add(requirement, 0)
        return nodes

    def build_work_items(self) -> None:
        rng, fmt = self.rng, self.fmt
        rnd, choice, randint = rng.random, rng.choice, rng.randint
        columns = [c.name for c in SQLModel.metadata.tables["work_items"].columns]
        self.work_item_columns = columns
        col = {name: i for i, name in enumerate(columns)}
        width = len(columns)
        phrases = [self.fake.catch_phrase() for _ in range(60)]
        bs = [self.fake.bs() for _ in range(60)]
        customers = [self.fake.company() for _ in range(12)]
        workers = self.workers or self.users
        span_start = self.first_secs - 120 * 86400
        anchor_end = (self.anchor_day + 1) * 86400 - 1
        # Dates end by the clock's now; the random draws (states by age) do not depend on it.
        last = anchor_end if self.cutoff is None else min(anchor_end, self.cutoff)
        rows: list[list[Any]] = []
        self.task_pool: list[list[int]] = [[] for _ in self.projects]
        self.other_pool: list[int] = []
        self.billable_items: set[int] = set()
        created_of: list[int] = []
        epics: list[int] = []
        weights = (0.40, 0.35, 0.25)
        for size in self.tree_sizes():
            p_index = rng.choices(range(len(self.projects)), weights)[0]
            project = self.projects[p_index]
            template = TEMPLATES[project.template]
            base_id = FIRST_WORK_ITEM_ID + len(rows)
            for kind, parent in self.tree_shape(template, size):
                item_id = FIRST_WORK_ITEM_ID + len(rows)
                row: list[Any] = [None] * width
                parent_id = base_id + parent if parent >= 0 else None
                if parent_id is None:
                    created = span_start + int(rnd() * (self.params.days + 100) * 86400)
                    epics.append(item_id)
                else:
                    created = created_of[parent_id - FIRST_WORK_ITEM_ID] + int(
                        rnd() * 21 * 86400
                    )
                age = (anchor_end - min(created, anchor_end - 3600)) / \
                    ((anchor_end - span_start) or 1)  # older items are more likely finished
                created = min(created, last - 3600)
                created_of.append(created)
                changed = min(created + int(rnd() * 30 * 86400), last)
                open_states, done, removed = template.states[kind]
                r = rnd()
                if removed and r < 0.02:
                    state = removed
                elif r < 0.15 + 0.7 * age:
                    state = done
                else:
                    state = choice(open_states)
                assignee = choice(workers) if rnd() > (0.15 if parent_id is None else 0.05) \
                    else None
                creator = choice(workers)
                sprint = min(max((created // 86400 - project.sprint_start_days[0]) // 14, 0),
                             len(project.sprints) - 1)
                if parent_id is None:
                    iteration = project.root_iteration
                elif kind == template.levels[1]:
                    iteration = project.release_of_sprint[sprint]
                else:
                    iteration = project.sprints[sprint]
                row[col["id"]] = item_id
                row[col["parent_id"]] = parent_id
                row[col["project_id"]] = project.id
                row[col["work_item_type"]] = kind
                row[col["state"]] = state
                row[col["reason"]] = template.reasons[state]
                row[col["title"]] = self.title(kind, phrases, bs)
                if assignee is not None:
                    row[col["assigned_to_user_id"]] = assignee.id
                    row[col["assigned_to"]] = assignee.display
                row[col["created_by"]] = creator.display
                row[col["area_id"]] = choice(project.areas)
                row[col["iteration_id"]] = iteration
                row[col["created_date"]] = fmt(created, int(rnd() * 1000) * 1000)
                row[col["changed_date"]] = fmt(changed, int(rnd() * 1000) * 1000)
                row[col["budget_assignment_type"]] = budget_rules.NOT_COMPUTED
                self.vsts_fields(row, col, template, kind, state, done, created, changed,
                                 assignee or creator)
                fields: dict[str, Any] = {}
                if rnd() < 0.55:
                    fields["System.Tags"] = "; ".join(rng.sample(words.TAGS, randint(1, 3)))
                if rnd() < 0.7:
                    fields["Custom.CostCenter"] = choice(words.COST_CENTERS)
                if rnd() < 0.7:
                    billable = rnd() < 0.6
                    fields["Custom.Billable"] = billable
                    if billable:
                        self.billable_items.add(item_id)
                if rnd() < 0.5:
                    fields["Custom.Effort"] = randint(1, 40) / 2
                if kind in ("Epic", "Feature") and rnd() < 0.5:
                    fields["Custom.Customer"] = choice(customers)
                row[col["fields"]] = json.dumps(fields)
                rows.append(row)
                if kind in ("Task", "Bug"):
                    self.task_pool[p_index].append(item_id)
                else:
                    self.other_pool.append(item_id)
        # Direct work-item budgets: about a fifth of the epics (their trees inherit), and a few
        # items further down with another budget (which breaks the inheritance below them).
        budgets = self.budget_ids
        for item_id in rng.sample(epics, max(1, len(epics) // 5)) if len(epics) > 1 else []:
            rows[item_id - FIRST_WORK_ITEM_ID][col["budget_id"]] = choice(budgets)
        for row in rows:
            if row[col["parent_id"]] is not None and rnd() < 0.02:
                row[col["budget_id"]] = choice(budgets)
        self.work_item_rows = [tuple(r) for r in rows]
        self.work_item_count = len(rows)

    def title(self, kind: str, phrases: list[str], bs: list[str]) -> str:
        choice = self.rng.choice
        if kind == "Epic":
            return f"{choice(words.AREAS)} {choice(words.EPIC_THEMES)}: {choice(phrases)}"
        if kind == "Feature":
            text = choice(bs)
            return f"{text[0].upper()}{text[1:]} for the {choice(words.COMPONENTS)}"
        if kind in ("User Story", "Product Backlog Item", "Issue"):
            return f"As a {choice(words.PERSONAS)}, I want to {choice(words.WANTS)}"
        if kind == "Bug":
            return (f"{choice(words.COMPONENTS).capitalize()} {choice(words.BUG_SYMPTOMS)} when "
                    f"{choice(words.BUG_CONDITIONS)}")
        return f"{choice(words.TASK_VERBS)} {choice(words.COMPONENTS)}"

    def vsts_fields(self, row: list[Any], col: dict[str, int], template: _Template, kind: str,
                    state: str, done: str, created: int, changed: int, who: _User) -> None:
        rnd, choice, fmt = self.rng.random, self.rng.choice, self.fmt
        pre = "microsoft_vsts_"
        row[col[pre + "common_priority"]] = choice((1, 2, 2, 2, 3, 3, 4))
        is_task = kind == "Task"
        agile = template.levels[2] == "User Story"
        if not is_task:
            rank = round(rnd() * 1e9, 1)
            row[col[pre + ("common_stackrank" if agile else "common_backlogpriority")]] = rank
        if kind in ("Epic", "Feature", "User Story", "Product Backlog Item") or (
            agile and kind == "Bug"
        ):
            row[col[pre + "common_valuearea"]] = "Architectural" if rnd() < 0.15 else "Business"
        if kind in ("Epic", "Feature"):
            if rnd() < 0.6:
                row[col[pre + "common_businessvalue"]] = self.rng.randint(1, 100)
                row[col[pre + "common_timecriticality"]] = float(self.rng.randint(1, 20))
            if rnd() < 0.5:
                row[col[pre + "scheduling_startdate"]] = fmt(created - created % 86400)
                row[col[pre + "scheduling_targetdate"]] = fmt(
                    created - created % 86400 + self.rng.randint(4, 16) * 7 * 86400
                )
        if kind == "User Story":
            row[col[pre + "scheduling_storypoints"]] = float(choice((1, 2, 3, 5, 8, 13)))
            if rnd() < 0.4:
                row[col[pre + "common_risk"]] = choice(("1 - High", "2 - Medium", "3 - Low"))
        elif kind in ("Product Backlog Item", "Issue") or (kind == "Bug" and not agile):
            row[col[pre + "scheduling_effort"]] = float(choice((1, 2, 3, 5, 8, 13)))
        if kind == "Bug":
            row[col[pre + "common_severity"]] = choice(
                ("1 - Critical", "2 - High", "3 - Medium", "3 - Medium", "4 - Low")
            )
        if is_task:
            estimate = float(self.rng.randint(1, 16))
            completed = estimate if state == done else float(int(estimate * rnd()))
            row[col[pre + "scheduling_remainingwork"]] = max(estimate - completed, 0.0)
            if agile or template.levels[1] == "Issue":
                row[col[pre + "scheduling_originalestimate"]] = estimate
                row[col[pre + "scheduling_completedwork"]] = completed
            if template.levels[1] != "Issue":
                row[col[pre + "common_activity"]] = choice(words.VSTS_ACTIVITIES)
        open_states = template.states[kind][0]
        if state != open_states[0]:
            activated = min(created + int(rnd() * 5 * 86400), changed)
            row[col[pre + "common_activateddate"]] = fmt(activated)
            row[col[pre + "common_activatedby"]] = who.display
            row[col[pre + "common_statechangedate"]] = fmt(changed)
        if state == done:
            row[col[pre + "common_closeddate"]] = fmt(changed)
            row[col[pre + "common_closedby"]] = who.display
        if agile and state in ("Resolved", "Closed") and kind != "Task":
            row[col[pre + "common_resolveddate"]] = fmt(changed)
            row[col[pre + "common_resolvedby"]] = who.display
            row[col[pre + "common_resolvedreason"]] = "Fixed" if kind == "Bug" else "Completed"

    # -- worklogs ------------------------------------------------------------------------------
    def plan_worklogs(self) -> None:
        """Decide the working user-days and the entry count of each; with ``worklogs=N`` the
        counts are scaled and then nudged one by one until they add up to exactly N."""
        rng = self.rng
        rnd = rng.random
        slots: list[tuple[_User, int]] = []  # (user, local day number)
        # Day by day, then user by user: rows then arrive in roughly ascending timestamps, so
        # every worklog index (timestamps, users, items) is filled near its current tail,
        # which stays in SQLite's page cache.
        for day in range(self.first_day, self.anchor_day + 1):
            # Day numbers: 1970-01-01 was a Thursday, so (day + 3) % 7 is the weekday.
            if (day + 3) % 7 < 5:
                slots.extend((user, day) for user in self.workers if rnd() >= DAY_OFF_RATE)
        base = BASE_ENTRY_COUNTS
        picks = [base[int(rnd() * len(base))] for _ in slots]
        target = self.params.worklogs
        if target is not None:
            if target > len(slots) * MAX_ENTRIES_A_DAY:
                raise ValueError(
                    f"{target} worklogs do not fit in {len(slots)} working user-days "
                    f"(at most {MAX_ENTRIES_A_DAY} a day): raise users or days"
                )
            scale = target / len(slots) / BASE_MEAN if slots else 0.0
            picks = [min(int(p * scale + rnd()), MAX_ENTRIES_A_DAY) for p in picks]
            diff = target - sum(picks)
            n = len(picks)
            while diff > 0:
                i = int(rnd() * n)
                if picks[i] < MAX_ENTRIES_A_DAY:
                    picks[i] += 1
                    diff -= 1
            while diff < 0:
                i = int(rnd() * n)
                if picks[i] > 0:
                    picks[i] -= 1
                    diff += 1
        self.slots = slots
        self.slot_counts = picks
        visible = sum(picks)
        # Soft-deleted extra entries (about 0.6 %, at least 3) on random user-days.
        n_deleted = min(max(3, round(visible * 0.006)), len(slots)) if slots else 0
        self.deleted_slots = set(rng.sample(range(len(slots)), n_deleted))
        self.worklog_total = visible + n_deleted
        # Ids drawn up front and handed out sorted: the primary-key index then only appends.
        bits = rng.getrandbits
        self.worklog_ids = sorted(bits(128) for _ in range(self.worklog_total))

    def worklog_rows(self) -> Iterator[tuple[Any, ...]]:
        """The worklog tuples, user by user and day by day. This is the hot loop of a
        million-row seed: everything is a local, one ``rnd()`` call per decision, times are
        epoch seconds formatted from cached day and minute strings."""
        rng = self.rng
        rnd, sample, randrange, randint = rng.random, rng.sample, rng.randrange, rng.randint
        # Date strings by day number, from well before the first day to past the last edit.
        d0 = self.first_day - 2
        day_text = [self.fmt.day(d) for d in range(d0, self.limit_secs // 86400 + 8)]
        minute_text = [f"{m // 60:02d}:{m % 60:02d}" for m in range(1440)]
        activity_ids = [a[0] for a in STANDARD_ACTIVITY_TYPES[1:]]
        n_activities = len(activity_ids)
        comments = words.COMMENTS
        n_comments = len(comments)
        budgets = self.budget_ids
        n_budgets = len(budgets)
        admin_ids = [u.id for u in (self.admins or self.users[:1])]
        n_admins = len(admin_ids)
        task_pool = self.task_pool
        all_tasks = [i for pool in task_pool for i in pool]
        other_pool = self.other_pool or all_tasks
        n_other = len(other_pool)
        billable_items = self.billable_items
        ids = iter(self.worklog_ids)
        limit = self.limit_secs
        cutoff = self.cutoff if self.cutoff is not None else 1 << 62
        deleted_slots = self.deleted_slots
        counts = self.slot_counts

        for k, (user, day) in enumerate(self.slots):
            count = counts[k]
            extra = k in deleted_slots
            if count == 0 and not extra:
                continue
            uid = user.id
            home = task_pool[user.project] or all_tasks or other_pool
            n_home = len(home)
            default_activity = user.default_activity
            # Split a 5 to 9 hour day into `count` entries: quarter hours when they fit,
            # 5-minute units for very busy days.
            if count <= 36:
                unit, total = 900, randint(max(20, count), 36)
            else:
                unit, total = 300, randint(max(60, count), 108)
            if count <= 1:
                parts = [total] if count else []
            elif count == 2:
                cut = randrange(1, total)
                parts = [cut, total - cut]
            else:
                cuts = sorted(sample(range(1, total), count - 1))
                parts = [b - a for a, b in zip([0, *cuts], [*cuts, total], strict=True)]
            if extra:
                parts.append(0)  # marker: one soft-deleted entry after the day's work
            cursor = day * 86400 + 27000 + int(rnd() * 10) * 900 - user.offset * 60
            for units in parts:
                deleted = units == 0
                if deleted:
                    cursor += 900
                    length = int(1 + rnd() * 4) * 900
                else:
                    length = units * unit
                start = cursor
                cursor += length
                if rnd() < 0.25:
                    cursor += int(1 + rnd() * 3) * 900  # a break
                r = rnd()
                if r < 0.04:
                    work_item = None  # comment-only
                    comment: str | None = comments[int(rnd() * n_comments)]
                else:
                    work_item = (
                        home[int(rnd() * n_home)] if r < 0.88 or not n_other
                        else other_pool[int(rnd() * n_other)]
                    )
                    comment = comments[int(rnd() * n_comments)] if rnd() < 0.4 else None
                r = rnd()
                if r < 0.55 and default_activity is not None:
                    activity = default_activity
                elif r < 0.9:
                    activity = activity_ids[int(rnd() * n_activities)]
                else:
                    activity = None
                end = start + length
                r = rnd()
                tracked = r < 0.18
                if tracked:
                    created = end + int(rnd() * 3)
                else:
                    s = rnd()
                    delay = rnd() * (1800 if s < 0.6 else 21600 if s < 0.9 else 259200)
                    created = min(end + int(delay), max(end, limit))
                billable = rnd() < (0.8 if work_item in billable_items else 0.1)
                billable_length = None
                if billable and rnd() < 0.35:
                    billable_length = length - 900 if length > 1800 and rnd() < 0.3 else length
                day_s, rem = divmod(created, 86400)
                created_text = (f"{day_text[day_s - d0]} {minute_text[rem // 60]}:"
                                f"{rem % 60:02d}.{int(rnd() * 1e6):06d}")
                if deleted or rnd() < 0.03:
                    day_s, rem = divmod(min(created + 600 + int(rnd() * 172800),
                                            max(created, cutoff)), 86400)
                    edited_text = (f"{day_text[day_s - d0]} {minute_text[rem // 60]}:"
                                   f"{rem % 60:02d}.{int(rnd() * 1e6):06d}")
                    editor: str | None = (
                        uid if deleted or rnd() < 0.85 else admin_ids[int(rnd() * n_admins)]
                    )
                    changed = 0 if deleted else 1
                else:
                    edited_text, editor, changed = created_text, None, 0
                day_s, rem = divmod(start, 86400)
                row = (
                    guid_from_bits(next(ids)) if end <= cutoff else "",
                    uid,
                    uid if rnd() < 0.97 else admin_ids[int(rnd() * n_admins)],
                    editor,
                    f"{day_text[day_s - d0]} {minute_text[rem // 60]}:00.000000",
                    length,
                    billable_length,
                    work_item,
                    comment,
                    activity,
                    budgets[int(rnd() * n_budgets)] if n_budgets and rnd() < 0.003 else None,
                    created_text,
                    edited_text,
                    1 if tracked else 0,
                    0 if tracked or 0.21 <= r < 0.22 else 1,  # manual unless timer or import
                    changed,
                    1 if tracked and rnd() < 0.05 else 0,
                    1 if 0.21 <= r < 0.22 else 0,  # imported
                    1 if 0.18 <= r < 0.21 else 0,  # from the API
                    1 if billable else 0,
                    1 if deleted else 0,
                )
                if end <= cutoff:  # else it would lie in the future of the clock (all the
                    yield row      # random draws made, so the rows before it stay the same)

    # -- time approvals ------------------------------------------------------------------------
    def approval_rows(self) -> list[tuple[Any, ...]]:
        """The last 2-5 complete weeks of about 60 % of the working users: older weeks approved,
        the latest submitted; a few reopened and closed ones."""
        rng, fmt = self.rng, self.fmt
        rnd = rng.random
        managers = self.managers or self.users[:1]
        rows: list[tuple[Any, ...]] = []
        mondays = [
            d for d in range(self.first_day, self.anchor_day - 6)
            if (d + 3) % 7 == 0
        ]
        if not mondays:
            return rows
        forced_reopen = True
        for user in self.workers:
            if rnd() >= 0.6 and not forced_reopen:
                continue
            weeks = mondays[-rng.randint(2, 5):]
            others = [m for m in managers if m.id != user.id] or managers
            offset = user.offset * 60
            for n, monday in enumerate(weeks):
                latest = n == len(weeks) - 1
                manager = rng.choice(others)
                submitted = monday * 86400 + 4 * 86400 + 16 * 3600 + int(rnd() * 3 * 86400)
                submitted -= offset
                approval: int | None = None
                approved_by: str | None = None
                r = rnd()
                if forced_reopen or r < 0.05:
                    state, modified = APPROVAL_REOPENED, submitted + 86400 + int(rnd() * 86400)
                    forced_reopen = False
                elif r < 0.08:
                    state, modified = APPROVAL_CLOSED, submitted + int(rnd() * 86400)
                elif latest:
                    state, modified = APPROVAL_SUBMITTED, submitted
                else:
                    state = APPROVAL_APPROVED
                    approval = submitted + 3600 + int(rnd() * 2 * 86400)
                    approved_by = manager.id
                    modified = approval
                if self.cutoff is not None:
                    submitted, modified = min(submitted, self.cutoff), min(modified, self.cutoff)
                    approval = min(approval, self.cutoff) if approval else approval
                submitted_text = None if state == APPROVAL_CLOSED else fmt(submitted)
                rows.append((
                    self.guid(), user.id, self._date(monday), self._date(monday + 6), state,
                    fmt(modified), submitted_text, fmt(approval) if approval else None,
                    manager.id, approved_by,
                ))
        return rows


PRODUCER_BATCH = 25_000


def _in_background(rows: Iterator[Any], size: int) -> Iterator[list[Any]]:
    """Consume ``rows`` in a helper thread, yielding lists of ``size``; a small queue bounds
    the memory. An exception in the producer is re-raised here; stopping early stops it."""
    batches: queue.Queue[list[Any] | BaseException | None] = queue.Queue(maxsize=4)
    stop = threading.Event()

    def put(item: list[Any] | BaseException | None) -> bool:
        while not stop.is_set():
            try:
                batches.put(item, timeout=0.2)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            batch: list[Any] = []
            for row in rows:
                batch.append(row)
                if len(batch) >= size:
                    if not put(batch):
                        return
                    batch = []
            if batch and not put(batch):
                return
            put(None)
        except BaseException as exc:  # handed to the consumer
            put(exc)

    thread = threading.Thread(target=produce, name="mockpace-seed-rows", daemon=True)
    thread.start()
    try:
        while (item := batches.get()) is not None:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        thread.join()


@contextmanager
def _indexes_dropped(raw: Any, table: str) -> Iterator[Callable[[], None]]:
    """Drop a table's secondary indexes for a bulk load; the caller rebuilds them with the
    yielded function (or it happens on exit), inside the same transaction, so a failure
    leaves the schema as it was."""
    rows = raw.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? "
        "AND sql IS NOT NULL ORDER BY name",
        (table,),
    ).fetchall()
    for name, _ in rows:
        raw.execute(f'DROP INDEX "{name}"')
    done = False

    def rebuild() -> None:
        nonlocal done
        if not done:
            for _, sql in rows:
                raw.execute(sql)
            done = True

    yield rebuild
    rebuild()
