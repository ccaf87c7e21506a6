"""Policies API and the admin's hand on balances: policies per location and leave type,
personal allowance overrides, and manual adjustments."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response

from leaveflow_kit.auth import CurrentUser
from leaveflow_kit.http import NotFound, Unprocessable
from leaveflow_kit.http.paging import Page

from ...domain.replicas import AllowanceOverride
from ...service_layer import admin, queries
from .access import require_admin
from .deps import ReadModelDep, SettingsDep, UnitOfWorkDep
from .schemas import (
    FIRST_DAY,
    LAST_DAY,
    AdjustmentIn,
    EntryOut,
    OverrideIn,
    OverrideOut,
    PageOut,
    PolicyIn,
    PolicyOut,
    num,
)

router = APIRouter(tags=["balances"])


@router.put(
    "/v1/policies/{location_id}/{leave_type_id}",
    responses={404: {"description": "a location or leave type the tenant does not have"}},
)
async def put_policy(
    location_id: str,
    leave_type_id: str,
    body: PolicyIn,
    user: CurrentUser,
    reads: ReadModelDep,
    uow: UnitOfWorkDep,
    settings: SettingsDep,
) -> PolicyOut:
    """Set how a leave type is granted at a location (admin); announces PolicyUpserted.

    A location or leave type the tenant does not have (another tenant's, or none at all)
    answers 404 and announces nothing. One created a moment ago is waited for a few
    seconds: the directory's event may still be on its way."""
    require_admin(user)
    if await reads.owned_by_another_tenant(
        user.tenant_id, location_id=location_id, leave_type_id=leave_type_id
    ) or not await queries.directory_knows(
        reads,
        user.tenant_id,
        location_id=location_id,
        leave_type_id=leave_type_id,
        grace=settings.directory_grace_seconds,
    ):
        raise NotFound("no such location or leave type")
    policy = body.policy(user.tenant_id, location_id, leave_type_id)
    return PolicyOut.of(await admin.put_policy(uow, policy, user.employee_id))


@router.delete("/v1/policies/{location_id}/{leave_type_id}", status_code=204)
async def delete_policy(
    location_id: str, leave_type_id: str, user: CurrentUser, uow: UnitOfWorkDep
) -> Response:
    """Withdraw a policy (admin): the type is no longer available at the location."""
    require_admin(user)
    if not await admin.remove_policy(
        uow, user.tenant_id, location_id, leave_type_id, user.employee_id
    ):
        raise NotFound("no such policy")
    return Response(status_code=204)


@router.get("/v1/policies")
async def list_policies(
    user: CurrentUser,
    reads: ReadModelDep,
    page: Page,
    location_id: str | None = None,
    leave_type_id: str | None = None,
) -> PageOut[PolicyOut]:
    """The tenant's active policies (everyone in the tenant may read them)."""
    policies, cursor = await queries.policies_page(
        reads,
        user.tenant_id,
        location_id=location_id,
        leave_type_id=leave_type_id,
        limit=page.limit,
        cursor=page.cursor,
    )
    return PageOut(items=[PolicyOut.of(p) for p in policies], next_cursor=cursor)


@router.put("/v1/allowance-overrides/{employee_id}/{leave_type_id}/{year}")
async def put_override(
    employee_id: str,
    leave_type_id: str,
    year: Annotated[int, Path(ge=FIRST_DAY.year, le=LAST_DAY.year)],
    body: OverrideIn,
    user: CurrentUser,
    reads: ReadModelDep,
    uow: UnitOfWorkDep,
) -> OverrideOut:
    """A personal annual allowance for one leave type and leave year (admin)."""
    require_admin(user)
    if await reads.employee(user.tenant_id, employee_id) is None:
        raise NotFound("no such employee")
    override = AllowanceOverride(
        user.tenant_id, employee_id, leave_type_id, year, body.annual_allowance
    )
    await admin.put_override(uow, override)
    return OverrideOut(
        employee_id=employee_id,
        leave_type_id=leave_type_id,
        year=year,
        annual_allowance=num(body.annual_allowance),
    )


@router.post("/v1/adjustments", status_code=201)
async def create_adjustment(
    body: AdjustmentIn, user: CurrentUser, reads: ReadModelDep, uow: UnitOfWorkDep
) -> EntryOut:
    """Add or remove days by hand (admin); negative amounts allowed."""
    require_admin(user)
    if await reads.employee(user.tenant_id, body.employee_id) is None:
        raise NotFound("no such employee")
    if await reads.leave_type(user.tenant_id, body.leave_type_id) is None:
        raise Unprocessable("unknown leave type", field="leave_type_id")
    entry = await admin.adjust(
        uow,
        tenant_id=user.tenant_id,
        actor_id=user.employee_id,
        employee_id=body.employee_id,
        leave_type_id=body.leave_type_id,
        amount=body.amount,
        reason=body.reason,
        effective_date=body.effective_date,
    )
    return EntryOut.of(entry)
