"""A shared channel gets one post per event (not one per recipient), naming the person and
never showing a reason or a note; signed links in it act for the approvers it concerns."""

from __future__ import annotations

from datetime import date
from typing import Any

from leaveflow_contracts import DepartmentUpserted, EmployeeUpserted, LeaveDenied
from leaveflow_kit.testing import WebhookSink

from ..conftest import World


async def _second_approver(world: World) -> None:
    await world.feed(
        EmployeeUpserted(
            employee_id="t1-di",
            name="Di Dahl",
            email="di@t1.test",
            role="approver",
            slack_user_id="U_DI",
        )
    )
    await world.feed(
        DepartmentUpserted(department_id="t1-d1", name="Ops", approver_ids=["t1-bo", "t1-di"])
    )


def _denied() -> LeaveDenied:
    return LeaveDenied(
        request_id="r1",
        employee_id="t1-ana",
        leave_type_id="vac",
        start_date=date(2026, 3, 2),
        end_date=date(2026, 3, 3),
        amount="2",
        department_id="t1-d1",
        approver_id="t1-bo",
        note="you were off all of February",
    )


async def test_a_shared_slack_channel_gets_one_post_mentioning_every_approver(
    world: World, sink: WebhookSink
) -> None:
    await _second_approver(world)
    await world.connect("slack", team_id="T1", webhook_url=sink.url, signing_secret="s")
    await world.connect("email", smtp_host="127.0.0.1", smtp_port=25, **{"from": "lf@t1.test"})
    await world.feed(world.pending())
    got = sorted((d["channel"], d["recipient"]) for d in await world.deliveries())
    assert got == [("email", "t1-bo"), ("email", "t1-di"), ("slack", "channel")]
    assert await world.dispatcher("slack").send_due() == 1
    (call,) = sink.snapshot()
    text = call.json()["blocks"][0]["text"]["text"]
    assert "<@U_BO>" in text
    assert "<@U_DI>" in text


async def test_a_decision_in_a_channel_names_the_person_and_drops_the_note(
    world: World, sink: WebhookSink
) -> None:
    await world.connect("slack", team_id="T1", webhook_url=sink.url, signing_secret="s")
    await world.connect("email", smtp_host="127.0.0.1", smtp_port=25, **{"from": "lf@t1.test"})
    await world.feed(_denied())
    by_channel = {d["channel"]: d for d in await world.deliveries()}
    assert set(by_channel) == {"slack", "email"}
    assert by_channel["email"]["recipient"] == "t1-ana"
    assert by_channel["email"]["payload"]["notice"]["detail"] == "you were off all of February"
    assert await world.dispatcher("slack").send_due() == 1
    (call,) = sink.snapshot()
    posted = call.body.decode()
    assert "February" not in posted, "a channel never shows someone's denial note"
    assert "Ana Lima's Vacation" in call.json()["text"]
    assert "Your " not in call.json()["text"]


async def test_a_bot_still_messages_each_person_directly(world: World, sink: WebhookSink) -> None:
    world.rewire(slack_api=f"http://127.0.0.1:{sink.port}/api/")
    sink.ok_body = '{"ok": true}'
    await _second_approver(world)
    await world.connect("slack", team_id="T1", bot_token="xoxb-1", signing_secret="s")
    await world.feed(world.pending())
    assert await world.dispatcher("slack").send_due() == 2
    channels = sorted(c.json()["channel"] for c in sink.snapshot())
    assert channels == ["U_BO", "U_DI"], "direct messages are personal: one each"


async def test_a_teams_channel_card_links_act_for_the_approvers_it_concerns(
    world: World, sink: WebhookSink
) -> None:
    await _second_approver(world)
    await world.connect("teams", aad_tenant_id="aad-1", webhook_url=sink.url)
    await world.feed(world.pending())
    assert await world.dispatcher("teams").send_due() == 1
    (call,) = sink.snapshot()
    (attachment,) = call.json()["attachments"]
    approve: Any = attachment["content"]["actions"][0]["url"]
    token = approve.rsplit("/", 1)[1]
    claims = world.box.open_link(token, ttl_seconds=3600, now=int(world.clock.now().timestamp()))
    assert sorted(claims["aid"]) == ["t1-bo", "t1-di"]
    assert claims["tid"] == "t1"
