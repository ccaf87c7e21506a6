"""The request modal: opened by `/vacation` with no arguments and by the App Home's
button (`views.open`), redrawn for the chosen type (`views.update`), submitted through the
requests API as the person, its refusals shown per input (`response_action: errors`)."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

import pytest

from .conftest import Call, LocalPeer, SlackApi, SlackApp, caller_of, valid_view

TYPES = {
    "items": [
        {"id": "vac", "name": "Vacation", "unit": "days", "allow_half_days": True},
        {"id": "dr", "name": "Doctor", "unit": "hours", "allow_half_days": False},
        {"id": "old", "name": "Retired", "unit": "days", "active": False},
    ]
}


@pytest.fixture
async def installed(slack_app: SlackApp, leaveflow: LocalPeer) -> SlackApp:
    await slack_app.world.integrations.connect(
        "t1", "slack", {"team_id": "T1", "bot_token": "xoxb-bot", "bot_user_id": "UBOT"}
    )
    leaveflow.routes["GET /v1/leave-types"] = TYPES
    return slack_app


def _today(app: SlackApp) -> date:
    today: date = app.world.clock.now().date()
    return today


def _option(value: str, text: str) -> dict[str, Any]:
    return {"value": value, "text": {"type": "plain_text", "text": text, "emoji": True}}


def _label(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text, "emoji": True}


def _type_block(initial: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "input",
        "block_id": "leave_type",
        "label": _label("Leave type"),
        "dispatch_action": True,
        "element": {
            "type": "static_select",
            "action_id": "leave_type",
            "options": [_option("vac", "Vacation"), _option("dr", "Doctor")],
            "initial_option": initial,
        },
    }


def _date_block(block: str, label: str, day: date) -> dict[str, Any]:
    return {
        "type": "input",
        "block_id": block,
        "label": _label(label),
        "element": {"type": "datepicker", "action_id": block, "initial_date": day.isoformat()},
    }


REASON_BLOCK = {
    "type": "input",
    "block_id": "reason",
    "label": _label("Reason"),
    "optional": True,
    "element": {
        "type": "plain_text_input",
        "action_id": "reason",
        "multiline": True,
        "max_length": 500,
    },
}


def _modal(blocks: list[dict[str, Any]], metadata: dict[str, str]) -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": "leaveflow_request",
        "title": _label("Request leave"),
        "submit": _label("Request"),
        "close": _label("Cancel"),
        "private_metadata": json.dumps(metadata),
        "blocks": blocks,
    }


async def test_vacation_with_no_arguments_opens_the_modal(
    installed: SlackApp, slack_api: SlackApi
) -> None:
    command = {
        "team_id": "T1",
        "user_id": "U_ANA",
        "command": "/vacation",
        "text": "  ",
        "trigger_id": "trig-7",
        "response_url": "http://127.0.0.1:9/unused",
    }
    answer = await installed.form("/slack/commands", command)
    await installed.settled()

    assert answer.status_code == 200
    assert answer.content == b""  # no message: the modal is the answer
    [opened] = slack_api.sent("views.open")
    assert opened.headers["Authorization"] == "Bearer xoxb-bot"
    assert opened.json()["trigger_id"] == "trig-7"
    view = valid_view(opened.json()["view"])
    today = _today(installed)
    parts = [_option("full", "Full day"), _option("am", "Morning only")]
    assert view == _modal(
        [
            _type_block(_option("vac", "Vacation")),
            _date_block("start_date", "First day", today),
            _date_block("end_date", "Last day", today),
            {
                "type": "input",
                "block_id": "start_part",
                "label": _label("First day"),
                "hint": _label("A one-day request may be a morning or an afternoon."),
                "element": {
                    "type": "static_select",
                    "action_id": "start_part",
                    "options": [*parts, _option("pm", "Afternoon only")],
                    "initial_option": parts[0],
                },
            },
            {
                "type": "input",
                "block_id": "end_part",
                "label": _label("Last day"),
                "element": {
                    "type": "static_select",
                    "action_id": "end_part",
                    "options": parts,
                    "initial_option": parts[0],
                },
            },
            REASON_BLOCK,
        ],
        {"type": "vac", "unit": "days"},
    )


async def test_choosing_an_hour_type_redraws_the_modal_with_hours(
    installed: SlackApp, slack_api: SlackApi
) -> None:
    change = {
        "type": "block_actions",
        "team": {"id": "T1"},
        "user": {"id": "U_ANA"},
        "view": {"id": "V42", "type": "modal", "callback_id": "leaveflow_request"},
        "actions": [
            {
                "action_id": "leave_type",
                "block_id": "leave_type",
                "type": "static_select",
                "selected_option": {"value": "dr"},
            }
        ],
    }
    assert (await installed.interaction(change)).status_code == 200
    await installed.settled()

    [update] = slack_api.sent("views.update")
    assert update.json()["view_id"] == "V42"
    view = valid_view(update.json()["view"])
    assert view == _modal(
        [
            _type_block(_option("dr", "Doctor")),
            _date_block("start_date", "Day", _today(installed)),
            {
                "type": "input",
                "block_id": "hours",
                "label": _label("Hours"),
                "element": {
                    "type": "number_input",
                    "action_id": "hours",
                    "is_decimal_allowed": True,
                    "min_value": "0.25",
                    "max_value": "24",
                },
            },
            REASON_BLOCK,
        ],
        {"type": "dr", "unit": "hours"},
    )


async def test_the_home_button_opens_the_modal(installed: SlackApp, slack_api: SlackApi) -> None:
    click = {
        "type": "block_actions",
        "team": {"id": "T1"},
        "user": {"id": "U_ANA"},
        "trigger_id": "trig-home",
        "view": {"id": "VH", "type": "home"},
        "actions": [{"action_id": "open_request_modal", "block_id": "home_actions"}],
    }
    await installed.interaction(click)
    await installed.settled()
    [opened] = slack_api.sent("views.open")
    assert opened.json()["trigger_id"] == "trig-home"
    assert valid_view(opened.json()["view"])["callback_id"] == "leaveflow_request"


def _submission(values: dict[str, dict[str, Any]], unit: str = "days") -> dict[str, Any]:
    return {
        "type": "view_submission",
        "team": {"id": "T1"},
        "user": {"id": "U_ANA"},
        "view": {
            "id": "V1",
            "type": "modal",
            "callback_id": "leaveflow_request",
            "private_metadata": json.dumps({"type": "vac", "unit": unit}),
            "state": {"values": {block: {block: v} for block, v in values.items()}},
        },
    }


def _select(value: str) -> dict[str, Any]:
    return {"type": "static_select", "selected_option": {"value": value}}


def _picked(day: date) -> dict[str, Any]:
    return {"type": "datepicker", "selected_date": day.isoformat()}


async def test_a_valid_submission_requests_the_leave_and_closes_the_modal(
    installed: SlackApp, slack_api: SlackApi, leaveflow: LocalPeer
) -> None:
    leaveflow.routes["POST /v1/leave-requests"] = (202, {"id": "r9", "amount": 1.5})
    first = _today(installed) + timedelta(days=7)
    answer = await installed.interaction(
        _submission(
            {
                "leave_type": _select("vac"),
                "start_date": _picked(first),
                "end_date": _picked(first + timedelta(days=1)),
                "start_part": _select("full"),
                "end_part": _select("am"),
                "reason": {"type": "plain_text_input", "value": "  Moving house "},
            }
        )
    )
    await installed.settled()

    assert answer.status_code == 200
    assert answer.content == b""  # Slack closes the modal
    [submitted] = leaveflow.made("POST", "/v1/leave-requests")
    assert caller_of(submitted) == "t1-ana"
    assert submitted.json() == {
        "leave_type_id": "vac",
        "start_date": first.isoformat(),
        "end_date": (first + timedelta(days=1)).isoformat(),
        "start_part": "full",
        "end_part": "am",
        "reason": "Moving house",
    }
    [home] = slack_api.sent("views.publish")
    notice = valid_view(home.json()["view"])["blocks"][1]["text"]["text"]
    assert notice == (
        f"Requested leave {first} to {first + timedelta(days=1)} (1.5). "
        "You will hear here when it is decided."
    )


async def test_an_hours_submission_is_one_day_with_its_hours(
    installed: SlackApp, leaveflow: LocalPeer
) -> None:
    leaveflow.routes["POST /v1/leave-requests"] = (202, {"id": "r10", "amount": 2.5})
    day = _today(installed) + timedelta(days=3)
    await installed.interaction(
        _submission(
            {
                "leave_type": _select("dr"),
                "start_date": _picked(day),
                "hours": {"type": "number_input", "value": "2.5"},
                "reason": {"type": "plain_text_input", "value": None},
            },
            unit="hours",
        )
    )
    [submitted] = leaveflow.made("POST", "/v1/leave-requests")
    assert submitted.json() == {
        "leave_type_id": "dr",
        "start_date": day.isoformat(),
        "end_date": day.isoformat(),
        "hours": "2.5",
    }


async def test_the_apis_refusals_come_back_under_their_inputs(
    installed: SlackApp, leaveflow: LocalPeer
) -> None:
    refusals: list[tuple[int, Any]] = [
        (
            422,
            {
                "title": "Unprocessable",
                "errors": [
                    {"field": "end_date", "message": "end_date is before start_date"},
                    {"field": "start_part", "message": "Vacation has no half days"},
                ],
            },
        ),
        (409, {"title": "Conflict", "detail": "overlaps your pending request r1"}),
    ]

    def refuse(call: Call) -> tuple[int, Any]:
        return refusals.pop(0)

    leaveflow.routes["POST /v1/leave-requests"] = refuse
    first = _today(installed) + timedelta(days=7)
    values = {
        "leave_type": _select("vac"),
        "start_date": _picked(first),
        "end_date": _picked(first - timedelta(days=2)),
        "start_part": _select("pm"),
        "end_part": _select("full"),
    }
    bad_dates = await installed.interaction(_submission(values))
    assert bad_dates.json() == {
        "response_action": "errors",
        "errors": {
            "end_date": "end_date is before start_date",
            "start_part": "Vacation has no half days",
        },
    }
    overlap = await installed.interaction(_submission(values))
    assert overlap.json() == {
        "response_action": "errors",
        "errors": {"start_date": "overlaps your pending request r1"},
    }


async def test_a_stranger_cannot_submit(installed: SlackApp, leaveflow: LocalPeer) -> None:
    payload = _submission({"leave_type": _select("vac")})
    payload["user"] = {"id": "U_STRANGER"}
    answer = await installed.interaction(payload)
    assert answer.json()["response_action"] == "errors"
    assert "does not know you" in answer.json()["errors"]["leave_type"]
    assert leaveflow.made("POST", "/v1/leave-requests") == []
