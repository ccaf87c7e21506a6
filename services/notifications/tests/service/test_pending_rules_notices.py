"""Reminders, escalations, automatic decisions and edits are deliveries like any other:
one per (event, channel, recipient), retried, in the log; each says what happened."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from email.message import EmailMessage

from leaveflow_contracts import (
    Approval,
    ApprovalEscalated,
    ApprovalLevelState,
    ApprovalReminderDue,
    EmployeeUpserted,
    LeaveApproved,
    LeaveDenied,
    LeaveRepriced,
    LeaveStatus,
)
from leaveflow_kit.testing import WebhookSink
from leaveflow_kit.testing.smtp_sink import SmtpSink

from ..conftest import World
from .test_levels import ANA, BEN, BO, add_ben, email_only, mails, text_of


def approval(deciders: list[str]) -> Approval:
    level = ApprovalLevelState(level=1, approver_ids=[BO], status="pending")
    return Approval(current_level=1, levels=[level], deciders=deciders)


def facts(world: World) -> dict[str, object]:
    return world.pending().model_dump(exclude={"available_after", "approval"})


def since(world: World) -> datetime:
    return world.clock.now() - timedelta(hours=30)


async def recipients(world: World, event_type: str) -> set[tuple[str, str]]:
    found = await world.deliveries(event_type=event_type)
    return {(d["recipient"], d["payload"]["notice"]["kind"]) for d in found}


async def test_a_reminder_goes_to_each_decider_listed_with_its_buttons(
    world: World, smtp: SmtpSink
) -> None:
    await add_ben(world)
    await email_only(world, smtp)
    reminder = ApprovalReminderDue(
        **facts(world),
        level=1,
        reminder_number=2,
        pending_since=since(world),
        approval=approval([BO, BEN]),
    )
    envelope = await world.feed(reminder)
    await world.feed(reminder, env=envelope)
    assert await recipients(world, "ApprovalReminderDue") == {(BO, "reminder"), (BEN, "reminder")}
    assert await world.dispatcher("email").send_due() == 2
    for mail in mails(smtp):
        assert str(mail["Subject"]) == "Reminder: Ana Lima requests Vacation"
        body = text_of(mail)
        assert "still waits for your decision (reminder 2)" in body
        assert "Approve: http://dash.test/decide/" in body


async def test_an_escalation_goes_to_the_admins_it_names(world: World, smtp: SmtpSink) -> None:
    await email_only(world, smtp)
    escalated = ApprovalEscalated(
        **facts(world),
        level=1,
        admin_ids=["t1-cy"],
        pending_since=since(world),
        cause="waited",
        approval=approval([BO]),
    )
    await world.feed(escalated)
    assert await recipients(world, "ApprovalEscalated") == {("t1-cy", "escalated")}
    await world.dispatcher("email").send_due()
    (mail,) = mails(smtp)
    assert str(mail["Subject"]) == "Waiting too long: Ana Lima requests Vacation"
    assert "is still pending, waiting for Bo Berg." in text_of(mail)
    assert "Approve: http://dash.test/decide/" in text_of(mail), "an admin may decide"


async def test_an_escalation_naming_no_known_admin_reaches_the_admins_we_know(
    world: World,
) -> None:
    await world.connect("email", smtp_host="127.0.0.1", smtp_port=25, **{"from": "lf@t1.test"})
    escalated = ApprovalEscalated(
        **facts(world),
        admin_ids=["t1-someone-new"],
        pending_since=since(world),
        cause="leave_starts",
    )
    await world.feed(escalated)
    assert await recipients(world, "ApprovalEscalated") == {("t1-cy", "escalated")}


async def test_an_automatic_decision_tells_the_employee_why(world: World, smtp: SmtpSink) -> None:
    await email_only(world, smtp)
    why = "Nobody decided before the leave started; the policy approves it."
    await world.feed(LeaveApproved(**facts(world), approver_id="system", note=why))
    await world.feed(
        LeaveDenied(
            **{**facts(world), "request_id": "r2"},
            approver_id="system",
            note="Pending when the leave began.",
        )
    )
    told = {str(m["Subject"]): text_of(m) for m in await _sent(world, smtp)}
    assert set(told) == {
        "Leave approved: Vacation 2026-03-02 to 2026-03-03",
        "Leave denied: Vacation 2026-03-02 to 2026-03-03",
    }
    approved = told["Leave approved: Vacation 2026-03-02 to 2026-03-03"]
    assert f"was approved automatically: {why}" in approved
    denied = told["Leave denied: Vacation 2026-03-02 to 2026-03-03"]
    assert "was denied automatically: Pending when the leave began." in denied
    assert {m["To"] for m in mails(smtp)} == {"ana@t1.test"}


async def _sent(world: World, smtp: SmtpSink) -> list[EmailMessage]:
    await world.dispatcher("email").send_due()
    return mails(smtp)


def edit(world: World, **kw: object) -> LeaveRepriced:
    fields: dict[str, object] = {
        **facts(world),
        "start_date": date(2026, 3, 9),
        "end_date": date(2026, 3, 11),
        "amount": "3",
        "old_amount": "2",
        "status": LeaveStatus.PENDING,
        "edited_by": ANA,
        "old_start_date": date(2026, 3, 2),
        "old_end_date": date(2026, 3, 3),
        "approval": approval([BO]),
    }
    return LeaveRepriced(**{**fields, **kw})


async def test_an_edit_of_a_pending_request_tells_its_deciders_the_new_dates(
    world: World, smtp: SmtpSink
) -> None:
    await email_only(world, smtp)
    await world.feed(edit(world))
    assert await recipients(world, "LeaveRepriced") == {(BO, "edited")}
    await world.dispatcher("email").send_due()
    (mail,) = mails(smtp)
    assert str(mail["Subject"]) == "Ana Lima changed a request for Vacation"
    body = text_of(mail)
    assert (
        "Ana Lima changed their request: now Vacation, 2026-03-09 to 2026-03-11 (3.00 days), "
        "was 2026-03-02 to 2026-03-03." in body
    )
    assert "Approve: http://dash.test/decide/" in body


async def test_an_admins_edit_never_asks_the_admin_who_made_it(world: World) -> None:
    await world.connect("email", smtp_host="127.0.0.1", smtp_port=25, **{"from": "lf@t1.test"})
    await world.feed(edit(world, edited_by="t1-cy", approval=approval(["t1-cy", BO])))
    assert await recipients(world, "LeaveRepriced") == {(BO, "edited")}
    (delivery,) = await world.deliveries(event_type="LeaveRepriced")
    assert delivery["payload"]["notice"]["edited_by"] == "Cy Admin"


async def test_calendar_repricing_and_edits_of_approved_leave_ask_nobody(world: World) -> None:
    await world.connect("email", smtp_host="127.0.0.1", smtp_port=25, **{"from": "lf@t1.test"})
    await world.feed(edit(world, edited_by=None, old_start_date=None, old_end_date=None))
    await world.feed(edit(world, request_id="r2", status=LeaveStatus.APPROVED, edited_by="t1-cy"))
    assert await world.deliveries() == []


async def test_an_edit_closes_the_slack_messages_sent_before_it(
    world: World, sink: WebhookSink
) -> None:
    world.rewire(slack_api=f"http://127.0.0.1:{sink.port}/api/")
    sink.ok_body = '{"ok": true, "channel": "D_BO", "ts": "17.1"}'
    await world.connect("slack", team_id="T1", bot_token="xoxb-1", signing_secret="s")
    await world.feed(world.pending().model_copy(update={"approval": approval([BO])}))
    slack = world.dispatcher("slack")
    await slack.send_due()
    await world.feed(edit(world))
    assert await slack.send_due() == 2
    by_path = {c.path: c.json() for c in sink.snapshot()[1:]}
    update = by_path["/api/chat.update"]
    assert update["ts"] == "17.1"
    assert (
        "Changed by Ana Lima: a new message asks about the new dates."
        in (update["blocks"][0]["text"]["text"])
    )
    assert not any(b["type"] == "actions" for b in update["blocks"])
    asked = by_path["/api/chat.postMessage"]
    assert any(b["type"] == "actions" for b in asked["blocks"])


async def test_a_reminder_failing_is_retried_and_logged_like_any_delivery(
    world: World, sink: WebhookSink
) -> None:
    await world.connect("slack", team_id="T1", webhook_url=sink.url, signing_secret="s")
    sink.responses.append((503, {}))
    await world.feed(
        ApprovalReminderDue(
            **facts(world),
            level=1,
            reminder_number=1,
            pending_since=since(world),
            approval=approval([BO]),
        )
    )
    slack = world.dispatcher("slack")
    assert await slack.send_due() == 0
    (waiting,) = await world.deliveries(event_type="ApprovalReminderDue")
    assert (waiting["status"], waiting["attempts"]) == ("retrying", 1)
    world.clock.advance(timedelta(minutes=10))
    assert await slack.send_due() == 1
    (sent,) = await world.deliveries(event_type="ApprovalReminderDue")
    assert (sent["status"], sent["attempts"]) == ("sent", 2)


async def test_someone_who_left_the_replica_is_not_reminded(world: World) -> None:
    await world.connect("email", smtp_host="127.0.0.1", smtp_port=25, **{"from": "lf@t1.test"})
    await world.feed(
        EmployeeUpserted(employee_id=BEN, name="Ben Ng", email="ben@t1.test", role="approver")
    )
    await world.feed(
        ApprovalReminderDue(
            **facts(world),
            level=1,
            reminder_number=1,
            pending_since=since(world),
            approval=approval([BEN, "t1-unknown"]),
        )
    )
    assert await recipients(world, "ApprovalReminderDue") == {(BEN, "reminder")}
