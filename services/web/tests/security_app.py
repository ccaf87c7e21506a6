"""The web app in process for the Security tests, its service calls going to IdentityFake,
and a way to be signed in as someone without going through a sign-in page."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import APIRouter, Request
from fastapi.responses import Response

from leaveflow_web import session
from leaveflow_web.bootstrap import create_app
from leaveflow_web.config import Settings

from .security_fakes import SERVICE_SECRET, IdentityFake

WEB = "http://web.test"

_test_door = APIRouter()


@_test_door.post("/_test/signin/{employee_id}")
async def _sign_in_as(request: Request, employee_id: str) -> Response:
    """Sign in as someone the fake knows, with a session it holds (as a real sign-in ends)."""
    fake: IdentityFake = request.app.state.fake
    person = fake.people[employee_id]
    await session.open_session(
        request, tenant_id="t1", employee_id=employee_id, email=person.email, via="magic_link"
    )
    return Response(status_code=204)


@asynccontextmanager
async def web_for(fake: IdentityFake, public_url: str = WEB) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(public_url=public_url, service_secret=SERVICE_SECRET)
    app = create_app(settings, transport=httpx.MockTransport(fake))
    app.state.fake = fake
    app.include_router(_test_door)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=WEB) as client:
        yield client


async def signed_in_as(client: httpx.AsyncClient, employee_id: str, agent: str = "") -> None:
    headers = {"user-agent": agent} if agent else {}
    answer = await client.post(f"/_test/signin/{employee_id}", headers=headers)
    assert answer.status_code == 204
