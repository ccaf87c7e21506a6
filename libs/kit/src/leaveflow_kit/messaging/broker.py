"""Broker construction and stream declaration."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable

from faststream.nats import NatsBroker, NatsRouter, StorageType, StreamConfig
from nats.js.errors import BadRequestError

from leaveflow_contracts import all_streams

_quiet = logging.getLogger("leaveflow.faststream")
# FastStream logs two INFO lines per message by default (~25% of throughput): keep only
# warnings and errors.
_quiet.setLevel(logging.WARNING)

START_TIMEOUT_SECONDS = 10.0


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
    return NatsBroker(
        server_urls(nats_url),
        routers=list(routers),
        logger=_quiet,
        name=name or "leaveflow",
        # Keep reconnecting for ever: a NATS restart must not kill a service.
        max_reconnect_attempts=-1,
        reconnect_time_wait=1,
        graceful_timeout=10.0,
    )


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
        try:
            await js.add_stream(config)
        except BadRequestError:
            await js.update_stream(config)


async def connect_broker(broker: NatsBroker, *, stream_replicas: int = 1) -> None:
    """Connect, declare streams (at ``stream_replicas``), then start subscribers.

    nats-py's first connect to a dead server retries for minutes: bound it so a service
    fails fast at start-up with a clear error instead of hanging.
    """
    await asyncio.wait_for(broker.connect(), START_TIMEOUT_SECONDS)
    await ensure_streams(broker, replicas=stream_replicas)
    await asyncio.wait_for(broker.start(), START_TIMEOUT_SECONDS)
