"""The one port picker: shares per xdist worker, locks across processes, listeners skipped."""

from __future__ import annotations

import fcntl
import json
import multiprocessing
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from multiprocessing.connection import Connection
from pathlib import Path

import pytest

from leaveflow_devstack import ports as port_module
from leaveflow_devstack.cluster import free_node_ports
from leaveflow_devstack.ports import (
    DEFAULT_POOL,
    PORT_KEYS,
    SHARE,
    PortPicker,
    PortsExhaustedError,
    free_ports,
    pick_ports,
    pool_from_env,
    worker_share,
)

pytestmark = pytest.mark.timeout(120)

# A child that starts a stack as a pytest worker would, prints its ports and keeps it up until
# its stdin closes.
STACK_HOLDER = """
import json, sys
from multiprocessing.connection import Connection
from pathlib import Path
from leaveflow_devstack.stack import Stack
stack = Stack(Path(sys.argv[1]), ports=Stack.free_ports(), ready_timeout=90.0).start()
print(json.dumps(sorted(stack.ports.values())), flush=True)
sys.stdin.read()
stack.stop()
"""


def _hold_picked(conn: Connection, worker: str, lock_file: Path, count: int) -> None:
    # A forked child is a process of its own to the kernel's record locks, as a worker is,
    # without paying the imports again; it builds its picker from the environment afresh.
    os.environ.update(PYTEST_XDIST_WORKER=worker, LEAVEFLOW_PORT_LOCK=str(lock_file))
    port_module._PICKER = None
    conn.send(pick_ports(count))
    conn.recv()  # hold until told


class Holder:
    """Another process holding ``count`` ports picked as the xdist worker ``worker``."""

    def __init__(self, lock_file: Path, worker: str, count: int) -> None:
        self._conn, child_end = multiprocessing.Pipe()
        self._process = FORK.Process(
            target=_hold_picked, args=(child_end, worker, lock_file, count)
        )
        self._process.start()

    def ports(self) -> list[int]:
        assert self._conn.poll(60), "the holder printed no ports"
        picked: list[int] = self._conn.recv()
        return picked

    def release(self) -> int | None:
        self._conn.send("done")
        self._process.join(30)
        return self._process.exitcode


FORK = multiprocessing.get_context("fork")


def stack_holder(lock_file: Path, stack_dir: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTEST_XDIST_WORKER": "gw0", "LEAVEFLOW_PORT_LOCK": str(lock_file)}
    return subprocess.Popen(
        [sys.executable, "-c", STACK_HOLDER, str(stack_dir)],
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )


def held_ports(child: subprocess.Popen[str]) -> list[int]:
    assert child.stdout is not None
    line = child.stdout.readline()
    assert line, f"the stack holder exited with {child.wait()} before printing its ports"
    picked: list[int] = json.loads(line)
    return picked


def release(child: subprocess.Popen[str], timeout: float = 60.0) -> int:
    assert child.stdin is not None
    child.stdin.close()
    return child.wait(timeout)


@pytest.fixture
def lock_file(tmp_path: Path) -> Path:
    """A lock file of the test's own, so the machine's other runs do not take part."""
    return tmp_path / "ports.lock"


def _bindable(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    """A listening port whose next two are free: in 32000-32767, above the picker's pool
    and below the kernel's range for outgoing connections, where nothing else takes ports.
    A port from bind(0) is in the kernel's range, where the other tests' connections
    sometimes held its neighbours."""
    for start in range(32000, 32760, 3):
        if all(_bindable(start + offset) for offset in (1, 2)):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            try:
                sock.bind(("127.0.0.1", start))
            except OSError:
                sock.close()
                continue
            sock.listen()
            yield sock
            sock.close()
            return
    pytest.fail("no three free ports in 32000-32767")


def test_each_xdist_worker_starts_in_a_share_of_its_own() -> None:
    shares = len(DEFAULT_POOL) // SHARE
    assert worker_share(None, shares) == 0
    assert worker_share("master", shares) == 0
    assert [worker_share(f"gw{n}", shares) for n in range(3)] == [1, 2, 3]
    assert worker_share(f"gw{shares - 1}", shares) == 0  # more workers than shares wrap


def test_shares_split_a_pool_wider_than_one_share(lock_file: Path) -> None:
    pool = range(DEFAULT_POOL.start, DEFAULT_POOL.start + 3 * SHARE)
    picked = {share: PortPicker(pool, share, lock_file).pick(3) for share in range(3)}
    for share, ports in picked.items():
        low = pool.start + share * SHARE
        assert all(low <= port < low + SHARE for port in ports), (share, ports)


def test_ports_are_distinct_and_come_back_only_after_the_share_is_used(lock_file: Path) -> None:
    picker = PortPicker(range(31000, 31010), 0, lock_file)
    first, second = picker.pick(6), picker.pick(4)
    assert len(set(first + second)) == 10  # none handed out twice before the wrap
    assert picker.pick(2) == first[:2]  # then round again, from the oldest


def test_a_port_something_listens_on_is_skipped(lock_file: Path, listener: socket.socket) -> None:
    busy: int = listener.getsockname()[1]
    picker = PortPicker(range(busy, busy + 3), 0, lock_file)
    assert busy not in picker.pick(2)


def test_an_exhausted_pool_says_so(lock_file: Path, listener: socket.socket) -> None:
    busy: int = listener.getsockname()[1]
    with pytest.raises(PortsExhaustedError, match="1 ports wanted, 0 free"):
        PortPicker(range(busy, busy + 1), 0, lock_file).pick(1)


def test_two_processes_as_the_same_worker_never_get_the_same_port(lock_file: Path) -> None:
    # Two runs of the suite on one machine have workers of the same name: the worst case.
    first = Holder(lock_file, worker="gw0", count=40)
    second = Holder(lock_file, worker="gw0", count=40)
    try:
        a, b = first.ports(), second.ports()
    finally:
        assert (first.release(), second.release()) == (0, 0)
    assert len(set(a)) == len(set(b)) == 40
    assert set(a).isdisjoint(b)
    low = DEFAULT_POOL.start + SHARE  # gw0's share
    assert all(low <= port < low + SHARE for port in a + b)


def locked_elsewhere(lock_file: Path, port: int) -> bool:
    fd = os.open(lock_file, os.O_RDWR)
    try:
        fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, port, os.SEEK_SET)
    except OSError:
        return True
    finally:
        os.close(fd)  # drops the probe's own lock with it
    return False


def test_a_process_holds_its_ports_until_it_exits(lock_file: Path) -> None:
    first = Holder(lock_file, worker="gw5", count=3)
    held = first.ports()
    try:
        assert [locked_elsewhere(lock_file, port) for port in held] == [True] * 3
    finally:
        assert first.release() == 0
    assert [locked_elsewhere(lock_file, port) for port in held] == [False] * 3


def test_every_picker_of_devstack_goes_through_the_one_picker() -> None:
    stack_ports = list(free_ports().values())
    node_ports = [
        p for node in free_node_ports(3) for p in (node.client, node.cluster, node.monitor)
    ]
    more = pick_ports(4)
    assert len(stack_ports) == len(PORT_KEYS)
    everything = stack_ports + node_ports + more
    assert len(set(everything)) == len(everything)
    assert all(port in DEFAULT_POOL for port in everything)


def test_the_pool_can_be_set_in_the_environment() -> None:
    assert pool_from_env(None) == DEFAULT_POOL
    assert pool_from_env("25000-25999") == range(25000, 26000)
    for bad in ("25000", "a-b", "80-90", "30000-70000"):
        with pytest.raises(ValueError, match="LEAVEFLOW_PORT_POOL"):
            pool_from_env(bad)


@pytest.mark.e2e  # two real stacks
@pytest.mark.timeout(240)
def test_two_stacks_started_side_by_side_bind_distinct_ports(
    lock_file: Path, tmp_path: Path
) -> None:
    first = stack_holder(lock_file, tmp_path / "a")
    second = stack_holder(lock_file, tmp_path / "b")
    try:
        a, b = held_ports(first), held_ports(second)
    finally:
        codes = release(first), release(second)
    assert len(a) == len(b) == len(PORT_KEYS)
    assert set(a).isdisjoint(b)
    assert codes == (0, 0)
