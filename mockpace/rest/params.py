"""REST query parameters: the `$` names of the 7pace REST contract, paging and the worklog filters.

Names match without regard to case (ASP.NET binding). Only the `$`-prefixed names count unless
the organization setting ``lenient_params`` is on; then `count`, `_count` (every `$` parameter
without the `$` or with `_`) and `$top` (as `$count`) are accepted too (docs/emulation.md s6).
A malformed value is ``ApiVersionError`` (400) naming the parameter, the vendor's quirk.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime

from starlette.datastructures import QueryParams

from mockpace.common.errors import SevenPaceError
from mockpace.common.limits import (
    MAX_YEAR,
    MIN_YEAR,
    NumberError,
    echo,
    is_int_text,
    parse_int,
)
from mockpace.common.timefmt import TimeFormatError, parse_date, parse_datetime

MAX_PAGE = 500
INT32_MAX = 2**31 - 1
MAX_WORK_ITEM_IDS = 100
_TRUE = {"true", "1", "yes"}
_FALSE = {"false", "0", "no"}


def bad_parameter(name: str, problem: str) -> SevenPaceError:
    return SevenPaceError("ApiVersionError", f"The parameter '{name}' is invalid: {problem}.",
                          fields={"parameter": name})


def parse_guid(value: str, name: str) -> str:
    """Canonical lower-case hyphenated GUID, or ApiVersionError naming the parameter."""
    try:
        return str(uuid.UUID(value.strip()))
    except (ValueError, AttributeError):
        raise bad_parameter(name, f"'{value}' is not a GUID") from None


class RestQuery:
    """Case-insensitive view of the query string with the `$`/lenient naming rules."""

    def __init__(self, query: QueryParams, *, lenient: bool) -> None:
        self.lenient = lenient
        self._values: dict[str, tuple[str, str]] = {}  # lower-cased -> (as sent, value)
        for key, value in query.multi_items():
            self._values.setdefault(key.lower(), (key, value))

    def raw(self, name: str) -> str | None:
        """An un-prefixed parameter (`includeNoneRoles`, `weekStart`, `validateOnly`)."""
        found = self._values.get(name.lower())
        return found[1] if found else None

    def get(self, name: str) -> tuple[str, str] | None:
        """(name as sent, value) of the `$` parameter ``name`` (given without the `$`)."""
        key = name.lower()
        candidates = ["$" + key]
        if self.lenient:
            candidates += [key, "_" + key]
        for candidate in candidates:
            if candidate in self._values:
                return self._values[candidate]
        return None

    def integer(self, name: str, *, minimum: int = 0) -> int | None:
        found = self.get(name)
        if found is None:
            return None
        sent, value = found
        if not is_int_text(value):
            raise bad_parameter(sent, f"'{echo(value)}' is not an integer")
        try:
            number = parse_int(value)
        except NumberError:
            raise bad_parameter(sent, f"{echo(value.strip())} is out of range") from None
        if number < minimum:
            raise bad_parameter(sent, f"{number} is below the minimum {minimum}")
        if number > INT32_MAX:
            raise bad_parameter(sent, f"{number} is out of range")
        return number

    def boolean(self, name: str, *, dollar: bool = True) -> bool:
        if dollar:
            found = self.get(name)
        else:
            value = self.raw(name)
            found = (name, value) if value is not None else None
        if found is None:
            return False
        sent, value = found
        text = value.strip().lower()
        if text in _TRUE or text == "":
            return True
        if text in _FALSE:
            return False
        raise bad_parameter(sent, f"'{value}' is not a boolean (true or false)")

    def timestamp(self, name: str, offset_minutes: int) -> datetime | None:
        found = self.get(name)
        if found is None or not found[1].strip():
            return None
        sent, value = found
        try:
            instant = parse_datetime(value, offset_minutes)
            checked_day(instant.date())
            return instant
        except (ValueError, OverflowError) as exc:  # TimeFormatError, bad offset, overflow
            raise bad_parameter(sent, str(exc) or "not a valid date-time") from None

    def expand_display_name(self) -> bool:
        found = self.get("expand")
        return found is not None and "user.displayname" in found[1].lower()

    def page(self) -> tuple[int, int]:
        """(count, skip): `$count` is the page size, default 500 and clamped to 500."""
        count = self.integer("count")
        if count is None and self.lenient:
            count = self.integer("top")
        skip = self.integer("skip") or 0
        if count is None:
            count = MAX_PAGE
        return min(count, MAX_PAGE), skip


@dataclass(frozen=True)
class WorkLogFilter:
    count: int
    skip: int
    from_timestamp: datetime | None
    to_timestamp: datetime | None
    from_created: datetime | None
    to_created: datetime | None
    work_item_ids: tuple[int, ...] | None
    expand_display_name: bool
    include_editable: bool


def worklog_filter(query: RestQuery, offset_minutes: int) -> WorkLogFilter:
    """The worklog list parameters; timestamps without an offset are the caller's local time."""
    count, skip = query.page()
    ids: tuple[int, ...] | None = None
    found = query.get("workItemIds")
    if found is not None and found[1].strip():
        sent, value = found
        parts = [p.strip() for p in value.split(",") if p.strip()]
        try:
            ids = tuple(parse_int(p, minimum=-INT32_MAX, maximum=INT32_MAX) for p in parts)
        except NumberError:
            raise bad_parameter(sent, f"'{echo(value)}' is not a comma-separated list of work "
                                      "item ids") from None
        if len(ids) > MAX_WORK_ITEM_IDS:
            raise SevenPaceError(
                "FilterWorkItemIdsCountExceeded",
                f"The parameter '{sent}' lists {len(ids)} work item ids; at most "
                f"{MAX_WORK_ITEM_IDS} are allowed.",
                fields={"parameter": sent, "count": len(ids), "maximum": MAX_WORK_ITEM_IDS},
            )
    return WorkLogFilter(
        count=count,
        skip=skip,
        from_timestamp=query.timestamp("fromTimestamp", offset_minutes),
        to_timestamp=query.timestamp("toTimestamp", offset_minutes),
        from_created=query.timestamp("fromCreatedTimestamp", offset_minutes),
        to_created=query.timestamp("toCreatedTimestamp", offset_minutes),
        work_item_ids=ids,
        expand_display_name=query.expand_display_name(),
        include_editable=query.boolean("includeEditable"),
    )


def week_start_parameter(query: RestQuery) -> date:
    """`weekStart` of DELETE timeApproval/week (no `$`; `$weekStart` with lenient_params)."""
    value = query.raw("weekStart")
    sent = "weekStart"
    if value is None and query.lenient:
        found = query.get("weekStart")
        if found is not None:
            sent, value = found
    if value is None or not value.strip():
        raise bad_parameter("weekStart", "the week's start date (yyyy-MM-dd) is required")
    try:
        return checked_day(parse_date(value))
    except TimeFormatError as exc:
        raise bad_parameter(sent, str(exc)) from None




def checked_day(day: date) -> date:
    if not MIN_YEAR <= day.year <= MAX_YEAR:
        raise TimeFormatError(f"'{day.isoformat()}' is outside the years {MIN_YEAR}-{MAX_YEAR}")
    return day
