"""Approval levels: which levels a request goes through, the state machine over them, and
who decides the current level today."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from leaveflow_requests.domain.approval import (
    Approval,
    DecidersContext,
    LevelRule,
    LevelState,
    deciders_of,
    plan_approval,
)
from leaveflow_requests.domain.errors import InvalidTransition
from leaveflow_requests.domain.model import LeaveRequest

NOW = datetime(2026, 3, 1, 9, tzinfo=UTC)
LEAD = LevelRule(["lead"])
HEAD_OVER_5 = LevelRule(["head"], min_amount=Decimal(5))
HR_FOR_SICK = LevelRule(["hr"], leave_type_ids=["sick"])
HEAD_SICK_OVER_3 = LevelRule(["head"], min_amount=Decimal(3), leave_type_ids=["sick"])


@pytest.mark.parametrize(
    ("rules", "amount", "leave_type", "requester", "expected"),
    [
        # a level without conditions always applies
        ([LEAD], "1", "vacation", "ana", [["lead"]]),
        # min_amount: amount >= min_amount, in the type's unit
        ([LEAD, HEAD_OVER_5], "4.5", "vacation", "ana", [["lead"]]),
        ([LEAD, HEAD_OVER_5], "5", "vacation", "ana", [["lead"], ["head"]]),
        ([LEAD, HEAD_OVER_5], "6", "vacation", "ana", [["lead"], ["head"]]),
        # leave_type_ids: the type is listed
        ([LEAD, HR_FOR_SICK], "1", "vacation", "ana", [["lead"]]),
        ([LEAD, HR_FOR_SICK], "1", "sick", "ana", [["lead"], ["hr"]]),
        # every condition must hold
        ([HEAD_SICK_OVER_3], "4", "vacation", "ana", [["ada", "root"]]),
        ([HEAD_SICK_OVER_3], "2", "sick", "ana", [["ada", "root"]]),
        ([HEAD_SICK_OVER_3], "3", "sick", "ana", [["head"]]),
        # levels that do not apply are skipped; the order of the department is kept
        ([HEAD_OVER_5, HR_FOR_SICK, LEAD], "6", "vacation", "ana", [["head"], ["lead"]]),
        # no level applies, or none configured: one level, the admins
        ([HEAD_OVER_5], "1", "vacation", "ana", [["ada", "root"]]),
        ([], "1", "vacation", "ana", [["ada", "root"]]),
        # the requester never decides their own level: the level's other approvers ...
        ([LevelRule(["lead", "co-lead"])], "1", "vacation", "lead", [["co-lead"]]),
        # ... else the admins other than the requester
        ([LEAD, HEAD_OVER_5], "6", "vacation", "lead", [["ada", "root"], ["head"]]),
        ([LevelRule(["ada"])], "1", "vacation", "ada", [["root"]]),
        ([], "1", "vacation", "ada", [["root"]]),
    ],
)
def test_level_selection(
    rules: list[LevelRule], amount: str, leave_type: str, requester: str, expected: list[list[str]]
) -> None:
    approval = plan_approval(
        rules,
        amount=Decimal(amount),
        leave_type_id=leave_type,
        requester_id=requester,
        admin_ids={"ada", "root"},
    )
    assert [level.approver_ids for level in approval.levels] == expected
    assert [level.level for level in approval.levels] == list(range(1, len(expected) + 1))
    assert [level.status for level in approval.levels] == ["pending"] + ["waiting"] * (
        len(expected) - 1
    )
    assert approval.current_level == 1


def test_the_sole_admin_decides_their_own_request_when_nobody_else_can() -> None:
    approval = plan_approval(
        [], amount=Decimal(1), leave_type_id="v", requester_id="ada", admin_ids={"ada"}
    )
    assert approval.levels[0].approver_ids == ["ada"]


def three_levels() -> Approval:
    return plan_approval(
        [LevelRule(["a"]), LevelRule(["b"]), LevelRule(["c"])],
        amount=Decimal(1),
        leave_type_id="v",
        requester_id="ana",
        admin_ids={"ada"},
    )


def statuses(approval: Approval) -> list[str]:
    return [level.status for level in approval.levels]


@pytest.mark.parametrize(
    ("steps", "expected", "current"),
    [
        ([], ["pending", "waiting", "waiting"], 1),
        (["approve"], ["approved", "pending", "waiting"], 2),
        (["approve", "approve"], ["approved", "approved", "pending"], 3),
        (["approve", "approve", "approve"], ["approved", "approved", "approved"], None),
        (["deny"], ["denied", "skipped", "skipped"], None),
        (["approve", "deny"], ["approved", "denied", "skipped"], None),
        (["approve", "approve", "deny"], ["approved", "approved", "denied"], None),
    ],
)
def test_the_state_machine_over_levels(
    steps: list[str], expected: list[str], current: int | None
) -> None:
    approval = three_levels()
    for step in steps:
        if step == "approve":
            approval.approve("x", NOW, "ok")
        else:
            approval.deny("x", NOW, "no")
    assert statuses(approval) == expected
    assert approval.current_level == current


def test_only_the_last_approval_is_final_and_each_level_keeps_who_and_when() -> None:
    approval = three_levels()
    assert approval.approve("a", NOW, "fine") is False
    assert approval.approve("b", NOW) is False
    assert approval.approve("c", NOW) is True
    first = approval.levels[0]
    assert (first.decided_by, first.decided_at, first.note) == ("a", NOW, "fine")


def test_a_decided_approval_takes_no_further_decision() -> None:
    approval = three_levels()
    approval.deny("a", NOW, "no")
    with pytest.raises(InvalidTransition):
        approval.approve("b", NOW)


def test_restart_begins_again_at_level_one() -> None:
    approval = three_levels()
    approval.approve("a", NOW)
    approval.restart()
    assert statuses(approval) == ["pending", "waiting", "waiting"]
    assert approval.current_level == 1
    assert approval.levels[0].decided_by is None


def request_with(approval: Approval) -> LeaveRequest:
    request = LeaveRequest(
        id="r1",
        tenant_id="t",
        employee_id="ana",
        leave_type_id="v",
        start_date=date(2026, 3, 10),
        end_date=date(2026, 3, 12),
        amount=Decimal(3),
    )
    request.reserved(NOW, approval)
    return request


def test_a_request_stays_pending_until_its_last_level_approves() -> None:
    request = request_with(three_levels())
    assert request.approve("a", NOW) is False
    assert (request.status, request.current_level) == ("pending", 2)
    assert request.history[-1]["level"] == 1
    assert request.approve("b", NOW) is False
    assert request.approve("c", NOW) is True
    assert (request.status, request.current_level) == ("approved", None)


def test_deny_at_any_level_denies_the_request() -> None:
    request = request_with(three_levels())
    request.approve("a", NOW)
    request.deny("b", NOW, "busy")
    assert request.status == "denied"
    assert statuses(request.approval or Approval()) == ["approved", "denied", "skipped"]


def test_cancel_leaves_the_levels_as_they_are() -> None:
    request = request_with(three_levels())
    request.approve("a", NOW)
    request.cancel("ana", NOW, date(2026, 3, 1), is_admin=False)
    assert request.status == "cancelled"
    assert statuses(request.approval or Approval()) == ["approved", "pending", "waiting"]


def test_approve_all_decides_every_level_left() -> None:
    request = request_with(three_levels())
    request.approve("a", NOW)
    request.approve_all("system", NOW, "leave started")
    assert request.status == "approved"
    assert [level.decided_by for level in (request.approval or Approval()).levels] == [
        "a",
        "system",
        "system",
    ]


def test_a_type_without_approval_gets_no_levels() -> None:
    request = LeaveRequest(
        id="r1",
        tenant_id="t",
        employee_id="ana",
        leave_type_id="v",
        start_date=date(2026, 3, 10),
        end_date=date(2026, 3, 10),
        amount=Decimal(1),
        requires_approval=False,
    )
    assert request.reserved(NOW, three_levels()) == "approved"
    assert request.approval is None


LEVEL = LevelState(level=1, approver_ids=["bob", "bea"], status="pending")


def ctx(**kw: object) -> DecidersContext:
    base: dict[str, object] = {
        "requester_id": "ana",
        "admin_ids": frozenset({"ada"}),
        "department_approvers": frozenset({"bob", "bea", "cy"}),
    }
    base.update(kw)
    return DecidersContext(**base)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("context", "expected"),
    [
        # the level's approvers
        (ctx(), ["bob", "bea"]),
        # a removed approver can no longer decide
        (ctx(department_approvers=frozenset({"bea", "cy"})), ["bea"]),
        # nobody left: the admins
        (ctx(department_approvers=frozenset({"cy"})), ["ada"]),
        # a substitute holding today decides with the approver
        (ctx(substitutes={"bob": ["sue"]}), ["bob", "sue", "bea"]),
        # an approver away (when_on_leave): the department's other approvers instead
        (ctx(away=frozenset({"bob"})), ["bea", "cy"]),
        # everyone away: the admins
        (
            ctx(department_approvers=frozenset({"bob"}), away=frozenset({"bob"})),
            ["ada"],
        ),
        # never the requester
        (ctx(requester_id="bea"), ["bob"]),
    ],
)
def test_deciders_of_a_level(context: DecidersContext, expected: list[str]) -> None:
    assert deciders_of(LEVEL, context) == expected
