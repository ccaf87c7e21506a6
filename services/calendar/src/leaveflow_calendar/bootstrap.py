"""Composition root of the calendar service.

`create_app` does no I/O (the runtime connects in its lifespan). Tests pass their fakes
in through `Overrides` (a store, a clock, a token verifier, the directory lookup, the
caches) instead of patching `app.state` after the fact.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from fastapi import FastAPI

from leaveflow_kit.auth import Verifier
from leaveflow_kit.clock import Clock
from leaveflow_kit.runtime import build_runtime
from leaveflow_kit.storage import IndexSpec, Store

from .adapters.feed_cache import MemoryFeedCache
from .adapters.requests_directory import RequestsDirectory
from .adapters.snapshot_cache import MemorySnapshotCache
from .config import Settings
from .entrypoints.http.routes import router
from .service_layer.feeds import DirectoryLookup, FeedCache
from .service_layer.projection import (
    ABSENCES,
    DEPARTMENTS,
    DIRECTORY_REPLICAS,
    FEEDS,
    HANDLERS,
    LEAVE_TYPES,
    LOCATIONS,
    PEOPLE,
)
from .service_layer.queries import SnapshotCache
from .service_layer.standing import ReplicaStanding

INDEXES = (
    *(
        IndexSpec(c, ("tenant_id",))
        for c in (ABSENCES, PEOPLE, LEAVE_TYPES, DEPARTMENTS, LOCATIONS, FEEDS)
    ),
    IndexSpec(FEEDS, ("token_hash",), unique=True),
)


@dataclass(frozen=True)
class Overrides:
    """What tests put in place of the real thing; None: the real one."""

    store: Store | None = None
    clock: Clock | None = None
    verifier: Verifier | None = None
    # The directory as one caller sees it, from their Authorization header.
    directory_for: Callable[[str], DirectoryLookup] | None = None
    feed_cache: FeedCache | None = None
    snapshots: SnapshotCache | None = None


def create_app(settings: Settings | None = None, *, overrides: Overrides | None = None) -> FastAPI:
    settings = settings or Settings()
    overrides = overrides or Overrides()
    runtime = build_runtime(
        "calendar",
        settings,
        indexes=INDEXES,
        store=overrides.store,
        verifier=overrides.verifier,
        clock=overrides.clock,
    )
    # Every call is judged by the caller's current role and employment (the replica).
    runtime.standing = ReplicaStanding(runtime.store, runtime.clock)
    runtime.subscribe(HANDLERS)
    runtime.rebuild_on_start(DIRECTORY_REPLICAS)

    def directory_for(authorization: str) -> DirectoryLookup:
        """The directory as the caller sees it (their own bearer token)."""
        return RequestsDirectory(settings.requests_url, authorization)

    return runtime.app(
        title="Leaveflow calendar",
        routers=[router],
        feed_cache=overrides.feed_cache or MemoryFeedCache(),
        snapshots=overrides.snapshots or MemorySnapshotCache(),
        directory_for=overrides.directory_for or directory_for,
    )
