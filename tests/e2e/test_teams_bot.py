"""The Teams bot on the real stack, against the local Bot Connector (OpenID metadata and
JWKS with a key of ours, a token service, a conversations endpoint recording what the bot
posts): a 1:1 request made through the real requests API, the approver's proactive card,
Action.Execute decisions refused and accepted by the real permission rules, the second
click deciding nothing, the employee told in their chat; a forged token refused."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any
from uuid import uuid4

import httpx
import pytest

from leaveflow_devstack import Stack
from leaveflow_devstack.bot_connector import BotConnector, new_key
from leaveflow_devstack.testing import Tenant, coming_monday, eventually, sign_up
from leaveflow_kit.testing import WebhookSink

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

APP_ID = "6a1f0c1e-0000-4000-8000-00000000b07e"
PASSWORD = "e2e-bot-password"
_ids = itertools.count(1)


@pytest.fixture
def connector() -> Iterator[BotConnector]:
    emulator = BotConnector(app_id=APP_ID, app_password=PASSWORD).start()
    yield emulator
    emulator.stop()


@pytest.fixture
def sink() -> Iterator[WebhookSink]:
    with WebhookSink() as s:
        yield s


class Chats:
    """Teams as the bot meets it: people in one Entra tenant writing and clicking."""

    def __init__(self, stack: Stack, connector: BotConnector, aad_tenant: str) -> None:
        self.url = stack.urls["notifications"] + "/api/messages"
        self.connector, self.aad_tenant = connector, aad_tenant

    def activity(self, user: str, **fields: Any) -> dict[str, Any]:
        return {
            "type": "message",
            "id": f"e2e-{next(_ids)}",
            "channelId": "msteams",
            "serviceUrl": self.connector.service_url,
            "from": {"id": f"29:{user}", "aadObjectId": user, "name": user},
            "recipient": {"id": f"28:{APP_ID}", "name": "Leaveflow"},
            "conversation": {
                "id": f"a:{self.aad_tenant}-{user}",
                "conversationType": "personal",
                "tenantId": self.aad_tenant,
            },
            "channelData": {"tenant": {"id": self.aad_tenant}},
            **fields,
        }

    def post(self, body: dict[str, Any], token: str | None = None) -> httpx.Response:
        token = token or self.connector.mint_channel_token()
        return httpx.post(
            self.url, json=body, headers={"authorization": f"Bearer {token}"}, timeout=20
        )

    def say(self, user: str, text: str) -> httpx.Response:
        return self.post(self.activity(user, text=text))

    def click(self, user: str, verb: str, data: dict[str, Any]) -> dict[str, Any]:
        value = {"action": {"type": "Action.Execute", "verb": verb, "data": data}}
        answer = self.post(
            self.activity(user, type="invoke", name="adaptiveCard/action", value=value)
        )
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert body["type"] == "application/vnd.microsoft.card.adaptive"
        card: dict[str, Any] = body["value"]
        return card

    def sent(self, user: str) -> list[dict[str, Any]]:
        return self.connector.sent_to(f"a:{self.aad_tenant}-{user}")

    def texts(self, user: str) -> list[str]:
        return [str(a.get("text") or "") for a in self.sent(user)]

    def cards(self, user: str) -> list[dict[str, Any]]:
        return [a["attachments"][0]["content"] for a in self.sent(user) if a.get("attachments")]


def lines(card: dict[str, Any]) -> list[str]:
    return [str(block.get("text")) for block in card["body"]]


def request_status(tenant: Tenant, request_id: str) -> str:
    with tenant.client("requests") as http:
        r = http.get(f"/v1/leave-requests/{request_id}")
    assert r.status_code == 200, r.text
    return str(r.json()["status"])


def test_the_bot_requests_notifies_and_decides_as_the_clicker(
    make_stack: Callable[..., Stack], connector: BotConnector, sink: WebhookSink
) -> None:
    stack = make_stack(
        env={
            "TEAMS_APP_ID": APP_ID,
            "TEAMS_APP_PASSWORD": PASSWORD,
            "TEAMS_OPENID_METADATA_URL": connector.openid_metadata_url,
            "TEAMS_TOKEN_URL": connector.token_url,
        }
    )
    tenant = sign_up(stack.urls)
    aad_tenant = f"aad-{uuid4().hex[:8]}"
    location = tenant.location()
    tenant.leave_type("Vacation", location_ids=[location])
    bo, _ = tenant.employee(
        "Bo Berg", role="approver", location_id=location, teams_user_id="aad-bo"
    )
    with tenant.client("requests") as http:
        r = http.post("/v1/departments", json={"name": "Ops", "approver_ids": [bo]})
        assert r.status_code == 201, r.text
        department = str(r.json()["id"])
    tenant.employee(
        "Ana Lima", location_id=location, department_id=department, teams_user_id="aad-ana"
    )
    with tenant.client("notifications") as http:
        r = http.put(
            "/v1/integrations/teams", json={"aad_tenant_id": aad_tenant, "webhook_url": sink.url}
        )
        assert r.status_code == 200, r.text
    chats = Chats(stack, connector, aad_tenant)

    # A forged token (another key) is refused, and the bot says nothing.
    forged = chats.post(
        chats.activity("aad-ana", text="help"), connector.mint_channel_token(key=new_key())
    )
    assert forged.status_code == 401
    assert chats.sent("aad-ana") == []

    # Both are known once the directory reached notifications; Bo installs the bot.
    def known(user: str) -> bool:
        before = len(chats.sent(user))
        assert chats.say(user, "help").status_code == 200
        return "don't know" not in chats.texts(user)[before]

    eventually(lambda: known("aad-ana") or None, timeout=60, what="Ana known to notifications")
    eventually(lambda: known("aad-bo") or None, timeout=60, what="Bo known to notifications")
    install = chats.activity("aad-bo", type="installationUpdate", action="add")
    assert chats.post(install).status_code == 200

    # Ana asks through the bot: the real requests API takes it.
    monday = coming_monday(weeks_ahead=2)
    tuesday = monday + timedelta(days=1)
    assert chats.say("aad-ana", f"request {monday} {tuesday} Vacation beach").status_code == 200
    said = chats.texts("aad-ana")[-1]
    assert said.startswith(f"Requested Vacation {monday} to {tuesday}: 2"), said

    # Bo gets the request as an Action.Execute card in his chat with the bot.
    card = eventually(lambda: next(iter(chats.cards("aad-bo")), None), timeout=60, what="Bo's card")
    data = card["actions"][0]["data"]
    assert [a["verb"] for a in card["actions"]] == ["approve", "deny"]
    assert card["refresh"]["userIds"] == ["aad-bo"]
    request_id = str(data["request_id"])
    assert request_status(tenant, request_id) == "pending"
    assert sink.calls == []  # Bo was reached by the bot, not through the channel

    # Ana cannot approve her own request: the API refuses, the card says so.
    refused = chats.click("aad-ana", "approve", data)
    assert any("cannot decide" in line or "not yours" in line for line in lines(refused)), refused
    assert request_status(tenant, request_id) == "pending"

    # Bo approves: decided as Bo, and the card shows it without buttons.
    decided = chats.click("aad-bo", "approve", data)
    assert "Level 1: approved by Bo Berg (Approved via teams)" in lines(decided), decided
    assert decided["actions"] == []
    assert request_status(tenant, request_id) == "approved"

    # A second click (a stale copy of the card) decides nothing.
    again = chats.click("aad-bo", "approve", data)
    assert any(line.startswith("Nothing to do") for line in lines(again)), again
    with tenant.client("requests") as http:
        history = http.get(f"/v1/leave-requests/{request_id}").json()["history"]
    assert sum(1 for h in history if h.get("to") == "approved") == 1

    # Ana hears the decision in her chat with the bot.
    def told() -> dict[str, Any] | None:
        return next((c for c in chats.cards("aad-ana") if "approved" in str(c).lower()), None)

    eventually(told, timeout=60, what="Ana told of the approval")
