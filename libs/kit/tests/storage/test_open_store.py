"""`open_store` picks the adapter from the URL scheme."""

from __future__ import annotations

from pathlib import Path

import pytest

from leaveflow_kit.storage import IndexSpec, open_store
from leaveflow_kit.storage.memory import MemoryStore
from leaveflow_kit.storage.mongo import MongoStore
from leaveflow_kit.storage.sqlite import SqliteStore


def test_memory_url_gives_an_in_process_store() -> None:
    assert isinstance(open_store("memory://"), MemoryStore)


def test_sqlite_url_gives_a_sqlite_store_on_that_file(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'a.db'}")
    assert isinstance(store, SqliteStore)
    assert store.path == tmp_path / "a.db"


def test_mongodb_url_gives_a_mongo_store_without_connecting() -> None:
    store = open_store("mongodb://localhost:1/svc", [IndexSpec("users", ("email",))])
    assert isinstance(store, MongoStore)
    assert store.url == "mongodb://localhost:1/svc"


@pytest.mark.parametrize("url", ["postgres://x/y", "file:///tmp/x", "nonsense"])
def test_unknown_schemes_are_refused(url: str) -> None:
    with pytest.raises(ValueError, match="unsupported"):
        open_store(url)


def test_invalid_index_specs_are_refused_at_once() -> None:
    with pytest.raises(ValueError, match="no field"):
        open_store("memory://", [IndexSpec("users", ())])
    with pytest.raises(ValueError, match="field name"):
        open_store("memory://", [IndexSpec("users", ("bad-name",))])
