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


def create_broker(nats_url: str, routers: Iterable[NatsRouter] = (), name: str = "") -> NatsBroker:
    """A broker with our routers; nothing connects until `connect_broker`."""
    return NatsBroker(
        nats_url,
        routers=list(routers),
        logger=_quiet,
        name=name or "leaveflow",
        # Keep reconnecting for ever: a NATS restart must not kill a service.
        max_reconnect_attempts=-1,
        reconnect_time_wait=1,
        graceful_timeout=10.0,
    )


async def ensure_streams(broker: NatsBroker) -> None:
    """Create (or update) every Leaveflow stream, file-backed, with a 2 min dedupe window."""
    js = broker.connection.jetstream()
    for name, subjects in all_streams().items():
        config = StreamConfig(
            name=name,
            subjects=subjects,
            storage=StorageType.FILE,
            duplicate_window=120.0,
        )
        try:
            await js.add_stream(config)
        except BadRequestError:
            await js.update_stream(config)


async def connect_broker(broker: NatsBroker) -> None:
    """Connect, declare streams, then start subscribers.

    nats-py's first connect to a dead server retries for minutes: bound it so a service
    fails fast at start-up with a clear error instead of hanging.
    """
    await asyncio.wait_for(broker.connect(), START_TIMEOUT_SECONDS)
    await ensure_streams(broker)
    await asyncio.wait_for(broker.start(), START_TIMEOUT_SECONDS)
