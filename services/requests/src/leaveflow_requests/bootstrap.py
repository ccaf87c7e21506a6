"""Composition root of the requests service: settings -> runtime -> FastAPI app."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import FastAPI

from leaveflow_kit.auth import TokenIssuer, TokenVerifier
from leaveflow_kit.runtime import ServiceRuntime, build_runtime
from leaveflow_kit.storage import Store

from .adapters.repository import INDEXES
from .config import Settings
from .entrypoints.http import errors as http_errors
from .entrypoints.http.routes import router
from .entrypoints.http.service_tokens import router as service_token_router
from .service_layer.handlers import Clock, on_balance_outcome


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
    runtime.subscribe({"balances": {"LeaveReserved": outcome, "LeaveReservationRejected": outcome}})
    app = runtime.app(
        title="Leaveflow requests",
        routers=[router, service_token_router],
        issuer=issuer,
        clock=clock,
    )
    http_errors.install(app)
    return app
