"""The bot's outbound token: OAuth 2 client credentials against the Microsoft identity
platform (`TEAMS_TOKEN_URL`; tests point it at the local Bot Connector), cached until
shortly before it expires."""

from __future__ import annotations

import asyncio
import time

import httpx

from leaveflow_kit.clock import Clock
from leaveflow_kit.tls import client_tls

# Asked again this long before expiry, so a token never runs out mid-call.
EARLY_SECONDS = 300


class ClientCredentialsToken:
    def __init__(
        self, token_url: str, app_id: str, app_password: str, clock: Clock | None = None
    ) -> None:
        self._url = token_url
        self._app_id = app_id
        self._password = app_password
        self._clock = clock
        self._cached: dict[str, tuple[str, float]] = {}
        self._lock = asyncio.Lock()

    def _now(self) -> float:
        return self._clock.now().timestamp() if self._clock else time.time()

    async def __call__(self, scope: str | list[str], tenant_id: str | None = None) -> str:
        wanted = scope if isinstance(scope, str) else " ".join(scope)
        async with self._lock:
            hit = self._cached.get(wanted)
            if hit and hit[1] > self._now():
                return hit[0]
            async with httpx.AsyncClient(timeout=10.0, verify=client_tls()) as client:
                answer = await client.post(
                    self._url,
                    data={
                        "grant_type": "client_credentials",
                        "client_id": self._app_id,
                        "client_secret": self._password,
                        "scope": wanted,
                    },
                )
            answer.raise_for_status()
            body = answer.json()
            token = str(body["access_token"])
            lifetime = float(body.get("expires_in", 3600))
            self._cached[wanted] = (token, self._now() + max(lifetime - EARLY_SECONDS, 0))
            return token
