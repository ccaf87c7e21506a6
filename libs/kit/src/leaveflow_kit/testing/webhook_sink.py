"""A real loopback HTTP server that records the webhook calls it receives.

It runs in its own thread with its own event loop, so sync and async tests can use it
and the services under test reach it over real TCP. `responses` scripts its answers
(e.g. a 503 then a 200, or a 429 with `Retry-After`) to exercise retries; `hang_seconds`
makes it answer that late (a slow peer); `go_down()` / `come_back()` close and reopen its
port (connection refused in between: a peer that is down).
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from .nats_server import free_port


@dataclass
class RecordedCall:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class WebhookSink:
    port: int = field(default_factory=free_port)
    calls: list[RecordedCall] = field(default_factory=list)
    # Scripted (status, headers) answers, used in order; then 200.
    responses: deque[tuple[int, dict[str, str]]] = field(default_factory=deque)
    # Seconds to wait before answering each call (a slow or hanging peer).
    hang_seconds: float = 0.0
    # The body of a successful answer (Slack's Web API answers JSON like {"ok": true}).
    ok_body: str = "ok"

    def __post_init__(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._runner: web.AppRunner | None = None
        self._site: web.TCPSite | None = None
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    async def _handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        if self.hang_seconds:
            await asyncio.sleep(self.hang_seconds)
        with self._lock:
            self.calls.append(RecordedCall(request.path, dict(request.headers), body))
            status, headers = self.responses.popleft() if self.responses else (200, {})
        return web.Response(
            status=status, headers=headers, text=self.ok_body if status < 300 else "no"
        )

    def _serve(self) -> None:
        asyncio.set_event_loop(self._loop)
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        self._loop.run_until_complete(self._runner.setup())
        self._loop.run_until_complete(self._open())
        self._ready.set()
        self._loop.run_forever()

    async def _open(self) -> None:
        assert self._runner is not None
        self._site = web.TCPSite(self._runner, "127.0.0.1", self.port, reuse_address=True)
        await self._site.start()

    async def _close(self) -> None:
        if self._site is not None:
            await self._site.stop()
            self._site = None

    def go_down(self) -> None:
        """Stop listening: callers get connection refused until `come_back()`."""
        asyncio.run_coroutine_threadsafe(self._close(), self._loop).result(10)

    def come_back(self) -> None:
        asyncio.run_coroutine_threadsafe(self._open(), self._loop).result(10)

    def start(self) -> WebhookSink:
        self._thread.start()
        if not self._ready.wait(10):
            raise TimeoutError("webhook sink did not start")
        return self

    def stop(self) -> None:
        if self._runner is not None:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    def snapshot(self) -> list[RecordedCall]:
        with self._lock:
            return list(self.calls)

    def __enter__(self) -> WebhookSink:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
