"""Background tasks: the one way a service stops the loops it started."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

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
