"""The scaled-out shape on one machine: two (or more) replicas of every service and of the
web, sharing each service's store, on a 3-node NATS cluster with streams at replicas 3.

Used by the HA e2e tests::

    with ReplicatedStack(tmp_path) as ha:
        sign_up(ha.urls(0))             # replica a of everything
        httpx.get(ha.urls(1)["requests"] + "/readyz")   # replica b

Each replica is its own process on its own port (``requests-a``, ``requests-b``, ...), with
the environment `Stack.service_env` builds (same data dir, so the same SQLite file per
service, the same signing keys and service secret) plus: every NATS node in ``NATS_URL``,
``NATS_STREAM_REPLICAS`` at the cluster size (at most 3), one web session secret for all web
replicas, and the other services' URLs pointing at the *next* replica (``requests-a`` calls
``balances-b``, ``requests-b`` calls ``balances-a``), so every cross-service call also
crosses replicas. ``env`` is applied last, e.g. ``{"REQUESTS_DATABASE_URL": "mongodb://..."}``
for a shared MongoDB instead of the SQLite files.
"""

from __future__ import annotations

import secrets
import signal
import string
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import TracebackType

import httpx

from .cluster import NatsCluster
from .ports import APPS, ensure_free, pick_ports
from .process import ManagedProcess, terminate_together
from .readiness import http_ok, wait_until_ready
from .settled import wait_streams_settled
from .stack import LOOPBACK, Stack, StackError, service_argv

MAX_STREAM_REPLICAS = 3


def replica_name(app: str, replica: int) -> str:
    """``requests-a`` for replica 0 of requests, ``requests-b`` for replica 1, ..."""
    return f"{app}-{string.ascii_lowercase[replica]}"


class ReplicatedStack:
    """Supervises a `NatsCluster` and ``replicas`` processes of each service and the web."""

    def __init__(
        self,
        data_dir: Path,
        *,
        replicas: int = 2,
        nats_nodes: int = 3,
        env: Mapping[str, str] | None = None,
        log_dir: Path | None = None,
        ready_timeout: float = 90.0,
        stop_grace: float = 10.0,
    ) -> None:
        if not 1 <= replicas <= len(string.ascii_lowercase):
            raise ValueError("replicas must be between 1 and 26")
        self.data_dir = Path(data_dir).absolute()
        self.log_dir = (Path(log_dir) if log_dir else self.data_dir / "logs").absolute()
        self.replicas = replicas
        self.ready_timeout = ready_timeout
        self.stop_grace = stop_grace
        self.cluster = NatsCluster(
            self.data_dir / "nats", size=nats_nodes, log_dir=self.log_dir, stop_grace=stop_grace
        )
        ports = iter(pick_ports(len(APPS) * replicas))
        self.ports: dict[str, list[int]] = {
            app: [next(ports) for _ in range(replicas)] for app in APPS
        }
        self._env_overrides = dict(env or {})
        # Only for the environment it builds (never started): one data dir and one service
        # secret for every replica, exactly as the single-process stack wires them.
        first = self.cluster.ports[0]
        self._wiring = Stack(
            self.data_dir,
            ports={
                "nats": first.client,
                "nats_monitor": first.monitor,
                **{app: self.ports[app][0] for app in APPS},
            },
            env=self._env_overrides,
            log_dir=self.log_dir,
        )
        # Sessions signed by one web replica must be readable by the others.
        self._session_secret = secrets.token_urlsafe(32)
        self._processes: dict[str, ManagedProcess] = {}

    # ----------------------------------------------------------------- addresses
    def urls(self, replica: int = 0) -> dict[str, str]:
        """Base URL of replica ``replica`` of each service and the web."""
        return {app: self.url(app, replica) for app in APPS}

    def url(self, app: str, replica: int) -> str:
        return f"http://{LOOPBACK}:{self.ports[app][replica]}"

    def replica_urls(self, app: str) -> list[str]:
        """Every replica's base URL of one app, in replica order."""
        return [self.url(app, i) for i in range(self.replicas)]

    @property
    def names(self) -> list[str]:
        """Every service and web process, e.g. ``requests-a``, ``requests-b``, ..."""
        return [replica_name(app, i) for app in APPS for i in range(self.replicas)]

    def log_path(self, name: str) -> Path:
        return self.log_dir / f"{name}.log"

    def log_tail(self, name: str, lines: int = 40) -> str:
        if name in self.cluster.nodes:
            return self.cluster.log_tail(name, lines)
        process = self._processes.get(name)
        return process.tail(lines) if process else "(never started)"

    @property
    def pids(self) -> dict[str, int]:
        found = dict(self.cluster.pids)
        for name, process in self._processes.items():
            if process.running and process.pid is not None:
                found[name] = process.pid
        return found

    def env_for(self, app: str, replica: int) -> dict[str, str]:
        """The environment of one replica (see the module docstring)."""
        env = self._wiring.service_env()
        env.update(
            NATS_URL=self.cluster.url,
            NATS_STREAM_REPLICAS=str(min(len(self.cluster.nodes), MAX_STREAM_REPLICAS)),
            WEB_SESSION_SECRET=self._session_secret,
        )
        env[f"{app.upper()}_PORT"] = str(self.ports[app][replica])
        peer = (replica + 1) % self.replicas
        for other in APPS:
            env[f"{other.upper()}_URL"] = self.url(other, replica if other == app else peer)
        env.update(self._env_overrides)
        return env

    # ----------------------------------------------------------------- lifecycle
    def start(self) -> ReplicatedStack:
        """Start the cluster, then every replica of everything at once; return once every
        ``/readyz`` answers 200 (the web's says the requests service answers, so it comes
        last by itself) and events can flow: every stream and durable has a leader and every
        durable's lease a holder (`leaveflow_devstack.settled`). A failed start leaves
        nothing behind."""
        try:
            for app in APPS:
                for port in self.ports[app]:
                    ensure_free(app, port, LOOPBACK)
            self.cluster.start()
            for name in self.names:
                self._spawn(name)
            self._wait_ready(self.names)
            wait_streams_settled(
                self.cluster.urls,
                timeout=self.ready_timeout,
                leases=float(self._env_overrides.get("LEAVEFLOW_CONSUMER_LEASE", "6")) > 0,
            )
        except BaseException:
            self.stop()
            raise
        return self

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        """Signal one replica (or NATS node) and wait until it has exited."""
        if name in self.cluster.nodes:
            self.cluster.kill(name, sig)
            return
        process = self._process(name)
        if not process.running:
            raise StackError(f"{name} is not running")
        process.send_signal(sig)
        if process.wait(self.stop_grace) is None:
            raise StackError(f"{name} still running {self.stop_grace}s after signal {sig}")

    def start_process(self, name: str) -> None:
        """(Re)start one replica (or NATS node) that is not running; wait until it is ready."""
        if name in self.cluster.nodes:
            self.cluster.start_node(name)
            return
        if name in self._processes and self._processes[name].running:
            raise StackError(f"{name} is already running")
        self._spawn(name)
        self._wait_ready([name])

    def stop(self) -> None:
        """Stop the web and service replicas (one shared grace), then the cluster."""
        terminate_together(list(self._processes.values()), self.stop_grace)
        self.cluster.stop()

    def __enter__(self) -> ReplicatedStack:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # ----------------------------------------------------------------- internals
    def _split(self, name: str) -> tuple[str, int]:
        app, _, letter = name.rpartition("-")
        if app not in APPS or len(letter) != 1 or letter not in string.ascii_lowercase:
            raise ValueError(f"unknown process {name!r}; expected one of {', '.join(self.names)}")
        replica = string.ascii_lowercase.index(letter)
        if replica >= self.replicas:
            raise ValueError(f"{name}: this stack runs {self.replicas} replicas")
        return app, replica

    def _process(self, name: str) -> ManagedProcess:
        self._split(name)
        process = self._processes.get(name)
        if process is None:
            raise StackError(f"{name} was never started")
        return process

    def _spawn(self, name: str) -> None:
        app, replica = self._split(name)
        ensure_free(name, self.ports[app][replica], LOOPBACK)
        process = self._processes.get(name)
        if process is None:
            process = ManagedProcess(
                name,
                service_argv(app),
                env=self.env_for(app, replica),
                log_path=self.log_path(name),
                cwd=self.data_dir,
            )
            self._processes[name] = process
        process.spawn()

    def _wait_ready(self, names: Iterable[str]) -> None:
        def not_ready(client: httpx.Client, name: str) -> str | None:
            app, replica = self._split(name)
            return http_ok(f"{self.url(app, replica)}/readyz", client)

        wait_until_ready(
            names,
            self._processes,
            not_ready,
            timeout=self.ready_timeout,
            failure=StackError,
            timed_out=self._not_ready_message,
        )

    def _not_ready_message(self, pending: Mapping[str, str]) -> str:
        parts = [f"not ready after {self.ready_timeout:.0f}s: {', '.join(pending)}"]
        for name, last in pending.items():
            parts.append(
                f"--- {name} (/readyz last said: {last}); last lines of "
                f"{self.log_path(name)}:\n{self._processes[name].tail()}"
            )
        return "\n".join(parts)

    def __repr__(self) -> str:
        return f"ReplicatedStack(data_dir={str(self.data_dir)!r}, pids={self.pids})"
