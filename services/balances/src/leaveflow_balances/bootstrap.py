"""Composition root of the balances service."""

from __future__ import annotations

from fastapi import FastAPI

from leaveflow_kit.http import create_service_app
from leaveflow_kit.runtime import build_runtime
from leaveflow_kit.storage import Store

from .adapters.repository import INDEXES
from .config import Settings
from .entrypoints.http.routes import router
from .entrypoints.messaging.subscribers import subscribe


def create_app(settings: Settings | None = None, *, store: Store | None = None) -> FastAPI:
    settings = settings or Settings()
    runtime = build_runtime("balances", settings, indexes=INDEXES, store=store)
    subscribe(runtime)
    app = create_service_app(
        title="Leaveflow balances", lifespan=runtime.lifespan, readiness=runtime.readiness()
    )
    app.include_router(router)
    app.state.settings = settings
    app.state.runtime = runtime
    app.state.store = runtime.store
    app.state.token_verifier = runtime.verifier
    return app
