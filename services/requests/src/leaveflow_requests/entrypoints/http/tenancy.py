"""Tenancy API: sign up a company, log in (development), publish the token keys."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from leaveflow_kit.auth import Principal
from leaveflow_kit.http import Forbidden, NotFound
from leaveflow_kit.http.limits import json_field, rate_limited

from ...service_layer import directory, queries
from ...service_layer.commands import CreateTenant
from .deps import ClockDep, IssuerDep, ReadModelDep, SettingsDep, UnitOfWorkDep
from .schemas import DevLoginIn, JwksOut, TenantCreatedOut, TenantIn, TokenOut

router = APIRouter(tags=["tenancy"])

# Public sign-up and sign-in are rate limited per address and per account (429 +
# Retry-After; figures in LEAVEFLOW_RATE_LIMITS).
RATE_LIMITED: dict[int | str, dict[str, Any]] = {429: {"description": "Too many requests"}}
SIGNUP_REFUSALS: dict[int | str, dict[str, Any]] = {
    **RATE_LIMITED,
    409: {"description": "The email is another company's admin (email-in-use)"},
}


@router.post(
    "/v1/tenants",
    status_code=201,
    dependencies=[rate_limited("signup", account=json_field("admin_email"))],
    responses=SIGNUP_REFUSALS,
)
async def create_tenant(
    body: TenantIn, settings: SettingsDep, uow: UnitOfWorkDep, issuer: IssuerDep, clock: ClockDep
) -> TenantCreatedOut:
    """Sign up a company: creates the tenant and its first admin (public while signup is open;
    with `LEAVEFLOW_SIGNUP_OPEN=first`, until the first company exists). The email of
    another company's active admin is refused (409 `email-in-use`): a second company for
    the same person is confirmed by a link sent to that address."""
    mode = settings.signup_open
    if mode is False:
        raise NotFound("signup is closed")
    tenant, admin = await directory.create_tenant(
        uow, CreateTenant(**body.model_dump()), first_only=mode == "first", clock=clock
    )
    token = issuer.issue(Principal(tenant_id=tenant.id, employee_id=admin.id, role="admin"))
    return TenantCreatedOut(tenant_id=tenant.id, admin_id=admin.id, token=token)


@router.post(
    "/v1/auth/dev-login",
    dependencies=[rate_limited("signin", account=json_field("tenant_id", "email"))],
    responses=RATE_LIMITED,
)
async def dev_login(
    body: DevLoginIn,
    settings: SettingsDep,
    uow: UnitOfWorkDep,
    issuer: IssuerDep,
    reads: ReadModelDep,
    clock: ClockDep,
) -> TokenOut:
    """Log in as any employee by email (development only; 404 when disabled); 403 for
    someone whose last day is behind them."""
    if not settings.dev_login:
        raise NotFound("dev login is disabled")
    employee = await directory.find_login(uow, body.tenant_id, body.email)
    if await queries.employee_has_left(reads, clock, employee):
        raise Forbidden("this person no longer works here")
    principal = Principal(tenant_id=employee.tenant_id, employee_id=employee.id, role=employee.role)
    return TokenOut(token=issuer.issue(principal), employee_id=employee.id, role=employee.role)


@router.get("/.well-known/jwks.json")
async def jwks(issuer: IssuerDep) -> JwksOut:
    """Public keys that verify Leaveflow tokens."""
    return JwksOut.model_validate(issuer.jwks())
