"""`GET /v1/stream`: the tenant's events the caller may see, as Server-Sent Events.

Each SSE message is one event: `id` is the event id (send it back as `Last-Event-ID` to
resume after it, which browsers do by themselves on reconnect), `event` its type, `data`
the envelope as JSON. Without `Last-Event-ID` the stream starts with what happens next.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import time
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query
from fastapi.sse import EventSourceResponse, ServerSentEvent

from leaveflow_kit.http import Unprocessable

from ...service_layer.event_stream import EVENT_ID, StreamCursor, read_new, visible_to
from ...service_layer.visibility import visibility_of
from .deps import ActorDep, ReadModelDep, StandingDep, TenantSignalsDep

router = APIRouter()

# A stream re-reads at least this often even if no wake-up came (a lost NATS message, or an
# event committed by a process whose relay is down).
CATCH_UP_SECONDS = 15.0
RECONNECT_MS = 2000
# How long an open stream keeps the caller's scope before reading the directory again.
SCOPE_SECONDS = 15.0


def _resume_point(
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID")] = None,
    after: Annotated[
        str | None,
        Query(description="Same as the Last-Event-ID header, for clients that cannot set it"),
    ] = None,
) -> str | None:
    value = last_event_id or after
    if value is not None and not EVENT_ID.match(value):
        raise Unprocessable("not an event id this stream sent", field="Last-Event-ID")
    return value


@router.get("/v1/stream", response_class=EventSourceResponse, tags=["leave requests"])
async def stream(
    actor: ActorDep,
    resume_after: Annotated[str | None, Depends(_resume_point)],
    reads: ReadModelDep,
    signals: TenantSignalsDep,
    standing: StandingDep,
) -> AsyncIterator[ServerSentEvent]:
    cursor = StreamCursor.resume_after(resume_after)
    scope = await visibility_of(reads, actor)
    scoped_at = time.monotonic()
    with signals.listen(actor.tenant_id) as wake:
        yield ServerSentEvent(comment="stream open", retry=RECONNECT_MS)
        while True:
            wake.clear()
            if time.monotonic() - scoped_at > SCOPE_SECONDS:
                # Roles, departments and their approvers change: an open stream follows
                # them, and ends for someone who has left.
                now = await standing.standing(actor.tenant_id, actor.employee_id)
                if now is not None and not now.active:
                    return
                if now is not None:
                    actor = dataclasses.replace(actor, role=now.role)
                scope = await visibility_of(reads, actor)
                scoped_at = time.monotonic()
            for doc in await read_new(reads, actor.tenant_id, cursor):
                if visible_to(doc, scope):
                    yield ServerSentEvent(
                        id=doc["id"],
                        event=doc["type"],
                        raw_data=json.dumps(doc["envelope"], separators=(",", ":")),
                    )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake.wait(), CATCH_UP_SECONDS)
