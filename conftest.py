"""Fixtures shared by every package's tests: a real nats-server from the wheel.

One server per test (it starts in ~30 ms) so durable consumers and streams never leak
between tests.

Code that logs before (or without) ``leaveflow_kit.logging.configure`` uses structlog's
default console renderer, which draws every logged exception with rich, locals and source
included: 3 to 6 s per traceback on this machine, paid by each test of an unexpected
error. The tests' processes render them as plain tracebacks instead (same text, same
processors otherwise, and after structlog.reset_defaults() too); a service process
configures its own JSON logs, as before.

Bytecode is cached even where PYTHONDONTWRITEBYTECODE is set (it is on the shared dev machine,
and ``make test`` unsets it for the same reason): without it each test process rewrote and
compiled every test module and every conftest again, about 7 s of CPU per xdist worker to
collect. Set here, the first thing pytest imports from the project, so a bare ``pytest``
caches as ``make test`` does; Python checks each .pyc against its source, so none goes stale.

httpx's in-process ASGI transport imports ``sniffio`` on every request to ask whether trio
runs, and takes the ImportError as "no" (sniffio is not installed here). A failed import is
never remembered: each one searched the whole sys.path again, 0.4 ms of CPU per request, some
seconds over the HTTP tests. Where sniffio is absent, a None in sys.modules makes the same
ImportError immediate (the import system's own "known missing" marker); where it is
installed, nothing changes.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import structlog

from leaveflow_kit.testing import NatsServer

sys.dont_write_bytecode = False
if importlib.util.find_spec("sniffio") is None:
    sys.modules["sniffio"] = None  # type: ignore[assignment]


def pytest_configure(config: pytest.Config) -> None:
    # The default renderer is one object, which structlog.reset_defaults() puts back as it is.
    renderer = structlog.get_config()["processors"][-1]
    if isinstance(renderer, structlog.dev.ConsoleRenderer):
        renderer.exception_formatter = structlog.dev.plain_traceback


@pytest.fixture
def nats_server(tmp_path: Path) -> Iterator[NatsServer]:
    server = NatsServer(tmp_path / "nats").start()
    yield server
    server.stop()


@pytest.fixture
def nats_url(nats_server: NatsServer) -> str:
    return nats_server.url
