"""Wakes a tenant's open event streams when its events reach JetStream.

One core-NATS subscription per process on the service's own subjects (the relay stamps
each message with an `lf-tenant` header): any replica's commit wakes the streams of every
replica, and an idle tenant costs nothing. A stream that misses a wake-up still catches up
on its next periodic read.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator

from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription


class TenantSignals:
    def __init__(self) -> None:
        self._listeners: dict[str, set[asyncio.Event]] = {}
        self._subscription: Subscription | None = None

    @contextlib.contextmanager
    def listen(self, tenant_id: str) -> Iterator[asyncio.Event]:
        """An event set whenever the tenant has something new (clear it before reading)."""
        wake = asyncio.Event()
        self._listeners.setdefault(tenant_id, set()).add(wake)
        try:
            yield wake
        finally:
            listeners = self._listeners.get(tenant_id)
            if listeners is not None:
                listeners.discard(wake)
                if not listeners:
                    del self._listeners[tenant_id]

    def notify(self, tenant_id: str) -> None:
        for wake in self._listeners.get(tenant_id, ()):
            wake.set()

    @property
    def listening(self) -> int:
        return sum(len(v) for v in self._listeners.values())

    async def attach(self, connection: Client, subject: str) -> None:
        self._subscription = await connection.subscribe(subject, cb=self._on_message)

    async def detach(self) -> None:
        if self._subscription is not None:
            with contextlib.suppress(Exception):
                await self._subscription.unsubscribe()
            self._subscription = None

    async def _on_message(self, message: Msg) -> None:
        tenant_id = (message.headers or {}).get("lf-tenant")
        if tenant_id:
            self.notify(tenant_id)
