"""Fixtures shared by every package's tests: a real nats-server from the wheel.

One server per test (it starts in ~30 ms) so durable consumers and streams never leak
between tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from leaveflow_kit.testing import NatsServer


@pytest.fixture
def nats_server(tmp_path: Path) -> Iterator[NatsServer]:
    server = NatsServer(tmp_path / "nats").start()
    yield server
    server.stop()


@pytest.fixture
def nats_url(nats_server: NatsServer) -> str:
    return nats_server.url
