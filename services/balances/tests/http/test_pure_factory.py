"""Building the app does no I/O; its lifespan connects, rebuilds a directory replica kept
in an older shape, and starts the consumers and the year-end scheduler."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import pytest

from leaveflow_balances.adapters.repository import DIRECTORY_VERSION, INDEXES, LOCATIONS
from leaveflow_balances.bootstrap import create_app
from leaveflow_balances.config import Settings
from leaveflow_kit.replica import stored_version
from leaveflow_kit.storage import Store, Transaction, open_store

T = TypeVar("T")


async def test_create_app_writes_nothing_and_starts_nothing(tmp_path: Path) -> None:
    before = asyncio.all_tasks()
    app = create_app(
        Settings(data_dir=tmp_path / "data", nats_url="nats://127.0.0.1:1")  # nothing there
    )
    assert not (tmp_path / "data").exists()  # no database file
    assert asyncio.all_tasks() == before
    assert app.state.runtime.consumers  # subscribed, but not started
    assert [r.name for r in app.state.runtime.replicas] == ["balances.directory"]


async def _stored(url: str, work: Callable[[Store], Awaitable[T]]) -> T:
    """`work` on the SQLite file at `url`, opened for it alone."""
    store = open_store(url, INDEXES)
    await store.start()
    try:
        return await work(store)
    finally:
        await store.close()


@pytest.mark.integration
async def test_the_first_start_rebuilds_a_replica_of_the_old_shape(
    tmp_path: Path, nats_url: str
) -> None:
    url = f"sqlite:///{tmp_path / 'balances.db'}"

    async def old_shape(store: Store) -> None:
        # Version 1: keyed by the bare id, no replica stamp, and no version recorded.
        async def put(tx: Transaction) -> None:
            await tx.put(LOCATIONS, "loc", {"id": "loc", "tenant_id": "t", "timezone": "UTC"})

        await store.atomic(put)

    await _stored(url, old_shape)
    app = create_app(Settings(data_dir=tmp_path, database_url=url, nats_url=nats_url))
    async with app.router.lifespan_context(app):
        store: Store = app.state.store
        assert await stored_version(store, "balances.directory") == DIRECTORY_VERSION
        assert await store.get(LOCATIONS, "loc") is None  # replayed from an empty stream

    async def versions(store: Store) -> int | None:
        return await stored_version(store, "balances.directory")

    assert await _stored(url, versions) == DIRECTORY_VERSION
