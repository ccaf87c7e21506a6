"""Every event type by (type, version), for parsing envelopes and exporting schemas."""

from __future__ import annotations

from .balances import (
    BalanceAdjusted,
    LeaveEditRejected,
    LeaveReservationRejected,
    LeaveReserved,
    PolicyUpserted,
)
from .envelope import Envelope, EventData
from .requests import (
    ApprovalEscalated,
    ApprovalReminderDue,
    DepartmentUpserted,
    EmployeeInvited,
    EmployeeUpserted,
    LeaveApproved,
    LeaveCancelled,
    LeaveDenied,
    LeaveLevelApproved,
    LeavePending,
    LeaveRejected,
    LeaveRepriced,
    LeaveRequested,
    LeaveTypeUpserted,
    LocationUpserted,
    TenantCreated,
    ToilApproved,
    ToilCancelled,
    ToilDenied,
    ToilPending,
)
from .subjects import subject_for

EVENT_TYPES: tuple[type[EventData], ...] = (
    TenantCreated,
    LocationUpserted,
    DepartmentUpserted,
    EmployeeUpserted,
    EmployeeInvited,
    LeaveTypeUpserted,
    LeaveRequested,
    LeavePending,
    LeaveLevelApproved,
    LeaveRejected,
    LeaveApproved,
    LeaveDenied,
    LeaveRepriced,
    LeaveCancelled,
    ApprovalReminderDue,
    ApprovalEscalated,
    ToilApproved,
    ToilCancelled,
    ToilPending,
    ToilDenied,
    LeaveReserved,
    LeaveReservationRejected,
    LeaveEditRejected,
    PolicyUpserted,
    BalanceAdjusted,
)

_BY_KEY: dict[tuple[str, int], type[EventData]] = {
    (t.EVENT_TYPE, t.VERSION): t for t in EVENT_TYPES
}


class UnknownEventType(LookupError):
    pass


def data_class(event_type: str, version: int = 1) -> type[EventData]:
    try:
        return _BY_KEY[(event_type, version)]
    except KeyError:
        raise UnknownEventType(f"{event_type} v{version}") from None


def parse_data(envelope: Envelope) -> EventData:
    """The typed payload of an envelope (unknown fields ignored)."""
    return data_class(envelope.type, envelope.version).model_validate(envelope.data)


def subject_of(envelope: Envelope) -> str:
    cls = data_class(envelope.type, envelope.version)
    return subject_for(cls.PRODUCER, cls.EVENT_TYPE, cls.VERSION)
