"""Composition root of the balances service: settings -> runtime -> FastAPI app.

The only place that knows both sides of every port: the store adapters behind the service
layer's `UnitOfWork`, `ReadModel` and `RepositoryFactory`, the clock, the event handlers,
the year-end scheduler and the HTTP routes.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from fastapi import FastAPI

from leaveflow_kit.auth import TokenVerifier
from leaveflow_kit.clock import Clock
from leaveflow_kit.replica import ReplicaSet
from leaveflow_kit.runtime import build_runtime
from leaveflow_kit.storage import Store

from .adapters.repository import (
    DIRECTORY,
    DIRECTORY_VERSION,
    INDEXES,
    Repository,
    StoreReads,
    StoreUnitOfWork,
)
from .config import Settings
from .entrypoints.http import balances, policies, toil_credits, year_end
from .service_layer.directory import directory_handlers
from .service_layer.handlers import requests_event_handlers
from .service_layer.ports import ReadModel, UnitOfWork
from .service_layer.scheduler import YearEndScheduler
from .service_layer.standing import ReplicaStanding


@dataclass(frozen=True)
class Overrides:
    """What tests put in place of the real thing; None: the real one."""

    store: Store | None = None
    clock: Clock | None = None
    verifier: TokenVerifier | None = None  # else the requests service's JWKS


def create_app(settings: Settings | None = None, *, overrides: Overrides | None = None) -> FastAPI:
    """The balances app, built without I/O: the store, the broker and the scheduler start
    in its lifespan."""
    overrides = overrides or Overrides()
    runtime = build_runtime(
        "balances",
        settings or Settings(),
        indexes=INDEXES,
        store=overrides.store,
        verifier=overrides.verifier,
        clock=overrides.clock,
    )
    clock = runtime.clock
    # Typed as the ports, so the type checker proves the adapters implement them.
    unit_of_work: UnitOfWork = StoreUnitOfWork(runtime.store)
    read_model: ReadModel = StoreReads(runtime.store)
    # Every call is judged by the caller's current role and employment (the replica).
    runtime.standing = ReplicaStanding(read_model, clock)
    year_ends = YearEndScheduler(unit_of_work, read_model, clock)
    # A new or moved location may bring the next year boundary closer: re-plan.
    runtime.subscribe(
        requests_event_handlers(Repository, year_ends.location_changed),
        after_commit=year_ends.after_commit,
    )
    # A directory replica stored in another shape (an older version) is rebuilt from the
    # requests stream before the consumers start; the scheduler re-plans on start anyway.
    runtime.rebuild_on_start(
        ReplicaSet(
            "balances.directory",
            DIRECTORY_VERSION,
            "requests",
            DIRECTORY,
            directory_handlers(Repository, lambda: None),
        )
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with runtime.lifespan(app):
            year_ends.start()
            try:
                yield
            finally:
                await year_ends.stop()

    return runtime.app(
        title="Leaveflow balances",
        routers=[balances.router, policies.router, year_end.router, toil_credits.router],
        lifespan=lifespan,
        year_ends=year_ends,
        unit_of_work=unit_of_work,
        read_model=read_model,
    )
