"""What every service runs on: its store, the broker, the outbox relay, token checks.

`ServiceRuntime` is built by a service's bootstrap from settings; nothing connects until
`start()` (called from the FastAPI lifespan), so building an app is side-effect free.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import gc
import sys
import time
import weakref
from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from email.utils import formatdate
from typing import Any

import uvicorn
from fastapi import APIRouter, FastAPI
from faststream.nats import NatsBroker
from prometheus_client import REGISTRY
from prometheus_client.core import CounterMetricFamily
from prometheus_client.registry import Collector
from uvicorn.config import STARTUP_FAILURE
from uvicorn.server import ServerState

from . import telemetry
from .auth import StandingLookup, TokenVerifier, Verifier
from .clock import Clock, SystemClock
from .http.app import ReadinessCheck, create_service_app
from .logging import configure, get_logger
from .messaging import (
    DurableConsumer,
    EventHandler,
    Handlers,
    OutboxRelay,
    connect_broker,
    create_broker,
    subscribe_events,
)
from .messaging.broker import while_forming
from .messaging.lease import holder_id
from .replica import ReplicaSet, rebuild_if_stale
from .settings import ServiceSettings
from .storage import IndexSpec, Store, open_store

log = get_logger(__name__)


@dataclass
class ServiceRuntime:
    name: str
    settings: ServiceSettings
    store: Store
    broker: NatsBroker
    relay: OutboxRelay
    verifier: Verifier
    consumers: list[DurableConsumer] = field(default_factory=list)
    clock: Clock = field(default_factory=SystemClock)
    replicas: list[ReplicaSet] = field(default_factory=list)
    # The callers' current role and employment (see `leaveflow_kit.auth.standing`).
    standing: StandingLookup | None = None

    async def start(self) -> None:
        await self.store.start()
        try:
            await connect_broker(self.broker, stream_replicas=self.settings.nats_stream_replicas)
            # Before the consumers: a rebuilt replica must be whole before events apply on it.
            js = self.broker.connection.jetstream()
            for replicas in self.replicas:
                await while_forming(
                    functools.partial(rebuild_if_stale, self.store, js, replicas),
                    f"replica {replicas.name}",
                )
            for consumer in self.consumers:
                await while_forming(consumer.start, consumer.durable, undo=consumer.stop)
            self.relay.start()
        except BaseException:
            # Undo the half start, or the broker's reconnect and the leases' tasks keep the
            # process alive after uvicorn reports "startup failed": it hangs instead of
            # exiting for its supervisor to restart it.
            with contextlib.suppress(Exception):
                await self.stop()
            raise
        log.info("service_started", service=self.name, port=self.settings.port)

    async def stop(self) -> None:
        for consumer in self.consumers:
            await consumer.stop()
        await self.relay.stop()
        await self.broker.stop()
        await self.store.close()

    def readiness(self) -> Sequence[tuple[str, ReadinessCheck]]:
        async def nats() -> None:
            if not await self.broker.ping(timeout=2.0):
                raise ConnectionError("nats unreachable")

        return [("store", self.store.ping), ("nats", nats)]

    @asynccontextmanager
    async def lifespan(self, app: FastAPI) -> AsyncIterator[None]:
        await self.start()
        try:
            yield
        finally:
            await self.stop()

    def subscribe(
        self,
        handlers: Handlers | Mapping[str, Mapping[str, EventHandler]],
        *,
        after_commit: Callable[[], None] | None = None,
    ) -> None:
        """One durable consumer `<service>_<producer>` per producer whose events we handle.

        `handlers` is a `Handlers` (grouped by producer from the event types), or the older
        form `{producer: {event_type: handler}}`."""
        by_producer = handlers.by_producer() if isinstance(handlers, Handlers) else handlers
        for producer, table in by_producer.items():
            consumer = subscribe_events(
                self.broker,
                self.store,
                consumer=self.name,
                producer=producer,
                handlers=table,
                max_deliver=self.settings.max_deliver,
                ack_wait_seconds=self.settings.ack_wait_seconds,
                retry_base_seconds=self.settings.retry_base_seconds,
                after_commit=after_commit,
                lease_ttl=self.settings.consumer_lease_seconds or None,
                lease_holder=holder_id(self.settings.port),
            )
            self.consumers.append(consumer)

    def rebuild_on_start(self, replicas: ReplicaSet) -> None:
        """Rebuild `replicas` from the producer's stream at start-up when their stored
        schema version is not `replicas.version` (see `leaveflow_kit.replica`)."""
        self.replicas.append(replicas)

    def app(
        self,
        *,
        title: str,
        routers: Iterable[APIRouter],
        lifespan: Callable[[FastAPI], AbstractAsyncContextManager[None]] | None = None,
        body_limits: Mapping[str, int] | None = None,
        **state: Any,
    ) -> FastAPI:
        """The service's FastAPI app, with the runtime's store, verifier and standing
        lookup on `app.state`. `body_limits`: `{path: bytes}` for routes with a documented
        larger body limit than the default 1 MiB."""
        app = create_service_app(
            title=title,
            lifespan=lifespan or self.lifespan,
            readiness=self.readiness(),
            body_limits=body_limits,
        )
        for router in routers:
            app.include_router(router)
        app.state.settings = self.settings
        app.state.runtime = self
        app.state.store = self.store
        app.state.token_verifier = self.verifier
        app.state.clock = self.clock
        app.state.standing = self.standing
        for key, value in state.items():
            setattr(app.state, key, value)
        return app


def build_runtime(
    name: str,
    settings: ServiceSettings,
    *,
    indexes: Iterable[IndexSpec] = (),
    verifier: Verifier | None = None,
    store: Store | None = None,
    clock: Clock | None = None,
    standing: StandingLookup | None = None,
) -> ServiceRuntime:
    store = store or open_store(settings.database_url, list(indexes))
    _StoreMetrics.track(name, store)
    broker = create_broker(settings.nats_url, name=f"leaveflow-{name}")
    relay = OutboxRelay(store, broker, heartbeat_seconds=settings.relay_heartbeat_seconds)
    return ServiceRuntime(
        name=name,
        settings=settings,
        store=store,
        broker=broker,
        relay=relay,
        verifier=verifier or TokenVerifier(jwks_url=settings.jwks_url),
        clock=clock or SystemClock(),
        standing=standing,
    )


class _StoreMetrics(Collector):
    """Exposes each store's round-trip counters (the idle-cost test reads them)."""

    _stores: weakref.WeakValueDictionary[str, Store] = weakref.WeakValueDictionary()
    _registered = False

    @classmethod
    def track(cls, name: str, store: Store) -> None:
        cls._stores[name] = store
        if not cls._registered:
            REGISTRY.register(cls())
            cls._registered = True

    def collect(self) -> Iterable[CounterMetricFamily]:
        queries = CounterMetricFamily(
            "leaveflow_store_queries", "Round trips to the service's store", labels=["service"]
        )
        transactions = CounterMetricFamily(
            "leaveflow_store_transactions", "Committed store transactions", labels=["service"]
        )
        polls = CounterMetricFamily(
            "leaveflow_outbox_polls", "Outbox fetches by the relay", labels=["service"]
        )
        for name, store in list(self._stores.items()):
            queries.add_metric([name], store.stats.queries)
            transactions.add_metric([name], store.stats.transactions)
            polls.add_metric([name], store.stats.outbox_polls)
        yield from (queries, transactions, polls)


class _DatedState(ServerState):
    """uvicorn's shared server state with the Date header made when a response asks for it
    (at most once a second), instead of by the main loop's timer."""

    def __init__(self, config: uvicorn.Config) -> None:
        self._config = config
        self._second = -1
        self._headers: list[tuple[bytes, bytes]] = []
        super().__init__()

    @property
    def default_headers(self) -> list[tuple[bytes, bytes]]:
        now = int(time.time())
        if now != self._second:
            # Read here: Config.load() adds the Server header after the state is made.
            headers = list(self._config.encoded_headers)
            if self._config.date_header:
                headers.insert(0, (b"date", formatdate(now, usegmt=True).encode()))
            self._headers, self._second = headers, now
        return self._headers

    @default_headers.setter
    def default_headers(self, value: list[tuple[bytes, bytes]]) -> None:
        pass  # uvicorn's tick sets them; they are computed above instead


class QuietServer(uvicorn.Server):
    """uvicorn's main loop wakes every 0.1 s to see whether it should exit and, every tenth
    time, to refresh the Date header: ten wake-ups a second per idle process, the largest
    share of an idle stack's CPU. This one does not wake at all while idle: the Date header
    is made on demand (`_DatedState`, same one-second resolution), and setting
    `should_exit` (a signal, or code) wakes the loop at once, so a stop is no slower.
    With `limit_max_requests` or `callback_notify`, which need the tick, uvicorn's own loop
    runs."""

    _woken: asyncio.Event | None = None
    _loop: asyncio.AbstractEventLoop | None = None
    _exit = False

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.server_state = _DatedState(config)

    @property
    def should_exit(self) -> bool:
        return self._exit

    @should_exit.setter
    def should_exit(self, value: bool) -> None:
        self._exit = value
        if value and self._woken is not None and self._loop is not None:
            # Safe from a signal handler and from any thread.
            self._loop.call_soon_threadsafe(self._woken.set)

    async def main_loop(self) -> None:
        if self.config.limit_max_requests is not None or self.config.callback_notify:
            await super().main_loop()
            return
        self._woken = asyncio.Event()
        self._loop = asyncio.get_running_loop()
        counter = 0
        while not await self.on_tick(counter):
            counter = (counter + 10) % 864000
            await self._woken.wait()
            self._woken.clear()


def tune_garbage_collector() -> None:
    """Fewer, cheaper collections for a long-running service (issue 19).

    Every request allocates thousands of short-lived objects (pydantic models, decoded
    documents): at the default threshold of 700 the young generation was collected about
    seventy times a second under load, and each full collection walked every module,
    class and schema imported at start-up (about 5 % of the requests process's CPU in
    `make bench`). What exists at start-up lives as long as the process, so it is moved
    out of the collector's sight (`gc.freeze`), and the young generation is collected
    after ten times as many allocations; cycles are still found, only in fewer rounds.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(7_000, 20, 20)


def serve(app: FastAPI, settings: ServiceSettings, service: str) -> None:
    """Run one service process (the `python -m leaveflow_<service>` entry point)."""
    configure(service, settings.log_level)
    telemetry.setup(service, app)  # only with OTEL_EXPORTER_OTLP_ENDPOINT set
    tune_garbage_collector()
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=10,
    )
    server = QuietServer(config)
    with contextlib.suppress(KeyboardInterrupt):
        server.run()
    if not server.started:  # as uvicorn.run: a start that failed is a failed process
        sys.exit(STARTUP_FAILURE)
