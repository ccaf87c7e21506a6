"""Fixtures for end-to-end tests: the real stack (nats-server + four services) as processes.

- ``stack`` (session): one shared stack on free ports. Tests may add data to it (each with its
  own tenant: see ``tenant``) but must not kill or restart its processes.
- ``make_stack`` (function): a private stack for destructive tests (kill, restart, stop);
  ``make_stack(env={...})`` passes settings; every stack it made stops at teardown.
- ``tenant`` (function): a freshly signed-up tenant on the shared stack, with its admin token
  (``leaveflow_devstack.testing.Tenant``; ``eventually`` there waits for async effects).

A failing test that used a stack gets the tail of every process log in its report.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterator
from pathlib import Path
from typing import Any

import pytest

from leaveflow_devstack import PROCESSES, Stack
from leaveflow_devstack.testing import Tenant, sign_up

READY_TIMEOUT = 60.0  # generous: four cold Python processes on a 2-core CI machine
PRIVATE_STACKS = pytest.StashKey[list[Stack]]()


def _new_stack(root: Path, **kwargs: Any) -> Stack:
    kwargs.setdefault("ready_timeout", READY_TIMEOUT)
    return Stack(root, ports=Stack.free_ports(), **kwargs)


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with _new_stack(tmp_path_factory.mktemp("stack")) as shared:
        yield shared


@pytest.fixture
def make_stack(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[..., Stack]]:
    made: list[Stack] = []
    request.node.stash[PRIVATE_STACKS] = made  # for the log tails of a failed test

    def make(**kwargs: Any) -> Stack:
        private = _new_stack(tmp_path / f"stack{len(made)}", **kwargs)
        made.append(private)
        return private.start()

    yield make
    for private in made:
        private.stop()


@pytest.fixture
def tenant(stack: Stack) -> Tenant:
    return sign_up(stack.urls)


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
    return report
