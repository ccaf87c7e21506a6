"""The stack's store choice: every service on its own MongoDB database, real or the stand-in,
and what `make run-mongo` says about it."""

from __future__ import annotations

import socket
import sys
from pathlib import Path

import pytest
from rich.console import Console

from leaveflow_devstack.mongo import mongo_plan, wait_for_ping
from leaveflow_devstack.ports import SERVICES
from leaveflow_devstack.run import build_stack, print_ready
from leaveflow_devstack.stack import Stack, StackError

FAKE_SERVICE = Path(__file__).with_name("fake_service.py")


def test_each_service_gets_its_own_database_on_the_given_url_with_its_options(
    tmp_path: Path,
) -> None:
    stack = Stack(
        tmp_path,
        store="mongo",
        mongo_url="mongodb://lf:s3cret@db1:27017,db2:27017/?replicaSet=rs0&w=majority",
        env={"CALENDAR_DATABASE_URL": "sqlite:///elsewhere.db"},
    )
    env = stack.service_env()
    assert stack.mongo is None  # a real server: the stack starts nothing
    assert env["REQUESTS_DATABASE_URL"] == (
        "mongodb://lf:s3cret@db1:27017,db2:27017/leaveflow_requests"
        "?replicaSet=rs0&w=majority&authSource=admin"
    )
    assert env["BALANCES_DATABASE_URL"].startswith(
        "mongodb://lf:s3cret@db1:27017,db2:27017/leaveflow_balances?"
    )
    assert env["CALENDAR_DATABASE_URL"] == "sqlite:///elsewhere.db", "env still wins"
    assert len({stack.database_urls[name] for name in SERVICES}) == len(SERVICES)
    assert "s3cret" not in stack.store_label
    assert stack.store_label.startswith("real MongoDB at mongodb://***@db1:27017")


def test_mongo_url_comes_from_the_environment_and_prefixes_name_the_databases(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MONGO_URL", "mongodb://127.0.0.1:27018/?replicaSet=rs0")
    stack = Stack(tmp_path, store="mongo", database_prefix="lf_e2e_1")
    assert stack.mongo is None
    assert stack.service_env()["NOTIFICATIONS_DATABASE_URL"] == (
        "mongodb://127.0.0.1:27018/lf_e2e_1_notifications?replicaSet=rs0"
    )


def test_without_a_url_each_service_gets_a_standin_of_its_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MONGO_URL", raising=False)
    stack = Stack(tmp_path, store="mongo", mongo_port=27990)
    assert stack.mongo is not None
    assert stack.mongo.ports == {
        "requests": 27990,
        "balances": 27991,
        "notifications": 27992,
        "calendar": 27993,
    }
    assert stack.mongo.log_paths["balances"] == stack.log_dir / "mongo-balances.log"
    env = stack.service_env()
    assert env["REQUESTS_DATABASE_URL"] == (
        "mongodb://127.0.0.1:27990/leaveflow_requests?directConnection=true"
    )
    assert env["CALENDAR_DATABASE_URL"] == (
        "mongodb://127.0.0.1:27993/leaveflow_calendar?directConnection=true"
    )
    assert stack.mongo_url is None
    assert "not a real MongoDB" in stack.store_label
    assert "in memory" in stack.store_label
    free = Stack(tmp_path / "free", store="mongo")
    assert free.mongo is not None
    assert len(set(free.mongo.ports.values())) == len(SERVICES)


def test_sqlite_stays_the_default_and_unknown_stores_are_refused(tmp_path: Path) -> None:
    stack = Stack(tmp_path)
    assert stack.store == "sqlite"
    assert stack.mongo is None
    assert stack.mongo_url is None
    assert stack.service_env()["BALANCES_DATABASE_URL"] == (
        f"sqlite:///{tmp_path.absolute()}/balances.db"
    )
    with pytest.raises(ValueError, match="unknown store"):
        Stack(tmp_path, store="postgres")


def test_run_mongo_on_the_standin_says_so_and_keeps_its_data_apart(tmp_path: Path) -> None:
    stack = build_stack({"WEB_PORT": "9100"}, store="mongo", data_dir=tmp_path)
    assert stack.mongo is not None
    assert stack.mongo.ports["requests"] == 27017
    assert stack.data_dir == (tmp_path / "mongo-standin").absolute()
    console = Console(record=True, width=200)
    print_ready(console, stack, 1.0)
    text = console.export_text()
    assert "mongodb://127.0.0.1:27017/leaveflow_requests?directConnection=true" in text
    assert "mongodb://127.0.0.1:27020/leaveflow_calendar?directConnection=true" in text
    assert "STAND-IN: not a real MongoDB, data in memory only" in text
    assert "stand-in (one per service, 127.0.0.1:27017-27020) is NOT a real MongoDB" in text
    assert "keeps its data in memory" in text

    moved = build_stack({"MONGO_PORT": "27555"}, store="mongo", data_dir=tmp_path)
    assert moved.mongo is not None
    assert moved.mongo.ports["requests"] == 27555


def test_run_mongo_on_mongo_url_names_the_server_and_no_standin(tmp_path: Path) -> None:
    environ = {"MONGO_URL": "mongodb://ops:pw@mongo.internal:27017/?replicaSet=rs0"}
    stack = build_stack(environ, store="mongo", data_dir=tmp_path)
    assert stack.mongo is None
    assert stack.data_dir == (tmp_path / "mongo").absolute()
    console = Console(record=True, width=200)
    print_ready(console, stack, 1.0)
    text = console.export_text()
    assert "real MongoDB at mongodb://***@mongo.internal:27017/?replicaSet=rs0" in text
    assert "stand-in" not in text.lower()
    assert "pw@" not in text


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.mark.e2e
@pytest.mark.mongo
@pytest.mark.timeout(120)
def test_the_stack_runs_the_standin_first_and_stops_it_last(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MONGO_URL", raising=False)
    plan = mongo_plan(docker=False)
    if plan.kind != "mongoeco":
        pytest.skip(f"no mongoeco stand-in here: {plan.detail}")
    stack = Stack(
        tmp_path,
        ports=Stack.free_ports(),
        store="mongo",
        ready_timeout=60.0,
        stop_grace=2.0,
        service_command=lambda name: [sys.executable, str(FAKE_SERVICE), name],
    )
    assert stack.mongo is not None
    standins = stack.mongo.by_service.values()
    try:
        stack.start()
        assert stack.mongo.running
        for url in stack.service_env().values():
            if url.startswith("mongodb://"):
                wait_for_ping(url, 10)
        # A fault test's move: kill them and bring them back where the services expect them.
        ports = stack.mongo.ports
        stack.mongo.kill()
        assert not any(standin.running for standin in standins)
        stack.mongo.start()
        assert stack.mongo.ports == ports
        for url in stack.mongo.urls.values():
            wait_for_ping(url, 10)
    finally:
        stack.stop()
    assert not any(standin.running for standin in standins)


def test_a_mongo_url_that_does_not_answer_fails_the_start_with_its_reason(
    tmp_path: Path,
) -> None:
    dead = f"mongodb://127.0.0.1:{_free_port()}/?directConnection=true"
    stack = Stack(
        tmp_path,
        ports=Stack.free_ports(),
        store="mongo",
        mongo_url=dead,
        ready_timeout=2.0,
        service_command=lambda name: [sys.executable, str(FAKE_SERVICE), name],
    )
    with pytest.raises(StackError, match=r"MongoDB \(real MongoDB at mongodb://127\.0\.0\.1"):
        stack.start()
    assert stack.pids == {}
