"""What each event says to people, as channel-neutral text."""

from __future__ import annotations

from leaveflow_contracts import (
    EventData,
    LeaveApproved,
    LeaveDenied,
    LeaveReservationRejected,
)


def _span(start: object, end: object) -> str:
    return f"{start}" if start == end else f"{start} to {end}"


def describe(data: EventData, employee_name: str) -> str | None:
    """A one-line message for events people care about, None for the rest."""
    if isinstance(data, LeaveApproved):
        return (
            f"{employee_name}'s leave {_span(data.start_date, data.end_date)} "
            f"({data.amount} {data.unit}) was approved."
        )
    if isinstance(data, LeaveDenied):
        note = f" Note: {data.note}" if data.note else ""
        return f"{employee_name}'s leave {_span(data.start_date, data.end_date)} was denied.{note}"
    if isinstance(data, LeaveReservationRejected):
        return (
            f"{employee_name}'s request for {data.amount} days was rejected: "
            f"{data.reason.replace('_', ' ')} (available {data.available})."
        )
    return None
