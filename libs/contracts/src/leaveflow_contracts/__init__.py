"""Leaveflow's wire contracts: the event envelope, v1 events, subjects and value types."""

from .balances import (
    BalanceAdjusted,
    LeaveReservationRejected,
    LeaveReserved,
    PolicyUpserted,
)
from .envelope import Envelope, EventData, new_id, utcnow
from .registry import EVENT_TYPES, UnknownEventType, data_class, parse_data, subject_of
from .requests import (
    DepartmentUpserted,
    EmployeeInvited,
    EmployeeUpserted,
    LeaveApproved,
    LeaveCancelled,
    LeaveDenied,
    LeavePending,
    LeaveRejected,
    LeaveRepriced,
    LeaveRequested,
    LeaveTypeUpserted,
    LocationUpserted,
    TenantCreated,
)
from .subjects import DLQ_STREAM, all_streams, dlq_subject, stream_for, subject_for
from .values import Amount, DayPart, LeaveStatus, LeaveUnit, Role, quantize_amount

__all__ = [
    "DLQ_STREAM",
    "EVENT_TYPES",
    "Amount",
    "BalanceAdjusted",
    "DayPart",
    "DepartmentUpserted",
    "EmployeeInvited",
    "EmployeeUpserted",
    "Envelope",
    "EventData",
    "LeaveApproved",
    "LeaveCancelled",
    "LeaveDenied",
    "LeavePending",
    "LeaveRejected",
    "LeaveRepriced",
    "LeaveRequested",
    "LeaveReservationRejected",
    "LeaveReserved",
    "LeaveStatus",
    "LeaveTypeUpserted",
    "LeaveUnit",
    "LocationUpserted",
    "PolicyUpserted",
    "Role",
    "TenantCreated",
    "UnknownEventType",
    "all_streams",
    "data_class",
    "dlq_subject",
    "new_id",
    "parse_data",
    "quantize_amount",
    "stream_for",
    "subject_for",
    "subject_of",
    "utcnow",
]
