"""The clock port: scheduled work asks it for the time and sleeps on it, so tests move time
instead of waiting for it."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, date, datetime
from typing import Protocol
from zoneinfo import ZoneInfo


class Clock(Protocol):
    def now(self) -> datetime:
        """Aware UTC now."""

    async def sleep_until(self, moment: datetime, wake: asyncio.Event) -> None:
        """Return at `moment`, or earlier when `wake` is set."""


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    async def sleep_until(self, moment: datetime, wake: asyncio.Event) -> None:
        seconds = max(0.0, (moment - self.now()).total_seconds())
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(wake.wait(), timeout=seconds)


def local_today(clock: Clock, timezone: str) -> date:
    return clock.now().astimezone(_zone(timezone)).date()


def local_midnight(day: date, timezone: str) -> datetime:
    """The instant a local day starts, in UTC."""
    return datetime(day.year, day.month, day.day, tzinfo=_zone(timezone)).astimezone(UTC)


def _zone(timezone: str) -> ZoneInfo:
    try:
        return ZoneInfo(timezone)
    except (KeyError, ValueError):  # the directory validated it; never fail a job on it
        return ZoneInfo("UTC")
