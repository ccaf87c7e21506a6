"""Sign-in use cases (issue 14) on the in-memory and SQLite stores: single use and counters
by read-modify-write in one transaction, expiry on the clock port, enforced SSO, domain
claims, and signup's refusal of another company's admin."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet

from leaveflow_kit.storage import Store
from leaveflow_kit.testing import FakeClock
from leaveflow_kit.testing.stores import EMBEDDED_KINDS, started_store
from leaveflow_requests.adapters.repository import INDEXES, StoreReads, StoreUnitOfWork
from leaveflow_requests.adapters.secrets import FernetBox
from leaveflow_requests.domain import errors
from leaveflow_requests.domain.directory import Employee, Tenant
from leaveflow_requests.service_layer import directory, identity, passkeys, sso
from leaveflow_requests.service_layer.commands import Actor, CreateTenant, UpsertEmployee

NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture(params=EMBEDDED_KINDS)
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    async with started_store(request.param, tmp_path, INDEXES) as s:
        yield s


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(NOW)


async def company(
    store: Store, clock: FakeClock, name: str, admin_email: str
) -> tuple[Tenant, Actor]:
    tenant, admin = await directory.create_tenant(
        StoreUnitOfWork(store),
        CreateTenant(name=name, admin_name="Ada", admin_email=admin_email),
        clock=clock,
    )
    return tenant, Actor(tenant.id, admin.id, "admin")


async def person(store: Store, admin: Actor, email: str, **fields: Any) -> Employee:
    return await directory.create_employee(
        StoreUnitOfWork(store), admin, UpsertEmployee(name="Ana", email=email, **fields)
    )


def nonce_hash(nonce: str) -> str:
    return hashlib.sha256(nonce.encode()).hexdigest()


def signup_body(stored: dict[str, Any]) -> CreateTenant:
    return CreateTenant(**stored)


async def test_signup_refuses_another_companys_active_admin(store: Store, clock: FakeClock) -> None:
    _, acme = await company(store, clock, "Acme", "ada@acme.test")
    with pytest.raises(errors.EmailInUse):
        await company(store, clock, "Acme 2", "ada@acme.test")
    # An employee who is no admin, or an admin who has left, may sign a company up.
    await person(store, acme, "ana@acme.test")
    await company(store, clock, "Ana's", "ana@acme.test")
    await directory.update_employee(
        StoreUnitOfWork(store),
        acme,
        acme.employee_id,
        {
            "start_date": (NOW - timedelta(days=90)).date(),
            "end_date": (NOW - timedelta(days=2)).date(),
        },
    )
    await company(store, clock, "Ada's next", "ada@acme.test")


async def test_a_link_is_redeemed_once_even_by_racing_redeems(
    store: Store, clock: FakeClock
) -> None:
    _, acme = await company(store, clock, "Acme", "ada@acme.test")
    uow, reads = StoreUnitOfWork(store), StoreReads(store)
    token, tenant_ids = await identity.request_magic_link(
        uow, reads, clock, email="ada@acme.test", nonce_hash=nonce_hash("n"), purpose="sign_in"
    )
    assert token is not None
    assert tenant_ids == [acme.tenant_id]

    async def redeem() -> str:
        try:
            await identity.redeem_magic_link(
                uow, reads, clock, token=token, nonce="n", signup_body=signup_body
            )
        except errors.LinkGone:
            return "gone"
        return "ok"

    outcomes = await asyncio.gather(*(redeem() for _ in range(6)))
    assert sorted(outcomes) == ["gone"] * 5 + ["ok"]


async def test_a_link_expires_on_the_clock(store: Store, clock: FakeClock) -> None:
    await company(store, clock, "Acme", "ada@acme.test")
    uow, reads = StoreUnitOfWork(store), StoreReads(store)
    token, _ = await identity.request_magic_link(
        uow, reads, clock, email="ada@acme.test", nonce_hash=nonce_hash("n"), purpose="sign_in"
    )
    assert token is not None
    clock.advance(timedelta(minutes=15, seconds=1))
    with pytest.raises(errors.LinkGone):
        await identity.redeem_magic_link(
            uow, reads, clock, token=token, nonce="n", signup_body=signup_body
        )


async def test_a_signup_link_creates_the_company_once(store: Store, clock: FakeClock) -> None:
    await company(store, clock, "Acme", "ada@acme.test")
    uow, reads = StoreUnitOfWork(store), StoreReads(store)
    second = CreateTenant(name="Acme 2", admin_name="Ada", admin_email="ada@acme.test")
    token, _ = await identity.request_magic_link(
        uow,
        reads,
        clock,
        email="ada@acme.test",
        nonce_hash=nonce_hash("n"),
        purpose="signup",
        signup=second,
    )
    assert token is not None
    redeemed = await identity.redeem_magic_link(
        uow, reads, clock, token=token, nonce="n", signup_body=signup_body
    )
    assert redeemed.created is not None
    tenant, admin = redeemed.created
    assert (tenant.name, admin.email, admin.role) == ("Acme 2", "ada@acme.test", "admin")
    with pytest.raises(errors.LinkGone):
        await identity.redeem_magic_link(
            uow, reads, clock, token=token, nonce="n", signup_body=signup_body
        )
    names = sorted(c.company for c in await identity.companies_of(reads, clock, "ada@acme.test"))
    assert names == ["Acme", "Acme 2"]


async def test_a_stored_signup_that_no_longer_passes_leaves_the_link_unused(
    store: Store, clock: FakeClock
) -> None:
    uow, reads = StoreUnitOfWork(store), StoreReads(store)
    body = CreateTenant(name="New", admin_name="Eve", admin_email="eve@new.test")
    token, _ = await identity.request_magic_link(
        uow,
        reads,
        clock,
        email="eve@new.test",
        nonce_hash=nonce_hash("n"),
        purpose="signup",
        signup=body,
    )
    assert token is not None

    def refuse(stored: dict[str, Any]) -> CreateTenant:
        raise errors.InvalidRequest("no longer valid")

    with pytest.raises(errors.InvalidRequest):
        await identity.redeem_magic_link(
            uow, reads, clock, token=token, nonce="n", signup_body=refuse
        )
    redeemed = await identity.redeem_magic_link(
        uow, reads, clock, token=token, nonce="n", signup_body=signup_body
    )
    assert redeemed.created is not None


async def test_sessions_follow_enforced_sso(store: Store, clock: FakeClock) -> None:
    _, acme = await company(store, clock, "Acme", "ada@acme.test")
    ana = await person(store, acme, "ana@acme.test")
    uow = StoreUnitOfWork(store)
    box = FernetBox(Fernet.generate_key())
    opened = await identity.open_session(
        uow,
        clock,
        tenant_id=acme.tenant_id,
        employee_id=ana.id,
        via="google",
        label="",
        dev_login=False,
    )
    fields = sso.SsoFields(
        issuer="https://id.acme.example",
        client_id="c",
        client_secret="s",
        email_domains=("acme.test",),
        enforce=True,
    )
    await sso.save_sso(uow, box, clock, acme, fields)
    with pytest.raises(errors.Unauthenticated):
        await identity.refresh_session(
            uow, clock, session_id=opened.session.id, refresh_token=opened.refresh_token
        )
    with pytest.raises(errors.SsoEnforced):
        await identity.open_session(
            uow,
            clock,
            tenant_id=acme.tenant_id,
            employee_id=ana.id,
            via="google",
            label="",
            dev_login=False,
        )
    by_sso = await identity.open_session(
        uow,
        clock,
        tenant_id=acme.tenant_id,
        employee_id=ana.id,
        via="sso",
        label="",
        dev_login=False,
    )
    session, employee = await identity.refresh_session(
        uow, clock, session_id=by_sso.session.id, refresh_token=by_sso.refresh_token
    )
    assert (session.id, employee.id) == (by_sso.session.id, ana.id)


async def test_sso_domains_are_claimed_and_released(store: Store, clock: FakeClock) -> None:
    _, acme = await company(store, clock, "Acme", "ada@acme.test")
    _, globex = await company(store, clock, "Globex", "gus@globex.test")
    uow, reads = StoreUnitOfWork(store), StoreReads(store)
    box = FernetBox(Fernet.generate_key())

    def fields(*domains: str, secret: str | None = "s") -> sso.SsoFields:
        return sso.SsoFields(
            issuer="https://id.example", client_id="c", client_secret=secret, email_domains=domains
        )

    with pytest.raises(errors.InvalidRequest):
        await sso.save_sso(uow, box, clock, acme, fields("acme.test", secret=None))
    await sso.save_sso(uow, box, clock, acme, fields("acme.test", "acme.example"))
    with pytest.raises(errors.DomainClaimed):
        await sso.save_sso(uow, box, clock, globex, fields("globex.test", "acme.example"))
    assert await reads.sso_tenant_of_domain("globex.test") is None  # nothing of it was kept
    await sso.save_sso(uow, box, clock, acme, fields("acme.test", secret=None))
    assert await reads.sso_tenant_of_domain("acme.example") is None
    await sso.save_sso(uow, box, clock, globex, fields("acme.example"))
    assert await reads.sso_tenant_of_domain("acme.example") == globex.tenant_id
    for_web = await sso.provider_for_web(reads, box, acme.tenant_id)
    assert for_web.client_secret == "s"
    with pytest.raises(errors.NotFound):  # sealed under a key this service lost
        await sso.provider_for_web(reads, FernetBox(Fernet.generate_key()), acme.tenant_id)
    await sso.delete_sso(uow, acme)
    assert await reads.sso_tenant_of_domain("acme.test") is None
    assert await reads.sso_tenant_of_domain("acme.example") == globex.tenant_id


async def test_racing_counter_updates_one_wins(store: Store, clock: FakeClock) -> None:
    _, acme = await company(store, clock, "Acme", "ada@acme.test")
    uow = StoreUnitOfWork(store)
    passkey = await passkeys.register(
        uow,
        clock,
        passkeys.NewPasskey(
            tenant_id=acme.tenant_id,
            employee_id=acme.employee_id,
            credential_id="cred",
            public_key="key",
            sign_count=3,
            name="Phone",
        ),
    )

    async def use() -> str:
        try:
            await passkeys.mark_used(uow, clock, passkey.id, expected_sign_count=3, sign_count=4)
        except errors.CounterMismatch:
            return "stale"
        return "ok"

    outcomes = await asyncio.gather(*(use() for _ in range(5)))
    assert sorted(outcomes) == ["ok"] + ["stale"] * 4
    with pytest.raises(errors.DuplicateCredential):
        await passkeys.register(
            uow,
            clock,
            passkeys.NewPasskey(
                tenant_id=acme.tenant_id,
                employee_id=acme.employee_id,
                credential_id="cred",
                public_key="other",
                sign_count=0,
                name="Clone",
            ),
        )
