"""A time off in lieu claim's rules and states (issue 17), written out."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from leaveflow_requests.domain import errors
from leaveflow_requests.domain.approval import LevelRule, plan_approval
from leaveflow_requests.domain.directory import Employee, LeaveType
from leaveflow_requests.domain.toil import ToilClaim

AT = datetime(2026, 3, 10, 9, tzinfo=UTC)
TODAY = date(2026, 3, 10)
PAT = Employee(id="pat", tenant_id="t", name="Pat", email="pat@x.test", start_date=date(2026, 3, 2))
IN_LIEU = LeaveType(id="lieu", tenant_id="t", name="In lieu")
HOURS = LeaveType(id="hours", tenant_id="t", name="Overtime", unit="hours")


def claim(
    leave_type: LeaveType | None = IN_LIEU,
    *,
    day: date = date(2026, 3, 7),
    amount: str = "1",
    toil: bool = True,
) -> ToilClaim:
    return ToilClaim.claim(
        id="c1",
        employee=PAT,
        leave_type=leave_type,
        toil_at_location=toil,
        day=day,
        amount=Decimal(amount),
        note="release weekend",
        today=TODAY,
        by="pat",
        at=AT,
    )


@pytest.mark.parametrize(
    ("kwargs", "field", "says"),
    [
        ({"leave_type": None}, "leave_type_id", "unknown leave type"),
        (
            {"leave_type": LeaveType(id="x", tenant_id="t", name="Old", active=False)},
            "leave_type_id",
            "unknown leave type",
        ),
        ({"toil": False}, "leave_type_id", "In lieu is not time off in lieu"),
        ({"day": date(2026, 3, 11)}, "date", "2026-03-11 is after today (2026-03-10)"),
        ({"day": date(2026, 3, 1)}, "date", "Pat is not employed on 2026-03-01"),
        ({"amount": "0"}, "amount", "at most 31 days"),
        ({"amount": "31.5"}, "amount", "at most 31 days"),
        ({"leave_type": HOURS, "amount": "24.25"}, "amount", "at most 24 hours"),
    ],
)
def test_a_claim_is_refused(kwargs: dict[str, object], field: str, says: str) -> None:
    with pytest.raises(errors.InvalidRequest, match=re.escape(says)) as refused:
        claim(**kwargs)  # type: ignore[arg-type]
    assert refused.value.field == field


@pytest.mark.parametrize(
    ("kwargs", "unit"),
    [
        ({"day": TODAY}, "days"),  # today's overtime may be claimed today
        ({"day": date(2026, 3, 2), "amount": "31"}, "days"),  # the first day employed
        ({"leave_type": HOURS, "amount": "24"}, "hours"),
    ],
)
def test_a_claim_is_accepted_pending(kwargs: dict[str, object], unit: str) -> None:
    made = claim(**kwargs)  # type: ignore[arg-type]
    assert (made.status, made.unit, made.history[0]["to"]) == ("pending", unit, "pending")


def test_a_type_needing_no_approval_is_approved_at_once() -> None:
    made = claim(LeaveType(id="auto", tenant_id="t", name="Auto", requires_approval=False))
    assert made.status == "approved"
    assert [(h["from"], h["to"], h["by"]) for h in made.history] == [
        (None, "pending", "pat"),
        ("pending", "approved", "system"),
    ]


def two_levels() -> ToilClaim:
    made = claim()
    made.approval = plan_approval(
        [LevelRule(["bob"]), LevelRule(["cy"], min_amount=Decimal(1))],
        amount=made.amount,
        leave_type_id=made.leave_type_id,
        requester_id="pat",
        admin_ids={"ada"},
    )
    return made


def test_levels_approve_in_turn() -> None:
    made = two_levels()
    assert made.approve("bob", AT) is False
    assert (made.status, made.current_level) == ("pending", 2)
    assert made.approve("cy", AT, "ok") is True
    assert (made.status, made.current_level) == ("approved", None)
    with pytest.raises(errors.InvalidTransition):
        made.approve("ada", AT)


def test_a_deny_ends_it_and_skips_the_rest() -> None:
    made = two_levels()
    made.deny("bob", AT, "not agreed")
    assert made.status == "denied"
    assert made.approval is not None
    assert [lv.status for lv in made.approval.levels] == ["denied", "skipped"]
    with pytest.raises(errors.InvalidTransition):
        made.cancel("pat", AT, is_admin=False)


def test_only_the_claimant_or_an_admin_cancels_and_only_while_pending_or_approved() -> None:
    made = two_levels()
    with pytest.raises(errors.NotAllowed):
        made.cancel("bob", AT, is_admin=False)
    assert made.cancel("ada", AT, is_admin=True, note="duplicate") == "pending"
    assert made.status == "cancelled"
    with pytest.raises(errors.InvalidTransition, match="cannot cancel: the claim is cancelled"):
        made.cancel("ada", AT, is_admin=True)
    # An approved claim too (the use case has balances take the credit back first).
    approved = claim(LeaveType(id="auto", tenant_id="t", name="Auto", requires_approval=False))
    with pytest.raises(errors.NotAllowed):
        approved.cancel("bob", AT, is_admin=False)
    assert approved.cancel("pat", AT, is_admin=False) == "approved"
    assert (approved.status, approved.history[-1]["from"]) == ("cancelled", "approved")
    denied = two_levels()
    denied.deny("ada", AT, "no")
    with pytest.raises(errors.InvalidTransition, match="cannot cancel: the claim is denied"):
        denied.cancel("pat", AT, is_admin=False)
