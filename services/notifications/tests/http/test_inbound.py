"""Slack and Teams inbound, the admin API and Approve/Deny links, through the HTTP app.

Slack requests are signed with slack_sdk's real algorithm; Teams with the real outgoing
webhook HMAC. The requests service is absent here (its port is closed), so commands that
need it answer "not reachable" through `response_url`; the full path runs in e2e.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

from leaveflow_kit.testing import WebhookSink
from leaveflow_notifications.domain.messages import decision_block
from leaveflow_notifications.service_layer.chat import Chat
from leaveflow_notifications.service_layer.ports import ApiAnswer

from ..service.test_chat_decisions import ScriptedApi
from .conftest import SIGNING, TEAMS_SECRET, App


async def _connect_slack(app: App, sink: WebhookSink) -> None:
    response = await app.http.put(
        "/v1/integrations/slack",
        json={"team_id": "T1", "webhook_url": sink.url, "signing_secret": SIGNING},
        headers=app.auth(),
    )
    assert response.status_code == 200, response.text


def _command(
    text: str, user: str = "U_ANA", response_url: str = "http://127.0.0.1:9/"
) -> dict[str, str]:
    return {
        "team_id": "T1",
        "user_id": user,
        "command": "/vacation",
        "text": text,
        "response_url": response_url,
    }


async def test_integrations_never_return_secrets(app: App, sink: WebhookSink) -> None:
    await _connect_slack(app, sink)
    listed = await app.http.get("/v1/integrations", headers=app.auth())
    assert listed.status_code == 200
    assert SIGNING not in listed.text
    assert sink.url not in listed.text
    assert listed.json()["slack"]["has_signing_secret"] is True
    assert listed.json()["slack"]["team_id"] == "T1"


async def test_integrations_are_for_admins(app: App, sink: WebhookSink) -> None:
    response = await app.http.put(
        "/v1/integrations/slack",
        json={"team_id": "T1", "webhook_url": sink.url, "signing_secret": SIGNING},
        headers=app.auth("t1-ana", "user"),
    )
    assert response.status_code == 403
    assert (await app.http.get("/v1/integrations")).status_code == 401


async def test_bad_integration_input_is_422_with_fields(app: App) -> None:
    response = await app.http.put(
        "/v1/integrations/email",
        json={"smtp_host": "", "smtp_port": 70000, "from": "nope"},
        headers=app.auth(),
    )
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert {"smtp_host", "smtp_port", "from"} <= fields


async def test_bad_or_stale_slack_signature_is_401_and_nothing_happens(
    app: App, sink: WebhookSink
) -> None:
    await _connect_slack(app, sink)
    response_url = f"http://127.0.0.1:{sink.port}/respond"
    for kwargs in ({"secret": "wrong"}, {"age": 6 * 60}):
        response = await app.slack(
            "/slack/commands", _command("balance", response_url=response_url), **kwargs
        )
        assert response.status_code == 401
    unknown_team = _command("balance") | {"team_id": "T-unknown"}
    assert (await app.slack("/slack/commands", unknown_team)).status_code == 401
    assert (
        await app.http.post("/slack/interactions", content=b"payload=%7B%7D")
    ).status_code == 401
    await app.app.state.background.drain()
    assert sink.snapshot() == []


async def test_unknown_slack_user_gets_a_helpful_ephemeral_reply(
    app: App, sink: WebhookSink
) -> None:
    await _connect_slack(app, sink)
    response = await app.slack("/slack/commands", _command("balance", user="U_STRANGER"))
    assert response.status_code == 200
    body = response.json()
    assert body["response_type"] == "ephemeral"
    assert "U_STRANGER" in body["text"]
    assert "admin" in body["text"]


async def test_malformed_command_gets_usage_help(app: App, sink: WebhookSink) -> None:
    await _connect_slack(app, sink)
    response = await app.slack("/slack/commands", _command("request someday"))
    assert response.status_code == 200
    assert "start date" in response.json()["text"]
    assert "/vacation request <start>" in response.json()["text"]


async def test_command_is_acked_at_once_and_answered_through_response_url(
    app: App, sink: WebhookSink
) -> None:
    await _connect_slack(app, sink)
    response_url = f"http://127.0.0.1:{sink.port}/respond"
    response = await app.slack("/slack/commands", _command("balance", response_url=response_url))
    assert response.status_code == 200
    assert response.json()["response_type"] == "ephemeral"
    await app.app.state.background.drain()
    (reply,) = [c for c in sink.snapshot() if c.path == "/respond"]
    assert "not reachable" in reply.json()["text"], "the requests service is down in this test"


async def test_slack_retries_of_a_command_are_not_run_twice(app: App, sink: WebhookSink) -> None:
    await _connect_slack(app, sink)
    response_url = f"http://127.0.0.1:{sink.port}/respond"
    form = _command("balance", response_url=response_url)
    await app.slack("/slack/commands", form)
    retry = await app.slack("/slack/commands", form, x_slack_retry_num="1")
    assert retry.status_code == 200
    await app.app.state.background.drain()
    assert len([c for c in sink.snapshot() if c.path == "/respond"]) == 1


def _teams_activity(text: str, user: str = "aad-ana") -> bytes:
    return json.dumps(
        {
            "type": "message",
            "text": f"<at>Leaveflow</at> {text}",
            "from": {"id": "29:1", "aadObjectId": user},
            "channelData": {"tenant": {"id": "aad-1"}},
        }
    ).encode()


def _teams_sign(body: bytes, secret: str = TEAMS_SECRET) -> str:
    digest = hmac.new(base64.b64decode(secret), body, hashlib.sha256).digest()
    return "HMAC " + base64.b64encode(digest).decode()


async def test_teams_message_needs_the_outgoing_webhook_hmac(app: App, sink: WebhookSink) -> None:
    response = await app.http.put(
        "/v1/integrations/teams",
        json={
            "aad_tenant_id": "aad-1",
            "webhook_url": sink.url,
            "outgoing_webhook_secret": TEAMS_SECRET,
        },
        headers=app.auth(),
    )
    assert response.status_code == 200, response.text
    body = _teams_activity("help")
    forged = _teams_sign(body, base64.b64encode(b"other").decode())
    bad = await app.http.post("/teams/messages", content=body, headers={"authorization": forged})
    assert bad.status_code == 401
    good = await app.http.post(
        "/teams/messages", content=body, headers={"authorization": _teams_sign(body)}
    )
    assert good.status_code == 200
    assert good.json()["type"] == "message"
    assert "aad-ana" in good.json()["text"], "Ana has no Teams id: she is told how to get one"


async def test_preferences_self_or_admin(app: App) -> None:
    mine = await app.http.put(
        "/v1/preferences/t1-ana", json={"slack": False}, headers=app.auth("t1-ana", "user")
    )
    assert mine.status_code == 200
    assert mine.json()["slack"] is False
    other = await app.http.put(
        "/v1/preferences/t1-bo", json={"slack": False}, headers=app.auth("t1-ana", "user")
    )
    assert other.status_code == 403
    unknown = await app.http.put("/v1/preferences/nobody", json={}, headers=app.auth())
    assert unknown.status_code == 404


async def test_deliveries_log_filters_and_retry(app: App, sink: WebhookSink) -> None:
    sink.responses.append((404, {}))
    await _connect_slack(app, sink)
    await app.world.feed(app.world.pending())
    await app.world.dispatcher("slack").send_due()
    dead = await app.http.get("/v1/deliveries?status=dead&channel=slack", headers=app.auth())
    assert dead.status_code == 200
    (item,) = dead.json()["items"]
    assert item["status"] == "dead"
    assert "404" in item["last_error"]
    assert "payload" not in item
    assert (
        await app.http.get("/v1/deliveries?status=bogus", headers=app.auth())
    ).status_code == 422
    other_tenant = await app.http.post(
        f"/v1/deliveries/{item['id']}/retry", headers=app.auth("t2-cy", tenant="t2")
    )
    assert other_tenant.status_code == 404
    retried = await app.http.post(f"/v1/deliveries/{item['id']}/retry", headers=app.auth())
    assert retried.status_code == 202
    assert await app.world.dispatcher("slack").send_due() == 1
    again = await app.http.post(f"/v1/deliveries/{item['id']}/retry", headers=app.auth())
    assert again.status_code == 409


async def test_teams_known_user_gets_the_command_answer(app: App, sink: WebhookSink) -> None:
    from leaveflow_contracts import EmployeeUpserted

    await app.world.feed(
        EmployeeUpserted(
            employee_id="t1-ana",
            name="Ana Lima",
            email="ana@t1.test",
            role="user",
            teams_user_id="aad-ana",
        )
    )
    response = await app.http.put(
        "/v1/integrations/teams",
        json={
            "aad_tenant_id": "aad-1",
            "webhook_url": sink.url,
            "outgoing_webhook_secret": TEAMS_SECRET,
        },
        headers=app.auth(),
    )
    assert response.status_code == 200
    for text, expected in (("help", "/vacation request <start>"), ("balance", "not reachable")):
        body = _teams_activity(text)
        answer = await app.http.post(
            "/teams/messages", content=body, headers={"authorization": _teams_sign(body)}
        )
        assert answer.status_code == 200
        assert expected in answer.json()["text"]


async def test_a_click_by_an_unknown_user_or_garbage_decides_nothing(
    app: App, sink: WebhookSink
) -> None:
    await _connect_slack(app, sink)
    respond = f"http://127.0.0.1:{sink.port}/respond"
    payload = {
        "type": "block_actions",
        "team": {"id": "T1"},
        "user": {"id": "U_STRANGER"},
        "actions": [{"action_id": "approve", "value": "r1"}],
        "response_url": respond,
    }
    stranger = await app.slack("/slack/interactions", {"payload": json.dumps(payload)})
    assert stranger.status_code == 200
    assert "U_STRANGER" in stranger.json()["text"]
    garbage = await app.slack(
        "/slack/interactions", {"payload": json.dumps({"team": {"id": "T1"}})}
    )
    assert garbage.status_code == 200
    await app.app.state.background.drain()
    assert sink.snapshot() == []


async def test_a_button_decides_only_the_level_its_message_asked_about(
    app: App, sink: WebhookSink
) -> None:
    """The level rides in the actions block's id; requests answers 409 if it has passed."""
    await _connect_slack(app, sink)
    api = ScriptedApi(ApiAnswer(409, {"title": "Conflict", "detail": "level 2 is decided"}))
    app.app.state.chat = Chat(api, app.world.reads, app.world.clock)
    respond = f"http://127.0.0.1:{sink.port}/respond"
    for block_id, level in ((decision_block("r1", 2), 2), ("decide:r1", None)):
        payload = {
            "type": "block_actions",
            "team": {"id": "T1"},
            "user": {"id": "U_BO"},
            "actions": [{"action_id": "approve", "block_id": block_id, "value": "r1"}],
            "response_url": respond,
        }
        clicked = await app.slack("/slack/interactions", {"payload": json.dumps(payload)})
        assert clicked.status_code == 200
        await app.app.state.background.drain()
        (who, method, path, body) = api.calls[-1]
        assert (who, method, path) == ("t1-bo", "POST", "/v1/leave-requests/r1/approve")
        assert body == ({"note": "Approved via slack"} | ({"level": level} if level else {}))
    answers = [c.json() for c in sink.snapshot() if c.path == "/respond"]
    assert [a["replace_original"] for a in answers] == [False, False]
    assert "level 2 is decided" in answers[0]["text"]
