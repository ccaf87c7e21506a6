"""The live relay: the requests service's event stream reaches the browser unchanged, as the
signed-in person, resuming from Last-Event-ID; without an upstream stream the page is told
to fall back to refreshing."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import AsyncIterator

import httpx
import pytest

from leaveflow_web.bootstrap import create_app
from leaveflow_web.config import Settings
from leaveflow_web.entrypoints.live import ENDED, UNAVAILABLE


def _token() -> str:
    claims = base64.urlsafe_b64encode(
        json.dumps({"sub": "e1", "tid": "t1", "role": "user"}).encode()
    )
    return f"h.{claims.rstrip(b'=').decode()}.s"


TOKEN = _token()
EVENTS = (
    b'id: ev-2\nevent: LeavePending\ndata: {"event_id": "ev-2", "type": "LeavePending"}\n\n'
    b'id: ev-3\nevent: LeaveApproved\ndata: {"event_id": "ev-3", "type": "LeaveApproved"}\n\n'
)


async def event_by_event() -> AsyncIterator[bytes]:
    """The stream as a server sends it: one event per chunk, as they happen."""
    for event in EVENTS.split(b"\n\n")[:-1]:
        yield event + b"\n\n"


class Upstream:
    """The services as the web sees them: the dev sign-in's lookup and session,
    GET /v1/stream, and 401 for the rest."""

    def __init__(self, stream_status: int = 200) -> None:
        self.stream_status = stream_status
        self.stream_requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v1/auth/lookup":
            company = {"tenant_id": "t1", "company": "Acme", "employee_id": "e1", "role": "user"}
            return httpx.Response(200, json={"domain_sso": [], "companies": [company]})
        if request.url.path == "/v1/auth/sessions":
            session = {"session_id": "s1", "refresh_token": "r1", "token": TOKEN}
            return httpx.Response(201, json={**session, "employee_id": "e1", "role": "user"})
        if request.url.path == "/v1/stream":
            self.stream_requests.append(request)
            if self.stream_status != 200:
                return httpx.Response(self.stream_status, json={"detail": "Not Found"})
            return httpx.Response(
                200, headers={"content-type": "text/event-stream"}, content=event_by_event()
            )
        # Any other call: the person's token has expired meanwhile.
        return httpx.Response(401, json={"title": "Unauthorized", "detail": "token expired"})


async def signed_in_client(upstream: Upstream) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(Settings(service_secret="s"), transport=httpx.MockTransport(upstream))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://web.test"
    ) as client:
        page = await client.get("/signin")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert token
        answer = await client.post(
            "/signin/dev",
            data={"csrf_token": token.group(1), "email": "e@acme.test"},
        )
        assert answer.status_code == 303
        yield client


@pytest.fixture
def upstream() -> Upstream:
    return Upstream()


@pytest.fixture
async def web(upstream: Upstream) -> AsyncIterator[httpx.AsyncClient]:
    async for client in signed_in_client(upstream):
        yield client


async def test_events_pass_through_unchanged_as_the_signed_in_person(
    web: httpx.AsyncClient, upstream: Upstream
) -> None:
    answer = await web.get("/live/stream", headers={"last-event-id": "ev-1"})
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/event-stream")
    assert answer.content == EVENTS
    (sent,) = upstream.stream_requests
    assert sent.headers["authorization"] == f"Bearer {TOKEN}"
    assert sent.headers["last-event-id"] == "ev-1"  # resumes where the browser stopped
    assert sent.headers["accept"] == "text/event-stream"


async def test_a_first_connection_sends_no_last_event_id(
    web: httpx.AsyncClient, upstream: Upstream
) -> None:
    await web.get("/live/stream")
    assert "last-event-id" not in upstream.stream_requests[0].headers


async def test_without_an_upstream_stream_the_page_is_told_to_poll() -> None:
    async for client in signed_in_client(Upstream(stream_status=404)):
        answer = await client.get("/live/stream")
        assert answer.status_code == 200
        assert answer.content == UNAVAILABLE


async def test_a_refused_token_ends_the_session_and_tells_the_page() -> None:
    async for client in signed_in_client(Upstream(stream_status=401)):
        answer = await client.get("/live/stream")
        assert answer.status_code == 200
        assert answer.content == ENDED  # live.js goes to /signin?reason=ended
        after = await client.get("/")
        assert after.status_code == 303
        assert after.headers["location"] == "/signin"


async def test_strangers_get_no_stream() -> None:
    app = create_app(Settings(service_secret="s"), transport=httpx.MockTransport(Upstream()))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://web.test"
    ) as client:
        answer = await client.get("/live/stream")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/signin"


async def test_an_expired_api_token_sends_the_person_to_sign_in_again(
    web: httpx.AsyncClient,
) -> None:
    answer = await web.get("/admin/leave-types")  # not an admin: refused before any call
    assert answer.status_code == 403
    answer = await web.get("/team")  # calls the APIs; the requests service says 401
    assert answer.status_code == 303
    # The session ended, the sign-in page says why, and signing in again comes back here.
    assert answer.headers["location"] == "/signin?reason=ended&next=%2Fteam"
    again = await web.get("/")
    assert again.status_code == 303
    assert again.headers["location"] == "/signin"
