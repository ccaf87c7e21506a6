"""Delivery to real loopback peers: once, retried when it can help, dead when not, and
no channel or tenant holding up another."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime, timedelta
from typing import Any

from leaveflow_kit.documents import from_doc, to_doc
from leaveflow_kit.storage import Transaction
from leaveflow_kit.testing import WebhookSink
from leaveflow_kit.testing.smtp_sink import SmtpSink
from leaveflow_notifications.domain.delivery import Delivery


async def _webhook(world: Any, url: str, tenant: str = "t1") -> None:
    await world.connect(
        "slack", tenant=tenant, team_id=f"T-{tenant}", webhook_url=url, signing_secret="s"
    )


async def _smtp(world: Any, smtp: SmtpSink, tenant: str = "t1") -> None:
    await world.connect(
        "email", tenant=tenant, smtp_host="127.0.0.1", smtp_port=smtp.port, **{"from": "lf@x.test"}
    )


async def test_slack_message_is_block_kit_with_buttons_sent_once(
    world: Any, sink: WebhookSink
) -> None:
    await _webhook(world, sink.url)
    await world.feed(world.pending())
    dispatcher = world.dispatcher("slack")
    assert await dispatcher.send_due() == 1
    assert await dispatcher.send_due() == 0
    (call,) = sink.snapshot()
    body = call.json()
    assert "<@U_BO>" in body["blocks"][0]["text"]["text"]
    (actions,) = [b for b in body["blocks"] if b["type"] == "actions"]
    assert [(e["action_id"], e["value"]) for e in actions["elements"]] == [
        ("approve", "r1"),
        ("deny", "r1"),
    ]
    (d,) = await world.deliveries()
    assert (d["status"], d["attempts"]) == ("sent", 1)


async def test_slack_web_api_gets_a_direct_message_with_the_bot_token(
    world: Any, sink: WebhookSink
) -> None:
    world.rewire(slack_api=f"http://127.0.0.1:{sink.port}/api/")
    sink.ok_body = '{"ok": true, "ts": "1.2"}'
    await world.connect("slack", team_id="T1", bot_token="xoxb-42", signing_secret="s")
    await world.feed(world.pending())
    assert await world.dispatcher("slack").send_due() == 1
    (call,) = sink.snapshot()
    assert call.path == "/api/chat.postMessage"
    assert call.headers["Authorization"] == "Bearer xoxb-42"
    assert call.json()["channel"] == "U_BO"


async def test_slack_web_api_refusal_is_dead_with_its_error(world: Any, sink: WebhookSink) -> None:
    world.rewire(slack_api=f"http://127.0.0.1:{sink.port}/api")
    sink.ok_body = '{"ok": false, "error": "channel_not_found"}'
    await world.connect("slack", team_id="T1", bot_token="xoxb-42", signing_secret="s")
    await world.feed(world.pending())
    await world.dispatcher("slack").send_due()
    (d,) = await world.deliveries()
    assert (d["status"], d["last_error"]) == ("dead", "slack: channel_not_found")


async def test_server_error_is_retried_with_backoff(world: Any, sink: WebhookSink) -> None:
    sink.responses.append((503, {}))
    await _webhook(world, sink.url)
    await world.feed(world.pending())
    dispatcher = world.dispatcher("slack")
    assert await dispatcher.send_due() == 0
    (d,) = await world.deliveries()
    assert (d["status"], d["attempts"]) == ("retrying", 1)
    assert "503" in d["last_error"]
    assert await dispatcher.send_due() == 0, "not due yet"
    world.clock.advance(timedelta(minutes=1))
    assert await dispatcher.send_due() == 1
    assert len(sink.snapshot()) == 2


async def test_rate_limit_honours_retry_after(world: Any, sink: WebhookSink) -> None:
    sink.responses.append((429, {"Retry-After": "30"}))
    await _webhook(world, sink.url)
    await world.feed(world.pending())
    dispatcher = world.dispatcher("slack")
    await dispatcher.send_due()
    (d,) = await world.deliveries()
    assert d["status"] == "retrying"
    assert datetime.fromisoformat(d["next_attempt_at"]) == world.clock.now() + timedelta(seconds=30)
    world.clock.advance(timedelta(seconds=29))
    assert await dispatcher.send_due() == 0, "Retry-After not over yet"
    world.clock.advance(timedelta(seconds=1))
    assert await dispatcher.send_due() == 1


async def test_client_error_is_dead_at_once(world: Any, sink: WebhookSink) -> None:
    sink.responses.append((404, {}))
    await _webhook(world, sink.url)
    await world.feed(world.pending())
    dispatcher = world.dispatcher("slack")
    await dispatcher.send_due()
    world.clock.advance(timedelta(hours=1))
    await dispatcher.send_due()
    (d,) = await world.deliveries()
    assert (d["status"], d["attempts"]) == ("dead", 1)
    assert len(sink.snapshot()) == 1


async def test_dead_after_max_attempts(world: Any, sink: WebhookSink) -> None:
    sink.responses.extend([(500, {})] * 3)
    await _webhook(world, sink.url)
    await world.feed(world.pending())
    dispatcher = world.dispatcher("slack", max_attempts=3)
    for _ in range(5):
        await dispatcher.send_due()
        world.clock.advance(timedelta(minutes=10))
    (d,) = await world.deliveries()
    assert (d["status"], d["attempts"]) == ("dead", 3)
    assert len(sink.snapshot()) == 3


async def test_peer_down_then_back_gets_everything_exactly_once(
    world: Any, sink: WebhookSink
) -> None:
    await _webhook(world, sink.url)
    sink.go_down()
    for i in range(4):
        await world.feed(world.pending(request_id=f"r{i}"))
    dispatcher = world.dispatcher("slack")
    for _ in range(3):  # a minute of outage: every attempt fails and is rescheduled
        assert await dispatcher.send_due() == 0
        world.clock.advance(timedelta(seconds=20))
    assert {d["status"] for d in await world.deliveries()} == {"retrying"}
    sink.come_back()
    world.clock.advance(timedelta(minutes=5))
    assert await dispatcher.send_due() == 4
    world.clock.advance(timedelta(minutes=5))
    assert await dispatcher.send_due() == 0
    texts = [c.json()["text"] for c in sink.snapshot()]
    assert len(texts) == 4


async def test_a_hanging_peer_times_out_and_is_retried(world: Any, sink: WebhookSink) -> None:
    sink.hang_seconds = 1.0
    await _webhook(world, sink.url)
    await world.feed(world.pending())
    dispatcher = world.dispatcher("slack", send_timeout_seconds=0.2)
    assert await dispatcher.send_due() == 0
    (d,) = await world.deliveries()
    assert (d["status"], d["last_error"]) == ("retrying", "timed out")


async def test_a_slow_slack_never_delays_email(
    world: Any, sink: WebhookSink, smtp: SmtpSink
) -> None:
    sink.hang_seconds = 1.5
    await _webhook(world, sink.url)
    await _smtp(world, smtp)
    await world.feed(world.pending())
    slack, email = world.dispatcher("slack"), world.dispatcher("email")
    started = time.monotonic()
    slack_run = asyncio.create_task(slack.send_due())
    assert await email.send_due() == 1
    assert time.monotonic() - started < 1.0, "email waited for Slack"
    assert len(smtp.snapshot()) == 1
    assert await slack_run == 1


async def test_email_has_text_html_and_single_use_links(world: Any, smtp: SmtpSink) -> None:
    await _smtp(world, smtp)
    await world.feed(world.pending())
    assert await world.dispatcher("email").send_due() == 1
    (mail,) = smtp.snapshot()
    assert mail["To"] == "bo@t1.test"
    assert "Ana Lima requests Vacation" in mail["Subject"]
    plain_part, html_part = mail.get_body(("plain",)), mail.get_body(("html",))
    assert plain_part is not None
    assert html_part is not None
    text, html = plain_part.get_content(), html_part.get_content()
    # The dashboard's decide page: it acts only for the approver, signed in.
    assert "Approve: http://dash.test/decide/" in text
    assert 'href="http://dash.test/decide/' in html
    assert "http://dash.test" in text


async def test_a_refused_recipient_is_dead_with_the_codes_meaning(
    world: Any, smtp: SmtpSink
) -> None:
    smtp.refuse.add("bo@t1.test")
    await _smtp(world, smtp)
    await world.feed(world.pending())
    await world.dispatcher("email").send_due()
    (d,) = await world.deliveries()
    assert d["status"] == "dead"
    assert "550" in d["last_error"]
    assert "mailbox unavailable" in d["last_error"]


async def test_a_poisoned_template_for_one_tenant_does_not_block_another(
    world: Any, sink: WebhookSink
) -> None:
    await world.directory("t2")
    await _webhook(world, sink.url, "t1")
    await _webhook(world, sink.url, "t2")
    await world.feed(world.pending("t1"), tenant="t1")
    await world.feed(world.pending("t2", request_id="r2"), tenant="t2")
    (poisoned,) = await world.deliveries(tenant_id="t1")
    bad = from_doc(Delivery, poisoned)
    bad.payload["notice"]["kind"] = "no-such-template"

    async def save(tx: Transaction) -> None:
        await tx.put("deliveries", bad.id, to_doc(bad))

    await world.store.atomic(save)
    assert await world.dispatcher("slack").send_due() == 1
    (dead,) = await world.deliveries(tenant_id="t1")
    assert dead["status"] == "dead"
    assert "template" in dead["last_error"]
    (ok,) = await world.deliveries(tenant_id="t2")
    assert ok["status"] == "sent"


async def test_two_dispatchers_send_a_delivery_once(world: Any, sink: WebhookSink) -> None:
    await _webhook(world, sink.url)
    for i in range(5):
        await world.feed(world.pending(request_id=f"r{i}"))
    first, second = world.dispatcher("slack"), world.dispatcher("slack")
    sent = await asyncio.gather(first.send_due(), second.send_due())
    assert sum(sent) == 5
    assert len(sink.snapshot()) == 5


async def test_a_crashed_senders_claim_expires(world: Any, sink: WebhookSink) -> None:
    await _webhook(world, sink.url)
    await world.feed(world.pending())
    (doc,) = await world.deliveries()
    stuck = from_doc(Delivery, doc)
    stuck.claim_for("dead-process", world.clock.now())

    async def save(tx: Transaction) -> None:
        await tx.put("deliveries", stuck.id, to_doc(stuck))

    await world.store.atomic(save)
    dispatcher = world.dispatcher("slack")
    assert await dispatcher.send_due() == 0, "claimed by someone else"
    world.clock.advance(timedelta(minutes=5))
    assert await dispatcher.send_due() == 1
    assert len(sink.snapshot()) == 1


async def test_teams_gets_an_adaptive_card_with_signed_links(world: Any, sink: WebhookSink) -> None:
    await world.connect("teams", aad_tenant_id="aad-1", webhook_url=sink.url)
    await world.feed(world.pending())
    assert await world.dispatcher("teams").send_due() == 1
    (call,) = sink.snapshot()
    (attachment,) = call.json()["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    actions = attachment["content"]["actions"]
    assert [a["title"] for a in actions] == ["Approve", "Deny", "Open Leaveflow"]
    assert all(a["type"] == "Action.OpenUrl" for a in actions)
    assert actions[0]["url"].startswith("http://dash.test/decide/")


async def test_secrets_under_a_changed_key_fail_the_delivery_not_the_dispatcher(
    world: Any, sink: WebhookSink
) -> None:
    from cryptography.fernet import Fernet

    from leaveflow_notifications.adapters.secrets import FernetBox

    await _webhook(world, sink.url)
    await world.feed(world.pending())
    world.rewire(box=FernetBox(Fernet.generate_key()))  # the operator lost the old key
    assert await world.dispatcher("slack").send_due() == 0
    (d,) = await world.deliveries()
    assert d["status"] == "dead"
    assert "cannot be decrypted" in d["last_error"]
    assert sink.snapshot() == []
