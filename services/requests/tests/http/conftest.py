"""The requests app in-process: ASGI transport over the memory store, an injected clock,
and the balances service's events delivered straight to its handlers.

One app per test module (building one loads a signing key, which is the slow part); each
test signs up its own company on it, and tenants see nothing of each other, so tests
stay independent. Modules that use these fixtures run on a module-wide event loop.
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from cryptography.fernet import Fernet

from leaveflow_contracts import (
    EventData,
    LeaveReservationRejected,
    LeaveReserved,
    PolicyUpserted,
)
from leaveflow_kit.auth import TokenIssuer
from leaveflow_kit.storage import Store, open_store
from leaveflow_kit.testing import FakeClock, deliver
from leaveflow_requests.adapters.repository import INDEXES
from leaveflow_requests.bootstrap import Overrides, create_app, event_handlers
from leaveflow_requests.config import Settings
from leaveflow_requests.domain.errors import InvalidTransition

# The app's "now": nine in the morning today (UTC); leave is taken from next week on.
NOW = datetime.combine(date.today(), datetime.min.time(), tzinfo=UTC).replace(hour=9)
NEXT_MONDAY = NOW.date() + timedelta(days=7 - NOW.date().weekday())


clock = FakeClock(NOW)
# Seals the companies' SSO client secrets (the lifespan, which would load one, does not run).
SECRET_KEY = Fernet.generate_key()
_SIGNUPS = itertools.count(1)
HANDLERS = event_handlers(clock)


def day(offset: int) -> str:
    """A day of next week and after, as the API writes it: day(0) is next Monday."""
    return (NEXT_MONDAY + timedelta(days=offset)).isoformat()


@dataclass
class FakeToilCredits:
    """Balances' side of cancelling an approved claim: records what it took back, and
    keeps the credits named in `keep` with their sentence (as balances' 409)."""

    taken: list[tuple[str, str, str, str]] = field(default_factory=list)
    keep: dict[str, str] = field(default_factory=dict)

    async def take_back(
        self, tenant_id: str, employee_id: str, toil_id: str, cancelled_by: str
    ) -> None:
        if toil_id in self.keep:
            raise InvalidTransition(self.keep[toil_id])
        self.taken.append((tenant_id, employee_id, toil_id, cancelled_by))


@dataclass
class Api:
    """An HTTP client on the in-process app, and what the balances service would send it."""

    client: httpx.AsyncClient
    store: Store
    credits: FakeToilCredits = field(default_factory=FakeToilCredits)

    async def call(
        self, token: str | None, method: str, url: str, json: Any = None, **kw: Any
    ) -> httpx.Response:
        headers = dict(kw.pop("headers", {}))
        if token is not None:
            headers["authorization"] = f"Bearer {token}"
        return await self.client.request(method, url, json=json, headers=headers, **kw)

    async def ok(self, token: str | None, method: str, url: str, json: Any = None) -> Any:
        """The JSON of a call that must succeed."""
        response = await self.call(token, method, url, json)
        assert response.status_code < 300, response.text
        return response.json()

    async def deliver(self, data: EventData, tenant_id: str) -> None:
        """Hand a balances event to the handlers the app subscribes to it."""
        await deliver(self.store, HANDLERS, data, tenant_id=tenant_id)

    async def reserve(self, request: dict[str, Any], tenant_id: str, *, ok: bool = True) -> None:
        facts = {
            "request_id": request["id"],
            "employee_id": request["employee_id"],
            "leave_type_id": request["leave_type_id"],
            "amount": str(request["amount"]),
        }
        data: EventData = (
            LeaveReserved(**facts)
            if ok
            else LeaveReservationRejected(**facts, reason="insufficient_balance")
        )
        await self.deliver(data, tenant_id)


@pytest.fixture(scope="session")
def key_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("requests-keys")


@pytest.fixture(scope="session")
def issuer(key_dir: Path) -> TokenIssuer:
    # One signing key for the session: generating an RSA key per test would dominate. The
    # app's lifespan (which would load it) does not run in process: the tests hand it in.
    return TokenIssuer(key_dir / "requests-jwt-key.pem")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def make_api(key_dir: Path, issuer: TokenIssuer) -> AsyncIterator[Callable[..., Any]]:
    opened: list[tuple[Store, httpx.AsyncClient]] = []

    async def make(*, app_clock: FakeClock | None = None, **settings: Any) -> Api:
        store = open_store("memory://", INDEXES)
        await store.start()
        credits = FakeToilCredits()
        app = create_app(
            Settings(data_dir=key_dir, **settings),
            overrides=Overrides(
                store=store,
                clock=app_clock or clock,
                issuer=issuer,
                secret_key=SECRET_KEY,
                toil_credits=credits,
            ),
        )
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://rq")
        opened.append((store, client))
        return Api(client, store, credits)

    yield make
    for store, client in opened:
        await client.aclose()
        await store.close()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def api(make_api: Callable[..., Any]) -> Api:
    built: Api = await make_api()
    return built


@dataclass
class Company:
    """A signed-up tenant: Ada (admin), Bob (approver of Sales), Ana and Ben (users in Sales,
    at the Office, whose extra holiday is next Wednesday), Vacation, Whole days and Doctor
    (hours) offered at the Office, and a Remote location where nothing is offered."""

    api: Api
    tenant_id: str
    ids: dict[str, str] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)

    async def call(
        self, who: str | None, method: str, url: str, json: Any = None, **kw: Any
    ) -> httpx.Response:
        """A call as one of the company's people (None: without a token)."""
        token = self.tokens[who] if who is not None else None
        return await self.api.call(token, method, url, json, **kw)

    async def ok(self, who: str | None, method: str, url: str, json: Any = None) -> Any:
        token = self.tokens[who] if who is not None else None
        return await self.api.ok(token, method, url, json)

    async def submit(self, who: str, **body: Any) -> httpx.Response:
        payload = {"leave_type_id": self.ids["vacation"], "start_date": day(0), "end_date": day(1)}
        payload.update(body)
        return await self.call(who, "POST", "/v1/leave-requests", payload)

    async def reserve(self, request: dict[str, Any], *, ok: bool = True) -> None:
        await self.api.reserve(request, self.tenant_id, ok=ok)


async def sign_up(api: Api, name: str = "Acme") -> Company:
    domain = f"{name.lower()}.test"
    # Each company its own admin: signup refuses another company's active admin's email
    # (409 email-in-use), and the tests of a module share one app.
    admin_email = f"ada.{next(_SIGNUPS)}@{domain}"
    signup = {"name": name, "admin_name": "Ada", "admin_email": admin_email}
    created = await api.ok(None, "POST", "/v1/tenants", signup)
    company = Company(api, created["tenant_id"])
    company.tokens["ada"] = created["token"]
    ids = company.ids
    ids["ada"] = created["admin_id"]
    office = {"name": "Office", "extra_holidays": [{"date": day(2), "name": "Fête"}]}
    ids["office"] = (await company.ok("ada", "POST", "/v1/locations", office))["id"]
    ids["remote"] = (await company.ok("ada", "POST", "/v1/locations", {"name": "Remote"}))["id"]
    for who, role in (("bob", "approver"), ("ana", "user"), ("ben", "user")):
        person: dict[str, object] = {"name": who.title(), "email": f"{who}@{domain}"}
        person.update(role=role, location_id=ids["office"])
        ids[who] = (await company.ok("ada", "POST", "/v1/employees", person))["id"]
    sales = {"name": "Sales", "approver_ids": [ids["bob"]]}
    ids["sales"] = (await company.ok("ada", "POST", "/v1/departments", sales))["id"]
    for who in ("ana", "ben"):
        change = {"department_id": ids["sales"]}
        await company.ok("ada", "PATCH", f"/v1/employees/{ids[who]}", change)
    for key, body in (
        ("vacation", {"name": "Vacation"}),
        ("whole", {"name": "Whole days", "allow_half_days": False}),
        ("doctor", {"name": "Doctor", "unit": "hours", "allow_half_days": False}),
    ):
        ids[key] = (await company.ok("ada", "POST", "/v1/leave-types", body))["id"]
        offered = PolicyUpserted(location_id=ids["office"], leave_type_id=ids[key], active=True)
        await api.deliver(offered, company.tenant_id)
    for who in ("bob", "ana", "ben"):
        login = {"tenant_id": company.tenant_id, "email": f"{who}@{domain}"}
        company.tokens[who] = (await api.ok(None, "POST", "/v1/auth/dev-login", login))["token"]
    return company


@pytest_asyncio.fixture(loop_scope="module")
async def company(api: Api) -> Company:
    return await sign_up(api)
