"""Commands: what a caller asks the requests service to do."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from ..domain.approval import LevelRule


@dataclass(frozen=True)
class Actor:
    tenant_id: str
    employee_id: str
    role: str
    correlation_id: str | None = None

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


@dataclass(frozen=True)
class CreateTenant:
    name: str
    admin_name: str
    admin_email: str
    timezone: str = "UTC"


@dataclass(frozen=True)
class UpsertEmployee:
    name: str
    email: str
    role: str = "user"
    location_id: str | None = None
    department_id: str | None = None
    start_date: date | None = None
    end_date: date | None = None
    slack_user_id: str | None = None
    teams_user_id: str | None = None
    work_hours_per_day: Decimal = Decimal(8)
    work_pattern: dict[str, str] | None = None
    when_on_leave: bool = False
    labels: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class LocationFields:
    """Create: every field; PATCH: only the fields given (the rest keep their values)."""

    name: str
    timezone: str = "UTC"
    workweek: tuple[int, ...] = (1, 2, 3, 4, 5)
    country: str | None = None
    subdivision: str | None = None
    extra_holidays: tuple[tuple[str, str], ...] = ()
    leave_year_start: str = "01-01"


@dataclass(frozen=True)
class DepartmentFields:
    """Create or PATCH: `approver_ids` is the shorthand of one unconditional level (on a
    PATCH it replaces the first level's approvers); None: not given."""

    name: str
    approver_ids: tuple[str, ...] | None = None
    approval_levels: tuple[LevelRule, ...] | None = None
    # The coverage limit as it is to be (a PATCH passes the current one when not given).
    max_off: int | None = None
    max_off_mode: str = "block"


@dataclass(frozen=True)
class CreateLeaveType:
    name: str
    unit: str = "days"
    requires_approval: bool = True
    allow_half_days: bool = True
    color: str | None = None
    annual_allowance: Decimal | None = None
    private: bool = False


@dataclass(frozen=True)
class SubmitLeaveRequest:
    leave_type_id: str
    start_date: date
    end_date: date
    employee_id: str | None = None
    start_part: str = "full"
    end_part: str = "full"
    hours: Decimal | None = None
    reason: str | None = None
    # An admin recording leave on purpose: notice, how far ahead and blocking blackouts
    # do not apply (recorded in the history and the event).
    override_rules: bool = False


@dataclass(frozen=True)
class DecideLeaveRequest:
    request_id: str
    approve: bool
    note: str | None = None
    # The level the caller means to decide; another one current → InvalidTransition.
    level: int | None = None


@dataclass(frozen=True)
class CancelLeaveRequest:
    request_id: str
    note: str | None = None


@dataclass(frozen=True)
class CreateSubstitution:
    approver_id: str
    substitute_id: str
    start_date: date
    end_date: date


@dataclass(frozen=True)
class EditLeaveRequest:
    """PATCH of a request: None keeps a field's value (`reason` changes only when
    `reason_given`, so that null can clear it)."""

    request_id: str
    start_date: date | None = None
    end_date: date | None = None
    start_part: str | None = None
    end_part: str | None = None
    hours: Decimal | None = None
    reason: str | None = None
    reason_given: bool = False
