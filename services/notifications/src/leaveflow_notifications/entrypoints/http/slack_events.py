"""Slack's Events API at `POST /slack/events`: signed like every Slack request (the app's
signing secret, or a hand-connected workspace's own), acked at once, handled after."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from slack_sdk.signature import SignatureVerifier

from leaveflow_kit.http import Unauthorized
from leaveflow_kit.http.limits import rate_limited

from ...service_layer.collections import SLACK
from .deps import BackgroundDep, IntegrationsDep
from .slack_deps import SlackEventsDep

router = APIRouter()


def _payload(body: bytes) -> dict[str, Any]:
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return {}
    return payload if isinstance(payload, dict) else {}


async def _event_team(request: Request) -> str | None:
    team = _payload(await request.body()).get("team_id")
    return str(team) if team else None


def signed_by(body: bytes, headers: dict[str, str], secrets: list[str | None]) -> bool:
    """Whether one of `secrets` signed the request (Slack's v0 HMAC, five-minute window)."""
    return any(s and SignatureVerifier(s).is_valid_request(body, headers) for s in secrets)


def app_signing_secret(request: Request) -> str | None:
    secret: str | None = getattr(request.app.state, "slack_signing_secret", None)
    return secret


@router.post(
    "/slack/events",
    tags=["slack"],
    include_in_schema=False,
    dependencies=[rate_limited("inbound", account=_event_team)],
)
async def slack_events(
    request: Request,
    integrations: IntegrationsDep,
    events: SlackEventsDep,
    background: BackgroundDep,
) -> Response:
    body = await request.body()
    payload = _payload(body)
    team_id = str(payload.get("team_id") or "")
    integration = await integrations.inbound(SLACK, team_id) if team_id else None
    own = integration.get("signing_secret") if integration else None
    if not signed_by(body, dict(request.headers), [app_signing_secret(request), own]):
        raise Unauthorized("bad Slack signature")
    if payload.get("type") == "url_verification":
        return JSONResponse({"challenge": str(payload.get("challenge") or "")})
    if payload.get("type") != "event_callback" or request.headers.get("x-slack-retry-num"):
        return Response(status_code=200)  # a retry: the first delivery is being handled
    background.run(events.handle(integration, payload), "slack-event")
    return Response(status_code=200)
