"""Store: hot-path reads on raw SQLite connections, memory-mapped reads, SQLite only."""

from __future__ import annotations

from mockpace.store import Store


def _store() -> Store:
    store = Store(":memory:")
    store.create_schema()
    with store.raw_transaction() as raw:
        store.bulk_insert("settings", ["name", "value"], [("a", "1"), ("b", '"x"')], conn=raw)
    return store


def test_fast_reads_take_positional_and_named_parameters() -> None:
    store = _store()
    sql = "SELECT name, value FROM settings WHERE name IN (?, ?) ORDER BY name"
    named = "SELECT name, value FROM settings WHERE name = :n"
    # the JSON column's NUMERIC affinity stores "1" as 1
    assert [tuple(r) for r in store.fast_rows(sql, ("a", "b"))] == [("a", 1), ("b", '"x"')]
    assert [tuple(r) for r in store.fast_read(named, {"n": "b"})] == [("b", '"x"')]
    store.dispose()


def test_every_connection_maps_the_database_file() -> None:
    """Reads share the OS page cache through mmap on every kind of connection the store opens
    (pooled, per-thread read, per-thread write), instead of a cold private cache each."""
    store = _store()
    with store.engine.connect() as pooled:
        pooled_size = pooled.exec_driver_sql("PRAGMA mmap_size").scalar()
    read_size = store.fast_rows("PRAGMA mmap_size")[0][0]
    with store.raw_write() as conn:
        write_size = conn.execute("PRAGMA mmap_size").fetchone()[0]
    assert pooled_size == read_size == write_size >= 1 << 30  # capped by how SQLite was built
    store.dispose()


def test_store_and_settings_refuse_a_database_other_than_sqlite() -> None:
    import pydantic
    import pytest

    from mockpace.settings import ServerSettings

    with pytest.raises(ValueError, match="SQLite only"):
        Store("postgresql://user@localhost/db")
    with pytest.raises(pydantic.ValidationError, match="not supported"):
        ServerSettings(db="mssql+pyodbc://x")
