"""Composition root of the notifications service."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime

from fastapi import FastAPI

from leaveflow_kit.runtime import build_runtime
from leaveflow_kit.storage import IndexSpec, Store

from .adapters.webhook import WebhookSender
from .config import Settings
from .entrypoints.http.routes import router
from .service_layer.dispatcher import DeliveryDispatcher
from .service_layer.fanout import DELIVERIES, Clock, balances_handlers, requests_handlers

INDEXES = (
    IndexSpec(DELIVERIES, ("status",)),
    IndexSpec(DELIVERIES, ("tenant_id",)),
)


def system_clock() -> datetime:
    return datetime.now(UTC)


def create_app(
    settings: Settings | None = None, *, store: Store | None = None, clock: Clock = system_clock
) -> FastAPI:
    runtime = build_runtime("notifications", settings or Settings(), indexes=INDEXES, store=store)
    dispatcher = DeliveryDispatcher(runtime.store, WebhookSender(), clock)
    runtime.subscribe(
        {"requests": requests_handlers(clock), "balances": balances_handlers(clock)},
        after_commit=dispatcher.wake,
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with runtime.lifespan(app):
            dispatcher.start()
            try:
                yield
            finally:
                await dispatcher.stop()

    return runtime.app(
        title="Leaveflow notifications",
        routers=[router],
        lifespan=lifespan,
        clock=clock,
        dispatcher=dispatcher,
    )
