"""The Events API at /slack/events: the signed URL check, the App Home published on
`app_home_opened` (the exact `views.publish` payload, valid Block Kit), deciding from the
Home, and the workspace's uninstall and token revocations."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from leaveflow_notifications.service_layer.collections import SLACK_USERS, slack_user_key

from .conftest import Call, LocalPeer, SlackApi, SlackApp, caller_of, valid_view


def _today(app: SlackApp) -> date:
    today: date = app.world.clock.now().date()
    return today


def _requests(today: date) -> list[dict[str, Any]]:
    """Ana's: one approved ahead, one pending at level 1 of 2 (Bo decides it)."""
    ahead, later = today + timedelta(days=10), today + timedelta(days=20)
    return [
        {
            "id": "r-later",
            "employee_id": "t1-ana",
            "leave_type_id": "vac",
            "start_date": later.isoformat(),
            "end_date": (later + timedelta(days=1)).isoformat(),
            "amount": 2.0,
            "unit": "days",
            "status": "pending",
            "reason": "Family visit",
            "approval": {
                "current_level": 1,
                "levels": [
                    {"level": 1, "approver_ids": ["t1-bo"], "status": "pending"},
                    {"level": 2, "approver_ids": ["t1-cy"], "status": "waiting"},
                ],
            },
        },
        {
            "id": "r-ahead",
            "employee_id": "t1-ana",
            "leave_type_id": "vac",
            "start_date": ahead.isoformat(),
            "end_date": ahead.isoformat(),
            "amount": 1.0,
            "unit": "days",
            "status": "approved",
            "reason": None,
            "approval": None,
        },
    ]


@pytest.fixture
async def installed(slack_app: SlackApp, leaveflow: LocalPeer) -> SlackApp:
    """T1 installed through OAuth (no signing secret of its own), Ana with a balance and
    requests, Bo seeing Ana's pending one."""
    await slack_app.world.integrations.connect(
        "t1", "slack", {"team_id": "T1", "bot_token": "xoxb-bot", "bot_user_id": "UBOT"}
    )
    today = _today(slack_app)
    items = _requests(today)

    def listing(call: Call) -> tuple[int, Any]:
        if call.query.get("status") == "pending":
            found = [i for i in items if i["status"] == "pending"]
        else:
            found = [i for i in items if i["employee_id"] == call.query.get("employee_id")]
        return 200, {"items": found, "next_cursor": None}

    leaveflow.routes |= {
        "GET /v1/leave-types": {
            "items": [{"id": "vac", "name": "Vacation", "unit": "days", "allow_half_days": True}]
        },
        "GET /v1/balances/t1-ana": {
            "balances": [
                {
                    "leave_type_id": "vac",
                    "unit": "days",
                    "available": "18.5",
                    "used": "4",
                    "pending": "2",
                }
            ]
        },
        "GET /v1/balances/t1-bo": {"balances": []},
        "GET /v1/leave-requests": listing,
        "POST /v1/leave-requests/r-later/approve": lambda c: (
            200,
            {
                **items[0],
                "start_date": items[0]["start_date"],
                "status": "pending",
                "approval": {"current_level": 2, "levels": []},
            },
        ),
    }
    return slack_app


def _opened(user: str, team: str = "T1") -> dict[str, Any]:
    return {
        "type": "event_callback",
        "team_id": team,
        "event": {"type": "app_home_opened", "user": user, "channel": "D1", "tab": "home"},
    }


async def test_url_verification_answers_the_challenge_only_when_signed(
    slack_app: SlackApp,
) -> None:
    check = {"type": "url_verification", "token": "x", "challenge": "c-123"}
    answer = await slack_app.event(check)
    assert answer.status_code == 200
    assert answer.json() == {"challenge": "c-123"}
    forged = await slack_app.event(check, secret="not-ours")
    assert forged.status_code == 401


async def test_app_home_opened_publishes_the_persons_home(
    installed: SlackApp, slack_api: SlackApi, leaveflow: LocalPeer
) -> None:
    assert (await installed.event(_opened("U_ANA"))).status_code == 200
    await installed.settled()

    [publish] = slack_api.sent("views.publish")
    assert publish.headers["Authorization"] == "Bearer xoxb-bot"
    sent = publish.json()
    assert sent["user_id"] == "U_ANA"
    view = valid_view(sent["view"])
    today = _today(installed)
    ahead, later = today + timedelta(days=10), today + timedelta(days=20)
    assert view["type"] == "home"
    today = _today(installed)
    ahead, later = today + timedelta(days=10), today + timedelta(days=20)
    buttons = view["blocks"][1]["elements"]
    connect_url = buttons[1].pop("url")
    assert view == {
        "type": "home",
        "callback_id": "leaveflow_home",
        "blocks": [
            _header("Leaveflow for Ana Lima"),
            {
                "type": "actions",
                "block_id": "home_actions",
                "elements": [
                    _button("Request leave", "open_request_modal", style="primary"),
                    _button("Show my leave in my Slack status", "status_connect"),
                ],
            },
            {"type": "divider"},
            _section("*Balances*"),
            _section("• Vacation: 18.5 days available (4 used, 2 pending)"),
            {"type": "divider"},
            _section("*Upcoming leave*"),
            _section(f"• Vacation {ahead} (1 day)"),
            {"type": "divider"},
            _section("*My pending requests*"),
            _section(
                f"• Vacation {later} to {later + timedelta(days=1)} (2 days) — waiting for level 1"
            ),
        ],
    }
    # Ana holds no user token yet: the button starts her own consent for the status.
    assert connect_url.startswith("https://notify.test/slack/install?ticket=")
    ticket = installed.app.state.slack_installer.open_ticket(connect_url.split("ticket=")[1])
    assert (ticket.tenant_id, ticket.kind, ticket.team_id, ticket.slack_user_id) == (
        "t1",
        "person",
        "T1",
        "U_ANA",
    )
    # Everything was read as Ana, through the API's own permission checks.
    reads = [c for c in leaveflow.calls if c.method == "GET"]
    assert {caller_of(c) for c in reads} == {"t1-ana"}
    assert {c.path for c in reads} == {
        "/v1/leave-types",
        "/v1/balances/t1-ana",
        "/v1/leave-requests",
    }


def _header(text: str) -> dict[str, Any]:
    return {"type": "header", "text": {"type": "plain_text", "text": text, "emoji": True}}


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def _button(text: str, action_id: str, **extra: str) -> dict[str, Any]:
    return {
        "type": "button",
        "action_id": action_id,
        "text": {"type": "plain_text", "text": text, "emoji": True},
        **extra,
    }


async def test_an_approver_decides_from_the_home_and_sees_it_again(
    installed: SlackApp, slack_api: SlackApi, leaveflow: LocalPeer
) -> None:
    await installed.event(_opened("U_BO"))
    await installed.settled()
    [first] = slack_api.sent("views.publish")
    view = valid_view(first.json()["view"])
    queue_at = [b.get("text", {}).get("text") for b in view["blocks"]].index(
        "*Waiting for your decision*"
    )
    today = _today(installed)
    later = today + timedelta(days=20)
    assert view["blocks"][queue_at + 1 :] == [
        _section(
            f"*Ana Lima*: Vacation {later} to {later + timedelta(days=1)} (2 days)\n_Family visit_"
        ),
        {
            "type": "actions",
            "block_id": "decide:r-later@1",
            "elements": [
                _button("Approve", "approve", value="r-later", style="primary"),
                _button("Deny", "deny", value="r-later", style="danger"),
            ],
        },
    ]

    click = {
        "type": "block_actions",
        "team": {"id": "T1"},
        "user": {"id": "U_BO"},
        "trigger_id": "trig-1",
        "container": {"type": "view", "view_id": "V1"},
        "view": {"id": "V1", "type": "home"},
        "actions": [
            {
                "action_id": "approve",
                "block_id": "decide:r-later@1",
                "value": "r-later",
                "type": "button",
            }
        ],
    }
    assert (await installed.interaction(click)).status_code == 200
    await installed.settled()

    [decision] = leaveflow.made("POST", "/v1/leave-requests/r-later/approve")
    assert caller_of(decision) == "t1-bo"
    assert decision.json() == {"note": "Approved via slack", "level": 1}
    _, again = slack_api.sent("views.publish")
    republished = valid_view(again.json()["view"])
    assert again.json()["user_id"] == "U_BO"
    assert republished["blocks"][1] == _section(
        f"Approved your level: leave {later} to {later + timedelta(days=1)} now waits for level 2."
    )


async def test_someone_leaveflow_does_not_know_is_told_how_to_fix_it(
    installed: SlackApp, slack_api: SlackApi
) -> None:
    await installed.event(_opened("U_STRANGER"))
    await installed.settled()
    [publish] = slack_api.sent("views.publish")
    view = valid_view(publish.json()["view"])
    assert "`U_STRANGER`" in view["blocks"][1]["text"]["text"]


async def test_a_retried_or_unsigned_event_publishes_nothing(
    installed: SlackApp, slack_api: SlackApi
) -> None:
    retry = await installed.event(_opened("U_ANA"), x_slack_retry_num="1")
    forged = await installed.event(_opened("U_ANA"), secret="not-ours")
    await installed.settled()
    assert (retry.status_code, forged.status_code) == (200, 401)
    assert slack_api.sent("views.publish") == []


async def _user_token(app: SlackApp, user: str) -> None:
    doc = {
        "tenant_id": "t1",
        "team_id": "T1",
        "slack_user_id": user,
        "user_token": app.world.box.encrypt(f"xoxp-{user}"),
        "status": True,
    }
    await app.world.store.atomic(lambda tx: tx.put(SLACK_USERS, slack_user_key("T1", user), doc))


async def test_tokens_revoked_forgets_the_named_tokens(installed: SlackApp) -> None:
    await _user_token(installed, "U_ANA")
    await _user_token(installed, "U_BO")
    event = {
        "type": "event_callback",
        "team_id": "T1",
        "event": {"type": "tokens_revoked", "tokens": {"oauth": ["U_ANA"], "bot": ["UBOT"]}},
    }
    assert (await installed.event(event)).status_code == 200
    await installed.settled()
    store = installed.world.store
    assert await store.get(SLACK_USERS, "T1:U_ANA") is None
    assert await store.get(SLACK_USERS, "T1:U_BO") is not None
    stored = await store.get("integrations", "t1:slack")
    assert stored["team_id"] == "T1"
    assert stored["bot_token"] is None


async def test_app_uninstalled_forgets_the_workspace(installed: SlackApp) -> None:
    await _user_token(installed, "U_ANA")
    event = {"type": "event_callback", "team_id": "T1", "event": {"type": "app_uninstalled"}}
    assert (await installed.event(event)).status_code == 200
    await installed.settled()
    store = installed.world.store
    assert await store.get("integrations", "t1:slack") is None
    assert await store.find(SLACK_USERS, {"team_id": "T1"}) == []
