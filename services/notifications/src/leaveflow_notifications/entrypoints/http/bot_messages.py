"""The Teams bot's messaging endpoint (`POST /api/messages`): the Bot Connector posts
every activity here with its JWT; the Teams SDK validates it and answers (an invoke's
answer is the refreshed card). Outside the OpenAPI document: only Microsoft calls it."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response

from leaveflow_kit.http.deps import app_state
from leaveflow_kit.http.limits import rate_limited

from ...service_layer.teams_bot import MESSAGING_PATH, BotEndpoint

router = APIRouter()

TeamsBotDep = Annotated[BotEndpoint, Depends(app_state("teams_bot"))]


@router.post(
    MESSAGING_PATH,
    tags=["teams"],
    include_in_schema=False,
    dependencies=[rate_limited("inbound")],
)
async def bot_messages(request: Request, bot: TeamsBotDep) -> Response:
    try:
        body: Any = json.loads(await request.body())
    except ValueError:
        return JSONResponse({"error": "not JSON"}, status_code=400)
    if not isinstance(body, dict):
        return JSONResponse({"error": "not an activity"}, status_code=400)
    status, answer = await bot.handle(body, dict(request.headers))
    if answer is None:
        return Response(status_code=status)
    return JSONResponse(answer, status_code=status)
