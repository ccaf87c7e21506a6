"""One leave as callers see it: the absence joined with today's names, department, location.

Joined at read time, so a rename or a move between departments shows at once everywhere.
A leaver's leave ends on their last day: what lies after it is not shown.

A leave of a *private* type (sick leave) is shown as "Away" (`away()`: no type, no colour)
to whoever may not see it: all but the person, their approvers and admins (who's-off), and
every feed (a feed URL is a bearer secret, often shared with a whole team's calendar).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from functools import cached_property

from .absence import Absence, LeaveTypeReplica, PersonReplica

EPOCH = datetime.fromisoformat("2000-01-01T00:00:00+00:00")
AWAY = "Away"


@dataclass(frozen=True)
class LeaveView:
    request_id: str
    employee_id: str
    employee_name: str | None
    department_id: str | None
    location_id: str | None
    leave_type_id: str
    leave_type_name: str | None
    start_date: date
    end_date: date
    start_part: str
    end_part: str
    status: str
    amount: Decimal
    unit: str
    # SEQUENCE and LAST-MODIFIED of the feed event: they move with any change of the leave,
    # the person's name or the type's name, and never go back (each part only grows).
    sequence: int
    modified_at: datetime
    leave_type_color: str | None = None
    private: bool = False  # the type is private
    hidden: bool = False  # ... and this copy is for someone who may not see it

    def away(self) -> LeaveView:
        """This leave as shown to someone who may not see its private type (one copy per
        view, so its `item_json` is worked out once too)."""
        return self._away if self.private else self

    @cached_property
    def _away(self) -> LeaveView:
        return replace(
            self, leave_type_id="", leave_type_name=AWAY, leave_type_color=None, hidden=True
        )

    @cached_property
    def item_json(self) -> str:
        """`as_item()` as compact JSON, byte for byte what a JSON response of it holds;
        made once per view, which lives as long as its tenant's snapshot: a whole tenant's
        month is 6,000 items, read again and again."""
        return json.dumps(self.as_item(), ensure_ascii=False, separators=(",", ":"))

    def as_item(self) -> dict[str, object]:
        """The `GET /v1/whos-off` item (docs/api.md fields, plus ids that help clients)."""
        return {
            "request_id": self.request_id,
            "employee_id": self.employee_id,
            "employee_name": self.employee_name,
            "department_id": self.department_id,
            "location_id": self.location_id,
            "leave_type_id": None if self.hidden else self.leave_type_id,
            "leave_type_name": self.leave_type_name,
            "leave_type_color": self.leave_type_color,
            "private": self.private,
            "start_date": self.start_date.isoformat(),
            "end_date": self.end_date.isoformat(),
            "start_part": self.start_part,
            "end_part": self.end_part,
            "status": self.status,
        }


def join(
    absence: Absence, person: PersonReplica | None, leave_type: LeaveTypeReplica | None
) -> LeaveView | None:
    """The view of one absence; None when all of it lies after the person left."""
    end_date, end_part = absence.end_date, absence.end_part
    if person is not None and person.gone_by(absence.start_date):
        return None
    if person is not None and person.gone_by(end_date) and person.end_date is not None:
        end_date, end_part = person.end_date, "full"
    stamps = [absence.modified_at, *(r.modified_at for r in (person, leave_type) if r)]
    return LeaveView(
        request_id=absence.id,
        employee_id=absence.employee_id,
        employee_name=person.name if person else None,
        department_id=person.department_id if person else absence.department_id,
        location_id=person.location_id if person else None,
        leave_type_id=absence.leave_type_id,
        leave_type_name=leave_type.name if leave_type else None,
        start_date=absence.start_date,
        end_date=end_date,
        start_part=absence.start_part,
        end_part=end_part,
        status=absence.status,
        amount=absence.amount,
        unit=absence.unit,
        sequence=absence.revision + sum(r.revision for r in (person, leave_type) if r),
        modified_at=max((s for s in stamps if s is not None), default=EPOCH),
        leave_type_color=leave_type.color if leave_type else None,
        private=leave_type.private if leave_type else False,
    )


_PART_NAMES = {"am": "morning", "pm": "afternoon"}


def summary(view: LeaveView) -> str:
    """`Ana Lima — Vacation (half day, afternoon)`: who, what, and which halves."""
    who = view.employee_name or "Someone"
    what = view.leave_type_name or "Leave"
    notes: list[str] = []
    if view.unit == "hours":
        notes.append(f"{view.amount.normalize():f} h")
    elif view.start_date == view.end_date and view.start_part in _PART_NAMES:
        notes.append(f"half day, {_PART_NAMES[view.start_part]}")
    else:
        if view.start_part == "pm":
            notes.append("from the afternoon")
        if view.end_part == "am" and view.end_date != view.start_date:
            notes.append("until the morning")
    return f"{who} — {what}" + (f" ({', '.join(notes)})" if notes else "")
