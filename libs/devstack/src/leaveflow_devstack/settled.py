"""Waiting until a NATS cluster's JetStream assets can carry events: every stream and
every durable consumer has a leader, and every durable's lease has a holder.

Why: the services answer `/readyz` as soon as their HTTP side and store are up, which is
right for production (the outbox takes requests while NATS settles). On a cluster that has
just formed, streams at replicas 3 and their consumers elect leaders seconds later, so the
first events of a test (a location, a leave type) could wait out a publish-ack timeout or a
lost pull before they flow. A test stack is ready when events flow.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence

import nats
from nats.aio.client import Client as NATS
from nats.js.errors import BucketNotFoundError, NoKeysError

from leaveflow_kit.messaging.lease import BUCKET

POLL_SECONDS = 0.1


class NotSettledError(RuntimeError):
    """The cluster's streams, consumers or leases did not settle in time."""


def wait_streams_settled(
    urls: Sequence[str], *, timeout: float, leases: bool, prefix: str = "LF_"
) -> None:
    """Block until `unsettled` finds nothing (see the module docstring); raise
    `NotSettledError` naming what still lacks a leader or holder after `timeout` seconds."""
    asyncio.run(_wait(list(urls), within=timeout, leases=leases, prefix=prefix))


async def _wait(urls: list[str], *, within: float, leases: bool, prefix: str) -> None:
    deadline = time.monotonic() + within
    nc = await nats.connect(urls, connect_timeout=5, max_reconnect_attempts=-1)
    try:
        missing = ["no answer yet"]
        while True:
            try:
                missing = await unsettled(nc, leases=leases, prefix=prefix)
            except Exception as exc:  # a node still electing answers with errors
                missing = [f"{type(exc).__name__}: {exc}"]
            if not missing:
                return
            if time.monotonic() > deadline:
                raise NotSettledError(
                    f"JetStream not settled after {within:.0f}s: {', '.join(missing)}"
                )
            await asyncio.sleep(POLL_SECONDS)
    finally:
        await nc.close()


async def unsettled(nc: NATS, *, leases: bool, prefix: str = "LF_") -> list[str]:
    """What cannot carry events yet: streams named `prefix*` (and the lease bucket) without
    a leader, their consumers without a leader, and (with `leases`) durables nobody holds."""
    js = nc.jetstream()
    missing: list[str] = []
    durables: list[str] = []
    for stream in await js.streams_info():
        name = stream.config.name or ""
        if not (name.startswith(prefix) or name == f"KV_{BUCKET}"):
            continue
        if stream.cluster is not None and not stream.cluster.leader:
            missing.append(f"stream {name} has no leader")
        if name == f"KV_{BUCKET}":
            continue
        for consumer in await js.consumers_info(name):
            durables.append(consumer.name)
            if consumer.cluster is not None and not consumer.cluster.leader:
                missing.append(f"consumer {name} > {consumer.name} has no leader")
    if leases and durables:
        try:
            held = set(await (await js.key_value(BUCKET)).keys())
        except (BucketNotFoundError, NoKeysError):  # no lease taken yet
            held = set()
        missing += [f"lease {d} has no holder" for d in durables if d not in held]
    return missing
