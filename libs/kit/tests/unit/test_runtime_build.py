"""Building a runtime and its app is side-effect free; subscribing takes typed handlers
(grouped by producer) or the older {producer: {type: handler}} tables."""

from __future__ import annotations

import asyncio
import gc
import signal
import time
from pathlib import Path

import uvicorn
from fastapi import FastAPI

from leaveflow_contracts import LeaveRequested, LeaveReservationRejected, PolicyUpserted
from leaveflow_kit.messaging import HandledEvent, Handlers
from leaveflow_kit.runtime import QuietServer, build_runtime, tune_garbage_collector
from leaveflow_kit.settings import ServiceSettings
from leaveflow_kit.storage import Transaction


async def test_building_writes_nothing_connects_nothing_starts_nothing(tmp_path: Path) -> None:
    settings = ServiceSettings(data_dir=tmp_path / "data", nats_url="nats://127.0.0.1:1")
    before = asyncio.all_tasks()
    runtime = build_runtime("probe", settings)
    app = runtime.app(title="probe", routers=[])
    assert not (tmp_path / "data").exists()  # the SQLite file is made by start()
    assert asyncio.all_tasks() == before
    assert app.state.store is runtime.store
    assert app.state.clock is runtime.clock


def test_subscribe_groups_typed_handlers_by_producer(tmp_path: Path) -> None:
    runtime = build_runtime("probe", ServiceSettings(data_dir=tmp_path))
    handlers = Handlers()

    @handlers.on
    async def on_requested(tx: Transaction, data: LeaveRequested) -> None: ...

    @handlers.on
    async def on_balances(
        tx: Transaction, data: LeaveReservationRejected | PolicyUpserted
    ) -> None: ...

    runtime.subscribe(handlers)

    async def old_style(tx: Transaction, event: HandledEvent) -> None: ...

    runtime.subscribe({"notifications": {"Whatever": old_style}})
    consumed = {c.durable: sorted(c.state.handlers) for c in runtime.consumers}
    assert consumed == {
        "probe_requests": ["LeaveRequested"],
        "probe_balances": ["LeaveReservationRejected", "PolicyUpserted"],
        "probe_notifications": ["Whatever"],
    }


def test_a_service_hides_what_it_imported_from_the_collector_and_collects_less_often() -> None:
    before = gc.get_threshold()
    try:
        tune_garbage_collector()
        assert gc.get_freeze_count() > 0  # start-up's objects are no longer walked
        assert gc.get_threshold()[0] > before[0]
        leaked: list[object] = []
        leaked.append(leaked)  # a cycle made after start-up is still found
        del leaked
        assert gc.collect() >= 1
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)


async def test_the_quiet_server_ticks_once_a_second_and_stops_at_once() -> None:
    app = FastAPI()

    @app.get("/")
    async def root() -> dict[str, str]:
        return {"ok": "yes"}

    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_config=None, lifespan="off")
    server = QuietServer(config)
    ticks: list[int] = []
    first_tick = asyncio.Event()
    on_tick = server.on_tick

    async def counted(counter: int) -> bool:
        ticks.append(counter)
        first_tick.set()
        return await on_tick(counter)

    server.on_tick = counted  # type: ignore[method-assign]
    serving = asyncio.create_task(server.serve())
    await asyncio.wait_for(first_tick.wait(), 10)  # the main loop runs once started
    await asyncio.sleep(2.2)
    assert 2 <= len(ticks) <= 4  # uvicorn's own loop ticks 22 times in 2.2 s
    assert all(counter % 10 == 0 for counter in ticks)  # each refreshes the Date header
    stopping = time.monotonic()
    server.handle_exit(signal.SIGTERM, None)
    server._captured_signals.clear()  # uvicorn re-raises them on exit: not at pytest
    await asyncio.wait_for(serving, 5)
    assert time.monotonic() - stopping < 0.5
