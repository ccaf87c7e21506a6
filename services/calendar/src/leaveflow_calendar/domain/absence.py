"""The who's-off projection: one absence per leave request that is (or may be) off."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


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
    status: str = "pending"  # pending | approved

    def within(self, start: date, end: date) -> bool:
        return self.start_date <= end and start <= self.end_date


@dataclass
class PersonReplica:
    id: str
    tenant_id: str
    name: str
    department_id: str | None = None
    location_id: str | None = None


@dataclass
class LeaveTypeReplica:
    id: str
    tenant_id: str
    name: str
    color: str | None = None
