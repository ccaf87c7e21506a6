"""The clock port: code asks it for the time and sleeps on it, so tests move time instead of
waiting for it (a fake lives in `leaveflow_kit.testing`).

"Today" is never the server's local date: it is the date in the time zone of the location
(or, lacking one, the tenant) the question is about, so a leave that ends today in
Auckland has ended there even while it is still yesterday in UTC.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Protocol
from zoneinfo import ZoneInfo

__all__ = ["Clock", "SystemClock", "local_midnight", "today_in", "zone"]


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


@lru_cache(maxsize=512)
def zone(timezone: str | None) -> ZoneInfo:
    """The zone named `timezone`; UTC for a missing or unknown name.

    The directory validates zones when they are written; a replica or an old record may
    still hold a name this machine's tz database lacks, and a job must not fail on it."""
    if not timezone:
        return ZoneInfo("UTC")
    try:
        return ZoneInfo(timezone)
    except (KeyError, ValueError, OSError):
        return ZoneInfo("UTC")


def today_in(clock: Clock, timezone: str | None) -> date:
    """The date it is now in `timezone` (UTC when unknown)."""
    return clock.now().astimezone(zone(timezone)).date()


def local_midnight(day: date, timezone: str | None) -> datetime:
    """The instant `day` starts in `timezone`, in UTC."""
    return datetime(day.year, day.month, day.day, tzinfo=zone(timezone)).astimezone(UTC)
