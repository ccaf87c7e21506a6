"""A NATS cluster on loopback: ``size`` nats-server nodes with JetStream, routed to each other.

Used by the two-replica test stack (`leaveflow_devstack.replicas`) and fault tests::

    with NatsCluster(tmp_path / "nats") as cluster:
        os.environ["NATS_URL"] = cluster.url  # every node, comma-separated

Each node has its own JetStream store (``data_dir/<node>``), client, cluster-route and
monitoring ports, a server name (JetStream's Raft groups need one per node) and one cluster
name; each solicits routes to every other node, so the start order does not matter. A node
can be killed and restarted on the same ports and store (``kill`` / ``start_node``).
"""

from __future__ import annotations

import signal
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

import httpx

from leaveflow_kit.messaging.server_binary import nats_server_binary

from .ports import ensure_free, pick_ports
from .process import ManagedProcess, terminate_together
from .readiness import http_ok, wait_until_ready

LOOPBACK = "127.0.0.1"
CLUSTER_NAME = "leaveflow"


class ClusterError(RuntimeError):
    """A node could not start or become ready; the message carries its log tail."""


@dataclass(frozen=True)
class NodePorts:
    client: int
    cluster: int
    monitor: int


def free_node_ports(size: int, host: str = LOOPBACK) -> list[NodePorts]:
    """Distinct free ports for ``size`` nodes, from the one picker."""
    picked = pick_ports(size * 3, host)
    return [NodePorts(*picked[i * 3 : i * 3 + 3]) for i in range(size)]


class NatsCluster:
    """Supervises the nodes ``nats-1`` .. ``nats-<size>`` as child processes."""

    def __init__(
        self,
        data_dir: Path,
        *,
        size: int = 3,
        ports: Sequence[NodePorts] | None = None,
        log_dir: Path | None = None,
        name: str = CLUSTER_NAME,
        ready_timeout: float = 30.0,
        stop_grace: float = 10.0,
    ) -> None:
        if size < 1:
            raise ValueError("a cluster needs at least one node")
        self.data_dir = Path(data_dir).absolute()
        self.log_dir = (Path(log_dir) if log_dir else self.data_dir / "logs").absolute()
        self.ports = list(ports) if ports is not None else free_node_ports(size)
        if len(self.ports) != size:
            raise ValueError(f"{size} nodes need {size} port sets, got {len(self.ports)}")
        self.name = name
        self.ready_timeout = ready_timeout
        self.stop_grace = stop_grace
        self.nodes = tuple(f"nats-{i + 1}" for i in range(size))
        self._processes: dict[str, ManagedProcess] = {}

    # ----------------------------------------------------------------- addresses
    @property
    def urls(self) -> list[str]:
        """Client URL of every node, in node order."""
        return [f"nats://{LOOPBACK}:{p.client}" for p in self.ports]

    @property
    def url(self) -> str:
        """Every node's client URL, comma-separated: the form ``NATS_URL`` takes."""
        return ",".join(self.urls)

    def monitor_url(self, node: str) -> str:
        return f"http://{LOOPBACK}:{self._ports_of(node).monitor}"

    def log_path(self, node: str) -> Path:
        self._ports_of(node)
        return self.log_dir / f"{node}.log"

    def log_tail(self, node: str, lines: int = 40) -> str:
        process = self._processes.get(node)
        return process.tail(lines) if process else "(never started)"

    @property
    def pids(self) -> dict[str, int]:
        return {
            node: process.pid
            for node, process in self._processes.items()
            if process.running and process.pid is not None
        }

    # ----------------------------------------------------------------- lifecycle
    def start(self) -> NatsCluster:
        """Start every node; return once each answers ``/healthz`` (JetStream current).

        On failure everything already started is stopped before the error propagates.
        """
        try:
            for node in self.nodes:
                self._ensure_free(node)
            for node in self.nodes:
                self._spawn(node)
            self.wait_ready(self.nodes)
        except BaseException:
            self.stop()
            raise
        return self

    def start_node(self, node: str) -> None:
        """(Re)start one node on its ports and store, and wait until it is ready."""
        process = self._processes.get(node)
        if process is not None and process.running:
            raise ClusterError(f"{node} is already running (pid {process.pid})")
        self._ensure_free(node)
        self._spawn(node)
        self.wait_ready([node])

    def kill(self, node: str, sig: int = signal.SIGKILL) -> None:
        """Send ``sig`` to one node and wait for it to exit (a crash, for fault tests)."""
        process = self._processes.get(node)
        if process is None or not process.running:
            raise ClusterError(f"{node} is not running")
        process.send_signal(sig)
        if process.wait(self.stop_grace) is None:
            raise ClusterError(f"{node} still running {self.stop_grace}s after signal {sig}")

    def stop(self) -> None:
        """SIGTERM every node, SIGKILL what is left after one shared grace. Idempotent."""
        terminate_together(list(self._processes.values()), self.stop_grace)

    def __enter__(self) -> NatsCluster:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def wait_ready(self, nodes: Iterable[str]) -> None:
        """Poll each node until ``/healthz`` answers 200 (JetStream ready) and ``/routez``
        shows a route to every other node."""

        def not_ready(client: httpx.Client, node: str) -> str | None:
            health = http_ok(f"{self.monitor_url(node)}/healthz", client)
            if health is not None:
                return health
            routes = client.get(f"{self.monitor_url(node)}/routez")
            if not self._routed(routes):
                return f"routes to the other nodes not up: {routes.text[:200]}"
            return None

        wait_until_ready(
            nodes,
            self._processes,
            not_ready,
            timeout=self.ready_timeout,
            failure=ClusterError,
            timed_out=self._not_ready_message,
        )

    # ----------------------------------------------------------------- internals
    def _routed(self, routes: httpx.Response) -> bool:
        """A route to every other node (healthz alone can pass before they meet, and a
        stream at replicas 3 cannot be placed until they have)."""
        if routes.status_code != 200:
            return False
        listed = routes.json().get("routes") or []
        remotes = {r.get("remote_name") or r.get("remote_id") for r in listed}
        return len(remotes - {None}) >= len(self.nodes) - 1

    def _ports_of(self, node: str) -> NodePorts:
        if node not in self.nodes:
            raise ValueError(f"unknown node {node!r}; expected one of {', '.join(self.nodes)}")
        return self.ports[self.nodes.index(node)]

    def _ensure_free(self, node: str) -> None:
        ports = self._ports_of(node)
        for kind, port in (("client", ports.client), ("cluster", ports.cluster)):
            ensure_free(f"{node} {kind}", port, LOOPBACK)
        ensure_free(f"{node} monitor", ports.monitor, LOOPBACK)

    def _argv(self, node: str) -> list[str]:
        ports = self._ports_of(node)
        routes = ",".join(
            f"nats://{LOOPBACK}:{other.cluster}" for other in self.ports if other != ports
        )
        argv = [
            str(nats_server_binary()),
            "-a", LOOPBACK,
            "-p", str(ports.client),
            "-m", str(ports.monitor),
            "-js",
            "-sd", str(self.data_dir / node),
            "--server_name", node,
            "--cluster_name", self.name,
            "--cluster", f"nats://{LOOPBACK}:{ports.cluster}",
        ]  # fmt: skip
        return [*argv, "--routes", routes] if routes else argv

    def _spawn(self, node: str) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        process = self._processes.get(node)
        if process is None:
            process = ManagedProcess(
                node, self._argv(node), env={}, log_path=self.log_path(node), cwd=self.data_dir
            )
            self._processes[node] = process
        process.spawn()

    def _not_ready_message(self, pending: Mapping[str, str]) -> str:
        parts = [f"NATS cluster not ready after {self.ready_timeout:.0f}s: {', '.join(pending)}"]
        for node, last in pending.items():
            parts.append(
                f"--- {node} (healthz last said: {last}); last lines of "
                f"{self.log_path(node)}:\n{self._processes[node].tail()}"
            )
        return "\n".join(parts)
