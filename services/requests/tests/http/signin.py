"""What the sign-in tests share: the app as the web sees it (the shared service secret),
and a browser's nonce for magic links."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import jwt
import pytest

from .conftest import Api

SECRET = "web-and-requests-share-this"


def nonce_pair() -> tuple[str, str]:
    """A browser's cookie nonce and the digest the web sends with its link request."""
    nonce = secrets.token_urlsafe(16)
    return nonce, hashlib.sha256(nonce.encode()).hexdigest()


def claims(token: str) -> dict[str, Any]:
    decoded: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    return decoded


@dataclass
class Web:
    """Calls the web makes, with the service secret."""

    api: Api

    async def call(self, url: str, body: Any, *, secret: str | None = SECRET) -> httpx.Response:
        headers = {"authorization": f"Service {secret}"} if secret is not None else {}
        return await self.api.client.post(url, json=body, headers=headers)

    async def ok(self, url: str, body: Any) -> Any:
        response = await self.call(url, body)
        assert response.status_code < 300, response.text
        return response.json()

    async def session(self, tenant_id: str, employee_id: str, via: str = "passkey") -> Any:
        body = {"tenant_id": tenant_id, "employee_id": employee_id, "via": via, "label": "Firefox"}
        return await self.ok("/v1/auth/sessions", body)

    async def link(self, email: str, **extra: Any) -> tuple[str, dict[str, Any]]:
        """A sign-in link asked for from a new browser: its nonce and the answer."""
        nonce, nonce_hash = nonce_pair()
        body = {"email": email, "nonce_hash": nonce_hash, "purpose": "sign_in", **extra}
        return nonce, await self.ok("/v1/auth/magic-links", body)


async def web_api(make_api: Callable[..., Any], **settings: Any) -> Web:
    """An app that knows the service secret (read from the environment on first use)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("LEAVEFLOW_SERVICE_SECRET", SECRET)
        api: Api = await make_api(**settings)
        # The first service call reads and keeps the secret.
        await api.client.post(
            "/v1/auth/lookup", json={}, headers={"authorization": f"Service {SECRET}"}
        )
    return Web(api)
