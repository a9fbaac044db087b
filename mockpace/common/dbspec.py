"""What ``--db`` accepts: SQLite only. The hot paths use SQLite itself (raw connections, the
backup API for snapshots, WAL, memory-mapped reads), so another database cannot work."""

from __future__ import annotations

SUPPORTED = ("a SQLite file path, ':memory:' (a throw-away database in RAM) "
             "or a sqlite:///path URL")


def check_db(db: str) -> str:
    """``db`` unchanged when it names a SQLite database; ValueError saying what is supported."""
    if "://" in db:
        scheme = db.split("://", 1)[0].lower()
        if scheme not in ("sqlite", "sqlite+pysqlite"):
            raise ValueError(f"database '{scheme}://...' is not supported: mockpace runs on "
                             f"SQLite only; give {SUPPORTED}")
    return db
