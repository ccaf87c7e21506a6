"""Fixtures the messaging tests share."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from leaveflow_kit.storage import Store, open_store


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    """A service's own SQLite store, started, in the test's directory."""
    s = open_store(f"sqlite:///{tmp_path / 'svc.db'}")
    await s.start()
    yield s
    await s.close()
