"""The 3-node NATS cluster supervisor against real nats-server processes: streams at
replicas 3 survive losing a node (a new leader takes over), the node rejoins on its own
ports and store, and stopping leaves no process behind."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import nats
import pytest
from nats.js.api import StreamConfig, StreamInfo
from nats.js.errors import BadRequestError, NoStreamResponseError

from leaveflow_devstack.cluster import NatsCluster
from leaveflow_devstack.process import living_members

pytestmark = [pytest.mark.integration, pytest.mark.timeout(90)]

T = TypeVar("T")
# While a new stream leader is elected, requests time out or find no responder.
ELECTION_ERRORS = (
    nats.errors.TimeoutError,
    nats.errors.NoRespondersError,
    NoStreamResponseError,
    TimeoutError,
)


async def _retrying(call: Callable[[], Awaitable[T]], within: float = 20.0) -> T:
    """What the outbox relay does (retry until acknowledged), bounded in time."""
    deadline = time.monotonic() + within
    while True:
        try:
            return await call()
        except ELECTION_ERRORS:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.2)


async def _publish(urls: list[str], n: int, round_: int) -> tuple[str, int]:
    """Publish ``n`` messages to an R3 stream (once each: the server dedupes by id);
    the stream's leader and message count afterwards."""
    nc = await nats.connect(urls, connect_timeout=2, max_reconnect_attempts=5)
    try:
        js = nc.jetstream(timeout=5)
        config = StreamConfig(name="T", subjects=["t.>"], num_replicas=3)

        async def declare() -> None:
            with contextlib.suppress(BadRequestError):  # declared in the first round
                await js.add_stream(config)

        await _retrying(declare)
        for i in range(n):
            msg_id = f"{round_}-{i}"

            async def publish(msg_id: str = msg_id) -> object:
                return await js.publish("t.x", msg_id.encode(), headers={"Nats-Msg-Id": msg_id})

            await _retrying(publish)

        async def led() -> StreamInfo:
            info = await js.stream_info("T")
            if info.cluster is None or info.cluster.leader is None:
                raise TimeoutError("no leader yet")
            return info

        info = await _retrying(led)
        assert info.cluster is not None
        assert info.cluster.leader is not None
        return info.cluster.leader, info.state.messages
    finally:
        await nc.close()


@pytest.mark.e2e  # kills and restarts a node of three: seconds, not milliseconds
def test_a_stream_at_replicas_3_survives_a_node_and_the_node_rejoins(tmp_path: Path) -> None:
    cluster = NatsCluster(tmp_path / "nats")
    with cluster:
        assert len(cluster.url.split(",")) == 3
        leader, stored = asyncio.run(_publish(cluster.urls, 10, 0))
        assert stored == 10
        cluster.kill(leader)
        nodes = zip(cluster.nodes, cluster.urls, strict=True)
        survivors = [url for node, url in nodes if node != leader]
        new_leader, stored = asyncio.run(_publish(survivors, 10, 1))
        assert (new_leader != leader, stored) == (True, 20)
        cluster.start_node(leader)
        assert leader in cluster.pids
        pgids = list(cluster.pids.values())
    assert living_members(pgids) == []
