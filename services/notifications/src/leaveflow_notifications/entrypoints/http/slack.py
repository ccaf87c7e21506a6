"""Slack inbound: the `/vacation` slash command and the Approve / Deny buttons.

The signature is checked against the raw body before anything acts on it (the body is
only peeked at for `team_id`, which picks the tenant and so the signing secret). Work
that calls other services runs after the ack and answers through `response_url`.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from leaveflow_kit.http import Unauthorized
from leaveflow_kit.http.limits import rate_limited
from leaveflow_kit.logging import get_logger

from ...domain.commands import Help, parse
from ...domain.messages import level_of_block
from ...service_layer.background import Background
from ...service_layer.collections import SLACK
from ...service_layer.ports import ApiUnavailable
from ...service_layer.slack_app.events import SlackEvents
from ...service_layer.slack_app.modal import CALLBACK as MODAL_CALLBACK
from .deps import BackgroundDep, ChatDep, IntegrationsDep, PosterDep, ReadModelDep
from .slack_deps import SlackEventsDep
from .slack_events import app_signing_secret as app_secret
from .slack_events import signed_by

router = APIRouter()
log = get_logger(__name__)


def _form(body: bytes) -> dict[str, str]:
    try:
        parsed = parse_qs(body.decode("utf-8"), keep_blank_values=True)
    except UnicodeDecodeError:
        return {}
    return {k: v[0] for k, v in parsed.items()}


def _team_of(form: dict[str, str]) -> str | None:
    if "team_id" in form:
        return form["team_id"]
    try:
        payload = json.loads(form.get("payload", ""))
        return str(payload["team"]["id"])
    except (ValueError, KeyError, TypeError):
        return None


async def _slack_team(request: Request) -> str | None:
    """The workspace a Slack request names: its own rate-limit account, since every
    workspace's requests come from Slack's few addresses."""
    return _team_of(_form(await request.body()))


INBOUND = [rate_limited("inbound", account=_slack_team)]


async def _verified(
    request: Request, integrations: IntegrationsDep
) -> tuple[dict[str, Any], dict[str, str]]:
    """(integration, form) of a genuine Slack request; 401 otherwise."""
    body = await request.body()
    form = _form(body)
    team_id = _team_of(form)
    integration = await integrations.inbound(SLACK, team_id) if team_id else None
    # A workspace installed through "Add to Slack" is signed with the app's secret.
    own = integration.get("signing_secret") if integration else None
    if integration is None or not signed_by(
        body, dict(request.headers), [own, app_secret(request)]
    ):
        raise Unauthorized("bad Slack signature")
    return integration, form


def _ephemeral(text: str) -> JSONResponse:
    return JSONResponse({"response_type": "ephemeral", "text": text})


def _unknown_user(user_id: str) -> str:
    return (
        f"I don't know who you are in Leaveflow yet. Ask your Leaveflow admin to put your "
        f"Slack user id `{user_id}` on your employee profile."
    )


# Both Slack routes stay outside the OpenAPI document (only Slack calls them, signed its
# way); they answer Slack's own payloads: an ephemeral message or an empty 200.
@router.post("/slack/commands", tags=["slack"], include_in_schema=False, dependencies=INBOUND)
async def slack_command(
    request: Request,
    integrations: IntegrationsDep,
    reads: ReadModelDep,
    chat: ChatDep,
    poster: PosterDep,
    background: BackgroundDep,
    slack_app: SlackEventsDep,
) -> Response:
    """`/vacation ...`: acked at once; the answer follows through `response_url`. With no
    arguments and a bot token, the request modal opens instead."""
    integration, form = await _verified(request, integrations)
    if request.headers.get("x-slack-retry-num"):
        return Response(status_code=200)  # the first delivery is already being handled
    tenant_id = integration["tenant_id"]
    user_id = form.get("user_id", "")
    employee = await reads.person_by(tenant_id, "slack_user_id", user_id)
    if employee is None:
        return _ephemeral(_unknown_user(user_id))
    if not form.get("text", "").strip() and form.get("trigger_id") and integration.get("bot_token"):
        # views.open must follow within 3 s of the command: right after the ack.
        background.run(
            slack_app.open_modal(integration, employee, form["trigger_id"]), "slack-modal"
        )
        return Response(status_code=200)
    command = parse(form.get("text", ""))
    if isinstance(command, Help):
        return _ephemeral(await chat.run(tenant_id, employee["id"], command, SLACK))
    response_url = form.get("response_url", "")

    async def work() -> None:
        text = await chat.run(tenant_id, employee["id"], command, SLACK)
        await poster.post_json(response_url, {"response_type": "ephemeral", "text": text})

    background.run(work(), "slack-command")
    return _ephemeral("On it…")


@router.post("/slack/interactions", tags=["slack"], include_in_schema=False, dependencies=INBOUND)
async def slack_interaction(
    request: Request,
    integrations: IntegrationsDep,
    reads: ReadModelDep,
    chat: ChatDep,
    poster: PosterDep,
    background: BackgroundDep,
    slack_app: SlackEventsDep,
) -> Response:
    """Approve / Deny clicks: decided as the clicking user; the message is replaced by the
    outcome, so its buttons are gone and a second click cannot decide again."""
    integration, form = await _verified(request, integrations)
    if request.headers.get("x-slack-retry-num"):
        return Response(status_code=200)
    try:
        payload = json.loads(form.get("payload", ""))
        if not isinstance(payload, dict):
            return Response(status_code=200)
        if payload.get("type") == "view_submission":
            return await _view_submission(integration, payload, slack_app, background)
        view = payload.get("view")
        if isinstance(view, dict) and view.get("type") in ("home", "modal"):
            # App Home buttons and modal inputs: no response_url, the view is republished.
            slack_app.on_view_action(integration, payload, background)
            return Response(status_code=200)
        user_id = str(payload["user"]["id"])
        action = payload["actions"][0]
        decision, request_id = str(action["action_id"]), str(action["value"])
        level = level_of_block(str(action.get("block_id") or ""))
        response_url = str(payload["response_url"])
    except (ValueError, KeyError, IndexError, TypeError):
        return Response(status_code=200)  # not a button we sent: nothing to do
    if decision not in ("approve", "deny"):
        return Response(status_code=200)
    tenant_id = integration["tenant_id"]
    employee = await reads.person_by(tenant_id, "slack_user_id", user_id)
    if employee is None:
        return _ephemeral(_unknown_user(user_id))

    async def work() -> None:
        try:
            decided, text = await chat.decide(
                tenant_id, employee["id"], request_id, decision, SLACK, level
            )
        except ApiUnavailable:
            decided, text = False, "Leaveflow is not reachable right now; please click again soon."
        if decided:
            body = {"replace_original": True, "text": f"{text} (by <@{user_id}>)"}
        else:
            body = {"replace_original": False, "response_type": "ephemeral", "text": text}
        await poster.post_json(response_url, body)

    background.run(work(), "slack-interaction")
    return Response(status_code=200)


async def _view_submission(
    integration: dict[str, Any], payload: dict[str, Any], slack_app: SlackEvents, runner: Background
) -> Response:
    """The request modal submitted: answered in the same response (Slack closes the
    modal on an empty 200, or shows `errors` under the inputs)."""
    view = payload.get("view")
    if not isinstance(view, dict) or view.get("callback_id") != MODAL_CALLBACK:
        return Response(status_code=200)
    answer = await slack_app.submit(integration, payload, runner)
    return Response(status_code=200) if answer is None else JSONResponse(answer)
