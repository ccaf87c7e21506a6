"""Events produced by the balances service, v1."""

from __future__ import annotations

from datetime import date
from typing import ClassVar

from .envelope import EventData
from .values import Amount, LeaveUnit


class _BalancesEvent(EventData):
    PRODUCER: ClassVar[str] = "balances"


class LeaveReserved(_BalancesEvent):
    EVENT_TYPE: ClassVar[str] = "LeaveReserved"
    request_id: str
    employee_id: str
    leave_type_id: str
    amount: Amount
    available_after: Amount | None = None


class LeaveReservationRejected(_BalancesEvent):
    EVENT_TYPE: ClassVar[str] = "LeaveReservationRejected"
    request_id: str
    employee_id: str
    leave_type_id: str
    amount: Amount
    reason: str
    available: Amount | None = None


class LeaveEditRejected(_BalancesEvent):
    """An edit (`LeaveRepriced` with `edit_id`) would take more than is left: balances
    kept the reservation or deduction as it was, and requests puts the request back."""

    EVENT_TYPE: ClassVar[str] = "LeaveEditRejected"
    request_id: str
    edit_id: str
    employee_id: str
    leave_type_id: str
    amount: Amount
    old_amount: Amount
    reason: str
    available: Amount | None = None


class PolicyUpserted(_BalancesEvent):
    """A (location, leave type) policy was set or removed. Without an active policy the
    type is not available at that location: the requests service refuses it (422)."""

    EVENT_TYPE: ClassVar[str] = "PolicyUpserted"
    location_id: str
    leave_type_id: str
    unit: LeaveUnit = LeaveUnit.DAYS
    annual_allowance: Amount | None = None
    unlimited: bool = False
    active: bool = True
    # How the allowance is granted ("upfront", "monthly", "semimonthly", "biweekly") and
    # how far below zero a request may go: for consumers that explain availability.
    accrual: str | None = None
    negative_allowance: Amount | None = None
    # Request rules the requests service enforces on submit (None / "off" = no rule).
    min_notice_days: int | None = None
    max_days_ahead: int | None = None
    max_consecutive: Amount | None = None
    probation_days: int | None = None
    # Which non-working days between two leave days count as leave:
    # "off" | "weekends" | "holidays" | "both".
    sandwich: str = "off"
    # The type is time off in lieu at this location (credited by ToilApproved).
    toil: bool = False


class BalanceAdjusted(_BalancesEvent):
    """An admin added (or, negative, removed) days by hand; the ledger entry names this."""

    EVENT_TYPE: ClassVar[str] = "BalanceAdjusted"
    entry_id: str
    employee_id: str
    leave_type_id: str
    amount: Amount
    reason: str
    effective_date: date
