"""Composition root of the balances service."""

from __future__ import annotations

from fastapi import FastAPI

from leaveflow_kit.runtime import build_runtime
from leaveflow_kit.storage import Store

from .adapters.repository import INDEXES
from .config import Settings
from .entrypoints.http.routes import router
from .service_layer.handlers import REQUESTS_EVENT_HANDLERS


def create_app(settings: Settings | None = None, *, store: Store | None = None) -> FastAPI:
    runtime = build_runtime("balances", settings or Settings(), indexes=INDEXES, store=store)
    runtime.subscribe({"requests": REQUESTS_EVENT_HANDLERS})
    return runtime.app(title="Leaveflow balances", routers=[router])
