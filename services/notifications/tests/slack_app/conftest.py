"""The Slack app in-process, against real loopback peers: a local Slack Web API (every
method slack_sdk calls is recorded with its exact payload; `answers` scripts what a
method says) and a local Leaveflow API standing in for requests and balances (the
service token, leave types, balances, leave requests), so the service's own HTTP
clients run unchanged. The world's memory store and fake clock are the service's."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode

import httpx
import pytest
from aiohttp import web
from slack_sdk.models.views import View
from slack_sdk.signature import SignatureVerifier

from leaveflow_kit.auth import Principal, TokenIssuer, TokenVerifier
from leaveflow_kit.testing import free_port
from leaveflow_notifications.bootstrap import create_app
from leaveflow_notifications.config import Settings

APP_SIGNING = "app-signing-secret"
CLIENT_ID = "1111.2222"
CLIENT_SECRET = "client-secret"

Answer = Callable[["Call"], tuple[int, Any]]


@dataclass
class Call:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    def form(self) -> dict[str, str]:
        return {k: v[0] for k, v in parse_qs(self.body.decode()).items()}


@dataclass
class LocalPeer:
    """A loopback HTTP server in its own thread: records every call and answers from
    `routes` ("METHOD /path" -> fixed JSON or a function of the call), else `fallback`."""

    routes: dict[str, Any] = field(default_factory=dict)
    fallback: tuple[int, Any] = (404, {"detail": "not here"})
    calls: list[Call] = field(default_factory=list)
    port: int = field(default_factory=free_port)

    def __post_init__(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._lock = threading.Lock()
        self._runner: web.AppRunner | None = None
        self._thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def _handle(self, request: web.Request) -> web.Response:
        call = Call(
            request.method,
            request.path,
            dict(request.query),
            dict(request.headers),
            await request.read(),
        )
        with self._lock:
            self.calls.append(call)
            answer = self.routes.get(f"{request.method} {request.path}", self.fallback)
        if callable(answer):
            status, body = answer(call)
        elif isinstance(answer, tuple):
            status, body = answer
        else:
            status, body = 200, answer
        return web.json_response(body, status=status)

    def _serve(self) -> None:
        asyncio.set_event_loop(self._loop)
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        self._loop.run_until_complete(self._runner.setup())
        site = web.TCPSite(self._runner, "127.0.0.1", self.port)
        self._loop.run_until_complete(site.start())
        self._ready.set()
        self._loop.run_forever()

    def __enter__(self) -> LocalPeer:
        self._thread.start()
        assert self._ready.wait(10), "local peer did not start"
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._runner is not None
        asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    def made(self, method: str, path: str) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.method == method and c.path == path]


class SlackApi(LocalPeer):
    """Slack's Web API: `POST /api/<method>`; every method answers `{"ok": true}` unless
    `answers[method]` says otherwise."""

    def __init__(self) -> None:
        super().__init__(fallback=(200, {"ok": True}))

    def answer(self, method: str, body: dict[str, Any]) -> None:
        self.routes[f"POST /api/{method}"] = (200, body)

    def sent(self, method: str) -> list[Call]:
        return self.made("POST", f"/api/{method}")

    @property
    def base_url(self) -> str:
        return f"{self.url}/api/"


def valid_view(view: dict[str, Any]) -> dict[str, Any]:
    """The view as slack_sdk's Block Kit models read it back: raises on anything Slack
    would refuse that the models know (lengths, counts, required fields)."""
    checked: dict[str, Any] = View(**view).to_dict()
    assert checked == view
    return checked


@pytest.fixture
def slack_api() -> Iterator[SlackApi]:
    api = SlackApi()
    with api:
        yield api


@pytest.fixture
def leaveflow() -> Iterator[LocalPeer]:
    """Requests and balances: a service token for anyone, no leave types, no requests."""
    peer = LocalPeer(
        routes={
            "POST /v1/auth/service-token": lambda c: (
                200,
                {"token": f"tok-{c.json()['employee_id']}"},
            ),
            "GET /v1/leave-types": {"items": []},
            "GET /v1/leave-requests": {"items": [], "next_cursor": None},
        }
    )
    with peer:
        yield peer


def caller_of(call: Call) -> str:
    """The employee a call to the local Leaveflow API was made as (its bearer token)."""
    return call.headers.get("Authorization", "").removeprefix("Bearer tok-")


class SlackApp:
    def __init__(self, app: Any, client: httpx.AsyncClient, issuer: TokenIssuer, world: Any):
        self.app, self.http, self.issuer, self.world = app, client, issuer, world

    def auth(self, employee_id: str = "t1-cy", role: str = "admin") -> dict[str, str]:
        token = self.issuer.issue(Principal(tenant_id="t1", employee_id=employee_id, role=role))
        return {"authorization": f"Bearer {token}"}

    def _signed(self, body: str, content_type: str, secret: str, **headers: str) -> dict[str, str]:
        ts = str(int(time.time()))
        signature = SignatureVerifier(secret).generate_signature(timestamp=ts, body=body)
        assert signature is not None
        return {
            "content-type": content_type,
            "x-slack-request-timestamp": ts,
            "x-slack-signature": signature,
            **{name.replace("_", "-"): value for name, value in headers.items()},
        }

    async def event(
        self, payload: dict[str, Any], *, secret: str = APP_SIGNING, **headers: str
    ) -> httpx.Response:
        body = json.dumps(payload)
        return await self.http.post(
            "/slack/events",
            content=body,
            headers=self._signed(body, "application/json", secret, **headers),
        )

    async def form(
        self, path: str, form: dict[str, str], *, secret: str = APP_SIGNING
    ) -> httpx.Response:
        body = urlencode(form)
        return await self.http.post(
            path,
            content=body,
            headers=self._signed(body, "application/x-www-form-urlencoded", secret),
        )

    async def interaction(self, payload: dict[str, Any]) -> httpx.Response:
        return await self.form("/slack/interactions", {"payload": json.dumps(payload)})

    async def settled(self) -> None:
        """Let the work done after Slack's ack finish."""
        await self.app.state.background.drain()


@pytest.fixture(scope="session")
def issuer(tmp_path_factory: pytest.TempPathFactory) -> TokenIssuer:
    return TokenIssuer(tmp_path_factory.mktemp("jwt") / "jwt.pem")


SlackAppFactory = Callable[..., Awaitable[SlackApp]]


@pytest.fixture
async def make_slack_app(
    tmp_path: Path,
    store: Any,
    world: Any,
    issuer: TokenIssuer,
    secret_key: bytes,
    slack_api: SlackApi,
    leaveflow: LocalPeer,
) -> AsyncIterator[SlackAppFactory]:
    built: list[tuple[Any, httpx.AsyncClient]] = []

    async def make(**overrides: Any) -> SlackApp:
        fields: dict[str, Any] = {
            "data_dir": tmp_path,
            "requests_url": leaveflow.url,
            "balances_url": leaveflow.url,
            "calendar_url": leaveflow.url,
            "service_secret": "svc",
            "outbound_allow": "127.0.0.0/8",
            "public_url": "https://notify.test",
            "dashboard_url": "https://dash.test",
            "secret_key": secret_key.decode(),
            "slack_api_url": slack_api.base_url,
            "slack_client_id": CLIENT_ID,
            "slack_client_secret": CLIENT_SECRET,
            "slack_signing_secret": APP_SIGNING,
            "slack_authorize_url": "https://slack.test/oauth/v2/authorize",
            **overrides,
        }
        application = create_app(
            Settings(**fields),
            store=store,
            clock=world.clock,
            verifier=TokenVerifier(jwks=issuer.jwks()),
        )
        client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=application), base_url="https://notify.test"
        )
        built.append((application, client))
        return SlackApp(application, client, issuer, world)

    yield make
    for application, client in built:
        await client.aclose()
        await application.state.background.drain()
        await application.state.poster.close()


@pytest.fixture
async def slack_app(make_slack_app: SlackAppFactory) -> SlackApp:
    return await make_slack_app()
