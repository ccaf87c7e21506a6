"""Notifications on the real stack, with real local peers: a loopback HTTP recorder for
Slack (webhook and response_url), an aiosmtpd SMTP server, and Slack requests signed
with the real algorithm.

- submit in Slack -> approver gets Block Kit buttons -> the click approves -> the employee
  hears it once in Slack and by email; a second click decides nothing;
- a redelivered event sends nothing twice;
- a dead delivery shows in the log and a retry sends it;
- an email Approve link shows a confirmation page, its POST decides, reuse is 410;
- `balance` and `whosoff` answer through `response_url` with the real services' numbers;
- the webhook peer down (connection refused) for a while, then back: each message once.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode
from uuid import uuid4

import httpx
import nats
import pytest
from slack_sdk.signature import SignatureVerifier

from leaveflow_contracts import stream_for, subject_for
from leaveflow_devstack import Stack
from leaveflow_devstack.testing import Tenant, eventually
from leaveflow_kit.testing import RecordedCall, WebhookSink
from leaveflow_kit.testing.smtp_sink import SmtpSink

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(180)]

SIGNING = "e2e-slack-signing-secret"
MONDAY = date(date.today().year + 2, 3, 1)
while MONDAY.isoweekday() != 1:
    MONDAY += timedelta(days=1)


@pytest.fixture
def sink() -> Iterator[WebhookSink]:
    with WebhookSink() as s:
        yield s


@pytest.fixture
def smtp() -> Iterator[SmtpSink]:
    with SmtpSink() as s:
        yield s


class Team:
    """A tenant with Ana (user, Slack U_ANA) in a department approved by Bo (Slack U_BO),
    connected to Slack (webhook = the sink) and email (the SMTP sink)."""

    def __init__(self, tenant: Tenant, sink: WebhookSink, smtp: SmtpSink | None) -> None:
        self.tenant, self.sink = tenant, sink
        self.team_id = f"T{uuid4().hex[:8].upper()}"
        self.notify = tenant.urls["notifications"]
        location = tenant.location()
        self.vacation = tenant.leave_type("Vacation", location_ids=[location])
        self.bo_email = f"bo-{uuid4().hex[:6]}@e2e.test"
        self.bo, self.bo_token = tenant.employee(
            "Bo Berg", self.bo_email, role="approver", location_id=location, slack_user_id="U_BO"
        )
        with tenant.client("requests") as http:
            r = http.post("/v1/departments", json={"name": "Ops", "approver_ids": [self.bo]})
            assert r.status_code == 201, r.text
            department = r.json()["id"]
        self.ana_email = f"ana-{uuid4().hex[:6]}@e2e.test"
        self.ana, self.ana_token = tenant.employee(
            "Ana Lima",
            self.ana_email,
            location_id=location,
            department_id=department,
            slack_user_id="U_ANA",
        )
        with tenant.client("notifications") as http:
            r = http.put(
                "/v1/integrations/slack",
                json={"team_id": self.team_id, "webhook_url": sink.url, "signing_secret": SIGNING},
            )
            assert r.status_code == 200, r.text
            assert SIGNING not in r.text
            if smtp is not None:
                r = http.put(
                    "/v1/integrations/email",
                    json={"smtp_host": "127.0.0.1", "smtp_port": smtp.port, "from": "lf@e2e.test"},
                )
                assert r.status_code == 200, r.text

    def slack(self, path: str, form: dict[str, str]) -> httpx.Response:
        body = urlencode(form)
        ts = str(int(time.time()))
        signature = SignatureVerifier(SIGNING).generate_signature(timestamp=ts, body=body)
        assert signature is not None
        headers = {
            "content-type": "application/x-www-form-urlencoded",
            "x-slack-request-timestamp": ts,
            "x-slack-signature": signature,
        }
        return httpx.post(self.notify + path, content=body, headers=headers, timeout=10)

    def command(self, user: str, text: str, respond: str) -> httpx.Response:
        return self.slack(
            "/slack/commands",
            {
                "team_id": self.team_id,
                "user_id": user,
                "command": "/vacation",
                "text": text,
                "response_url": f"http://127.0.0.1:{self.sink.port}/{respond}",
            },
        )

    def click(self, user: str, action: str, request_id: str, respond: str) -> httpx.Response:
        payload = {
            "type": "block_actions",
            "team": {"id": self.team_id},
            "user": {"id": user},
            "actions": [{"action_id": action, "value": request_id}],
            "response_url": f"http://127.0.0.1:{self.sink.port}/{respond}",
        }
        return self.slack("/slack/interactions", {"payload": json.dumps(payload)})

    def wait_known(self, user: str) -> None:
        """Until notifications' replica knows the user (events travel asynchronously)."""

        def known() -> bool:
            r = self.command(user, "help", "ignored")
            return r.status_code == 200 and "don't know" not in r.json()["text"]

        eventually(known, timeout=20, what=f"{user} known to notifications")

    def posted(self, path: str = "/hook", contains: str = "") -> list[RecordedCall]:
        return [c for c in self.sink.snapshot() if c.path == path and contains in c.body.decode()]

    def request(self, request_id: str) -> dict[str, Any]:
        with self.tenant.client("requests") as http:
            r = http.get(f"/v1/leave-requests/{request_id}")
        assert r.status_code == 200, r.text
        return dict(r.json())

    def deliveries(self, **params: str) -> list[dict[str, Any]]:
        with self.tenant.client("notifications") as http:
            r = http.get("/v1/deliveries", params=params)
        assert r.status_code == 200, r.text
        return list(r.json()["items"])

    def submit(self) -> str:
        r = httpx.post(
            f"{self.tenant.urls['requests']}/v1/leave-requests",
            json={
                "leave_type_id": self.vacation,
                "start_date": MONDAY.isoformat(),
                "end_date": (MONDAY + timedelta(days=1)).isoformat(),
            },
            headers={"authorization": f"Bearer {self.ana_token}"},
            timeout=10,
        )
        assert r.status_code == 202, r.text
        return str(r.json()["id"])


def test_slack_request_approve_by_button_and_employee_told_once(
    tenant: Tenant, sink: WebhookSink, smtp: SmtpSink
) -> None:
    team = Team(tenant, sink, smtp)
    team.wait_known("U_ANA")
    team.wait_known("U_BO")

    started = time.monotonic()
    r = team.command("U_ANA", f"request {MONDAY} {MONDAY + timedelta(days=1)} vac beach", "ana")
    assert r.status_code == 200, r.text
    assert time.monotonic() - started < 3.0, "Slack wants the ack within 3 s"
    (reply,) = eventually(lambda: team.posted("/ana"), timeout=20, what="reply to Ana")
    assert "Requested Vacation" in reply.json()["text"], reply.json()

    def buttons() -> list[dict[str, Any]]:
        for call in team.posted("/hook", "<@U_BO>"):
            for block in call.json()["blocks"]:
                if block["type"] == "actions":
                    return list(block["elements"])
        return []

    elements = eventually(buttons, timeout=20, what="approver's Block Kit message")
    assert [e["action_id"] for e in elements] == ["approve", "deny"]
    request_id = elements[0]["value"]
    assert team.request(request_id)["status"] == "pending"

    assert team.click("U_BO", "approve", request_id, "bo").status_code == 200
    (outcome,) = eventually(lambda: team.posted("/bo"), timeout=20, what="button outcome")
    assert outcome.json()["replace_original"] is True
    assert "Approved" in outcome.json()["text"]
    assert team.request(request_id)["status"] == "approved"

    # A second click (say, from a stale client) decides nothing.
    assert team.click("U_BO", "deny", request_id, "bo").status_code == 200
    calls = eventually(
        lambda: [c for c in team.posted("/bo") if c is not outcome] or None,
        timeout=20,
        what="second click answer",
    )
    assert calls[-1].json()["replace_original"] is False
    assert "no longer pending" in calls[-1].json()["text"]
    history = team.request(request_id)["history"]
    assert team.request(request_id)["status"] == "approved"
    assert len([h for h in history if "approved" in json.dumps(h)]) == 1

    eventually(lambda: team.posted("/hook", "Leave approved"), timeout=20, what="Slack outcome")
    eventually(
        lambda: [m for m in smtp.snapshot() if m["To"] == team.ana_email],
        timeout=20,
        what="email outcome",
    )
    time.sleep(1.5)  # a duplicate would arrive by now
    assert len(team.posted("/hook", "Leave approved")) == 1
    assert len([m for m in smtp.snapshot() if m["To"] == team.ana_email]) == 1


def test_bad_signature_is_401_and_does_nothing(tenant: Tenant, sink: WebhookSink) -> None:
    team = Team(tenant, sink, None)
    body = urlencode({"team_id": team.team_id, "user_id": "U_ANA", "text": "balance"})
    stale = str(int(time.time()) - 600)
    signature = SignatureVerifier(SIGNING).generate_signature(timestamp=stale, body=body)
    assert signature is not None
    r = httpx.post(
        team.notify + "/slack/commands",
        content=body,
        headers={
            "content-type": "application/x-www-form-urlencoded",
            "x-slack-request-timestamp": stale,
            "x-slack-signature": signature,
        },
        timeout=10,
    )
    assert r.status_code == 401
    assert r.headers["content-type"].startswith("application/problem+json")


async def _republish_last(stack: Stack, event_type: str) -> dict[str, Any]:
    nc = await nats.connect(stack.nats_url)
    try:
        js = nc.jetstream()
        subject = subject_for("requests", event_type)
        last = await js.get_last_msg(stream_for("requests"), subject)
        assert last.data is not None
        # A new message id: the server's dedupe window cannot save us, only our own records.
        await js.publish(subject, last.data, headers={"Nats-Msg-Id": f"again-{uuid4().hex}"})
        return dict(json.loads(last.data))
    finally:
        await nc.close()


def test_a_redelivered_event_never_sends_twice(
    stack: Stack, tenant: Tenant, sink: WebhookSink
) -> None:
    team = Team(tenant, sink, None)
    team.wait_known("U_BO")
    request_id = team.submit()
    eventually(lambda: team.posted("/hook", "<@U_BO>"), timeout=20, what="pending message")
    envelope = asyncio.run(_republish_last(stack, "LeavePending"))
    assert envelope["data"]["request_id"] == request_id
    time.sleep(2.0)
    assert len(team.posted("/hook", "<@U_BO>")) == 1
    pending = [d for d in team.deliveries() if d["event_type"] == "LeavePending"]
    # A Slack webhook is a shared channel: one post per event, its recipient the channel.
    assert [(d["channel"], d["recipient"], d["status"]) for d in pending] == [
        ("slack", "channel", "sent")
    ]


def test_a_dead_delivery_shows_and_retry_sends_it(
    stack: Stack, tenant: Tenant, sink: WebhookSink
) -> None:
    sink.responses.append((404, {}))  # the webhook was removed... then fixed
    team = Team(tenant, sink, None)
    team.submit()
    (dead,) = eventually(
        lambda: team.deliveries(status="dead", channel="slack"), timeout=20, what="dead delivery"
    )
    assert "404" in dead["last_error"]
    assert dead["recipient"] == "channel", "the webhook's channel, one post per event"
    with tenant.client("notifications") as http:
        assert http.post(f"/v1/deliveries/{dead['id']}/retry").status_code == 202
    eventually(
        lambda: [d for d in team.deliveries(status="sent") if d["id"] == dead["id"]],
        timeout=20,
        what="retried delivery sent",
    )
    assert len(team.posted("/hook", "<@U_BO>")) == 2
    log = stack.log_path("notifications").read_text()
    assert f":{sink.port}/hook" not in log, "a webhook URL is a secret"
    assert SIGNING not in log


def test_email_link_opens_the_dashboard_and_decides_once_for_its_approver(
    tenant: Tenant, sink: WebhookSink, smtp: SmtpSink
) -> None:
    team = Team(tenant, sink, smtp)
    request_id = team.submit()
    (mail,) = eventually(
        lambda: [m for m in smtp.snapshot() if m["To"] == team.bo_email],
        timeout=20,
        what="approver's email",
    )
    plain = mail.get_body(("plain",))
    assert plain is not None, mail
    text = plain.get_content()
    approve = re.search(r"Approve: (\S+)", text)
    assert approve is not None, text
    link = approve.group(1)
    assert link.startswith(tenant.urls["web"] + "/decide/"), "the dashboard's decide page"
    token = link.rsplit("/", 1)[1]
    api = f"{team.notify}/v1/actions/{token}"
    bo = {"authorization": f"Bearer {team.bo_token}"}
    ana = {"authorization": f"Bearer {team.ana_token}"}

    old = httpx.post(f"{team.notify}/actions/{token}", timeout=10)
    assert old.status_code == 303
    assert old.headers["location"] == link
    assert httpx.get(api, timeout=10).status_code == 401
    assert httpx.get(api, headers=ana, timeout=10).status_code == 404, "not Ana's link"
    assert httpx.post(api, json={"note": None}, headers=ana, timeout=10).status_code == 404
    page = httpx.get(api, headers=bo, timeout=10)
    assert page.status_code == 200, page.text
    assert page.json()["request_id"] == request_id
    assert page.json()["decision"] == "approve"
    assert page.json()["employee_name"] == "Ana Lima"
    assert team.request(request_id)["status"] == "pending", "looking must not decide"

    decided = httpx.post(api, json={"note": "enjoy"}, headers=bo, timeout=10)
    assert decided.status_code == 200, decided.text
    assert decided.json() == {"request_id": request_id, "status": "approved"}
    assert team.request(request_id)["status"] == "approved"
    assert httpx.post(api, json={"note": None}, headers=bo, timeout=10).status_code == 409
    deny = re.search(r"Deny: (\S+)", text)
    assert deny is not None
    deny_api = f"{team.notify}/v1/actions/{deny.group(1).rsplit('/', 1)[1]}"
    assert httpx.post(deny_api, json={}, headers=bo, timeout=10).status_code == 409, (
        "one decision per message"
    )


def test_balance_and_whosoff_answer_through_response_url(tenant: Tenant, sink: WebhookSink) -> None:
    team = Team(tenant, sink, None)
    team.wait_known("U_ANA")
    request_id = team.submit()
    eventually(lambda: team.request(request_id)["status"] == "pending", what="pending")
    with tenant.client("requests") as http:
        assert http.post(f"/v1/leave-requests/{request_id}/approve", json={}).status_code == 200

    assert team.command("U_ANA", "balance", "balance").status_code == 200
    (balance,) = eventually(lambda: team.posted("/balance"), timeout=20, what="balance reply")
    assert "Vacation:" in balance.json()["text"], balance.json()
    assert "available" in balance.json()["text"]

    def ask_and_see() -> RecordedCall | None:
        """Ask again until the calendar's projection has caught up with the approval."""
        before = len(team.posted("/whosoff"))
        team.command("U_ANA", f"whosoff {MONDAY}", "whosoff")
        (reply,) = eventually(lambda: team.posted("/whosoff")[before:], timeout=5)
        return reply if "Ana Lima" in reply.json()["text"] else None

    whosoff = eventually(ask_and_see, timeout=20, what="Ana in who's off")
    assert f"Off on {MONDAY}" in whosoff.json()["text"]


# Its retry back-off is timed against a 20 s budget: alone on the machine.
@pytest.mark.serial
def test_webhook_down_then_back_every_message_arrives_once(
    make_stack: Any, sink: WebhookSink
) -> None:
    from leaveflow_devstack.testing import sign_up

    stack: Stack = make_stack(
        env={"NOTIFICATIONS_MAX_BACKOFF": "1.5", "NOTIFICATIONS_MAX_ATTEMPTS": "30"}
    )
    team = Team(sign_up(stack.urls), sink, None)
    team.wait_known("U_BO")
    sink.go_down()
    submitted = []
    for week in range(3):
        r = httpx.post(
            f"{team.tenant.urls['requests']}/v1/leave-requests",
            json={
                "leave_type_id": team.vacation,
                "start_date": (MONDAY + timedelta(weeks=week)).isoformat(),
                "end_date": (MONDAY + timedelta(weeks=week)).isoformat(),
            },
            headers={"authorization": f"Bearer {team.ana_token}"},
            timeout=10,
        )
        assert r.status_code == 202, r.text
        submitted.append(r.json()["id"])
    eventually(lambda: len(team.deliveries(status="retrying")) == 3, timeout=20, what="retrying")
    time.sleep(4)  # the peer stays down through several attempts
    assert team.deliveries(status="sent") == []
    sink.come_back()
    eventually(lambda: len(team.deliveries(status="sent")) == 3, timeout=20, what="all sent")
    time.sleep(2)  # a duplicate would arrive by now
    posts = team.posted("/hook", "<@U_BO>")
    assert len(posts) == 3
    for request_id in submitted:
        assert len([p for p in posts if request_id in p.body.decode()]) == 1
