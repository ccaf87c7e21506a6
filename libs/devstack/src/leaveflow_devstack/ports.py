"""Which ports the stack listens on: the defaults (docs/api.md), free ones for tests, checks."""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Mapping

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


class PortInUseError(RuntimeError):
    """A port the stack needs is taken (often an earlier `make run` still going)."""

    def __init__(self, key: str, port: int, host: str) -> None:
        self.key, self.port, self.host = key, port, host
        super().__init__(
            f"port {port} ({key}) on {host} is already in use; stop whatever holds it "
            f"(`lsof -i :{port}` or `ss -ltnp 'sport = :{port}'` shows it) "
            f"or choose another port"
        )


def free_ports(host: str = "127.0.0.1") -> dict[str, int]:
    """One free port per key, picked by the kernel (bind to port 0).

    All sockets stay open until every port is picked, so the keys get distinct ports. Another
    process could still grab one before the stack binds it; on a dev box or CI that race is
    rare, and the stack then fails with the log of the process that could not bind.
    """
    with contextlib.ExitStack() as stack:
        picked: dict[str, int] = {}
        for key in PORT_KEYS:
            sock = stack.enter_context(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
            sock.bind((host, 0))
            picked[key] = sock.getsockname()[1]
        return picked


def resolve_ports(ports: Mapping[str, int] | None) -> dict[str, int]:
    """Defaults overlaid with ``ports``; unknown keys are an error (likely a typo)."""
    resolved = dict(DEFAULT_PORTS)
    for key, port in (ports or {}).items():
        if key not in DEFAULT_PORTS:
            raise ValueError(f"unknown port key {key!r}; expected one of {', '.join(PORT_KEYS)}")
        resolved[key] = int(port)
    return resolved


def ensure_free(key: str, port: int, host: str = "127.0.0.1") -> None:
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
