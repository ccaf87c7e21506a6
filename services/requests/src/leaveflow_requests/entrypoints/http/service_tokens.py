"""Short-lived tokens for Leaveflow's own chat integrations, acting as one employee.

The notifications service turns a Slack or Teams user (or a signed email link) into an
employee, then calls the public API *as that employee*, so chat commands and buttons obey
exactly the API's permission rules. It proves it is a Leaveflow service with a shared
secret (`LEAVEFLOW_SERVICE_SECRET`); without one configured the endpoint does not exist.
"""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field, model_validator

from leaveflow_kit.auth import Principal
from leaveflow_kit.http import NotFound

from ...service_layer import queries
from .deps import ClockDep, IssuerDep, ReadModelDep, ServiceCaller
from .schemas import TokenOut

router = APIRouter()

SERVICE_TOKEN_TTL_SECONDS = 300


class ServiceTokenIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    tenant_id: str = Field(min_length=1, max_length=100)
    # One of the two: chat integrations know the employee, single sign-on knows the email.
    employee_id: str | None = Field(None, min_length=1, max_length=100)
    email: str | None = Field(None, min_length=3, max_length=320)
    via: str = Field("chat", pattern="^(slack|teams|email|link|chat|digest|web)$")

    @model_validator(mode="after")
    def _one_key(self) -> ServiceTokenIn:
        if (self.employee_id is None) == (self.email is None):
            raise ValueError("give exactly one of employee_id and email")
        return self


@router.post(
    "/v1/auth/service-token",
    tags=["tenancy"],
    include_in_schema=False,
    dependencies=[ServiceCaller],
)
async def service_token(
    body: ServiceTokenIn, reads: ReadModelDep, issuer: IssuerDep, clock: ClockDep
) -> TokenOut:
    """A 5-minute token for (tenant, employee) with the employee's current role."""
    employee = (
        await reads.employee(body.tenant_id, body.employee_id)
        if body.employee_id is not None
        else await queries.get_employee_by_email(reads, body.tenant_id, body.email or "")
    )
    if employee is None or await queries.employee_has_left(reads, clock, employee):
        raise NotFound("no such employee")
    principal = Principal(tenant_id=employee.tenant_id, employee_id=employee.id, role=employee.role)
    token = issuer.issue(principal, ttl_seconds=SERVICE_TOKEN_TTL_SECONDS, via=body.via)
    return TokenOut(token=token, employee_id=employee.id, role=employee.role)
