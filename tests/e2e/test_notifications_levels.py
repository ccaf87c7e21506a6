"""Notifications per approval level on the real stack, with the loopback Slack Web API
(a recorder answering like Slack: `{"ok": true, "channel", "ts"}`) and the SMTP sink.

The requests service does not decide by levels yet on this branch, so the level events
(`LeaveLevelApproved`, `ApprovalReminderDue`, `ApprovalEscalated`, an edit's
`LeaveRepriced`, an automatic `LeaveDenied`) are published onto the requests stream here,
about real requests submitted through the API; the clicks go to the real requests API.

- a pending request asks level 1 by Slack DM; level 1 approved asks level 2 only, updates
  level 1's message in place (every level's state, no buttons) and tells the employee who
  has it now (they asked for level updates), never "approved";
- a click the requests service refuses reads as a sentence; the final approval tells the
  employee once and updates every earlier message;
- a reminder reaches the deciders, an escalation the admins, an edit the deciders with the
  new dates, an automatic denial the employee with its reason: each in the delivery log.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode
from uuid import uuid4

import httpx
import nats
import pytest
from slack_sdk.signature import SignatureVerifier

from leaveflow_contracts import (
    Approval,
    ApprovalEscalated,
    ApprovalLevelState,
    ApprovalReminderDue,
    Envelope,
    EventData,
    LeaveDenied,
    LeaveLevelApproved,
    LeaveRepriced,
    LeaveStatus,
    subject_for,
)
from leaveflow_devstack import Stack
from leaveflow_devstack.testing import Tenant, coming_monday, eventually, sign_up
from leaveflow_kit.testing import RecordedCall, WebhookSink
from leaveflow_kit.testing.smtp_sink import SmtpSink

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(240)]

SIGNING = "e2e-levels-signing-secret"
SLACK_OK = '{"ok": true, "channel": "D_DM", "ts": "1700000000.0001"}'


@pytest.fixture
def sink() -> Iterator[WebhookSink]:
    with WebhookSink() as s:
        s.ok_body = SLACK_OK
        yield s


@pytest.fixture
def smtp() -> Iterator[SmtpSink]:
    with SmtpSink() as s:
        yield s


def publish(stack: Stack, tenant_id: str, *events: EventData) -> None:
    """Onto the requests stream, as the requests service's relay would."""

    async def run() -> None:
        nc = await nats.connect(stack.nats_url)
        try:
            js = nc.jetstream()
            for data in events:
                envelope = Envelope.wrap(data, tenant_id=tenant_id)
                await js.publish(
                    subject_for("requests", envelope.type),
                    envelope.model_dump_json().encode(),
                    headers={"Nats-Msg-Id": envelope.event_id},
                )
        finally:
            await nc.close()

    asyncio.run(run())


class Office:
    """Ana (Slack U_ANA) in Ops, approved by Bo (U_BO); Ben (U_BEN) approves Finance, the
    second level in the events published here (with `levels`, Ops' own level 2). Slack by
    bot token (direct messages through the Web API recorder) or webhook, and email (the
    SMTP sink)."""

    def __init__(
        self, tenant: Tenant, sink: WebhookSink, smtp: SmtpSink, *, bot: bool, levels: bool = False
    ) -> None:
        self.tenant, self.sink, self.smtp = tenant, sink, smtp
        self.team_id = f"T{uuid4().hex[:8].upper()}"
        self.notify = tenant.urls["notifications"]
        location = tenant.location()
        self.vacation = tenant.leave_type("Vacation", location_ids=[location])
        self.bo, _ = tenant.employee(
            "Bo Berg", role="approver", location_id=location, slack_user_id="U_BO"
        )
        self.ben, _ = tenant.employee(
            "Ben Ng", role="approver", location_id=location, slack_user_id="U_BEN"
        )
        with tenant.client("requests") as http:
            for name, approver in (("Ops", self.bo), ("Finance", self.ben)):
                body: dict[str, Any] = {"name": name, "approver_ids": [approver]}
                if levels and name == "Ops":  # Bo, then Ben: the requests side's own levels
                    rules = [{"approver_ids": [self.bo]}, {"approver_ids": [self.ben]}]
                    body = {"name": name, "approval_levels": rules}
                r = http.post("/v1/departments", json=body)
                assert r.status_code == 201, r.text
                if name == "Ops":
                    self.department = str(r.json()["id"])
        self.ana_email = f"ana-{uuid4().hex[:6]}@e2e.test"
        self.ana, self.ana_token = tenant.employee(
            "Ana Lima",
            self.ana_email,
            location_id=location,
            department_id=self.department,
            slack_user_id="U_ANA",
        )
        slack: dict[str, Any] = {"team_id": self.team_id, "signing_secret": SIGNING}
        slack |= {"bot_token": "xoxb-e2e"} if bot else {"webhook_url": sink.url}
        with tenant.client("notifications") as http:
            r = http.put("/v1/integrations/slack", json=slack)
            assert r.status_code == 200, r.text
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

    def click(
        self, user: str, action: str, request_id: str, respond: str, block_id: str | None = None
    ) -> httpx.Response:
        """A button click; `block_id` that of the message's actions block (it names the
        level the buttons decide)."""
        button: dict[str, str] = {"action_id": action, "value": request_id}
        if block_id is not None:
            button["block_id"] = block_id
        payload = {
            "type": "block_actions",
            "team": {"id": self.team_id},
            "user": {"id": user},
            "actions": [button],
            "response_url": f"http://127.0.0.1:{self.sink.port}/{respond}",
        }
        return self.slack("/slack/interactions", {"payload": json.dumps(payload)})

    def wait_known(self, *users: str) -> None:
        for user in users:

            def known(user: str = user) -> bool:
                form = {
                    "team_id": self.team_id,
                    "user_id": user,
                    "command": "/vacation",
                    "text": "help",
                    "response_url": f"http://127.0.0.1:{self.sink.port}/ignored",
                }
                r = self.slack("/slack/commands", form)
                return r.status_code == 200 and "don't know" not in r.json()["text"]

            eventually(known, timeout=30, what=f"{user} known to notifications")

    def submit(self, start: date) -> dict[str, Any]:
        r = httpx.post(
            f"{self.tenant.urls['requests']}/v1/leave-requests",
            json={
                "leave_type_id": self.vacation,
                "start_date": start.isoformat(),
                "end_date": (start + timedelta(days=1)).isoformat(),
            },
            headers={"authorization": f"Bearer {self.ana_token}"},
            timeout=10,
        )
        assert r.status_code == 202, r.text
        request_id = str(r.json()["id"])
        return dict(eventually(lambda: self.pending(request_id), timeout=30, what="pending"))

    def request(self, request_id: str) -> dict[str, Any]:
        with self.tenant.client("requests") as http:
            r = http.get(f"/v1/leave-requests/{request_id}")
        assert r.status_code == 200, r.text
        return dict(r.json())

    def pending(self, request_id: str) -> dict[str, Any] | None:
        found = self.request(request_id)
        return found if found["status"] == "pending" else None

    def facts(self, request: dict[str, Any]) -> dict[str, Any]:
        """What every request event repeats, from the request as the API shows it."""
        return {
            "request_id": request["id"],
            "employee_id": self.ana,
            "leave_type_id": self.vacation,
            "start_date": request["start_date"],
            "end_date": request["end_date"],
            "amount": request["amount"],
            "department_id": self.department,
        }

    def dms(self, to: str, contains: str = "") -> list[dict[str, Any]]:
        """Direct messages the bot posted to a Slack user."""
        return [
            c.json()
            for c in self.sink.snapshot()
            if c.path == "/api/chat.postMessage"
            and c.json().get("channel") == to
            and contains in c.body.decode()
        ]

    def updates(self) -> list[dict[str, Any]]:
        return [c.json() for c in self.sink.snapshot() if c.path == "/api/chat.update"]

    def answers(self, path: str) -> list[RecordedCall]:
        return [c for c in self.sink.snapshot() if c.path == path]

    def mails_to(self, address: str, subject: str = "") -> list[Any]:
        return [
            m for m in self.smtp.snapshot() if m["To"] == address and subject in str(m["Subject"])
        ]

    def deliveries(self) -> list[dict[str, Any]]:
        with self.tenant.client("notifications") as http:
            r = http.get("/v1/deliveries", params={"limit": "200"})
        assert r.status_code == 200, r.text
        return list(r.json()["items"])


def text(message: dict[str, Any]) -> str:
    return str(message["blocks"][0]["text"]["text"])


def has_buttons(message: dict[str, Any]) -> bool:
    return any(b["type"] == "actions" for b in message["blocks"])


def block_of(message: dict[str, Any]) -> str:
    (actions,) = [b for b in message["blocks"] if b["type"] == "actions"]
    return str(actions["block_id"])


def settle(condition: Callable[[], object], what: str) -> Any:
    return eventually(condition, timeout=30, what=what)


def levels(office: Office, current: int | None, *decided: tuple[int, str, str]) -> Approval:
    states = {1: "waiting", 2: "waiting"}
    if current:
        states[current] = "pending"
    by = {}
    for level, status, who in decided:
        states[level], by[level] = status, who
    rows = [
        ApprovalLevelState(
            level=level, approver_ids=[approver], status=states[level], decided_by=by.get(level)
        )
        for level, approver in ((1, office.bo), (2, office.ben))
    ]
    deciders = [office.bo if current == 1 else office.ben] if current else []
    return Approval(current_level=current, levels=rows, deciders=deciders)


def test_two_levels_by_slack_each_asked_in_turn_and_the_employee_told_once(
    make_stack: Callable[..., Stack], sink: WebhookSink, smtp: SmtpSink
) -> None:
    stack = make_stack(env={"SLACK_API_URL": f"http://127.0.0.1:{sink.port}/api/"})
    tenant = sign_up(stack.urls)
    office = Office(tenant, sink, smtp, bot=True)
    office.wait_known("U_ANA", "U_BO", "U_BEN")
    prefs = httpx.put(
        f"{office.notify}/v1/preferences/{office.ana}",
        json={"level_updates": True},
        headers={"authorization": f"Bearer {office.ana_token}"},
        timeout=10,
    )
    assert prefs.status_code == 200, prefs.text
    assert prefs.json()["level_updates"] is True

    request = office.submit(coming_monday())
    request_id = request["id"]
    (asked_bo,) = settle(lambda: office.dms("U_BO", request_id), "level 1's Slack message")
    assert has_buttons(asked_bo)
    assert office.dms("U_BEN") == [], "level 2 is not asked before level 1 approves"

    publish(
        stack,
        tenant.tenant_id,
        LeaveLevelApproved(
            **office.facts(request),
            level=1,
            approver_id=office.bo,
            approval=levels(office, 2, (1, "approved", office.bo)),
        ),
    )
    (asked_ben,) = settle(lambda: office.dms("U_BEN", request_id), "level 2's Slack message")
    assert has_buttons(asked_ben)
    assert "Level 1: approved by Bo Berg · Level 2: waiting for Ben Ng" in text(asked_ben)
    (updated,) = settle(office.updates, "level 1's message updated")
    assert (updated["channel"], updated["ts"]) == ("D_DM", "1700000000.0001")
    assert not has_buttons(updated), "Bo decides no more"
    assert "Level 1: approved by Bo Berg · Level 2: waiting for Ben Ng" in text(updated)
    (told,) = settle(lambda: office.dms("U_ANA", "Level 1 approved"), "Ana's level update")
    assert "now with Ben Ng" in text(told)
    assert office.dms("U_ANA", "Leave approved") == []

    # A click the requests service refuses is a sentence in the chat, nothing else.
    assert office.click("U_ANA", "approve", request_id, "ana-click").status_code == 200
    (refused,) = settle(lambda: office.answers("/ana-click"), "the requester's click answered")
    assert refused.json()["replace_original"] is False
    assert "You cannot decide this request now" in refused.json()["text"]
    assert office.click("U_BEN", "approve", request_id, "ben-click").status_code == 200
    (unseen,) = settle(lambda: office.answers("/ben-click"), "Ben's click answered")
    # Ben approves another department: refused (403; a 404 where he may not even see it).
    assert unseen.json()["replace_original"] is False
    said = unseen.json()["text"]
    assert "You cannot decide this request now" in said or "not yours to see" in said, said
    assert office.request(request_id)["status"] == "pending"

    bo_block = block_of(asked_bo)
    assert office.click("U_BO", "approve", request_id, "bo-click", bo_block).status_code == 200
    (done,) = settle(lambda: office.answers("/bo-click"), "Bo's click answered")
    assert done.json()["replace_original"] is True
    assert office.request(request_id)["status"] == "approved"
    settle(lambda: office.dms("U_ANA", "Leave approved"), "Ana told it is approved")
    final = settle(lambda: office.updates()[1:] if len(office.updates()) >= 3 else None, "closed")
    assert all("Approved by Bo Berg." in text(u) and not has_buttons(u) for u in final)
    assert {text(u).split(" ")[0] for u in final} == {"<@U_BO>", "<@U_BEN>"}
    settle(lambda: office.mails_to(office.ana_email, "Leave approved"), "Ana's approval email")
    time.sleep(1.5)  # a duplicate would be here by now
    assert len(office.dms("U_ANA", "Leave approved")) == 1
    assert len(office.mails_to(office.ana_email, "Leave approved")) == 1
    assert len(office.updates()) == 3

    log = office.deliveries()
    assert {d["status"] for d in log} == {"sent"}
    by_event = {(d["event_type"], d["recipient"], d["channel"]) for d in log}
    assert ("LeaveLevelApproved", office.ben, "slack") in by_event
    assert ("LeaveLevelApproved", office.ana, "slack") in by_event
    assert ("LeaveLevelApproved", office.bo, "slack") in by_event  # the update of Bo's message


def test_reminders_escalations_edits_and_automatic_decisions_are_deliveries(
    stack: Stack, tenant: Tenant, sink: WebhookSink, smtp: SmtpSink
) -> None:
    office = Office(tenant, sink, smtp, bot=False)
    office.wait_known("U_ANA", "U_BO")
    request = office.submit(coming_monday() + timedelta(days=14))
    facts = office.facts(request)
    approval = Approval(
        current_level=1,
        levels=[ApprovalLevelState(level=1, approver_ids=[office.bo], status="pending")],
        deciders=[office.bo],
    )
    waited = datetime.now(UTC) - timedelta(hours=30)
    start = date.fromisoformat(request["start_date"])
    publish(
        stack,
        tenant.tenant_id,
        ApprovalReminderDue(
            **facts, level=1, reminder_number=1, pending_since=waited, approval=approval
        ),
        ApprovalEscalated(
            **facts,
            level=1,
            admin_ids=[tenant.admin_id],
            pending_since=waited,
            cause="waited",
            approval=approval,
        ),
        LeaveRepriced(
            **{
                **facts,
                "start_date": (start + timedelta(days=7)).isoformat(),
                "end_date": (start + timedelta(days=8)).isoformat(),
            },
            old_amount=request["amount"],
            status=LeaveStatus.PENDING,
            edited_by=office.ana,
            old_start_date=start,
            old_end_date=start + timedelta(days=1),
            approval=approval,
        ),
        LeaveDenied(
            **facts,
            approver_id="system",
            note="Still pending when the leave began.",
            approval=approval,
        ),
    )
    (escalated,) = settle(
        lambda: office.mails_to(tenant.admin_email, "Waiting too long"), "the admin's escalation"
    )
    assert "still pending, waiting for Bo Berg" in escalated.get_body(("plain",)).get_content()
    (denied,) = settle(
        lambda: office.mails_to(office.ana_email, "Leave denied"), "Ana told of the denial"
    )
    assert (
        "was denied automatically: Still pending when the leave began."
        in denied.get_body(("plain",)).get_content()
    )

    def posted(contains: str) -> list[RecordedCall]:
        return [c for c in office.answers("/hook") if contains in c.body.decode()]

    (reminded,) = settle(lambda: posted("Reminder: Ana Lima"), "the reminder in Slack")
    assert "<@U_BO>" in reminded.body.decode()
    new_span = f"{start + timedelta(days=7)} to {start + timedelta(days=8)}"
    (edited,) = settle(lambda: posted("changed their request"), "the edit in Slack")
    assert new_span in edited.body.decode()

    def logged() -> set[tuple[str, str]] | None:
        wanted = {"ApprovalReminderDue", "ApprovalEscalated", "LeaveRepriced", "LeaveDenied"}
        sent = {(d["event_type"], d["status"]) for d in office.deliveries()}
        return sent if {(t, "sent") for t in wanted} <= sent else None

    settle(logged, "every one of them sent, in the log")


def test_two_real_levels_by_slack_buttons_and_the_employee_told_once_at_the_end(
    make_stack: Callable[..., Stack], sink: WebhookSink, smtp: SmtpSink
) -> None:
    """The requests service's own levels (Ops: Bo, then Ben), decided by Slack buttons."""
    stack = make_stack(env={"SLACK_API_URL": f"http://127.0.0.1:{sink.port}/api/"})
    tenant = sign_up(stack.urls)
    office = Office(tenant, sink, smtp, bot=True, levels=True)
    office.wait_known("U_ANA", "U_BO", "U_BEN")
    request = office.submit(coming_monday())
    request_id = request["id"]
    assert request["approval"]["current_level"] == 1
    (asked_bo,) = settle(lambda: office.dms("U_BO", request_id), "level 1's Slack message")
    assert has_buttons(asked_bo)
    assert "Level 1: waiting for Bo Berg · Level 2: then Ben Ng" in text(asked_bo)
    assert office.dms("U_BEN") == [], "level 2 is not asked before level 1 approves"

    assert office.click("U_BEN", "approve", request_id, "ben-early").status_code == 200
    (early,) = settle(lambda: office.answers("/ben-early"), "Ben's early click answered")
    assert early.json()["replace_original"] is False
    assert "You cannot decide this request now" in early.json()["text"]

    bo_block = block_of(asked_bo)
    assert bo_block == f"decide:{request_id}@1"
    assert office.click("U_BO", "approve", request_id, "bo-click", bo_block).status_code == 200
    (level_one,) = settle(lambda: office.answers("/bo-click"), "Bo's click answered")
    assert level_one.json()["replace_original"] is True
    assert "now waits for level 2" in level_one.json()["text"]
    # The same button again (a stale client): level 1 is decided, level 2 is not touched.
    assert office.click("U_BO", "approve", request_id, "bo-again", bo_block).status_code == 200
    (again,) = settle(lambda: office.answers("/bo-again"), "Bo's second click answered")
    assert again.json()["replace_original"] is False
    # Bo does not decide level 2 (403 before the level's 409): a sentence either way.
    assert "You cannot decide this request now" in again.json()["text"]
    assert office.request(request_id)["approval"]["current_level"] == 2
    (asked_ben,) = settle(lambda: office.dms("U_BEN", request_id), "level 2's Slack message")
    assert has_buttons(asked_ben)
    assert "Level 1: approved by Bo Berg · Level 2: waiting for Ben Ng" in text(asked_ben)
    (updated,) = settle(office.updates, "level 1's message updated")
    assert not has_buttons(updated)
    assert "Level 1: approved by Bo Berg · Level 2: waiting for Ben Ng" in text(updated)
    assert office.dms("U_ANA", "Leave approved") == [], "not approved before the end"

    ben_block = block_of(asked_ben)
    assert ben_block == f"decide:{request_id}@2"
    assert office.click("U_BEN", "approve", request_id, "ben-click", ben_block).status_code == 200
    (final,) = settle(lambda: office.answers("/ben-click"), "Ben's click answered")
    assert final.json()["replace_original"] is True
    assert office.request(request_id)["status"] == "approved"
    settle(lambda: office.dms("U_ANA", "Leave approved"), "Ana told it is approved")
    closed = settle(lambda: office.updates()[1:] if len(office.updates()) >= 3 else None, "closed")
    assert all("Approved by Ben Ng." in text(u) and not has_buttons(u) for u in closed)
    assert all("Level 2: approved by Ben Ng" in text(u) for u in closed)
    time.sleep(1.5)  # a duplicate would be here by now
    assert len(office.dms("U_ANA", "Leave approved")) == 1
    assert len(office.dms("U_ANA")) == 1, "no level update: Ana did not ask for them"


def test_a_deny_at_real_level_two_tells_the_employee_once_and_closes_both_messages(
    make_stack: Callable[..., Stack], sink: WebhookSink, smtp: SmtpSink
) -> None:
    stack = make_stack(env={"SLACK_API_URL": f"http://127.0.0.1:{sink.port}/api/"})
    tenant = sign_up(stack.urls)
    office = Office(tenant, sink, smtp, bot=True, levels=True)
    office.wait_known("U_ANA", "U_BO", "U_BEN")
    request_id = office.submit(coming_monday())["id"]
    settle(lambda: office.dms("U_BO", request_id), "level 1's Slack message")
    assert office.click("U_BO", "approve", request_id, "bo-click").status_code == 200
    settle(lambda: office.dms("U_BEN", request_id), "level 2's Slack message")
    assert office.click("U_BEN", "deny", request_id, "ben-click").status_code == 200
    (denied,) = settle(lambda: office.answers("/ben-click"), "Ben's click answered")
    assert denied.json()["replace_original"] is True
    assert office.request(request_id)["status"] == "denied"
    (told,) = settle(lambda: office.dms("U_ANA", "Leave denied"), "Ana told of the denial")
    assert "was denied" in text(told)
    closed = settle(lambda: office.updates()[1:] if len(office.updates()) >= 3 else None, "closed")
    assert {text(u).split(" ")[0] for u in closed} == {"<@U_BO>", "<@U_BEN>"}
    assert all("Level 2: denied by Ben Ng" in text(u) for u in closed)
    settle(lambda: office.mails_to(office.ana_email, "Leave denied"), "Ana's denial email")
    time.sleep(1.5)
    assert len(office.dms("U_ANA", "Leave denied")) == 1
    assert office.dms("U_ANA", "Leave approved") == []
    assert len(office.mails_to(office.ana_email, "Leave denied")) == 1
