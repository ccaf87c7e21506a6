"""Composition root of the requests service: settings -> runtime -> FastAPI app.

The only place that knows both sides of every port: the store adapters behind the
service layer's `UnitOfWork`, `ReadModel` and `RepositoryFactory`, the clock, the event
handlers, and the HTTP routers.

`create_app` does no I/O: the signing key is loaded (or made, on first start) in the
lifespan, where the store and the broker connect too. Tests pass fakes in through
`Overrides` (an in-memory store, a fixed clock, an issuer on a test key) instead of
patching `app.state`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from fastapi import FastAPI

from leaveflow_contracts.subjects import stream_subjects
from leaveflow_kit.auth import TokenIssuer, TokenVerifier
from leaveflow_kit.clock import Clock
from leaveflow_kit.messaging import Handlers
from leaveflow_kit.messaging.lease import ConsumerLease, holder_id
from leaveflow_kit.replica import ReplicaSet
from leaveflow_kit.runtime import ServiceRuntime, build_runtime
from leaveflow_kit.storage import Store

from .adapters.approval_schedule_store import SCHEDULE_INDEXES, StoreScheduleLedger
from .adapters.balances_toil import BalancesToilCredits
from .adapters.repository import (
    INDEXES,
    POLICIES,
    POLICIES_VERSION,
    Repository,
    StoreReads,
    StoreUnitOfWork,
)
from .adapters.schedule_signals import ScheduleSignals
from .adapters.secrets import DeferredBox, load_or_create_key
from .adapters.tenant_signals import TenantSignals
from .config import Settings
from .entrypoints.http import (
    account,
    approval_settings,
    blackouts,
    directory,
    identity,
    invites,
    leave_requests,
    sso,
    stream,
    substitutions,
    tenancy,
    toil,
)
from .entrypoints.http import errors as http_errors
from .entrypoints.http.deps import ServiceSecretSettings
from .entrypoints.http.service_tokens import router as service_token_router
from .service_layer.approval_schedule import ApprovalScheduler
from .service_layer.balance_outcomes import balance_outcome_handlers
from .service_layer.policies import policy_handlers
from .service_layer.ports import ReadModel, SecretBox, ToilCredits, UnitOfWork
from .service_layer.standing import DirectoryStanding
from .service_layer.workflow_approvals import WorkflowApprovals


@dataclass(frozen=True)
class Overrides:
    """What tests put in place of the real thing; None: the real one."""

    store: Store | None = None
    clock: Clock | None = None
    # Else made in the lifespan from `settings.signing_key_path` (written on first start).
    issuer: TokenIssuer | None = None
    # Else REQUESTS_SECRET_KEY, or the key file in the data dir (read in the lifespan).
    secret_key: bytes | None = None
    # Else the balances service at BALANCES_URL, with LEAVEFLOW_SERVICE_SECRET.
    toil_credits: ToilCredits | None = None


def _service_secret() -> str | None:
    secret = ServiceSecretSettings().service_secret
    return secret.get_secret_value() if secret and secret.get_secret_value() else None


def event_handlers(clock: Clock) -> Handlers:
    """Everything this service handles, from the balances service."""
    return Handlers().include(
        balance_outcome_handlers(clock, Repository), policy_handlers(Repository)
    )


def create_app(settings: Settings | None = None, *, overrides: Overrides | None = None) -> FastAPI:
    settings = settings or Settings()
    overrides = overrides or Overrides()
    # The issuer verifies its own tokens locally: no HTTP round trip to itself. Its keys
    # arrive with the issuer (below, or from the overrides).
    verifier = TokenVerifier(jwks=overrides.issuer.jwks() if overrides.issuer else None)
    runtime: ServiceRuntime = build_runtime(
        "requests",
        settings,
        indexes=(*INDEXES, *SCHEDULE_INDEXES),
        store=overrides.store,
        verifier=verifier,
        clock=overrides.clock,
    )
    runtime.subscribe(event_handlers(runtime.clock))
    runtime.rebuild_on_start(
        ReplicaSet(
            name="requests.policies",
            version=POLICIES_VERSION,
            producer="balances",
            collections=[POLICIES],
            handlers=policy_handlers(Repository),
        )
    )
    signals = TenantSignals()
    # Typed as the ports, so the type checker proves the adapters implement them.
    unit_of_work: UnitOfWork = StoreUnitOfWork(runtime.store)
    read_model: ReadModel = StoreReads(runtime.store)
    standing = DirectoryStanding(read_model, runtime.clock)
    configured = settings.secret_key.get_secret_value().encode() if settings.secret_key else None
    box = DeferredBox(overrides.secret_key or configured)
    secret_box: SecretBox = box
    ledger = StoreScheduleLedger(runtime.store)
    approvals = WorkflowApprovals(unit_of_work, read_model, runtime.clock)
    scheduler = ApprovalScheduler(
        approvals,
        approvals,
        ledger,
        read_model,
        runtime.clock,
        heartbeat_seconds=settings.approval_schedule_heartbeat_seconds,
    )
    schedule_signals = ScheduleSignals(scheduler.wake)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if overrides.issuer is None:
            issuer = TokenIssuer(settings.signing_key_path)
            verifier.use(issuer.jwks())
            app.state.issuer = issuer
        if not box.ready:
            box.use(load_or_create_key(settings.secret_key_path))
        async with runtime.lifespan(app):
            # Every event this service publishes wakes the SSE streams of its tenant.
            await signals.attach(runtime.broker.connection, stream_subjects("requests")[0])
            await schedule_signals.attach(runtime.broker.connection)
            # Reminders and escalations run on one replica at a time (records are keyed,
            # so a handover never sends twice).
            lease = None
            if settings.consumer_lease_seconds:
                lease = ConsumerLease(
                    runtime.broker.connection.jetstream(),
                    "requests_approval_schedule",
                    ttl=settings.consumer_lease_seconds,
                    replicas=settings.nats_stream_replicas,
                    holder=holder_id(settings.port),
                )
                lease.start()
                scheduler.use_turn(lease)
            scheduler.start()
            try:
                yield
            finally:
                await scheduler.stop()
                if lease is not None:
                    await lease.stop()
                await schedule_signals.detach()
                await signals.detach()

    app = runtime.app(
        title="Leaveflow requests",
        # Routes are matched in order, each a regex: the busiest (a submit, a decision,
        # the lists) first, so they do not try two dozen directory routes first. No
        # path of one router matches another's (their first segments differ).
        routers=[
            leave_requests.router,
            tenancy.router,
            directory.router,
            substitutions.router,
            stream.router,
            service_token_router,
            sso.router,
            account.router,
            invites.router,
            blackouts.router,
            identity.router,
            approval_settings.router,
            toil.router,
        ],
        lifespan=lifespan,
        body_limits={directory.IMPORT_PATH: directory.MAX_IMPORT_BYTES},
        tenant_signals=signals,
        unit_of_work=unit_of_work,
        read_model=read_model,
        standing=standing,
        secret_box=secret_box,
        approval_settings=ledger,
        schedule_signals=schedule_signals,
        approval_scheduler=scheduler,
        toil_credits=overrides.toil_credits
        or BalancesToilCredits(settings.balances_url, _service_secret()),
    )
    if overrides.issuer is not None:
        app.state.issuer = overrides.issuer
    http_errors.install(app)
    return app
