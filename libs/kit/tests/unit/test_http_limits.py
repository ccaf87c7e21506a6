"""Body-size limits and rate limits at the HTTP edge."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request
from pydantic import BaseModel
from starlette.types import Message

from leaveflow_kit.http import create_service_app
from leaveflow_kit.http.limits import (
    DEFAULT_MAX_BODY_BYTES,
    DEFAULT_RATE_LIMITS,
    DRAIN_MAX_BYTES,
    BodyLimitMiddleware,
    LimitSettings,
    RateLimit,
    RateLimiter,
    json_field,
    parse_rate_limits,
    rate_limited,
)
from leaveflow_kit.http.problems import install_problem_handlers


class Login(BaseModel):
    tenant_id: str
    email: str


def build(
    limits: LimitSettings | None = None, body_limits: dict[str, int] | None = None
) -> FastAPI:
    app = create_service_app(title="probe", limits=limits, body_limits=body_limits)

    @app.post("/v1/echo")
    async def echo(request: Request) -> dict[str, int]:
        return {"received": len(await request.body())}

    @app.post("/v1/import")
    async def import_(request: Request) -> dict[str, int]:
        return {"received": len(await request.body())}

    @app.post("/v1/things")
    async def things(body: dict[str, Any]) -> dict[str, int]:
        return {"keys": len(body)}

    @app.post("/v1/tenants", dependencies=[rate_limited("signup")])
    async def signup() -> dict[str, bool]:
        return {"ok": True}

    @app.post(
        "/v1/auth/dev-login",
        dependencies=[rate_limited("signin", account=json_field("tenant_id", "email"))],
    )
    async def login(body: Login) -> dict[str, str]:
        return {"email": body.email}

    return app


def client(app: FastAPI, address: str = "203.0.113.7") -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(address, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://t")


# ---- body size ---------------------------------------------------------------------------


def test_the_default_limit_is_one_mebibyte(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LEAVEFLOW_MAX_BODY_BYTES", raising=False)
    assert LimitSettings().max_body_bytes == DEFAULT_MAX_BODY_BYTES == 1024 * 1024
    monkeypatch.setenv("LEAVEFLOW_MAX_BODY_BYTES", "2048")
    assert LimitSettings().max_body_bytes == 2048


async def test_a_body_within_the_limit_is_served() -> None:
    async with client(build(LimitSettings(max_body_bytes=100))) as c:
        response = await c.post("/v1/echo", content=b"x" * 100)
    assert response.status_code == 200
    assert response.json() == {"received": 100}


async def test_a_declared_length_over_the_limit_is_refused_with_a_problem() -> None:
    async with client(build(LimitSettings(max_body_bytes=100))) as c:
        response = await c.post("/v1/things", content=b'{"a": "' + b"x" * 200 + b'"}')
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == 413
    assert body["type"].endswith("/payload-too-large")
    assert "100 bytes" in body["detail"]
    assert "x-correlation-id" in response.headers


class Recorder:
    """An ASGI app that records whether it ran, and the messages a middleware sent."""

    def __init__(self) -> None:
        self.reached = False
        self.sent: list[Message] = []

    async def app(self, scope: Any, receive: Any, send: Any) -> None:
        self.reached = True

    async def send(self, message: Message) -> None:
        self.sent.append(message)


def post(length: int, *extra: tuple[bytes, bytes]) -> dict[str, Any]:
    headers = [(b"content-length", str(length).encode()), *extra]
    return {"type": "http", "method": "POST", "path": "/v1/x", "headers": headers}


async def test_a_client_waiting_for_continue_is_refused_before_it_sends_a_byte() -> None:
    recorder = Recorder()

    async def receive() -> Message:
        raise AssertionError("the body must not be read")

    scope = post(50 * 1024 * 1024, (b"expect", b"100-continue"))
    await BodyLimitMiddleware(recorder.app, max_body_bytes=10)(scope, receive, recorder.send)
    assert recorder.reached is False
    assert recorder.sent[0]["status"] == 413


async def test_a_declared_length_over_the_limit_is_dropped_unbuffered_before_the_answer() -> None:
    recorder = Recorder()
    chunk = b"x" * 65536
    count = 0

    async def receive() -> Message:
        nonlocal count
        count += 1
        return {"type": "http.request", "body": chunk, "more_body": count < 800}

    scope = post(800 * len(chunk))
    await BodyLimitMiddleware(recorder.app, max_body_bytes=10)(scope, receive, recorder.send)
    # the app never ran; the 50 MiB were read (so the client sees the answer) and dropped
    assert recorder.reached is False
    assert count == 800
    assert recorder.sent[0]["status"] == 413
    assert (b"connection", b"close") in recorder.sent[0]["headers"]


async def test_draining_stops_at_its_budget() -> None:
    recorder = Recorder()
    count = 0

    async def receive() -> Message:
        nonlocal count
        count += 1
        return {"type": "http.request", "body": b"x" * 1024 * 1024, "more_body": True}

    scope = post(10 * 1024 * 1024 * 1024)
    await BodyLimitMiddleware(recorder.app, max_body_bytes=10)(scope, receive, recorder.send)
    assert count == DRAIN_MAX_BYTES // (1024 * 1024)
    assert recorder.sent[0]["status"] == 413


async def chunks(*parts: bytes) -> AsyncIterator[bytes]:
    for part in parts:
        yield part


async def test_a_chunked_body_is_cut_off_once_it_passes_the_limit() -> None:
    async with client(build(LimitSettings(max_body_bytes=1000))) as c:
        within = await c.post("/v1/echo", content=chunks(*[b"x" * 100] * 10))
        over = await c.post("/v1/echo", content=chunks(*[b"x" * 100] * 11))
    assert within.status_code == 200
    assert within.json() == {"received": 1000}
    assert over.status_code == 413
    assert over.json()["title"] == "Content too large"


async def test_a_streamed_body_read_by_fastapi_is_a_413_not_a_400() -> None:
    async with client(build(LimitSettings(max_body_bytes=50))) as c:
        response = await c.post(
            "/v1/things",
            content=chunks(b'{"a": "', b"x" * 100, b'"}'),
            headers={"content-type": "application/json"},
        )
    assert response.status_code == 413


async def test_a_stream_counts_all_its_chunks() -> None:
    received: list[int] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        while True:
            message = await receive()
            received.append(len(message.get("body", b"")))
            if not message.get("more_body"):
                break

    middleware = BodyLimitMiddleware(app, max_body_bytes=25)
    messages = iter(
        [{"type": "http.request", "body": b"x" * 10, "more_body": n < 4} for n in range(5)]
    )
    sent: list[Message] = []

    async def receive() -> Message:
        return next(messages)

    async def send(message: Message) -> None:
        sent.append(message)

    await middleware({"type": "http", "path": "/", "headers": []}, receive, send)
    assert received == [10, 10]  # the third chunk passed the limit and never reached the app
    assert next(messages, None) is None  # the rest was drained before the answer
    assert sent[0]["status"] == 413


async def test_a_path_can_have_a_documented_larger_limit() -> None:
    app = build(
        LimitSettings(max_body_bytes=100),
        body_limits={"/v1/import": 10_000, "/v1/files/*": 500},
    )
    async with client(app) as c:
        imported = await c.post("/v1/import", content=b"x" * 5_000)
        other = await c.post("/v1/echo", content=b"x" * 5_000)
    assert imported.status_code == 200
    assert other.status_code == 413
    middleware = BodyLimitMiddleware(app, max_body_bytes=100, limits={"/v1/files/*": 500})
    assert middleware.limit_for("/v1/files/a/b") == 500
    assert middleware.limit_for("/v1/files") == 100
    assert middleware.limit_for("/v1/other") == 100


async def test_websockets_and_lifespan_pass_through() -> None:
    seen: list[str] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        seen.append(scope["type"])

    middleware = BodyLimitMiddleware(app, max_body_bytes=1)

    async def nothing() -> Message:
        return {"type": "lifespan.startup"}

    async def ignore(message: Message) -> None:
        pass

    await middleware({"type": "lifespan"}, nothing, ignore)
    assert seen == ["lifespan"]


# ---- rate limits -------------------------------------------------------------------------


class Ticks:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_limits_parse_from_the_env_format() -> None:
    assert parse_rate_limits("signup=30/60, signin=120/60,") == {
        "signup": RateLimit(30, 60.0),
        "signin": RateLimit(120, 60.0),
    }
    assert parse_rate_limits("") == {}
    bad_parts = ("signup", "signup=30", "signup=x/60", "=3/4", "signup=0/60", "signup=3/0")
    for bad in (*bad_parts, "signup=3/nan", "signup=3/inf"):
        with pytest.raises(ValueError, match="rate limit"):
            parse_rate_limits(bad)


def test_settings_read_rate_limits_and_refuse_a_typo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEAVEFLOW_RATE_LIMITS", "signup=2/10")
    monkeypatch.setenv("LEAVEFLOW_TRUST_PROXY", "true")
    settings = LimitSettings()
    assert settings.rate_limits == {"signup": RateLimit(2, 10.0)}
    assert settings.trust_proxy is True
    assert RateLimiter(settings.rate_limits).limits["signin"] == DEFAULT_RATE_LIMITS["signin"]
    monkeypatch.setenv("LEAVEFLOW_RATE_LIMITS", "signup=lots")
    with pytest.raises(ValueError, match="signup=lots"):
        LimitSettings()
    monkeypatch.setenv("LEAVEFLOW_RATE_LIMITS", "sigin=10/60")
    with pytest.raises(ValueError, match="sigin"):
        LimitSettings()


def test_a_bucket_allows_a_burst_then_refills_at_its_rate() -> None:
    ticks = Ticks()
    limiter = RateLimiter({"signup": RateLimit(3, 60)}, clock=ticks)
    assert [limiter.hit("signup", "a") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert limiter.hit("signup", "a") == pytest.approx(20.0)  # one every 20 s
    assert limiter.hit("signup", "b") == 0.0  # another key has its own bucket
    ticks.now += 19.0
    assert limiter.hit("signup", "a") == pytest.approx(1.0)
    ticks.now += 1.0
    assert limiter.hit("signup", "a") == 0.0
    assert limiter.hit("signup", "a") > 0
    ticks.now += 3600.0  # refills to the burst, not beyond
    assert [limiter.hit("signup", "a") for _ in range(4)][-1] > 0


def test_memory_stays_bounded_under_a_flood_of_keys() -> None:
    limiter = RateLimiter({"signup": RateLimit(1, 60)}, clock=Ticks(), max_keys=100)
    for n in range(1000):
        limiter.hit("signup", f"k{n}")
    assert len(limiter._buckets) == 100
    assert limiter.hit("signup", "k999") > 0  # recent keys are the ones kept


def test_an_unknown_bucket_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="unknown rate-limit bucket"):
        rate_limited("signupp")


@pytest.fixture
def limited() -> FastAPI:
    return build(LimitSettings(rate_limits_text="signup=2/60,signin=3/60"))


async def test_an_address_over_its_limit_gets_429_with_retry_after(limited: FastAPI) -> None:
    async with client(limited, "198.51.100.1") as c:
        answers = [await c.post("/v1/tenants") for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 429]
    refused = answers[-1]
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["status"] == 429
    assert 1 <= int(refused.headers["retry-after"]) <= 30
    async with client(limited, "198.51.100.2") as c:
        assert (await c.post("/v1/tenants")).status_code == 200


async def test_an_account_is_limited_across_addresses(limited: FastAPI) -> None:
    login = {"tenant_id": "t1", "email": "Ann@example.com"}
    statuses = []
    for n in range(4):
        async with client(limited, f"192.0.2.{n}") as c:
            statuses.append((await c.post("/v1/auth/dev-login", json=login)).status_code)
    assert statuses == [200, 200, 200, 429]
    async with client(limited, "192.0.2.100") as c:
        other = {"tenant_id": "t1", "email": "bob@example.com"}
        assert (await c.post("/v1/auth/dev-login", json=other)).status_code == 200
        # the same account in other spelling is the same account
        same = {"tenant_id": "t1", "email": "ann@example.com "}
        assert (await c.post("/v1/auth/dev-login", json=same)).status_code == 429


async def test_a_forwarded_address_counts_only_behind_a_trusted_proxy() -> None:
    untrusted = build(LimitSettings(rate_limits_text="signup=1/60"))
    async with client(untrusted, "10.0.0.1") as c:
        first = await c.post("/v1/tenants", headers={"x-forwarded-for": "1.1.1.1"})
        spoofed = await c.post("/v1/tenants", headers={"x-forwarded-for": "2.2.2.2"})
    assert (first.status_code, spoofed.status_code) == (200, 429)

    trusted = build(LimitSettings(rate_limits_text="signup=1/60", trust_proxy=True))
    async with client(trusted, "10.0.0.1") as c:
        one = await c.post("/v1/tenants", headers={"x-forwarded-for": "9.9.9.9, 1.1.1.1"})
        two = await c.post("/v1/tenants", headers={"x-forwarded-for": "9.9.9.9, 2.2.2.2"})
        again = await c.post("/v1/tenants", headers={"x-forwarded-for": "8.8.8.8, 1.1.1.1"})
    # the proxy's own (last) entry counts: a client cannot pick its key with the first
    assert (one.status_code, two.status_code, again.status_code) == (200, 200, 429)


async def test_the_limiter_belongs_to_the_app() -> None:
    first, second = (
        build(LimitSettings(rate_limits_text="signup=1/60")),
        build(LimitSettings(rate_limits_text="signup=1/60")),
    )
    async with client(first) as c:
        assert (await c.post("/v1/tenants")).status_code == 200
        assert (await c.post("/v1/tenants")).status_code == 429
    async with client(second) as c:
        assert (await c.post("/v1/tenants")).status_code == 200


async def test_an_app_not_built_by_the_kit_gets_a_limiter_from_the_env(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LEAVEFLOW_RATE_LIMITS", "signup=1/60")
    app = FastAPI()
    install_problem_handlers(app)

    @app.post("/v1/tenants", dependencies=[rate_limited("signup")])
    async def signup() -> dict[str, bool]:
        return {"ok": True}

    async with client(app) as c:
        assert (await c.post("/v1/tenants")).status_code == 200
        assert (await c.post("/v1/tenants")).status_code == 429


async def test_json_field_needs_a_json_object_with_every_field() -> None:
    account = json_field("tenant_id", "email")

    async def request_with(body: bytes) -> Request:
        async def receive() -> Message:
            return {"type": "http.request", "body": body, "more_body": False}

        return Request({"type": "http", "method": "POST", "headers": []}, receive)

    assert await account(await request_with(b'{"tenant_id": "t", "email": "A@b"}')) == "t:a@b"
    for body in (b"not json", b"[1]", b'{"tenant_id": "t"}', b'{"tenant_id": "t", "email": 3}'):
        assert await account(await request_with(body)) is None
