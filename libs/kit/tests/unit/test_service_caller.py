"""Routes only Leaveflow services call: `Service <secret>`, 404 without a secret, and only
wrong secrets spend the signin limit."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI, Request

from leaveflow_kit.http import create_service_app
from leaveflow_kit.http.limits import LimitSettings
from leaveflow_kit.http.service_caller import service_caller


def build(secret: str | None) -> FastAPI:
    limits = LimitSettings(LEAVEFLOW_RATE_LIMITS="signin=3/60")
    app = create_service_app(title="probe", limits=limits)

    def secret_of(request: Request) -> str | None:
        return secret

    @app.post("/v1/auth/thing", dependencies=[service_caller(secret_of)])
    async def thing() -> dict[str, bool]:
        return {"ok": True}

    return app


async def call(app: FastAPI, authorization: str | None) -> httpx.Response:
    headers = {"authorization": authorization} if authorization is not None else {}
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        return await client.post("/v1/auth/thing", headers=headers)


@pytest.mark.parametrize(
    ("authorization", "status"),
    [
        ("Service s3cret", 200),
        ("service s3cret", 200),  # the scheme is case-insensitive, like Bearer
        ("Service wrong", 401),
        ("Bearer s3cret", 401),  # a user's scheme never passes for a service
        ("s3cret", 401),
        (None, 401),
    ],
)
async def test_only_the_shared_secret_passes(authorization: str | None, status: int) -> None:
    assert (await call(build("s3cret"), authorization)).status_code == status


@pytest.mark.parametrize("secret", [None, ""])
async def test_without_a_secret_the_route_does_not_exist(secret: str | None) -> None:
    assert (await call(build(secret), "Service anything")).status_code == 404


async def test_only_wrong_secrets_spend_the_limit() -> None:
    app = build("s3cret")
    for _ in range(10):  # more right calls than the limit allows: never limited
        assert (await call(app, "Service s3cret")).status_code == 200
    assert [(await call(app, "Service guess")).status_code for _ in range(4)] == [
        401,
        401,
        401,
        429,
    ]
    assert (await call(app, "Service s3cret")).status_code == 429  # the address is stopped
