"""The bench's pure parts: the stream watcher's parsing, the targets, the company's plan."""

from __future__ import annotations

import asyncio
import json
import os
import time
from datetime import date, timedelta

import pytest

from leaveflow_devstack.bench import cpu_figures, pipeline_figures
from leaveflow_devstack.bench_broker import BrokerResult
from leaveflow_devstack.bench_company import (
    IMPORT_ROWS_PER_FILE,
    csv_files,
    department_sizes,
    leave_month,
)
from leaveflow_devstack.bench_pipeline import (
    OpenLoopResult,
    PipelineFigures,
    PipelineResult,
    cpu_per_item,
)
from leaveflow_devstack.bench_report import Figure, at_least, at_most
from leaveflow_devstack.bench_resources import cpu_seconds, rss_bytes
from leaveflow_devstack.bench_watch import Arrivals, request_id_of


def test_request_id_is_read_from_the_envelope_data_only() -> None:
    envelope = {"type": "LeavePending", "data": {"request_id": "r1", "employee_id": "e1"}}
    assert request_id_of(json.dumps(envelope).encode()) == "r1"
    assert request_id_of(b"not json") is None
    assert request_id_of(json.dumps({"data": {"id": "x"}}).encode()) is None
    assert request_id_of(json.dumps({"data": {"request_id": 7}}).encode()) is None


def test_arrivals_keep_the_first_time_and_wake_the_waiter() -> None:
    async def scenario() -> tuple[bool, bool, float]:
        arrivals = Arrivals()
        arrivals.record("a", 1.0)
        arrivals.record("a", 2.0)  # a redelivery must not move the first arrival
        late = asyncio.get_running_loop().call_later(0.05, arrivals.record, "b", 3.0)
        done = await arrivals.wait_for({"a", "b"}, time.monotonic() + 5)
        late.cancel()
        missing = await arrivals.wait_for({"c"}, time.monotonic() + 0.05)
        return done, missing, arrivals.at["a"]

    done, missing, first = asyncio.run(scenario())
    assert (done, missing, first) == (True, False, 1.0)


@pytest.mark.parametrize(
    ("figure", "verdict"),
    [
        (Figure("rate", 1200, "/s", at_least(1000)), "met"),
        (Figure("rate", 999, "/s", at_least(1000)), "MISSED"),
        (Figure("p99", 100.0, "ms", at_most(100)), "met"),
        (Figure("p99", 100.5, "ms", at_most(100)), "MISSED"),
        (Figure("baseline", 5.0, "/s"), ""),
    ],
)
def test_each_figure_is_judged_against_its_target(figure: Figure, verdict: str) -> None:
    assert figure.verdict == verdict


def test_the_pipeline_rows_carry_the_issue_targets() -> None:
    closed = PipelineResult(submitted=1000, submit_seconds=0.5, requests_seconds=2.0, seen=999)
    closed.latencies = sorted(i / 1000 for i in range(999))
    figures = PipelineFigures(closed, 32, [OpenLoopResult(200, 1000, 0, [0.05] * 1000, 199.0)])
    rows = {f.measure: f for f in pipeline_figures(BrokerResult(10_000, 1.0, 0.5), figures)}
    assert rows["(b) pipeline, submits/s end to end"].value == pytest.approx(500)
    assert rows["(b) ratio pipeline / raw JetStream"].value == pytest.approx(0.05)
    assert rows["(b) ratio pipeline / raw JetStream"].verdict == "met"
    assert rows["(b) errors"].value == 1  # accepted but never heard pending
    assert rows["(b) errors"].shown() == "1"
    assert rows["(b) errors"].verdict == "MISSED"
    assert rows["(b) HTTP submit alone"].value == pytest.approx(2000)
    p99 = rows["(f) open loop 200/s: submit -> pending p99"]
    assert p99.value == pytest.approx(50.0)
    assert p99.verdict == "met"


def test_cpu_per_submit_gives_each_process_the_stack_and_the_ceiling(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    per_item = cpu_per_item(
        {"requests": 10.0, "balances": 3.0, "bench": 1.0},
        {"requests": 13.0, "balances": 4.0, "bench": 2.0, "late": 9.0},
        1000,
    )
    assert per_item == pytest.approx({"requests": 0.003, "balances": 0.001, "bench": 0.001})
    rows = {f.measure: f for f in cpu_figures(per_item)}
    assert rows["(b) CPU per submit, requests"].shown() == "3.00 ms"
    assert rows["(b) CPU per submit, the stack"].value == pytest.approx(4.0)  # bench left out
    assert rows["(b) ceiling set by CPU"].value == pytest.approx(2 / 0.005)
    assert cpu_per_item({"requests": 1.0}, {"requests": 2.0}, 0) == {}
    assert cpu_figures({}) == []


def test_a_large_company_has_the_500_and_5000_person_departments() -> None:
    assert department_sizes(50_000) == (500, 5000)
    assert department_sizes(2_000) == (200, 900)
    (only,) = csv_files(2_000, "run")
    lines = only.decode().splitlines()
    assert lines[0] == "name,email,location,department,role,start_date"
    departments = [line.split(",")[3] for line in lines[1:]]
    assert (departments.count("Team"), departments.count("Big")) == (200, 900)
    assert len({line.split(",")[1] for line in lines[1:]}) == 2_000  # unique emails


def test_a_50000_person_import_is_split_into_files_the_api_takes() -> None:
    files = csv_files(50_000, "abcdef")
    rows = [f.decode().splitlines() for f in files]
    assert len(files) == 5
    assert all(r[0].startswith("name,email,") for r in rows)  # each has its header
    assert all(len(r) - 1 <= IMPORT_ROWS_PER_FILE for r in rows)
    assert sum(len(r) - 1 for r in rows) == 50_000
    assert all(len(f) < 5_000_000 for f in files)  # the import's body limit
    people = [line.split(",") for r in rows for line in r[1:]]
    assert len({p[1] for p in people}) == 50_000
    assert [p[3] for p in people].count("Big") == 5_000


def test_the_leave_month_is_next_months_mondays() -> None:
    today = date.today()
    mondays = leave_month(today)
    assert len(mondays) >= 4
    assert all(d.isoweekday() == 1 and d.month == mondays[0].month for d in mondays)
    assert mondays[0] > today
    assert mondays[0] - today < timedelta(days=70)


def test_resources_are_read_from_proc() -> None:
    assert rss_bytes(os.getpid()) > 1_000_000
    before = cpu_seconds(os.getpid())
    sum(i * i for i in range(300_000))
    assert cpu_seconds(os.getpid()) >= before
    assert rss_bytes(2**22 + 7) == 0  # no such process
