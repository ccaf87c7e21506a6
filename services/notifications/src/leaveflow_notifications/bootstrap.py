"""Composition root of the notifications service."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime

from fastapi import FastAPI

from leaveflow_kit.http import create_service_app
from leaveflow_kit.runtime import build_runtime
from leaveflow_kit.storage import IndexSpec, Store

from .adapters.webhook import WebhookSender
from .config import Settings
from .entrypoints.http.routes import router
from .entrypoints.messaging.subscribers import subscribe
from .service_layer.dispatcher import DeliveryDispatcher
from .service_layer.fanout import DELIVERIES, Clock

INDEXES = (
    IndexSpec(DELIVERIES, ("status",)),
    IndexSpec(DELIVERIES, ("tenant_id",)),
)


def system_clock() -> datetime:
    return datetime.now(UTC)


def create_app(
    settings: Settings | None = None, *, store: Store | None = None, clock: Clock = system_clock
) -> FastAPI:
    settings = settings or Settings()
    runtime = build_runtime("notifications", settings, indexes=INDEXES, store=store)
    dispatcher = DeliveryDispatcher(runtime.store, WebhookSender(), clock)
    subscribe(runtime, clock, dispatcher.wake)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with runtime.lifespan(app):
            dispatcher.start()
            try:
                yield
            finally:
                await dispatcher.stop()

    app = create_service_app(
        title="Leaveflow notifications", lifespan=lifespan, readiness=runtime.readiness()
    )
    app.include_router(router)
    app.state.settings = settings
    app.state.runtime = runtime
    app.state.store = runtime.store
    app.state.token_verifier = runtime.verifier
    app.state.clock = clock
    app.state.dispatcher = dispatcher
    return app
