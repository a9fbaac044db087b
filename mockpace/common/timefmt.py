"""Time parsing and formatting: the one place that knows 7pace's date forms (docs/emulation.md s5).

- REST renders the owner's local time without an offset (``2026-03-02T09:15:00``); created and
  edited timestamps keep up to 7 fraction digits as .NET does.
- Reporting renders UTC with ``Z``, milliseconds only when not zero.
- Input: ISO date, ISO date-time with or without fraction, ``Z`` or offset, and the US-locale
  forms ``M/d/yyyy h:mm:ss AM``, ``M/d/yyyy, h:mm:ss AM`` and ``MM/dd/yyyy HH:mm:ss``. Input
  without an offset is the user's local time.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone

_ISO = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})"
    r"(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?"
    r"\s*(Z|z|[+-]\d{2}:?\d{2})?$"
)
_US = re.compile(
    r"^(\d{1,2})/(\d{1,2})/(\d{4}),?"
    r"(?:\s+(\d{1,2}):(\d{2})(?::(\d{2}))?(?:\s*([AaPp][Mm]))?)?$"
)


class TimeFormatError(ValueError):
    """The text is not one of the accepted date or date-time forms."""


def _zone(text: str | None) -> timezone | None:
    if text is None:
        return None
    if text in ("Z", "z"):
        return UTC
    sign = 1 if text[0] == "+" else -1
    digits = text[1:].replace(":", "")
    return timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))


def parse_datetime(text: str, local_offset_minutes: int = 0) -> datetime:
    """Parse any accepted form into an aware UTC datetime. Text without an offset is local time
    at ``local_offset_minutes`` east of UTC."""
    value = text.strip()
    match = _ISO.match(value)
    if match:
        y, mo, d, h, mi, s, frac, zone = match.groups()
        micro = int((frac or "0")[:6].ljust(6, "0"))
        try:
            naive = datetime(int(y), int(mo), int(d), int(h or 0), int(mi or 0), int(s or 0), micro)
        except ValueError as exc:
            raise TimeFormatError(f"'{text}' is not a valid date: {exc}") from exc
        tz = _zone(zone)
    else:
        match = _US.match(value)
        if not match:
            raise TimeFormatError(
                f"'{text}' is not a date or date-time (expected ISO 8601 such as "
                "2026-03-02T09:15:00 or 2026-03-02T08:15:00Z, or M/d/yyyy h:mm:ss AM)"
            )
        mo, d, y, h, mi, s, ampm = match.groups()
        hour = int(h or 0)
        if ampm:
            if not 1 <= hour <= 12:
                raise TimeFormatError(f"'{text}' has an hour outside 1-12 with AM/PM")
            hour = hour % 12 + (12 if ampm.lower() == "pm" else 0)
        try:
            naive = datetime(int(y), int(mo), int(d), hour, int(mi or 0), int(s or 0))
        except ValueError as exc:
            raise TimeFormatError(f"'{text}' is not a valid date: {exc}") from exc
        tz = None
    if tz is None:
        tz = timezone(timedelta(minutes=local_offset_minutes))
    return naive.replace(tzinfo=tz).astimezone(UTC)


def has_offset(text: str) -> bool:
    """Whether the text carries its own offset (``Z`` or ``+hh:mm``)."""
    match = _ISO.match(text.strip())
    return bool(match and match.group(8))


def parse_date(text: str) -> date:
    """A calendar date (``2026-11-23``; a date-time is cut to its date)."""
    match = _ISO.match(text.strip())
    if not match:
        raise TimeFormatError(f"'{text}' is not a date (expected yyyy-MM-dd)")
    try:
        return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError as exc:
        raise TimeFormatError(f"'{text}' is not a valid date: {exc}") from exc


def as_utc(value: datetime) -> datetime:
    """Aware UTC datetime; naive values (as read back from SQLite) are UTC."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def to_local(value: datetime, offset_minutes: int) -> datetime:
    """Naive local wall time of a UTC instant for a user ``offset_minutes`` east of UTC."""
    return (as_utc(value) + timedelta(minutes=offset_minutes)).replace(tzinfo=None)


def format_rest(value: datetime, offset_minutes: int, *, fraction: bool = False) -> str:
    """REST form: user-local, no offset. ``fraction`` keeps the sub-second part the way .NET
    prints it (up to 7 digits, trailing zeros dropped) for created/edited timestamps."""
    local = to_local(value, offset_minutes)
    text = local.strftime("%Y-%m-%dT%H:%M:%S")
    if fraction and local.microsecond:
        text += "." + f"{local.microsecond:06d}0".rstrip("0")
    return text


def format_rest_sql(column: str, offset_minutes_sql: str, *, fraction: bool = False) -> str:
    """A SQLite expression giving ``format_rest`` of a stored UTC datetime column (text
    ``YYYY-MM-DD HH:MM:SS[.ffffff]``), so list pages are rendered in the database. The seconds
    are shifted without the fraction (SQLite rounds fractions to milliseconds); the fraction is
    the stored digits without trailing zeros, as ``format_rest`` prints it."""
    local = (f"strftime('%Y-%m-%dT%H:%M:%S', substr({column}, 1, 19), "
             f"({offset_minutes_sql}) || ' minutes')")
    if not fraction:
        return local
    digits = f"rtrim(substr({column}, 21), '0')"
    return f"({local} || CASE WHEN {digits} = '' THEN '' ELSE '.' || {digits} END)"


def format_odata(value: datetime) -> str:
    """Reporting form: UTC with ``Z``, milliseconds only when not zero."""
    utc = as_utc(value)
    text = utc.strftime("%Y-%m-%dT%H:%M:%S")
    millis = utc.microsecond // 1000
    if millis:
        text += f".{millis:03d}"
    return text + "Z"


def format_admin(value: datetime) -> str:
    """Admin plane form: ISO 8601 UTC with ``Z`` (seconds, or microseconds when present)."""
    utc = as_utc(value)
    text = utc.strftime("%Y-%m-%dT%H:%M:%S")
    if utc.microsecond:
        text += f".{utc.microsecond:06d}".rstrip("0")
    return text + "Z"
