"""Stores for tests that must hold on both embedded adapters: the in-memory one and SQLite."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path

from ..storage import IndexSpec, Store, open_store

EMBEDDED_KINDS = ("memory", "sqlite")
"""The `kind`s of `started_store`, for ``@pytest.fixture(params=EMBEDDED_KINDS)``."""


@asynccontextmanager
async def started_store(
    kind: str, directory: Path, indexes: Sequence[IndexSpec] = ()
) -> AsyncIterator[Store]:
    """A started store of `kind` ("memory", or "sqlite" with its file in `directory`),
    closed when the block ends."""
    url = "memory://" if kind == "memory" else f"sqlite:///{directory / 'store.db'}"
    store = open_store(url, indexes)
    await store.start()
    try:
        yield store
    finally:
        await store.close()
