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
from slack_sdk.signature import SignatureVerifier

from leaveflow_kit.http import Unauthorized
from leaveflow_kit.http.limits import rate_limited
from leaveflow_kit.logging import get_logger

from ...domain.commands import Help, parse
from ...domain.messages import level_of_block
from ...service_layer.collections import SLACK
from ...service_layer.ports import ApiUnavailable
from .deps import BackgroundDep, ChatDep, IntegrationsDep, PosterDep, ReadModelDep

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
    secret = integration.get("signing_secret") if integration else None
    if not secret or not SignatureVerifier(secret).is_valid_request(body, dict(request.headers)):
        raise Unauthorized("bad Slack signature")
    assert integration is not None
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
) -> Response:
    """`/vacation ...`: acked at once; the answer follows through `response_url`."""
    integration, form = await _verified(request, integrations)
    if request.headers.get("x-slack-retry-num"):
        return Response(status_code=200)  # the first delivery is already being handled
    tenant_id = integration["tenant_id"]
    user_id = form.get("user_id", "")
    employee = await reads.person_by(tenant_id, "slack_user_id", user_id)
    if employee is None:
        return _ephemeral(_unknown_user(user_id))
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
) -> Response:
    """Approve / Deny clicks: decided as the clicking user; the message is replaced by the
    outcome, so its buttons are gone and a second click cannot decide again."""
    integration, form = await _verified(request, integrations)
    if request.headers.get("x-slack-retry-num"):
        return Response(status_code=200)
    try:
        payload = json.loads(form.get("payload", ""))
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
