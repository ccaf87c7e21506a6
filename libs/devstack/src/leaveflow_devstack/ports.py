"""Which ports the stack listens on: the defaults (docs/api.md), free ones for tests, checks.

Every free port a devstack process binds comes from `pick_ports`, the one picker.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import socket
import tempfile
import threading
from collections.abc import Iterator, Mapping
from pathlib import Path

from leaveflow_kit.settings import DEFAULT_PORTS as SERVICE_PORTS

SERVICES = ("requests", "balances", "notifications", "calendar")
"""The four service processes, in start order; each is ``python -m leaveflow_<name>``."""

WEB = "web"
"""The dashboard (``python -m leaveflow_web``): started after the services it calls."""

APPS = (*SERVICES, WEB)
"""Every Python process of the stack, in start order."""

PROCESSES = ("nats", *APPS)
"""Every process a stack supervises."""

# The services' defaults are the ones their settings use (docs/api.md), stated once in the kit;
# the web is where people go, on the port web apps conventionally get.
DEFAULT_PORTS: Mapping[str, int] = {
    "nats": 4222,
    "nats_monitor": 8222,
    **SERVICE_PORTS,
    WEB: 8000,
}
PORT_KEYS = tuple(DEFAULT_PORTS)
LOOPBACK = "127.0.0.1"


class PortInUseError(RuntimeError):
    """A port the stack needs is taken (often an earlier `make run` still going)."""

    def __init__(self, key: str, port: int, host: str) -> None:
        self.key, self.port, self.host = key, port, host
        super().__init__(
            f"port {port} ({key}) on {host} is already in use; stop whatever holds it "
            f"(`lsof -i :{port}` or `ss -ltnp 'sport = :{port}'` shows it) "
            f"or choose another port"
        )


def free_ports(host: str = LOOPBACK) -> dict[str, int]:
    """One free port per key, from this process's share of the pool (see `pick_ports`)."""
    return dict(zip(PORT_KEYS, pick_ports(len(PORT_KEYS), host), strict=True))


def free_port(host: str = LOOPBACK) -> int:
    """One free port from this process's share of the pool (see `pick_ports`)."""
    return pick_ports(1, host)[0]


def pick_ports(count: int, host: str = LOOPBACK) -> list[int]:
    """``count`` distinct ports nothing listens on, that no other process of this machine
    using this picker holds, and that this process has not handed out recently.

    Every stack, replica, cluster node and MongoDB stand-in gets its ports here. The kernel's
    "bind to port 0" is not enough when stacks start side by side: the socket closes before
    the server binds, so two workers can be told the same port, and a port from the ephemeral
    range can meanwhile become the local end of some outgoing connection.
    """
    return _picker().pick(count, host)


class PortsExhaustedError(RuntimeError):
    """No port of the pool is free (every one is held by a picker or has a listener)."""


POOL_ENV = "LEAVEFLOW_PORT_POOL"
LOCK_ENV = "LEAVEFLOW_PORT_LOCK"
DEFAULT_POOL = range(20000, 32000)
"""Below Linux's default ephemeral range (32768-60999), so no outgoing connection's local
port lands on a port a stack is about to bind. ``LEAVEFLOW_PORT_POOL=lo-hi`` overrides it."""
SHARE = 1000
"""Ports per share of the pool: the pytest-xdist worker ``gwN`` starts in share ``N + 1``,
a process outside xdist in share 0, so the workers of one run never probe the same ports
first. A share is wide enough for a hundred stacks before this process wraps around."""


def worker_share(worker: str | None, shares: int) -> int:
    """Which share of the pool a process starts in: 0 outside xdist, ``N + 1`` for ``gwN``."""
    if not worker or not worker.startswith("gw") or not worker[2:].isdigit():
        return 0
    return (int(worker[2:]) + 1) % shares


def pool_from_env(value: str | None) -> range:
    if not value:
        return DEFAULT_POOL
    low, sep, high = value.partition("-")
    if not sep or not low.strip().isdigit() or not high.strip().isdigit():
        raise ValueError(f"{POOL_ENV}={value!r}: expected two port numbers, e.g. 20000-32000")
    pool = range(int(low), int(high) + 1)
    if not 1024 <= pool.start < pool.stop <= 65536:
        raise ValueError(f"{POOL_ENV}={value!r}: expected 1024 <= low <= high <= 65535")
    return pool


class PortPicker:
    """Hands out ports of ``pool``, starting in this process's share and moving on from there.

    Other processes are kept apart by a POSIX record lock on one byte per port (its offset is
    the port number) of one lock file shared by the machine: a process claims a port by
    locking its byte and keeps the lock until it exits, so a stack killed and restarted on
    its ports finds them still its own. The kernel drops the locks of a process that dies, so
    a crashed run leaks nothing. Within the process, a cursor walks the share so a port comes
    back only after the rest of the share has been handed out, and a port something still
    listens on is skipped.
    """

    def __init__(self, pool: range, share: int, lock_path: Path) -> None:
        if len(pool) == 0:
            raise ValueError("the port pool is empty")
        self.pool = pool
        self._share_size = min(SHARE, len(pool))
        shares = max(1, len(pool) // self._share_size)
        start = pool.start + (share % shares) * self._share_size
        self._share = range(start, min(start + self._share_size, pool.stop))
        self._cursor = start
        self._lock_path = lock_path
        self._fd: int | None = None
        self._claimed: set[int] = set()
        self._mutex = threading.Lock()

    def pick(self, count: int, host: str = LOOPBACK) -> list[int]:
        with self._mutex:
            picked: list[int] = []
            for port in self._candidates():
                if len(picked) == count:
                    break
                if port in picked or not self._claim(port) or not _bindable(host, port):
                    continue
                picked.append(port)
                if port in self._share:
                    self._cursor = port + 1
            if len(picked) < count:
                raise PortsExhaustedError(
                    f"{count} ports wanted, {len(picked)} free in {self.pool.start}-"
                    f"{self.pool.stop - 1} (set {POOL_ENV}=lo-hi for a wider pool)"
                )
            return picked

    def _candidates(self) -> Iterator[int]:
        """Every port of the pool once: this share from the cursor round to it, then the rest."""
        share = self._share
        offset = self._cursor - share.start if self._cursor in share else 0
        for step in range(len(share)):
            yield share.start + (offset + step) % len(share)
        yield from (port for port in self.pool if port not in share)

    def _claim(self, port: int) -> bool:
        if port in self._claimed:
            return True
        try:
            fcntl.lockf(self._lock_fd(), fcntl.LOCK_EX | fcntl.LOCK_NB, 1, port, os.SEEK_SET)
        except OSError as exc:
            if exc.errno in (errno.EACCES, errno.EAGAIN):
                return False  # another process holds it
            raise
        self._claimed.add(port)
        return True

    def _lock_fd(self) -> int:
        # Opened once and never closed: closing any descriptor of the file would drop every
        # lock this process holds on it.
        if self._fd is None:
            self._fd = os.open(self._lock_path, os.O_RDWR | os.O_CREAT, 0o666)
            with contextlib.suppress(OSError):  # the umask narrows it; other users need it too
                os.fchmod(self._fd, 0o666)
        return self._fd


def _bindable(host: str, port: int) -> bool:
    try:
        ensure_free("probe", port, host)
    except PortInUseError:
        return False
    return True


def default_lock_path() -> Path:
    """One file for the machine, so every user's and every worktree's runs share the locks
    (in /tmp itself, not ``$TMPDIR``, which differs between sessions); a user who cannot write
    it (another user created it and the chmod did not take) gets their own."""
    configured = os.environ.get(LOCK_ENV)
    if configured:
        return Path(configured)
    tmp = Path("/tmp")
    shared = (tmp if tmp.is_dir() else Path(tempfile.gettempdir())) / "leaveflow-ports.lock"
    if not shared.exists() or os.access(shared, os.R_OK | os.W_OK):
        return shared
    return shared.with_name(f"leaveflow-ports-{os.getuid()}.lock")


_PICKER: PortPicker | None = None
_PICKER_MUTEX = threading.Lock()


def _picker() -> PortPicker:
    global _PICKER
    with _PICKER_MUTEX:
        if _PICKER is None:
            pool = pool_from_env(os.environ.get(POOL_ENV))
            shares = max(1, len(pool) // min(SHARE, len(pool)))
            share = worker_share(os.environ.get("PYTEST_XDIST_WORKER"), shares)
            _PICKER = PortPicker(pool, share, default_lock_path())
        return _PICKER


def resolve_ports(ports: Mapping[str, int] | None) -> dict[str, int]:
    """Defaults overlaid with ``ports``; unknown keys are an error (likely a typo)."""
    resolved = dict(DEFAULT_PORTS)
    for key, port in (ports or {}).items():
        if key not in DEFAULT_PORTS:
            raise ValueError(f"unknown port key {key!r}; expected one of {', '.join(PORT_KEYS)}")
        resolved[key] = int(port)
    return resolved


def ensure_free(key: str, port: int, host: str = LOOPBACK) -> None:
    """Raise ``PortInUseError`` if something listens on ``host:port``.

    SO_REUSEADDR as the servers themselves set it: a port in TIME_WAIT from the previous run
    counts as free (the server will bind it), only a live listener counts as busy.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            raise PortInUseError(key, port, host) from exc
