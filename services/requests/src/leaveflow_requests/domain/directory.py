"""Directory records: tenants, employees, leave types."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal


@dataclass
class Tenant:
    id: str
    name: str
    timezone: str = "UTC"


@dataclass
class Employee:
    id: str
    tenant_id: str
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
    # Bumped by every submission so concurrent submissions of one employee conflict in
    # the store and are serialised (the overlap check needs that).
    request_guard: int = 0

    def is_active_on(self, day: date) -> bool:
        if self.start_date is not None and day < self.start_date:
            return False
        return not (self.end_date is not None and day > self.end_date)


@dataclass
class LeaveType:
    id: str
    tenant_id: str
    name: str
    unit: str = "days"
    requires_approval: bool = True
    allow_half_days: bool = True
    color: str | None = None
    active: bool = True
    annual_allowance: Decimal | None = None
    extra: dict[str, object] = field(default_factory=dict)
