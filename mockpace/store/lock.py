"""The one lock of a database file: ``<file>.lock``, held by the process that serves or builds
it, so no other mockpace process rebuilds, re-seeds or serves it meanwhile.

An operating-system lock (``flock`` through filelock): it dies with its process, so a crash or
``kill -9`` never leaves a stale lock behind. Throw-away (``:memory:``) databases hold one too,
in their temporary folder: a folder whose lock is free belongs to a process that is gone, and
``sweep_stale`` removes it.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

from filelock import FileLock, Timeout

TEMP_PREFIX = "mockpace-"
TEMP_DB_NAME = "mockpace.db"
# A temporary folder this young may belong to a process that has not taken its lock yet.
STALE_AFTER_SECONDS = 10.0


class DatabaseInUse(Exception):
    """Another process holds the lock of the database file."""

    def __init__(self, db: Path) -> None:
        self.db = db
        super().__init__(
            f"database {db} is in use by another mockpace process (lock {lock_path(db)}); "
            "stop that server, or pass another --db")


def lock_path(db: Path) -> Path:
    return db.with_name(db.name + ".lock")


def hold(db: Path) -> FileLock:
    """Take the lock of ``db`` for this process, without waiting: ``DatabaseInUse`` when another
    process holds it, ``OSError`` when the lock file cannot be created (an unusable folder)."""
    path = lock_path(db)
    # filelock retries an unopenable lock file forever: check it can be created first.
    os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o644))
    lock = FileLock(str(path), timeout=0, thread_local=False)
    try:
        lock.acquire()
    except Timeout:
        raise DatabaseInUse(db) from None
    return lock


def is_held(db: Path) -> bool:
    """True while some process holds the lock of ``db``."""
    if not lock_path(db).exists():
        return False
    try:
        hold(db).release()
    except DatabaseInUse:
        return True
    except OSError:
        return False
    return False


def sweep_stale(base: Path) -> list[Path]:
    """Remove the temporary database folders under ``base`` whose process is gone (their lock
    is free); returns the folders removed. Folders without a lock file (made by another
    program, or by an older mockpace) are left alone."""
    removed: list[Path] = []
    try:
        folders = [p for p in base.iterdir() if p.name.startswith(TEMP_PREFIX)]
    except OSError:
        return removed
    for folder in folders:
        db = folder / TEMP_DB_NAME
        try:
            if not lock_path(db).is_file() or \
                    time.time() - folder.stat().st_mtime < STALE_AFTER_SECONDS:
                continue
            lock = hold(db)
        except (DatabaseInUse, OSError):
            continue
        try:
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
        finally:
            lock.release()
    return removed
