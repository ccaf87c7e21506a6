"""Completion watched on the event stream: the bench never polls the services' lists.

A plain NATS subscription (no JetStream consumer, so nothing is stored or acked for the
bench) hears every `LeavePending` of requests and every `LeaveReserved` of balances the
moment the outbox relays publish them, and stamps each request id with its arrival time.
Watching this way costs the services nothing, unlike paging through their lists, which in
the old bench took about a tenth of the requests process.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import nats
from nats.aio.client import Client
from nats.aio.msg import Msg

from leaveflow_contracts import subject_for

PENDING = subject_for("requests", "LeavePending")
REJECTED = subject_for("requests", "LeaveRejected")
RESERVED = subject_for("balances", "LeaveReserved")
RESERVATION_REJECTED = subject_for("balances", "LeaveReservationRejected")


def request_id_of(payload: bytes) -> str | None:
    """The `data.request_id` of an event envelope; None for anything else."""
    try:
        envelope: Any = json.loads(payload)
        request_id = envelope["data"]["request_id"]
    except (ValueError, KeyError, TypeError):
        return None
    return request_id if isinstance(request_id, str) else None


@dataclass
class Arrivals:
    """First arrival (``perf_counter`` seconds) of one event type, per request id."""

    at: dict[str, float] = field(default_factory=dict)
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    def record(self, request_id: str, when: float) -> None:
        if request_id not in self.at:
            self.at[request_id] = when
            self.changed.set()

    async def wait_for(self, ids: set[str], deadline: float) -> bool:
        """Until every id has arrived (True) or the monotonic deadline passed (False)."""
        while not ids.issubset(self.at):
            self.changed.clear()
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            try:
                await asyncio.wait_for(self.changed.wait(), min(remaining, 1.0))
            except TimeoutError:
                continue
        return True


class EventWatch:
    """Subscribes before the first submit; `pending`, `reserved` and `rejected` fill in."""

    def __init__(self, nats_url: str) -> None:
        self.nats_url = nats_url
        self.pending = Arrivals()
        self.reserved = Arrivals()
        self.rejected = Arrivals()
        self._nc: Client | None = None

    async def __aenter__(self) -> EventWatch:
        # nats-py retries a dead server for minutes by default; fail fast instead.
        self._nc = await asyncio.wait_for(
            nats.connect(self.nats_url, connect_timeout=2, max_reconnect_attempts=0), timeout=10
        )
        for subject, arrivals in (
            (PENDING, self.pending),
            (RESERVED, self.reserved),
            (REJECTED, self.rejected),
            (RESERVATION_REJECTED, self.rejected),
        ):
            # A large pending limit: a burst of thousands must not be dropped as slow.
            await self._nc.subscribe(subject, cb=_recorder(arrivals), pending_msgs_limit=1_000_000)
        await self._nc.flush()
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._nc is not None:
            await self._nc.drain()


def _recorder(arrivals: Arrivals) -> Callable[[Msg], Any]:
    async def on_message(msg: Msg) -> None:
        request_id = request_id_of(msg.data)
        if request_id is not None:
            arrivals.record(request_id, time.perf_counter())

    return on_message
