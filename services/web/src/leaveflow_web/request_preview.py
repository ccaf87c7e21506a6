"""The rules of the request form that need no service: which types a person may pick,
which fields a type asks for, what is wrong with the dates before anything is counted,
and how a request splits over two leave years.

Checked here so a person learns at once (and in words) what the services would only
refuse after submitting: a type not offered at their location, a day in the past.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from .i18n import gettext as _
from .wording import amount, date_range, day, iso_date


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


# --- the policy's request rules and the blackouts (issue 17) ----------------------------
# What the preview can tell before submitting from what everyone may read: the policy
# (GET /v1/policies), the blackouts (GET /v1/blackouts) and the person's start date. The
# longest run and the department's coverage need other people's requests: those come back
# on submit and are put in words by ``submit_rule_sentence``.


@dataclass(frozen=True)
class RuleCheck:
    """A rule the dates break (``field``, ``message``: shown instead of the amount) and
    the blackout warnings they let through (approvers see them too)."""

    field: str = ""
    message: str = ""
    warnings: tuple[str, ...] = ()


def _touches(blackout: Mapping[str, Any], start: date, end: date) -> bool:
    first, last = iso_date(blackout.get("start_date")), iso_date(blackout.get("end_date"))
    return first is not None and last is not None and not (end < first or last < start)


def _listed(ids: Any, value: Any) -> bool:
    return not ids or value in ids


def blackouts_for(
    blackouts: list[Mapping[str, Any]],
    employee: Mapping[str, Any],
    leave_type_id: str,
    start: date,
    end: date,
) -> list[Mapping[str, Any]]:
    """The blackouts a request of these days touches (one shared day is enough), by first
    day: those of the person's location and department and of the type."""
    hits = [
        b
        for b in blackouts
        if _touches(b, start, end)
        and _listed(b.get("location_ids"), employee.get("location_id"))
        and _listed(b.get("department_ids"), employee.get("department_id"))
        and _listed(b.get("leave_type_ids"), leave_type_id)
    ]
    return sorted(hits, key=lambda b: (str(b.get("start_date")), str(b.get("name"))))


def _blackout_days(blackout: Mapping[str, Any]) -> str:
    return date_range(blackout.get("start_date"), blackout.get("end_date"))


def check_rules(
    policy: Mapping[str, Any] | None,
    blackouts: list[Mapping[str, Any]],
    employee: Mapping[str, Any],
    leave_type_id: str,
    dates: Dates,
    today: date,
) -> RuleCheck:
    """Notice, how far ahead, probation and blocking blackouts (the first one broken) and
    the warnings of warn-mode blackouts, as the requests service judges them."""
    start, end = dates.start, dates.end
    if start is None or end is None:
        return RuleCheck()
    rules = policy or {}
    notice = rules.get("min_notice_days")
    if isinstance(notice, int) and start < today + timedelta(days=notice):
        earliest = today + timedelta(days=notice)
        return RuleCheck(
            "start_date",
            _(
                "This leave type needs %(days)s days' notice: the first day can be %(day)s "
                "at the earliest.",
                days=notice,
                day=day(earliest),
            ),
        )
    ahead = rules.get("max_days_ahead")
    if isinstance(ahead, int) and end > today + timedelta(days=ahead):
        latest = today + timedelta(days=ahead)
        return RuleCheck(
            "end_date",
            _(
                "This leave type can be asked for at most %(days)s days ahead: the last day "
                "can be %(day)s at the latest.",
                days=ahead,
                day=day(latest),
            ),
        )
    probation = rules.get("probation_days")
    started = iso_date(employee.get("start_date")) if employee.get("start_date") else None
    if isinstance(probation, int) and started is not None:
        allowed = started + timedelta(days=probation)
        if start < allowed:
            return RuleCheck(
                "start_date",
                _(
                    "This leave type can be taken once the probation period is over: from "
                    "%(day)s on.",
                    day=day(allowed),
                ),
            )
    hits = blackouts_for(blackouts, employee, leave_type_id, start, end)
    for blackout in hits:
        if blackout.get("mode", "block") != "warn":
            return RuleCheck(
                "start_date",
                _(
                    "%(name)s (%(days)s) is a blackout period: leave on these days is refused. "
                    "Pick other days.",
                    name=blackout.get("name", ""),
                    days=_blackout_days(blackout),
                ),
            )
    return RuleCheck(
        warnings=tuple(
            _(
                "%(name)s (%(days)s) is a blackout period: you may ask, and your approver "
                "sees a warning.",
                name=b.get("name", ""),
                days=_blackout_days(b),
            )
            for b in hits
        )
    )


# The requests service's rule messages (docs/api.md "POST /v1/leave-requests"), by the
# rule they name; the dates in them are ISO days.
_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_PEOPLE_OFF = re.compile(r"would have (\d+) people off on (\d{4}-\d{2}-\d{2}) \(max_off is (\d+)\)")
_IN_A_ROW = re.compile(r"at most ([\d.]+) (day|days|hour|hours) in a row.*would be ([\d.]+)")


def submit_rule_sentence(message: str) -> str:
    """A refusal of the request rules on submit, in words ("" for any other message)."""
    days = [d for d in map(iso_date, _ISO_DAY.findall(message)) if d is not None]
    if match := _PEOPLE_OFF.search(message):
        off = iso_date(match[2])
        return _(
            "Too many people of your department would be off on %(day)s (at most %(max)s at "
            "once). Pick other days, or talk to your approver.",
            day=day(off) if off else match[2],
            max=match[3],
        )
    if "(max_consecutive)" in message and (match := _IN_A_ROW.search(message)):
        unit = "hours" if match[2].startswith("hour") else "days"
        return _(
            "This leave type is at most %(most)s in a row; with your requests next "
            "to it this would be %(total)s. Ask for fewer days.",
            most=amount(match[1], unit),
            total=amount(match[3], unit),
        )
    if "(min_notice_days)" in message and days:
        return _("This leave type needs more notice: the first day can be %(day)s at the earliest.",
                 day=day(days[0]))  # fmt: skip
    if "(max_days_ahead)" in message and days:
        return _("This is too far ahead: the last day can be %(day)s at the latest.",
                 day=day(days[0]))  # fmt: skip
    if "(probation_days)" in message and days:
        return _(
            "This leave type can be taken once the probation period is over: from %(day)s on.",
            day=day(days[0]),
        )
    if "is a blackout period" in message:
        name = message.split(" (", 1)[0]
        return _(
            "%(name)s is a blackout period: leave on these days is refused. Pick other days.",
            name=name,
        )
    return ""
