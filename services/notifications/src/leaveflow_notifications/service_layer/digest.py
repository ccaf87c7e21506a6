"""The daily digest: who is off today and later this week, once a day per tenant, at the
local time an admin configured on an integration (`digest_time`, tenant's time zone)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Any

from leaveflow_kit.clock import Clock, zone
from leaveflow_kit.logging import get_logger
from leaveflow_kit.storage import Store, Transaction
from leaveflow_kit.tasks import cancel, every

from ..domain.messages import DIGEST, Notice
from .chat import whos_off_item
from .collections import INTEGRATIONS
from .fanout import create_deliveries
from .ports import ApiUnavailable, LeaveflowApi
from .replica import TENANT_REPLICA
from .replica import admins as admins_of

log = get_logger(__name__)
DIGESTS = "digests"
CHANNEL_RECIPIENT = {"id": "channel", "name": "", "email": None}


def due_day(now: datetime, timezone: str, at: str) -> date | None:
    """The local date whose digest is due at `now`, or None before the configured time."""
    local = now.astimezone(zone(timezone))
    hours, minutes = (int(x) for x in at.split(":"))
    return local.date() if local.time() >= time(hours, minutes) else None


class DigestScheduler:
    def __init__(
        self,
        store: Store,
        api: LeaveflowApi,
        clock: Clock,
        wake: Callable[[], None],
        *,
        interval_seconds: float = 60.0,
    ) -> None:
        self._store = store
        self._api = api
        self._clock = clock
        self._wake = wake
        self._interval = interval_seconds
        self._task: asyncio.Task[None] | None = None

    async def _tenants(self) -> dict[str, str]:
        """tenant id -> digest time, for tenants that asked for one."""
        wanted: dict[str, str] = {}
        for doc in await self._store.find(INTEGRATIONS, {}, limit=10_000):
            if doc.get("digest_time"):
                wanted.setdefault(doc["tenant_id"], doc["digest_time"])
        return wanted

    async def run_once(self) -> int:
        sent = 0
        for tenant_id, at in (await self._tenants()).items():
            try:
                sent += await self._digest(tenant_id, at)
            except ApiUnavailable as exc:
                log.warning("digest_postponed", tenant_id=tenant_id, error=str(exc))
        return sent

    async def _digest(self, tenant_id: str, at: str) -> int:
        tenant = await TENANT_REPLICA.get(self._store, tenant_id, tenant_id) or {}
        day = due_day(self._clock.now(), tenant.get("timezone") or "UTC", at)
        if day is None or await self._store.get(DIGESTS, f"{tenant_id}:{day}") is not None:
            return 0
        admins = await admins_of(self._store, tenant_id)
        if not admins:
            return 0
        week_end = day + timedelta(days=6 - day.weekday())
        answer = await self._api.as_employee(
            tenant_id,
            admins[0]["id"],
            "GET",
            "calendar",
            "/v1/whos-off",
            params={"from": day.isoformat(), "to": week_end.isoformat()},
            via="digest",
        )
        if not answer.ok:
            raise ApiUnavailable(f"whos-off answered {answer.status}")
        # A channel is read by everyone: a private type's leave is "Away" there (issue 15).
        items = [_shared(i) for i in answer.body.get("items", [])]
        today = [whos_off_item(i) for i in items if str(i.get("start_date")) <= day.isoformat()]
        later = [whos_off_item(i) for i in items if str(i.get("start_date")) > day.isoformat()]
        notice = Notice(kind=DIGEST, tenant_id=tenant_id, items=today, later=later, day=str(day))

        async def run(tx: Transaction) -> int:
            if await tx.get(DIGESTS, f"{tenant_id}:{day}") is not None:
                return 0
            await tx.insert(
                DIGESTS, f"{tenant_id}:{day}", {"tenant_id": tenant_id, "day": str(day)}
            )
            return await create_deliveries(
                tx,
                self._clock,
                tenant_id=tenant_id,
                event_id=f"digest-{tenant_id}-{day}",
                event_type="Digest",
                notice=notice,
                recipients=[CHANNEL_RECIPIENT, *admins],
                only_channel_wide=True,
            )

        created = await self._store.atomic(run)
        if created:
            self._wake()
        return created

    def start(self) -> None:
        self._task = every(self._clock, self._interval, self.run_once, name="digest")

    async def stop(self) -> None:
        await cancel(self._task)


def _shared(item: dict[str, Any]) -> dict[str, Any]:
    """A who's-off item as a shared channel may show it: never a private type's name."""
    return {**item, "leave_type_name": "Away"} if item.get("private") else item
