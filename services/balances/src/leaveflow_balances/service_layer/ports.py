"""What the balances use cases need from the outside world, declared here and implemented
by the adapters (`adapters/repository.py`); `bootstrap.py` wires one to the other.

The service layer imports no adapter: it sees its documents only through these Protocols
(no collection names, no storage keys), so a use case reads as its rules.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Protocol, TypeVar

from leaveflow_contracts import Envelope, EventData
from leaveflow_kit.clock import Clock
from leaveflow_kit.replica import Stamp
from leaveflow_kit.storage import Transaction

from ..domain.calendar import LeaveYear
from ..domain.ledger import LedgerEntry
from ..domain.policy import Policy
from ..domain.replicas import (
    AllowanceOverride,
    DepartmentReplica,
    EmployeeReplica,
    LeaveTypeReplica,
    LocationReplica,
    Reservation,
)
from ..domain.year_end import YearEndJob

__all__ = [
    "Clock",
    "ReadModel",
    "Reads",
    "Repository",
    "RepositoryFactory",
    "UnitOfWork",
]

T = TypeVar("T")


class Reads(Protocol):
    """Reads both sides offer, each scoped to a tenant: another tenant's record reads as
    absent. The balance projection (`projection.py`) works on either."""

    async def leave_type(self, tenant_id: str, leave_type_id: str) -> LeaveTypeReplica | None: ...

    async def location(self, tenant_id: str, location_id: str) -> LocationReplica | None: ...

    async def employee(self, tenant_id: str, employee_id: str) -> EmployeeReplica | None: ...

    async def policy(
        self, tenant_id: str, location_id: str, leave_type_id: str
    ) -> Policy | None: ...

    async def policies(self, tenant_id: str) -> list[Policy]:
        """Every policy of the tenant, withdrawn ones included."""

    async def override(
        self, tenant_id: str, employee_id: str, leave_type_id: str, year: int
    ) -> AllowanceOverride | None: ...

    async def entries(
        self, tenant_id: str, employee_id: str, *, within: LeaveYear | None = None
    ) -> list[LedgerEntry]:
        """Every stored entry of the employee: bookings, adjustments and carry-overs
        (`within`: only those effective in that leave year)."""

    async def approves_for(self, tenant_id: str, approver_id: str, department_id: str) -> bool:
        """Whether the department is active and `approver_id` approves for it."""

    async def year_end_job(self, job_id: str) -> YearEndJob | None: ...


class Repository(Reads, Protocol):
    """Balances' records inside one transaction: what it reads is consistent with what it
    writes, and everything (events included) commits together or not at all."""

    async def reservation(self, request_id: str) -> Reservation | None: ...

    # The directory replica (docs/adr/0004): each upsert applies only if `at` is newer
    # than the event the stored record came from, and says whether it did.

    async def upsert_leave_type(self, leave_type: LeaveTypeReplica, at: Stamp) -> bool: ...

    async def upsert_location(self, location: LocationReplica, at: Stamp) -> bool: ...

    async def upsert_employee(self, employee: EmployeeReplica, at: Stamp) -> bool: ...

    async def upsert_department(self, department: DepartmentReplica, at: Stamp) -> bool: ...

    async def save_policy(self, policy: Policy) -> None: ...

    async def save_override(self, override: AllowanceOverride) -> None: ...

    async def save_reservation(self, reservation: Reservation) -> None: ...

    async def touch_balance_guard(
        self, tenant_id: str, employee_id: str, leave_type_id: str
    ) -> None:
        """Write the employee's per-type guard, so two transactions booking against one
        balance conflict in the store instead of both spending it (snapshot isolation)."""

    async def add_entry(self, entry: LedgerEntry) -> bool:
        """False if this entry (deterministic id) was already written."""

    async def save_carryovers(
        self, year: int, sheets: Sequence[tuple[EmployeeReplica, list[LedgerEntry]]]
    ) -> None:
        """What each employee carries into leave `year` (every leave type): replaces what
        an earlier run of the same year end wrote."""

    async def save_year_end_job(self, job: YearEndJob) -> None: ...

    def record(
        self, data: EventData, *, tenant_id: str, actor: str, cause: Envelope | None = None
    ) -> Envelope:
        """Put an event in the outbox of this transaction."""


class RepositoryFactory(Protocol):
    """The repository over a transaction someone else opened (an event consumer's)."""

    def __call__(self, tx: Transaction) -> Repository: ...


class UnitOfWork(Protocol):
    async def run(self, work: Callable[[Repository], Awaitable[T]]) -> T:
        """Run `work` in one transaction and commit. On a conflict it runs again, so it
        must have no effect outside the repository it is given."""


class ReadModel(Reads, Protocol):
    """Reads outside any transaction: the HTTP queries, the scheduler, a year end's scan."""

    async def locations(self, tenant_id: str) -> list[LocationReplica]:
        """Every location of the tenant, inactive ones included."""

    async def active_locations(self) -> list[LocationReplica]:
        """Active locations of every tenant (the scheduler plans their year ends)."""

    async def employees(
        self, tenant_id: str, *, filters: Mapping[str, str], limit: int, after: str | None
    ) -> list[EmployeeReplica]:
        """Up to `limit` of the tenant's employees whose fields equal `filters`, in id
        order, after the id `after`."""

    async def employees_at(
        self, tenant_id: str, location_id: str, *, limit: int | None = None, after: str | None
    ) -> list[EmployeeReplica]:
        """The location's employees in id order, after the id `after`."""

    async def count_employees_at(self, tenant_id: str, location_id: str) -> int: ...

    async def departments_approved_by(self, tenant_id: str, approver_id: str) -> set[str]:
        """The ids of the active departments `approver_id` approves for."""

    async def departments(self, tenant_id: str) -> list[DepartmentReplica]:
        """Every department of the tenant, inactive ones included."""

    async def owned_by_another_tenant(
        self, tenant_id: str, *, location_id: str, leave_type_id: str
    ) -> bool:
        """Whether the location or the leave type is known here as another tenant's."""

    async def year_entries(self, tenant_id: str, year: int) -> list[LedgerEntry]:
        """Every stored entry of the tenant in leave `year`, carry-overs into it included."""

    async def carried_into(self, tenant_id: str, year: int) -> set[str]:
        """The employees who already have their carry-over into leave `year`."""

    async def overrides_of_year(self, tenant_id: str, year: int) -> list[AllowanceOverride]: ...

    async def running_year_ends(self) -> list[YearEndJob]:
        """Year-end jobs not done yet, of every tenant (to resume after a restart)."""
