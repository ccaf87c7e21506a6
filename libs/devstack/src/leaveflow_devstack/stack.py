"""The local stack as processes: nats-server with JetStream, the four services and the web.

Used by `make run`, `make bench` and the e2e tests::

    with Stack(tmp_path, ports=Stack.free_ports()) as stack:
        httpx.get(stack.urls["requests"] + "/readyz")

Each service gets SQLite files under ``data_dir`` (unless ``env`` says otherwise), NATS keeps
its JetStream store under ``data_dir/nats``, and every process logs to
``log_dir/<name>.log`` (``data_dir/logs`` by default).

``Stack(..., store="mongo")`` puts every service on MongoDB instead, each in its own database
(``<prefix>_<service>``): the server at ``mongo_url`` (default: ``$MONGO_URL``, a replica set;
its query options are kept), or, when there is none, the mongoeco stand-in, which the stack
starts first, stops last and exposes as ``stack.mongo`` (a fault test may kill it and start
it again on the same ports). The stand-in is not a real MongoDB and keeps its data in memory:
a restart of it, or of the stack, starts from empty databases. It is one stand-in process
per service, because mongoeco fails any two transactions that overlap in time at commit,
even in different databases: on one shared stand-in, every service's writes would conflict
with every other's (a CSV import of 50 employees then took 8 to 50 s instead of 0.1 s).
"""

from __future__ import annotations

import functools
import os
import secrets
import signal
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from types import TracebackType

from leaveflow_kit.messaging.server_binary import nats_server_binary as find_nats_server

from .mongo import (
    STANDIN_LABEL,
    MongoStandin,
    find_python_313,
    masked,
    wait_for_ping,
    with_database,
)
from .ports import (
    APPS,
    PROCESSES,
    SERVICES,
    WEB,
    PortInUseError,
    ensure_free,
    free_ports,
    pick_ports,
    resolve_ports,
)
from .process import ManagedProcess, terminate_together
from .readiness import http_ok, wait_until_ready

LOOPBACK = "127.0.0.1"
STORES = ("sqlite", "mongo")
DEFAULT_DATABASE_PREFIX = "leaveflow"


class MongoStandins:
    """The mongoeco stand-in of a stack: one :class:`MongoStandin` per service, each on its
    own port (``base_port + i`` in service order, or free ports), started and stopped as one.

    ``kill()`` then ``start()`` is "the database went away and came back" for every service at
    once, on the same ports; ``by_service[name]`` reaches one alone. Data is in memory only.
    """

    def __init__(
        self,
        log_dir: Path,
        *,
        base_port: int | None = None,
        python: str | None = None,
        services: Sequence[str] = SERVICES,
    ) -> None:
        ports = (
            [base_port + offset for offset in range(len(services))]
            if base_port is not None
            else pick_ports(len(services))
        )
        self.by_service: dict[str, MongoStandin] = {
            name: MongoStandin(log_dir / f"mongo-{name}.log", port=port, python=python)
            for name, port in zip(services, ports, strict=True)
        }

    @property
    def urls(self) -> dict[str, str]:
        """Each service's stand-in, without a database (``?directConnection=true``)."""
        return {name: standin.url for name, standin in self.by_service.items()}

    @property
    def ports(self) -> dict[str, int]:
        return {name: standin.port for name, standin in self.by_service.items()}

    @property
    def log_paths(self) -> dict[str, Path]:
        return {name: standin.log_path for name, standin in self.by_service.items()}

    @property
    def running(self) -> bool:
        """Every stand-in is up."""
        return all(standin.running for standin in self.by_service.values())

    def start(self, timeout: float = 60.0) -> None:
        """Start those that are not running, all at once, and wait until each answers."""
        waiting = [s for s in self.by_service.values() if not s.running]
        try:
            for standin in waiting:
                standin.spawn()
        except BaseException:
            self.stop(0)
            raise
        self.wait_ready(waiting, timeout)

    def wait_ready(self, standins: Iterable[MongoStandin], timeout: float) -> None:
        try:
            for standin in standins:
                standin.wait_ready(timeout)
        except BaseException:
            self.stop(0)
            raise

    def kill(self) -> None:
        """SIGKILL every stand-in: what they held is gone."""
        for standin in self.by_service.values():
            standin.kill()

    def stop(self, grace: float = 10.0) -> None:
        for standin in self.by_service.values():
            standin.stop(grace)

    def __repr__(self) -> str:
        return f"MongoStandins({self.ports})"


# Looking for a Python >= 3.13 runs a few subprocesses (pyenv shims are slow): once per run.
_python_313 = functools.cache(find_python_313)


class StackError(RuntimeError):
    """The stack could not start, or a process misbehaved; the message carries its log tail."""


def nats_server_binary() -> Path:
    try:
        return find_nats_server()
    except FileNotFoundError as exc:
        raise StackError(str(exc)) from None


def service_argv(name: str) -> list[str]:
    """How a service starts: its package's ``__main__`` runs uvicorn."""
    return [sys.executable, "-m", f"leaveflow_{name}"]


class Stack:
    """Supervises nats-server, the four services and the web dashboard as child processes.

    ``ports`` overrides any of the keys ``nats``, ``nats_monitor``, ``requests``, ``balances``,
    ``notifications``, ``calendar``, ``web`` (defaults: 4222, 8222, 8001-8004, 8000); pass
    ``Stack.free_ports()`` in tests. ``env`` is applied last to every child's environment, so
    it can override anything the stack sets (for example ``REQUESTS_DATABASE_URL``).
    ``service_command`` replaces ``python -m leaveflow_<name>`` (the supervisor's own tests use
    a stand-in service).

    ``store`` is ``"sqlite"`` (files under ``data_dir``) or ``"mongo"``: every service on the
    MongoDB at ``mongo_url`` (``None``: ``$MONGO_URL``), in database ``<database_prefix>_<name>``;
    with no URL at all, on the mongoeco stand-ins the stack runs itself (one per service, on
    ``mongo_port``, ``mongo_port + 1``, ... in service order; default: free ports), logging to
    ``log_dir/mongo-<service>.log``.

    ``outbound_allow`` sets ``LEAVEFLOW_OUTBOUND_ALLOW`` (CIDRs notifications may call although
    they are not public); tests pass ``"127.0.0.0/8"`` for their sinks, ``make run`` nothing.

    ``public_host`` is the name people open the dashboard by (``WEB_PUBLIC_URL``; links in
    mail and chat use it): ``make run`` says ``localhost``, because browsers allow passkeys
    on a name, never on an IP address; tests keep ``127.0.0.1``, the address they call.
    """

    free_ports = staticmethod(free_ports)

    def __init__(
        self,
        data_dir: Path,
        *,
        ports: Mapping[str, int] | None = None,
        env: Mapping[str, str] | None = None,
        log_dir: Path | None = None,
        ready_timeout: float = 60.0,
        stop_grace: float = 10.0,
        service_command: Callable[[str], Sequence[str]] = service_argv,
        store: str = "sqlite",
        mongo_url: str | None = None,
        mongo_port: int | None = None,
        database_prefix: str = DEFAULT_DATABASE_PREFIX,
        outbound_allow: str | None = None,
        public_host: str = LOOPBACK,
    ) -> None:
        if store not in STORES:
            raise ValueError(f"unknown store {store!r}; expected one of {', '.join(STORES)}")
        self.data_dir = Path(data_dir).absolute()
        self.log_dir = (Path(log_dir) if log_dir else self.data_dir / "logs").absolute()
        self.ports = resolve_ports(ports)
        self.ready_timeout = ready_timeout
        self.stop_grace = stop_grace
        self._env_overrides = dict(env or {})
        # LEAVEFLOW_OUTBOUND_ALLOW for the children when given; None leaves the caller's
        # environment as it is (`make run`: empty, only public destinations).
        self._outbound_allow = outbound_allow
        self.public_host = public_host
        self._service_command = service_command
        self._processes: dict[str, ManagedProcess] = {}
        # Lets notifications act as an employee through the requests API (chat commands);
        # one per stack run unless the caller's environment fixes it.
        self._service_secret = os.environ.get("LEAVEFLOW_SERVICE_SECRET") or secrets.token_urlsafe(
            32
        )
        self.store = store
        self.database_prefix = database_prefix
        self.mongo: MongoStandins | None = None
        """The stand-ins this stack runs (store="mongo" without a URL), else None."""
        self._mongo_url: str | None = None
        if store == "mongo":
            self._mongo_url = mongo_url or os.environ.get("MONGO_URL") or None
            if self._mongo_url is None:
                self.mongo = MongoStandins(self.log_dir, base_port=mongo_port, python=_python_313())

    # ----------------------------------------------------------------- addresses
    @property
    def urls(self) -> dict[str, str]:
        """Base URL of each service and the web, e.g. ``{"requests": "http://127.0.0.1:8001"}``."""
        return {name: f"http://{LOOPBACK}:{self.ports[name]}" for name in APPS}

    @property
    def dashboard_url(self) -> str:
        """Where people open the dashboard: the web's address under ``public_host``."""
        return f"http://{self.public_host}:{self.ports[WEB]}"

    @property
    def nats_url(self) -> str:
        return f"nats://{LOOPBACK}:{self.ports['nats']}"

    @property
    def nats_monitor_url(self) -> str:
        return f"http://{LOOPBACK}:{self.ports['nats_monitor']}"

    @property
    def mongo_url(self) -> str | None:
        """The real MongoDB every service uses (without a database); None on SQLite and on
        the stand-ins (see ``mongo.urls``)."""
        return self._mongo_url

    @property
    def store_label(self) -> str:
        """Which store the services use, in words fit for a banner or a test report."""
        if self.store == "sqlite":
            return f"SQLite files in {self.data_dir}"
        if self.mongo is not None:
            ports = ", ".join(f"{name} :{port}" for name, port in self.mongo.ports.items())
            return f"{STANDIN_LABEL}, one per service (127.0.0.1 {ports}), data in memory only"
        assert self._mongo_url is not None
        return f"real MongoDB at {masked(self._mongo_url)}"

    @property
    def database_urls(self) -> dict[str, str]:
        """Each service's ``<NAME>_DATABASE_URL`` as the stack sets it (before ``env``)."""
        if self.mongo is not None:
            servers = self.mongo.urls
        elif self._mongo_url is not None:
            servers = dict.fromkeys(SERVICES, self._mongo_url)
        else:
            return {name: f"sqlite:///{self.data_dir / name}.db" for name in SERVICES}
        return {
            name: with_database(servers[name], f"{self.database_prefix}_{name}")
            for name in SERVICES
        }

    @property
    def pids(self) -> dict[str, int]:
        """Pid of each process that is running now."""
        return {
            name: process.pid
            for name, process in self._processes.items()
            if process.running and process.pid is not None
        }

    def log_path(self, name: str) -> Path:
        self._check_name(name)
        return self.log_dir / f"{name}.log"

    def log_tail(self, name: str, lines: int = 40) -> str:
        """The last lines the current (or last) run of ``name`` wrote."""
        self._check_name(name)
        process = self._processes.get(name)
        return process.tail(lines) if process else "(never started)"

    def service_env(self) -> dict[str, str]:
        """The environment every child gets: ours, the stack's wiring, then ``env``."""
        env = dict(os.environ)
        env.update(
            LEAVEFLOW_DATA_DIR=str(self.data_dir),
            NATS_URL=self.nats_url,
            # Unbuffered output reaches the log file at once, so a crash's tail is complete.
            PYTHONUNBUFFERED="1",
            LEAVEFLOW_SERVICE_SECRET=self._service_secret,
        )
        for name in APPS:
            prefix = name.upper()
            env[f"{prefix}_HOST"] = LOOPBACK
            env[f"{prefix}_PORT"] = str(self.ports[name])
            env[f"{prefix}_URL"] = self.urls[name]
        for name, url in self.database_urls.items():
            # Explicit, so a DATABASE_URL in the caller's shell cannot send tests elsewhere.
            env[f"{name.upper()}_DATABASE_URL"] = url
        env["WEB_PUBLIC_URL"] = self.dashboard_url
        if self._outbound_allow is not None:
            env["LEAVEFLOW_OUTBOUND_ALLOW"] = self._outbound_allow
        env.update(self._env_overrides)
        return env

    # ----------------------------------------------------------------- lifecycle
    def start(self) -> Stack:
        """Start MongoDB's stand-in (if any), NATS, then the services; return once every
        ``/readyz`` answers 200.

        On any failure (or Ctrl-C) everything already started is stopped before the error
        propagates, so a failed start leaves no process behind.
        """
        if any(process.running for process in self._processes.values()):
            raise StackError("stack is already running")
        try:
            for name in PROCESSES:
                self._ensure_ports_free(name)
            self._spawn_mongo()
            self._spawn("nats")
            self._wait_ready(["nats"])
            self._wait_mongo()
            for name in SERVICES:
                self._spawn(name)
            self._wait_ready(SERVICES)
            # The web's readiness is the requests service answering: start it last.
            self._spawn(WEB)
            self._wait_ready([WEB])
        except BaseException:
            self.stop()
            raise
        return self

    def start_service(self, name: str) -> None:
        """(Re)start one process that is not running, and wait until it is ready."""
        self._check_name(name)
        process = self._processes.get(name)
        if process is not None and process.running:
            raise StackError(f"{name} is already running (pid {process.pid})")
        self._ensure_ports_free(name)
        self._spawn(name)
        self._wait_ready([name])

    def restart(self, name: str) -> None:
        """Stop one process gracefully (SIGTERM, then SIGKILL after the grace) and start it."""
        self._check_name(name)
        process = self._processes.get(name)
        if process is not None:
            process.terminate(self.stop_grace)
        self.start_service(name)

    def kill(self, name: str, sig: int = signal.SIGKILL, *, wait: bool = True) -> None:
        """Send ``sig`` to one process's group, e.g. to test crash recovery.

        With ``wait`` (default) return once it has exited, failing if it has not within the
        stop grace; pass ``wait=False`` for signals that do not end it (SIGSTOP, SIGHUP).
        """
        self._check_name(name)
        process = self._processes.get(name)
        if process is None or not process.running:
            raise StackError(f"{name} is not running")
        process.send_signal(sig)
        if wait and process.wait(self.stop_grace) is None:
            raise StackError(f"{name} still running {self.stop_grace}s after signal {sig}")

    def stop(self) -> None:
        """Stop everything: the web and services first (they may flush to NATS), then NATS,
        then the MongoDB stand-in if the stack runs one.

        SIGTERM to each process group, SIGKILL what is left after the grace. Idempotent.
        """
        services = [self._processes[n] for n in APPS if n in self._processes]
        self._terminate_together(services)
        if "nats" in self._processes:
            self._terminate_together([self._processes["nats"]])
        if self.mongo is not None:
            self.mongo.stop(self.stop_grace)

    def __enter__(self) -> Stack:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"Stack(data_dir={str(self.data_dir)!r}, ports={self.ports}, pids={self.pids})"

    # ----------------------------------------------------------------- internals
    def _spawn_mongo(self) -> None:
        """The stand-ins start first and come up while NATS does (each takes seconds)."""
        if self.mongo is None:
            return
        self.log_dir.mkdir(parents=True, exist_ok=True)
        try:
            for standin in self.mongo.by_service.values():
                standin.spawn()
        except PortInUseError:
            raise
        except Exception as exc:
            raise StackError(f"MongoDB ({self.store_label}) is not usable: {exc}") from exc

    def _wait_mongo(self) -> None:
        """Before any service: a real server must answer a ping, so a wrong ``MONGO_URL``
        fails here with its reason rather than as four unready services."""
        if self.store != "mongo":
            return
        try:
            if self.mongo is not None:
                self.mongo.wait_ready(self.mongo.by_service.values(), self.ready_timeout)
            else:
                assert self._mongo_url is not None
                wait_for_ping(self._mongo_url, min(self.ready_timeout, 30.0))
        except Exception as exc:
            raise StackError(f"MongoDB ({self.store_label}) is not usable: {exc}") from exc

    def _check_name(self, name: str) -> None:
        if name not in PROCESSES:
            raise ValueError(f"unknown process {name!r}; expected one of {', '.join(PROCESSES)}")

    def _ensure_ports_free(self, name: str) -> None:
        keys = ("nats", "nats_monitor") if name == "nats" else (name,)
        for key in keys:
            ensure_free(key, self.ports[key], LOOPBACK)

    def _argv(self, name: str) -> list[str]:
        if name != "nats":
            return list(self._service_command(name))
        return [
            str(nats_server_binary()),
            "-a", LOOPBACK,
            "-p", str(self.ports["nats"]),
            "-js",
            "-sd", str(self.data_dir / "nats"),
            "-m", str(self.ports["nats_monitor"]),
        ]  # fmt: skip

    def _spawn(self, name: str) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        process = self._processes.get(name)
        if process is None:
            process = ManagedProcess(
                name,
                self._argv(name),
                env=self.service_env(),
                log_path=self.log_path(name),
                cwd=self.data_dir,
            )
            self._processes[name] = process
        process.spawn()

    def _ready_url(self, name: str) -> str:
        if name == "nats":
            return f"{self.nats_monitor_url}/healthz?js-enabled-only=true"
        return f"{self.urls[name]}/readyz"

    def _wait_ready(self, names: Iterable[str]) -> None:
        """Poll every named process until all are ready; fail fast if one dies."""
        wait_until_ready(
            names,
            self._processes,
            lambda client, name: http_ok(self._ready_url(name), client),
            timeout=self.ready_timeout,
            failure=StackError,
            timed_out=self._not_ready_message,
        )

    def _not_ready_message(self, pending: Mapping[str, str]) -> str:
        parts = [f"not ready after {self.ready_timeout:.0f}s: {', '.join(pending)}"]
        for name, last in pending.items():
            process = self._processes[name]
            parts.append(
                f"--- {name} ({self._ready_url(name)} last said: {last}); "
                f"last lines of {process.log_path}:\n{process.tail()}"
            )
        return "\n".join(parts)

    def _terminate_together(self, processes: Sequence[ManagedProcess]) -> None:
        terminate_together(processes, self.stop_grace)
