"""Building the calendar app does no I/O and starts nothing; fakes come in as overrides."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

from leaveflow_calendar.bootstrap import Overrides, create_app
from leaveflow_calendar.config import Settings
from leaveflow_kit.storage import open_store
from leaveflow_kit.testing import FakeClock


async def test_create_app_writes_nothing_and_starts_nothing(tmp_path: Path) -> None:
    before = asyncio.all_tasks()
    app = create_app(Settings(data_dir=tmp_path / "data", nats_url="nats://127.0.0.1:1"))
    assert not (tmp_path / "data").exists()  # the SQLite file is made on start
    assert asyncio.all_tasks() == before
    runtime = app.state.runtime
    assert {c.producer for c in runtime.consumers} == {"requests", "balances"}
    assert [r.name for r in runtime.replicas] == ["calendar.directory"]


def test_overrides_are_what_the_app_uses() -> None:
    store = open_store("memory://")
    clock = FakeClock(datetime.now(UTC))
    app = create_app(Settings(), overrides=Overrides(store=store, clock=clock))
    assert app.state.store is store
    assert app.state.clock is clock
