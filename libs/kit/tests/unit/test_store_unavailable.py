"""A store that went away (MongoDB down or electing, SQLite locked past its busy timeout)
answers 503 problem+json with Retry-After: the client may retry. Other errors stay 500."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from pymongo.errors import (
    AutoReconnect,
    ConnectionFailure,
    NetworkTimeout,
    NotPrimaryError,
    ServerSelectionTimeoutError,
)

from leaveflow_kit.http import create_service_app
from leaveflow_kit.http.problems import store_unavailable
from leaveflow_kit.storage import StorageError, TransientConflict


def _wrapped() -> Exception:
    """A store error raised while handling a lost connection (e.g. an aborted session)."""
    try:
        raise AutoReconnect("connection reset")
    except AutoReconnect as exc:
        try:
            raise StorageError("this transaction was aborted by an earlier error") from exc
        except StorageError as wrapped:
            return wrapped


UNAVAILABLE: list[Callable[[], BaseException]] = [
    lambda: AutoReconnect("127.0.0.1:27017: connection closed"),
    lambda: NetworkTimeout("127.0.0.1:27017: timed out"),
    lambda: NotPrimaryError("not primary"),
    lambda: ServerSelectionTimeoutError("127.0.0.1:27017: [Errno 111] Connection refused"),
    lambda: ConnectionFailure("lost"),
    lambda: sqlite3.OperationalError("database is locked"),
    lambda: TransientConflict("database is locked"),
    _wrapped,
]
UNEXPECTED: list[Callable[[], BaseException]] = [
    lambda: sqlite3.OperationalError("no such table: docs"),
    lambda: StorageError("SqliteStore is not started"),
    lambda: RuntimeError("a bug"),
]


def build(make: Callable[[], BaseException]) -> Any:
    app = create_service_app(title="probe")

    @app.post("/v1/things")
    async def things() -> None:
        raise make()

    return app


async def post(app: Any) -> httpx.Response:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        return await client.post("/v1/things", json={})


@pytest.mark.parametrize("make", UNAVAILABLE)
async def test_a_store_that_went_away_answers_503_with_retry_after(
    make: Callable[[], BaseException],
) -> None:
    r = await post(build(make))
    assert r.status_code == 503, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.headers["retry-after"] == "1"
    body = r.json()
    assert body["status"] == 503
    assert body["type"].endswith("/store-unavailable")
    assert "retry" in body["detail"]


@pytest.mark.parametrize("make", UNEXPECTED)
async def test_other_failures_stay_500_and_say_nothing_inside(
    make: Callable[[], BaseException],
) -> None:
    r = await post(build(make))
    assert r.status_code == 500
    assert r.headers["content-type"].startswith("application/problem+json")
    assert "retry-after" not in r.headers
    assert "docs" not in r.text
    assert "started" not in r.text


def test_a_cause_chain_without_a_store_failure_is_not_unavailable() -> None:
    outer = ValueError("y")
    outer.__cause__ = KeyError("x")
    assert not store_unavailable(outer)
    assert store_unavailable(_wrapped())
