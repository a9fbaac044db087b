"""Budget inheritance of work items (the 7pace Reporting contract), computed in SQL.

A work item's effective budget is, in this order:

1. its own ``budget_id``                                  -> ``DirectlyAssigned``
2. the closest ancestor work item with a direct budget    -> ``InheritedFromParent``
3. its iteration's budget, or the closest ancestor
   iteration's                                            -> ``InheritedFromIteration``
4. nothing                                                -> ``NoBudget``

So a different budget on a child breaks the inheritance for its subtree, and an item's
iteration only counts when no work item above it carries a budget. Both trees are walked with
recursive CTEs and written back with one ``UPDATE ... FROM``: a million-row store never passes
through Python. The SQL is plain enough for SQLite (>= 3.33) and PostgreSQL.
"""

from __future__ import annotations

from typing import Any

NOT_COMPUTED = "NotComputed"
NO_BUDGET = "NoBudget"
DIRECTLY_ASSIGNED = "DirectlyAssigned"
INHERITED_FROM_PARENT = "InheritedFromParent"
INHERITED_FROM_ITERATION = "InheritedFromIteration"
ASSIGNMENT_TYPES = (
    NOT_COMPUTED,
    NO_BUDGET,
    DIRECTLY_ASSIGNED,
    INHERITED_FROM_PARENT,
    INHERITED_FROM_ITERATION,
)

# Far above the 3 to 6 levels of real Azure DevOps trees; it only stops a corrupted (cyclic)
# parent chain from recursing forever.
MAX_DEPTH = 256

RECOMPUTE_SQL = f"""
WITH RECURSIVE
iteration_budget(id, budget_id, depth) AS (
    SELECT id, budget_id, 0 FROM iterations
    WHERE parent_id IS NULL OR parent_id NOT IN (SELECT id FROM iterations)
    UNION ALL
    SELECT c.id, COALESCE(c.budget_id, p.budget_id), p.depth + 1
    FROM iterations c JOIN iteration_budget p ON c.parent_id = p.id
    WHERE p.depth < {MAX_DEPTH}
),
item_budget(id, budget_id, kind, depth) AS (
    SELECT id, budget_id, CASE WHEN budget_id IS NULL THEN NULL ELSE 'DirectlyAssigned' END, 0
    FROM work_items
    WHERE parent_id IS NULL OR parent_id NOT IN (SELECT id FROM work_items)
    UNION ALL
    SELECT c.id,
           COALESCE(c.budget_id, p.budget_id),
           CASE WHEN c.budget_id IS NOT NULL THEN 'DirectlyAssigned'
                WHEN p.budget_id IS NOT NULL THEN 'InheritedFromParent'
           END,
           p.depth + 1
    FROM work_items c JOIN item_budget p ON c.parent_id = p.id
    WHERE p.depth < {MAX_DEPTH}
),
resolved(id, budget_id, kind) AS (
    SELECT w.id,
           COALESCE(ib.budget_id, w.budget_id, itb.budget_id),
           CASE WHEN ib.kind IS NOT NULL THEN ib.kind
                WHEN w.budget_id IS NOT NULL THEN 'DirectlyAssigned'
                WHEN itb.budget_id IS NOT NULL THEN 'InheritedFromIteration'
                ELSE 'NoBudget'
           END
    FROM work_items w
    LEFT JOIN item_budget ib ON ib.id = w.id
    LEFT JOIN iteration_budget itb ON itb.id = w.iteration_id
)
UPDATE work_items
SET effective_budget_id = resolved.budget_id,
    budget_assignment_type = resolved.kind
FROM resolved
WHERE work_items.id = resolved.id
"""
# Items on a parent cycle are reached by neither root branch: the LEFT JOINs above still give
# them their own budget or their iteration's, so no row is left at a stale value.


def execute(conn: Any, sql: str) -> None:
    """Run one statement on ``conn``: a DBAPI connection (``Store.raw_transaction()``), a
    SQLAlchemy ``Connection`` or a SQLModel/SQLAlchemy ``Session``."""
    if hasattr(conn, "exec_driver_sql"):  # SQLAlchemy Connection
        conn.exec_driver_sql(sql)
    elif hasattr(conn, "connection") and hasattr(conn, "get_bind"):  # Session
        conn.connection().exec_driver_sql(sql)
    else:  # DBAPI connection
        cursor = conn.cursor()
        try:
            cursor.execute(sql)
        finally:
            cursor.close()


def recompute(conn: Any) -> None:
    """Recompute ``work_items.effective_budget_id`` and ``budget_assignment_type`` for every
    work item, inside the caller's transaction (``conn``: see ``execute``)."""
    execute(conn, RECOMPUTE_SQL)
