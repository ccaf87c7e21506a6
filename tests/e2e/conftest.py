"""Fixtures for end-to-end tests: the real stack (nats-server + four services) as processes.

- ``stack`` (session): one shared stack on free ports. Tests may add data to it (each with its
  own tenant: see ``tenant``) but must not kill or restart its processes.
- ``make_stack`` (function): a private stack for destructive tests (kill, restart, stop);
  ``make_stack(env={...})`` passes settings; every stack it made stops at teardown.
- ``tenant`` (function): a freshly signed-up tenant on the shared stack, with its admin token
  (``leaveflow_devstack.testing.Tenant``; ``eventually`` there waits for async effects).

The store: ``LEAVEFLOW_E2E_STORE`` (``sqlite``, the default, or ``mongo``; ``make test-mongo``
sets ``mongo``) puts every stack of the suite on it. On ``mongo`` that is the MongoDB at
``MONGO_URL`` (a replica set; each stack gets databases of its own, dropped afterwards), or
else the mongoeco stand-ins (not a real MongoDB, data in memory), one per service. A SQLite run
also runs the modules in ``ALSO_ON_MONGO`` a second time on MongoDB, so the default suite
always covers the core flow, the saga and a kill -9 on both stores. Every test that uses a
stack is parametrised by ``e2e_store`` (its id says ``[sqlite]`` or ``[mongo]``); the header
and the terminal summary say which MongoDB was used.

A failing test that used a stack gets the tail of every process log in its report.
"""

from __future__ import annotations

import functools
import os
import secrets
from collections import Counter
from collections.abc import Callable, Generator, Iterator
from pathlib import Path
from typing import Any

import pytest

from leaveflow_devstack import PROCESSES, Stack
from leaveflow_devstack.mongo import STANDIN_LABEL, MongoPlan, masked, mongo_plan
from leaveflow_devstack.stack import STORES
from leaveflow_devstack.testing import Tenant, sign_up

READY_TIMEOUT = 60.0  # generous: four cold Python processes on a 2-core CI machine
PRIVATE_STACKS = pytest.StashKey[list[Stack]]()
STORE_ENV = "LEAVEFLOW_E2E_STORE"

ALSO_ON_MONGO = frozenset({"test_core_flow.py", "test_balances_saga.py"})
"""Modules a SQLite run repeats on MongoDB: the core flow (with its kill -9 of balances) and
the balances saga. About a minute on the stand-in; the whole suite is `make test-mongo`."""

_USED: Counter[str] = Counter()  # store label -> stacks started on it, for the summary
_SKIPPED_MONGO: list[str] = []


def configured_store() -> str:
    store = os.environ.get(STORE_ENV, "").strip().lower() or "sqlite"
    if store not in STORES:
        raise pytest.UsageError(f"{STORE_ENV}={store!r}: expected one of {', '.join(STORES)}")
    return store


@functools.cache
def _plan() -> MongoPlan:
    return mongo_plan(docker=False)  # the stack never starts containers


def planned_mongo() -> str:
    """Which MongoDB a mongo stack here would use, in words (the stack decides the same way)."""
    url = os.environ.get("MONGO_URL")
    if url:
        return f"real MongoDB at {masked(url)} (MONGO_URL)"
    plan = _plan()
    if plan.kind == "unavailable":
        return f"none: {plan.detail}"
    return f"{STANDIN_LABEL}, data in memory, one per service of each stack (no MONGO_URL)"


def _mongo_available() -> str | None:
    """None when a mongo stack can start here, else why not."""
    if os.environ.get("MONGO_URL"):
        return None
    plan = _plan()
    return plan.detail if plan.kind == "unavailable" else None


OUTBOUND_ALLOW = "127.0.0.0/8"
"""The tests' webhook and SMTP sinks listen on loopback, which a real stack refuses."""


def _new_stack(root: Path, store: str, **kwargs: Any) -> Stack:
    kwargs.setdefault("ready_timeout", READY_TIMEOUT)
    kwargs.setdefault("outbound_allow", OUTBOUND_ALLOW)
    if store == "mongo":
        # On a shared real server every stack needs databases of its own.
        kwargs.setdefault("database_prefix", f"lf_e2e_{secrets.token_hex(4)}")
    return Stack(root, ports=Stack.free_ports(), store=store, **kwargs)


def _started(stack: Stack) -> Stack:
    stack.start()
    if stack.mongo is not None:
        _USED[f"{STANDIN_LABEL}, one per service, data in memory only"] += 1
    else:
        _USED[stack.store_label if stack.store == "mongo" else "SQLite"] += 1
    return stack


def _drop_mongo_databases(stack: Stack) -> None:
    """A real server keeps what a test wrote; the stand-in forgets it when it stops."""
    if stack.mongo_url is None:
        return
    from pymongo import MongoClient

    client: MongoClient[dict[str, Any]] = MongoClient(stack.mongo_url)
    try:
        for name in (f"{stack.database_prefix}_{service}" for service in stack.database_urls):
            client.drop_database(name)
    finally:
        client.close()


def _stop(stack: Stack) -> None:
    try:
        stack.stop()
    finally:
        _drop_mongo_databases(stack)


# -- the store parameter -------------------------------------------------------------------


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "e2e_store" not in metafunc.fixturenames:
        return
    store = configured_store()
    stores = [store]
    if store == "sqlite" and Path(str(metafunc.definition.path)).name in ALSO_ON_MONGO:
        stores.append("mongo")
    # Session scope: pytest groups the tests by store, so each store's shared stack starts once.
    metafunc.parametrize("e2e_store", stores, indirect=True, scope="session")


@pytest.fixture(scope="module", autouse=True)
def outbound_allow() -> Iterator[str]:
    """The same allow-list for the stacks tests build themselves (`ReplicatedStack`), which
    pass the test process's environment on to their children. Per module, set before the
    module's own fixtures: on a worker that runs other tests after an e2e module (make test
    mixes them on two workers) the variable must be gone again, or an in-process test of the
    refusal of loopback addresses finds loopback allowed."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("LEAVEFLOW_OUTBOUND_ALLOW", OUTBOUND_ALLOW)
        yield OUTBOUND_ALLOW


@pytest.fixture(scope="session")
def e2e_store(request: pytest.FixtureRequest) -> str:
    store: str = getattr(request, "param", configured_store())
    if store == "mongo":
        reason = _mongo_available()
        if reason is not None:
            if configured_store() == "mongo":
                pytest.fail(f"{STORE_ENV}=mongo but no MongoDB here: {reason}")
            _SKIPPED_MONGO.append(reason)
            pytest.skip(f"no MongoDB for the e2e Mongo subset: {reason}")
    return store


@pytest.fixture(scope="session")
def stack(e2e_store: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    shared = _new_stack(tmp_path_factory.mktemp(f"stack-{e2e_store}"), e2e_store)
    try:
        yield _started(shared)
    finally:
        _stop(shared)


@pytest.fixture
def make_stack(
    request: pytest.FixtureRequest, tmp_path: Path, e2e_store: str
) -> Iterator[Callable[..., Stack]]:
    made: list[Stack] = []
    request.node.stash[PRIVATE_STACKS] = made  # for the log tails of a failed test

    def make(**kwargs: Any) -> Stack:
        kwargs.setdefault("store", e2e_store)
        private = _new_stack(tmp_path / f"stack{len(made)}", **kwargs)
        made.append(private)
        return _started(private)

    yield make
    for private in made:
        _stop(private)


@pytest.fixture
def tenant(stack: Stack) -> Tenant:
    return sign_up(stack.urls)


# -- what the run says -----------------------------------------------------------------------


def pytest_report_header(config: pytest.Config) -> list[str]:
    store = configured_store()
    also = f" (and {', '.join(sorted(ALSO_ON_MONGO))} on mongo)" if store == "sqlite" else ""
    return [f"e2e store: {store}{also}; mongodb: {planned_mongo()}"]


def pytest_terminal_summary(terminalreporter: Any) -> None:
    for label, count in sorted(_USED.items()):
        terminalreporter.write_line(f"e2e stacks on {label}: {count}")
    for reason in sorted(set(_SKIPPED_MONGO)):
        terminalreporter.write_line(f"e2e mongo subset skipped: {reason}")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if report.failed:
        funcargs: dict[str, Any] = getattr(item, "funcargs", {})
        stacks = [v for v in funcargs.values() if isinstance(v, Stack)]
        private: list[Stack] = item.stash.get(PRIVATE_STACKS, [])
        stacks += private
        for used in stacks:
            for name in PROCESSES:
                report.sections.append(
                    (f"{name} log ({used.log_path(name)})", used.log_tail(name, 30))
                )
            if used.mongo is not None:
                for name, path in used.mongo.log_paths.items():
                    report.sections.append(
                        (f"mongo stand-in of {name} log ({path})", _tail(path, 30))
                    )
    return report


def _tail(path: Path, lines: int) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError as exc:
        return f"(unreadable: {exc})"
