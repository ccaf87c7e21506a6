"""Wakes the approval scheduler of every replica when what it plans from changed: a
request became pending, moved to its next level or was edited (the requests service's own
events, from any replica), or an admin changed the pending rules (a core-NATS ping on a
subject outside the JetStream streams, so it is never stored)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable

from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription

from leaveflow_contracts import LeaveLevelApproved, LeavePending, LeaveRepriced
from leaveflow_contracts.subjects import subject_for

SETTINGS_CHANGED = "lfx.requests.approval_settings_changed"
_WAKING = (
    *(
        subject_for("requests", e.EVENT_TYPE)
        for e in (LeavePending, LeaveLevelApproved, LeaveRepriced)
    ),
    SETTINGS_CHANGED,
)


class ScheduleSignals:
    def __init__(self, wake: Callable[[], None]) -> None:
        self._wake = wake
        self._connection: Client | None = None
        self._subscriptions: list[Subscription] = []

    async def attach(self, connection: Client) -> None:
        self._connection = connection
        for subject in _WAKING:
            self._subscriptions.append(await connection.subscribe(subject, cb=self._on_message))
        # SUB is sent without waiting for the server: until this round trip, a ping published
        # by another replica can reach the server before the subscription and be lost.
        await connection.flush()

    async def detach(self) -> None:
        for subscription in self._subscriptions:
            with contextlib.suppress(Exception):
                await subscription.unsubscribe()
        self._subscriptions.clear()
        self._connection = None

    async def settings_changed(self) -> None:
        """Wake here at once, and the other replicas through NATS (best effort: their
        heartbeat catches up if the ping is lost)."""
        self._wake()
        if self._connection is not None and self._connection.is_connected:
            with contextlib.suppress(Exception):
                await self._connection.publish(SETTINGS_CHANGED, b"")
                # Out of the client's buffer before the admin's answer goes back.
                await self._connection.flush(timeout=2)

    async def _on_message(self, message: Msg) -> None:
        self._wake()
