"""The supervisor against a real nats-server and stand-in services (fake_service.py)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from leaveflow_devstack.ports import PortInUseError
from leaveflow_devstack.process import living_members
from leaveflow_devstack.stack import Stack, StackError

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]

FAKE_SERVICE = Path(__file__).with_name("fake_service.py")


def fake_command(name: str) -> list[str]:
    return [sys.executable, str(FAKE_SERVICE), name]


def wait_until_gone(pgids: list[int], timeout: float = 10.0) -> list[int]:
    deadline = time.monotonic() + timeout
    while (left := living_members(pgids)) and time.monotonic() < deadline:
        time.sleep(0.05)
    return left


@pytest.fixture
def make_stack(tmp_path: Path) -> Iterator[Callable[..., Stack]]:
    made: list[Stack] = []

    def make(**env: str) -> Stack:
        stack = Stack(
            tmp_path / f"stack{len(made)}",
            ports=Stack.free_ports(),
            env=env,
            ready_timeout=10.0,
            stop_grace=1.0,
            service_command=fake_command,
        )
        made.append(stack)
        return stack

    yield make
    for stack in made:
        stack.stop()


@pytest.mark.e2e  # starts and kills real processes
def test_start_waits_for_every_readyz_and_stop_leaves_no_process(
    make_stack: Callable[..., Stack],
) -> None:
    stack = make_stack(FAKE_GRANDCHILD="calendar")
    with stack:
        assert set(stack.pids) == {
            "nats",
            "requests",
            "balances",
            "notifications",
            "calendar",
            "web",
        }
        for url in stack.urls.values():
            assert httpx.get(f"{url}/readyz").status_code == 200
        pgids = list(stack.pids.values())
        assert len(living_members([stack.pids["calendar"]])) == 2  # service + its grandchild
    assert stack.pids == {}
    assert wait_until_gone(pgids, timeout=0) == []


@pytest.mark.e2e  # starts and kills real processes
def test_a_service_that_crashes_fails_start_with_its_log_tail_and_stops_the_rest(
    make_stack: Callable[..., Stack],
) -> None:
    stack = make_stack(FAKE_CRASH="balances")
    with pytest.raises(StackError, match=r"balances exited with code 3") as caught:
        stack.start()
    assert "simulated crash: cannot open database" in str(caught.value)
    assert str(stack.log_path("balances")) in str(caught.value)
    assert stack.pids == {}


@pytest.mark.e2e  # starts and kills real processes
def test_a_service_that_never_gets_ready_times_out_naming_it(
    make_stack: Callable[..., Stack],
) -> None:
    stack = make_stack(FAKE_NEVER_READY="notifications")
    stack.ready_timeout = 1.0
    with pytest.raises(StackError, match=r"not ready after 1s: notifications") as caught:
        stack.start()
    assert "HTTP 503" in str(caught.value)
    assert "notifications: listening on" in str(caught.value)
    assert stack.pids == {}


@pytest.mark.e2e  # starts and kills real processes
def test_stop_kills_a_process_that_ignores_sigterm_after_the_grace(
    make_stack: Callable[..., Stack],
) -> None:
    stack = make_stack(FAKE_IGNORE_TERM="requests").start()
    pgids = list(stack.pids.values())
    started = time.monotonic()
    stack.stop()
    assert 1.0 <= time.monotonic() - started < 5.0
    assert wait_until_gone(pgids, timeout=0) == []


@pytest.mark.e2e  # starts and kills real processes
def test_kill_then_start_service_and_restart_bring_a_process_back(
    make_stack: Callable[..., Stack],
) -> None:
    stack = make_stack().start()
    old = stack.pids["balances"]
    stack.kill("balances")
    assert "balances" not in stack.pids
    with pytest.raises(StackError, match="not running"):
        stack.kill("balances")
    stack.start_service("balances")
    assert httpx.get(f"{stack.urls['balances']}/readyz").status_code == 200
    nats_pid = stack.pids["nats"]
    stack.restart("nats")
    assert stack.pids["nats"] != nats_pid
    assert stack.pids["balances"] != old
    assert stack.log_path("balances").read_text().count("=== balances started") == 2


def test_a_busy_port_fails_start_naming_the_port(make_stack: Callable[..., Stack]) -> None:
    stack = make_stack()
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", stack.ports["calendar"]))
        squatter.listen()
        with pytest.raises(PortInUseError, match=rf"port {stack.ports['calendar']} \(calendar\)"):
            stack.start()
    assert stack.pids == {}


@pytest.mark.e2e  # starts and kills real processes
def test_children_die_when_the_supervisor_is_sigkilled(tmp_path: Path) -> None:
    # Runs a supervisor in its own process, kills it with SIGKILL (no cleanup can run) and
    # checks that PR_SET_PDEATHSIG took every child down anyway.
    pid_file = tmp_path / "pids.json"
    script = f"""
import json, sys, time
from pathlib import Path
from leaveflow_devstack.stack import Stack
stack = Stack(Path({str(tmp_path / "data")!r}), ports=Stack.free_ports(),
              service_command=lambda n: [sys.executable, {str(FAKE_SERVICE)!r}, n]).start()
Path({str(pid_file)!r}).write_text(json.dumps(stack.pids))
time.sleep(120)
"""
    supervisor = subprocess.Popen([sys.executable, "-c", script])
    try:
        deadline = time.monotonic() + 30
        while not pid_file.exists():
            assert supervisor.poll() is None, "supervisor died before the stack was up"
            assert time.monotonic() < deadline, "stack did not come up"
            time.sleep(0.05)
        pids = list(json.loads(pid_file.read_text()).values())
        assert len(living_members(pids)) == 6  # nats, four services, web
    finally:
        supervisor.send_signal(signal.SIGKILL)
        supervisor.wait()
    assert wait_until_gone(pids) == []


def test_env_wires_each_service_and_overrides_apply_last(tmp_path: Path) -> None:
    stack = Stack(
        tmp_path, ports=Stack.free_ports(), env={"BALANCES_DATABASE_URL": "mongodb://m/x"}
    )
    env = stack.service_env()
    assert env["NATS_URL"] == stack.nats_url
    assert env["LEAVEFLOW_DATA_DIR"] == str(tmp_path.absolute())
    assert env["REQUESTS_DATABASE_URL"] == f"sqlite:///{tmp_path.absolute()}/requests.db"
    assert env["BALANCES_DATABASE_URL"] == "mongodb://m/x"
    assert env["CALENDAR_URL"] == stack.urls["calendar"]
    assert env["CALENDAR_PORT"] == str(stack.ports["calendar"])
    assert os.environ.get("PATH") == env.get("PATH")


def test_every_service_shares_one_service_secret_per_stack(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LEAVEFLOW_SERVICE_SECRET", raising=False)
    first, second = Stack(tmp_path / "a"), Stack(tmp_path / "b")
    secret = first.service_env()["LEAVEFLOW_SERVICE_SECRET"]
    assert len(secret) >= 32
    assert first.service_env()["LEAVEFLOW_SERVICE_SECRET"] == secret, "stable within a run"
    assert second.service_env()["LEAVEFLOW_SERVICE_SECRET"] != secret, "fresh per stack"
    monkeypatch.setenv("LEAVEFLOW_SERVICE_SECRET", "from-the-shell")
    assert Stack(tmp_path / "c").service_env()["LEAVEFLOW_SERVICE_SECRET"] == "from-the-shell"


def test_unknown_names_are_rejected(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown port key"):
        Stack(tmp_path, ports={"request": 1})
    with pytest.raises(ValueError, match="unknown process"):
        Stack(tmp_path).log_path("website")
