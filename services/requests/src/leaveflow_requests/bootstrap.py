"""Composition root of the requests service: settings -> runtime -> FastAPI app.

The only place that knows both sides of every port: the store adapters behind the
service layer's `UnitOfWork`, `ReadModel` and `RepositoryFactory`, the clock, the event
handlers, and the HTTP routers.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime

from fastapi import FastAPI

from leaveflow_contracts.subjects import stream_subjects
from leaveflow_kit.auth import TokenIssuer, TokenVerifier
from leaveflow_kit.runtime import ServiceRuntime, build_runtime
from leaveflow_kit.storage import Store

from .adapters.repository import INDEXES, Repository, StoreReads, StoreUnitOfWork
from .adapters.tenant_signals import TenantSignals
from .config import Settings
from .entrypoints.http import directory, leave_requests, stream, tenancy
from .entrypoints.http import errors as http_errors
from .entrypoints.http.service_tokens import router as service_token_router
from .service_layer.balance_outcomes import on_balance_outcome
from .service_layer.policies import on_policy_upserted
from .service_layer.ports import Clock, ReadModel, UnitOfWork


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
    outcome = on_balance_outcome(clock, Repository)
    runtime.subscribe(
        {
            "balances": {
                "LeaveReserved": outcome,
                "LeaveReservationRejected": outcome,
                "PolicyUpserted": on_policy_upserted(Repository),
            }
        }
    )
    signals = TenantSignals()
    # Typed as the ports, so the type checker proves the adapters implement them.
    unit_of_work: UnitOfWork = StoreUnitOfWork(runtime.store)
    read_model: ReadModel = StoreReads(runtime.store)

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
        routers=[
            tenancy.router,
            directory.router,
            leave_requests.router,
            stream.router,
            service_token_router,
        ],
        lifespan=lifespan,
        issuer=issuer,
        clock=clock,
        tenant_signals=signals,
        unit_of_work=unit_of_work,
        read_model=read_model,
    )
    http_errors.install(app)
    return app
