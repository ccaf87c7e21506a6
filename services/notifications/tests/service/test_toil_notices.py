"""Time off in lieu claims as deliveries: each level's deciders are asked when the claim
waits for it, the claimant hears the decision; once per (event, recipient, channel) even
when the event comes again; no buttons or decision links (claims are decided on the
dashboard). Fed through the consumer's path on the in-memory store; mail to the sink."""

from __future__ import annotations

from datetime import date
from email.message import EmailMessage

import pytest

from leaveflow_contracts import (
    Approval,
    ApprovalLevelState,
    EmployeeUpserted,
    LeaveTypeUpserted,
    ToilApproved,
    ToilDenied,
    ToilPending,
)
from leaveflow_kit.testing.smtp_sink import SmtpSink
from leaveflow_notifications.service_layer.toil_notices import toil_handlers

from ..conftest import World

BO, BEN, ANA = "t1-bo", "t1-ben", "t1-ana"
WORKED = date(2026, 2, 28)
FACTS = {
    "toil_id": "c1",
    "employee_id": ANA,
    "leave_type_id": "lieu",
    "date": WORKED,
    "amount": "4",
    "unit": "hours",
}


@pytest.fixture
async def office(world: World, smtp: SmtpSink) -> World:
    world.handlers = world.handlers.include(toil_handlers(world.clock))
    await world.feed(
        EmployeeUpserted(employee_id=BEN, name="Ben Ng", email="ben@t1.test", role="approver")
    )
    await world.feed(LeaveTypeUpserted(leave_type_id="lieu", name="In lieu", unit="hours"))
    await world.connect("email", smtp_host="127.0.0.1", smtp_port=smtp.port, **{"from": "lf@t1"})
    return world


def approval(current: int | None, deciders: list[str], second: str = "waiting") -> Approval:
    return Approval(
        current_level=current,
        levels=[
            ApprovalLevelState(
                level=1,
                approver_ids=[BO],
                status="pending" if current == 1 else "approved",
                decided_by=None if current == 1 else BO,
            ),
            ApprovalLevelState(level=2, approver_ids=[BEN], status=second),
        ],
        deciders=deciders,
    )


def by_address(smtp: SmtpSink) -> dict[str, list[EmailMessage]]:
    found: dict[str, list[EmailMessage]] = {}
    for mail in smtp.snapshot():
        found.setdefault(str(mail["To"]), []).append(mail)
    return found


def text_of(mail: EmailMessage) -> str:
    part = mail.get_body(("plain",))
    assert part is not None
    return str(part.get_content())


async def test_each_level_is_asked_in_turn_and_the_claimant_hears_the_approval(
    office: World, smtp: SmtpSink
) -> None:
    claimed = ToilPending(
        **FACTS, note="Saturday release", department_id="t1-d1", approval=approval(1, [BO])
    )
    envelope = await office.feed(claimed)
    await office.feed(claimed, env=envelope)  # the same event again: nothing more
    await office.dispatcher("email").send_due()
    (asked,) = by_address(smtp)["bo@t1.test"]
    assert str(asked["Subject"]) == "Ana Lima claims time off in lieu: In lieu"
    body = text_of(asked)
    said = "Ana Lima claims 4.00 hours worked on 2026-02-28 as In lieu. Note: Saturday release"
    assert said in body
    assert "Level 1: waiting for Bo Berg · Level 2: then Ben Ng" in body
    assert "/decide/" not in body, "claims are decided on the dashboard"
    assert set(by_address(smtp)) == {"bo@t1.test"}

    await office.feed(
        ToilPending(**FACTS, department_id="t1-d1", approval=approval(2, [BEN], "pending"))
    )
    await office.feed(ToilApproved(**FACTS, approver_id=BEN))
    await office.dispatcher("email").send_due()
    mails = by_address(smtp)
    assert [str(m["Subject"]) for m in mails["ben@t1.test"]] == [
        "Ana Lima claims time off in lieu: In lieu"
    ]
    (told,) = mails["ana@t1.test"]
    assert str(told["Subject"]) == "Time off in lieu approved: In lieu 2026-02-28"
    assert "Your claim of 4.00 hours of In lieu for 2026-02-28 was approved and credited" in (
        text_of(told)
    )
    assert len(mails["bo@t1.test"]) == 1, "level 1 is not asked again"


async def test_a_denial_reaches_the_claimant_with_its_note(office: World, smtp: SmtpSink) -> None:
    await office.feed(
        ToilDenied(
            **FACTS, approver_id=BO, note="not overtime", approval=approval(None, [], "skipped")
        )
    )
    await office.dispatcher("email").send_due()
    (told,) = by_address(smtp)["ana@t1.test"]
    assert str(told["Subject"]) == "Time off in lieu denied: In lieu 2026-02-28"
    assert "was denied. Note: not overtime" in text_of(told)
    assert set(by_address(smtp)) == {"ana@t1.test"}
    (delivery,) = await office.deliveries()
    assert (delivery["event_type"], delivery["recipient"]) == ("ToilDenied", ANA)
