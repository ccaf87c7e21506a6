"""The Slack app on the real stack, against a local Slack Web API (slack_sdk's clients in
notifications pointed at it with SLACK_API_URL): "Add to Slack" through a local
`oauth.v2.access`, a person's consent to the status, the App Home with the real services'
numbers, an approval clicked in the approver's Home, the status set when the approved
leave runs (the real clock, a one-second round) and cleared when an admin cancels it, and
`/vacation` with no arguments opening the modal."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit
from uuid import uuid4

import httpx
import pytest
from aiohttp import web
from slack_sdk.models.views import View
from slack_sdk.signature import SignatureVerifier

from leaveflow_devstack import Stack
from leaveflow_devstack.testing import eventually, sign_up
from leaveflow_kit.testing import RecordedCall, WebhookSink

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(240)]

SIGNING = "e2e-slack-app-signing"


class SlackApi(WebhookSink):
    """The sink, answering each Web API method from `answers` (else `{"ok": true}`)."""

    def __init__(self) -> None:
        super().__init__(ok_body=json.dumps({"ok": True}))
        self.answers: dict[str, dict[str, Any]] = {}

    async def _handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        with self._lock:
            self.calls.append(RecordedCall(request.path, dict(request.headers), body))
            answer = self.answers.get(request.path.removeprefix("/api/"), {"ok": True})
        return web.json_response(answer)

    def sent(self, method: str) -> list[RecordedCall]:
        return [c for c in self.snapshot() if c.path == f"/api/{method}"]


@pytest.fixture
def slack_api() -> Iterator[SlackApi]:
    api = SlackApi()
    with api:
        yield api


def _signed(body: str, content_type: str) -> dict[str, str]:
    ts = str(int(time.time()))
    signature = SignatureVerifier(SIGNING).generate_signature(timestamp=ts, body=body)
    assert signature is not None
    return {
        "content-type": content_type,
        "x-slack-request-timestamp": ts,
        "x-slack-signature": signature,
    }


def _authorize(http: httpx.Client, install_url: str) -> str:
    """Follow our install link to Slack's authorize page; the state it carries."""
    redirect = http.get(install_url)
    assert redirect.status_code == 302, redirect.text
    query = parse_qs(urlsplit(redirect.headers["location"]).query)
    return query["state"][0]


def test_install_home_approval_status_and_modal(
    make_stack: Callable[..., Stack], slack_api: SlackApi
) -> None:
    stack = make_stack(
        env={
            "SLACK_API_URL": f"http://127.0.0.1:{slack_api.port}/api/",
            "SLACK_CLIENT_ID": "123.456",
            "SLACK_CLIENT_SECRET": "e2e-client-secret",
            "SLACK_SIGNING_SECRET": SIGNING,
            "SLACK_AUTHORIZE_URL": "https://slack.test/oauth/v2/authorize",
            "SLACK_STATUS_INTERVAL": "1",
        }
    )
    tenant = sign_up(stack.urls)
    notify = tenant.urls["notifications"]
    team_id = f"T{uuid4().hex[:8].upper()}"
    location = tenant.location()
    vacation = tenant.leave_type("Vacation", location_ids=[location])
    bo, _ = tenant.employee("Bo Berg", role="approver", location_id=location, slack_user_id="U_BO")
    with tenant.client("requests") as admin:
        r = admin.post("/v1/departments", json={"name": "Ops", "approver_ids": [bo]})
        assert r.status_code == 201, r.text
        department = r.json()["id"]
    _, ana_token = tenant.employee(
        "Ana Lima", location_id=location, department_id=department, slack_user_id="U_ANA"
    )

    # 1. "Add to Slack": the admin's link, Slack's redirect back, the tokens kept.
    with tenant.client("notifications") as admin:
        link = admin.get("/v1/integrations/slack/install")
    assert link.status_code == 200, link.text
    slack_api.answers["oauth.v2.access"] = {
        "ok": True,
        "app_id": "A1",
        "token_type": "bot",
        "access_token": "xoxb-e2e",
        "bot_user_id": "UBOT",
        "team": {"id": team_id, "name": "E2E"},
        "authed_user": {"id": "U_ADMIN", "access_token": "xoxp-admin", "token_type": "user"},
    }
    with httpx.Client(base_url=notify, timeout=10) as browser:
        state = _authorize(browser, link.json()["url"])
        done = browser.get("/slack/oauth_redirect", params={"code": "c1", "state": state})
    assert done.status_code == 303, done.text
    assert done.headers["location"].endswith("/admin/integrations?slack=installed")
    with tenant.client("notifications") as admin:
        listed = admin.get("/v1/integrations").json()["slack"]
    assert listed["team_id"] == team_id
    assert listed["has_bot_token"] is True
    assert "xoxb-e2e" not in json.dumps(listed)

    def event(payload: dict[str, Any]) -> None:
        body = json.dumps(payload)
        r = httpx.post(
            f"{notify}/slack/events",
            content=body,
            headers=_signed(body, "application/json"),
            timeout=10,
        )
        assert r.status_code == 200, r.text

    def home_of(user: str, after: int) -> dict[str, Any]:
        """`user`'s Home as published after the first `after` publishes."""

        def published() -> list[RecordedCall]:
            calls = slack_api.sent("views.publish")[after:]
            return [c for c in calls if c.json()["user_id"] == user]

        (call,) = eventually(published, timeout=30, what=f"{user}'s App Home")
        view: dict[str, Any] = call.json()["view"]
        assert View(**view).to_dict() == view  # valid Block Kit
        return view

    def opened(user: str) -> dict[str, Any]:
        before = len(slack_api.sent("views.publish"))
        event(
            {
                "type": "event_callback",
                "team_id": team_id,
                "event": {"type": "app_home_opened", "user": user, "tab": "home"},
            }
        )
        return home_of(user, before)

    # 2. Ana's Home: her balance from balances; her consent to the status while away.
    def ana_known() -> dict[str, Any] | None:
        view = opened("U_ANA")
        return view if "Leaveflow for Ana Lima" in json.dumps(view) else None

    ana_home = eventually(ana_known, timeout=30, what="Ana known to notifications")
    assert "Vacation: 25" in json.dumps(ana_home)
    connect = next(
        e["url"] for e in ana_home["blocks"][1]["elements"] if e["action_id"] == "status_connect"
    )
    slack_api.answers["oauth.v2.access"] = {
        "ok": True,
        "team": {"id": team_id},
        "authed_user": {"id": "U_ANA", "access_token": "xoxp-ana", "token_type": "user"},
    }
    with httpx.Client(timeout=10) as browser:
        state = _authorize(browser, connect)
        consent = browser.get(
            f"{notify}/slack/oauth_redirect", params={"code": "c2", "state": state}
        )
    assert consent.status_code == 200
    assert "Status while away is on" in consent.text

    # 3. Ana asks for leave from today; Bo approves it from his Home.
    today = datetime.now(UTC).date()  # the tenant and its location are on UTC
    r = httpx.post(
        f"{tenant.urls['requests']}/v1/leave-requests",
        json={
            "leave_type_id": vacation,
            "start_date": today.isoformat(),
            "end_date": (today + timedelta(days=3)).isoformat(),
        },
        headers={"authorization": f"Bearer {ana_token}"},
        timeout=10,
    )
    assert r.status_code == 202, r.text
    request_id = r.json()["id"]

    def bo_can_decide() -> dict[str, Any] | None:
        view = opened("U_BO")
        return view if f"decide:{request_id}@1" in json.dumps(view) else None

    bo_home = eventually(bo_can_decide, timeout=30, what="the request in Bo's queue")
    assert any(b.get("block_id") == f"decide:{request_id}@1" for b in bo_home["blocks"])
    before = len(slack_api.sent("views.publish"))
    click = {
        "type": "block_actions",
        "team": {"id": team_id},
        "user": {"id": "U_BO"},
        "view": {"id": "VH", "type": "home"},
        "actions": [
            {
                "action_id": "approve",
                "block_id": f"decide:{request_id}@1",
                "value": request_id,
                "type": "button",
            }
        ],
    }
    form = httpx.QueryParams({"payload": json.dumps(click)})
    r = httpx.post(
        f"{notify}/slack/interactions",
        content=str(form),
        headers=_signed(str(form), "application/x-www-form-urlencoded"),
        timeout=10,
    )
    assert r.status_code == 200, r.text
    after = home_of("U_BO", before)
    assert "Approved" in json.dumps(after)
    with tenant.client("requests") as admin:
        assert admin.get(f"/v1/leave-requests/{request_id}").json()["status"] == "approved"

    # 4. The leave runs today: Ana's status shows it (her token), expiring at its end.
    def statuses() -> list[dict[str, Any]]:
        return [c.json()["profile"] for c in slack_api.sent("users.profile.set")]

    (shown,) = eventually(statuses, timeout=30, what="Ana's status set")
    last = today + timedelta(days=3)
    assert shown["status_text"] == f"On vacation until {last.day} {last.strftime('%b')}"
    assert shown["status_emoji"] == ":palm_tree:"
    assert [c.headers["Authorization"] for c in slack_api.sent("users.profile.set")] == [
        "Bearer xoxp-ana"
    ]

    # 5. An admin cancels it: the status is cleared, once.
    with tenant.client("requests") as admin:
        r = admin.post(f"/v1/leave-requests/{request_id}/cancel", json={"note": "plans changed"})
    assert r.status_code == 200, r.text
    eventually(lambda: len(statuses()) == 2, timeout=30, what="Ana's status cleared")
    assert statuses()[1] == {"status_text": "", "status_emoji": "", "status_expiration": 0}

    # 6. /vacation with no arguments opens the request modal.
    command = httpx.QueryParams(
        {
            "team_id": team_id,
            "user_id": "U_ANA",
            "command": "/vacation",
            "text": "",
            "trigger_id": "trig-e2e",
            "response_url": "http://127.0.0.1:9/unused",
        }
    )
    r = httpx.post(
        f"{notify}/slack/commands",
        content=str(command),
        headers=_signed(str(command), "application/x-www-form-urlencoded"),
        timeout=10,
    )
    assert r.status_code == 200, r.text
    (modal,) = eventually(lambda: slack_api.sent("views.open"), timeout=20, what="the modal")
    assert modal.json()["trigger_id"] == "trig-e2e"
    view = modal.json()["view"]
    assert View(**view).to_dict() == view
    assert view["callback_id"] == "leaveflow_request"
