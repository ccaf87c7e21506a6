"""Balances' replica of the directory, kept from the requests service's events: locations,
leave types, employees and departments.

The replica rule (docs/adr/0004-newest-wins-replicas.md): records are scoped by tenant and
the event that happened last wins, so redelivered, reordered or replayed events leave the
same replica. That is also why a location's `first_seen` is the local day of the first
event balances applied for it, not the day it was applied: a rebuild by replay
(`bootstrap.py`) finds the same day again.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from leaveflow_contracts import (
    DepartmentUpserted,
    EmployeeUpserted,
    LeaveTypeUpserted,
    LocationUpserted,
)
from leaveflow_kit.clock import zone
from leaveflow_kit.messaging import Handled, Handlers
from leaveflow_kit.replica import Stamp
from leaveflow_kit.storage import Transaction

from ..domain.entitlements import close_periods
from ..domain.replicas import (
    DepartmentReplica,
    EmployeeReplica,
    LeaveTypeReplica,
    LocationReplica,
)
from .ports import Repository, RepositoryFactory


async def on_location_upserted(repo: Repository, event: Handled[LocationUpserted]) -> bool:
    """Whether the location changed (a newer event than the one it came from)."""
    data, envelope = event.data, event.envelope
    known = await repo.location(envelope.tenant_id, data.location_id)
    happened = envelope.occurred_at.astimezone(zone(data.timezone)).date()
    replica = LocationReplica(
        id=data.location_id,
        tenant_id=envelope.tenant_id,
        timezone=data.timezone,
        leave_year_start=data.leave_year_start,
        active=data.active,
        first_seen=known.first_seen if known else happened,
    )
    return await repo.upsert_location(replica, Stamp.of(envelope))


async def on_leave_type_upserted(repo: Repository, event: Handled[LeaveTypeUpserted]) -> None:
    data = event.data
    replica = LeaveTypeReplica(
        id=data.leave_type_id,
        tenant_id=event.envelope.tenant_id,
        name=data.name,
        unit=data.unit,
        active=data.active,
    )
    await repo.upsert_leave_type(replica, Stamp.of(event.envelope))


async def _local_day(repo: Repository, event: Handled[EmployeeUpserted]) -> date:
    """The day the record changed, at the employee's location (UTC without one)."""
    timezone = "UTC"
    if event.data.location_id is not None:
        location = await repo.location(event.envelope.tenant_id, event.data.location_id)
        timezone = location.timezone if location else timezone
    return event.envelope.occurred_at.astimezone(zone(timezone)).date()


async def on_employee_upserted(repo: Repository, event: Handled[EmployeeUpserted]) -> None:
    """Labels are kept with the days they were carried: a label added (or removed) by a
    later record counts from (until) that day, those of the first record from the start."""
    data = event.data
    known = await repo.employee(event.envelope.tenant_id, data.employee_id)
    periods = close_periods(
        known.label_periods if known else [],
        list(data.labels),
        await _local_day(repo, event),
        first_record=known is None,
    )
    replica = EmployeeReplica(
        id=data.employee_id,
        tenant_id=event.envelope.tenant_id,
        name=data.name,
        role=data.role,
        department_id=data.department_id,
        location_id=data.location_id,
        start_date=data.start_date,
        end_date=data.end_date,
        labels=list(dict.fromkeys(data.labels)),
        label_periods=periods,
    )
    await repo.upsert_employee(replica, Stamp.of(event.envelope))


async def on_department_upserted(repo: Repository, event: Handled[DepartmentUpserted]) -> None:
    data = event.data
    replica = DepartmentReplica(
        id=data.department_id,
        tenant_id=event.envelope.tenant_id,
        approver_ids=list(data.approver_ids),
        active=data.active,
    )
    await repo.upsert_department(replica, Stamp.of(event.envelope))


def directory_handlers(
    repositories: RepositoryFactory, location_changed: Callable[[], None]
) -> Handlers:
    """`location_changed` is told when a location changed: a new or moved location may
    bring the next year boundary closer."""
    handlers = Handlers()

    @handlers.on
    async def location(tx: Transaction, event: Handled[LocationUpserted]) -> None:
        if await on_location_upserted(repositories(tx), event):
            location_changed()

    @handlers.on
    async def leave_type(tx: Transaction, event: Handled[LeaveTypeUpserted]) -> None:
        await on_leave_type_upserted(repositories(tx), event)

    @handlers.on
    async def employee(tx: Transaction, event: Handled[EmployeeUpserted]) -> None:
        await on_employee_upserted(repositories(tx), event)

    @handlers.on
    async def department(tx: Transaction, event: Handled[DepartmentUpserted]) -> None:
        await on_department_upserted(repositories(tx), event)

    return handlers
