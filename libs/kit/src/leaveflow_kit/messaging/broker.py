"""Broker construction and stream declaration."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import weakref
from collections.abc import Awaitable, Callable, Iterable
from typing import TypeVar

import nats.errors
from faststream.nats import NatsBroker, NatsRouter, StorageType, StreamConfig
from nats.js.errors import BadRequestError, NoStreamResponseError, ServiceUnavailableError

from leaveflow_contracts import all_streams

_quiet = logging.getLogger("leaveflow.faststream")
# FastStream logs two INFO lines per message by default (~25% of throughput): keep only
# warnings and errors.
_quiet.setLevel(logging.WARNING)

START_TIMEOUT_SECONDS = 10.0
# How long start-up keeps asking a JetStream that does not answer yet (see `while_forming`).
JETSTREAM_START_SECONDS = 60.0
NOT_ANSWERING_YET = (
    nats.errors.TimeoutError,
    nats.errors.NoRespondersError,
    NoStreamResponseError,
    ServiceUnavailableError,
)
T = TypeVar("T")

ReconnectHook = Callable[[], Awaitable[None]]
# Per broker made by `create_broker`: what runs once nats-py has reconnected.
_RECONNECT_HOOKS: weakref.WeakKeyDictionary[NatsBroker, list[ReconnectHook]] = (
    weakref.WeakKeyDictionary()
)


def on_reconnect(broker: NatsBroker, hook: ReconnectHook) -> Callable[[], None]:
    """Run `hook` each time `broker`'s connection comes back after a loss; returns what
    removes it. A no-op for a broker not made by `create_broker` (nothing tells us)."""
    hooks = _RECONNECT_HOOKS.get(broker)
    if hooks is None:
        return lambda: None
    hooks.append(hook)
    return lambda: hooks.remove(hook) if hook in hooks else None


def _reconnected(hooks: list[ReconnectHook]) -> ReconnectHook:
    async def run() -> None:
        for hook in list(hooks):
            with contextlib.suppress(Exception):  # one failing hook must not stop the others
                await hook()

    return run


async def while_forming(
    call: Callable[[], Awaitable[T]],
    what: str,
    *,
    budget: float = JETSTREAM_START_SECONDS,
    undo: Callable[[], Awaitable[None]] | None = None,
) -> T:
    """Run a start-up JetStream call, again while the cluster is still forming.

    On a cluster, a stream or consumer that another replica is creating at that moment, or
    whose leader is being elected, answers nothing for a few seconds (timeout, no
    responders, 503); a single server answers at once. Failing the start then would stop a
    replica for a transient state, so retry (after ``undo``, which cleans up a half start)
    until ``budget`` is spent.
    """
    deadline = time.monotonic() + budget
    while True:
        try:
            return await call()
        except NOT_ANSWERING_YET as exc:
            if undo is not None:
                await undo()
            if time.monotonic() > deadline:
                raise
            _quiet.warning("jetstream not answering yet (%s: %r); retrying", what, exc)
            await asyncio.sleep(0.5)


def server_urls(nats_url: str) -> list[str]:
    """``NATS_URL`` as nats-py's server pool: one URL, or a comma-separated list (a cluster).

    nats-py parses a single string as one URL, so a list has to be split here; it then
    fails over between them (and learns the other cluster members the servers gossip).
    """
    urls = [url.strip() for url in nats_url.split(",") if url.strip()]
    if not urls:
        raise ValueError("NATS_URL names no server")
    return urls


def create_broker(nats_url: str, routers: Iterable[NatsRouter] = (), name: str = "") -> NatsBroker:
    """A broker with our routers; nothing connects until `connect_broker`.

    ``nats_url`` may list several servers, comma-separated (see `server_urls`).
    """
    hooks: list[ReconnectHook] = []
    broker = NatsBroker(
        server_urls(nats_url),
        routers=list(routers),
        logger=_quiet,
        name=name or "leaveflow",
        # Keep reconnecting for ever: a NATS restart must not kill a service.
        max_reconnect_attempts=-1,
        reconnect_time_wait=1,
        graceful_timeout=10.0,
        reconnected_cb=_reconnected(hooks),
    )
    _RECONNECT_HOOKS[broker] = hooks
    return broker


async def ensure_streams(broker: NatsBroker, *, replicas: int = 1) -> None:
    """Create (or update) every Leaveflow stream, file-backed, with a 2 min dedupe window.

    ``replicas`` is how many cluster nodes keep a copy (1 on a single server; 3 on a
    3-node cluster, so losing one node loses no event and stops no publisher). Durable
    consumers inherit the stream's replica count.
    """
    js = broker.connection.jetstream()
    for name, subjects in all_streams().items():
        config = StreamConfig(
            name=name,
            subjects=subjects,
            storage=StorageType.FILE,
            duplicate_window=120.0,
            num_replicas=replicas,
        )

        async def declare(config: StreamConfig = config) -> None:
            try:
                await js.add_stream(config)
            except BadRequestError:
                await js.update_stream(config)

        await while_forming(declare, f"stream {name}")


async def connect_broker(broker: NatsBroker, *, stream_replicas: int = 1) -> None:
    """Connect, declare streams (at ``stream_replicas``), then start subscribers.

    nats-py's first connect to a dead server retries for minutes: bound it so a service
    fails fast at start-up with a clear error instead of hanging.
    """
    await asyncio.wait_for(broker.connect(), START_TIMEOUT_SECONDS)
    await ensure_streams(broker, replicas=stream_replicas)
    await asyncio.wait_for(broker.start(), START_TIMEOUT_SECONDS)
