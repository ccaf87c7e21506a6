"""Teams inbound: an outgoing webhook posts each message that @mentions the bot.

Verified by the webhook's HMAC (`Authorization: HMAC <base64 sha256>` over the raw
body, keyed with the base64-decoded secret Teams showed the admin), matched to the
tenant by `channelData.tenant.id`; Teams wants the answer within 5 seconds.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import hmac
import json
import re

from fastapi import APIRouter, Request

from leaveflow_kit.http import Unauthorized
from leaveflow_kit.http.limits import rate_limited

from ...domain.commands import parse
from ...service_layer.collections import TEAMS
from .deps import ChatDep, IntegrationsDep, ReadModelDep
from .schemas import TeamsReply

router = APIRouter()

ANSWER_WITHIN_SECONDS = 4.0
_MENTION = re.compile(r"<at>[^<]*</at>")


def valid_hmac(secret: str, body: bytes, header: str) -> bool:
    scheme, _, given = header.partition(" ")
    if scheme != "HMAC" or not given:
        return False
    try:
        key = base64.b64decode(secret, validate=True)
    except (binascii.Error, ValueError):
        return False
    expected = base64.b64encode(hmac.new(key, body, hashlib.sha256).digest()).decode()
    return hmac.compare_digest(expected, given.strip())


def _reply(text: str) -> TeamsReply:
    return TeamsReply(text=text)


async def _aad_tenant(request: Request) -> str | None:
    """The Azure AD tenant a Teams message names: its rate-limit account."""
    try:
        return str(json.loads(await request.body())["channelData"]["tenant"]["id"])
    except (ValueError, KeyError, TypeError):
        return None


# Outside the OpenAPI document (only Teams calls it); the reply is Teams' own format.
@router.post(
    "/teams/messages",
    tags=["teams"],
    include_in_schema=False,
    dependencies=[rate_limited("inbound", account=_aad_tenant)],
)
async def teams_message(
    request: Request, integrations: IntegrationsDep, reads: ReadModelDep, chat: ChatDep
) -> TeamsReply:
    """A message that @mentions the bot: verified, then answered as a chat command."""
    body = await request.body()
    try:
        activity = json.loads(body)
        aad_tenant = str(activity["channelData"]["tenant"]["id"])
    except (ValueError, KeyError, TypeError) as exc:
        raise Unauthorized("bad Teams signature") from exc
    integration = await integrations.inbound(TEAMS, aad_tenant)
    secret = integration.get("outgoing_webhook_secret") if integration else None
    if not secret or not valid_hmac(secret, body, request.headers.get("authorization", "")):
        raise Unauthorized("bad Teams signature")
    assert integration is not None
    tenant_id = integration["tenant_id"]
    sender = activity.get("from")
    sender = sender if isinstance(sender, dict) else {}
    teams_user = str(sender.get("aadObjectId") or sender.get("id") or "")
    employee = await reads.person_by(tenant_id, "teams_user_id", teams_user)
    if employee is None:
        return _reply(
            "I don't know who you are in Leaveflow yet. Ask your Leaveflow admin to put your "
            f"Teams user id `{teams_user}` on your employee profile."
        )
    text = _MENTION.sub("", str(activity.get("text") or "")).strip()
    try:
        answer = await asyncio.wait_for(
            chat.run(tenant_id, employee["id"], parse(text), TEAMS), ANSWER_WITHIN_SECONDS
        )
    except TimeoutError:
        answer = "This is taking longer than Teams waits; check the dashboard in a minute."
    return _reply(answer)
