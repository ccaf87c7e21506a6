"""The leave request state machine."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from leaveflow_requests.domain.errors import InvalidTransition, NotAllowed
from leaveflow_requests.domain.model import LeaveRequest

NOW = datetime(2026, 3, 1, 9, tzinfo=UTC)


def make(requires_approval: bool = True) -> LeaveRequest:
    return LeaveRequest(
        id="r1",
        tenant_id="t",
        employee_id="e1",
        leave_type_id="lt",
        start_date=date(2026, 3, 10),
        end_date=date(2026, 3, 12),
        amount=Decimal(3),
        requires_approval=requires_approval,
    )


def test_reserved_request_waits_for_approval() -> None:
    r = make()
    assert r.reserved(NOW) == "pending"
    r.approve("boss", NOW, "enjoy")
    assert r.status == "approved"
    assert [h["to"] for h in r.history] == ["pending", "approved"]


def test_type_without_approval_is_approved_on_reservation() -> None:
    assert make(requires_approval=False).reserved(NOW) == "approved"


def test_rejected_request_cannot_be_approved() -> None:
    r = make()
    r.reservation_rejected("insufficient_balance", NOW)
    assert r.rejection_reason == "insufficient_balance"
    with pytest.raises(InvalidTransition):
        r.approve("boss", NOW)


def test_submitted_request_cannot_be_approved_before_reservation() -> None:
    with pytest.raises(InvalidTransition):
        make().approve("boss", NOW)


def test_requester_cancels_before_start_but_not_after() -> None:
    r = make()
    r.reserved(NOW)
    assert r.cancel("e1", NOW, date(2026, 3, 9), is_admin=False) == "pending"
    assert r.status == "cancelled"
    r2 = make()
    r2.reserved(NOW)
    with pytest.raises(NotAllowed):
        r2.cancel("e1", NOW, date(2026, 3, 10), is_admin=False)
    assert r2.cancel("admin", NOW, date(2026, 3, 11), is_admin=True) == "pending"


def test_denied_request_cannot_be_cancelled() -> None:
    r = make()
    r.reserved(NOW)
    r.deny("boss", NOW, "busy month")
    with pytest.raises(InvalidTransition):
        r.cancel("e1", NOW, date(2026, 3, 1), is_admin=False)


def test_someone_else_cannot_cancel() -> None:
    r = make()
    r.reserved(NOW)
    with pytest.raises(NotAllowed):
        r.cancel("e2", NOW, date(2026, 3, 1), is_admin=False)


def test_overlap_ignores_finished_requests() -> None:
    r = make()
    assert r.overlaps(date(2026, 3, 12), date(2026, 3, 20))
    assert not r.overlaps(date(2026, 3, 13), date(2026, 3, 20))
    r.reservation_rejected("insufficient_balance", NOW)
    assert not r.overlaps(date(2026, 3, 12), date(2026, 3, 20))


@pytest.mark.parametrize(
    ("taken", "asked", "overlap"),
    [
        # (start, end, start_part, end_part) of the live request, then of the new one
        (
            ("2026-03-10", "2026-03-10", "am", "full"),
            ("2026-03-10", "2026-03-10", "pm", "full"),
            False,
        ),
        (
            ("2026-03-10", "2026-03-10", "am", "full"),
            ("2026-03-10", "2026-03-10", "am", "full"),
            True,
        ),
        (
            ("2026-03-10", "2026-03-10", "full", "full"),
            ("2026-03-10", "2026-03-10", "pm", "full"),
            True,
        ),
        # a range ending in the morning leaves that afternoon free, and vice versa
        (
            ("2026-03-09", "2026-03-10", "full", "am"),
            ("2026-03-10", "2026-03-12", "pm", "full"),
            False,
        ),
        (
            ("2026-03-09", "2026-03-10", "full", "am"),
            ("2026-03-10", "2026-03-10", "am", "full"),
            True,
        ),
        (
            ("2026-03-10", "2026-03-12", "pm", "full"),
            ("2026-03-09", "2026-03-10", "full", "am"),
            False,
        ),
        (
            ("2026-03-10", "2026-03-12", "full", "full"),
            ("2026-03-13", "2026-03-13", "full", "full"),
            False,
        ),
    ],
)
def test_overlap_is_by_half_day(
    taken: tuple[str, str, str, str], asked: tuple[str, str, str, str], overlap: bool
) -> None:
    start, end, start_part, end_part = taken
    r = make()
    r.start_date, r.end_date = date.fromisoformat(start), date.fromisoformat(end)
    r.start_part, r.end_part = start_part, end_part
    a_start, a_end, a_sp, a_ep = asked
    assert r.overlaps(date.fromisoformat(a_start), date.fromisoformat(a_end), a_sp, a_ep) is overlap
