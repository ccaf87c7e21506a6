"""A service whose start fails after it connected undoes the half start, so its process
exits (for a supervisor to restart it) instead of hanging on the broker's tasks."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from nats.js.errors import ServerError

from leaveflow_kit.runtime import build_runtime
from leaveflow_kit.settings import ServiceSettings

pytestmark = pytest.mark.integration


async def test_a_start_that_fails_after_connecting_leaves_no_task_behind(
    tmp_path: Path, nats_url: str
) -> None:
    # Streams at replicas 3 on a single server: the server refuses them at start-up.
    settings = ServiceSettings(
        nats_url=nats_url,
        nats_stream_replicas=3,
        data_dir=tmp_path,
        database_url=f"sqlite:///{tmp_path / 'svc.db'}",
    )
    runtime = build_runtime("svc", settings)
    before = asyncio.all_tasks()
    with pytest.raises(ServerError, match="replicas > 1 not supported"):
        await runtime.start()
    await asyncio.sleep(0.1)  # let cancelled tasks finish
    left = [t for t in asyncio.all_tasks() - before if not t.done()]
    assert left == [], left
