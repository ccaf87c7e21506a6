"""Bench stages (d) and (e): the balances service's year end and balance query.

(d) Year end for N employees x 3 leave types on the same SQLite adapter the embedded stack
uses (a private file). It lives beside the service (`services/balances/bench/year_end.py`,
which seeds through the service's own ports and runs its year-end job) and runs here as a
process: devstack imports no service's code. Its progress feeds the bar shown here.
Target (issue 19): 100,000 x 3 within 10 s.

(e) `GET /v1/balances/{employee}` latency over HTTP on the running stack, for an employee
with 5 leave years of history (monthly accrual, carry-over with expiry, requests approved,
denied and cancelled, adjustments, each past year closed). Target (issue 19): p99 within 3 ms.
"""

from __future__ import annotations

import asyncio
import gc
import json
import sys
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import httpx
from rich.progress import Progress

from .testing import Tenant, eventually, sign_up

YEAR_END_BENCH = Path("services") / "balances" / "bench" / "year_end.py"


@dataclass
class YearEndResult:
    employees: int
    carried: int
    seconds: float
    seed_seconds: float


@dataclass
class QueryResult:
    history_entries: int = 0
    latencies: list[float] = field(default_factory=list)  # seconds, sorted
    setup_seconds: float = 0.0
    quiet: bool = True  # whether the stack's consumers had caught up before timing


def _year_end_script() -> Path:
    """The balances year-end bench in the source tree this devstack runs from."""
    for parent in Path(__file__).resolve().parents:
        if (parent / YEAR_END_BENCH).is_file():
            return parent / YEAR_END_BENCH
    raise RuntimeError(f"{YEAR_END_BENCH} not found: the year-end bench needs the source tree")


async def measure_year_end(employees: int, progress: Progress) -> YearEndResult:
    """Run the balances year-end bench as a process; its JSON lines drive the bar (any other
    line, such as the service's log, is shown as it comes)."""
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        str(_year_end_script()),
        "--employees",
        str(employees),
        stdout=asyncio.subprocess.PIPE,
    )
    assert child.stdout is not None
    task = None
    result: dict[str, Any] = {}
    async for raw in child.stdout:
        line = raw.decode().rstrip("\n")
        try:
            message = json.loads(line)
        except ValueError:
            message = None
        if not isinstance(message, dict):
            progress.console.print(line, markup=False, highlight=False, soft_wrap=True)
        elif "total" in message:
            task = progress.add_task(f"(d) year end {message['year']}", total=message["total"])
        elif "processed" in message and task is not None:
            progress.update(task, completed=message["processed"])
        elif "error" in message:
            raise RuntimeError(str(message["error"]))
        else:
            result = message.get("result", result)
    if await child.wait() != 0 or not result:
        raise RuntimeError(f"the year-end bench failed (exit {child.returncode})")
    return YearEndResult(
        int(result["employees"]),
        int(result["carried"]),
        float(result["seconds"]),
        float(result["seed_seconds"]),
    )


def _weekdays(start: date, n: int) -> list[date]:
    out: list[date] = []
    day = start
    while len(out) < n:
        if day.isoweekday() <= 5:
            out.append(day)
        day += timedelta(days=1)
    return out


def _is_pending(api: httpx.Client, request_id: str) -> bool:
    return bool(api.get(f"/v1/leave-requests/{request_id}").json()["status"] == "pending")


def _is_closed(api: httpx.Client, year: int) -> bool:
    jobs = api.get(f"/v1/year-end/{year}").json()["jobs"]
    return bool(jobs) and all(job["state"] == "done" for job in jobs)


def _history(tenant: Tenant, progress: Progress) -> tuple[str, int]:
    """An employee with five leave years behind them; returns their id and ledger size."""
    this_year = date.today().year
    location = tenant.location("Bench office")
    leave_type = tenant.leave_type(
        allowance=30,
        location_ids=[location],
        policy={"accrual": "monthly", "carryover_max": 5, "carryover_expiry_months": 3},
    )
    employee_id, _ = tenant.employee(
        "Hist", location_id=location, start_date=f"{this_year - 5}-01-01"
    )
    years = list(range(this_year - 4, this_year + 1))
    task = progress.add_task("(e) 5 years of history", total=len(years))
    with tenant.client("requests") as requests_api, tenant.client("balances") as balances_api:
        for year in years:
            for month in range(2, 10):
                days = _weekdays(date(year, month, 3), 2)
                r = requests_api.post(
                    "/v1/leave-requests",
                    json={
                        "employee_id": employee_id,
                        "leave_type_id": leave_type,
                        "start_date": days[0].isoformat(),
                        "end_date": days[-1].isoformat(),
                    },
                )
                if r.status_code != 202:
                    raise RuntimeError(f"submit: {r.status_code} {r.text}")
                request_id = r.json()["id"]
                eventually(partial(_is_pending, requests_api, request_id), timeout=30)
                for action in {5: ["deny"], 7: ["approve", "cancel"]}.get(month, ["approve"]):
                    requests_api.post(
                        f"/v1/leave-requests/{request_id}/{action}", json={"note": "bench"}
                    )
            balances_api.post(
                "/v1/adjustments",
                json={
                    "employee_id": employee_id,
                    "leave_type_id": leave_type,
                    "amount": 1,
                    "reason": "bench",
                    "effective_date": f"{year}-06-01",
                },
            )
            if year < this_year:
                r = balances_api.post("/v1/year-end", json={"year": year})
                if r.status_code != 202:
                    raise RuntimeError(f"year end: {r.status_code} {r.text}")
                eventually(partial(_is_closed, balances_api, year), timeout=30)
            progress.advance(task)
        ledger = balances_api.get(
            f"/v1/ledger/{employee_id}", params={"from": f"{years[0]}-01-01", "limit": 1000}
        ).json()
    return employee_id, len(ledger["items"])


def wait_for_quiet_consumers(monitor_url: str, time_limit: float = 120.0) -> bool:
    """Until every JetStream consumer has caught up: after stage (b) the other services
    are still working through thousands of events on the same cores, and that is not the
    latency of a balance query."""

    def backlog() -> int:
        body = httpx.get(f"{monitor_url}/jsz", params={"consumers": "true"}, timeout=5).json()
        return sum(
            consumer.get("num_pending", 0) + consumer.get("num_ack_pending", 0)
            for account in body.get("account_details", [])
            for stream in account.get("stream_detail", [])
            for consumer in stream.get("consumer_detail", [])
        )

    deadline = time.monotonic() + time_limit
    while backlog():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.5)
    return True


def measure_balance_query(
    urls: dict[str, str], monitor_url: str, samples: int, progress: Progress
) -> QueryResult:
    result = QueryResult()
    started = time.perf_counter()
    tenant = sign_up(urls)
    employee_id, result.history_entries = _history(tenant, progress)
    result.setup_seconds = time.perf_counter() - started
    result.quiet = wait_for_quiet_consumers(monitor_url)
    task = progress.add_task("(e) balance queries", total=samples)
    with tenant.client("balances") as http:
        for _ in range(20):  # warm-up: connection, caches, JWKS
            http.get(f"/v1/balances/{employee_id}")
        # The client's own collector must not pause inside a timed call.
        gc.collect()
        gc.freeze()
        for _ in range(samples):
            began = time.perf_counter()
            r = http.get(f"/v1/balances/{employee_id}")
            result.latencies.append(time.perf_counter() - began)
            if r.status_code != 200:
                raise RuntimeError(f"balance: {r.status_code} {r.text}")
            progress.advance(task)
    result.latencies.sort()
    return result
