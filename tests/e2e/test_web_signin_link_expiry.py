"""A sign-in link expires after 15 minutes: the real web and the real requests service in
one process, the requests service on its memory store and a FakeClock moved past the
link's lifetime (the processes of the stack cannot have their clocks moved; the mail is
recorded where notifications would send it).

Just inside the 15 minutes the link signs in; just past them it is refused with a sentence.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from cryptography.fernet import Fernet

from leaveflow_kit.auth import TokenIssuer
from leaveflow_kit.storage import open_store
from leaveflow_kit.testing import FakeClock
from leaveflow_requests.adapters.repository import INDEXES
from leaveflow_requests.bootstrap import Overrides
from leaveflow_requests.bootstrap import create_app as requests_app
from leaveflow_requests.config import Settings as RequestsSettings
from leaveflow_web.bootstrap import create_app as web_app
from leaveflow_web.config import Settings as WebSettings

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]

SECRET = "shared-by-the-web-and-the-requests-service"
CSRF_MARK = 'name="csrf_token" value="'


@dataclass
class Services(httpx.AsyncBaseTransport):
    """The web's calls: to the requests app in process, the account mails recorded, and
    empty answers from the services these pages only read from."""

    requests: httpx.ASGITransport
    mails: list[dict[str, Any]] = field(default_factory=list)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.host == "requests.test":
            return await self.requests.handle_async_request(request)
        if request.url.path == "/v1/auth/mail":
            self.mails.append(json.loads(request.content))
            return httpx.Response(202, json={"sent": True})
        return httpx.Response(200, json={"items": []})


@dataclass
class World:
    web: httpx.AsyncClient
    services: Services
    clock: FakeClock
    email: str


@pytest.fixture
async def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[World]:
    monkeypatch.setenv("LEAVEFLOW_SERVICE_SECRET", SECRET)
    clock = FakeClock(datetime.now(UTC))
    store = open_store("memory://", INDEXES)
    await store.start()
    requests = requests_app(
        RequestsSettings(data_dir=tmp_path),
        overrides=Overrides(
            store=store,
            clock=clock,
            issuer=TokenIssuer(tmp_path / "key.pem"),
            secret_key=Fernet.generate_key(),
        ),
    )
    services = Services(httpx.ASGITransport(app=requests))
    async with httpx.AsyncClient(transport=services.requests, base_url="http://rq") as api:
        created = await api.post(
            "/v1/tenants",
            json={"name": "Acme", "admin_name": "Ada", "admin_email": "ada@acme.test"},
        )
        assert created.status_code == 201, created.text
        person = {"name": "Eve", "email": "eve@acme.test", "start_date": "2020-01-01"}
        added = await api.post(
            "/v1/employees",
            json=person,
            headers={"authorization": f"Bearer {created.json()['token']}"},
        )
        assert added.status_code == 201, added.text
    settings = WebSettings(
        service_secret=SECRET,
        requests_url="http://requests.test",
        balances_url="http://balances.test",
        notifications_url="http://notifications.test",
        calendar_url="http://calendar.test",
    )
    app = web_app(settings, transport=services)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://web.test"
    ) as web:
        yield World(web, services, clock, "eve@acme.test")
    await store.close()


def csrf_of(page: httpx.Response) -> str:
    start = page.text.index(CSRF_MARK) + len(CSRF_MARK)
    return page.text[start : page.text.index('"', start)]


async def ask_for_link(world: World) -> str:
    page = await world.web.get("/signin")
    options = await world.web.post(
        "/signin", data={"csrf_token": csrf_of(page), "email": world.email}
    )
    sent = await world.web.post("/signin/link", data={"csrf_token": csrf_of(options)})
    assert "Check your email" in sent.text
    mail = world.services.mails[-1]
    assert (mail["to"], mail["purpose"]) == (world.email, "sign_in")
    return str(parse_qs(urlsplit(mail["link"]).query)["token"][0])


async def use(world: World, token: str) -> httpx.Response:
    opened = await world.web.get("/signin/link", params={"token": token})
    return await world.web.post(
        "/signin/link/redeem", data={"csrf_token": csrf_of(opened), "token": token}
    )


async def test_a_link_just_inside_its_15_minutes_signs_in(world: World) -> None:
    token = await ask_for_link(world)
    world.clock.advance(timedelta(minutes=14, seconds=50))
    answer = await use(world, token)
    assert answer.status_code == 303, answer.text
    assert (await world.web.get("/")).status_code == 200


async def test_a_link_past_its_15_minutes_is_refused(world: World) -> None:
    token = await ask_for_link(world)
    world.clock.advance(timedelta(minutes=15, seconds=10))
    answer = await use(world, token)
    assert answer.status_code == 410
    assert "already been used or has expired" in answer.text
    assert (await world.web.get("/")).status_code == 303  # nobody signed in
