"""Building a runtime and its app is side-effect free; subscribing takes typed handlers
(grouped by producer) or the older {producer: {type: handler}} tables."""

from __future__ import annotations

import asyncio
import gc
import signal
import time
from email.utils import parsedate_to_datetime
from pathlib import Path

import httpx
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


def _quiet_server() -> tuple[QuietServer, list[int]]:
    app = FastAPI()

    @app.get("/")
    async def root() -> dict[str, str]:
        return {"ok": "yes"}

    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_config=None, lifespan="off")
    server = QuietServer(config)
    ticks: list[int] = []
    on_tick = server.on_tick

    async def counted(counter: int) -> bool:
        ticks.append(counter)
        return await on_tick(counter)

    server.on_tick = counted  # type: ignore[method-assign]
    return server, ticks


async def _serving(server: QuietServer) -> tuple[asyncio.Task[None], str]:
    serving = asyncio.create_task(server.serve())
    for _ in range(200):
        if server.started:
            break
        await asyncio.sleep(0.05)
    host, port = server.servers[0].sockets[0].getsockname()[:2]
    return serving, f"http://{host}:{port}"


async def test_the_quiet_server_does_not_tick_while_idle_and_stops_at_once_on_a_signal() -> None:
    server, ticks = _quiet_server()
    serving, _ = await _serving(server)
    await asyncio.sleep(2.2)
    assert ticks == [0]  # uvicorn's own loop ticks 22 times in 2.2 s, the old one twice
    stopping = time.monotonic()
    server.handle_exit(signal.SIGTERM, None)
    server._captured_signals.clear()  # uvicorn re-raises them on exit: not at pytest
    await asyncio.wait_for(serving, 5)
    assert time.monotonic() - stopping < 0.5


async def test_the_quiet_server_stops_at_once_when_code_says_so() -> None:
    server, _ = _quiet_server()
    serving, _ = await _serving(server)
    stopping = time.monotonic()
    server.should_exit = True  # what an embedding (the bot connector's server) does
    await asyncio.wait_for(serving, 5)
    assert time.monotonic() - stopping < 0.5


async def test_the_quiet_server_dates_every_response_to_the_second() -> None:
    server, _ = _quiet_server()
    serving, url = await _serving(server)
    try:
        async with httpx.AsyncClient(base_url=url) as client:
            dates = []
            for _ in range(2):
                before = int(time.time())
                response = await client.get("/")
                after = int(time.time())
                sent = parsedate_to_datetime(response.headers["date"]).timestamp()
                assert before <= sent <= after  # made now, not at start-up
                assert response.headers["server"] == "uvicorn"  # uvicorn's other default
                dates.append(response.headers["date"])
                await asyncio.sleep(1.1 - time.time() % 1)  # into the next second
        assert dates[0] != dates[1]
    finally:
        server.should_exit = True
        await asyncio.wait_for(serving, 5)
