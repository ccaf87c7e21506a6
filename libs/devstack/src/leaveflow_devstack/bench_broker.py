"""Bench stage (a): the broker's own ceiling on this machine, with no service in the way.

Publishes N small JSON events to a fresh JetStream stream (pipelined, with `Nats-Msg-Id` as
our outbox relay sends them, so server-side dedupe costs the same) while a durable pull
consumer fetches them 100 at a time and acks each. The pipeline stage is compared to this.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass
from uuid import uuid4

import nats
from nats.errors import TimeoutError as NatsTimeoutError
from rich.progress import Progress

PUBLISH_CHUNK = 500
FETCH_BATCH = 100


@dataclass(frozen=True)
class BrokerResult:
    events: int
    seconds: float  # first publish to last ack
    publish_seconds: float

    @property
    def rate(self) -> float:
        return self.events / self.seconds if self.seconds else 0.0


def sample_event(index: int, run: str) -> bytes:
    """About the size of a real envelope with a small payload."""
    return json.dumps(
        {
            "event_id": f"{run}-{index}",
            "type": "bench.event",
            "version": 1,
            "tenant_id": run,
            "occurred_at": "2026-01-01T00:00:00Z",
            "actor": "bench",
            "correlation_id": run,
            "causation_id": None,
            "data": {"index": index, "amount": "1.0"},
        }
    ).encode()


async def measure_jetstream(
    nats_url: str, n: int, progress: Progress, time_limit: float = 120.0
) -> BrokerResult:
    # nats-py retries a dead server for minutes by default; fail fast instead.
    nc = await asyncio.wait_for(
        nats.connect(nats_url, connect_timeout=2, max_reconnect_attempts=0), timeout=10
    )
    try:
        js = nc.jetstream()
        run = uuid4().hex[:10]
        stream, subject = f"BENCH_{run}", f"bench.{run}"
        await js.add_stream(name=stream, subjects=[f"{subject}.>"])
        pull = await js.pull_subscribe(f"{subject}.>", durable=f"bench_{run}", stream=stream)
        published = progress.add_task("(a) JetStream publish", total=n)
        acked = progress.add_task("(a) pull fetch(100) + ack", total=n)

        async def publish() -> float:
            for start in range(0, n, PUBLISH_CHUNK):
                indexes = range(start, min(start + PUBLISH_CHUNK, n))
                await asyncio.gather(
                    *(
                        js.publish(
                            f"{subject}.event",
                            sample_event(i, run),
                            headers={"Nats-Msg-Id": f"{run}-{i}"},
                        )
                        for i in indexes
                    )
                )
                progress.advance(published, len(indexes))
            return time.perf_counter()

        async def consume() -> None:
            received = 0
            while received < n:
                try:
                    messages = await pull.fetch(FETCH_BATCH, timeout=1)
                except NatsTimeoutError:
                    continue
                for message in messages:
                    await message.ack()
                received += len(messages)
                progress.advance(acked, len(messages))

        started = time.perf_counter()
        async with asyncio.timeout(time_limit):
            published_at, _ = await asyncio.gather(publish(), consume())
        finished = time.perf_counter()
        await js.delete_stream(stream)
        return BrokerResult(
            events=n, seconds=finished - started, publish_seconds=published_at - started
        )
    finally:
        await nc.close()
