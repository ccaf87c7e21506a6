"""Background tasks: the one way a service runs a periodic round, and stops the loops it
started."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from .clock import Clock
from .logging import get_logger

log = get_logger(__name__)

_RECANCEL_SECONDS = 0.1


async def cancel(*tasks: asyncio.Task[Any] | None) -> None:
    """Cancel the given tasks (None is skipped) and wait until each has finished, so a
    stop returns only once nothing of them runs any more.

    A cancellation can be swallowed (Python 3.11's ``asyncio.wait_for`` loses it when the
    awaited thing completes at the same moment, and nats-py's fetch waits that way), and a
    loop task would then run on while ``await task`` waits for ever: so cancel again until
    the task is done."""
    running = [task for task in tasks if task is not None]
    for task in running:
        while not task.done():
            task.cancel()
            await asyncio.wait({task}, timeout=_RECANCEL_SECONDS)
        with contextlib.suppress(asyncio.CancelledError):
            task.result()


def every(
    clock: Clock, seconds: float, round_: Callable[[], Awaitable[object]], *, name: str
) -> asyncio.Task[None]:
    """A task running ``round_`` every ``seconds`` on ``clock`` (a fake clock moves it in
    tests) until it is cancelled. A failed round is logged as ``<name>_failed`` and the
    next one runs: one bad round must not end a service's background job."""

    async def run() -> None:
        never = asyncio.Event()  # nothing wakes a periodic round early
        while True:
            try:
                await round_()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning(f"{name}_failed", error=repr(exc))
            await clock.sleep_until(clock.now() + timedelta(seconds=seconds), never)

    return asyncio.create_task(run(), name=name)
