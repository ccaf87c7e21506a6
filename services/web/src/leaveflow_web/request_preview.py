"""The rules of the request form that need no service: which types a person may pick,
which fields a type asks for, what is wrong with the dates before anything is counted,
and how a request splits over two leave years.

Checked here so a person learns at once (and in words) what the services would only
refuse after submitting: a type not offered at their location, a day in the past.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from .i18n import gettext as _
from .wording import day, iso_date


def offered_types(types: list[dict[str, Any]], location_id: str | None) -> list[dict[str, Any]]:
    """The active leave types with a policy at ``location_id`` (none without a location)."""
    if not location_id:
        return []
    return [
        t for t in types if t.get("active", True) and location_id in (t.get("location_ids") or [])
    ]


@dataclass(frozen=True)
class FormShape:
    """Which inputs the picked leave type asks for."""

    hours: bool  # an hour-unit type: how many hours, on one day
    parts: bool  # half days (morning / afternoon) allowed

    @classmethod
    def of(cls, leave_type: Mapping[str, Any] | None) -> FormShape:
        if leave_type is None:
            return cls(hours=False, parts=False)
        by_hours = leave_type.get("unit") == "hours"
        return cls(hours=by_hours, parts=not by_hours and bool(leave_type.get("allow_half_days")))


@dataclass(frozen=True)
class Dates:
    """The picked days, or the sentence saying what is wrong with them and where."""

    start: date | None = None
    end: date | None = None
    field: str = ""
    message: str = ""

    @property
    def ok(self) -> bool:
        return self.start is not None and self.end is not None and not self.message


def check_dates(
    values: Mapping[str, str], today: date, *, may_record_past: bool, hours: bool
) -> Dates:
    """The first and last day of a request as typed, judged before anything is counted.

    ``may_record_past``: an admin who ticked "Record past leave"; for everyone else a
    first day before ``today`` (the person's own, at their location) is refused."""
    start = iso_date(values.get("start_date", "")) if values.get("start_date") else None
    if start is None:
        return Dates(field="start_date", message=_("Pick the first day."))
    end = iso_date(values.get("end_date", "")) if values.get("end_date") else start
    if end is None:
        return Dates(start, field="end_date", message=_("Pick the last day, or leave it empty."))
    # Hours are taken on one day; a last day, if given, must be that day.
    if hours and end != start:
        return Dates(
            start, end, "end_date", _("Leave in hours is for one day: leave the last day empty.")
        )
    if end < start:
        return Dates(start, end, "end_date", _("The last day is before the first day."))
    if start < today and not may_record_past:
        return Dates(
            start,
            end,
            "start_date",
            _("The first day is in the past. Pick %(day)s or later.", day=day(today)),
        )
    return Dates(start, end)


def parts_of(values: Mapping[str, str], dates: Dates, shape: FormShape) -> dict[str, str]:
    """The half-day parts to send: none for a type without half days; a one-day request
    uses the first day's part only, as the API expects."""
    if not shape.parts:
        return {}
    start_part = values.get("start_part") or "full"
    end_part = values.get("end_part") or "full"
    if dates.start == dates.end:
        return {"start_part": start_part} if start_part != "full" else {}
    out = {}
    if start_part != "full":
        out["start_part"] = start_part
    if end_part != "full":
        out["end_part"] = end_part
    return out


def parts_problem(values: Mapping[str, str], dates: Dates, shape: FormShape) -> str:
    """A sentence when the parts cannot go together with these dates, "" when they can."""
    if not shape.parts or dates.start == dates.end:
        return ""
    if values.get("start_part") == "am":
        return _("Over several days, the first day can be a full day or the afternoon only.")
    if values.get("end_part") == "pm":
        return _("Over several days, the last day can be a full day or the morning only.")
    return ""


def split_at(start: date, end: date, year_end: date) -> list[tuple[date, date]]:
    """The request's days in its first leave year (ending ``year_end``) and the next."""
    if end <= year_end:
        return [(start, end)]
    return [(start, year_end), (year_end + timedelta(days=1), end)]
