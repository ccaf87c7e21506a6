"""The FastAPI app every service starts from: problems, health, metrics, correlation ids."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager

from fastapi import FastAPI, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from leaveflow_contracts import new_id

from ..logging import bind_contextvars, clear_contextvars
from .limits import BodyLimitMiddleware, LimitSettings, RateLimiter
from .problems import install_problem_handlers

ReadinessCheck = Callable[[], Awaitable[None]]

HTTP_REQUESTS = Counter(
    "leaveflow_http_requests_total", "HTTP requests", ["method", "route", "status"]
)
HTTP_LATENCY = Histogram("leaveflow_http_request_seconds", "HTTP latency", ["method", "route"])


class CorrelationMiddleware:
    """Binds a correlation id to every log line of a request and records HTTP metrics.

    Plain ASGI rather than BaseHTTPMiddleware, which costs a task and a stream per request.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        raw = headers.get(b"x-correlation-id", b"")
        correlation_id = raw.decode("latin-1")[:128] if raw else new_id()
        clear_contextvars()
        bind_contextvars(correlation_id=correlation_id)
        scope.setdefault("state", {})["correlation_id"] = correlation_id
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [
                    *message["headers"],
                    (b"x-correlation-id", correlation_id.encode("latin-1")),
                ]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            route = scope.get("route")
            path = getattr(route, "path", "unmatched")
            method = scope.get("method", "")
            HTTP_REQUESTS.labels(method, path, str(status)).inc()
            HTTP_LATENCY.labels(method, path).observe(time.perf_counter() - started)


def create_service_app(
    *,
    title: str,
    lifespan: Callable[[FastAPI], AbstractAsyncContextManager[None]] | None = None,
    readiness: Sequence[tuple[str, ReadinessCheck]] = (),
    version: str = "0.1.0",
    body_limits: Mapping[str, int] | None = None,
    limits: LimitSettings | None = None,
) -> FastAPI:
    """`body_limits`: paths with a documented body limit of their own (`{path: bytes}`, a
    key ending in `*` is a prefix); `limits`: body and rate limits (default: from the env,
    see `leaveflow_kit.http.limits`)."""
    limits = limits or LimitSettings()
    app = FastAPI(title=title, version=version, lifespan=lifespan)
    install_problem_handlers(app)
    app.add_middleware(
        BodyLimitMiddleware, max_body_bytes=limits.max_body_bytes, limits=body_limits
    )
    app.add_middleware(CorrelationMiddleware)  # outermost: a 413 has its id and metrics too
    app.state.rate_limiter = RateLimiter(limits.rate_limits)
    app.state.trust_proxy = limits.trust_proxy
    checks = list(readiness)

    @app.get("/healthz", tags=["ops"], include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", tags=["ops"], include_in_schema=False)
    async def readyz() -> JSONResponse:
        results: dict[str, str] = {}
        ok = True
        for name, check in checks:
            try:
                await check()
                results[name] = "ok"
            except Exception as exc:
                ok = False
                results[name] = f"down: {type(exc).__name__}"
        return JSONResponse(
            {"status": "ok" if ok else "unavailable", "checks": results},
            status_code=200 if ok else 503,
        )

    @app.get("/metrics", tags=["ops"], include_in_schema=False)
    async def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return app
