"""Bench stage (d): a year end for N employees x 3 leave types, on the SQLite adapter the
embedded stack uses (a private file).

Seeds through the service's own ports (the unit of work and its repository: replicas,
policies and one booking per employee, in transactions of a thousand people; seeding is
not what is measured), then times the service's year-end job. Target: 100,000 x 3 under
60 s. `make bench` runs it as a process (leaveflow_devstack.bench_balances) and reads its
stdout, one JSON object a line: the plan, progress, then the result.

    python services/balances/bench/year_end.py --employees 100000
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from leaveflow_balances.adapters.repository import INDEXES, StoreReads, StoreUnitOfWork
from leaveflow_balances.domain.ledger import DEDUCTION, LedgerEntry
from leaveflow_balances.domain.policy import Policy
from leaveflow_balances.domain.replicas import EmployeeReplica, LeaveTypeReplica, LocationReplica
from leaveflow_balances.service_layer.ports import Repository
from leaveflow_balances.service_layer.year_end import open_job, run_job
from leaveflow_kit.replica import Stamp
from leaveflow_kit.storage import open_store

TENANT, LOCATION = "bench-tenant", "bench-location"
TYPES: tuple[tuple[str, dict[str, Any]], ...] = (
    # (leave type, policy): upfront with a capped carry-over, monthly, semimonthly uncapped
    ("vacation", {"annual_allowance": Decimal(25), "carryover_max": Decimal(5)}),
    (
        "training",
        {"annual_allowance": Decimal(20), "accrual": "monthly", "carryover_max": Decimal(5)},
    ),
    (
        "wellness",
        {"annual_allowance": Decimal(12), "accrual": "semimonthly", "carryover_max": None},
    ),
)
SEED_BATCH = 1000
# As if the directory's events had all happened now (the replica keeps the newest).
SEEDED = Stamp(datetime.now(UTC), "seed")


def say(**fields: Any) -> None:
    print(json.dumps(fields), flush=True)


async def _seed_directory(repo: Repository, year: int) -> None:
    await repo.upsert_location(
        LocationReplica(LOCATION, TENANT, timezone="UTC", first_seen=date(year, 1, 1)), SEEDED
    )
    for leave_type, rules in TYPES:
        await repo.upsert_leave_type(LeaveTypeReplica(leave_type, TENANT, name=leave_type), SEEDED)
        await repo.save_policy(Policy(TENANT, LOCATION, leave_type, **rules))


def _seed_people(first: int, last: int, year: int) -> Any:
    async def work(repo: Repository) -> None:
        for n in range(first, last):
            employee_id = f"emp{n:07d}"
            await repo.upsert_employee(
                EmployeeReplica(
                    employee_id,
                    TENANT,
                    name=employee_id,
                    location_id=LOCATION,
                    start_date=date(2020, 1, 1),
                ),
                SEEDED,
            )
            await repo.add_entry(
                LedgerEntry(
                    f"{employee_id}:r:{DEDUCTION}:{year}",
                    TENANT,
                    employee_id,
                    "vacation",
                    DEDUCTION,
                    Decimal(3),
                    date(year, 3, 2),
                    source_event_id="seed",
                    request_id=f"{employee_id}:r",
                    day_amounts={f"{year}-03-0{d}": "1" for d in (2, 3, 4)},
                    leave_year=year,
                )
            )

    return work


async def measure(employees: int, year: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="leaveflow-bench-yearend-") as tmp:
        store = open_store(f"sqlite:///{Path(tmp) / 'balances.db'}", INDEXES)
        await store.start()
        try:
            uow, reads = StoreUnitOfWork(store), StoreReads(store)
            started = time.perf_counter()
            await uow.run(lambda repo: _seed_directory(repo, year))
            for first in range(0, employees, SEED_BATCH):
                await uow.run(_seed_people(first, min(first + SEED_BATCH, employees), year))
            seeded = time.perf_counter() - started
            say(year=year, total=employees)
            job = await open_job(uow, TENANT, LOCATION, year, "bench")
            started = time.perf_counter()
            done = await run_job(uow, reads, job, progress=lambda n, _total: say(processed=n))
            seconds = time.perf_counter() - started
            sheets = len(await reads.carried_into(TENANT, year + 1))
            if sheets != employees or done.carried != employees * len(TYPES):
                raise RuntimeError(
                    f"year end incomplete: {sheets} sheets, {done.carried} carry-overs"
                )
            return {
                "employees": employees,
                "carried": done.carried,
                "seconds": seconds,
                "seed_seconds": seeded,
            }
        finally:
            await store.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--employees", type=int, default=100_000)
    parser.add_argument("--year", type=int, default=date.today().year - 1, help="leave year closed")
    args = parser.parse_args(argv)
    try:
        say(result=asyncio.run(measure(args.employees, args.year)))
    except RuntimeError as exc:
        say(error=str(exc))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
