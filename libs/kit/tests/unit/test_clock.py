"""The kit clock: "today" is the location's date, never the server's; the fake clock wakes
sleepers when a test moves it."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta

import pytest

from leaveflow_kit.clock import Clock, SystemClock, local_midnight, today_in, zone
from leaveflow_kit.testing import FakeClock


def test_today_is_the_date_in_the_given_zone() -> None:
    # 23:30 UTC on 1 March is already 2 March in Auckland and still 1 March in New York.
    clock = FakeClock(datetime(2026, 3, 1, 23, 30, tzinfo=UTC))
    assert today_in(clock, "Pacific/Auckland") == date(2026, 3, 2)
    assert today_in(clock, "America/New_York") == date(2026, 3, 1)
    assert today_in(clock, "UTC") == date(2026, 3, 1)


@pytest.mark.parametrize("bad", ["Mars/Olympus_Mons", "", None, "../etc/passwd", "Europe/"])
def test_an_unknown_zone_counts_as_utc_and_never_raises(bad: str | None) -> None:
    clock = FakeClock(datetime(2026, 3, 1, 23, 30, tzinfo=UTC))
    assert today_in(clock, bad) == date(2026, 3, 1)
    assert zone(bad).key == "UTC"


def test_local_midnight_is_the_utc_instant_the_local_day_starts() -> None:
    assert local_midnight(date(2026, 7, 1), "Europe/Berlin") == datetime(
        2026, 6, 30, 22, 0, tzinfo=UTC
    )
    assert local_midnight(date(2026, 1, 1), "Europe/Berlin") == datetime(
        2025, 12, 31, 23, 0, tzinfo=UTC
    )
    assert local_midnight(date(2026, 1, 1), "nowhere") == datetime(2026, 1, 1, tzinfo=UTC)


async def test_system_clock_is_aware_utc_and_sleep_returns_when_woken() -> None:
    clock: Clock = SystemClock()
    now = clock.now()
    assert now.tzinfo is not None
    assert now.utcoffset() == timedelta(0)
    wake = asyncio.Event()
    sleeper = asyncio.create_task(clock.sleep_until(now + timedelta(hours=1), wake))
    await asyncio.sleep(0)
    wake.set()
    await asyncio.wait_for(sleeper, 2.0)


async def test_system_clock_sleep_until_a_past_moment_returns_at_once() -> None:
    clock = SystemClock()
    await asyncio.wait_for(clock.sleep_until(clock.now() - timedelta(1), asyncio.Event()), 1.0)


async def test_fake_clock_sleeper_wakes_only_once_moved_past_the_moment() -> None:
    start = datetime(2026, 5, 4, 8, 0, tzinfo=UTC)
    clock = FakeClock(start)
    sleeper = asyncio.create_task(clock.sleep_until(start + timedelta(hours=2), asyncio.Event()))
    clock.advance(timedelta(hours=1))
    await asyncio.sleep(0.01)
    assert not sleeper.done()  # moved, but not far enough
    clock.advance(timedelta(hours=1))
    await asyncio.wait_for(sleeper, 1.0)
    assert clock.now() == start + timedelta(hours=2)


async def test_fake_clock_sleeper_wakes_when_its_event_is_set() -> None:
    clock = FakeClock(datetime(2026, 5, 4, tzinfo=UTC))
    wake = asyncio.Event()
    sleeper = asyncio.create_task(clock.sleep_until(clock.now() + timedelta(days=1), wake))
    await asyncio.sleep(0.01)
    assert not sleeper.done()
    wake.set()
    await asyncio.wait_for(sleeper, 1.0)
    assert clock.now() == datetime(2026, 5, 4, tzinfo=UTC)  # time did not move


def test_fake_clock_refuses_naive_times_and_keeps_utc() -> None:
    with pytest.raises(ValueError, match="aware"):
        FakeClock(datetime(2026, 1, 1))
    clock = FakeClock(datetime(2026, 1, 1, 12, tzinfo=UTC))
    clock.move_to(datetime(2026, 1, 2, 9, tzinfo=UTC) + timedelta(hours=0))
    assert clock.now().tzinfo == UTC
