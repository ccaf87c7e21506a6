"""Fixtures of the storage contract suite: one store per test, on every adapter.

MongoDB target, in this order (the header and the summary say which one ran):
  a. MONGO_URL: that server, a fresh database per test, dropped at the end;
  b. a Docker engine that answers: testcontainers' MongoDBAtlasLocalContainer (a replica
     set, so transactions work);
  c. the mongoeco wire server, a stand-in (not a real MongoDB) run from its own
     Python >= 3.13 venv under <repo>/.tools/mongoeco-venv, built once;
  d. none of these: the mongo cases are skipped, with the reason.
"""

from __future__ import annotations

import contextlib
import fcntl
import glob
import importlib.util
import os
import shutil
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import pytest

from leaveflow_contracts import new_id
from leaveflow_kit.storage import IndexSpec, Store, open_store

INDEXES = (
    IndexSpec("users", ("email",), unique=True),
    IndexSpec("users", ("team",)),
    IndexSpec("slots", ("tenant", "day"), unique=True),
)

MONGOECO_REQUIREMENT = "mongoeco[wire]==4.11.0"
_HERE = Path(__file__).resolve().parent


def _repo_root() -> Path:
    for parent in _HERE.parents:
        if (parent / "uv.lock").exists() or (parent / ".git").exists():
            return parent
    return _HERE.parents[3]


REPO_ROOT = _repo_root()
MONGOECO_VENV = REPO_ROOT / ".tools" / "mongoeco-venv"


# -- choosing the MongoDB ------------------------------------------------------------------


@dataclass
class MongoPlan:
    kind: str  # "real" | "testcontainers" | "mongoeco" | "unavailable"
    detail: str
    python: str | None = None
    venv_python: Path | None = None


@dataclass
class MongoTarget:
    kind: str
    url: str
    label: str
    started_in: float = 0.0
    databases: list[str] = field(default_factory=list)

    @property
    def standin(self) -> bool:
        return self.kind == "mongoeco"

    def url_for(self, database: str) -> str:
        self.databases.append(database)
        return with_database(self.url, database)


def with_database(url: str, database: str) -> str:
    """`url` pointing at `database`; credentials keep authenticating where they did."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query)
    if "@" in parts.netloc and not any(k.lower() == "authsource" for k, _ in query):
        query.append(("authSource", parts.path.lstrip("/") or "admin"))
    return urlunsplit((parts.scheme, parts.netloc, f"/{database}", urlencode(query), ""))


def _masked(url: str) -> str:
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    netloc = "***@" + parts.netloc.rsplit("@", 1)[1]
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def _docker_answers() -> bool:
    try:
        import docker

        docker.from_env(timeout=2).ping()
    except Exception:
        return False
    return True


def _python_313_candidates() -> Iterator[tuple[list[str], dict[str, str]]]:
    """Commands that print the path of a Python >= 3.13 (each is checked after)."""
    probe = ["-c", "import sys; print(sys.executable)"]
    env = dict(os.environ)
    found = shutil.which("python3.13")
    if found:
        yield [found, *probe], env
        # A pyenv shim answers only when that version is selected.
        yield [found, *probe], {**env, "PYENV_VERSION": "3.13.0"}
    pyenv_root = os.environ.get("PYENV_ROOT", str(Path.home() / ".pyenv"))
    for path in sorted(glob.glob(f"{pyenv_root}/versions/3.1[3-9]*/bin/python3"), reverse=True):
        yield [path, *probe], env
    uv = _uv_command()
    if uv:
        yield [*uv, "python", "find", ">=3.13"], {**env, "UV_PYTHON_DOWNLOADS": "never"}


def _find_python_313() -> str | None:
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


def _uv_command() -> list[str] | None:
    found = shutil.which("uv")
    if found:
        return [found]
    local = REPO_ROOT / ".tools" / "bin" / "uv"
    if local.exists():
        return [str(local)]
    if importlib.util.find_spec("uv") is not None:
        return [sys.executable, "-m", "uv"]
    return None


_PLAN: MongoPlan | None = None
_TARGET: MongoTarget | None = None
_TARGET_ERROR: str | None = None


def mongo_plan() -> MongoPlan:
    global _PLAN
    if _PLAN is None:
        url = os.environ.get("MONGO_URL")
        if url:
            _PLAN = MongoPlan("real", f"real MongoDB at {_masked(url)} (MONGO_URL)")
        elif _docker_answers():
            _PLAN = MongoPlan("testcontainers", "testcontainers MongoDBAtlasLocalContainer")
        else:
            python = _find_python_313()
            if python:
                _PLAN = MongoPlan(
                    "mongoeco",
                    "mongoeco stand-in (not a real MongoDB; no MONGO_URL, no Docker engine)",
                    python,
                )
            else:
                _PLAN = MongoPlan(
                    "unavailable",
                    "no MONGO_URL, no Docker engine and no Python >= 3.13 for the mongoeco "
                    "stand-in: mongo cases are skipped",
                )
    return _PLAN


# -- the mongoeco stand-in ---------------------------------------------------------------


def _run(argv: list[str], **kwargs: Any) -> None:
    done = subprocess.run(argv, capture_output=True, text=True, timeout=600, **kwargs)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed:\n{done.stdout}\n{done.stderr}")


def ensure_mongoeco_venv(python: str) -> Path:
    """Create (once; concurrent runs wait on a file lock) the stand-in's own venv."""
    MONGOECO_VENV.parent.mkdir(parents=True, exist_ok=True)
    marker = MONGOECO_VENV / ".leaveflow-ready"
    venv_python = MONGOECO_VENV / "bin" / "python"
    with open(MONGOECO_VENV.parent / "mongoeco-venv.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if marker.exists() and marker.read_text() == MONGOECO_REQUIREMENT:
            return venv_python
        shutil.rmtree(MONGOECO_VENV, ignore_errors=True)
        uv = _uv_command()
        env = {**os.environ, "UV_PYTHON_DOWNLOADS": "never"}
        if uv:
            _run([*uv, "venv", "--python", python, str(MONGOECO_VENV)], env=env)
            _run(
                [*uv, "pip", "install", "--python", str(venv_python), MONGOECO_REQUIREMENT],
                env=env,
            )
        else:
            _run([python, "-m", "venv", str(MONGOECO_VENV)])
            _run([str(venv_python), "-m", "pip", "install", "-q", MONGOECO_REQUIREMENT])
        marker.write_text(MONGOECO_REQUIREMENT)
    return venv_python


def _wait_for_ping(url: str, timeout: float) -> None:
    from pymongo import MongoClient

    client: MongoClient[dict[str, Any]] = MongoClient(url, serverSelectionTimeoutMS=timeout * 1000)
    try:
        client.admin.command("ping")
    finally:
        client.close()


@contextlib.contextmanager
def _mongoeco_server(venv_python: Path) -> Iterator[str]:
    log_path = MONGOECO_VENV / "server.log"
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            [str(venv_python), str(_HERE / "mongoeco_launcher.py"), "0"],
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
        )
        pool = ThreadPoolExecutor(1)
        try:
            assert process.stdout is not None
            # The launcher prints its URI once it listens (port 0: no free-port race).
            line = pool.submit(process.stdout.readline).result(timeout=120)
            if not line.startswith("mongodb://"):
                raise RuntimeError(f"mongoeco did not start: {log_path.read_text()[-2000:]}")
            url = line.strip()
            _wait_for_ping(url, 30)
            yield url
        finally:
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            pool.shutdown(wait=False)


@contextlib.contextmanager
def _start_target(plan: MongoPlan) -> Iterator[MongoTarget]:
    started = time.monotonic()
    if plan.kind == "real":
        url = os.environ["MONGO_URL"]
        _wait_for_ping(url, 10)
        target = MongoTarget("real", url, f"real MongoDB at {_masked(url)} (MONGO_URL)")
        target.started_in = time.monotonic() - started
        try:
            yield target
        finally:
            _drop_databases(target)
    elif plan.kind == "testcontainers":
        from testcontainers.community.mongodb import MongoDBAtlasLocalContainer

        with MongoDBAtlasLocalContainer() as container:
            url = container.get_connection_url()
            target = MongoTarget(
                "testcontainers", url, f"testcontainers MongoDBAtlasLocalContainer at {url}"
            )
            target.started_in = time.monotonic() - started
            yield target
    else:
        assert plan.venv_python is not None
        with _mongoeco_server(plan.venv_python) as url:
            target = MongoTarget(
                "mongoeco", url, f"mongoeco stand-in (not a real MongoDB) at {url}"
            )
            target.started_in = time.monotonic() - started
            yield target


def _drop_databases(target: MongoTarget) -> None:
    from pymongo import MongoClient

    client: MongoClient[dict[str, Any]] = MongoClient(target.url)
    try:
        for name in target.databases:
            client.drop_database(name)
    finally:
        client.close()


# -- pytest hooks ----------------------------------------------------------------------


def pytest_report_header(config: pytest.Config) -> list[str]:
    return [f"mongodb (planned): {mongo_plan().detail}"]


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if _TARGET is not None:
        terminalreporter.write_line(
            f"mongodb: {_TARGET.label}; started in {_TARGET.started_in:.1f} s; "
            f"{len(_TARGET.databases)} test databases"
        )
    elif _TARGET_ERROR is not None:
        terminalreporter.write_line(f"mongodb: not used: {_TARGET_ERROR}")


# -- fixtures ----------------------------------------------------------------------------


@pytest.fixture(scope="session")
def mongo_target() -> Iterator[MongoTarget]:
    global _TARGET, _TARGET_ERROR
    plan = mongo_plan()
    if plan.kind == "mongoeco" and plan.venv_python is None:
        assert plan.python is not None
        try:
            plan.venv_python = ensure_mongoeco_venv(plan.python)
        except (RuntimeError, OSError, subprocess.TimeoutExpired) as exc:
            plan.kind, plan.detail = "unavailable", f"building the mongoeco stand-in failed: {exc}"
    if plan.kind == "unavailable":
        _TARGET_ERROR = plan.detail
        pytest.skip(plan.detail)
    with _start_target(plan) as target:
        _TARGET = target
        yield target


@pytest.fixture(params=["memory", "sqlite", pytest.param("mongo", marks=pytest.mark.mongo)])
def backend(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


@pytest.fixture
def store_url(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    if backend == "memory":
        return "memory://"
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'data' / 'store.db'}"
    target: MongoTarget = request.getfixturevalue("mongo_target")
    return target.url_for(f"lf_test_{new_id()[-16:]}")


StoreFactory = Callable[[str], Awaitable[Store]]


@pytest.fixture
async def open_test_store() -> AsyncIterator[StoreFactory]:
    """Opens and starts stores with the suite's indexes; closes them all afterwards."""
    opened: list[Store] = []

    async def open_(url: str) -> Store:
        store = open_store(url, INDEXES)
        await store.start()
        opened.append(store)
        return store

    yield open_
    for store in reversed(opened):
        await store.close()


@pytest.fixture
async def store(store_url: str, open_test_store: StoreFactory) -> Store:
    return await open_test_store(store_url)


@pytest.fixture
def standin_xfail(backend: str, request: pytest.FixtureRequest) -> Callable[[str], None]:
    """Marks the current case xfail(strict) when it runs on the mongoeco stand-in only."""

    def apply(reason: str) -> None:
        if backend == "mongo" and _TARGET is not None and _TARGET.standin:
            request.applymarker(
                pytest.mark.xfail(strict=True, reason=f"mongoeco stand-in: {reason}")
            )

    return apply
