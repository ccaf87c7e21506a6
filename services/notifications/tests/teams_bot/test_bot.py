"""The Teams bot against a local Bot Connector (OpenID metadata + JWKS with a key of ours,
a token service, a conversations endpoint recording what the bot posts): 1:1 commands,
refused tokens, Action.Execute decisions as the clicker, proactive cards."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from microsoft_teams.cards import AdaptiveCard

from leaveflow_contracts import EmployeeUpserted
from leaveflow_devstack.bot_connector import BotConnector, LoopbackServer, new_key
from leaveflow_notifications.service_layer.teams_bot import HELP
from leaveflow_notifications.service_layer.teams_conversations import (
    TEAMS_CONVERSATIONS,
    conversation_key,
)

from ..http.conftest import App, AppFactory
from .fake_requests import FakeRequests

APP_ID = "00000000-0000-0000-0000-00000000b07"
AAD_TENANT = "aad-1"
_ids = itertools.count(1)
PEOPLE = (("ana", "Ana Lima", "user"), ("bo", "Bo Berg", "approver"), ("cy", "Cy Admin", "admin"))


@pytest.fixture(scope="module")
def connector() -> Iterator[BotConnector]:
    emulator = BotConnector(app_id=APP_ID, app_password="bot-password").start()
    yield emulator
    emulator.stop()


@pytest.fixture
def peers() -> Iterator[tuple[FakeRequests, str]]:
    fake = FakeRequests()
    served = LoopbackServer(fake.app()).start()
    yield fake, served.url
    served.stop()


@pytest.fixture
async def bot(
    make_app: AppFactory, connector: BotConnector, peers: tuple[FakeRequests, str]
) -> App:
    connector.recorded.clear()
    app = await make_app(
        requests_url=peers[1],
        balances_url=peers[1],
        calendar_url=peers[1],
        teams_app_id=APP_ID,
        teams_app_password="bot-password",
        teams_openid_metadata_url=connector.openid_metadata_url,
        teams_token_url=connector.token_url,
    )
    for pid, name, role in PEOPLE:
        person = EmployeeUpserted(
            employee_id=f"t1-{pid}",
            name=name,
            email=f"{pid}@t1.test",
            role=role,
            teams_user_id=f"aad-{pid}",
        )
        await app.world.feed(person)
    await app.world.connect(
        "teams", aad_tenant_id=AAD_TENANT, webhook_url="https://example.invalid/hook"
    )
    return app


def activity(
    connector: BotConnector, user: str, *, service_url: str | None = None, **fields: Any
) -> dict[str, Any]:
    return {
        "type": "message",
        "id": f"act-{next(_ids)}",
        "channelId": "msteams",
        "serviceUrl": service_url or connector.service_url,
        "from": {"id": f"29:{user}", "aadObjectId": user, "name": user},
        "recipient": {"id": f"28:{APP_ID}", "name": "Leaveflow"},
        "conversation": {
            "id": f"a:chat-{user}",
            "conversationType": "personal",
            "tenantId": AAD_TENANT,
        },
        "channelData": {"tenant": {"id": AAD_TENANT}},
        **fields,
    }


async def post(app: App, body: dict[str, Any], token: str) -> httpx.Response:
    return await app.http.post(
        "/api/messages", json=body, headers={"authorization": f"Bearer {token}"}
    )


def texts(connector: BotConnector, user: str) -> list[str]:
    return [str(a.get("text")) for a in connector.sent_to(f"a:chat-{user}")]


async def test_help_is_answered_in_the_chat_and_the_chat_is_remembered(
    bot: App, connector: BotConnector
) -> None:
    help_message = activity(connector, "aad-ana", text="help")
    answer = await post(bot, help_message, connector.mint_channel_token())
    assert answer.status_code == 200
    assert texts(connector, "aad-ana") == [HELP]
    stored = await bot.world.store.get(TEAMS_CONVERSATIONS, conversation_key("t1", "t1-ana"))
    assert stored is not None
    assert stored["conversation_id"] == "a:chat-aad-ana"
    assert stored["service_url"] == connector.service_url


async def test_balance_and_an_unknown_person(bot: App, connector: BotConnector) -> None:
    token = connector.mint_channel_token()
    asked = await post(bot, activity(connector, "aad-ana", text="balance"), token)
    assert asked.status_code == 200
    assert texts(connector, "aad-ana") == ["Vacation: 18 days available (4 used, 2 pending)"]
    stranger = await post(bot, activity(connector, "aad-zed", text="balance"), token)
    assert stranger.status_code == 200
    (said,) = texts(connector, "aad-zed")
    assert "I don't know who you are in Leaveflow yet" in said
    assert "aad-zed" in said


async def test_request_and_whos_off_act_as_the_person(
    bot: App, connector: BotConnector, peers: tuple[FakeRequests, str]
) -> None:
    fake, _ = peers
    token = connector.mint_channel_token()
    said = activity(connector, "aad-ana", text="request 2026-03-02 2026-03-03 vac sea trip")
    assert (await post(bot, said, token)).status_code == 200
    assert fake.submitted == [
        (
            "t1-ana",
            {
                "leave_type_id": "vac",
                "start_date": "2026-03-02",
                "end_date": "2026-03-03",
                "reason": "sea trip",
            },
        )
    ]
    asked = activity(connector, "aad-bo", text="Who's off 2026-03-02")
    assert (await post(bot, asked, token)).status_code == 200
    assert texts(connector, "aad-ana") == [
        "Requested Vacation 2026-03-02 to 2026-03-03: 2 day(s). "
        "You will hear here when it is decided."
    ]
    assert texts(connector, "aad-bo") == [
        "Off on 2026-03-02: Ana Lima (Vacation, 2026-03-02 to 2026-03-03)"
    ]


@pytest.mark.parametrize(
    "bad",
    [
        pytest.param({"key": new_key()}, id="forged"),
        pytest.param({"expires_in": -600}, id="expired"),
        pytest.param({"audience": "someone-else"}, id="wrong-audience"),
        pytest.param({"service_url": "http://127.0.0.1:9/evil/"}, id="wrong-serviceUrl"),
        pytest.param({"issuer": "https://sts.example/"}, id="wrong-issuer"),
    ],
)
async def test_refused_tokens_do_nothing(
    bot: App, connector: BotConnector, bad: dict[str, Any]
) -> None:
    body = activity(connector, "aad-ana", text="help")
    answer = await post(bot, body, connector.mint_channel_token(**bad))
    assert answer.status_code == 401
    assert connector.recorded == []
    assert await bot.world.store.get(TEAMS_CONVERSATIONS, conversation_key("t1", "t1-ana")) is None


async def test_no_token_is_refused(bot: App, connector: BotConnector) -> None:
    body = activity(connector, "aad-ana", text="help")
    answer = await bot.http.post("/api/messages", json=body)
    assert answer.status_code == 401
    assert connector.recorded == []


def click(connector: BotConnector, user: str, verb: str, data: dict[str, Any]) -> dict[str, Any]:
    return activity(
        connector,
        user,
        type="invoke",
        name="adaptiveCard/action",
        value={
            "action": {"type": "Action.Execute", "verb": verb, "data": data},
            "trigger": "manual",
        },
    )


def card_of(answer: httpx.Response) -> dict[str, Any]:
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["type"] == "application/vnd.microsoft.card.adaptive"
    card: dict[str, Any] = body["value"]
    AdaptiveCard.model_validate(card)  # the SDK's own card models accept it
    return card


async def clicked(
    bot: App, connector: BotConnector, user: str, verb: str, data: dict[str, Any]
) -> dict[str, Any]:
    answer = await post(bot, click(connector, user, verb, data), connector.mint_channel_token())
    return card_of(answer)


def lines(card: dict[str, Any]) -> list[str]:
    return [str(b.get("text")) for b in card["body"]]


async def test_action_execute_decides_as_the_clicker_and_every_level_shows(
    bot: App, connector: BotConnector, peers: tuple[FakeRequests, str]
) -> None:
    fake, _ = peers
    # The requester's click is refused by the API's rules, and nothing is decided.
    card = await clicked(bot, connector, "aad-ana", "approve", {"request_id": "r1", "level": 1})
    assert any("You cannot decide this request now" in line for line in lines(card))
    assert fake.decisions == []
    # Bo approves level 1: the card shows both levels and who decides next.
    card = await clicked(bot, connector, "aad-bo", "approve", {"request_id": "r1", "level": 1})
    assert fake.decisions == [("t1-bo", "approve", {"note": "Approved via teams", "level": 1})]
    assert "Level 1: approved by Bo Berg (Approved via teams)" in lines(card)
    assert "Level 2: waiting for Cy Admin" in lines(card)
    assert card["refresh"]["userIds"] == ["aad-bo", "aad-cy"]
    assert card["refresh"]["action"]["verb"] == "refresh"
    # Still pending at level 2: Cy's buttons decide level 2.
    assert [a["data"] for a in card["actions"]] == [{"request_id": "r1", "level": 2}] * 2
    # Bo's second click (a stale card) decides nothing.
    again = await clicked(bot, connector, "aad-bo", "approve", {"request_id": "r1", "level": 1})
    said = "Nothing to do: level 1 was decided already"
    assert any(line.startswith(said) for line in lines(again))
    assert len(fake.decisions) == 1
    # Teams refreshing Cy's copy shows the new state; Cy denies the last level.
    refreshed = await clicked(bot, connector, "aad-cy", "refresh", {"request_id": "r1"})
    assert "Level 1: approved by Bo Berg (Approved via teams)" in lines(refreshed)
    final = await clicked(bot, connector, "aad-cy", "deny", {"request_id": "r1", "level": 2})
    assert "Status: denied" in lines(final)
    assert "Level 2: denied by Cy Admin (Denied via teams)" in lines(final)
    assert final["actions"] == []


async def test_a_proactive_card_reaches_an_approver_who_talked_to_the_bot(
    bot: App, connector: BotConnector
) -> None:
    host = bot.app.state.teams_bot
    teams_bot = host.bot
    unreached = await teams_bot.send_request_card(host, "t1", "t1-bo", "r1")
    assert not unreached.ok
    assert "no chat with the bot" in str(unreached.error)
    install = activity(
        connector,
        "aad-bo",
        type="installationUpdate",
        action="add",
    )
    assert (await post(bot, install, connector.mint_channel_token())).status_code == 200
    sent = await teams_bot.send_request_card(host, "t1", "t1-bo", "r1")
    assert sent.ok, sent.error
    cards = [
        a["attachments"][0]["content"]
        for a in connector.sent_to("a:chat-aad-bo")
        if a.get("attachments")
    ]
    assert len(cards) == 1
    assert [a["verb"] for a in cards[0]["actions"]] == ["approve", "deny"]
    assert "Level 2: then Cy Admin" in lines(cards[0])


async def test_removing_the_app_forgets_the_chat(bot: App, connector: BotConnector) -> None:
    token = connector.mint_channel_token()
    added = activity(connector, "aad-bo", type="installationUpdate", action="add")
    assert (await post(bot, added, token)).status_code == 200
    assert texts(connector, "aad-bo") == ["Hi! I'm Leaveflow. Type **help** to see what I can do."]
    key = conversation_key("t1", "t1-bo")
    assert await bot.world.store.get(TEAMS_CONVERSATIONS, key) is not None
    removed = activity(connector, "aad-bo", type="installationUpdate", action="remove")
    assert (await post(bot, removed, token)).status_code == 200
    assert await bot.world.store.get(TEAMS_CONVERSATIONS, key) is None


async def test_another_organisation_is_told_it_is_not_connected(
    bot: App, connector: BotConnector
) -> None:
    body = activity(connector, "aad-bo", text="balance")
    body["conversation"]["tenantId"] = "aad-elsewhere"
    body["channelData"] = {"tenant": {"id": "aad-elsewhere"}}
    assert (await post(bot, body, connector.mint_channel_token())).status_code == 200
    assert texts(connector, "aad-bo") == [
        "This Microsoft 365 organisation is not connected to Leaveflow yet."
    ]
    assert await bot.world.store.find(TEAMS_CONVERSATIONS, {}) == []


async def test_the_outbound_token_is_asked_for_once_and_reused(
    bot: App, connector: BotConnector
) -> None:
    connector.issued.clear()
    token = connector.mint_channel_token()
    for text in ("help", "help", "balance"):
        said = await post(bot, activity(connector, "aad-ana", text=text), token)
        assert said.status_code == 200
    assert len(texts(connector, "aad-ana")) == 3
    assert len(connector.issued) == 1
