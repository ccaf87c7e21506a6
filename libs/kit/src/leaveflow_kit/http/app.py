"""The FastAPI app every service starts from: problems, health, metrics, correlation ids."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint

from leaveflow_contracts import new_id

from ..logging import bind_contextvars, clear_contextvars
from .problems import install_problem_handlers

ReadinessCheck = Callable[[], Awaitable[None]]

HTTP_REQUESTS = Counter(
    "leaveflow_http_requests_total", "HTTP requests", ["method", "route", "status"]
)
HTTP_LATENCY = Histogram("leaveflow_http_request_seconds", "HTTP latency", ["method", "route"])


class CorrelationMiddleware(BaseHTTPMiddleware):
    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        correlation_id = request.headers.get("x-correlation-id") or new_id()
        clear_contextvars()
        bind_contextvars(correlation_id=correlation_id)
        request.state.correlation_id = correlation_id
        started = time.perf_counter()
        response = await call_next(request)
        route = request.scope.get("route")
        path = getattr(route, "path", "unmatched")
        HTTP_REQUESTS.labels(request.method, path, str(response.status_code)).inc()
        HTTP_LATENCY.labels(request.method, path).observe(time.perf_counter() - started)
        response.headers["x-correlation-id"] = correlation_id
        return response


def create_service_app(
    *,
    title: str,
    lifespan: Callable[[FastAPI], AbstractAsyncContextManager[None]] | None = None,
    readiness: Sequence[tuple[str, ReadinessCheck]] = (),
    version: str = "0.1.0",
) -> FastAPI:
    app = FastAPI(title=title, version=version, lifespan=lifespan)
    install_problem_handlers(app)
    app.add_middleware(CorrelationMiddleware)
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
