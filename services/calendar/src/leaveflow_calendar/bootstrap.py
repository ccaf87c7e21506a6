"""Composition root of the calendar service."""

from __future__ import annotations

from fastapi import FastAPI

from leaveflow_kit.http import create_service_app
from leaveflow_kit.runtime import build_runtime
from leaveflow_kit.storage import IndexSpec, Store

from .config import Settings
from .entrypoints.http.routes import router
from .entrypoints.messaging.subscribers import subscribe
from .service_layer.projection import ABSENCES, LEAVE_TYPES, PEOPLE

INDEXES = tuple(IndexSpec(c, ("tenant_id",)) for c in (ABSENCES, PEOPLE, LEAVE_TYPES))


def create_app(settings: Settings | None = None, *, store: Store | None = None) -> FastAPI:
    settings = settings or Settings()
    runtime = build_runtime("calendar", settings, indexes=INDEXES, store=store)
    subscribe(runtime)
    app = create_service_app(
        title="Leaveflow calendar", lifespan=runtime.lifespan, readiness=runtime.readiness()
    )
    app.include_router(router)
    app.state.settings = settings
    app.state.runtime = runtime
    app.state.store = runtime.store
    app.state.token_verifier = runtime.verifier
    return app
