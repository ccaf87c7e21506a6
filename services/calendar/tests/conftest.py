"""Fixtures for the calendar's tests: an in-memory store fed with events, and the HTTP app
on it (in process, no broker: tests hand events to the same handlers the consumers run).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest

from leaveflow_calendar.bootstrap import INDEXES, Overrides, create_app
from leaveflow_calendar.config import Settings
from leaveflow_calendar.service_layer.projection import HANDLERS
from leaveflow_contracts import (
    ApprovalLevelRule,
    DepartmentUpserted,
    EmployeeUpserted,
    Envelope,
    EventData,
    LeaveApproved,
    LeaveCancelled,
    LeavePending,
    LeaveRequested,
    LeaveTypeUpserted,
    LocationUpserted,
    TenantCreated,
)
from leaveflow_contracts.requests import ExtraHoliday, HolidaySource
from leaveflow_kit.auth import Principal
from leaveflow_kit.auth.tokens import InvalidToken
from leaveflow_kit.storage import Store, open_store
from leaveflow_kit.testing import deliver

T = "tenant-1"
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


@pytest.fixture(name="holiday_source")
def holiday_source_fixture() -> Callable[[str, str | None], HolidaySource]:
    return holiday_source


def holiday_source(country: str, subdivision: str | None) -> HolidaySource:
    """What the requests service puts in LocationUpserted.holidays: its own calendar decides
    the categories and the language, so these tests hold the two services to one rule."""
    from leaveflow_requests.domain.holiday_calendar import HolidayCalendar

    resolved = HolidayCalendar(country, subdivision)
    return HolidaySource(
        country=resolved.country,
        subdivision=resolved.subdivision,
        categories=list(resolved.categories or ()),
        language=resolved.language,
    )


@pytest.fixture
async def store() -> AsyncIterator[Store]:
    s = open_store("memory://", INDEXES)
    await s.start()
    yield s
    await s.close()


@dataclass
class Events:
    """Delivers events to the calendar's handlers, each a second after the previous one
    unless told when it happened (`at`), as the consumers would."""

    store: Store
    clock: datetime = T0
    leave: dict[str, dict[str, Any]] = field(default_factory=dict)

    async def deliver(
        self, data: EventData, *, tenant: str = T, at: datetime | None = None
    ) -> Envelope:
        if at is None:
            self.clock += timedelta(seconds=1)
            at = self.clock
        return await deliver(self.store, HANDLERS, data, tenant_id=tenant, occurred_at=at)

    async def tenant(self, name: str = "Acme", *, tenant: str = T) -> None:
        await self.deliver(
            TenantCreated(tenant_id=tenant, name=name, timezone="UTC", admin_id="admin"),
            tenant=tenant,
        )

    async def location(
        self,
        location_id: str,
        name: str,
        country: str | None = None,
        subdivision: str | None = None,
        extra: Mapping[date, str] | None = None,
        *,
        tenant: str = T,
    ) -> None:
        await self.deliver(
            LocationUpserted(
                location_id=location_id,
                name=name,
                timezone="Europe/Berlin",
                workweek=[1, 2, 3, 4, 5],
                holidays=holiday_source(country, subdivision) if country else None,
                extra_holidays=[ExtraHoliday(date=d, name=n) for d, n in (extra or {}).items()],
            ),
            tenant=tenant,
        )

    async def department(
        self,
        department_id: str,
        name: str,
        *,
        approver_ids: Sequence[str] = (),
        levels: Sequence[Sequence[str]] = (),
        tenant: str = T,
    ) -> None:
        await self.deliver(
            DepartmentUpserted(
                department_id=department_id,
                name=name,
                approver_ids=list(approver_ids),
                approval_levels=[ApprovalLevelRule(approver_ids=list(a)) for a in levels],
            ),
            tenant=tenant,
        )

    async def employee(
        self,
        employee_id: str,
        name: str,
        *,
        role: str = "user",
        department_id: str | None = "d1",
        location_id: str | None = "l1",
        end_date: date | None = None,
        tenant: str = T,
        at: datetime | None = None,
    ) -> None:
        await self.deliver(
            EmployeeUpserted(
                employee_id=employee_id,
                name=name,
                email=f"{employee_id}@x.io",
                role=role,
                department_id=department_id,
                location_id=location_id,
                end_date=end_date,
            ),
            tenant=tenant,
            at=at,
        )

    async def leave_type(
        self,
        leave_type_id: str,
        name: str,
        *,
        tenant: str = T,
        color: str | None = None,
        private: bool = False,
    ) -> None:
        await self.deliver(
            LeaveTypeUpserted(leave_type_id=leave_type_id, name=name, color=color, private=private),
            tenant=tenant,
        )

    def facts(self, request_id: str, **overrides: Any) -> dict[str, Any]:
        base = self.leave.get(request_id) or {
            "request_id": request_id,
            "employee_id": "e1",
            "leave_type_id": "vac",
            "start_date": date(2026, 3, 2),
            "end_date": date(2026, 3, 4),
            "amount": "3",
            "department_id": "d1",
        }
        self.leave[request_id] = {**base, **overrides}
        return self.leave[request_id]

    async def approved(self, request_id: str, *, tenant: str = T, **overrides: Any) -> None:
        """A request's whole happy path: requested, pending, approved."""
        facts = self.facts(request_id, **overrides)
        await self.deliver(LeaveRequested(**facts), tenant=tenant)
        await self.deliver(LeavePending(**facts), tenant=tenant)
        await self.deliver(LeaveApproved(**facts), tenant=tenant)

    async def cancelled(self, request_id: str, *, tenant: str = T) -> None:
        await self.deliver(
            LeaveCancelled(**self.facts(request_id), previous_status="approved"), tenant=tenant
        )

    async def standard_directory(self, *, tenant: str = T) -> None:
        """Acme: Munich (DE-BY) and Berlin (DE-BE), Engineering and Sales, Ana in Munich."""
        await self.tenant(tenant=tenant)
        await self.location("l1", "Munich", "DE", "BY", tenant=tenant)
        await self.location("l2", "Berlin", "DE", "BE", tenant=tenant)
        await self.department("d1", "Engineering", tenant=tenant)
        await self.department("d2", "Sales", tenant=tenant)
        await self.leave_type("vac", "Vacation", tenant=tenant)
        await self.employee("e1", "Ana Lima", tenant=tenant)


@pytest.fixture
def events(store: Store) -> Events:
    return Events(store)


class FakeVerifier:
    """Bearer tokens of the form `tenant:employee:role`."""

    async def verify(self, token: str) -> Principal:
        parts = token.split(":")
        if len(parts) != 3:
            raise InvalidToken("malformed")
        return Principal(tenant_id=parts[0], employee_id=parts[1], role=parts[2])


@dataclass
class FakeDirectory:
    """What the requests service would answer: ids it has that the projection may lack."""

    known: set[str] = field(default_factory=set)
    asked: list[tuple[str, str, str]] = field(default_factory=list)

    def for_caller(self, authorization: str) -> Any:
        directory = self

        class Lookup:
            async def exists(self, scope: Any, scope_id: str) -> bool:
                directory.asked.append((authorization, str(scope), scope_id))
                return scope_id in directory.known

        return Lookup()


@pytest.fixture
def directory() -> FakeDirectory:
    return FakeDirectory()


def fakes(store: Store, directory: FakeDirectory) -> Overrides:
    """The in-process calendar's stand-ins: no broker, no requests service, no JWKS."""
    return Overrides(store=store, verifier=FakeVerifier(), directory_for=directory.for_caller)


@pytest.fixture
def app(store: Store, directory: FakeDirectory) -> Any:
    return create_app(Settings(calendar_url="http://cal.test"), overrides=fakes(store, directory))


@pytest.fixture
async def client(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://cal.test") as http:
        yield http


def _auth(employee_id: str = "admin", role: str = "admin", tenant: str = T) -> dict[str, str]:
    return {"authorization": f"Bearer {tenant}:{employee_id}:{role}"}


@pytest.fixture
def auth() -> Callable[..., dict[str, str]]:
    """Headers of a caller: `auth("e1", "user")`; an admin of tenant-1 by default."""
    return _auth
