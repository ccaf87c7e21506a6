"""Taking back a cancelled claim's time off in lieu: a route only the requests service
calls (`authorization: Service <LEAVEFLOW_SERVICE_SECRET>`), before it cancels an
approved claim, so that a credit leave has used already is refused with a sentence (409)
rather than cancelled behind the balance's back. Without a service secret configured the
route does not exist (404)."""

from __future__ import annotations

from typing import ClassVar

from fastapi import APIRouter, Request
from pydantic import AliasChoices, BaseModel, ConfigDict, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from leaveflow_kit.http import Conflict
from leaveflow_kit.http.service_caller import service_caller

from ...service_layer import toil
from .deps import UnitOfWorkDep

router = APIRouter(tags=["balances"])


class ServiceSecretSettings(BaseSettings):
    SERVICE: ClassVar[str] = "balances"
    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)
    service_secret: SecretStr | None = Field(
        None, validation_alias=AliasChoices("LEAVEFLOW_SERVICE_SECRET")
    )


def _configured_secret(request: Request) -> str | None:
    cached: ServiceSecretSettings | None = getattr(request.app.state, "service_secret", None)
    if cached is None:
        cached = ServiceSecretSettings()
        request.app.state.service_secret = cached
    secret = cached.service_secret
    return secret.get_secret_value() if secret and secret.get_secret_value() else None


ServiceCaller = service_caller(_configured_secret)


class TakeBackIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    tenant_id: str = Field(min_length=1, max_length=100)
    employee_id: str = Field(min_length=1, max_length=100)
    # Who cancels the claim (on the reversal's ledger entry).
    cancelled_by: str = Field(min_length=1, max_length=100)


class TakenBackOut(BaseModel):
    toil_id: str
    # False: it had been taken back already (a retry).
    taken_back_now: bool


@router.post(
    "/internal/toil-credits/{toil_id}/take-back",
    include_in_schema=False,
    dependencies=[ServiceCaller],
)
async def take_back(toil_id: str, body: TakeBackIn, uow: UnitOfWorkDep) -> TakenBackOut:
    """Book the opposite of the claim's credit (once) → 200; 409 with a sentence while
    approved leave uses any of it, or before the credit is booked."""
    try:
        now = await toil.take_back(
            uow,
            tenant_id=body.tenant_id,
            employee_id=body.employee_id,
            toil_id=toil_id,
            asked_by=body.cancelled_by,
        )
    except toil.CreditNotTakenBack as why:
        raise Conflict(str(why)) from None
    return TakenBackOut(toil_id=toil_id, taken_back_now=now)
