"""The who's-off projection: one absence per leave request, and replicas of the directory.

Events of different subjects arrive in any order relative to each other (two consumers,
redelivery after a failure), so every record keeps enough to decide, on its own, whether an
incoming event is news:
- a request's status only moves up the lattice submitted < pending < approved, and an
  ended request (rejected, denied, cancelled) is a tombstone nothing revives;
- a request's facts (amount, working days, department) and every replica follow the event
  that *happened* last (`as_of`, the envelope's `occurred_at`), not the one that came last.

`revision` counts visible changes and `modified_at` is when the last one happened: a feed's
SEQUENCE and LAST-MODIFIED are built from them (see `LeaveView`).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from typing import TypeVar

SUBMITTED, PENDING, APPROVED, ENDED = "submitted", "pending", "approved", "ended"
_RANK = {SUBMITTED: 0, PENDING: 1, APPROVED: 2}


def later_status(current: str, incoming: str) -> str:
    """The status a request has after both facts are known (never moves back)."""
    if ENDED in (current, incoming):
        return ENDED
    return current if _RANK[current] >= _RANK[incoming] else incoming


@dataclass(frozen=True)
class LeaveFacts:
    """What one request event says about the leave."""

    employee_id: str
    leave_type_id: str
    start_date: date
    end_date: date
    start_part: str
    end_part: str
    amount: Decimal
    unit: str
    working_days: list[date]
    department_id: str | None


@dataclass
class Absence:
    id: str  # the leave request id
    tenant_id: str
    employee_id: str
    leave_type_id: str
    start_date: date
    end_date: date
    start_part: str = "full"
    end_part: str = "full"
    status: str = SUBMITTED
    amount: Decimal = Decimal("0")
    unit: str = "days"
    working_days: list[date] = field(default_factory=list)
    department_id: str | None = None  # at the time of the request (fallback only)
    as_of: datetime | None = None  # when the facts held here happened
    revision: int = 0
    modified_at: datetime | None = None

    def within(self, start: date, end: date) -> bool:
        return self.start_date <= end and start <= self.end_date

    def _facts(self) -> LeaveFacts:
        return LeaveFacts(
            self.employee_id,
            self.leave_type_id,
            self.start_date,
            self.end_date,
            self.start_part,
            self.end_part,
            self.amount,
            self.unit,
            list(self.working_days),
            self.department_id,
        )

    def apply(self, facts: LeaveFacts, status: str, occurred_at: datetime) -> Absence:
        """This absence after one more event; `self` if the event changes nothing."""
        newer = self.as_of is None or occurred_at >= self.as_of
        new_facts = facts if newer else self._facts()
        new_status = later_status(self.status, status)
        if new_facts == self._facts() and new_status == self.status:
            return replace(self, as_of=occurred_at) if newer else self
        return replace(
            self,
            **{k: getattr(new_facts, k) for k in LeaveFacts.__dataclass_fields__},
            status=new_status,
            as_of=occurred_at if newer else self.as_of,
            revision=self.revision + 1,
            modified_at=max(occurred_at, self.modified_at or occurred_at),
        )


def new_absence(request_id: str, tenant_id: str, facts: LeaveFacts) -> Absence:
    """A blank record for a request not seen before; `apply` fills it."""
    return Absence(
        id=request_id,
        tenant_id=tenant_id,
        employee_id=facts.employee_id,
        leave_type_id=facts.leave_type_id,
        start_date=facts.start_date,
        end_date=facts.end_date,
    )


@dataclass
class PersonReplica:
    id: str
    tenant_id: str
    name: str
    department_id: str | None = None
    location_id: str | None = None
    end_date: date | None = None  # a leaver is off the calendar after this day
    role: str = "user"  # who may see whose pending leave, and feeds of which department
    as_of: datetime | None = None
    revision: int = 0
    modified_at: datetime | None = None

    def gone_by(self, day: date) -> bool:
        """Whether the person has left before `day`."""
        return self.end_date is not None and day > self.end_date


@dataclass
class LeaveTypeReplica:
    id: str
    tenant_id: str
    name: str
    color: str | None = None
    # Others see "Away" instead of this type (sick leave): `LeaveView.seen_by`.
    private: bool = False
    as_of: datetime | None = None
    revision: int = 0
    modified_at: datetime | None = None


@dataclass
class DepartmentReplica:
    id: str
    tenant_id: str
    name: str
    active: bool = True
    # Everyone who approves for it now: they see its people's pending leave.
    approver_ids: list[str] = field(default_factory=list)
    as_of: datetime | None = None
    revision: int = 0
    modified_at: datetime | None = None


@dataclass(frozen=True)
class ExtraHoliday:
    date: date
    name: str


@dataclass
class LocationReplica:
    id: str
    tenant_id: str
    name: str
    timezone: str = "UTC"
    country: str | None = None
    subdivision: str | None = None
    # As the requests service resolved them (LocationUpserted.holidays).
    holiday_categories: list[str] = field(default_factory=lambda: ["public"])
    holiday_language: str | None = None
    extra_holidays: list[ExtraHoliday] = field(default_factory=list)
    active: bool = True
    as_of: datetime | None = None
    revision: int = 0
    modified_at: datetime | None = None


@dataclass
class TenantReplica:
    id: str
    tenant_id: str
    name: str
    timezone: str = "UTC"
    as_of: datetime | None = None
    revision: int = 0
    modified_at: datetime | None = None


Replica = PersonReplica | LeaveTypeReplica | DepartmentReplica | LocationReplica | TenantReplica
R = TypeVar("R", bound=Replica)
_BOOKKEEPING = ("as_of", "revision", "modified_at")
# Fields that decide who sees what, never what a feed shows: a change of only these is
# kept without counting as a visible change (no feed churns for a promotion).
_ACCESS = ("role", "approver_ids")


def advance(current: R | None, incoming: R, occurred_at: datetime) -> R | None:
    """The replica after an upsert event, or None when the event is old news.

    An event that happened before the one already applied is ignored (it arrived late);
    one that changes nothing visible only moves `as_of`, so feeds do not churn."""
    if current is None:
        return replace(incoming, as_of=occurred_at, revision=1, modified_at=occurred_at)
    if current.as_of is not None and occurred_at < current.as_of:
        return None
    same = all(
        getattr(current, f) == getattr(incoming, f)
        for f in incoming.__dataclass_fields__
        if f not in _BOOKKEEPING and f not in _ACCESS
    )
    if same:
        return replace(
            incoming, as_of=occurred_at, revision=current.revision, modified_at=current.modified_at
        )
    return replace(
        incoming, as_of=occurred_at, revision=current.revision + 1, modified_at=occurred_at
    )
