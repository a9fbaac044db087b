"""Work-item columns derived from the work-item and iteration trees, recomputed in SQL by
every loader (generator, fixtures, imports) after it writes work items, inside its
transaction. Work items change only through loaders, so reads never walk the trees:

- ``effective_budget_id`` / ``budget_assignment_type``: budget inheritance
  (``mockpace.store.budgets``);
- ``root_id`` / ``hierarchy_path``: the top of the item's parent chain and the ``/1/2/3/``
  path from it (HierarchyPath, docs/emulation.md s8), read by the Reporting API's
  ``HierarchyPath``, ``Root`` and filters on them. An item under a dangling parent counts as a
  root; items on a parent cycle (reached from no root) have neither.
"""

from __future__ import annotations

from typing import Any

from mockpace.store import budgets

HIERARCHY_SQL = f"""
WITH RECURSIVE
tree(id, root_id, path, depth) AS (
    SELECT id, id, '/' || id || '/', 0 FROM work_items
    WHERE parent_id IS NULL OR parent_id NOT IN (SELECT id FROM work_items)
    UNION ALL
    SELECT c.id, t.root_id, t.path || c.id || '/', t.depth + 1
    FROM work_items c JOIN tree t ON c.parent_id = t.id
    WHERE t.depth < {budgets.MAX_DEPTH}
),
resolved(id, root_id, path) AS (
    SELECT w.id, t.root_id, t.path FROM work_items w LEFT JOIN tree t ON t.id = w.id
)
UPDATE work_items
SET root_id = resolved.root_id,
    hierarchy_path = resolved.path
FROM resolved
WHERE work_items.id = resolved.id
"""


def recompute(conn: Any) -> None:
    """Recompute every derived work-item column inside the caller's transaction (``conn``: a
    DBAPI connection, a SQLAlchemy ``Connection`` or a ``Session``)."""
    budgets.recompute(conn)
    budgets.execute(conn, HIERARCHY_SQL)
