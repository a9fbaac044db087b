"""The store's tables: one SQLite database per organization.

Conventions every surface relies on:
- ids of users, worklogs, activity types, budgets, approvals are lower-case hyphenated GUID text;
  work items, areas and iterations have integer ids as in Azure DevOps.
- every datetime is UTC, stored by SQLAlchemy as ``YYYY-MM-DD HH:MM:SS.ffffff`` text (see
  ``mockpace.store.db_datetime`` for raw bulk inserts, which must use the same form so that rows
  sort and compare correctly);
- a worklog's ``activity_type_id`` is NULL when it has none (``[Not Set]`` on the wire);
- ``work_items.microsoft_vsts_*`` columns are the Azure DevOps ``Microsoft.VSTS.*`` fields: the
  Reporting name is the column name with ``microsoft_vsts`` spelled ``Microsoft_VSTS`` (see
  ``VSTS_FIELDS``); any other field (``System.Tags``, ``Custom.*``) lives in the JSON ``fields``
  column under its reference name.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

# Reporting-name -> EDM type of the Microsoft.VSTS fields kept as columns.
VSTS_FIELDS: dict[str, str] = {
    "Microsoft_VSTS_Build_FoundIn": "Edm.String",
    "Microsoft_VSTS_Build_IntegrationBuild": "Edm.String",
    "Microsoft_VSTS_CMMI_Blocked": "Edm.String",
    "Microsoft_VSTS_CMMI_Committed": "Edm.String",
    "Microsoft_VSTS_CMMI_Escalate": "Edm.String",
    "Microsoft_VSTS_CMMI_FoundInEnvironment": "Edm.String",
    "Microsoft_VSTS_CMMI_HowFound": "Edm.String",
    "Microsoft_VSTS_CMMI_MeetingType": "Edm.String",
    "Microsoft_VSTS_CMMI_Probability": "Edm.Int32",
    "Microsoft_VSTS_CMMI_RequirementType": "Edm.String",
    "Microsoft_VSTS_CMMI_RequiresReview": "Edm.String",
    "Microsoft_VSTS_CMMI_RequiresTest": "Edm.String",
    "Microsoft_VSTS_CMMI_RootCause": "Edm.String",
    "Microsoft_VSTS_CMMI_TargetResolveDate": "Edm.DateTimeOffset",
    "Microsoft_VSTS_CMMI_TaskType": "Edm.String",
    "Microsoft_VSTS_CMMI_UserAcceptanceTest": "Edm.String",
    "Microsoft_VSTS_Common_ActivatedBy": "Edm.String",
    "Microsoft_VSTS_Common_ActivatedDate": "Edm.DateTimeOffset",
    "Microsoft_VSTS_Common_Activity": "Edm.String",
    "Microsoft_VSTS_Common_BacklogPriority": "Edm.Double",
    "Microsoft_VSTS_Common_BusinessValue": "Edm.Int32",
    "Microsoft_VSTS_Common_ClosedBy": "Edm.String",
    "Microsoft_VSTS_Common_ClosedDate": "Edm.DateTimeOffset",
    "Microsoft_VSTS_Common_Discipline": "Edm.String",
    "Microsoft_VSTS_Common_Issue": "Edm.String",
    "Microsoft_VSTS_Common_Priority": "Edm.Int32",
    "Microsoft_VSTS_Common_Rating": "Edm.String",
    "Microsoft_VSTS_Common_ResolvedBy": "Edm.String",
    "Microsoft_VSTS_Common_ResolvedDate": "Edm.DateTimeOffset",
    "Microsoft_VSTS_Common_ResolvedReason": "Edm.String",
    "Microsoft_VSTS_Common_ReviewedBy": "Edm.String",
    "Microsoft_VSTS_Common_Risk": "Edm.String",
    "Microsoft_VSTS_Common_Severity": "Edm.String",
    "Microsoft_VSTS_Common_StackRank": "Edm.Double",
    "Microsoft_VSTS_Common_StateChangeDate": "Edm.DateTimeOffset",
    "Microsoft_VSTS_Common_TimeCriticality": "Edm.Double",
    "Microsoft_VSTS_Common_Triage": "Edm.String",
    "Microsoft_VSTS_Common_ValueArea": "Edm.String",
    "Microsoft_VSTS_Feedback_ApplicationType": "Edm.String",
    "Microsoft_VSTS_Scheduling_CompletedWork": "Edm.Double",
    "Microsoft_VSTS_Scheduling_DueDate": "Edm.DateTimeOffset",
    "Microsoft_VSTS_Scheduling_Effort": "Edm.Double",
    "Microsoft_VSTS_Scheduling_FinishDate": "Edm.DateTimeOffset",
    "Microsoft_VSTS_Scheduling_OriginalEstimate": "Edm.Double",
    "Microsoft_VSTS_Scheduling_RemainingWork": "Edm.Double",
    "Microsoft_VSTS_Scheduling_Size": "Edm.Double",
    "Microsoft_VSTS_Scheduling_StartDate": "Edm.DateTimeOffset",
    "Microsoft_VSTS_Scheduling_StoryPoints": "Edm.Double",
    "Microsoft_VSTS_Scheduling_TargetDate": "Edm.DateTimeOffset",
}


def vsts_column(reporting_name: str) -> str:
    """Column name of a Microsoft.VSTS field: ``Microsoft_VSTS_Common_Priority`` ->
    ``microsoft_vsts_common_priority``."""
    return reporting_name.lower()


ROLES = ("Administrator", "Budget", "Product", "Team", "Approval Manager", "None")
NOT_SET_ACTIVITY_TYPE_ID = "00000000-0000-0000-0000-000000000000"

# Approval states as REST `timeApproval/all` reports them.
APPROVAL_SUBMITTED, APPROVAL_REOPENED, APPROVAL_APPROVED, APPROVAL_CLOSED = 1, 2, 3, 99


class Organization(SQLModel, table=True):
    __tablename__ = "organizations"
    id: str = Field(primary_key=True)
    name: str = Field(index=True)  # the Azure DevOps organization, e.g. "contoso"
    collection: str  # the collection name on-prem paths use, e.g. "DefaultCollection"
    vsts_id: str
    vsts_collection_id: str
    system_default_activity_type_id: str = NOT_SET_ACTIVITY_TYPE_ID
    # The user that `auth=off`, `onprem_auth=trust` and PIN auto-validation act as; printed at
    # start-up with its token.
    admin_user_id: str | None = None


class User(SQLModel, table=True):
    __tablename__ = "users"
    id: str = Field(primary_key=True)
    unique_name: str = Field(index=True)
    name: str = Field(index=True)
    email: str = Field(index=True)
    vsts_id: str = Field(index=True)
    vsts_collection_id: str
    vsts_collection_id2: str
    role: str = Field(index=True)  # one of ROLES
    timezone_offset: int = 0  # minutes east of UTC: local = UTC + offset
    default_activity_type_id: str | None = Field(default=None, foreign_key="activity_types.id")


class ApiToken(SQLModel, table=True):
    __tablename__ = "api_tokens"
    token: str = Field(primary_key=True)
    user_id: str = Field(foreign_key="users.id", index=True)
    kind: str = "personal"  # personal | access | refresh
    created_at: datetime
    expires_at: datetime | None = None


class ActivityType(SQLModel, table=True):
    __tablename__ = "activity_types"
    id: str = Field(primary_key=True)
    name: str
    color: str  # 6 lower-case hex digits, no '#'
    position: int = Field(index=True)  # display order; [Not Set] is 0


class TeamProject(SQLModel, table=True):
    __tablename__ = "team_projects"
    id: str = Field(primary_key=True)
    name: str = Field(index=True)
    process_template: str  # Agile | Scrum | Basic | CMMI


class AreaPath(SQLModel, table=True):
    __tablename__ = "area_paths"
    id: int = Field(primary_key=True)
    project_id: str = Field(foreign_key="team_projects.id", index=True)
    parent_id: int | None = Field(default=None, foreign_key="area_paths.id", index=True)
    name: str
    path: str = Field(index=True)  # Azure DevOps form: "Project\\Area\\Sub"


class Iteration(SQLModel, table=True):
    __tablename__ = "iterations"
    id: int = Field(primary_key=True)
    project_id: str = Field(foreign_key="team_projects.id", index=True)
    parent_id: int | None = Field(default=None, foreign_key="iterations.id", index=True)
    name: str
    path: str = Field(index=True)  # "Project\\Release 1\\Sprint 3"
    start_date: date | None = None
    finish_date: date | None = None
    budget_id: str | None = Field(default=None, foreign_key="budgets.id", index=True)


class Budget(SQLModel, table=True):
    __tablename__ = "budgets"
    id: str = Field(primary_key=True)
    name: str = Field(index=True)
    planned: int = 0  # seconds
    comment: str | None = None
    closed: bool = False
    closed_date: datetime | None = None
    created_date: datetime | None = None


class WorkItem(SQLModel, table=True):
    __tablename__ = "work_items"
    __table_args__ = (
        Index("ix_work_items_project_type", "project_id", "work_item_type"),
        # a subtree is one range of it: same root, path prefix (Reporting roll-ups)
        Index("ix_work_items_root_path", "root_id", "hierarchy_path"),
    )
    id: int = Field(primary_key=True)
    parent_id: int | None = Field(default=None, index=True)  # no FK: ADO caches can dangle
    project_id: str = Field(foreign_key="team_projects.id", index=True)
    work_item_type: str = Field(index=True)
    state: str = Field(index=True)
    reason: str | None = None
    title: str = Field(index=True)
    assigned_to_user_id: str | None = Field(default=None, foreign_key="users.id", index=True)
    assigned_to: str | None = None  # "Display Name <user@domain>"
    created_by: str | None = None
    area_id: int = Field(foreign_key="area_paths.id", index=True)
    iteration_id: int = Field(foreign_key="iterations.id", index=True)
    created_date: datetime = Field(index=True)
    changed_date: datetime = Field(index=True)
    revised_date: datetime | None = None
    # Budget: the direct assignment, and the effective one computed from the inheritance rules
    # (item, closest ancestor item, iteration or closest ancestor iteration) by
    # ``mockpace.store.budgets.recompute``.
    budget_id: str | None = Field(default=None, foreign_key="budgets.id", index=True)
    effective_budget_id: str | None = Field(default=None, index=True)
    budget_assignment_type: str = "NoBudget"
    # The item's place in the work-item tree, by ``mockpace.store.derived.recompute``.
    root_id: int | None = None
    hierarchy_path: str | None = None
    fields: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))

    microsoft_vsts_build_foundin: str | None = None
    microsoft_vsts_build_integrationbuild: str | None = None
    microsoft_vsts_cmmi_blocked: str | None = None
    microsoft_vsts_cmmi_committed: str | None = None
    microsoft_vsts_cmmi_escalate: str | None = None
    microsoft_vsts_cmmi_foundinenvironment: str | None = None
    microsoft_vsts_cmmi_howfound: str | None = None
    microsoft_vsts_cmmi_meetingtype: str | None = None
    microsoft_vsts_cmmi_probability: int | None = None
    microsoft_vsts_cmmi_requirementtype: str | None = None
    microsoft_vsts_cmmi_requiresreview: str | None = None
    microsoft_vsts_cmmi_requirestest: str | None = None
    microsoft_vsts_cmmi_rootcause: str | None = None
    microsoft_vsts_cmmi_targetresolvedate: datetime | None = None
    microsoft_vsts_cmmi_tasktype: str | None = None
    microsoft_vsts_cmmi_useracceptancetest: str | None = None
    microsoft_vsts_common_activatedby: str | None = None
    microsoft_vsts_common_activateddate: datetime | None = None
    microsoft_vsts_common_activity: str | None = None
    microsoft_vsts_common_backlogpriority: float | None = None
    microsoft_vsts_common_businessvalue: int | None = None
    microsoft_vsts_common_closedby: str | None = None
    microsoft_vsts_common_closeddate: datetime | None = None
    microsoft_vsts_common_discipline: str | None = None
    microsoft_vsts_common_issue: str | None = None
    microsoft_vsts_common_priority: int | None = None
    microsoft_vsts_common_rating: str | None = None
    microsoft_vsts_common_resolvedby: str | None = None
    microsoft_vsts_common_resolveddate: datetime | None = None
    microsoft_vsts_common_resolvedreason: str | None = None
    microsoft_vsts_common_reviewedby: str | None = None
    microsoft_vsts_common_risk: str | None = None
    microsoft_vsts_common_severity: str | None = None
    microsoft_vsts_common_stackrank: float | None = None
    microsoft_vsts_common_statechangedate: datetime | None = None
    microsoft_vsts_common_timecriticality: float | None = None
    microsoft_vsts_common_triage: str | None = None
    microsoft_vsts_common_valuearea: str | None = None
    microsoft_vsts_feedback_applicationtype: str | None = None
    microsoft_vsts_scheduling_completedwork: float | None = None
    microsoft_vsts_scheduling_duedate: datetime | None = None
    microsoft_vsts_scheduling_effort: float | None = None
    microsoft_vsts_scheduling_finishdate: datetime | None = None
    microsoft_vsts_scheduling_originalestimate: float | None = None
    microsoft_vsts_scheduling_remainingwork: float | None = None
    microsoft_vsts_scheduling_size: float | None = None
    microsoft_vsts_scheduling_startdate: datetime | None = None
    microsoft_vsts_scheduling_storypoints: float | None = None
    microsoft_vsts_scheduling_targetdate: datetime | None = None


class WorkLog(SQLModel, table=True):
    __tablename__ = "worklogs"
    __table_args__ = (
        Index("ix_worklogs_deleted_timestamp", "is_deleted", "timestamp", "id"),
        Index("ix_worklogs_user_timestamp", "user_id", "timestamp"),
        # covering for per-item sums (tracking totals, Tracked* and their roll-ups, billable
        # parts included) unless a worklogsFilter needs other columns.
        Index("ix_worklogs_work_item_deleted", "work_item_id", "is_deleted", "user_id", "length",
              "is_billable", "billable_length"),
    )
    id: str = Field(primary_key=True)
    user_id: str = Field(foreign_key="users.id")
    added_by_user_id: str = Field(foreign_key="users.id", index=True)
    edited_by_user_id: str | None = Field(default=None, foreign_key="users.id")
    timestamp: datetime  # start of the work (UTC)
    length: int  # seconds, > 0
    billable_length: int | None = None  # seconds; NULL unless set explicitly
    work_item_id: int | None = None  # no FK: a worklog may outlive its cached work item
    comment: str | None = None
    activity_type_id: str | None = Field(default=None, foreign_key="activity_types.id", index=True)
    budget_id: str | None = Field(default=None, foreign_key="budgets.id", index=True)  # direct
    created_timestamp: datetime = Field(index=True)
    edited_timestamp: datetime = Field(index=True)
    is_tracked: bool = False
    is_manually_entered: bool = False
    is_changed: bool = False
    is_tracked_extended: bool = False
    is_imported: bool = False
    is_from_api: bool = False
    is_billable: bool = False
    is_deleted: bool = False  # soft delete: hidden from REST and the normal Reporting sets


class TimeApproval(SQLModel, table=True):
    __tablename__ = "time_approvals"
    __table_args__ = (UniqueConstraint("user_id", "week_start"),)
    id: str = Field(primary_key=True)
    user_id: str = Field(foreign_key="users.id", index=True)
    week_start: date = Field(index=True)  # Monday, user-local
    week_end: date  # Sunday
    approval_state: int = Field(index=True)  # APPROVAL_* constants
    modification_timestamp: datetime
    submitted_timestamp: datetime | None = None
    approval_timestamp: datetime | None = None
    assigned_manager_id: str | None = Field(default=None, foreign_key="users.id")
    approved_by_manager_id: str | None = Field(default=None, foreign_key="users.id")


class TrackingSession(SQLModel, table=True):
    """The running (or selected) track of a user: one row per user, shared by all clients."""

    __tablename__ = "tracking_sessions"
    user_id: str = Field(primary_key=True, foreign_key="users.id")
    is_tracking: bool = False
    work_item_id: int | None = None
    activity_type_id: str | None = None
    comment: str | None = None
    started_at: datetime | None = None
    last_activity_at: datetime | None = None
    activity_check_due_at: datetime | None = None
    stopped_track_type: int | None = None
    state: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class Pin(SQLModel, table=True):
    __tablename__ = "pins"
    pin: str = Field(primary_key=True)
    secret: str = Field(index=True, unique=True)
    user_id: str | None = Field(default=None, foreign_key="users.id")
    status: str = "created"  # created | validated | used
    created_at: datetime


class Setting(SQLModel, table=True):
    """Organization settings (docs/admin.md) and the clock, kept in the database so that every
    worker process sees the same values and a reset or snapshot restores them too."""

    __tablename__ = "settings"
    name: str = Field(primary_key=True)
    value: Any = Field(sa_column=Column(JSON, nullable=True))


class DatasetInfo(SQLModel, table=True):
    """What produced the data (seed parameters or fixture digest), so a file database built
    earlier with the same parameters is reused instead of re-seeded."""

    __tablename__ = "dataset_info"
    key: str = Field(primary_key=True)
    value: str
