"""Composition root of the calendar service."""

from __future__ import annotations

from fastapi import FastAPI

from leaveflow_kit.runtime import build_runtime
from leaveflow_kit.storage import IndexSpec, Store

from .adapters.feed_cache import MemoryFeedCache
from .adapters.requests_directory import RequestsDirectory
from .adapters.snapshot_cache import MemorySnapshotCache
from .config import Settings
from .entrypoints.http.routes import router
from .service_layer.feeds import DirectoryLookup
from .service_layer.projection import (
    ABSENCES,
    BALANCES_HANDLERS,
    DEPARTMENTS,
    FEEDS,
    LEAVE_TYPES,
    LOCATIONS,
    PEOPLE,
    REQUESTS_HANDLERS,
)

INDEXES = (
    *(
        IndexSpec(c, ("tenant_id",))
        for c in (ABSENCES, PEOPLE, LEAVE_TYPES, DEPARTMENTS, LOCATIONS, FEEDS)
    ),
    IndexSpec(FEEDS, ("token_hash",), unique=True),
)


def create_app(settings: Settings | None = None, *, store: Store | None = None) -> FastAPI:
    settings = settings or Settings()
    runtime = build_runtime("calendar", settings, indexes=INDEXES, store=store)
    runtime.subscribe({"requests": REQUESTS_HANDLERS, "balances": BALANCES_HANDLERS})

    def directory_for(authorization: str) -> DirectoryLookup:
        """The directory as the caller sees it (their own bearer token)."""
        return RequestsDirectory(settings.requests_url, authorization)

    return runtime.app(
        title="Leaveflow calendar",
        routers=[router],
        feed_cache=MemoryFeedCache(),
        snapshots=MemorySnapshotCache(),
        directory_for=directory_for,
    )
