"""Fixtures: a balances service on the in-memory store with a clock tests move."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from leaveflow_balances.adapters.repository import INDEXES
from leaveflow_kit.storage import open_store
from leaveflow_kit.testing import FakeClock

from ..harness import Harness


@pytest.fixture
async def harness() -> AsyncIterator[Harness]:
    store = open_store("memory://", INDEXES)
    await store.start()
    yield Harness(store, FakeClock(datetime(2026, 6, 1, tzinfo=UTC)))
    await store.close()
