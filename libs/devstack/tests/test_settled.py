"""When a test stack on a NATS cluster counts as able to carry events, against real
nats-server processes: our streams and durables with leaders, our durables with lease
holders; other streams do not count."""

from __future__ import annotations

import asyncio
from pathlib import Path

import nats
import pytest
from nats.js.api import ConsumerConfig, KeyValueConfig, StreamConfig

from leaveflow_devstack.cluster import NatsCluster
from leaveflow_devstack.settled import NotSettledError, unsettled, wait_streams_settled
from leaveflow_kit.messaging.lease import BUCKET

pytestmark = [pytest.mark.integration, pytest.mark.timeout(90)]


async def _declare(urls: list[str]) -> None:
    """An R3 stream `LF_T` with a durable `d`, and an unrelated stream with one of its own."""
    nc = await nats.connect(urls, connect_timeout=2)
    try:
        js = nc.jetstream(timeout=10)
        await js.add_stream(StreamConfig(name="LF_T", subjects=["t.>"], num_replicas=3))
        await js.add_stream(StreamConfig(name="OTHER", subjects=["o.>"], num_replicas=3))
        await js.add_consumer("LF_T", ConsumerConfig(durable_name="d"))
        await js.add_consumer("OTHER", ConsumerConfig(durable_name="not_ours"))
    finally:
        await nc.close()


async def _missing(urls: list[str], *, leases: bool) -> list[str]:
    nc = await nats.connect(urls, connect_timeout=2)
    try:
        return await unsettled(nc, leases=leases)
    finally:
        await nc.close()


async def _hold(urls: list[str], durable: str) -> None:
    nc = await nats.connect(urls, connect_timeout=2)
    try:
        js = nc.jetstream(timeout=10)
        kv = await js.create_key_value(KeyValueConfig(bucket=BUCKET, replicas=3))
        await kv.put(durable, b"holder")
    finally:
        await nc.close()


def test_durables_without_a_lease_holder_are_named_until_one_holds_them(tmp_path: Path) -> None:
    with NatsCluster(tmp_path / "nats", size=3) as cluster:
        asyncio.run(_declare(cluster.urls))
        # Without leases, leaders alone settle it (once elected).
        wait_streams_settled(cluster.urls, timeout=30, leases=False)
        assert asyncio.run(_missing(cluster.urls, leases=False)) == []

        assert asyncio.run(_missing(cluster.urls, leases=True)) == ["lease d has no holder"]
        with pytest.raises(NotSettledError, match="lease d has no holder"):
            wait_streams_settled(cluster.urls, timeout=0.5, leases=True)

        asyncio.run(_hold(cluster.urls, "d"))
        wait_streams_settled(cluster.urls, timeout=30, leases=True)
        assert asyncio.run(_missing(cluster.urls, leases=True)) == []
