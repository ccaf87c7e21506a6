"""Reminders and escalation with two replicas of every service (SQLite files shared by
each service's replicas, a 3-node NATS cluster): the pending rules run on one requests
replica at a time, and a kill -9 of that replica, its takeover and its restart send no
reminder or escalation twice, and skip none. What counts is what reaches people: the
loopback Slack Web API (a recorder answering like Slack) and the SMTP sink receive each
reminder and the escalation exactly once, although two notifications replicas consume
the stream and one of them is killed and restarted in between.

Real time, so the rules are in thousandths of an hour; the approver's location is in a
zone where it is midday now, so the 09:00-18:00 window holds for the whole test.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from typing import Any
from urllib.parse import urlencode
from uuid import uuid4

import httpx
import nats
import pytest
from nats.js.api import DeliverPolicy
from slack_sdk.signature import SignatureVerifier

from leaveflow_contracts.subjects import subject_for
from leaveflow_devstack.replicas import ReplicatedStack, replica_name
from leaveflow_devstack.testing import Tenant, eventually, sign_up
from leaveflow_kit.messaging.lease import BUCKET as LEASE_BUCKET
from leaveflow_kit.testing import WebhookSink
from leaveflow_kit.testing.smtp_sink import SmtpSink

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

LEASE = "requests_approval_schedule"
RULES = {
    "remind_after_hours": 0.002,  # 7.2 s
    "remind_every_hours": 0.003,  # 10.8 s
    "max_reminders": 3,
    "escalate_after_hours": 0.004,  # 14.4 s
}


def midday_zone(now: datetime) -> str:
    """A fixed-offset zone where it is about 12:00 now."""
    offset = 12 - now.hour
    # POSIX-style names: Etc/GMT-3 is three hours *ahead* of UTC.
    return "UTC" if offset == 0 else f"Etc/GMT{-offset:+d}"


SIGNING = "e2e-ha-schedule-signing-secret"
SLACK_OK = '{"ok": true, "channel": "D_DM", "ts": "1700000000.0001"}'


@pytest.fixture(scope="module")
def slack() -> Iterator[WebhookSink]:
    with WebhookSink() as sink:
        sink.ok_body = SLACK_OK
        yield sink


@pytest.fixture(scope="module")
def smtp() -> Iterator[SmtpSink]:
    with SmtpSink() as sink:
        yield sink


@pytest.fixture(scope="module")
def ha(tmp_path_factory: pytest.TempPathFactory, slack: WebhookSink) -> Iterator[ReplicatedStack]:
    stack = ReplicatedStack(
        tmp_path_factory.mktemp("ha-schedule"),
        ready_timeout=150.0,
        env={"SLACK_API_URL": f"http://127.0.0.1:{slack.port}/api/"},
    )
    with stack:
        yield stack


def connect_slack_and_email(admin: Tenant, smtp: SmtpSink) -> str:
    """The tenant's Slack app (bot token: direct messages through the Web API recorder)
    and e-mail (the SMTP sink); returns the Slack team id."""
    team_id = f"T{uuid4().hex[:8].upper()}"
    with admin.client("notifications") as http:
        body = {"team_id": team_id, "signing_secret": SIGNING, "bot_token": "xoxb-e2e"}
        r = http.put("/v1/integrations/slack", json=body)
        assert r.status_code == 200, r.text
        mail = {"smtp_host": "127.0.0.1", "smtp_port": smtp.port, "from": "lf@e2e.test"}
        r = http.put("/v1/integrations/email", json=mail)
        assert r.status_code == 200, r.text
    return team_id


def known_to_every_notifications_replica(
    ha: ReplicatedStack, team_id: str, slack: WebhookSink, user: str
) -> None:
    """A slash command answers with the person's help once that replica's directory has
    them: asked of each replica, so neither sends to someone it does not know yet."""
    for url in ha.replica_urls("notifications"):

        def known(url: str = url) -> bool:
            form = {
                "team_id": team_id,
                "user_id": user,
                "command": "/vacation",
                "text": "help",
                "response_url": f"http://127.0.0.1:{slack.port}/ignored",
            }
            body = urlencode(form)
            ts = str(int(time.time()))
            signature = SignatureVerifier(SIGNING).generate_signature(timestamp=ts, body=body)
            assert signature is not None
            headers = {
                "content-type": "application/x-www-form-urlencoded",
                "x-slack-request-timestamp": ts,
                "x-slack-signature": signature,
            }
            r = httpx.post(f"{url}/slack/commands", content=body, headers=headers, timeout=10)
            return r.status_code == 200 and "don't know" not in r.json()["text"]

        eventually(known, timeout=60, what=f"{user} known to {url}")


def dms(slack: WebhookSink, to: str, contains: str) -> list[str]:
    """The texts of the direct messages the bot posted to a Slack user."""
    posted = [c.json() for c in slack.snapshot() if c.path == "/api/chat.postMessage"]
    texts = [json.dumps(p) for p in posted if p.get("channel") == to]
    return [t for t in texts if contains in t]


def mails(smtp: SmtpSink, to: str, subject: str) -> list[EmailMessage]:
    return [m for m in smtp.snapshot() if m["To"] == to and subject in str(m["Subject"])]


def sent_deliveries(admin: Tenant, event_type: str) -> list[dict[str, Any]]:
    with admin.client("notifications") as http:
        r = http.get("/v1/deliveries", params={"limit": "200"})
    assert r.status_code == 200, r.text
    items: list[dict[str, Any]] = r.json()["items"]
    return [d for d in items if d["event_type"] == event_type and d["status"] == "sent"]


async def _stream(url: str, event_type: str) -> list[dict[str, Any]]:
    nc = await nats.connect(servers=url.split(","))
    try:
        js = nc.jetstream()
        subject = subject_for("requests", event_type)
        sub = await js.subscribe(subject, ordered_consumer=True, deliver_policy=DeliverPolicy.ALL)
        found = []
        while True:
            try:
                message = await sub.next_msg(timeout=1.0)
            except nats.errors.TimeoutError:
                break
            found.append(json.loads(message.data))
        await sub.unsubscribe()
        return found
    finally:
        await nc.close()


def published(ha: ReplicatedStack, event_type: str, request_id: str) -> list[dict[str, Any]]:
    """What JetStream holds of `event_type` for the request (what consumers will get)."""
    events = asyncio.run(_stream(ha.cluster.url, event_type))
    return [e["data"] for e in events if e["data"].get("request_id") == request_id]


async def _holder(url: str) -> str:
    nc = await nats.connect(servers=url.split(","))
    try:
        kv = await nc.jetstream().key_value(LEASE_BUCKET)
        entry = await kv.get(LEASE)
        return (entry.value or b"").decode()
    finally:
        await nc.close()


def holding_replica(ha: ReplicatedStack) -> int:
    port = int(asyncio.run(_holder(ha.cluster.url)).rsplit(":", 1)[1])
    return ha.ports["requests"].index(port)


def test_reminders_and_escalation_run_once_across_replicas_and_a_kill(
    ha: ReplicatedStack, slack: WebhookSink, smtp: SmtpSink
) -> None:
    admin = sign_up(ha.urls(0))
    team_id = connect_slack_and_email(admin, smtp)
    office = admin.location("Office", timezone=midday_zone(datetime.now(UTC)))
    vacation = admin.leave_type("Vacation", location_ids=[office])
    bo_email = f"bo-{uuid4().hex[:6]}@e2e.test"
    bo, _ = admin.employee(
        "Bo", bo_email, role="approver", location_id=office, slack_user_id="U_BO"
    )
    with admin.client("requests") as http:
        r = http.post("/v1/departments", json={"name": "Ops", "approver_ids": [bo]})
        assert r.status_code == 201, r.text
        department = r.json()["id"]
        r = http.put("/v1/approval-settings", json=RULES)
        assert r.status_code == 200, r.text
    ana, ana_token = admin.employee("Ana", location_id=office, department_id=department)
    known_to_every_notifications_replica(ha, team_id, slack, "U_BO")
    start = date.today() + timedelta(days=60)
    while start.isoweekday() > 5:
        start += timedelta(days=1)
    day = start.isoformat()
    r = httpx.post(
        f"{ha.url('requests', 1)}/v1/leave-requests",
        json={"leave_type_id": vacation, "start_date": day, "end_date": day},
        headers={"authorization": f"Bearer {ana_token}"},
        timeout=10,
    )
    assert r.status_code == 202, r.text
    request_id = r.json()["id"]

    def pending() -> bool:
        with admin.client("requests") as http:
            return bool(http.get(f"/v1/leave-requests/{request_id}").json()["status"] == "pending")

    eventually(pending, timeout=30, what="request pending")

    def reminded(count: int) -> list[dict[str, Any]] | None:
        sent = published(ha, "ApprovalReminderDue", request_id)
        return sent if len(sent) >= count else None

    first = eventually(lambda: reminded(1), timeout=40, what="first reminder")
    assert [(e["reminder_number"], e["approval"]["deciders"]) for e in first] == [(1, [bo])]
    eventually(
        lambda: sent_deliveries(admin, "ApprovalReminderDue") or None,
        timeout=30,
        what="the first reminder delivered",
    )
    # One notifications replica dies between deliveries; the other consumes the rest.
    ha.kill(replica_name("notifications", 0))

    # The replica running the schedule dies; the other takes over once its lease ages out.
    victim = replica_name("requests", holding_replica(ha))
    ha.kill(victim)
    sent = eventually(lambda: reminded(3), timeout=90, what="all three reminders")
    escalated = eventually(
        lambda: published(ha, "ApprovalEscalated", request_id) or None,
        timeout=30,
        what="escalation",
    )
    ha.start_process(victim)  # a restart reads what was sent, and sends none of it again
    ha.start_process(replica_name("notifications", 0))
    time.sleep(RULES["remind_every_hours"] * 3600 + 2)  # past when a 4th would be due
    sent = published(ha, "ApprovalReminderDue", request_id)
    assert [e["reminder_number"] for e in sent] == [1, 2, 3]
    assert len({e["reminder_number"] for e in sent}) == 3
    escalated = published(ha, "ApprovalEscalated", request_id)
    assert len(escalated) == 1
    assert escalated[0]["admin_ids"] == [admin.admin_id]
    assert escalated[0]["cause"] == "waited"
    assert ana == sent[0]["employee_id"]

    # What reached people: Bo's three reminders, once each, by Slack and by e-mail; the
    # admin's escalation once. A consumer replaying or two replicas racing would show
    # here as a second copy, even where the stream holds each event once.
    reminder = "Reminder: Ana requests Vacation"
    eventually(
        lambda: len(dms(slack, "U_BO", reminder)) >= 3,
        timeout=30,
        what="three reminders in Slack",
    )
    eventually(
        lambda: len(mails(smtp, bo_email, reminder)) >= 3,
        timeout=30,
        what="three reminder e-mails",
    )
    escalation = "Waiting too long: Ana requests Vacation"
    eventually(
        lambda: mails(smtp, admin.admin_email, escalation) or None,
        timeout=30,
        what="the escalation e-mail",
    )
    time.sleep(3)  # a duplicate would be here by now
    assert len(dms(slack, "U_BO", reminder)) == 3
    assert len(mails(smtp, bo_email, reminder)) == 3
    assert len(mails(smtp, admin.admin_email, escalation)) == 1
    assert dms(slack, "U_BO", escalation) == [], "the escalation is the admins' alone"
    logged = sent_deliveries(admin, "ApprovalReminderDue")
    assert sorted((d["recipient"], d["channel"]) for d in logged) == [
        (bo, "email"),
        (bo, "email"),
        (bo, "email"),
        (bo, "slack"),
        (bo, "slack"),
        (bo, "slack"),
    ]
