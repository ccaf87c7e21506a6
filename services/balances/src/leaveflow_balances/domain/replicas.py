"""What the balances service keeps of the directory (built from requests' events), and
its own per-request and per-employee records."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from .accrual import Employment
from .entitlements import LabelPeriod


@dataclass
class LeaveTypeReplica:
    id: str
    tenant_id: str
    name: str
    unit: str = "days"
    active: bool = True


@dataclass
class LocationReplica:
    id: str
    tenant_id: str
    timezone: str = "UTC"
    leave_year_start: str = "01-01"
    active: bool = True
    # The local day balances first heard of the location: years ending after it close by
    # themselves; earlier ones only when an admin asks (POST /v1/year-end).
    first_seen: date | None = None


@dataclass
class EmployeeReplica:
    id: str
    tenant_id: str
    name: str
    role: str = "user"
    department_id: str | None = None
    location_id: str | None = None
    start_date: date | None = None
    end_date: date | None = None
    labels: list[str] = field(default_factory=list)
    # When each label was carried (`label_extra` prorates by it).
    label_periods: list[LabelPeriod] = field(default_factory=list)

    @property
    def employment(self) -> Employment:
        return Employment(self.start_date, self.end_date)


@dataclass
class Portion:
    """The part of a request that falls in one leave year, day by day."""

    label: int
    day_amounts: dict[str, str] = field(default_factory=dict)

    @property
    def amount(self) -> Decimal:
        return sum((Decimal(v) for v in self.day_amounts.values()), Decimal(0))

    def amount_before(self, cutoff: date | None) -> Decimal:
        if cutoff is None:
            return Decimal(0)
        return sum(
            (Decimal(v) for d, v in self.day_amounts.items() if date.fromisoformat(d) < cutoff),
            Decimal(0),
        )

    @property
    def first_day(self) -> date:
        return date.fromisoformat(min(self.day_amounts))

    @property
    def last_day(self) -> date:
        return date.fromisoformat(max(self.day_amounts))


@dataclass
class Reservation:
    """One per leave request: its life in the ledger (reserved -> deducted | released);
    `rejected` when balances said no, `withdrawn` when the cancellation came first."""

    id: str  # the request id
    tenant_id: str
    employee_id: str
    leave_type_id: str
    amount: Decimal
    state: str = "reserved"  # reserved | deducted | released | rejected | withdrawn
    portions: list[Portion] = field(default_factory=list)


@dataclass
class AllowanceOverride:
    tenant_id: str
    employee_id: str
    leave_type_id: str
    year: int
    annual_allowance: Decimal


@dataclass
class DepartmentReplica:
    """Who approves for a department: an approver sees its people's balances."""

    id: str
    tenant_id: str
    approver_ids: list[str] = field(default_factory=list)
    active: bool = True
