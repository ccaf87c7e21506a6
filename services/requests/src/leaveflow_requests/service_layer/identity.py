"""Sign-in use cases: who an email is, sessions, and magic links (docs/adr/0009).

The web proves who someone is (a provider's verified email, a magic link, a passkey)
and then asks for a session here; this service decides whether that person may come in
by that way (still employed, the company's enforced single sign-on) and keeps the state
(sessions, single-use links) so that the web stays stateless.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from leaveflow_contracts import new_id

from ..domain import errors
from ..domain.directory import Employee, Tenant
from ..domain.identity import MagicLink, SignInSession, digest, email_domain, may_sign_in
from . import directory, queries
from .commands import Actor, CreateTenant
from .ports import Clock, ReadModel, Repository, UnitOfWork

__all__ = [
    "Company",
    "DomainSso",
    "Lookup",
    "OpenedSession",
    "Redeemed",
    "companies_of",
    "list_sessions",
    "lookup",
    "open_session",
    "redeem_magic_link",
    "refresh_session",
    "request_magic_link",
    "revoke_all_sessions",
    "revoke_session",
]


def _new_secret() -> str:
    return secrets.token_urlsafe(32)


@dataclass(frozen=True)
class Company:
    """A company where the email is an active person, and how it lets them in."""

    tenant_id: str
    company: str
    employee_id: str
    role: str
    enforce_sso: bool


@dataclass(frozen=True)
class DomainSso:
    """A company whose single sign-on lists the email's domain."""

    tenant_id: str
    company: str
    enforce: bool


@dataclass(frozen=True)
class Lookup:
    domain_sso: list[DomainSso]
    companies: list[Company]


async def companies_of(reads: ReadModel, clock: Clock, email: str) -> list[Company]:
    """The companies where `email` (normalised) is a person who has not left, by name."""
    found = []
    for employee in await reads.employees_with_email(email):
        tenant = await reads.tenant(employee.tenant_id)
        if tenant is None or await queries.employee_has_left(reads, clock, employee):
            continue
        sso = await reads.sso_config(tenant.id)
        found.append(
            Company(
                tenant_id=tenant.id,
                company=tenant.name,
                employee_id=employee.id,
                role=employee.role,
                enforce_sso=bool(sso and sso.enforce),
            )
        )
    return sorted(found, key=lambda c: (c.company.lower(), c.tenant_id))


async def lookup(reads: ReadModel, clock: Clock, email: str) -> Lookup:
    """What the web may offer for `email`: the domain's company SSO (safe to show to
    anyone who types the address) and, for after the email is proven, its companies."""
    domain_sso = []
    tenant_id = await reads.sso_tenant_of_domain(email_domain(email))
    sso = await reads.sso_config(tenant_id) if tenant_id else None
    tenant = await reads.tenant(tenant_id) if tenant_id else None
    if sso is not None and tenant is not None:
        domain_sso.append(DomainSso(tenant_id=tenant.id, company=tenant.name, enforce=sso.enforce))
    return Lookup(domain_sso=domain_sso, companies=await companies_of(reads, clock, email))


# --- sessions ----------------------------------------------------------------------------


@dataclass(frozen=True)
class OpenedSession:
    session: SignInSession
    refresh_token: str  # given to the web once; only its digest is kept
    employee: Employee


async def _signed_in_person(
    repo: Repository, clock: Clock, tenant_id: str, employee_id: str
) -> Employee | None:
    employee = await repo.employee(tenant_id, employee_id)
    if employee is None or await queries.employee_has_left(repo, clock, employee):
        return None
    return employee


async def _enforced(repo: Repository, tenant_id: str) -> bool:
    sso = await repo.sso_config(tenant_id)
    return bool(sso and sso.enforce)


async def open_session(
    uow: UnitOfWork,
    clock: Clock,
    *,
    tenant_id: str,
    employee_id: str,
    via: str,
    label: str,
    dev_login: bool,
) -> OpenedSession:
    """A new session for someone the web has proven by `via`: 404 for an unknown person
    or one who has left, 403 (`SsoEnforced`) when their company allows no such way in."""
    if via == "dev" and not dev_login:
        raise errors.NotFound("dev login is disabled")
    refresh_token = _new_secret()
    session_id = new_id()

    async def work(repo: Repository) -> OpenedSession:
        employee = await _signed_in_person(repo, clock, tenant_id, employee_id)
        if employee is None:
            raise errors.NotFound("no such employee")
        enforced = await _enforced(repo, tenant_id)
        if not may_sign_in(via=via, role=employee.role, enforce_sso=enforced):
            raise errors.SsoEnforced("this company signs in with its own single sign-on only")
        now = clock.now()
        session = SignInSession(
            id=session_id,
            tenant_id=tenant_id,
            employee_id=employee.id,
            via=via,
            label=label,
            refresh_hash=digest(refresh_token),
            created_at=now,
            last_used_at=now,
        )
        await repo.save_session(session)
        return OpenedSession(session=session, refresh_token=refresh_token, employee=employee)

    return await uow.run(work)


async def refresh_session(
    uow: UnitOfWork, clock: Clock, *, session_id: str, refresh_token: str
) -> tuple[SignInSession, Employee]:
    """The session and the person now (their current role), or 401 when the session is
    unknown or revoked, the token wrong, the person gone, or the way they came in is no
    longer allowed (their company has since enforced its single sign-on)."""
    ended = errors.Unauthenticated("this session has ended")

    async def work(repo: Repository) -> tuple[SignInSession, Employee]:
        session = await repo.sign_in_session(session_id)
        if session is None:
            raise ended
        session.refresh(refresh_token, clock.now())
        employee = await _signed_in_person(repo, clock, session.tenant_id, session.employee_id)
        if employee is None:
            raise ended
        enforced = await _enforced(repo, session.tenant_id)
        if not may_sign_in(via=session.via, role=employee.role, enforce_sso=enforced):
            raise ended
        await repo.save_session(session)
        return session, employee

    return await uow.run(work)


async def list_sessions(reads: ReadModel, actor: Actor) -> list[SignInSession]:
    """The caller's live sessions, newest first."""
    sessions = await reads.sessions_of(actor.tenant_id, actor.employee_id)
    return sorted((s for s in sessions if s.live), key=lambda s: (s.created_at, s.id), reverse=True)


async def revoke_session(uow: UnitOfWork, clock: Clock, actor: Actor, session_id: str) -> None:
    """End one of the caller's own sessions (anyone else's reads as absent: 404)."""

    async def work(repo: Repository) -> None:
        session = await repo.sign_in_session(session_id)
        if (
            session is None
            or not session.live
            or (session.tenant_id, session.employee_id) != (actor.tenant_id, actor.employee_id)
        ):
            raise errors.NotFound("no such session")
        session.revoke(clock.now())
        await repo.save_session(session)

    await uow.run(work)


async def revoke_all_sessions(uow: UnitOfWork, clock: Clock, actor: Actor) -> int:
    """Sign out everywhere: every live session of the caller, this one included."""

    async def work(repo: Repository) -> int:
        revoked = 0
        for session in await repo.sessions_of(actor.tenant_id, actor.employee_id):
            if session.live:
                session.revoke(clock.now())
                await repo.save_session(session)
                revoked += 1
        return revoked

    return await uow.run(work)


# --- magic links -------------------------------------------------------------------------


async def request_magic_link(
    uow: UnitOfWork,
    reads: ReadModel,
    clock: Clock,
    *,
    email: str,
    nonce_hash: str,
    purpose: str,
    signup: CreateTenant | None = None,
) -> tuple[str | None, list[str]]:
    """A new link for `email` and the companies whose mail server may carry it.

    sign_in: no token (None) when no company would let this person in by a link, so no
    mail goes out; the web answers the same either way. signup: always a token (it
    confirms a second company for an address that already runs one)."""
    if purpose == "signup":
        if signup is None:
            raise errors.InvalidRequest("a signup link needs the signup", field="signup")
        if signup.admin_email != email:
            raise errors.InvalidRequest("the signup's admin_email is the email", field="signup")
        companies = [c for c in await companies_of(reads, clock, email) if c.role == "admin"]
        body: dict[str, Any] | None = {**signup.__dict__}
    else:
        companies = [
            c
            for c in await companies_of(reads, clock, email)
            if may_sign_in(via="magic_link", role=c.role, enforce_sso=c.enforce_sso)
        ]
        if not companies:
            return None, []
        body = None
    token = _new_secret()
    link = MagicLink.issue(
        token, email=email, nonce_hash=nonce_hash, purpose=purpose, now=clock.now(), signup=body
    )

    async def work(repo: Repository) -> None:
        await repo.save_magic_link(link)

    await uow.run(work)
    return token, [c.tenant_id for c in companies]


@dataclass(frozen=True)
class Redeemed:
    purpose: str
    email: str
    # sign_in: where the person may now go in (by name, for the chooser).
    companies: list[Company]
    # signup: the company made now, and its admin.
    created: tuple[Tenant, Employee] | None = None


async def redeem_magic_link(
    uow: UnitOfWork,
    reads: ReadModel,
    clock: Clock,
    *,
    token: str,
    nonce: str,
    signup_body: Callable[[dict[str, Any]], CreateTenant],
    signup_first_only: bool = False,
    signup_closed: bool = False,
) -> Redeemed:
    """Use a link up, once: 404 unknown, 410 used or expired, 401 from another browser
    (then it stays usable). A signup link (404 while signup is closed) creates its company
    in the same transaction, from the stored body as `signup_body` reads it now (422 if it
    no longer passes)."""
    link_id = digest(token)

    async def work(repo: Repository) -> Redeemed:
        link = await repo.magic_link(link_id)
        if link is None:
            raise errors.NotFound("no such link")
        if link.purpose == "signup" and signup_closed:
            raise errors.NotFound("signup is closed")
        link.redeem(nonce, clock.now())
        await repo.save_magic_link(link)
        if link.purpose != "signup":
            return Redeemed(purpose=link.purpose, email=link.email, companies=[])
        cmd = signup_body(link.signup or {})
        tenant, admin = directory.new_tenant(cmd)
        await directory.add_tenant(repo, tenant, admin, first_only=signup_first_only)
        return Redeemed(purpose="signup", email=link.email, companies=[], created=(tenant, admin))

    redeemed = await directory.run_signup(uow, work, first_only=signup_first_only)
    if redeemed.purpose == "signup":
        return redeemed
    allowed = [
        c
        for c in await companies_of(reads, clock, redeemed.email)
        if may_sign_in(via="magic_link", role=c.role, enforce_sso=c.enforce_sso)
    ]
    return Redeemed(purpose=redeemed.purpose, email=redeemed.email, companies=allowed)
