"""Test helpers: the balances service on a store, fed events by hand, with a clock tests
move. Test modules import it relatively (`from ..harness import ...`), which pytest's
importlib mode resolves from the rootdir; it ships in no package."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from leaveflow_balances.adapters.repository import Repository, StoreReads, StoreUnitOfWork
from leaveflow_balances.domain.ledger import LedgerEntry
from leaveflow_balances.domain.policy import Policy
from leaveflow_balances.service_layer import admin
from leaveflow_balances.service_layer.handlers import requests_event_handlers
from leaveflow_balances.service_layer.projection import employee_balances, ledger_view
from leaveflow_contracts import (
    EmployeeUpserted,
    Envelope,
    EventData,
    LeaveApproved,
    LeaveCancelled,
    LeaveDenied,
    LeaveRequested,
    LeaveTypeUpserted,
    LocationUpserted,
)
from leaveflow_kit.storage import Store
from leaveflow_kit.testing import FakeClock, deliver

T = "tenant-1"


def weekdays(start: date, n: int) -> list[date]:
    """The first `n` weekdays from `start` on."""
    out: list[date] = []
    day = start
    while len(out) < n:
        if day.isoweekday() <= 5:
            out.append(day)
        day += timedelta(days=1)
    return out


class Harness:
    def __init__(self, store: Store, clock: FakeClock) -> None:
        self.store = store
        self.clock = clock
        self.uow = StoreUnitOfWork(store)
        self.reads = StoreReads(store)
        self.handlers = requests_event_handlers(Repository)
        self.events: list[Envelope] = []
        self._n = 0

    async def deliver(self, data: EventData) -> Envelope:
        """`data` as the consumer would apply it, happening now on the harness's clock."""
        return await deliver(
            self.store, self.handlers, data, tenant_id=T, occurred_at=self.clock.now()
        )

    async def outbox(self) -> list[Envelope]:
        return [r.envelope for r in await self.store.fetch_unpublished(10_000)]

    async def setup(
        self, *, start: date = date(2020, 1, 1), year_start: str = "01-01", **policy: Any
    ) -> None:
        await self.deliver(
            LocationUpserted(
                location_id="loc",
                name="HQ",
                timezone="Europe/Berlin",
                workweek=[1, 2, 3, 4, 5],
                leave_year_start=year_start,
            )
        )
        await self.deliver(LeaveTypeUpserted(leave_type_id="vac", name="Vacation"))
        await self.employee("e1", start=start)
        await self.policy(**policy)

    async def employee(
        self, employee_id: str, *, start: date = date(2020, 1, 1), end: date | None = None
    ) -> None:
        await self.deliver(
            EmployeeUpserted(
                employee_id=employee_id,
                name=employee_id,
                email=f"{employee_id}@x.test",
                role="user",
                location_id="loc",
                start_date=start,
                end_date=end,
            )
        )

    async def policy(self, **fields: Any) -> Policy:
        fields.setdefault("annual_allowance", Decimal(10))
        return await admin.put_policy(
            self.uow,
            Policy(tenant_id=T, location_id="loc", leave_type_id="vac", **fields),
            "admin",
        )

    def facts(
        self, request_id: str, days: list[date], amount: str | None = None, employee: str = "e1"
    ) -> dict[str, Any]:
        return {
            "request_id": request_id,
            "employee_id": employee,
            "leave_type_id": "vac",
            "start_date": days[0],
            "end_date": days[-1],
            "working_days": days,
            "amount": amount or str(len(days)),
        }

    async def request(
        self, request_id: str, days: list[date], amount: str | None = None, employee: str = "e1"
    ) -> Envelope:
        return await self.deliver(LeaveRequested(**self.facts(request_id, days, amount, employee)))

    async def approve(self, request_id: str, days: list[date], employee: str = "e1") -> None:
        await self.deliver(LeaveApproved(**self.facts(request_id, days, None, employee)))

    async def deny(self, request_id: str, days: list[date]) -> None:
        await self.deliver(LeaveDenied(**self.facts(request_id, days)))

    async def cancel(self, request_id: str, days: list[date], previous: str) -> None:
        await self.deliver(LeaveCancelled(**self.facts(request_id, days), previous_status=previous))

    async def balance(self, as_of: date, employee: str = "e1") -> Any:
        found = await self.reads.employee(T, employee)
        assert found is not None
        _, balances = await employee_balances(self.reads, found, as_of)
        (vacation,) = balances
        return vacation.balance

    async def ledger(self, *, to: date, employee: str = "e1") -> list[LedgerEntry]:
        found = await self.reads.employee(T, employee)
        assert found is not None
        return await ledger_view(
            self.reads, found, leave_type_id=None, start=None, end=None, today=to
        )
