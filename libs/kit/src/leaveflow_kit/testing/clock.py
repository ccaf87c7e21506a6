"""A clock tests move by hand: `now()` is what they set, and `sleep_until` returns as soon
as the clock is moved to (or past) the moment, or its `wake` is set."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta


class FakeClock:
    def __init__(self, now: datetime) -> None:
        if now.tzinfo is None:
            raise ValueError("FakeClock needs an aware datetime")
        self.current = now.astimezone(UTC)
        self._moved = asyncio.Event()

    def now(self) -> datetime:
        return self.current

    def move_to(self, moment: datetime) -> None:
        self.current = moment.astimezone(UTC)
        self._moved.set()

    def advance(self, delta: timedelta) -> None:
        self.move_to(self.current + delta)

    async def sleep_until(self, moment: datetime, wake: asyncio.Event) -> None:
        while self.current < moment and not wake.is_set():
            self._moved.clear()
            waiters = [
                asyncio.ensure_future(self._moved.wait()),
                asyncio.ensure_future(wake.wait()),
            ]
            try:
                await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for waiter in waiters:
                    waiter.cancel()
