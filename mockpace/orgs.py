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
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from sqlmodel import select

from mockpace.common.clock import CLOCK_KEY, Clock
from mockpace.settings import ORG_SETTING_NAMES, OrgSettings
from mockpace.store import DatasetInfo, Organization, Setting, Store

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


class Org:
    """One organization: its store, settings, clock and the pristine copy that reset restores."""

    def __init__(self, name: str, store: Store) -> None:
        self.name = name
        self.store = store
        self._lock = threading.Lock()
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
        reuse: bool = True,
    ) -> bool:
        """Fill the database from ``source`` unless it already holds exactly that data (file
        databases built earlier). Returns True when it (re)generated the data."""
        from mockpace.seed import SeedParams, generate, load_fixture

        self.store.create_schema()
        digest = source.digest()
        generated = False
        # a file database may come from a mockpace with another schema: rebuilt, not reused
        current = self.store.schema_is_current()
        if not (reuse and current and self._stored_digest() == digest):
            if current:
                self.store.clear()
            else:
                self.store.rebuild_schema()
            if source.document is not None:
                load_fixture(self.store, source.document, name="document")
            elif source.fixture is not None:
                load_fixture(self.store, Path(source.fixture))
            else:
                params = SeedParams(seed=source.seed, anchor_date=source.anchor_date,
                                    users=source.users, work_items=source.work_items,
                                    days=source.days, worklogs=source.worklogs)
                generate(self.store, params, progress=progress)
            with self.store.write() as session:
                session.merge(DatasetInfo(key="source", value=digest))
            generated = True
        self._init_settings(defaults, clock)
        self.refresh_identity()
        if self.store.is_sqlite:
            self.store.save_snapshot(PRISTINE)
        return generated

    def _stored_digest(self) -> str | None:
        with self.store.read() as session:
            row = session.get(DatasetInfo, "source")
            return row.value if row else None

    def _init_settings(self, defaults: OrgSettings, clock: Clock | None) -> None:
        """Start-up settings: the server's values, overlaid with those the data set itself
        defines (a fixture's ``settings``), and the start clock. Written on every start, so a
        reused database file never keeps values changed at run time by an earlier server."""
        with self.store.write() as session:
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

    def refresh_identity(self) -> None:
        with self.store.read() as session:
            org = session.exec(select(Organization)).first()
        if org is not None:
            self.name = org.name
            self.collection = org.collection
            self.admin_user_id = org.admin_user_id

    def reset(self) -> float:
        """Back to the state right after start-up; returns milliseconds taken."""
        ms = self.store.restore_snapshot(PRISTINE)
        self.refresh_identity()
        return ms

    def replace_pristine(self) -> None:
        """Make the current state the one reset returns to (after loading a fixture)."""
        self.store.save_snapshot(PRISTINE)

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
        with self._lock:
            updated = self.settings().patched(changes)
            with self.store.write() as session:
                for name in changes:
                    session.merge(Setting(name=name, value=getattr(updated, name)))
            return updated

    def set_clock(self, clock: Clock) -> Clock:
        with self.store.write() as session:
            session.merge(Setting(name=CLOCK_KEY, value=clock.to_json()))
        return clock


class Registry:
    """The organizations of this server, by name and collection (case-insensitive)."""

    def __init__(self) -> None:
        self._orgs: dict[str, Org] = {}
        self.default: Org | None = None
        self.started = time.time()

    def add(self, org: Org, *, default: bool = False) -> None:
        self._orgs[org.name.lower()] = org
        if default or self.default is None:
            self.default = org

    def remove(self, name: str) -> Org:
        org = self._orgs.pop(name.lower())
        org.store.dispose()
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
