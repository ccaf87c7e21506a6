"""The LeaveRequest aggregate and its state machine.

submitted -> pending | approved (no approval needed) | rejected (balances said no)
             | cancelled (withdrawn before balances answered, also during its outage)
pending   -> approved | denied | cancelled (through its approval levels, domain/approval.py)
approved  -> cancelled
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from copy import deepcopy
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from .approval import Approval
from .directory import Employee, LeaveType, Location
from .edits import KEPT, EditInFlight, settle
from .errors import InvalidRequest, InvalidTransition, NotAllowed, OverlappingRequest
from .levelled import LevelledDecision
from .work_schedule import WorkSchedule
from .working_days import WorkingDays, count_hours, count_working_days

SUBMITTED, PENDING, APPROVED = "submitted", "pending", "approved"
REJECTED, DENIED, CANCELLED = "rejected", "denied", "cancelled"
LIVE_STATUSES = frozenset({SUBMITTED, PENDING, APPROVED})
NO_WORKING_DAYS = "no_working_days"

AM, PM = "am", "pm"
BOTH = frozenset({AM, PM})


def _halves_of(day: date, start: date, end: date, start_part: str, end_part: str) -> frozenset[str]:
    if start == end:
        return BOTH if start_part == "full" else frozenset({start_part})
    if day == start and start_part == PM:
        return frozenset({PM})
    if day == end and end_part == AM:
        return frozenset({AM})
    return BOTH


def day_halves(
    start: date, end: date, start_part: str, end_part: str
) -> dict[date, frozenset[str]]:
    """Which halves (am, pm) of each calendar day a request takes."""
    days = (end - start).days + 1
    return {
        start + timedelta(days=i): _halves_of(
            start + timedelta(days=i), start, end, start_part, end_part
        )
        for i in range(days)
    }


def count_leave(
    leave_type: LeaveType,
    start: date,
    end: date,
    *,
    start_part: str = "full",
    end_part: str = "full",
    hours: Decimal | None = None,
    schedule: WorkSchedule | None = None,
    holidays: Collection[date] = (),
) -> WorkingDays:
    """What a request costs: days for a day-unit type; hours on one working day for an
    hour-unit type (the hours are given, never derived)."""
    if leave_type.unit == "hours":
        if hours is None:
            raise InvalidRequest(f"{leave_type.name} is taken in hours", field="hours")
        if end != start:
            raise InvalidRequest("an hour request covers one day", field="end_date")
        return count_hours(start, hours, schedule, holidays)
    if hours is not None:
        raise InvalidRequest(f"{leave_type.name} is taken in days", field="hours")
    return count_working_days(
        start, end, start_part=start_part, end_part=end_part, schedule=schedule, holidays=holidays
    )


def _checked(
    *,
    employee: Employee,
    leave_type: LeaveType | None,
    location: Location | None,
    offered_at_location: bool,
    live_requests: Iterable[LeaveRequest],
    start_date: date,
    end_date: date,
    start_part: str,
    end_part: str,
    hours: Decimal | None,
) -> WorkingDays:
    """What a request of `employee` over the dates costs, if the rules of a submission
    (`LeaveRequest.submit`) allow it."""
    if leave_type is None or not leave_type.active:
        raise InvalidRequest("unknown leave type", field="leave_type_id")
    if (start_part != "full" or end_part != "full") and not leave_type.allow_half_days:
        raise InvalidRequest(f"{leave_type.name} does not allow half days", field="start_part")
    if location is not None and not offered_at_location:
        raise InvalidRequest(
            f"{leave_type.name} is not available at {location.name} (no policy)",
            field="leave_type_id",
        )
    counted = count_leave(
        leave_type,
        start_date,
        end_date,
        start_part=start_part,
        end_part=end_part,
        hours=hours,
        schedule=location.schedule_for(employee) if location else None,
        holidays=location.holidays_between(start_date, end_date).keys() if location else (),
    )
    for day in (start_date, end_date):
        if not employee.is_active_on(day):
            raise InvalidRequest(
                f"{employee.name} is not employed on {day.isoformat()}", field="start_date"
            )
    for other in live_requests:
        if other.overlaps(start_date, end_date, start_part, end_part):
            raise OverlappingRequest(f"overlaps request {other.id} ({other.status})")
    return counted


ALLOWED: dict[str, frozenset[str]] = {
    SUBMITTED: frozenset({PENDING, APPROVED, REJECTED, CANCELLED}),
    PENDING: frozenset({APPROVED, DENIED, CANCELLED}),
    APPROVED: frozenset({CANCELLED}),
    REJECTED: frozenset(),
    DENIED: frozenset(),
    CANCELLED: frozenset(),
}


@dataclass(frozen=True)
class Edited:
    """What an edited request was before."""

    amount: Decimal
    start_date: date
    end_date: date


@dataclass
class LeaveRequest(LevelledDecision):
    id: str
    tenant_id: str
    employee_id: str
    leave_type_id: str
    start_date: date
    end_date: date
    amount: Decimal
    start_part: str = "full"
    end_part: str = "full"
    unit: str = "days"
    working_days: list[date] = field(default_factory=list)
    requires_approval: bool = True
    reason: str | None = None
    status: str = SUBMITTED
    rejection_reason: str | None = None
    department_id: str | None = None
    created_at: datetime | None = None
    history: list[dict[str, Any]] = field(default_factory=list)
    # Fixed when the request becomes pending; None for a request that needs no approval
    # (and for those that became pending before approval levels existed).
    approval: Approval | None = None
    # Issue 17: the non-working days the policy's sandwich rule charged (also in
    # working_days), what blackouts in "warn" mode told the approvers, and whether an
    # admin overrode the notice and blackout rules on purpose.
    sandwiched_days: list[date] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    rules_overridden: bool = False
    # Edits balances has not answered yet (domain/edits.py), oldest first.
    edits_in_flight: list[EditInFlight] = field(default_factory=list)

    @classmethod
    def submit(
        cls,
        *,
        id: str,
        employee: Employee,
        leave_type: LeaveType | None,
        location: Location | None,
        offered_at_location: bool,
        live_requests: Iterable[LeaveRequest],
        start_date: date,
        end_date: date,
        start_part: str = "full",
        end_part: str = "full",
        hours: Decimal | None = None,
        reason: str | None = None,
        by: str,
        at: datetime,
    ) -> LeaveRequest:
        """A new request of `employee`, if the rules allow it (checked in this order):

        - the leave type exists and is active; half days only where the type allows them;
        - at a location, only a type balances offers there (`offered_at_location`);
        - hours for an hour-unit type (one day), none for a day-unit type, and at least
          one working day of the location's work week, the employee's pattern, and not a
          holiday;
        - the employee is employed on the first and the last day;
        - no half day of it is taken by one of the employee's `live_requests`.
        """
        counted = _checked(
            employee=employee,
            leave_type=leave_type,
            location=location,
            offered_at_location=offered_at_location,
            live_requests=live_requests,
            start_date=start_date,
            end_date=end_date,
            start_part=start_part,
            end_part=end_part,
            hours=hours,
        )
        assert leave_type is not None  # _checked refuses an unknown type
        return cls(
            id=id,
            tenant_id=employee.tenant_id,
            employee_id=employee.id,
            leave_type_id=leave_type.id,
            start_date=start_date,
            end_date=end_date,
            start_part=start_part,
            end_part=end_part,
            amount=counted.amount,
            unit=leave_type.unit,
            working_days=list(counted.days),
            requires_approval=leave_type.requires_approval,
            reason=reason,
            department_id=employee.department_id,
            created_at=at,
            history=[
                {"from": None, "to": SUBMITTED, "at": at.isoformat(), "by": by, "note": reason}
            ],
        )

    def edit(
        self,
        *,
        employee: Employee,
        leave_type: LeaveType | None,
        location: Location | None,
        offered_at_location: bool,
        live_requests: Iterable[LeaveRequest],
        start_date: date,
        end_date: date,
        start_part: str,
        end_part: str,
        hours: Decimal | None,
        reason: str | None,
        by: str,
        is_admin: bool,
        today: date,
        at: datetime,
        edit_id: str | None = None,
    ) -> Edited:
        """New dates, parts, hours or reason: by the requester while it is pending, by an
        admin also while it is approved and has not ended (it stays approved). The rules
        of a submission apply; the request's own days do not overlap it. A pending
        request's approval restarts (the caller plans it again)."""
        if not is_admin and by != self.employee_id:
            raise NotAllowed("only the requester or an admin may change a request")
        if self.status == APPROVED:
            if not is_admin:
                raise NotAllowed("an approved request is changed by an admin only")
            if self.end_date < today:
                raise InvalidTransition("the leave has ended")
        elif self.status != PENDING:
            raise InvalidTransition(f"cannot change a {self.status} request")
        counted = _checked(
            employee=employee,
            leave_type=leave_type,
            location=location,
            offered_at_location=offered_at_location,
            live_requests=[r for r in live_requests if r.id != self.id],
            start_date=start_date,
            end_date=end_date,
            start_part=start_part,
            end_part=end_part,
            hours=hours,
        )
        before = Edited(self.amount, self.start_date, self.end_date)
        if edit_id is not None:
            self.edits_in_flight = [*self.edits_in_flight[-(KEPT - 1) :], self._as_it_is(edit_id)]
        self.history.append(
            {
                "from": self.status,
                "to": self.status,
                "at": at.isoformat(),
                "by": by,
                "note": f"changed from {self.start_date} - {self.end_date} ({self.amount})",
                "restarted": self.status == PENDING,
            }
        )
        self.start_date, self.end_date = start_date, end_date
        self.start_part, self.end_part = start_part, end_part
        self.amount, self.working_days = counted.amount, list(counted.days)
        self.reason = reason
        return before

    def _as_it_is(self, edit_id: str) -> EditInFlight:
        return EditInFlight(
            edit_id=edit_id,
            start_date=self.start_date,
            end_date=self.end_date,
            start_part=self.start_part,
            end_part=self.end_part,
            amount=self.amount,
            working_days=list(self.working_days),
            sandwiched_days=list(self.sandwiched_days),
            reason=self.reason,
            warnings=list(self.warnings),
            approval_before=deepcopy(self.approval),
        )

    def edit_planned(self) -> None:
        """The approval the last edit left (restarted, or kept): undoing the edit restores
        the approval from before it only while no one has decided since."""
        if self.edits_in_flight:
            self.edits_in_flight[-1].approval_after = deepcopy(self.approval)

    def edit_refused(self, edit_id: str, reason: str, at: datetime) -> Edited | None:
        """Balances refused the edit `edit_id` (not enough left): back to what the
        request was before it, if it is still the latest edit and the request is live;
        returns what it was while edited (None: nothing changed now)."""
        self.edits_in_flight, restore = settle(self.edits_in_flight, edit_id)
        if restore is None or self.status not in (PENDING, APPROVED):
            return None
        edited = Edited(self.amount, self.start_date, self.end_date)
        self.start_date, self.end_date = restore.start_date, restore.end_date
        self.start_part, self.end_part = restore.start_part, restore.end_part
        self.amount, self.working_days = restore.amount, list(restore.working_days)
        self.sandwiched_days, self.warnings = list(restore.sandwiched_days), list(restore.warnings)
        self.reason = restore.reason
        if self.status == PENDING and self.approval == restore.approval_after:
            self.approval = restore.approval_before
        self.history.append(
            {
                "from": self.status,
                "to": self.status,
                "at": at.isoformat(),
                "by": "system",
                "note": (
                    f"change to {edited.start_date} - {edited.end_date} ({edited.amount}) "
                    f"refused: {reason}"
                ),
            }
        )
        return edited

    def overlaps(
        self, start: date, end: date, start_part: str = "full", end_part: str = "full"
    ) -> bool:
        """Whether a live request and [start, end] want the same half of some day.

        The morning and the afternoon of one day are separate: am + pm do not overlap,
        but a half day on a day already taken in full does.
        """
        if self.status not in LIVE_STATUSES or self.end_date < start or end < self.start_date:
            return False
        mine = day_halves(self.start_date, self.end_date, self.start_part, self.end_part)
        theirs = day_halves(start, end, start_part, end_part)
        return any(mine[day] & halves for day, halves in theirs.items() if day in mine)

    def _move(self, to: str, at: datetime, by: str | None, note: str | None = None) -> None:
        if to not in ALLOWED[self.status]:
            raise InvalidTransition(f"cannot move a {self.status} request to {to}")
        self.history.append(
            {"from": self.status, "to": to, "at": at.isoformat(), "by": by, "note": note}
        )
        self.status = to

    def reprice(self, amount: Decimal, days: list[date], at: datetime) -> Decimal | None:
        """A new price after the location's calendar changed; returns the old amount, or
        None when nothing changed."""
        if self.status not in LIVE_STATUSES or (
            amount == self.amount and days == self.working_days
        ):
            return None
        old = self.amount
        self.history.append(
            {
                "from": self.status,
                "to": self.status,
                "at": at.isoformat(),
                "by": "system",
                "note": f"repriced from {old} to {amount}",
            }
        )
        self.amount, self.working_days = amount, list(days)
        return old

    def cancel_for_no_working_days(self, at: datetime) -> str:
        """The calendar changed so that none of its days is a working day any more.

        Unlike a person's cancel, this also ends a request still waiting for balances."""
        if self.status not in LIVE_STATUSES:
            raise InvalidTransition(f"cannot cancel a {self.status} request")
        previous = self.status
        self.history.append(
            {
                "from": previous,
                "to": CANCELLED,
                "at": at.isoformat(),
                "by": "system",
                "note": NO_WORKING_DAYS,
            }
        )
        self.status = CANCELLED
        self.rejection_reason = NO_WORKING_DAYS
        return previous

    def reserved(self, at: datetime, approval: Approval | None = None) -> str:
        """Balances reserved the days: wait for approval through `approval`'s levels, or
        approve at once."""
        self._move(PENDING if self.requires_approval else APPROVED, at, "system")
        if self.status == PENDING:
            self.approval = approval
        return self.status

    def reservation_rejected(self, reason: str, at: datetime) -> None:
        self._move(REJECTED, at, "system", reason)
        self.rejection_reason = reason

    def _require_pending(self, action: str) -> None:
        # submitted -> approved exists only for types that need no approval.
        if self.status != PENDING:
            raise InvalidTransition(f"cannot {action} a {self.status} request")

    def approve_all(self, by: str, at: datetime, note: str | None = None) -> None:
        """Approve every level left at once (an automatic decision)."""
        self._require_pending("approve")
        if self.approval is not None:
            while not self.approval.approve(by, at, note):
                pass
        self._move(APPROVED, at, by, note)

    def cancel(
        self, by: str, at: datetime, today: date, *, is_admin: bool, note: str | None = None
    ) -> str:
        """The requester may cancel until the leave starts; an admin at any time."""
        if CANCELLED not in ALLOWED[self.status]:
            raise InvalidTransition(f"cannot cancel a {self.status} request")
        if not is_admin:
            if by != self.employee_id:
                raise NotAllowed("only the requester or an admin may cancel")
            if today >= self.start_date:
                raise NotAllowed("the leave has started: only an admin may cancel it")
        previous = self.status
        self._move(CANCELLED, at, by, note)
        return previous
