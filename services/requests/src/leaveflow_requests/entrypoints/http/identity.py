"""Sign-in routes only the web calls (`Service` auth, not in the public contract; listed
in docs/security.md): who an email is, a company's provider, sessions, magic links and
passkeys (docs/adr/0009)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import ValidationError

from leaveflow_kit.auth import Principal

from ...domain import errors
from ...domain.identity import ACCESS_TOKEN_TTL_SECONDS
from ...service_layer import identity, passkeys, sso
from ...service_layer.commands import CreateTenant
from .deps import (
    ClockDep,
    IssuerDep,
    ReadModelDep,
    SecretBoxDep,
    ServiceCaller,
    SettingsDep,
    UnitOfWorkDep,
)
from .schemas import (
    CompanyOut,
    CredentialIn,
    DomainSsoOut,
    EmailIn,
    LookupOut,
    MagicLinkIn,
    MagicLinkOut,
    PasskeyCreatedOut,
    PasskeyFoundOut,
    PasskeyIn,
    PasskeyUsedIn,
    PasskeyUsedOut,
    RedeemedSignInOut,
    RedeemedSignupOut,
    RedeemIn,
    RefreshedOut,
    RefreshIn,
    SessionIn,
    SessionOpenedOut,
    SsoForWebOut,
    TenantCreatedOut,
    TenantIn,
    TenantRefIn,
)

router = APIRouter(tags=["sign-in"], dependencies=[ServiceCaller], include_in_schema=False)


def _companies(found: list[identity.Company]) -> list[CompanyOut]:
    return [CompanyOut.model_validate(c.__dict__) for c in found]


@router.post("/v1/auth/lookup")
async def lookup(body: EmailIn, reads: ReadModelDep, clock: ClockDep) -> LookupOut:
    """The email's domain SSO (any caller may see it) and its companies (the web shows
    them only once the email is proven)."""
    found = await identity.lookup(reads, clock, body.email)
    return LookupOut(
        domain_sso=[DomainSsoOut.model_validate(d.__dict__) for d in found.domain_sso],
        companies=_companies(found.companies),
    )


def _access_token(issuer: IssuerDep, principal: Principal, via: str, session_id: str) -> str:
    return issuer.issue(principal, ttl_seconds=ACCESS_TOKEN_TTL_SECONDS, via=via, sid=session_id)


@router.post("/v1/auth/sessions", status_code=201)
async def open_session(
    body: SessionIn,
    uow: UnitOfWorkDep,
    clock: ClockDep,
    issuer: IssuerDep,
    settings: SettingsDep,
) -> SessionOpenedOut:
    """A session for a person the web has proven: a refresh token (kept by the web) and a
    first 5-minute access token carrying the session id (`sid`)."""
    opened = await identity.open_session(
        uow,
        clock,
        tenant_id=body.tenant_id,
        employee_id=body.employee_id,
        via=body.via,
        label=body.label,
        dev_login=settings.dev_login,
    )
    employee = opened.employee
    principal = Principal(tenant_id=employee.tenant_id, employee_id=employee.id, role=employee.role)
    return SessionOpenedOut(
        session_id=opened.session.id,
        refresh_token=opened.refresh_token,
        token=_access_token(issuer, principal, body.via, opened.session.id),
        expires_in=ACCESS_TOKEN_TTL_SECONDS,
        employee_id=employee.id,
        role=employee.role,
    )


@router.post("/v1/auth/sessions/refresh")
async def refresh_session(
    body: RefreshIn, uow: UnitOfWorkDep, clock: ClockDep, issuer: IssuerDep
) -> RefreshedOut:
    """A new access token with the person's role now; 401 once the session has ended."""
    session, employee = await identity.refresh_session(
        uow, clock, session_id=body.session_id, refresh_token=body.refresh_token
    )
    principal = Principal(tenant_id=employee.tenant_id, employee_id=employee.id, role=employee.role)
    return RefreshedOut(
        token=_access_token(issuer, principal, session.via, session.id),
        expires_in=ACCESS_TOKEN_TTL_SECONDS,
        employee_id=employee.id,
        role=employee.role,
    )


def _signup_open(settings: SettingsDep) -> None:
    if settings.signup_open is False:
        raise errors.NotFound("signup is closed")


@router.post("/v1/auth/magic-links")
async def request_magic_link(
    body: MagicLinkIn,
    uow: UnitOfWorkDep,
    reads: ReadModelDep,
    clock: ClockDep,
    settings: SettingsDep,
) -> MagicLinkOut:
    """A single-use link token for the web to mail (null: nobody to sign in), and the
    companies whose mail server may carry it. Only the token's digest is kept."""
    signup = None
    if body.signup is not None:
        _signup_open(settings)
        signup = CreateTenant(**body.signup.model_dump())
    token, tenant_ids = await identity.request_magic_link(
        uow,
        reads,
        clock,
        email=body.email,
        nonce_hash=body.nonce_hash,
        purpose=body.purpose,
        signup=signup,
    )
    return MagicLinkOut(token=token, tenant_ids=tenant_ids)


def _stored_signup(stored: dict[str, Any]) -> CreateTenant:
    # Validated again as a signup body now: a stored body the rules no longer accept is
    # refused (422) and the link stays unused.
    try:
        return CreateTenant(**TenantIn.model_validate(stored).model_dump())
    except ValidationError as exc:
        fields = ", ".join(sorted({".".join(map(str, e["loc"])) for e in exc.errors()}))
        raise errors.InvalidRequest(
            f"the stored signup is no longer valid ({fields}): sign up again", field="signup"
        ) from None


@router.post("/v1/auth/magic-links/redeem")
async def redeem_magic_link(
    body: RedeemIn,
    uow: UnitOfWorkDep,
    reads: ReadModelDep,
    clock: ClockDep,
    issuer: IssuerDep,
    settings: SettingsDep,
) -> RedeemedSignInOut | RedeemedSignupOut:
    """Use a link, once, from the browser that asked for it. sign_in: the companies the
    person may enter now; signup: the company is created now."""
    redeemed = await identity.redeem_magic_link(
        uow,
        reads,
        clock,
        token=body.token,
        nonce=body.nonce,
        signup_body=_stored_signup,
        signup_first_only=settings.signup_open == "first",
        signup_closed=settings.signup_open is False,
    )
    if redeemed.created is None:
        return RedeemedSignInOut(
            purpose="sign_in", email=redeemed.email, companies=_companies(redeemed.companies)
        )
    tenant, admin = redeemed.created
    token = issuer.issue(Principal(tenant_id=tenant.id, employee_id=admin.id, role="admin"))
    return RedeemedSignupOut(
        purpose="signup",
        email=redeemed.email,
        created=TenantCreatedOut(tenant_id=tenant.id, admin_id=admin.id, token=token),
    )


@router.post("/v1/auth/sso")
async def provider_for_web(
    body: TenantRefIn, reads: ReadModelDep, box: SecretBoxDep
) -> SsoForWebOut:
    """The company's OpenID Connect provider with its client secret, for the web's client
    (the only answer that carries the secret); 404 when it has none."""
    found = await sso.provider_for_web(reads, box, body.tenant_id)
    config = found.config
    return SsoForWebOut(
        tenant_id=found.tenant.id,
        company=found.tenant.name,
        issuer=config.issuer,
        client_id=config.client_id,
        client_secret=found.client_secret,
        email_domains=config.email_domains,
        enforce=config.enforce,
    )


@router.post("/v1/auth/passkeys", status_code=201)
async def register_passkey(
    body: PasskeyIn, uow: UnitOfWorkDep, clock: ClockDep
) -> PasskeyCreatedOut:
    """Keep a credential the web has verified at registration; 409 if it exists."""
    cmd = passkeys.NewPasskey(**{**body.model_dump(), "transports": tuple(body.transports)})
    passkey = await passkeys.register(uow, clock, cmd)
    return PasskeyCreatedOut(id=passkey.id, name=passkey.name, created_at=passkey.created_at)


@router.post("/v1/auth/passkeys/find")
async def find_passkey(body: CredentialIn, reads: ReadModelDep, clock: ClockDep) -> PasskeyFoundOut:
    """The credential to verify an assertion against, and its owner's email (for the web's
    header); 404 for one unknown, removed, or of someone who has left."""
    passkey, owner = await passkeys.find(reads, clock, body.credential_id)
    return PasskeyFoundOut(
        id=passkey.id,
        tenant_id=passkey.tenant_id,
        employee_id=passkey.employee_id,
        email=owner.email,
        public_key=passkey.public_key,
        sign_count=passkey.sign_count,
    )


@router.post("/v1/auth/passkeys/{passkey_id}/used")
async def passkey_used(
    passkey_id: str, body: PasskeyUsedIn, uow: UnitOfWorkDep, clock: ClockDep
) -> PasskeyUsedOut:
    """Move the signature counter by compare-and-set: 409 when it is no longer
    `expected_sign_count` (another sign-in with this credential got there first)."""
    passkey = await passkeys.mark_used(
        uow,
        clock,
        passkey_id,
        expected_sign_count=body.expected_sign_count,
        sign_count=body.sign_count,
    )
    return PasskeyUsedOut(id=passkey.id, sign_count=passkey.sign_count)
