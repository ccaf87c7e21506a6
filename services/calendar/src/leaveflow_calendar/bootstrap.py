"""Composition root of the calendar service."""

from __future__ import annotations

from fastapi import FastAPI

from leaveflow_kit.runtime import build_runtime
from leaveflow_kit.storage import IndexSpec, Store

from .config import Settings
from .entrypoints.http.routes import router
from .service_layer.projection import (
    ABSENCES,
    BALANCES_HANDLERS,
    LEAVE_TYPES,
    PEOPLE,
    REQUESTS_HANDLERS,
)

INDEXES = tuple(IndexSpec(c, ("tenant_id",)) for c in (ABSENCES, PEOPLE, LEAVE_TYPES))


def create_app(settings: Settings | None = None, *, store: Store | None = None) -> FastAPI:
    runtime = build_runtime("calendar", settings or Settings(), indexes=INDEXES, store=store)
    runtime.subscribe({"requests": REQUESTS_HANDLERS, "balances": BALANCES_HANDLERS})
    return runtime.app(title="Leaveflow calendar", routers=[router])
