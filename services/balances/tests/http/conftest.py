"""The balances app in-process: ASGI transport over the memory store, an injected clock,
real RS256 tokens, and the requests service's events delivered straight to the handlers
the app subscribes.

One app per test module; each test builds its own company (a fresh tenant id) on it, and
tenants see nothing of each other, so tests stay independent. Modules that use these
fixtures run on a module-wide event loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import httpx
import pytest
import pytest_asyncio

from leaveflow_balances.adapters.repository import INDEXES, Repository
from leaveflow_balances.bootstrap import Overrides, create_app
from leaveflow_balances.config import Settings
from leaveflow_balances.service_layer.handlers import requests_event_handlers
from leaveflow_contracts import (
    DepartmentUpserted,
    EmployeeUpserted,
    Envelope,
    EventData,
    LeaveApproved,
    LeaveRequested,
    LeaveTypeUpserted,
    LocationUpserted,
    new_id,
)
from leaveflow_kit.auth import Principal, TokenIssuer, TokenVerifier
from leaveflow_kit.messaging import Handlers
from leaveflow_kit.storage import Store, open_store
from leaveflow_kit.testing import FakeClock, deliver

from ..harness import weekdays

# The app's now: mid-June of this year, 09:00 UTC. The office's leave year (from 1 January)
# is half gone; Lisbon's (from 1 July) has not turned yet, so last year is still open there.
NOW = datetime(date.today().year, 6, 15, 9, tzinfo=UTC)
THIS_YEAR = NOW.year
# Two weekdays of March this year: leave taken before "today".
MARCH = weekdays(date(THIS_YEAR, 3, 2), 2)


@dataclass
class Api:
    """An HTTP client on the in-process app, and what the requests service would send it."""

    client: httpx.AsyncClient
    store: Store
    issuer: TokenIssuer
    handlers: Handlers
    clock: FakeClock

    def token(self, tenant_id: str, employee_id: str, role: str) -> str:
        return self.issuer.issue(Principal(tenant_id, employee_id, role))

    async def call(
        self,
        token: str | None,
        method: str,
        url: str,
        json: Any = None,
        params: dict[str, Any] | None = None,
    ) -> httpx.Response:
        headers = {} if token is None else {"authorization": f"Bearer {token}"}
        return await self.client.request(method, url, json=json, params=params, headers=headers)

    async def deliver(self, data: EventData, tenant_id: str) -> Envelope:
        """Hand a requests event to the handlers the app subscribes, as its consumer would."""
        return await deliver(
            self.store, self.handlers, data, tenant_id=tenant_id, occurred_at=self.clock.now()
        )

    async def outbox(self, tenant_id: str) -> list[Envelope]:
        records = await self.store.fetch_unpublished(10_000)
        return [r.envelope for r in records if r.envelope.tenant_id == tenant_id]


@pytest.fixture(scope="session")
def issuer(tmp_path_factory: pytest.TempPathFactory) -> TokenIssuer:
    # One signing key for the session: generating an RSA key per test would dominate.
    return TokenIssuer(tmp_path_factory.mktemp("balances-keys") / "signing.pem")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def api(issuer: TokenIssuer, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Api]:
    store = open_store("memory://", INDEXES)
    await store.start()
    clock = FakeClock(NOW)
    app = create_app(
        # A short wait for directory records still on their way keeps the 404s quick.
        Settings(data_dir=tmp_path_factory.mktemp("balances"), directory_grace_seconds=0.3),
        overrides=Overrides(store=store, clock=clock, verifier=TokenVerifier(jwks=issuer.jwks())),
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://balances") as client:
        yield Api(client, store, issuer, requests_event_handlers(Repository), clock)
    await app.state.year_ends.stop()
    await store.close()


@dataclass
class Company:
    """A tenant as balances knows it from the directory's events: Ada (admin), Bob
    (approver of Sales), Ana and Ben (users in Sales) and Cy (user, no department) at the
    Office (leave year from 1 January); Lu (user) in Lisbon (from 1 July); Vacation offered
    at the Office with 20 days a year, up front; Sick known but offered nowhere."""

    api: Api
    tenant_id: str
    ids: dict[str, str] = field(default_factory=dict)

    def token(self, who: str) -> str:
        role = {"ada": "admin", "bob": "approver"}.get(who, "user")
        return self.api.token(self.tenant_id, self.ids[who], role)

    async def call(
        self,
        who: str | None,
        method: str,
        url: str,
        json: Any = None,
        params: dict[str, Any] | None = None,
    ) -> httpx.Response:
        """A call as one of the company's people (None: without a token)."""
        token = self.token(who) if who is not None else None
        return await self.api.call(token, method, url, json, params)

    async def ok(self, who: str, method: str, url: str, json: Any = None, **params: Any) -> Any:
        """The JSON of a call that must succeed."""
        response = await self.call(who, method, url, json, params or None)
        assert response.status_code < 300, response.text
        return response.json()

    async def deliver(self, data: EventData) -> Envelope:
        return await self.api.deliver(data, self.tenant_id)

    def facts(self, who: str, request_id: str, days: list[date]) -> dict[str, Any]:
        return {
            "request_id": request_id,
            "employee_id": self.ids[who],
            "leave_type_id": self.ids["vacation"],
            "start_date": days[0],
            "end_date": days[-1],
            "working_days": days,
            "amount": str(len(days)),
        }

    async def take(self, who: str, days: list[date], *, approve: bool = True) -> str:
        """A request for `days` reserved (and approved): the id of the request."""
        request_id = new_id()
        await self.deliver(LeaveRequested(**self.facts(who, request_id, days)))
        if approve:
            await self.deliver(LeaveApproved(**self.facts(who, request_id, days)))
        return request_id

    async def balance(self, who: str, **params: Any) -> dict[str, Any]:
        """`who`'s Vacation balance, as Ada sees it."""
        body = await self.ok("ada", "GET", f"/v1/balances/{self.ids[who]}", **params)
        (vacation,) = [b for b in body["balances"] if b["leave_type_id"] == self.ids["vacation"]]
        return dict(vacation)


async def set_up(api: Api) -> Company:
    company = Company(api, new_id())
    ids = company.ids
    for key in ("ada", "bob", "ana", "ben", "cy", "lu", "office", "lisbon", "sales"):
        ids[key] = new_id()
    ids["vacation"], ids["sick"] = new_id(), new_id()
    for key, zone, start in (
        ("office", "Europe/Berlin", "01-01"),
        ("lisbon", "Europe/Lisbon", "07-01"),
    ):
        await company.deliver(
            LocationUpserted(
                location_id=ids[key],
                name=key.title(),
                timezone=zone,
                workweek=[1, 2, 3, 4, 5],
                leave_year_start=start,
            )
        )
    for key in ("vacation", "sick"):
        await company.deliver(LeaveTypeUpserted(leave_type_id=ids[key], name=key.title()))
    people = {
        "ada": ("admin", None, "office"),
        "bob": ("approver", None, "office"),
        "ana": ("user", "sales", "office"),
        "ben": ("user", "sales", "office"),
        "cy": ("user", None, "office"),
        "lu": ("user", None, "lisbon"),
    }
    for who, (role, department, location) in people.items():
        await company.deliver(
            EmployeeUpserted(
                employee_id=ids[who],
                name=who.title(),
                email=f"{who}@{company.tenant_id}.test",
                role=role,
                department_id=ids[department] if department else None,
                location_id=ids[location],
                start_date=date(THIS_YEAR - 3, 1, 1),
            )
        )
    await company.deliver(
        DepartmentUpserted(department_id=ids["sales"], name="Sales", approver_ids=[ids["bob"]])
    )
    policy = {"annual_allowance": 20, "carryover_max": 5}
    await company.ok("ada", "PUT", f"/v1/policies/{ids['office']}/{ids['vacation']}", policy)
    return company


@pytest_asyncio.fixture(loop_scope="module")
async def company(api: Api) -> Company:
    return await set_up(api)


async def until(check: Callable[[], Awaitable[bool]], *, seconds: float = 5.0) -> None:
    """Poll `check` (through the API) until it holds; fail after about `seconds`."""
    for _ in range(int(seconds / 0.01)):
        if await check():
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"not true within {seconds} s")
