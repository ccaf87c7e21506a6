"""Fixtures of the storage contract suite: one store per test, on every adapter.

MongoDB target, in this order (the header and the summary say which one ran):
  a. MONGO_URL: that server, a fresh database per test, dropped at the end;
  b. a Docker engine that answers: testcontainers' MongoDBAtlasLocalContainer (a replica
     set, so transactions work);
  c. the mongoeco wire server, a stand-in (not a real MongoDB) run from its own
     Python >= 3.13 venv under <repo>/.tools/mongoeco-venv, built once;
  d. none of these: the mongo cases are skipped, with the reason.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from leaveflow_contracts import new_id
from leaveflow_devstack.mongo import (
    MongoPlan,
    MongoStandin,
    ensure_mongoeco_venv,
    masked,
    mongoeco_venv,
    wait_for_ping,
    with_database,
)
from leaveflow_devstack.mongo import mongo_plan as devstack_mongo_plan
from leaveflow_kit.storage import IndexSpec, Store, open_store

INDEXES = (
    IndexSpec("users", ("email",), unique=True),
    IndexSpec("users", ("team",)),
    IndexSpec("slots", ("tenant", "day"), unique=True),
)


@dataclass
class MongoTarget:
    kind: str
    url: str
    label: str
    started_in: float = 0.0
    databases: list[str] = field(default_factory=list)

    @property
    def standin(self) -> bool:
        return self.kind == "mongoeco"

    def url_for(self, database: str) -> str:
        self.databases.append(database)
        return with_database(self.url, database)


_PLAN: MongoPlan | None = None
_TARGET: MongoTarget | None = None
_TARGET_ERROR: str | None = None


def mongo_plan() -> MongoPlan:
    global _PLAN
    if _PLAN is None:
        _PLAN = devstack_mongo_plan()
        if _PLAN.kind == "unavailable":
            _PLAN.detail += ": mongo cases are skipped"
    return _PLAN


# -- the mongoeco stand-in ---------------------------------------------------------------


@contextlib.contextmanager
def _mongoeco_server(python: str) -> Iterator[str]:
    with MongoStandin(
        mongoeco_venv().parent / "mongoeco-storage-tests.log", python=python
    ) as server:
        yield server.url


@contextlib.contextmanager
def _start_target(plan: MongoPlan) -> Iterator[MongoTarget]:
    started = time.monotonic()
    if plan.kind == "real":
        url = os.environ["MONGO_URL"]
        wait_for_ping(url, 10)
        target = MongoTarget("real", url, f"real MongoDB at {masked(url)} (MONGO_URL)")
        target.started_in = time.monotonic() - started
        try:
            yield target
        finally:
            _drop_databases(target)
    elif plan.kind == "testcontainers":
        from testcontainers.community.mongodb import MongoDBAtlasLocalContainer

        with MongoDBAtlasLocalContainer() as container:
            url = container.get_connection_url()
            target = MongoTarget(
                "testcontainers", url, f"testcontainers MongoDBAtlasLocalContainer at {url}"
            )
            target.started_in = time.monotonic() - started
            yield target
    else:
        assert plan.python is not None
        with _mongoeco_server(plan.python) as url:
            target = MongoTarget(
                "mongoeco", url, f"mongoeco stand-in (not a real MongoDB) at {url}"
            )
            target.started_in = time.monotonic() - started
            yield target


def _drop_databases(target: MongoTarget) -> None:
    from pymongo import MongoClient

    client: MongoClient[dict[str, Any]] = MongoClient(target.url)
    try:
        for name in target.databases:
            client.drop_database(name)
    finally:
        client.close()


# -- pytest hooks ----------------------------------------------------------------------


def pytest_report_header(config: pytest.Config) -> list[str]:
    return [f"mongodb (planned): {mongo_plan().detail}"]


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if _TARGET is not None:
        terminalreporter.write_line(
            f"mongodb: {_TARGET.label}; started in {_TARGET.started_in:.1f} s; "
            f"{len(_TARGET.databases)} test databases"
        )
    elif _TARGET_ERROR is not None:
        terminalreporter.write_line(f"mongodb: not used: {_TARGET_ERROR}")


# -- fixtures ----------------------------------------------------------------------------


@pytest.fixture(scope="session")
def mongo_target() -> Iterator[MongoTarget]:
    global _TARGET, _TARGET_ERROR
    plan = mongo_plan()
    if plan.kind == "mongoeco":
        assert plan.python is not None
        try:
            ensure_mongoeco_venv(plan.python)
        except (RuntimeError, OSError, subprocess.TimeoutExpired) as exc:
            plan.kind, plan.detail = "unavailable", f"building the mongoeco stand-in failed: {exc}"
    if plan.kind == "unavailable":
        _TARGET_ERROR = plan.detail
        pytest.skip(plan.detail)
    with _start_target(plan) as target:
        _TARGET = target
        yield target


@pytest.fixture(params=["memory", "sqlite", pytest.param("mongo", marks=pytest.mark.mongo)])
def backend(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


@pytest.fixture
def store_url(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    if backend == "memory":
        return "memory://"
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'data' / 'store.db'}"
    target: MongoTarget = request.getfixturevalue("mongo_target")
    return target.url_for(f"lf_test_{new_id()[-16:]}")


StoreFactory = Callable[[str], Awaitable[Store]]


@pytest.fixture
async def open_test_store() -> AsyncIterator[StoreFactory]:
    """Opens and starts stores with the suite's indexes; closes them all afterwards."""
    opened: list[Store] = []

    async def open_(url: str) -> Store:
        store = open_store(url, INDEXES)
        await store.start()
        opened.append(store)
        return store

    yield open_
    for store in reversed(opened):
        await store.close()


@pytest.fixture
async def store(store_url: str, open_test_store: StoreFactory) -> Store:
    return await open_test_store(store_url)
