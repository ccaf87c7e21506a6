"""Live updates: the requests service's event stream, relayed to the browser.

The browser never holds an API token, so it cannot subscribe to ``GET /v1/stream`` itself;
the web subscribes as the signed-in person and passes the events through unchanged
(``id:`` = event id, ``event:`` = type, ``data:`` = envelope). ``Last-Event-ID`` from the
browser's reconnect goes upstream, so no event is missed across a reconnect.

When the requests service refuses the person's token (401: they left, or it expired) the
session ends and the web sends one ``ended`` event; the page goes to the sign-in page.
When the requests service has no stream (404) the web sends one ``unavailable`` event; the
page then falls back to refreshing its live parts every few seconds.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
from fastapi import APIRouter, Request
from fastapi.responses import Response, StreamingResponse

from ..session import User, sign_out
from .common import apis

router = APIRouter()

_SSE_HEADERS = {"cache-control": "no-cache", "x-accel-buffering": "no"}
UNAVAILABLE = b"event: unavailable\ndata: {}\nretry: 60000\n\n"
# The requests service refused the token (401): the page sends the person to sign in.
ENDED = b"event: ended\ndata: {}\nretry: 60000\n\n"


@router.get("/live/stream")
async def live_stream(request: Request, user: User) -> Response:
    service = apis(request)
    headers = {"authorization": f"Bearer {user.token}", "accept": "text/event-stream"}
    last_event_id = request.headers.get("last-event-id")
    if last_event_id:
        headers["last-event-id"] = last_event_id
    upstream = service.streams.build_request(
        "GET", service.url("requests", "/v1/stream"), headers=headers
    )
    try:
        response = await service.streams.send(upstream, stream=True)
    except httpx.HTTPError:
        return Response(UNAVAILABLE, media_type="text/event-stream", headers=_SSE_HEADERS)
    if response.status_code == 401:
        await response.aclose()
        sign_out(request)
        return Response(ENDED, media_type="text/event-stream", headers=_SSE_HEADERS)
    if response.status_code != 200:
        await response.aclose()
        return Response(UNAVAILABLE, media_type="text/event-stream", headers=_SSE_HEADERS)

    async def relay() -> AsyncIterator[bytes]:
        try:
            async for chunk in response.aiter_raw():
                yield chunk
        except httpx.HTTPError:
            return  # upstream went away: the browser reconnects with its Last-Event-ID
        finally:
            await response.aclose()

    return StreamingResponse(relay(), media_type="text/event-stream", headers=_SSE_HEADERS)
