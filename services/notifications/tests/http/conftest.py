"""The notifications app in-process: ASGI transport over the memory store the `world`
fixture fills, the world's clock, and tokens from a local issuer. Peers it would call
(requests, balances, calendar) sit on a closed port, so nothing leaves the machine."""

from __future__ import annotations

import base64
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from slack_sdk.signature import SignatureVerifier

from leaveflow_kit.auth import Principal, TokenIssuer, TokenVerifier
from leaveflow_kit.testing import free_port
from leaveflow_notifications.bootstrap import create_app
from leaveflow_notifications.config import Settings

SIGNING = "slack-signing-secret"
TEAMS_SECRET = base64.b64encode(b"teams-outgoing-secret").decode()


class App:
    def __init__(
        self, app: Any, client: httpx.AsyncClient, issuer: TokenIssuer, world: Any
    ) -> None:
        self.app, self.http, self.issuer, self.world = app, client, issuer, world

    def auth(
        self, employee_id: str = "t1-cy", role: str = "admin", tenant: str = "t1"
    ) -> dict[str, str]:
        token = self.issuer.issue(Principal(tenant_id=tenant, employee_id=employee_id, role=role))
        return {"authorization": f"Bearer {token}"}

    async def slack(
        self,
        path: str,
        form: dict[str, str],
        *,
        secret: str = SIGNING,
        age: int = 0,
        **headers: str,
    ) -> httpx.Response:
        body = urlencode(form)
        ts = str(int(time.time()) - age)
        signature = SignatureVerifier(secret).generate_signature(timestamp=ts, body=body)
        assert signature is not None
        return await self.http.post(
            path,
            content=body,
            headers={
                "content-type": "application/x-www-form-urlencoded",
                "x-slack-request-timestamp": ts,
                "x-slack-signature": signature,
                # Keyword names stand for headers: x_slack_retry_num -> x-slack-retry-num.
                **{name.replace("_", "-"): value for name, value in headers.items()},
            },
        )


@pytest.fixture(scope="session")
def issuer(tmp_path_factory: pytest.TempPathFactory) -> TokenIssuer:
    # One signing key for the session: generating an RSA key per test would dominate.
    return TokenIssuer(tmp_path_factory.mktemp("jwt") / "jwt.pem")


AppFactory = Callable[..., Awaitable[App]]


@pytest.fixture
async def make_app(
    tmp_path: Path, store: Any, world: Any, issuer: TokenIssuer, secret_key: bytes
) -> AsyncIterator[AppFactory]:
    """Builds the app over the world's store with settings overriding the usual ones
    (e.g. the operator's SMTP server, or no service secret); closed at the test's end."""
    built: list[tuple[Any, httpx.AsyncClient]] = []

    async def make(**overrides: Any) -> App:
        closed = f"http://127.0.0.1:{free_port()}"
        fields: dict[str, Any] = {
            "data_dir": tmp_path,
            "requests_url": closed,
            "balances_url": closed,
            "calendar_url": closed,
            "service_secret": "svc",
            "outbound_allow": "127.0.0.0/8",  # the sinks
            "public_url": "http://notify.test",
            # The world's key: what the app seals, the world's outbound opens, and back.
            "secret_key": secret_key.decode(),
            **overrides,
        }
        application = create_app(
            Settings(**fields),
            store=store,
            clock=world.clock,
            verifier=TokenVerifier(jwks=issuer.jwks()),
        )
        client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=application), base_url="http://notify"
        )
        built.append((application, client))
        return App(application, client, issuer, world)

    yield make
    for application, client in built:
        await client.aclose()
        await application.state.background.drain()
        await application.state.poster.close()


@pytest.fixture
async def app(make_app: AppFactory) -> App:
    return await make_app()
