"""Stopping background loops: `leaveflow_kit.tasks.cancel`."""

from __future__ import annotations

import asyncio

import pytest

from leaveflow_kit.tasks import cancel


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
