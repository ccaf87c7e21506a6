"""The storage port and its adapters, chosen by URL.

``open_store(url)`` returns an unstarted store; the composition root awaits ``start()``
in its lifespan and ``close()`` on the way out. Adapters are imported lazily so that a
service on SQLite never imports pymongo (and the reverse).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ._common import RetryPolicy
from .port import (
    Between,
    Doc,
    DuplicateKey,
    IndexSpec,
    OutboxKey,
    OutboxRecord,
    StorageError,
    Store,
    StoreStats,
    Transaction,
    TransientConflict,
)
from .tenancy import Reader, belongs_to, tenant_get

__all__ = [
    "Between",
    "Doc",
    "DuplicateKey",
    "IndexSpec",
    "OutboxKey",
    "OutboxRecord",
    "Reader",
    "RetryPolicy",
    "StorageError",
    "Store",
    "StoreStats",
    "Transaction",
    "TransientConflict",
    "belongs_to",
    "open_store",
    "sqlite_path",
    "tenant_get",
]


def sqlite_path(url: str) -> Path:
    """``sqlite:///relative/path.db`` is relative to the working directory,
    ``sqlite:////abs/path.db`` is absolute (the SQLAlchemy convention)."""
    prefix = "sqlite:///"
    if not url.startswith(prefix) or len(url) == len(prefix):
        raise ValueError(f"expected sqlite:///path/to/file.db, got {url!r}")
    path = url[len(prefix) :].split("?", 1)[0]
    if path == ":memory:":
        raise ValueError("sqlite :memory: is not supported: use memory:// instead")
    return Path(path)


def open_store(url: str, indexes: Sequence[IndexSpec] = ()) -> Store:
    """The store for `url`: ``memory://``, ``sqlite:///path.db`` or ``mongodb://.../db``.

    The store is not started; parent directories of a SQLite file are created on start.
    """
    scheme = url.split(":", 1)[0].lower()
    if scheme == "memory":
        from .memory import MemoryStore

        return MemoryStore(indexes)
    if scheme == "sqlite":
        from .sqlite import SqliteStore

        return SqliteStore(sqlite_path(url), indexes)
    if scheme in ("mongodb", "mongodb+srv"):
        from .mongo import MongoStore

        return MongoStore(url, indexes)
    raise ValueError(f"unsupported store URL scheme {scheme!r} (memory, sqlite, mongodb)")
