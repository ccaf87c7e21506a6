"""Time off in lieu (issue 17): a claim for time worked beyond the schedule, credited by
balances once approved (`ToilApproved`).

A claim needs no reservation, so it is pending at once, and goes through its department's
approval levels as a leave request does (domain/approval.py), or is approved at once for a
type that needs no approval:

pending  -> approved | denied | cancelled (the claimant or an admin)
approved -> cancelled (the claimant or an admin, once balances took the unused credit back)
denied, cancelled: final
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from .approval import Approval
from .directory import Employee, LeaveType
from .errors import InvalidRequest, InvalidTransition, NotAllowed
from .levelled import LevelledDecision

PENDING, APPROVED, DENIED, CANCELLED = "pending", "approved", "denied", "cancelled"
# What one claim may credit: a day's hours for an hour-unit type, a month of days.
MAX_HOURS, MAX_DAYS = Decimal(24), Decimal(31)


@dataclass
class ToilClaim(LevelledDecision):
    id: str
    tenant_id: str
    employee_id: str
    leave_type_id: str
    # The day worked (the credit's date in balances).
    date: dt.date
    amount: Decimal
    note: str
    unit: str = "days"
    status: str = PENDING
    department_id: str | None = None
    created_at: datetime | None = None
    history: list[dict[str, Any]] = field(default_factory=list)
    approval: Approval | None = None

    @classmethod
    def claim(
        cls,
        *,
        id: str,
        employee: Employee,
        leave_type: LeaveType | None,
        toil_at_location: bool,
        day: dt.date,
        amount: Decimal,
        note: str,
        today: dt.date,
        by: str,
        at: datetime,
    ) -> ToilClaim:
        """A new claim of `employee`, if the rules allow it (checked in this order): the
        type exists and is active and has a TOIL policy at the person's location; the day
        is not after today and the person was employed on it; the amount is more than 0
        and at most a day's 24 hours (hour-unit types) or 31 days. Pending (the caller plans
        its `approval`), or approved at once for a type that needs no approval."""
        if leave_type is None or not leave_type.active:
            raise InvalidRequest("unknown leave type", field="leave_type_id")
        if not toil_at_location:
            raise InvalidRequest(
                f"{leave_type.name} is not time off in lieu at the person's location "
                "(no TOIL policy)",
                field="leave_type_id",
            )
        if day > today:
            raise InvalidRequest(
                f"time off in lieu is claimed for a day worked: {day.isoformat()} is after "
                f"today ({today.isoformat()})",
                field="date",
            )
        if not employee.is_active_on(day):
            raise InvalidRequest(
                f"{employee.name} is not employed on {day.isoformat()}", field="date"
            )
        most = MAX_HOURS if leave_type.unit == "hours" else MAX_DAYS
        if amount <= 0 or amount > most:
            raise InvalidRequest(
                f"amount is more than 0 and at most {most} {leave_type.unit}", field="amount"
            )
        claim = cls(
            id=id,
            tenant_id=employee.tenant_id,
            employee_id=employee.id,
            leave_type_id=leave_type.id,
            date=day,
            amount=amount,
            note=note,
            unit=leave_type.unit,
            department_id=employee.department_id,
            created_at=at,
            history=[{"from": None, "to": PENDING, "at": at.isoformat(), "by": by, "note": note}],
        )
        if not leave_type.requires_approval:
            claim._move(APPROVED, at, "system", "no approval needed")
        return claim

    def _move(self, to: str, at: datetime, by: str | None, note: str | None = None) -> None:
        if self.status != PENDING and (self.status, to) != (APPROVED, CANCELLED):
            raise InvalidTransition(f"cannot move the claim from {self.status} to {to}")
        self.history.append(
            {"from": self.status, "to": to, "at": at.isoformat(), "by": by, "note": note}
        )
        self.status = to

    def _require_pending(self, action: str) -> None:
        if self.status != PENDING:
            raise InvalidTransition(f"cannot {action}: the claim is {self.status}")

    def cancel(self, by: str, at: datetime, *, is_admin: bool, note: str | None = None) -> str:
        """The claimant or an admin withdraws a pending claim (its levels stay as they
        are) or an approved one (the caller has had balances take its credit back first);
        returns the status it had."""
        if not is_admin and by != self.employee_id:
            raise NotAllowed("only the claimant or an admin may cancel")
        if self.status not in (PENDING, APPROVED):
            raise InvalidTransition(f"cannot cancel: the claim is {self.status}")
        previous = self.status
        self._move(CANCELLED, at, by, note)
        return previous
