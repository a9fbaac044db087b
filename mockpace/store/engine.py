"""Engine, sessions, bulk inserts and snapshots of one organization's database."""

from __future__ import annotations

import atexit
import functools
import shutil
import sqlite3
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import closing, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from filelock import FileLock
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlmodel import Session, SQLModel

from mockpace.common.dbspec import check_db
from mockpace.store import lock
from mockpace.store import tables as _tables  # noqa: F401  (registers the tables)

MEMORY = ":memory:"
BUSY_TIMEOUT_MS = 10_000


def db_datetime(value: datetime) -> str:
    """A UTC datetime in the exact text form SQLAlchemy stores in SQLite, for raw bulk inserts."""
    if value.tzinfo is not None:
        value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%d %H:%M:%S.%f")


_SCHEMA_SQL = ("SELECT type, name, sql FROM sqlite_master WHERE type IN ('table', 'index') "
               "AND name NOT LIKE 'sqlite_%' ORDER BY type, name")


@functools.cache
def current_schema() -> tuple[tuple[str, str, str], ...]:
    """The tables and indexes (as SQLite records them) of a database this mockpace creates."""
    engine = create_engine("sqlite://")
    SQLModel.metadata.create_all(engine)
    with engine.connect() as conn:
        rows = conn.exec_driver_sql(_SCHEMA_SQL).all()
    engine.dispose()
    return tuple((row[0], row[1], row[2]) for row in rows)


def database_file(db: str) -> Path | None:
    """The SQLite file a ``--db`` value names; None for ``:memory:``."""
    if "://" in check_db(db):
        url = make_url(db)
        return None if url.database in (None, "", MEMORY) else Path(url.database or "").expanduser()
    return None if db == MEMORY else Path(db).expanduser()


def database_url(db: str) -> tuple[str, Path, bool]:
    """Turn the ``--db`` value (SQLite only, ``check_db``) into (SQLAlchemy URL, SQLite file,
    is_temporary).

    ``:memory:`` is a throw-away SQLite file in a temporary folder (in RAM where /dev/shm
    exists): a true in-memory SQLite database is one per connection, which breaks the
    concurrent requests a server must take; a file gives WAL and real locking.
    """
    if "://" in check_db(db):
        url = make_url(db)
        if url.database not in (None, "", MEMORY):
            return db, Path(url.database or ""), False
        db = MEMORY
    if db == MEMORY:
        path = _temporary_database()
        return f"sqlite:///{path}", path, True
    path = Path(db).expanduser()
    return f"sqlite:///{path}", path, False


def temporary_base() -> Path:
    """Where throw-away databases live: in RAM where /dev/shm exists."""
    shm = Path("/dev/shm")
    return shm if shm.is_dir() else Path(tempfile.gettempdir())


_SWEPT: list[bool] = []
_TEMP_LOCKS: dict[Path, FileLock] = {}


def _temporary_database() -> Path:
    """A new throw-away database file in its own folder, locked by this process while it lives
    (removed by ``Store.dispose`` or at exit). The first one of a process also removes the
    folders that processes gone without cleaning up (``kill -9``) left behind."""
    base = temporary_base()
    if not _SWEPT:
        _SWEPT.append(True)
        lock.sweep_stale(base)
    folder = Path(tempfile.mkdtemp(prefix=lock.TEMP_PREFIX, dir=base))
    path = folder / lock.TEMP_DB_NAME
    _TEMP_LOCKS[path] = lock.hold(path)
    atexit.register(_remove_temporary, path)
    return path


def _remove_temporary(path: Path) -> None:
    shutil.rmtree(path.parent, ignore_errors=True)
    held = _TEMP_LOCKS.pop(path, None)
    if held is not None:
        held.release()


# Reads map the database file: every connection of the process (one per thread, plus the pool)
# then shares the operating system's page cache instead of warming a private one, and page
# reads cost no read() call. SQLite caps the size at its compile-time maximum (2 GiB here).
MMAP_BYTES = 1 << 40


class WriteBusy(Exception):
    """``Store.raw_write(wait=False)`` could not take the write lock at once."""


class Store:
    """One organization's database: engine with the pragmas mockpace needs, write sessions that
    take the SQLite write lock up front, bulk inserts and cheap snapshots."""

    def __init__(self, db: str = MEMORY, *, read_only: bool = False) -> None:
        """``read_only``: an existing database file opened only to read (``mockpace tokens``):
        no pragma that writes, and SQLite refuses every write (``query_only``)."""
        self.url, self.path, self.temporary = database_url(db)
        self.read_only = read_only
        if not read_only:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self.engine: Engine = create_engine(
            self.url, connect_args={"check_same_thread": False,
                                    "timeout": BUSY_TIMEOUT_MS / 1000},
            pool_size=8, max_overflow=16)
        self._install_sqlite_hooks()
        self._write_engine = self.engine.execution_options(mockpace_write=True)
        self._memory_snapshots: dict[str, tuple[sqlite3.Connection, datetime]] = {}
        self._snapshot_lock = threading.Lock()
        self._local = threading.local()
        # Writers of this process queue here: a thread waiting in SQLite's busy handler sleeps
        # in growing steps (up to 25 ms) however soon the lock frees, which capped concurrent
        # creates far below what one writer does. Other processes still meet busy_timeout.
        self.write_lock = threading.RLock()
        self._fast_conns: list[sqlite3.Connection] = []

    # -- set-up -------------------------------------------------------------------------------
    def _apply_pragmas(self, conn: sqlite3.Connection) -> None:
        """The pragmas of every connection that writes (pooled or raw)."""
        if self.read_only:
            conn.execute("PRAGMA query_only=ON")
            return
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute(f"PRAGMA synchronous={'OFF' if self.temporary else 'NORMAL'}")
        conn.execute("PRAGMA cache_size=-65536")
        conn.execute(f"PRAGMA mmap_size={MMAP_BYTES}")

    def _install_sqlite_hooks(self) -> None:
        @event.listens_for(self.engine, "connect")
        def _on_connect(dbapi_conn: sqlite3.Connection, _record: Any) -> None:
            dbapi_conn.isolation_level = None  # we emit BEGIN ourselves (see _on_begin)
            self._apply_pragmas(dbapi_conn)

        @event.listens_for(self.engine, "begin")
        def _on_begin(conn: Any) -> None:
            # Writers take the lock at BEGIN: a deferred transaction that upgrades to a write
            # fails at once with SQLITE_BUSY under WAL instead of waiting for busy_timeout.
            write = conn.get_execution_options().get("mockpace_write", False)
            conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    def create_schema(self) -> None:
        SQLModel.metadata.create_all(self.engine)

    def schema_tables(self) -> list[str]:
        """The names of this mockpace's tables the database holds (none: a new file)."""
        names = {name for kind, name, _ in current_schema() if kind == "table"}
        rows = self.fast_rows("SELECT name FROM sqlite_master WHERE type = 'table'")
        return sorted(row[0] for row in rows if row[0] in names)

    def backup_file(self) -> Path:
        """A consistent copy of the database file beside it (``<name>.<UTC time>.bak``),
        taken with SQLite's backup API (a plain file copy could miss the WAL's pages)."""
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        target = self.path.with_name(f"{self.path.name}.{stamp}.bak")
        n = 1
        while target.exists():
            n += 1
            target = self.path.with_name(f"{self.path.name}.{stamp}-{n}.bak")
        with closing(sqlite3.connect(target)) as copy:
            self._backup(self._fast_conn(), copy)
        return target

    def schema_is_current(self) -> bool:
        """True when the database has the tables and indexes this mockpace creates, exactly as
        it creates them (False for a file built by a mockpace with another schema). Tables of
        other names (a user's own) do not count."""
        expected = current_schema()
        names = {name for _, name, _ in expected}
        actual = [(row[0], row[1], row[2]) for row in self.fast_rows(_SCHEMA_SQL)]
        return tuple(row for row in actual if row[1] in names) == expected

    def rebuild_schema(self) -> None:
        """Drop and re-create every table: a file rebuilt (another schema, or ``--fresh``)."""
        with self.write_lock:
            SQLModel.metadata.drop_all(self._write_engine)
            SQLModel.metadata.create_all(self._write_engine)

    # -- sessions -----------------------------------------------------------------------------
    @contextmanager
    def read(self) -> Iterator[Session]:
        with Session(self.engine) as session:
            yield session

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A transaction that commits on success and rolls back on any exception."""
        with self.write_lock, Session(self._write_engine) as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    # -- bulk loading -------------------------------------------------------------------------
    def bulk_insert(
        self,
        table: str,
        columns: Sequence[str],
        rows: Iterable[Sequence[Any]],
        *,
        chunk: int = 20_000,
        conn: Any = None,
    ) -> int:
        """Insert prepared tuples (datetimes as ``db_datetime`` text, bools as 0/1) with the
        driver's executemany: no ORM object per row. Pass ``conn`` (a DBAPI connection inside a
        transaction) to load several tables in one transaction."""
        sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
        count = 0

        def run(cursor: Any) -> None:
            nonlocal count
            batch: list[Sequence[Any]] = []
            for row in rows:
                batch.append(row)
                if len(batch) >= chunk:
                    cursor.executemany(sql, batch)
                    count += len(batch)
                    batch = []
            if batch:
                cursor.executemany(sql, batch)
                count += len(batch)

        if conn is not None:
            run(conn.cursor())
            return count
        with self.raw_transaction() as raw:
            run(raw.cursor())
        return count

    @contextmanager
    def raw_transaction(self, *, foreign_keys: bool = True) -> Iterator[Any]:
        """A DBAPI connection in one write transaction (SQLite: BEGIN IMMEDIATE), queued on
        ``write_lock`` like every writer of this process. Foreign keys are checked at COMMIT;
        ``foreign_keys=False`` skips them for loads whose references are consistent by
        construction (they can only be switched outside a transaction, so it happens here,
        and back on before the connection returns to the pool)."""
        pooled = self.engine.raw_connection()
        raw = pooled.driver_connection
        assert raw is not None
        self.write_lock.acquire()
        try:
            if not foreign_keys:
                raw.execute("PRAGMA foreign_keys=OFF")
            raw.execute("BEGIN IMMEDIATE")
            try:
                raw.execute("PRAGMA defer_foreign_keys=ON")
                yield raw
                raw.execute("COMMIT")
            except BaseException:
                raw.execute("ROLLBACK")
                raise
        finally:
            if not foreign_keys:
                raw.execute("PRAGMA foreign_keys=ON")
            self.write_lock.release()
            pooled.close()

    def fast_rows(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        """Rows of a read on a per-thread raw SQLite connection, for the per-request hot path
        (settings, clock, token): several times cheaper than a pooled SQLAlchemy session. In
        autocommit mode each statement sees the latest commit of any connection or process."""
        return self._fast_conn().execute(sql, tuple(params)).fetchall()

    def _thread_conn(self, attr: str) -> sqlite3.Connection:
        """This thread's raw connection named ``attr`` (autocommit; closed by ``dispose``)."""
        conn: sqlite3.Connection | None = getattr(self._local, attr, None)
        if conn is None:
            conn = sqlite3.connect(str(self.path), timeout=BUSY_TIMEOUT_MS / 1000,
                                   isolation_level=None, check_same_thread=False)
            conn.execute(f"PRAGMA mmap_size={MMAP_BYTES}")
            if self.read_only:
                conn.execute("PRAGMA query_only=ON")
            setattr(self._local, attr, conn)
            self._fast_conns.append(conn)
        return conn

    def _fast_conn(self) -> sqlite3.Connection:
        return self._thread_conn("conn")

    def fast_read(self, sql: str, params: Mapping[str, Any]) -> list[Any]:
        """``fast_rows`` with named (``:name``) parameters, for one read statement returning
        many rows (a worklog page): one statement is its own snapshot, and the driver's rows
        skip SQLAlchemy's per-row result processing (a third of a 500-row page's cost)."""
        return self._fast_conn().execute(sql, params).fetchall()

    def _raw_write_conn(self) -> sqlite3.Connection:
        """This thread's raw connection for ``raw_write``, with the pragmas of ``_on_connect``."""
        if getattr(self._local, "write_conn", None) is None:
            self._apply_pragmas(self._thread_conn("write_conn"))
            self._local.write_timeout = BUSY_TIMEOUT_MS
        return self._thread_conn("write_conn")

    @contextmanager
    def raw_write(self, *, wait: bool = True) -> Iterator[sqlite3.Connection]:
        """Like ``write()`` but on a per-thread raw sqlite3 connection (no ORM session): queued
        on ``write_lock``, BEGIN IMMEDIATE, COMMIT on success, ROLLBACK on any exception. For
        hot single-row writes, where the Session's set-up and commit cost more than the SQL.

        ``wait=False`` never waits (for callers on the event loop): it raises ``WriteBusy`` at
        once when another thread of this process or another process holds the write lock."""
        if not self.write_lock.acquire(blocking=wait):
            raise WriteBusy
        try:
            conn = self._raw_write_conn()
            timeout = BUSY_TIMEOUT_MS if wait else 0
            if self._local.write_timeout != timeout:  # switched only when the mode changes
                conn.execute(f"PRAGMA busy_timeout={timeout}")
                self._local.write_timeout = timeout
            try:
                conn.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as exc:
                if not wait and ("locked" in str(exc) or "busy" in str(exc)):
                    raise WriteBusy from None
                raise
            try:
                yield conn
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
        finally:
            self.write_lock.release()

    def counts(self) -> dict[str, int]:
        with self.engine.connect() as conn:
            return {
                "users": conn.execute(text("SELECT count(*) FROM users")).scalar_one(),
                "workItems": conn.execute(text("SELECT count(*) FROM work_items")).scalar_one(),
                "workLogs": conn.execute(
                    text("SELECT count(*) FROM worklogs WHERE is_deleted = 0")
                ).scalar_one(),
            }

    # -- snapshots ----------------------------------------------------------------------------
    def _backup(self, source: sqlite3.Connection, target: sqlite3.Connection) -> None:
        source.backup(target, pages=-1)

    def save_snapshot(self, name: str) -> datetime:
        """Copy the whole database (data, settings, clock) aside under ``name``."""
        created = datetime.now(UTC)
        with self._snapshot_lock:
            pooled = self.engine.raw_connection()
            try:
                target = sqlite3.connect(":memory:", check_same_thread=False)
                raw = pooled.driver_connection
                assert raw is not None
                self._backup(raw, target)
            finally:
                pooled.close()
            old = self._memory_snapshots.pop(name, None)
            if old:
                old[0].close()
            self._memory_snapshots[name] = (target, created)
        return created

    def export_snapshot(self, name: str) -> Path:
        """Write a saved snapshot into a throw-away file of this process (removed at its exit
        with the folder it lies in: a throw-away database's own, else a new one) and return its
        path, for other processes to ``import_snapshot`` it."""
        if self.temporary:
            path = self.path.with_name(f"snapshot-{len(self._memory_snapshots)}-{name}.db")
        else:
            path = _temporary_database()
        with self._snapshot_lock, closing(sqlite3.connect(path)) as target:
            self._backup(self._memory_snapshots[name][0], target)
        return path

    def import_snapshot(self, name: str, path: Path) -> None:
        """Keep the database file ``path`` (``export_snapshot``'s) as the snapshot ``name``."""
        target = sqlite3.connect(":memory:", check_same_thread=False)
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as source:
            self._backup(source, target)
        with self._snapshot_lock:
            old = self._memory_snapshots.pop(name, None)
            if old:
                old[0].close()
            self._memory_snapshots[name] = (target, datetime.now(UTC))

    def copy_from(self, other: Store) -> None:
        """Replace this database's whole content with ``other``'s in one step: SQLite's backup
        API writes it as one transaction, so a concurrent reader sees the old state or the new
        one, never a mix; this process's writers queue on ``write_lock`` meanwhile."""
        with self.write_lock:
            source = other.engine.raw_connection()
            target = self.engine.raw_connection()
            try:
                assert source.driver_connection is not None
                assert target.driver_connection is not None
                self._backup(source.driver_connection, target.driver_connection)
            finally:
                source.close()
                target.close()

    def restore_snapshot(self, name: str) -> float:
        """Replace the database content with a saved snapshot; returns the milliseconds taken."""
        start = time.perf_counter()
        with self._snapshot_lock, self.write_lock:
            if name not in self._memory_snapshots:
                raise KeyError(name)
            source = self._memory_snapshots[name][0]
            pooled = self.engine.raw_connection()
            try:
                raw = pooled.driver_connection
                assert raw is not None
                self._backup(source, raw)
            finally:
                pooled.close()
        return (time.perf_counter() - start) * 1000

    def drop_snapshot(self, name: str) -> None:
        with self._snapshot_lock:
            conn, _ = self._memory_snapshots.pop(name)
            conn.close()

    def snapshots(self) -> list[tuple[str, datetime]]:
        return [(n, c) for n, (_, c) in self._memory_snapshots.items() if not n.startswith("__")]

    def dispose(self, *, keep_file: bool = False) -> None:
        """Close every connection and drop the snapshots; a throw-away database's folder goes
        too, unless ``keep_file`` (other processes take it over: ``serve --workers``)."""
        for conn, _ in self._memory_snapshots.values():
            conn.close()
        self._memory_snapshots.clear()
        for conn in self._fast_conns:
            conn.close()
        self._fast_conns.clear()
        self.engine.dispose()
        if self.temporary and not keep_file:
            _remove_temporary(self.path)
