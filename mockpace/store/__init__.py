"""The store: SQLModel tables and the per-organization database."""

from mockpace.store.engine import MEMORY, Store, db_datetime
from mockpace.store.tables import (
    ROLES,
    ActivityType,
    ApiToken,
    AreaPath,
    Budget,
    DatasetInfo,
    Iteration,
    Organization,
    Pin,
    Setting,
    TeamProject,
    TimeApproval,
    TrackingSession,
    User,
    WorkItem,
    WorkLog,
)

__all__ = [
    "MEMORY",
    "ROLES",
    "ActivityType",
    "ApiToken",
    "AreaPath",
    "Budget",
    "DatasetInfo",
    "Iteration",
    "Organization",
    "Pin",
    "Setting",
    "Store",
    "TeamProject",
    "TimeApproval",
    "TrackingSession",
    "User",
    "WorkItem",
    "WorkLog",
    "db_datetime",
]
