"""Background loops: `leaveflow_kit.tasks.every` runs them, `cancel` stops them."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from leaveflow_kit.tasks import cancel, every
from leaveflow_kit.testing.clock import FakeClock


async def test_a_loop_that_swallows_one_cancellation_is_still_stopped() -> None:
    """What Python 3.11's wait_for can do to a cancellation: the loop carries on once."""
    swallowed: list[int] = []

    async def loop() -> None:
        while True:
            try:
                await asyncio.sleep(0.01)
            except asyncio.CancelledError:
                if swallowed:
                    raise
                swallowed.append(True)

    task = asyncio.create_task(loop())
    await asyncio.sleep(0.02)
    await asyncio.wait_for(cancel(task), 5)
    assert task.done()
    assert swallowed == [True]


async def test_none_is_skipped_and_a_finished_task_is_fine() -> None:
    done = asyncio.create_task(asyncio.sleep(0))
    await done
    await cancel(None, done)


async def test_a_task_that_failed_raises_its_error_on_stop() -> None:
    async def boom() -> None:
        raise RuntimeError("boom")

    task = asyncio.create_task(boom())
    await asyncio.sleep(0)
    with pytest.raises(RuntimeError, match="boom"):
        await cancel(task)


async def test_every_runs_a_round_per_interval_on_the_clock_and_outlives_a_failed_round() -> None:
    clock = FakeClock(datetime.now(UTC))
    rounds: asyncio.Queue[datetime] = asyncio.Queue()
    ran: list[int] = []

    async def round_() -> None:
        ran.append(1)
        rounds.put_nowait(clock.now())
        if len(ran) == 2:
            raise RuntimeError("one bad round")

    async def next_round() -> datetime:
        return await asyncio.wait_for(rounds.get(), 5)

    task = every(clock, 60, round_, name="test_round")
    try:
        first = await next_round()
        await asyncio.sleep(0.02)
        assert rounds.empty()  # the next round waits for the clock, not for the loop
        clock.advance(timedelta(seconds=60))
        await asyncio.sleep(0.02)
        assert rounds.qsize() == 1  # the second round ran, and raised
        clock.advance(timedelta(seconds=59))
        await asyncio.sleep(0.02)
        assert rounds.qsize() == 1
        clock.advance(timedelta(seconds=1))
        await next_round()
        third = await next_round()  # the loop went on after the failed round
        assert third - first == timedelta(seconds=120)
    finally:
        await cancel(task)
    assert task.done()
