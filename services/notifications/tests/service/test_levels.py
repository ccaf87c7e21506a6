"""Approval levels: who is asked at each level, what the employee hears (once, at the end,
plus the level updates they chose), and the Slack messages sent earlier updated in place
to show every level's state. Events are fed through the consumer's path on the in-memory
store; sends go to the loopback Slack Web API recorder and the SMTP sink."""

from __future__ import annotations

from datetime import timedelta
from email.message import EmailMessage
from typing import Any

from leaveflow_contracts import (
    Approval,
    ApprovalLevelState,
    EmployeeUpserted,
    LeaveApproved,
    LeaveCancelled,
    LeaveDenied,
    LeaveLevelApproved,
    LeavePending,
    LeaveStatus,
)
from leaveflow_kit.testing import WebhookSink
from leaveflow_kit.testing.smtp_sink import SmtpSink

from ..conftest import World

BO, BEN, ANA = "t1-bo", "t1-ben", "t1-ana"
SLACK_OK = '{"ok": true, "channel": "D_DM", "ts": "1700000000.0001"}'


def two_levels(
    current: int | None, deciders: list[str], *, decided: dict[int, tuple[str, str]] | None = None
) -> Approval:
    """Level 1 approved by Bo, level 2 by Ben; `decided` {level: (status, by)}."""
    decided = decided or {}
    levels = []
    for level, approver in ((1, BO), (2, BEN)):
        status, by = decided.get(level, ("pending" if level == current else "waiting", ""))
        levels.append(
            ApprovalLevelState(
                level=level, approver_ids=[approver], status=status, decided_by=by or None
            )
        )
    return Approval(current_level=current, levels=levels, deciders=deciders)


async def add_ben(world: World) -> None:
    await world.feed(
        EmployeeUpserted(
            employee_id=BEN,
            name="Ben Ng",
            email="ben@t1.test",
            role="approver",
            slack_user_id="U_BEN",
        )
    )


def pending(world: World) -> LeavePending:
    return world.pending().model_copy(update={"approval": two_levels(1, [BO])})


def level_1_approved(world: World) -> LeaveLevelApproved:
    return LeaveLevelApproved(
        **world.pending().model_dump(exclude={"available_after", "approval"}),
        level=1,
        approver_id=BO,
        approval=two_levels(2, [BEN], decided={1: ("approved", BO)}),
    )


def level_2_decided(world: World, kind: type[LeaveApproved | LeaveDenied]) -> Any:
    status = "approved" if kind is LeaveApproved else "denied"
    return kind(
        **world.pending().model_dump(exclude={"available_after", "approval"}),
        approver_id=BEN,
        level=2,
        approval=two_levels(None, [], decided={1: ("approved", BO), 2: (status, BEN)}),
    )


async def email_only(world: World, smtp: SmtpSink) -> None:
    await world.connect("email", smtp_host="127.0.0.1", smtp_port=smtp.port, **{"from": "lf@t1"})


def mails(smtp: SmtpSink) -> list[EmailMessage]:
    return smtp.snapshot()


def text_of(mail: EmailMessage) -> str:
    part = mail.get_body(("plain",))
    assert part is not None
    return str(part.get_content())


async def kinds_by_recipient(world: World) -> set[tuple[str, str, str]]:
    return {
        (d["event_type"], d["recipient"], d["payload"]["notice"]["kind"])
        for d in await world.deliveries()
    }


async def test_each_level_is_asked_only_when_the_one_before_approved(world: World) -> None:
    await add_ben(world)
    await world.connect("email", smtp_host="127.0.0.1", smtp_port=25, **{"from": "lf@t1.test"})
    await world.feed(pending(world))
    assert await kinds_by_recipient(world) == {("LeavePending", BO, "pending")}
    await world.feed(level_1_approved(world))
    assert await kinds_by_recipient(world) == {
        ("LeavePending", BO, "pending"),
        ("LeaveLevelApproved", BEN, "pending"),
    }, "Ben is asked now, and Ana hears nothing (she did not ask for level updates)"
    (asked,) = await world.deliveries(event_type="LeaveLevelApproved")
    notice = asked["payload"]["notice"]
    assert notice["levels"] == [
        {"level": "1", "status": "approved", "who": "Bo Berg"},
        {"level": "2", "status": "pending", "who": "Ben Ng"},
    ]
    approved = level_2_decided(world, LeaveApproved)
    envelope = await world.feed(approved)
    await world.feed(approved, env=envelope)  # redelivered: still told once
    told = [d for d in await world.deliveries() if d["recipient"] == ANA]
    assert [(d["event_type"], d["payload"]["notice"]["kind"]) for d in told] == [
        ("LeaveApproved", "approved")
    ]


async def test_the_deciders_of_the_event_are_asked_not_the_department(world: World) -> None:
    """A substitute (Ben) holds for Bo today: requests lists Ben as the decider."""
    await add_ben(world)
    await world.connect("email", smtp_host="127.0.0.1", smtp_port=25, **{"from": "lf@t1.test"})
    await world.feed(world.pending().model_copy(update={"approval": two_levels(1, [BEN])}))
    assert [d["recipient"] for d in await world.deliveries()] == [BEN]


async def test_deciders_the_replica_does_not_know_yet_fall_back_to_the_department(
    world: World,
) -> None:
    await world.connect("email", smtp_host="127.0.0.1", smtp_port=25, **{"from": "lf@t1.test"})
    unknown = two_levels(1, ["t1-not-replicated-yet"])
    await world.feed(world.pending().model_copy(update={"approval": unknown}))
    assert [d["recipient"] for d in await world.deliveries()] == [BO]


async def test_the_employee_who_asked_for_level_updates_hears_who_has_it_now(
    world: World, smtp: SmtpSink
) -> None:
    await add_ben(world)
    await email_only(world, smtp)
    await world.integrations.set_preferences("t1", ANA, {"level_updates": True})
    await world.feed(pending(world))
    await world.feed(level_1_approved(world))
    await world.dispatcher("email").send_due()
    by_address = {str(m["To"]): m for m in mails(smtp)}
    assert set(by_address) == {"bo@t1.test", "ben@t1.test", "ana@t1.test"}
    ana = by_address["ana@t1.test"]
    assert str(ana["Subject"]) == "Level 1 approved: Vacation 2026-03-02 to 2026-03-03"
    assert "was approved, now with Ben Ng." in text_of(ana)
    assert "Level 1: approved by Bo Berg · Level 2: waiting for Ben Ng" in text_of(ana)
    assert "Approve:" not in text_of(ana), "the employee decides nothing"
    ben = text_of(by_address["ben@t1.test"])
    assert "Level 1: approved by Bo Berg · Level 2: waiting for Ben Ng" in ben
    assert "Approve: http://dash.test/decide/" in ben


async def test_level_twos_email_links_are_signed_for_its_deciders_only(
    world: World, smtp: SmtpSink
) -> None:
    await add_ben(world)
    await email_only(world, smtp)
    await world.feed(level_1_approved(world))
    await world.dispatcher("email").send_due()
    (mail,) = mails(smtp)
    links = [w for w in text_of(mail).split() if "/decide/" in w]
    assert len(links) == 2
    now = int(world.clock.now().timestamp())
    for link in links:
        claims = world.box.open_link(link.rsplit("/", 1)[1], ttl_seconds=3600, now=now)
        assert (claims["aid"], claims["rid"], claims["lvl"]) == ([BEN], "r1", 2)
    assert {
        world.box.open_link(x.rsplit("/", 1)[1], ttl_seconds=60, now=now)["d"] for x in links
    } == {
        "approve",
        "deny",
    }


def text(message: dict[str, Any]) -> str:
    return str(message["blocks"][0]["text"]["text"])


async def slack_dm(world: World, sink: WebhookSink) -> None:
    world.rewire(slack_api=f"http://127.0.0.1:{sink.port}/api/")
    sink.ok_body = SLACK_OK
    await world.connect("slack", team_id="T1", bot_token="xoxb-1", signing_secret="s")


async def test_a_level_approval_updates_the_earlier_slack_message_in_place(
    world: World, sink: WebhookSink
) -> None:
    await add_ben(world)
    await slack_dm(world, sink)
    await world.feed(pending(world))
    slack = world.dispatcher("slack")
    assert await slack.send_due() == 1
    (first,) = await world.deliveries(event_type="LeavePending")
    assert first["message_ref"] == {"channel": "D_DM", "ts": "1700000000.0001"}

    await world.feed(level_1_approved(world))
    assert await slack.send_due() == 2
    calls = {c.path: c.json() for c in sink.snapshot()[1:]}
    assert set(calls) == {"/api/chat.postMessage", "/api/chat.update"}
    asked = calls["/api/chat.postMessage"]
    assert asked["channel"] == "U_BEN"
    (buttons,) = [b for b in asked["blocks"] if b["type"] == "actions"]
    assert buttons["block_id"] == "decide:r1@2", "Ben's buttons decide level 2 only"
    update = calls["/api/chat.update"]
    assert (update["channel"], update["ts"]) == ("D_DM", "1700000000.0001")
    assert not any(b["type"] == "actions" for b in update["blocks"]), "Bo decides no more"
    shown = update["blocks"][0]["text"]["text"]
    assert "Level 1: approved by Bo Berg · Level 2: waiting for Ben Ng" in shown
    assert "Level 1 approved by Bo Berg." in shown


async def test_the_final_decision_updates_every_earlier_message_once(
    world: World, sink: WebhookSink
) -> None:
    await add_ben(world)
    await slack_dm(world, sink)
    slack = world.dispatcher("slack")
    await world.feed(pending(world))
    await slack.send_due()
    await world.feed(level_1_approved(world))
    await slack.send_due()
    denied = level_2_decided(world, LeaveDenied)
    envelope = await world.feed(denied)
    await world.feed(denied, env=envelope)
    await slack.send_due()
    updates = [c.json() for c in sink.snapshot() if c.path == "/api/chat.update"]
    # Bo's message at level 1's approval, then Bo's and Ben's at the denial.
    assert len(updates) == 3
    final = [u["blocks"][0]["text"]["text"] for u in updates[1:]]
    assert all(
        "Level 2: denied by Ben Ng" in text and "Denied by Ben Ng." in text for text in final
    )
    told = [d for d in await world.deliveries() if d["recipient"] == ANA]
    assert [d["payload"]["notice"]["kind"] for d in told] == ["denied"]


async def test_a_webhook_post_has_no_handle_and_is_not_updated(
    world: World, sink: WebhookSink
) -> None:
    await add_ben(world)
    await world.connect("slack", team_id="T1", webhook_url=sink.url, signing_secret="s")
    slack = world.dispatcher("slack")
    await world.feed(pending(world))
    await slack.send_due()
    await world.feed(level_1_approved(world))
    await slack.send_due()
    assert [c.path for c in sink.snapshot()] == ["/hook", "/hook"]
    assert len(await world.deliveries(event_type="LeaveLevelApproved")) == 1


async def test_an_update_waits_for_nothing_when_the_original_is_still_unsent(
    world: World, sink: WebhookSink
) -> None:
    """An original not sent yet has no handle: it goes out as it is, nothing updates it."""
    await add_ben(world)
    await slack_dm(world, sink)
    await world.feed(pending(world))
    await world.feed(level_1_approved(world))
    assert await world.dispatcher("slack").send_due() == 2
    assert {c.path for c in sink.snapshot()} == {"/api/chat.postMessage"}


async def test_what_told_the_employee_is_never_rewritten(world: World, sink: WebhookSink) -> None:
    """Only messages that asked for a decision are closed by later states."""
    await add_ben(world)
    await world.feed(
        EmployeeUpserted(
            employee_id=ANA,
            name="Ana Lima",
            email="ana@t1.test",
            role="user",
            department_id="t1-d1",
            slack_user_id="U_ANA",
        )
    )
    await slack_dm(world, sink)
    await world.integrations.set_preferences("t1", ANA, {"level_updates": True})
    slack = world.dispatcher("slack")
    await world.feed(level_1_approved(world))
    assert await slack.send_due() == 2  # Ben asked, Ana told
    await world.feed(level_2_decided(world, LeaveApproved))
    assert await slack.send_due() == 2  # Ana told the end, Ben's message closed
    updates = [c.json() for c in sink.snapshot() if c.path == "/api/chat.update"]
    assert len(updates) == 1
    closed = updates[0]["blocks"][0]["text"]["text"]
    assert closed.startswith("<@U_BEN> *Ana Lima requests Vacation*"), closed
    assert closed.endswith("Approved by Ben Ng.")


async def test_an_update_still_being_retried_carries_the_newest_state(
    world: World, sink: WebhookSink
) -> None:
    # Ben has no Slack id: the only Slack sends are Bo's message and its updates.
    await world.feed(
        EmployeeUpserted(employee_id=BEN, name="Ben Ng", email="ben@t1.test", role="approver")
    )
    await slack_dm(world, sink)
    slack = world.dispatcher("slack")
    await world.feed(pending(world))
    await slack.send_due()
    (original,) = await world.deliveries(event_type="LeavePending")
    sink.responses.append((503, {}))
    await world.feed(level_1_approved(world))
    assert await slack.send_due() == 0
    (retrying,) = await world.deliveries(status="retrying")
    assert retrying["payload"]["original"] == original["id"]
    await world.feed(level_2_decided(world, LeaveApproved))
    updates = [d for d in await world.deliveries() if "original" in d["payload"]]
    assert [d["id"] for d in updates] == [retrying["id"]], "brought up to date, not queued"
    world.clock.advance(timedelta(minutes=10))
    assert await slack.send_due() == 2  # the update, and Ana's "approved"
    sent = [c.json() for c in sink.snapshot() if c.path == "/api/chat.update"]
    assert len(sent) == 2  # the failed try, then the one that went
    assert text(sent[-1]).endswith("Approved by Ben Ng.")
    assert "Level 2: approved by Ben Ng" in text(sent[-1])
    (update,) = await world.deliveries(id=retrying["id"])
    assert update["status"] == "sent"


async def test_a_cancel_reaches_everyone_who_was_asked_at_any_level(world: World) -> None:
    await add_ben(world)
    await world.connect("email", smtp_host="127.0.0.1", smtp_port=25, **{"from": "lf@t1.test"})
    await world.feed(pending(world))
    await world.feed(level_1_approved(world))
    await world.feed(
        LeaveCancelled(
            **world.pending().model_dump(exclude={"available_after", "approval"}),
            previous_status=LeaveStatus.PENDING,
            cancelled_by=ANA,
        )
    )
    told = {d["recipient"] for d in await world.deliveries(event_type="LeaveCancelled")}
    assert told == {BO, BEN, ANA}
