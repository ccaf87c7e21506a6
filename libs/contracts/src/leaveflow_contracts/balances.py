"""Events produced by the balances service, v1."""

from __future__ import annotations

from typing import ClassVar

from .envelope import EventData
from .values import Amount


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
