"""What the balances service keeps of the directory (built from requests' events)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass
class LeaveTypeReplica:
    id: str
    tenant_id: str
    name: str
    unit: str = "days"
    annual_allowance: Decimal | None = None
    active: bool = True


@dataclass
class EmployeeReplica:
    id: str
    tenant_id: str
    name: str
    role: str = "user"
    department_id: str | None = None


@dataclass
class Reservation:
    """One per leave request: its life in the ledger (reserved -> deducted | released)."""

    id: str  # the request id
    tenant_id: str
    employee_id: str
    leave_type_id: str
    amount: Decimal
    state: str = "reserved"  # reserved | deducted | released | rejected
