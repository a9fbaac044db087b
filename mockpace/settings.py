"""Every setting of mockpace: server settings and the organization settings of docs/admin.md.

Each is an environment variable ``MOCKPACE_<NAME>`` and a ``mockpace serve --<name-with-dashes>``
flag. Organization settings are the defaults each organization starts with; at run time they live
in the organization's database (``/_mockpace/settings`` reads and changes them there).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from mockpace.common.dbspec import check_db
from mockpace.common.limits import DEFAULT_MAX_ADMIN_BODY_BYTES, DEFAULT_MAX_BODY_BYTES
from mockpace.common.timefmt import TimeFormatError, parse_datetime

DEFAULT_PORT = 8765
MINUTES_PER_WEEK = 7 * 24 * 60
HOURS_PER_YEAR = 366 * 24
MAX_RATE = 1_000_000_000
MAX_JOURNAL_SIZE = 100_000


def default_db_path() -> str:
    """Where ``--db`` points when not given: ``mockpace.db`` in the user's data folder."""
    from platformdirs import user_data_dir

    return str(Path(user_data_dir("mockpace")) / "mockpace.db")


class OrgSettings(BaseModel):
    """The organization settings of docs/admin.md, with their defaults (names are exact)."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    activity_types_enabled: bool = True
    prevent_future_time: bool = False
    tracking_require_work_item: bool = False
    tracking_require_comment: bool = False
    tracking_require_activity_type: bool = False
    tracking_block_closed_items: bool = False
    # Upper bounds keep every value usable in date arithmetic and memory (README "Limits").
    activity_check_interval_minutes: int = Field(default=0, ge=0, le=MINUTES_PER_WEEK)
    activity_check_wait_minutes: int = Field(default=5, ge=0, le=MINUTES_PER_WEEK)
    max_track_length_hours: int = Field(default=0, ge=0, le=HOURS_PER_YEAR)
    tracking_envelope: Literal["bare", "data"] = "bare"
    lenient_api_version: bool = False
    lenient_params: bool = False
    auth: Literal["on", "off"] = "on"
    onprem_auth: Literal["token", "trust"] = "token"
    pin_auto_validate: bool = True
    rate_limit_per_minute: int = Field(default=0, ge=0, le=MAX_RATE)
    rate_limit_per_hour: int = Field(default=0, ge=0, le=MAX_RATE)
    journal_size: int = Field(default=1000, ge=0, le=MAX_JOURNAL_SIZE)
    # bytes of a request body the journal keeps as sent (larger ones are cut, marked)
    journal_body_limit: int = Field(default=262_144, ge=0, le=67_108_864)
    strict_contract: bool = False

    def patched(self, changes: dict[str, Any]) -> OrgSettings:
        """A copy with ``changes`` applied, validated strictly (no str->bool coercion)."""
        unknown = sorted(set(changes) - set(type(self).model_fields))
        if unknown:
            raise SettingsError({name: "unknown setting" for name in unknown})
        merged = self.model_dump() | changes
        try:
            return OrgSettings.model_validate(merged, strict=True)
        except ValidationError as exc:
            raise SettingsError(
                {".".join(str(p) for p in e["loc"]): e["msg"] for e in exc.errors()}
            ) from exc


class SettingsError(ValueError):
    def __init__(self, problems: dict[str, str]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{k}: {v}" for k, v in problems.items()))


ORG_SETTING_NAMES = tuple(OrgSettings.model_fields)


class ServerSettings(OrgSettings, BaseSettings):
    """How the server runs and what data it serves, plus the organization defaults."""

    model_config = SettingsConfigDict(
        env_prefix="MOCKPACE_", extra="forbid", validate_assignment=True
    )

    # Data bounds: the same as the admin plane's seed body (admin/service.py seed_source).
    host: str = "127.0.0.1"
    port: int = Field(default=DEFAULT_PORT, ge=0, le=65535)
    workers: int = Field(default=1, ge=1, le=64, description=(
        "uvicorn worker processes (default 1). Each worker keeps its own request journal, "
        "fault rules and rate-limit counters: with 2, a fault rule or journal sees about half "
        "the requests. Use 1 when a test injects faults or counts requests"))
    db: str = Field(default="", description=(
        "SQLite database: a file path, ':memory:' (throw-away, in RAM) or sqlite:///path "
        "(SQLite only); default mockpace.db in the user data folder"))
    fixture: str | None = Field(default=None, description=(
        "a JSON or YAML fixture file to load instead of generated data (default: none, "
        "generate the data)"))
    seed: int = Field(default=1, ge=-(2**62), le=2**62)
    anchor_date: date | None = Field(default=None, description=(
        "last day of generated data, YYYY-MM-DD (default: today, UTC)"))
    users: int = Field(default=25, ge=1, le=10_000)
    work_items: int = Field(default=400, ge=1, le=2_000_000)
    days: int = Field(default=90, ge=1, le=3_650)
    worklogs: int | None = Field(default=None, ge=0, le=20_000_000, description=(
        "exactly this many generated worklogs (default: derived from users and days)"))
    fresh: bool = Field(
        default=False, description="rebuild the database file from the data flags even when it "
        "holds data already (default: an existing file is reused as it is)")
    admin_key: str | None = Field(default=None, description=(
        "require the header X-Mockpace-Admin-Key with this value on the admin plane "
        "(default: none, open)"))
    allowed_hosts: str = Field(
        default="", description="comma-separated host names (a leading '*.' matches "
        "subdomains) the admin plane also answers besides the loopback names, when bound to "
        "loopback")
    max_body_bytes: int = Field(
        default=DEFAULT_MAX_BODY_BYTES, ge=1024, le=2**31 - 1,
        description="largest request body of the 7pace routes, in bytes (413 above)")
    max_admin_body_bytes: int = Field(
        default=DEFAULT_MAX_ADMIN_BODY_BYTES, ge=1024, le=2**40,
        description="largest request body of the admin plane (/_mockpace), in bytes")
    clock: str | None = Field(
        default=None, description="fixed start instant (ISO 8601), or empty for real time"
    )
    log_level: Literal["critical", "error", "warning", "info", "debug", "trace"] = "warning"
    request_log: bool = Field(default=True, description=(
        "mockpace serve prints one line per request to the 7pace APIs (method, path as sent, "
        "status, duration, contract warnings); --no-request-log turns it off (default on)"))

    @field_validator("db")
    @classmethod
    def _sqlite_only(cls, value: str) -> str:
        return check_db(value)

    @field_validator("clock")
    @classmethod
    def _check_clock(cls, value: str | None) -> str | None:
        if value:
            try:
                parse_datetime(value)
            except TimeFormatError as exc:
                raise ValueError(f"not an ISO 8601 instant such as 2026-11-02T09:00:00Z "
                                 f"({exc})") from None
        return value

    def allowed_host_names(self) -> tuple[str, ...]:
        return tuple(n.strip().lower() for n in self.allowed_hosts.split(",") if n.strip())

    def org_settings(self) -> OrgSettings:
        return OrgSettings(**{name: getattr(self, name) for name in ORG_SETTING_NAMES})
