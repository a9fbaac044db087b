"""Organizations at run time: each has its own database (a Store), settings and clock.

One server can hold several organizations (the admin plane creates more); a request picks one by
the on-prem collection segment (``/api/{collection}/...``) or the first label of its ``Host``
header (``fabrikam.localhost``); everything else goes to the default organization.
Keeping one database per organization makes isolation, reset and snapshots trivial.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal

from sqlmodel import select

from mockpace.common.clock import CLOCK_KEY, Clock
from mockpace.settings import ORG_SETTING_NAMES, OrgSettings
from mockpace.store import DatasetInfo, Organization, Setting, Store
from mockpace.store.engine import MEMORY

PRISTINE = "__pristine__"
DEFAULT_SETTINGS = OrgSettings().model_dump()
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class DataSource:
    """What fills an organization: generator parameters or a fixture (file or document)."""

    seed: int = 1
    anchor_date: date | None = None
    users: int = 25
    work_items: int = 400
    days: int = 90
    worklogs: int | None = None
    fixture: str | None = None  # path of a fixture file
    document: dict[str, Any] | None = field(default=None, compare=False)

    def digest(self) -> str:
        """Identifies the data this source produces, to reuse a file database built earlier."""
        if self.document is not None:
            payload = json.dumps(self.document, sort_keys=True, default=str)
            return "document:" + hashlib.sha256(payload.encode()).hexdigest()
        if self.fixture is not None:
            content = Path(self.fixture).read_bytes()
            return "fixture:" + hashlib.sha256(content).hexdigest()
        anchor = (self.anchor_date or date.today()).isoformat()
        return (f"seed:{self.seed}:anchor:{anchor}:users:{self.users}:items:{self.work_items}"
                f":days:{self.days}:worklogs:{self.worklogs}")


@dataclass(frozen=True)
class Opened:
    """What ``Org.load`` did with the database: ``created`` (new or empty: filled from the
    source), ``reused`` (kept as it was), ``rebuilt`` (``fresh`` asked for it, or its schema
    was another mockpace's; ``backup`` then names the copy of the old file)."""

    action: Literal["created", "reused", "rebuilt"]
    backup: Path | None = None
    reason: str = ""

    def __bool__(self) -> bool:  # True when the data was (re)generated
        return self.action != "reused"


def fill(store: Store, source: DataSource, defaults: OrgSettings, clock: Clock | None,
         progress: Progress | None = None) -> None:
    """Write the data of ``source`` into an empty ``store`` (schema created), then the
    start-up settings and clock."""
    from mockpace.seed import SeedParams, generate, load_fixture

    if source.document is not None:
        load_fixture(store, source.document, name="document")
    elif source.fixture is not None:
        load_fixture(store, Path(source.fixture))
    else:
        params = SeedParams(seed=source.seed, anchor_date=source.anchor_date,
                            users=source.users, work_items=source.work_items,
                            days=source.days, worklogs=source.worklogs,
                            now=(clock or Clock()).now())
        generate(store, params, progress=progress)
    with store.write() as session:
        session.merge(DatasetInfo(key="source", value=source.digest()))
    init_settings(store, defaults, clock)


def init_settings(store: Store, defaults: OrgSettings, clock: Clock | None) -> None:
    """Start-up settings: the server's values, overlaid with those the data set itself
    defines (a fixture's ``settings``), and the start clock. Written on every start, so a
    reused database file never keeps values changed at run time by an earlier server."""
    with store.write() as session:
        info = session.get(DatasetInfo, "data_settings")
        if info is None:
            rows = session.exec(select(Setting)).all()
            data_settings = {r.name: r.value for r in rows if r.name in ORG_SETTING_NAMES}
            session.add(DatasetInfo(key="data_settings", value=json.dumps(data_settings)))
        else:
            data_settings = json.loads(info.value)
        values = defaults.model_dump() | data_settings
        for name, value in values.items():
            session.merge(Setting(name=name, value=value))
        session.merge(Setting(name=CLOCK_KEY, value=(clock or Clock()).to_json()))


class Org:
    """One organization: its store, settings, clock and the pristine copy that reset restores.

    Every change that replaces the organization's state (reset, seed, fixtures, import,
    snapshot save and restore) runs under ``state_lock``, one at a time, and is atomic: new
    data is built in a scratch database and copied over the live one in one SQLite step, so a
    failure changes nothing and no request (and no ``reset``) ever sees a half-written state.
    """

    def __init__(self, name: str, store: Store) -> None:
        self.name = name
        self.store = store
        self.state_lock = threading.RLock()
        # Bumped by every replacement of the state: what is kept beside the database (the
        # rate-limit windows) starts afresh with it.
        self.epoch = 0
        self.collection = name
        self.admin_user_id: str | None = None

    # -- data ---------------------------------------------------------------------------------
    def load(
        self,
        source: DataSource,
        defaults: OrgSettings,
        *,
        clock: Clock | None = None,
        progress: Progress | None = None,
        fresh: bool = False,
    ) -> Opened:
        """Open the organization's database at start-up. A file that already holds a data set
        is the user's data: it is reused as it is (``source`` ignored) unless ``fresh`` asks for
        a rebuild. A file whose schema is another mockpace's is copied aside (``backup``) and
        rebuilt. A new or empty one (and every throw-away database) is filled from ``source``.
        """
        store = self.store
        with self.state_lock:
            opened = Opened("created")
            present = store.schema_tables()
            if present and not store.temporary:
                if not store.schema_is_current():
                    backup = store.backup_file()
                    opened = Opened("rebuilt", backup, "its schema is another mockpace version's")
                elif fresh:
                    opened = Opened("rebuilt", None, "--fresh")
                elif self._stored_digest() is not None:
                    opened = Opened("reused")
            if opened.action == "reused":
                init_settings(store, defaults, clock)
            else:
                if present:
                    store.rebuild_schema()
                else:
                    store.create_schema()
                fill(store, source, defaults, clock, progress)
            self.refresh_identity()
            store.save_snapshot(PRISTINE)
            self.epoch += 1
            return opened

    def adopt(self, pristine: Path) -> None:
        """Take over the database as the serving process opened it (a worker of ``serve
        --workers``): data, settings and clock as they are now (they may have changed since,
        through another worker: a worker's start never writes them), and the pristine copy
        that process saved (``pristine``, its ``Store.export_snapshot``), so every worker's
        ``reset`` returns to the same start-up state."""
        with self.state_lock:
            self.store.import_snapshot(PRISTINE, pristine)
            self.refresh_identity()
            self.epoch += 1

    def _stored_digest(self) -> str | None:
        with self.store.read() as session:
            row = session.get(DatasetInfo, "source")
            return row.value if row else None

    def replace(self, build: Callable[[Store], None], *, pristine: bool) -> None:
        """Replace the whole state with what ``build`` writes into an empty scratch database,
        atomically (see the class). ``pristine``: it becomes the state that reset returns to.
        An exception of ``build`` leaves everything as it was."""
        with self.state_lock:
            scratch = Store(MEMORY)
            try:
                scratch.create_schema()
                build(scratch)
                self.store.copy_from(scratch)
            finally:
                scratch.dispose()
            self.refresh_identity()
            if pristine:
                self.store.save_snapshot(PRISTINE)
            self.epoch += 1

    def refresh_identity(self) -> None:
        with self.store.read() as session:
            org = session.exec(select(Organization)).first()
        if org is not None:
            self.name = org.name
            self.collection = org.collection
            self.admin_user_id = org.admin_user_id

    def reset(self) -> float:
        """Back to the state right after start-up; returns milliseconds taken."""
        return self.restore(PRISTINE)

    def restore(self, snapshot: str) -> float:
        """Restore a saved snapshot (KeyError when unknown); returns milliseconds taken."""
        with self.state_lock:
            ms = self.store.restore_snapshot(snapshot)
            self.refresh_identity()
            self.epoch += 1
            return ms

    def save_snapshot(self, name: str) -> datetime:
        with self.state_lock:
            return self.store.save_snapshot(name)

    def replace_pristine(self) -> None:
        """Make the current state the one reset returns to (after loading a fixture)."""
        self.save_snapshot(PRISTINE)

    # -- settings and clock -------------------------------------------------------------------
    def state(self) -> tuple[OrgSettings, Clock]:
        """Settings and clock in one query (read once per request, on the hot path)."""
        rows = {name: json.loads(value) if isinstance(value, str) else value
                for name, value in self.store.fast_rows("SELECT name, value FROM settings")}
        values = {k: v for k, v in rows.items() if k in ORG_SETTING_NAMES}
        return OrgSettings.model_construct(**(DEFAULT_SETTINGS | values)), \
            Clock.from_json(rows.get(CLOCK_KEY))

    def settings(self) -> OrgSettings:
        return self.state()[0]

    def clock(self) -> Clock:
        return self.state()[1]

    def update_settings(self, changes: dict[str, Any]) -> OrgSettings:
        """Apply ``changes`` (SettingsError when a value is refused: nothing stored)."""
        with self._state_change() as (session, rows):
            values = {k: v for k, v in rows.items() if k in ORG_SETTING_NAMES}
            updated = OrgSettings.model_construct(**(DEFAULT_SETTINGS | values)).patched(changes)
            for name in changes:
                session.merge(Setting(name=name, value=getattr(updated, name)))
            return updated

    def set_clock(self, clock: Clock) -> Clock:
        return self.change_clock(lambda _current: clock)

    def change_clock(self, change: Callable[[Clock], Clock]) -> Clock:
        """Store ``change(current clock)``; an exception of ``change`` stores nothing."""
        with self._state_change() as (session, rows):
            clock = change(Clock.from_json(rows.get(CLOCK_KEY)))
            session.merge(Setting(name=CLOCK_KEY, value=clock.to_json()))
            return clock

    @contextmanager
    def _state_change(self) -> Iterator[tuple[Any, dict[str, Any]]]:
        """A write transaction on the settings rows, read inside it: read, change and write
        are one step, never interleaved with another change of this process (``state_lock``,
        which also queues it behind a running state replacement) or of another worker process
        (the read is the transaction's first statement, after SQLite's write lock is taken)."""
        with self.state_lock, self.store.write() as session:
            rows = {row.name: row.value for row in session.exec(select(Setting)).all()}
            yield session, rows


class Registry:
    """The organizations of this server, by name and collection (case-insensitive).

    Creating and deleting organizations runs under ``lock``, one at a time; the mapping itself
    is replaced, never changed in place, so a request resolving an organization meanwhile
    never sees it half-updated."""

    def __init__(self) -> None:
        self._orgs: dict[str, Org] = {}
        self.default: Org | None = None
        self.started = time.time()
        self.lock = threading.RLock()

    def add(self, org: Org, *, default: bool = False) -> None:
        with self.lock:
            self._orgs = {**self._orgs, org.name.lower(): org}
            if default or self.default is None:
                self.default = org

    def remove(self, name: str) -> Org:
        with self.lock:
            orgs = dict(self._orgs)
            org = orgs.pop(name.lower())
            self._orgs = orgs
        with org.state_lock:  # no state change of it is under way
            # Requests already under way still use its database: closing it under them
            # crashed the process (sqlite3 on a closed, memory-mapped connection). It closes
            # when the last of them lets go of the organization.
            weakref.finalize(org, org.store.dispose)
        return org

    def get(self, name: str) -> Org | None:
        key = name.lower()
        if key in self._orgs:
            return self._orgs[key]
        for org in self._orgs.values():
            if org.collection.lower() == key:
                return org
        return None

    def all(self) -> list[Org]:
        return list(self._orgs.values())

    def resolve(self, collection: str | None, host: str | None) -> Org:
        """The organization a request addresses: collection segment, else Host's first label,
        else the default. With one organization every collection name maps to it."""
        assert self.default is not None
        if len(self._orgs) == 1:
            return self.default
        if collection:
            org = self.get(collection)
            if org is not None:
                return org
        if host:
            label = host.split(":")[0].split(".")[0]
            org = self.get(label)
            if org is not None:
                return org
        return self.default
