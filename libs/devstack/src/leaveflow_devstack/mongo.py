"""Which MongoDB the stack and the tests use, and the mongoeco stand-in when there is none.

In this order (``mongo_plan()`` says which, and why):
  a. ``MONGO_URL``: that server (a replica set, so transactions work);
  b. a Docker engine that answers: testcontainers' MongoDBAtlasLocalContainer (the storage
     tests only; the stack never starts containers);
  c. the mongoeco wire server, a stand-in (not a real MongoDB) run from its own
     Python >= 3.13 venv under ``<repo>/.tools/mongoeco-venv``, built once;
  d. none of these: "unavailable", with the reason.

``MongoStandin`` runs the stand-in as a supervised child on a fixed port, so a fault test can
kill it and start it again where the services expect it.
"""

from __future__ import annotations

import fcntl
import glob
import importlib.util
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from .ports import ensure_free, free_port
from .process import ManagedProcess

MONGOECO_REQUIREMENT = "mongoeco[wire]==4.11.0"
LAUNCHER = Path(__file__).resolve().parent / "mongoeco_launcher.py"
STANDIN_LABEL = "mongoeco stand-in (not a real MongoDB)"


def repo_root() -> Path:
    here = Path(__file__).resolve().parent
    for parent in here.parents:
        if (parent / "uv.lock").exists() or (parent / ".git").exists():
            return parent
    return Path.cwd()


def mongoeco_venv() -> Path:
    return repo_root() / ".tools" / "mongoeco-venv"


def with_database(url: str, database: str) -> str:
    """`url` pointing at `database`; credentials keep authenticating where they did."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query)
    if "@" in parts.netloc and not any(k.lower() == "authsource" for k, _ in query):
        query.append(("authSource", parts.path.lstrip("/") or "admin"))
    return urlunsplit((parts.scheme, parts.netloc, f"/{database}", urlencode(query), ""))


def masked(url: str) -> str:
    """`url` without its credentials, for logs and banners."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    netloc = "***@" + parts.netloc.rsplit("@", 1)[1]
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


@dataclass
class MongoPlan:
    kind: str  # "real" | "testcontainers" | "mongoeco" | "unavailable"
    detail: str
    python: str | None = None


def _docker_answers() -> bool:
    try:
        import docker

        docker.from_env(timeout=2).ping()
    except Exception:
        return False
    return True


def uv_command() -> list[str] | None:
    found = shutil.which("uv")
    if found:
        return [found]
    local = repo_root() / ".tools" / "bin" / "uv"
    if local.exists():
        return [str(local)]
    if importlib.util.find_spec("uv") is not None:
        return [sys.executable, "-m", "uv"]
    return None


def _python_313_candidates() -> list[tuple[list[str], dict[str, str]]]:
    """Commands that print the path of a Python >= 3.13 (each is checked after)."""
    probe = ["-c", "import sys; print(sys.executable)"]
    env = dict(os.environ)
    candidates: list[tuple[list[str], dict[str, str]]] = []
    found = shutil.which("python3.13")
    if found:
        candidates.append(([found, *probe], env))
        # A pyenv shim answers only when that version is selected.
        candidates.append(([found, *probe], {**env, "PYENV_VERSION": "3.13.0"}))
    pyenv_root = os.environ.get("PYENV_ROOT", str(Path.home() / ".pyenv"))
    for path in sorted(glob.glob(f"{pyenv_root}/versions/3.1[3-9]*/bin/python3"), reverse=True):
        candidates.append(([path, *probe], env))
    uv = uv_command()
    if uv:
        candidates.append(
            ([*uv, "python", "find", ">=3.13"], {**env, "UV_PYTHON_DOWNLOADS": "never"})
        )
    return candidates


def find_python_313() -> str | None:
    check = "import sys; raise SystemExit(sys.version_info < (3, 13))"
    for argv, env in _python_313_candidates():
        try:
            done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=30)
            lines = done.stdout.strip().splitlines()
            if done.returncode != 0 or not lines:
                continue
            path = lines[-1].strip()
            if subprocess.run([path, "-c", check], capture_output=True, timeout=30).returncode:
                continue
        except (OSError, subprocess.TimeoutExpired):
            continue
        return path
    return None


def mongo_plan(*, docker: bool = True) -> MongoPlan:
    """Which MongoDB to use here; ``docker=False`` leaves testcontainers out (the stack)."""
    url = os.environ.get("MONGO_URL")
    if url:
        return MongoPlan("real", f"real MongoDB at {masked(url)} (MONGO_URL)")
    if docker and _docker_answers():
        return MongoPlan("testcontainers", "testcontainers MongoDBAtlasLocalContainer")
    python = find_python_313()
    if python:
        return MongoPlan(
            "mongoeco",
            f"{STANDIN_LABEL}; no MONGO_URL{', no Docker engine' if docker else ''}",
            python,
        )
    return MongoPlan(
        "unavailable",
        "no MONGO_URL and no Python >= 3.13 for the mongoeco stand-in"
        + (" (and no Docker engine)" if docker else ""),
    )


def _run(argv: list[str], **kwargs: Any) -> None:
    done = subprocess.run(argv, capture_output=True, text=True, timeout=600, **kwargs)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed:\n{done.stdout}\n{done.stderr}")


def ensure_mongoeco_venv(python: str) -> Path:
    """Create (once; concurrent runs wait on a file lock) the stand-in's own venv."""
    venv = mongoeco_venv()
    venv.parent.mkdir(parents=True, exist_ok=True)
    marker = venv / ".leaveflow-ready"
    venv_python = venv / "bin" / "python"
    with open(venv.parent / "mongoeco-venv.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if marker.exists() and marker.read_text() == MONGOECO_REQUIREMENT:
            return venv_python
        shutil.rmtree(venv, ignore_errors=True)
        uv = uv_command()
        env = {**os.environ, "UV_PYTHON_DOWNLOADS": "never"}
        if uv:
            _run([*uv, "venv", "--python", python, str(venv)], env=env)
            _run(
                [*uv, "pip", "install", "--python", str(venv_python), MONGOECO_REQUIREMENT], env=env
            )
        else:
            _run([python, "-m", "venv", str(venv)])
            _run([str(venv_python), "-m", "pip", "install", "-q", MONGOECO_REQUIREMENT])
        marker.write_text(MONGOECO_REQUIREMENT)
    return venv_python


def wait_for_ping(url: str, timeout: float) -> None:
    from pymongo import MongoClient

    client: MongoClient[dict[str, Any]] = MongoClient(url, serverSelectionTimeoutMS=timeout * 1000)
    try:
        client.admin.command("ping")
    finally:
        client.close()


class MongoStandin:
    """The mongoeco wire server as a supervised child on one fixed port (restartable).

    The stand-in keeps its data in memory: a restart loses what it held, which is what a
    fault test of "the database went away" wants from it, not what a real replica set does.

    It also validates transactions server-wide: any two that overlap in time conflict at
    commit, even in different databases (retried by the store, but slow under load). So a
    stack gives each service a stand-in of its own, as each would own its database.
    """

    host = "127.0.0.1"

    def __init__(self, log_path: Path, *, port: int | None = None, python: str | None = None):
        self.port = port or free_port(self.host)
        self.log_path = log_path
        self._python = python
        self._process: ManagedProcess | None = None

    @property
    def url(self) -> str:
        """Not a replica set: ``directConnection`` skips the discovery that would time out."""
        return f"mongodb://{self.host}:{self.port}/?directConnection=true"

    def database_url(self, database: str) -> str:
        return f"mongodb://{self.host}:{self.port}/{database}?directConnection=true"

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.running

    def start(self, timeout: float = 60.0) -> str:
        self.spawn()
        return self.wait_ready(timeout)

    def spawn(self) -> None:
        """Start the process without waiting for it (a stack starts several at once)."""
        if self._process is None:
            python = self._python or find_python_313()
            if python is None:
                raise RuntimeError(mongo_plan(docker=False).detail)
            venv_python = ensure_mongoeco_venv(python)
            self._process = ManagedProcess(
                "mongo",
                [str(venv_python), str(LAUNCHER), str(self.port)],
                env=dict(os.environ),
                log_path=self.log_path,
            )
        ensure_free("mongo", self.port, self.host)
        self._process.spawn()

    def wait_ready(self, timeout: float = 60.0) -> str:
        """Wait until the spawned stand-in answers a ping; stop it and fail if it does not."""
        try:
            wait_for_ping(self.url, timeout)
        except Exception as exc:
            self.stop()
            tail = self._process.tail() if self._process else ""
            raise RuntimeError(
                f"the mongoeco stand-in did not answer on {self.url}: {exc}\n{tail}"
            ) from exc
        return self.url

    def kill(self) -> None:
        if self._process is not None and self._process.running:
            self._process.force_kill()
            self._process.terminate(0)

    def stop(self, grace: float = 10.0) -> None:
        if self._process is not None:
            self._process.terminate(grace)

    def __enter__(self) -> MongoStandin:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
