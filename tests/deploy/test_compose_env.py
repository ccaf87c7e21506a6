"""The compose environment runs, without Docker: every process of deploy/docker-compose.yml
started here with exactly the environment compose would give its container.

How compose is emulated (only what this file's services use):
- deploy/.env is what `make up` writes (deploy/init_env.py: .env.example plus generated
  secrets); ``${VAR:-default}``, ``${VAR:?message}`` & co. are resolved from it the way
  compose resolves them, so a variable compose would refuse to start without fails here too.
- The network: each service's hostname:port (nats:4222, requests:8001, ...) becomes
  127.0.0.1 on a free port, rewritten wherever it occurs in the environment; ``0.0.0.0``
  binds become 127.0.0.1; the container port in ``<SERVICE>_PORT`` becomes the free port.
- MongoDB: the mongoeco stand-in (leaveflow_devstack.mongo). It is not a replica set, so
  ``replicaSet=rs0`` becomes ``directConnection=true``; nothing else of the URL changes.
- Volumes: one directory per named volume (``/data``); bind mounts (``./nats``) are the
  repository's own files, so nats-server runs deploy/nats/single.conf itself.
- Published ports: ``localhost:<published>`` on the host is the service's free port here.
  Public URLs (the *_PUBLIC_URL defaults point at published ports) are followed that way.

Then: docs/walkthrough.sh through it, a signed Slack slash command, an email Approve link
and an iCal feed, and every URL handed to people is checked to be a public one. And, on an
install of its own, issue 14's done-when: a person invited by email signs in (Chromium, a
link through the operator's SMTP) without ever seeing an id or a password.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx
import pytest
import yaml
from dotenv import dotenv_values
from slack_sdk.signature import SignatureVerifier

from leaveflow_devstack.mongo import MongoStandin, find_python_313
from leaveflow_devstack.process import ManagedProcess
from leaveflow_devstack.testing import eventually
from leaveflow_kit.messaging.server_binary import nats_server_binary
from leaveflow_kit.testing import WebhookSink
from leaveflow_kit.testing.smtp_sink import SmtpSink

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.timeout(240)

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
COMPOSE_FILE = DEPLOY / "docker-compose.yml"
SERVICES = ("requests", "balances", "notifications", "calendar")
APPS = (*SERVICES, "web")
LOOPBACK = "127.0.0.1"
READY_TIMEOUT = 90.0  # five cold Python processes on a loaded 2-core machine
SLACK_SIGNING = "compose-env-slack-signing-secret"
INTERNAL_HOSTS = ("nats", "mongo", *APPS)


# --- compose's variable interpolation ------------------------------------------------------
_REFERENCE = re.compile(r"\$(?:(?P<escaped>\$)|\{(?P<braced>[^}]*)\}|(?P<bare>[A-Za-z_]\w*))")
_BRACED = re.compile(r"(?P<name>[A-Za-z_]\w*)(?:(?P<colon>:?)(?P<op>[-?+])(?P<arg>.*))?", re.S)


class MissingVariable(Exception):
    """``${VAR:?message}`` with VAR unset or empty: compose refuses to start."""


def interpolate(value: str, env: Mapping[str, str]) -> str:
    """One value as compose resolves it (https://docs.docker.com/compose/how-tos/
    environment-variables/variable-interpolation/): ``$$``, ``$VAR``, ``${VAR}``,
    ``${VAR:-default}``/``-``, ``${VAR:?err}``/``?``, ``${VAR:+alt}``/``+``."""

    def resolve(match: re.Match[str]) -> str:
        if match.group("escaped"):
            return "$"
        if match.group("bare"):
            return env.get(match.group("bare"), "")
        braced = _BRACED.fullmatch(match.group("braced"))
        if braced is None or "${" in (braced.group("arg") or ""):
            raise ValueError(f"interpolation this emulation does not know: {match.group(0)}")
        name, op, arg = braced.group("name"), braced.group("op"), braced.group("arg")
        current = env.get(name)
        unset = current is None or (bool(braced.group("colon")) and current == "")
        if op is None:
            return current or ""
        if op == "-":
            return arg if unset else str(current)
        if op == "?":
            if unset:
                raise MissingVariable(f"required variable {name} is missing a value: {arg}")
            return str(current)
        return "" if unset else arg  # "+"

    return _REFERENCE.sub(resolve, value)


def resolved(node: Any, env: Mapping[str, str]) -> Any:
    if isinstance(node, str):
        return interpolate(node, env)
    if isinstance(node, list):
        return [resolved(item, env) for item in node]
    if isinstance(node, dict):
        return {key: resolved(value, env) for key, value in node.items()}
    return node


def load_compose(env: Mapping[str, str]) -> dict[str, Any]:
    """The compose file with YAML merge keys applied (PyYAML does) and variables resolved."""
    loaded: dict[str, Any] = resolved(yaml.safe_load(COMPOSE_FILE.read_text()), env)
    return loaded


def default_services(compose: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """What `docker compose up` starts with no profile enabled."""
    return {name: s for name, s in compose["services"].items() if not s.get("profiles")}


def enabled_services(
    compose: Mapping[str, Any], profiles: Iterable[str]
) -> dict[str, dict[str, Any]]:
    """What `docker compose --profile ...` starts."""
    on = set(profiles)
    return {
        name: s
        for name, s in compose["services"].items()
        if not s.get("profiles") or on & set(s["profiles"])
    }


def make_up_variables(*flags: str) -> dict[str, str]:
    """The variables `make up <flags>` puts in front of `docker compose up` (make -n)."""
    done = subprocess.run(
        ["make", "-s", "-n", "up", *flags], cwd=ROOT, capture_output=True, text=True,
        timeout=30, check=True,
    )  # fmt: skip
    (line,) = [line for line in done.stdout.splitlines() if "docker compose" in line]
    words = line[: line.index("docker compose")].split()
    return dict(word.split("=", 1) for word in words)


def make_up_env_file(path: Path) -> dict[str, str]:
    """deploy/.env exactly as `make up` writes it on a first run, read as compose reads it."""
    done = subprocess.run(
        [sys.executable, str(DEPLOY / "init_env.py"), str(path), "--example",
         str(DEPLOY / ".env.example")],
        capture_output=True, text=True, timeout=30, check=True,
    )  # fmt: skip
    assert "generated LEAVEFLOW_SERVICE_SECRET" in done.stdout, done.stdout
    return {key: value or "" for key, value in dotenv_values(path, interpolate=False).items()}


# --- the emulated network -----------------------------------------------------------------
def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        port: int = sock.getsockname()[1]
        return port


def _container_port(service: Mapping[str, Any]) -> int:
    """The port the service's health check asks inside its container."""
    found = re.search(r"http://127\.0\.0\.1:(\d+)/", " ".join(service["healthcheck"]["test"]))
    assert found, service["healthcheck"]
    return int(found.group(1))


@dataclass
class Network:
    """Where each compose address lives on loopback here."""

    internal: dict[tuple[str, int], int]  # (hostname, container port) -> loopback port
    published: dict[int, int]  # port published on the host -> loopback port
    mongo: MongoStandin

    def rewrite(self, value: str) -> str:
        """A value with every service address replaced by its loopback one."""

        def to_loopback(match: re.Match[str]) -> str:
            host, port = match.group(1), int(match.group(2))
            if host == "mongo" and port == 27017:
                return f"//{LOOPBACK}:{self.mongo.port}"
            if (host, port) not in self.internal:
                return match.group(0)
            return f"//{LOOPBACK}:{self.internal[(host, port)]}"

        value = re.sub(r"//([a-z][a-z0-9-]*):(\d+)", to_loopback, value)
        if value.startswith("mongodb://"):
            parts = urlsplit(value)
            query = [(k, v) for k, v in parse_qsl(parts.query) if k != "replicaSet"]
            query.append(("directConnection", "true"))  # the stand-in is not a replica set
            value = urlunsplit(parts._replace(query=urlencode(query)))
        return value

    def reach(self, public_url: str) -> str:
        """A URL people were handed, as this host reaches it (through the published port)."""
        parts = urlsplit(public_url)
        assert parts.hostname in {"localhost", LOOPBACK}, public_url
        assert parts.port in self.published, f"{public_url}: no service publishes that port"
        netloc = f"{LOOPBACK}:{self.published[parts.port]}"
        return urlunsplit(parts._replace(netloc=netloc))


def container_env(
    name: str, service: Mapping[str, Any], network: Network, volumes: Mapping[str, Path]
) -> dict[str, str]:
    """The environment compose gives the container, mapped onto this machine."""
    env = {key: str(value) for key, value in service["environment"].items()}
    mounts: dict[str, str] = {}  # container path -> volume or host path
    for volume in service.get("volumes", []):
        source, target = str(volume).split(":")[:2]
        mounts[target] = source
    own_port = _container_port(service)
    for key, value in list(env.items()):
        if key.endswith("_HOST") and value == "0.0.0.0":
            env[key] = LOOPBACK  # never listen beyond loopback on a test machine
        elif key == f"{name.upper()}_PORT":
            assert int(value) == own_port, f"{name} listens on {value}, checked on {own_port}"
            env[key] = str(network.internal[(name, own_port)])
        elif value.startswith("/") and value in mounts:
            env[key] = str(volumes[mounts[value]])
        else:
            env[key] = network.rewrite(value)
    leaked = {k: v for k, v in env.items() if re.search(rf"//({'|'.join(INTERNAL_HOSTS)})[:/]", v)}
    assert not leaked, f"{name}: addresses this emulation does not know: {leaked}"
    # What the image adds (deploy/Dockerfile ENV), what a process needs to run at all, and
    # unbuffered output (so a crash's log tail is complete); nothing from the test's own
    # environment leaks in.
    return {
        "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
        "HOME": str(next(iter(volumes.values())).parent),
        "LANG": "C.UTF-8",
        "SERVICE": name,
        "PYTHONUNBUFFERED": "1",
        **env,
    }


class ComposeRun:
    """nats-server and every service of the default profile, as compose would run them."""

    def __init__(self, root: Path, compose: Mapping[str, Any], mongo: MongoStandin) -> None:
        self.root = root
        services = default_services(compose)
        assert set(services) == {"nats", "mongo", *APPS}, sorted(services)
        internal = {(name, _container_port(services[name])): free_port() for name in APPS}
        internal[("nats", 4222)] = free_port()
        self.nats_monitor_port = free_port()
        published: dict[int, int] = {}
        for name in APPS:
            for mapping in services[name].get("ports", []):
                host_port, container_port = (int(p) for p in str(mapping).split(":")[-2:])
                published[host_port] = internal[(name, container_port)]
        self.network = Network(internal, published, mongo)
        self.volumes = {name: root / "volumes" / name for name in compose["volumes"]}
        for path in self.volumes.values():
            path.mkdir(parents=True, exist_ok=True)
        self.compose = compose
        self.processes: dict[str, ManagedProcess] = {}

    def url(self, name: str) -> str:
        """How the host reaches a service (what its published port leads to)."""
        service = self.compose["services"][name]
        return f"http://{LOOPBACK}:{self.network.internal[(name, _container_port(service))]}"

    def env_of(self, name: str, compose: Mapping[str, Any] | None = None) -> dict[str, str]:
        service = (compose or self.compose)["services"][name]
        return container_env(name, service, self.network, self.volumes)

    def start(self) -> None:
        self._start_nats()
        for name in SERVICES:
            self._spawn(name, self.env_of(name))
        self._wait_ready(SERVICES)
        self._spawn("web", self.env_of("web"))  # depends_on: requests healthy
        self._wait_ready(["web"])

    def recreate(self, compose: Mapping[str, Any]) -> list[str]:
        """`docker compose up` after an .env edit: recreate the containers whose config
        changed, leave the others running."""
        changed = [name for name in APPS if self.env_of(name, compose) != self.env_of(name)]
        for name in changed:
            self.processes[name].terminate(10.0)
        self.compose = compose
        for name in changed:
            self._spawn(name, self.env_of(name))
        self._wait_ready(changed)
        return changed

    def stop(self) -> None:
        for name in reversed(APPS):
            if name in self.processes:
                self.processes[name].send_signal(15)
        for process in self.processes.values():
            process.terminate(10.0)

    def log_tails(self) -> str:
        return "\n".join(f"--- {n}\n{p.tail(25)}" for n, p in self.processes.items())

    def _start_nats(self) -> None:
        nats = self.compose["services"]["nats"]
        mounts: dict[str, Path] = {}
        for volume in nats["volumes"]:
            source, target = str(volume).split(":")[:2]
            mounts[target] = DEPLOY / source if source.startswith(".") else self.volumes[source]
        argv = [str(nats_server_binary())]
        for arg in nats["command"]:
            for target, mounted in mounts.items():
                if arg == target or arg.startswith(target + "/"):
                    arg = str(mounted) + arg[len(target) :]
            argv.append(arg)
        # Command-line flags win over the config file: loopback and free ports only.
        argv += ["-a", LOOPBACK, "-p", str(self.network.internal[("nats", 4222)])]
        argv += ["-m", str(self.nats_monitor_port)]
        self.processes["nats"] = ManagedProcess(
            "nats", argv, env={"PATH": "/usr/bin:/bin"}, log_path=self.root / "logs" / "nats.log"
        )
        self.processes["nats"].spawn()
        check = f"http://{LOOPBACK}:{self.nats_monitor_port}/healthz?js-enabled-only=true"
        assert "/healthz?js-enabled-only=true" in " ".join(nats["healthcheck"]["test"])
        self._poll({"nats": check})

    def _spawn(self, name: str, env: dict[str, str]) -> None:
        self.processes[name] = ManagedProcess(
            name,
            [sys.executable, "-m", f"leaveflow_{name}"],
            env=env,
            log_path=self.root / "logs" / f"{name}.log",
            cwd=Path(env["LEAVEFLOW_DATA_DIR"]) if "LEAVEFLOW_DATA_DIR" in env else self.root,
        )
        self.processes[name].spawn()

    def _wait_ready(self, names: Any) -> None:
        checks = {}
        for name in names:
            test = " ".join(self.compose["services"][name]["healthcheck"]["test"])
            found = re.search(r"http://127\.0\.0\.1:\d+(/\w+)", test)
            assert found, test
            checks[name] = self.url(name) + found.group(1)
        self._poll(checks)

    def _poll(self, checks: dict[str, str]) -> None:
        deadline = time.monotonic() + READY_TIMEOUT
        pending = dict(checks)
        with httpx.Client(timeout=2.0) as client:
            while pending:
                for name, url in list(pending.items()):
                    process = self.processes[name]
                    if not process.running:
                        code = process.returncode
                        raise AssertionError(f"{name} exited ({code}):\n{process.tail()}")
                    try:
                        if client.get(url).status_code == 200:
                            del pending[name]
                    except httpx.HTTPError:
                        pass
                if pending and time.monotonic() > deadline:
                    raise AssertionError(f"not ready: {sorted(pending)}\n{self.log_tails()}")
                time.sleep(0.1)


# --- what people are handed ------------------------------------------------------------------
_URL = re.compile(r"https?://[^\s\"'<>|)\]]+")


def urls_in(text: str) -> list[str]:
    return _URL.findall(text)


def assert_public(urls: list[str], allowed: Mapping[str, str], what: str) -> None:
    """Every URL starts with one of the public addresses, and none is internal."""
    assert urls, f"{what}: no URL found"
    for url in urls:
        assert any(url.startswith(base + "/") or url == base for base in allowed.values()), (
            f"{what}: {url} is not under a public URL {dict(allowed)}"
        )
        host = urlsplit(url).hostname
        assert host not in {*INTERNAL_HOSTS, LOOPBACK}, f"{what}: {url} is internal"


def mail_text(message: EmailMessage) -> str:
    parts = [message.get_body(("plain",)), message.get_body(("html",))]
    return "\n".join(part.get_content() for part in parts if part is not None)


def next_monday(after: date) -> date:
    day = after + timedelta(days=1)
    while day.isoweekday() != 1:
        day += timedelta(days=1)
    return day


# --- the test ----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def mongo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MongoStandin]:
    # Always the stand-in, even where MONGO_URL names a real server: compose's `mongo` is a
    # fresh, empty server of its own, which the stand-in is (and a shared real one is not).
    python = find_python_313()
    if python is None:
        pytest.skip("no Python >= 3.13 for the mongoeco stand-in (compose's mongo here)")
    standin = MongoStandin(tmp_path_factory.mktemp("mongo") / "mongo.log", python=python)
    standin.start()
    yield standin
    standin.stop()


def test_compose_refuses_to_start_without_the_service_secret(tmp_path: Path) -> None:
    env = {k: v or "" for k, v in dotenv_values(DEPLOY / ".env.example").items()}
    assert env["LEAVEFLOW_SERVICE_SECRET"] == "", "no secret may be published in the example"
    with pytest.raises(MissingVariable, match="LEAVEFLOW_SERVICE_SECRET"):
        load_compose(env)
    compose = load_compose(make_up_env_file(tmp_path / ".env"))
    secrets = {
        name: service["environment"].get("LEAVEFLOW_SERVICE_SECRET")
        for name, service in default_services(compose).items()
        if "environment" in service
    }
    shared = {secrets[name] for name in ("requests", "notifications", "web")}
    assert len(shared) == 1, secrets
    assert len(str(next(iter(shared)))) >= 32, secrets
    assert (secrets["balances"], secrets["calendar"]) == (None, None), "only who needs it"
    again = make_up_env_file(tmp_path / "second.env")
    assert again["LEAVEFLOW_SERVICE_SECRET"] != next(iter(shared)), "a fresh one per install"


def test_make_up_fills_only_empty_secrets_and_keeps_the_rest(tmp_path: Path) -> None:
    env_path = tmp_path / ".env"
    first = make_up_env_file(env_path)
    assert oct(env_path.stat().st_mode & 0o777) == "0o600", "secrets: owner only"
    assert len(first["WEB_SESSION_SECRET"]) >= 32
    # A second `make up` changes nothing (a new secret would sign everyone out).
    done = subprocess.run(
        [sys.executable, str(DEPLOY / "init_env.py"), str(env_path)],
        capture_output=True, text=True, timeout=30, check=True,
    )  # fmt: skip
    assert done.stdout == ""
    assert dotenv_values(env_path) == first
    # An operator's own values stay; a secret line they removed comes back, filled.
    text = env_path.read_text().replace(first["LEAVEFLOW_SERVICE_SECRET"], "mine-" + "x" * 40)
    text = "\n".join(line for line in text.splitlines() if "WEB_SESSION_SECRET" not in line)
    env_path.write_text(text.replace("LOG_LEVEL=INFO", "LOG_LEVEL=DEBUG") + "\n")
    subprocess.run([sys.executable, str(DEPLOY / "init_env.py"), str(env_path)], check=True)
    after = dotenv_values(env_path)
    assert after["LEAVEFLOW_SERVICE_SECRET"] == "mine-" + "x" * 40
    assert after["LOG_LEVEL"] == "DEBUG"
    assert after["WEB_SESSION_SECRET"]
    assert after["WEB_SESSION_SECRET"] != first["WEB_SESSION_SECRET"]


def _cluster_routes() -> list[tuple[str, int]]:
    text = (DEPLOY / "nats" / "cluster.conf").read_text()
    block = re.search(r"^cluster \{(.*?)^\}", text, re.MULTILINE | re.DOTALL)
    assert block, "cluster.conf has no cluster block"
    routes = re.findall(r"nats-route://([a-z0-9-]+):(\d+)", block.group(1))
    return [(host, int(port)) for host, port in routes]


def test_the_ha_profile_is_a_3_node_nats_cluster_and_two_replicas_of_everything(
    tmp_path: Path,
) -> None:
    variables = make_up_variables("HA=1")
    assert variables["COMPOSE_PROFILES"] == "ha"
    # Compose prefers the environment to .env: what `make up HA=1` sets wins.
    compose = load_compose({**make_up_env_file(tmp_path / ".env"), **variables})
    services = enabled_services(compose, variables["COMPOSE_PROFILES"].split(","))
    nodes = sorted(name for name in services if name.startswith("nats"))
    assert nodes == ["nats", "nats-2", "nats-3"]

    # Each node runs deploy/nats/cluster.conf under its own name, on its own volume.
    names, stores = set(), set()
    for node in nodes:
        command = services[node]["command"]
        assert command[command.index("-c") + 1] == "/etc/nats/cluster.conf", node
        names.add(command[command.index("--name") + 1])
        store = command[command.index("-sd") + 1]
        (volume,) = [v for v in services[node]["volumes"] if v.endswith(f":{store}")]
        stores.add(volume.split(":")[0])
        assert "./nats:/etc/nats:ro" in services[node]["volumes"]
        assert "js-enabled-only=true" in " ".join(services[node]["healthcheck"]["test"])
    assert names == set(nodes), "JetStream needs a unique server name per node"
    assert len(stores) == 3, "each node keeps its own copy of the streams"
    # The routes: all three nodes on the cluster port each one listens on, so every node
    # reaches the other two (a server skips the route to itself).
    listen = re.search(r"listen: 0\.0\.0\.0:(\d+)", (DEPLOY / "nats" / "cluster.conf").read_text())
    assert listen, "cluster.conf must listen for routes on every interface of the container"
    assert sorted(_cluster_routes()) == [(node, int(listen.group(1))) for node in nodes]

    # Two replicas of every service: the same image, settings and volume; the second answers
    # to the first one's name on the network and publishes no port.
    for name in APPS:
        first, second = services[name], services[f"{name}-2"]
        for key in ("build", "image", "environment", "volumes", "healthcheck", "depends_on"):
            assert second.get(key) == first.get(key), f"{name}-2 differs in {key}"
        assert second["networks"]["default"]["aliases"] == [name]
        assert "ports" not in second
        assert first["ports"]
        env = first["environment"]
        if name != "web":  # the web has no broker
            for node in nodes:  # R3 streams can be created once every node is up
                assert first["depends_on"][node]["condition"] == "service_healthy", name
            assert env["NATS_URL"].split(",") == [f"nats://{node}:4222" for node in nodes]
            assert env["NATS_STREAM_REPLICAS"] == "3"
    assert compose["services"]["web"]["environment"]["WEB_SESSION_SECRET"], (
        "two web replicas must sign sessions alike"
    )


@pytest.mark.e2e
def test_the_cluster_config_forms_a_jetstream_cluster_with_3_replicas(tmp_path: Path) -> None:
    """deploy/nats/cluster.conf itself, three nodes on loopback: the routes it lists join
    them, and a stream at replicas 3 is placed on all three."""
    import asyncio

    import nats

    nodes = ("nats", "nats-2", "nats-3")
    client, monitor, route = ({n: free_port() for n in nodes} for _ in range(3))
    text = (DEPLOY / "nats" / "cluster.conf").read_text()
    for node in nodes:  # the network: each hostname's route port on loopback
        text = text.replace(f"nats-route://{node}:6222", f"nats-route://{LOOPBACK}:{route[node]}")
    assert set(re.findall(r"nats-route://([^:]+):", text)) == {LOOPBACK}, "an unmapped route"
    processes = []
    try:
        for node in nodes:
            config = tmp_path / f"{node}.conf"
            config.write_text(text.replace("0.0.0.0:6222", f"{LOOPBACK}:{route[node]}"))
            process = ManagedProcess(
                node,
                [str(nats_server_binary()), "-c", str(config), "--name", node,
                 "-sd", str(tmp_path / node), "-a", LOOPBACK, "-p", str(client[node]),
                 "-m", str(monitor[node])],
                env={"PATH": "/usr/bin:/bin"},
                log_path=tmp_path / f"{node}.log",
            )  # fmt: skip
            process.spawn()
            processes.append(process)

        def all_healthy() -> bool:
            return all(
                httpx.get(
                    f"http://{LOOPBACK}:{monitor[n]}/healthz?js-enabled-only=true", timeout=2
                ).status_code
                == 200
                for n in nodes
            )

        eventually(all_healthy, timeout=60, what="three healthy JetStream nodes")

        async def replicated() -> list[str]:
            urls = [f"nats://{LOOPBACK}:{client[n]}" for n in nodes]
            nc = await nats.connect(servers=urls, connect_timeout=5)
            try:
                js = nc.jetstream()
                deadline = time.monotonic() + 60
                while True:  # the meta leader is elected a moment after the routes form
                    try:
                        info = await js.add_stream(
                            name="probe", subjects=["probe.>"], num_replicas=3
                        )
                        break
                    except Exception:
                        if time.monotonic() > deadline:
                            raise
                        await asyncio.sleep(0.5)
                cluster = info.cluster
                assert cluster is not None
                return sorted(
                    [cluster.leader or "", *(r.name or "" for r in cluster.replicas or [])]
                )
            finally:
                await nc.close()

        assert asyncio.run(replicated()) == sorted(nodes)
    finally:
        for process in processes:
            process.terminate(10.0)


def test_the_default_and_observability_profiles(tmp_path: Path) -> None:
    env_file = make_up_env_file(tmp_path / ".env")
    assert make_up_variables() == {}, "a plain `make up` sets nothing over deploy/.env"
    plain = load_compose(env_file)
    assert set(enabled_services(plain, [])) == {"nats", "mongo", *APPS}
    assert plain["services"]["nats"]["command"][1] == "/etc/nats/single.conf"
    started = enabled_services(plain, [])
    for name in SERVICES:  # the cluster's other nodes are not there: nothing may wait on them
        depends = plain["services"][name]["depends_on"]
        absent = {n: d.get("required", True) for n, d in depends.items() if n not in started}
        assert absent == {"nats-2": False, "nats-3": False}, name
    variables = make_up_variables("OBSERVABILITY=1")
    assert variables["COMPOSE_PROFILES"] == "observability"
    traced = load_compose({**env_file, **variables})
    assert set(enabled_services(traced, ["observability"])) == {"nats", "mongo", "jaeger", *APPS}
    jaeger = traced["services"]["jaeger"]
    assert jaeger["image"].startswith("jaegertracing/jaeger:2.")
    assert jaeger["ports"] == ["16686:16686"]
    for name in APPS:
        assert plain["services"][name]["environment"]["OTEL_EXPORTER_OTLP_ENDPOINT"] == "", name
        env = traced["services"][name]["environment"]
        assert env["OTEL_EXPORTER_OTLP_ENDPOINT"] == "http://jaeger:4318", name  # OTLP/HTTP
        assert env["OTEL_EXPORTER_OTLP_PROTOCOL"] == "http/protobuf", name
    # Signup and dev login are off by default; the web opens sessions with the service secret.
    requests_env = plain["services"]["requests"]["environment"]
    assert (requests_env["LEAVEFLOW_SIGNUP_OPEN"], requests_env["LEAVEFLOW_DEV_LOGIN"]) == (
        "first",
        "false",
    )
    web_env = plain["services"]["web"]["environment"]
    assert web_env["LEAVEFLOW_DEV_LOGIN"] == "false"
    assert web_env["LEAVEFLOW_SERVICE_SECRET"]


@pytest.mark.e2e
def test_the_compose_environment_serves_the_walkthrough_slack_and_email(
    tmp_path: Path, mongo: MongoStandin
) -> None:
    # The sinks listen on loopback, a private address: allowed as an operator would allow
    # their own relay (deploy/.env.example).
    env_file = {**make_up_env_file(tmp_path / ".env"), "LEAVEFLOW_OUTBOUND_ALLOW": "127.0.0.0/8"}
    defaults = load_compose(env_file)
    public = {
        "web": env_file["WEB_PUBLIC_URL"],
        "notifications": env_file["NOTIFICATIONS_PUBLIC_URL"],
        "calendar": env_file["CALENDAR_PUBLIC_URL"],
    }
    # Trying the walkthrough on compose (README): dev login on, for a while.
    trial = load_compose({**env_file, "LEAVEFLOW_DEV_LOGIN": "true"})
    run = ComposeRun(tmp_path, trial, mongo)
    try:
        with WebhookSink() as sink, SmtpSink() as smtp:
            run.start()
            tenant_id = _walkthrough(run, sink)
            _signup_is_closed_after_the_first_company(run)
            # Back to the defaults: compose recreates what the edit changed.
            assert run.recreate(defaults) == ["requests", "web"]
            _dev_login_is_off(run)
            _slack_email_and_feed(run, env_file, public, tenant_id, sink, smtp)
    except BaseException:
        print(run.log_tails())
        raise
    finally:
        run.stop()


def _walkthrough(run: ComposeRun, sink: WebhookSink) -> str:
    env = {
        "PATH": os.environ["PATH"],
        **{f"{name.upper()}_URL": run.url(name) for name in SERVICES},
        "WEBHOOK_URL": sink.url,
    }
    done = subprocess.run(
        ["bash", str(ROOT / "docs" / "walkthrough.sh")],
        env=env, capture_output=True, text=True, timeout=90,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].endswith("is pending"), lines
    assert lines[1] == '"approved"', lines
    balance = json.loads(lines[2])
    assert (balance["used"], balance["pending"], balance["available"]) == (2.5, 0.0, 22.5)
    (off,) = json.loads(lines[3])
    assert off["employee_name"] == "Ana Lima"
    deliveries = json.loads(lines[4])
    assert deliveries, "the walkthrough's webhook messages are in the delivery log"
    eventually(lambda: len(sink.snapshot()) >= 2, timeout=20, what="two webhook messages")
    return str(deliveries[0]["tenant_id"])


def _signup_is_closed_after_the_first_company(run: ComposeRun) -> None:
    again = httpx.post(
        run.url("requests") + "/v1/tenants",
        json={"name": "Late", "admin_name": "Lu", "admin_email": "lu@late.test"},
        timeout=10,
    )
    assert again.status_code == 404, again.text


def _dev_login_is_off(run: ComposeRun) -> None:
    login = httpx.post(
        run.url("requests") + "/v1/auth/dev-login",
        json={"tenant_id": "any", "email": "ana@acme.test"},
        timeout=10,
    )
    assert login.status_code == 404, login.text
    page = httpx.get(run.url("web") + "/signin", timeout=10)
    assert page.status_code == 200
    assert "/signin/dev" not in page.text


def _slack_email_and_feed(
    run: ComposeRun,
    env_file: Mapping[str, str],
    public: Mapping[str, str],
    tenant_id: str,
    sink: WebhookSink,
    smtp: SmtpSink,
) -> None:
    requests_url, notify = run.url("requests"), run.url("notifications")

    def token_for(email: str) -> dict[str, str]:
        """The operator's way in (they hold the secret `make up` wrote)."""
        r = httpx.post(
            requests_url + "/v1/auth/service-token",
            json={"tenant_id": tenant_id, "email": email, "via": "web"},
            headers={"authorization": f"Service {env_file['LEAVEFLOW_SERVICE_SECRET']}"},
            timeout=10,
        )
        assert r.status_code == 200, r.text
        return {"authorization": f"Bearer {r.json()['token']}"}

    admin = token_for("ada@acme.test")
    with httpx.Client(headers=admin, timeout=10) as http:
        people = http.get(requests_url + "/v1/employees").json()["items"]
        ana = next(p for p in people if p["email"] == "ana@acme.test")
        r = http.patch(f"{requests_url}/v1/employees/{ana['id']}", json={"slack_user_id": "U_ANA"})
        assert r.status_code == 200, r.text
        team_id = "TCOMPOSE"
        r = http.put(
            notify + "/v1/integrations/slack",
            json={"team_id": team_id, "webhook_url": sink.url, "signing_secret": SLACK_SIGNING},
        )
        assert r.status_code == 200, r.text
        r = http.put(
            notify + "/v1/integrations/email",
            json={"smtp_host": LOOPBACK, "smtp_port": smtp.port, "from": "lf@acme.test"},
        )
        assert r.status_code == 200, r.text

        # An iCal feed: its URL is the public calendar address, and it answers there.
        feed = http.post(run.url("calendar") + "/v1/feeds", json={"scope": "tenant"})
        assert feed.status_code == 201, feed.text
        assert_public([feed.json()["url"]], {"calendar": public["calendar"]}, "feed URL")
        ics = httpx.get(run.network.reach(feed.json()["url"]), timeout=10)
        assert ics.status_code == 200
        assert b"BEGIN:VCALENDAR" in ics.content

    # A Slack slash command, signed as Slack signs it: notifications acts as Ana through the
    # requests API with the shared secret.
    def command(text: str, respond: str) -> httpx.Response:
        body = urlencode(
            {
                "team_id": team_id,
                "user_id": "U_ANA",
                "command": "/vacation",
                "text": text,
                "response_url": f"http://{LOOPBACK}:{sink.port}/{respond}",
            }
        )
        ts = str(int(time.time()))
        signature = SignatureVerifier(SLACK_SIGNING).generate_signature(timestamp=ts, body=body)
        assert signature is not None
        headers = {
            "content-type": "application/x-www-form-urlencoded",
            "x-slack-request-timestamp": ts,
            "x-slack-signature": signature,
        }
        return httpx.post(notify + "/slack/commands", content=body, headers=headers, timeout=10)

    def known() -> bool:
        r = command("help", "ignored")
        return r.status_code == 200 and "don't know" not in r.json()["text"]

    eventually(known, timeout=30, what="U_ANA known to notifications")
    start = next_monday(date.today() + timedelta(days=60))
    end = start + timedelta(days=1)
    assert command(f"request {start} {end} vac", "ana").status_code == 200
    replies = eventually(
        lambda: [c for c in sink.snapshot() if c.path == "/ana"], timeout=30, what="Slack reply"
    )
    assert "Requested Vacation" in replies[0].json()["text"], replies[0].json()

    # The approver's email: an Approve link on the public notifications address.
    def approver_mail() -> list[EmailMessage]:
        return [m for m in smtp.snapshot() if m["To"] == "ada@acme.test"]

    (mail,) = eventually(approver_mail, timeout=30, what="the approver's email")
    text = mail_text(mail)
    assert_public(urls_in(text), public, "approver email")
    approve = re.search(r"Approve: (\S+)", text)
    assert approve, text
    # The link opens the dashboard, which asks who you are before it shows anything.
    assert approve.group(1).startswith(public["web"] + "/decide/")
    page = httpx.get(run.network.reach(approve.group(1)), timeout=10)
    assert page.status_code in (302, 303, 307), page.text
    assert "/signin" in page.headers["location"]
    # Signed in as Ada, the dashboard decides through notifications' link API.
    token = approve.group(1).rsplit("/", 1)[1]
    actions = run.network.reach(public["notifications"]) + f"/v1/actions/{token}"
    decided = httpx.post(actions, json={"note": None}, headers=admin, timeout=10)
    assert decided.status_code == 200, decided.text
    with httpx.Client(headers=admin, timeout=10) as http:
        mine = http.get(
            requests_url + "/v1/leave-requests",
            params={"employee_id": ana["id"], "from": str(start), "to": str(end)},
        ).json()["items"]
    assert [(r["start_date"], r["status"]) for r in mine] == [(str(start), "approved")]

    # Ana hears of the decision by email and in Slack: public links only, there too.
    (outcome,) = eventually(
        lambda: [m for m in smtp.snapshot() if m["To"] == "ana@acme.test"],
        timeout=30,
        what="Ana's decision email",
    )
    assert_public(urls_in(mail_text(outcome)), public, "decision email")
    # The walkthrough's approval was the first "Leave approved"; this one is the second.
    eventually(
        lambda: len([c for c in sink.snapshot() if b"Leave approved" in c.body]) == 2,
        timeout=30,
        what="Slack decision message",
    )
    messages = [c for c in sink.snapshot() if c.path == "/hook"]
    assert len(messages) == 4, "two per request: the approvers told, then Ana"
    for call in messages:
        assert_public(urls_in(call.body.decode()), public, f"Slack message {call.body[:80]!r}")


# --- issue 14's done-when on compose ---------------------------------------------------------
INVITE_LINK = re.compile(r"http://localhost:8000/signin\?email=[^\s\"'<>]+")
SIGNIN_LINK = re.compile(r"http://localhost:8000/signin/link\?token=[A-Za-z0-9_\-.~%]+")


@pytest.fixture
def fresh_mongo(tmp_path: Path) -> Iterator[MongoStandin]:
    """A compose install of its own: "first" signup is open only on an empty database, which
    the module's shared stand-in is not once the walkthrough signed up its company."""
    python = find_python_313()
    if python is None:
        pytest.skip("no Python >= 3.13 for the mongoeco stand-in (compose's mongo here)")
    standin = MongoStandin(tmp_path / "mongo.log", python=python)
    standin.start()
    yield standin
    standin.stop()


def _ids_of_the_company(run: ComposeRun, secret: str, admin_email: str) -> list[str]:
    """The company's id and its people's ids, the way only Leaveflow services may ask."""
    service = {"authorization": f"Service {secret}"}
    with httpx.Client(base_url=run.url("requests"), timeout=10) as http:
        found = http.post("/v1/auth/lookup", json={"email": admin_email}, headers=service)
        assert found.status_code == 200, found.text
        (company,) = found.json()["companies"]
        tenant_id = str(company["tenant_id"])
        token = http.post(
            "/v1/auth/service-token",
            json={"tenant_id": tenant_id, "email": admin_email, "via": "web"},
            headers=service,
        )
        assert token.status_code == 200, token.text
        bearer = {"authorization": f"Bearer {token.json()['token']}"}
        people = http.get("/v1/employees", headers=bearer).json()["items"]
    return [tenant_id, *(str(p["id"]) for p in people)]


def _shows_no_id_nor_password(page: Page, ids: list[str], what: str) -> None:
    html, text = page.content(), page.inner_text("body").lower()
    assert page.locator("input[type=password]").count() == 0, f"{what}: a password field"
    assert page.get_by_label(re.compile("password", re.I)).count() == 0, f"{what}: asks one"
    assert "tenant" not in text, f"{what}: says 'tenant'"
    assert "company id" not in text, f"{what}: asks for a company id"
    for identifier in ids:
        assert identifier not in html, f"{what}: id {identifier} in its HTML"
        assert identifier not in page.url, f"{what}: id {identifier} in its URL"


@pytest.mark.e2e
@pytest.mark.timeout(300)
def test_an_invited_person_signs_in_on_compose_without_an_id_or_a_password(
    tmp_path: Path, fresh_mongo: MongoStandin
) -> None:
    """Signup on the web's /signup, an invite from the admin's employees page, the invite and
    the sign-in link through the operator's SMTP (the company has no email integration), and
    the person's magic-link sign-in in Chromium at phone width: no id, no password field, no
    "tenant" on any page or in any mail. Dev login is off, as compose ships it."""
    from playwright.sync_api import expect

    from leaveflow_devstack.testing import chromium

    expect.set_options(timeout=20_000)
    with SmtpSink() as smtp:
        # The operator's mail relay, set in deploy/.env as .env.example describes. Operator
        # settings are trusted: no LEAVEFLOW_OUTBOUND_ALLOW is needed for its loopback address.
        env_file = {
            **make_up_env_file(tmp_path / ".env"),
            "LEAVEFLOW_SMTP_HOST": LOOPBACK,
            "LEAVEFLOW_SMTP_PORT": str(smtp.port),
            "LEAVEFLOW_SMTP_FROM": "leaveflow@compose.test",
            "LEAVEFLOW_SMTP_STARTTLS": "false",
        }
        assert env_file["LEAVEFLOW_OUTBOUND_ALLOW"] == ""
        run = ComposeRun(tmp_path, load_compose(env_file), fresh_mongo)
        notifications_env = run.env_of("notifications")
        assert notifications_env["LEAVEFLOW_SMTP_HOST"] == LOOPBACK
        assert notifications_env["LEAVEFLOW_SMTP_PORT"] == str(smtp.port)
        assert run.env_of("web")["LEAVEFLOW_DEV_LOGIN"] == "false"
        public_web = env_file["WEB_PUBLIC_URL"]
        assert public_web == "http://localhost:8000"
        web = run.network.reach(public_web)
        company, admin = "Harbour Ropes", "ada@harbour.test"
        person = "nora@harbour.test"
        try:
            run.start()
            with chromium() as browser:
                office = browser.new_context(base_url=web, viewport={"width": 1366, "height": 850})
                try:
                    desk = office.new_page()
                    desk.goto("/signin")
                    assert "/signin/dev" not in desk.content()
                    desk.goto("/signup")
                    desk.get_by_label("Company name").fill(company)
                    desk.get_by_label("Your name").fill("Ada Admin")
                    desk.get_by_label("Your work email").fill(admin)
                    desk.get_by_role("button", name="Create company").click()
                    expect(desk).to_have_url(re.compile(r"/admin$"))
                    desk.goto("/admin/employees")
                    form = desk.locator("form[method='post'][action='/admin/employees']")
                    form.get_by_label("Name", exact=True).fill("Nora Novak")
                    form.get_by_label("Email").fill(person)
                    form.get_by_role("button", name="Add employee").click()
                    expect(
                        desk.get_by_role("status").filter(has_text="Nora Novak added.")
                    ).to_be_visible()
                    desk.get_by_role("button", name="Invite Nora Novak").click()
                    expect(
                        desk.get_by_role("status").filter(has_text="Invites sent to 1 person")
                    ).to_be_visible()
                    ids = _ids_of_the_company(run, env_file["LEAVEFLOW_SERVICE_SECRET"], admin)
                    assert len(ids) == 3  # the company, Ada and Nora
                    assert [i for i in ids if i in desk.content()], "not the pages' ids"
                finally:
                    office.close()

                def mails() -> list[EmailMessage]:
                    return [m for m in smtp.snapshot() if m["To"] == person]

                (invite,) = eventually(mails, timeout=60, what="the invite email")
                assert invite["Subject"] == f"{company} invited you to Leaveflow"
                assert invite["From"] == "leaveflow@compose.test"  # the operator's relay
                text = mail_text(invite)
                assert_public(urls_in(text), {"web": public_web}, "invite email")
                assert not [i for i in ids if i in text]
                found = INVITE_LINK.search(text)
                assert found, text

                phone = browser.new_context(viewport={"width": 390, "height": 844})
                try:
                    page = phone.new_page()
                    page.goto(run.network.reach(found.group(0)))
                    expect(page.get_by_label("Your work email")).to_have_value(person)
                    assert "/signin/dev" not in page.content()
                    _shows_no_id_nor_password(page, ids, "invite landing")
                    page.get_by_role("button", name="Continue").click()
                    expect(
                        page.get_by_role("heading", name="How do you want to sign in?")
                    ).to_be_visible()
                    _shows_no_id_nor_password(page, ids, "options")
                    page.get_by_role("button", name="Email me a sign-in link").click()
                    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
                    _shows_no_id_nor_password(page, ids, "check your email")
                    _, mail = eventually(
                        lambda: mails() if len(mails()) == 2 else None,
                        timeout=60,
                        what="the sign-in link",
                    )
                    assert mail["Subject"] == "Your sign-in link for Leaveflow"
                    text = mail_text(mail)
                    assert_public(urls_in(text), {"web": public_web}, "sign-in email")
                    assert not [i for i in ids if i in text]
                    link = SIGNIN_LINK.search(text)
                    assert link, text
                    page.goto(run.network.reach(link.group(0)))
                    expect(
                        page.get_by_role("heading", name="Sign in with your link")
                    ).to_be_visible()
                    _shows_no_id_nor_password(page, ids, "link")
                    page.get_by_role("button", name="Continue").click()
                    expect(page.get_by_role("heading", name="My leave")).to_be_visible()
                    expect(page.locator(".who")).to_have_text(person)
                    _shows_no_id_nor_password(page, ids, "home")
                    page.get_by_role("link", name="Security").click()
                    expect(page.locator("li.session.current")).to_contain_text(
                        "Signed in with an emailed link"
                    )
                    _shows_no_id_nor_password(page, ids, "security")
                finally:
                    phone.close()
        except BaseException:
            print(run.log_tails())
            raise
        finally:
            run.stop()
