"""Notifications reach people through the Teams bot once they have a chat with it: an
approver gets the live Action.Execute card, the employee the decision; people without a
chat, and the company's channel, still get the Workflows webhook post."""

from __future__ import annotations

import json
from typing import Any

from leaveflow_contracts import (
    Approval,
    ApprovalLevelState,
    DepartmentUpserted,
    EmployeeUpserted,
    LeaveApproved,
    LeaveDenied,
    LeavePending,
    LeaveTypeUpserted,
)
from leaveflow_devstack.bot_connector import BotConnector
from leaveflow_kit.testing import WebhookSink
from leaveflow_notifications.adapters.store_deliveries import StoreDeliveries
from leaveflow_notifications.service_layer.dispatcher import DeliveryDispatcher, RetryPolicy
from leaveflow_notifications.service_layer.fanout import CHANNEL

from ..http.conftest import App
from .fake_requests import FakeRequests
from .test_bot import AAD_TENANT, activity, bot, clicked, connector, lines, peers, post

__all__ = ["bot", "connector", "peers"]  # the fixtures this module uses


def levels(
    current: int | None, first: str, second: str, deciders: tuple[str, ...] = ("t1-bo",)
) -> Approval:
    return Approval(
        current_level=current,
        levels=[
            ApprovalLevelState(level=1, approver_ids=["t1-bo"], status=first),
            ApprovalLevelState(level=2, approver_ids=["t1-cy"], status=second),
        ],
        deciders=list(deciders) if current == 1 else [],
    )


async def setup(bot: App, sink: WebhookSink) -> None:
    await bot.world.feed(LeaveTypeUpserted(leave_type_id="vac", name="Vacation"))
    await bot.world.feed(
        DepartmentUpserted(department_id="t1-d1", name="Ops", approver_ids=["t1-bo"])
    )
    ana = EmployeeUpserted(
        employee_id="t1-ana",
        name="Ana Lima",
        email="ana@t1.test",
        role="user",
        department_id="t1-d1",
        teams_user_id="aad-ana",
    )
    await bot.world.feed(ana)
    await bot.world.connect(
        "teams", aad_tenant_id=AAD_TENANT, webhook_url=sink.url, outgoing_webhook_secret=None
    )


def dispatcher(bot: App) -> DeliveryDispatcher:
    return DeliveryDispatcher(
        StoreDeliveries(bot.world.store),
        "teams",
        bot.app.state.outbound.send,
        bot.world.clock,
        policy=RetryPolicy(max_attempts=1),
    )


def cards(connector: BotConnector, user: str) -> list[dict[str, Any]]:
    return [
        a["attachments"][0]["content"]
        for a in connector.sent_to(f"a:chat-{user}")
        if a.get("attachments")
    ]


async def test_the_approver_in_chat_gets_the_card_the_others_the_channel(
    bot: App, connector: BotConnector, sink: WebhookSink
) -> None:
    await setup(bot, sink)
    installed = activity(connector, "aad-bo", type="installationUpdate", action="add")
    assert (await post(bot, installed, connector.mint_channel_token())).status_code == 200
    # Bo has a chat with the bot, Cy (an admin deciding too) has none.
    approval = levels(1, "pending", "waiting", deciders=("t1-bo", "t1-cy"))
    pending = bot.world.pending().model_copy(update={"approval": approval})
    assert isinstance(pending, LeavePending)
    await bot.world.feed(pending)
    deliveries = await bot.world.deliveries(channel="teams")
    assert {d["recipient"] for d in deliveries} == {"t1-bo", CHANNEL}
    assert await dispatcher(bot).send_due() == 2
    (card,) = cards(connector, "aad-bo")
    assert [(a["type"], a["verb"]) for a in card["actions"]] == [
        ("Action.Execute", "approve"),
        ("Action.Execute", "deny"),
    ]
    assert card["refresh"]["userIds"] == ["aad-bo", "aad-cy"]
    # Cy's post went to the channel, with the signed links; Bo is not in it.
    (post_to_channel,) = sink.calls
    assert "Action.OpenUrl" in json.dumps(post_to_channel.json())
    assert not cards(connector, "aad-cy")


async def test_the_employee_in_chat_hears_the_decision_there(
    bot: App, connector: BotConnector, sink: WebhookSink
) -> None:
    await setup(bot, sink)
    hello = activity(connector, "aad-ana", text="help")
    assert (await post(bot, hello, connector.mint_channel_token())).status_code == 200
    facts = bot.world.pending().model_dump(exclude={"available_after", "approval"})
    approved = LeaveApproved(
        **facts, approver_id="t1-cy", level=2, approval=levels(None, "approved", "approved")
    )
    await bot.world.feed(approved)
    assert {d["recipient"] for d in await bot.world.deliveries(channel="teams")} == {"t1-ana"}
    assert await dispatcher(bot).send_due() == 1
    (card,) = cards(connector, "aad-ana")
    text = " ".join(str(b.get("text")) for b in card["body"])
    assert "approved" in text.lower()
    assert all(a["type"] == "Action.OpenUrl" for a in card.get("actions", []))
    assert sink.calls == []


async def test_the_card_sent_is_rewritten_in_place_when_the_request_is_decided(
    bot: App, connector: BotConnector, sink: WebhookSink, peers: tuple[FakeRequests, str]
) -> None:
    await setup(bot, sink)
    installed = activity(connector, "aad-bo", type="installationUpdate", action="add")
    assert (await post(bot, installed, connector.mint_channel_token())).status_code == 200
    pending = bot.world.pending().model_copy(update={"approval": levels(1, "pending", "waiting")})
    assert isinstance(pending, LeavePending)
    await bot.world.feed(pending)
    assert await dispatcher(bot).send_due() == 1
    (first,) = [r for r in connector.recorded if r.activity.get("attachments")]
    assert first.method == "POST"
    # Decided elsewhere (here: both levels on cards); the request's denial event rewrites
    # the card Bo got, in place, to the state the API now has: no buttons left.
    await clicked(bot, connector, "aad-bo", "approve", {"request_id": "r1", "level": 1})
    await clicked(bot, connector, "aad-cy", "deny", {"request_id": "r1", "level": 2})
    facts = bot.world.pending().model_dump(exclude={"available_after", "approval"})
    denied = LeaveDenied(
        **facts, approver_id="t1-cy", level=2, approval=levels(None, "approved", "denied")
    )
    await bot.world.feed(denied)
    # Bo's card rewritten, and Ana (no chat with the bot) told in the channel.
    assert await dispatcher(bot).send_due() == 2
    rewrites = [r for r in connector.recorded if r.method == "PUT"]
    assert [(r.conversation_id, r.activity_id) for r in rewrites] == [
        (first.conversation_id, first.activity_id)
    ]
    card = rewrites[0].activity["attachments"][0]["content"]
    assert "Status: denied" in lines(card)
    assert "Level 2: denied by Cy Admin (Denied via teams)" in lines(card)
    assert card["actions"] == []
    (told,) = sink.calls
    assert "Ana Lima" in json.dumps(told.json())
