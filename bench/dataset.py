"""Bulk-building blocks shared by the benchmarks' data sets: the columns each benchmark fills,
in the order its row tuples use, so the builders list values only."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from mockpace.store import Store

COLUMNS = {
    "organizations": ["id", "name", "collection", "vsts_id", "vsts_collection_id",
                      "system_default_activity_type_id", "admin_user_id"],
    "activity_types": ["id", "name", "color", "position"],
    "users": ["id", "unique_name", "name", "email", "vsts_id", "vsts_collection_id",
              "vsts_collection_id2", "role", "timezone_offset"],
    "api_tokens": ["token", "user_id", "kind", "created_at"],
    "team_projects": ["id", "name", "process_template"],
    "area_paths": ["id", "project_id", "name", "path"],
    "iterations": ["id", "project_id", "name", "path"],
    "budgets": ["id", "name", "planned", "closed"],
    "worklogs": ["id", "user_id", "added_by_user_id", "timestamp", "length", "work_item_id",
                 "comment", "activity_type_id", "created_timestamp", "edited_timestamp",
                 "is_tracked", "is_manually_entered", "is_changed", "is_tracked_extended",
                 "is_imported", "is_from_api", "is_billable", "is_deleted"],
}


def insert(store: Store, raw: Any, table: str, rows: Iterable[tuple[Any, ...]]) -> None:
    """``rows`` (tuples in ``COLUMNS[table]`` order) into ``table`` on ``raw``, the connection
    of the caller's ``Store.raw_transaction``."""
    store.bulk_insert(table, COLUMNS[table], rows, conn=raw)
