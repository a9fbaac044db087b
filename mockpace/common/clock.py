"""The one clock: real, fixed at an instant, or real time shifted by an offset.

Its state lives in the organization's database (settings row ``__clock__``) so every worker
process agrees on "now", and a reset or snapshot restore brings the clock back too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from mockpace.common.timefmt import as_utc, format_admin, parse_datetime

ClockMode = Literal["real", "fixed", "offset"]
CLOCK_KEY = "__clock__"


@dataclass(frozen=True)
class Clock:
    mode: ClockMode = "real"
    fixed_at: datetime | None = None
    offset_seconds: float = 0.0

    def now(self) -> datetime:
        if self.mode == "fixed" and self.fixed_at is not None:
            return as_utc(self.fixed_at)
        real = datetime.now(UTC)
        if self.mode == "offset":
            return real + timedelta(seconds=self.offset_seconds)
        return real

    def frozen(self, at: datetime) -> Clock:
        return Clock("fixed", as_utc(at), 0.0)

    def advanced(self, seconds: float) -> Clock:
        if self.mode == "fixed":
            return Clock("fixed", self.now() + timedelta(seconds=seconds), 0.0)
        return Clock("offset", None, self.offset_seconds + seconds)

    def to_json(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "fixed_at": format_admin(self.fixed_at) if self.fixed_at else None,
            "offset_seconds": self.offset_seconds,
        }

    @classmethod
    def from_json(cls, value: dict[str, Any] | None) -> Clock:
        if not value:
            return cls()
        fixed = value.get("fixed_at")
        return cls(
            value.get("mode", "real"),
            parse_datetime(fixed) if fixed else None,
            float(value.get("offset_seconds", 0.0)),
        )

    def describe(self) -> dict[str, str]:
        """The admin plane body: ``{"now": "...Z", "mode": ...}``."""
        return {"now": format_admin(self.now()), "mode": self.mode}
