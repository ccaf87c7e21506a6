"""Composition root of the requests service: settings -> runtime -> FastAPI app."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime

from fastapi import FastAPI

from leaveflow_contracts.subjects import stream_subjects
from leaveflow_kit.auth import TokenIssuer, TokenVerifier
from leaveflow_kit.runtime import ServiceRuntime, build_runtime
from leaveflow_kit.storage import Store

from .adapters.repository import INDEXES
from .adapters.tenant_signals import TenantSignals
from .config import Settings
from .entrypoints.http import errors as http_errors
from .entrypoints.http import stream
from .entrypoints.http.routes import router
from .entrypoints.http.service_tokens import router as service_token_router
from .service_layer.handlers import Clock, on_balance_outcome
from .service_layer.policies import on_policy_upserted


def system_clock() -> datetime:
    return datetime.now(UTC)


def create_app(
    settings: Settings | None = None, *, store: Store | None = None, clock: Clock = system_clock
) -> FastAPI:
    settings = settings or Settings()
    issuer = TokenIssuer(settings.signing_key_path)
    runtime: ServiceRuntime = build_runtime(
        "requests",
        settings,
        indexes=INDEXES,
        store=store,
        # The issuer verifies its own tokens locally: no HTTP round trip to itself.
        verifier=TokenVerifier(jwks=issuer.jwks()),
    )
    outcome = on_balance_outcome(clock)
    runtime.subscribe(
        {
            "balances": {
                "LeaveReserved": outcome,
                "LeaveReservationRejected": outcome,
                "PolicyUpserted": on_policy_upserted,
            }
        }
    )
    signals = TenantSignals()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with runtime.lifespan(app):
            # Every event this service publishes wakes the SSE streams of its tenant.
            await signals.attach(runtime.broker.connection, stream_subjects("requests")[0])
            try:
                yield
            finally:
                await signals.detach()

    app = runtime.app(
        title="Leaveflow requests",
        routers=[router, stream.router, service_token_router],
        lifespan=lifespan,
        issuer=issuer,
        clock=clock,
        tenant_signals=signals,
    )
    http_errors.install(app)
    return app
