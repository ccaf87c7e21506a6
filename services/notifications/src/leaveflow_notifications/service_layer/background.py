"""Work that outlives the HTTP answer (Slack wants its ack within 3 seconds)."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any

from leaveflow_kit.logging import get_logger

log = get_logger(__name__)


class Background:
    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[None]] = set()

    def run(self, work: Coroutine[Any, Any, None], name: str) -> None:
        task = asyncio.create_task(self._guarded(work, name), name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _guarded(self, work: Coroutine[Any, Any, None], name: str) -> None:
        try:
            await work
        except Exception as exc:
            log.warning("background_failed", task=name, error=repr(exc))

    async def drain(self) -> None:
        """Let running work finish (shutdown, tests); give up on it after 10 s."""
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=10.0)
