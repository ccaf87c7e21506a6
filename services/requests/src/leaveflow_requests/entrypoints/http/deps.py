"""FastAPI dependencies of the requests routes: who calls, and the service-layer objects
`bootstrap.py` put on the app (the unit of work, the read model, the clock)."""

from __future__ import annotations

from typing import Annotated, ClassVar

from fastapi import Depends, Request
from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from leaveflow_kit.auth import CurrentUser, TokenIssuer
from leaveflow_kit.http import Unauthorized
from leaveflow_kit.http.deps import ClockDep, SettingsDep, app_state
from leaveflow_kit.http.service_caller import service_caller

from ...adapters.tenant_signals import TenantSignals
from ...service_layer.commands import Actor
from ...service_layer.ports import ReadModel, SecretBox, ToilCredits, UnitOfWork
from ...service_layer.standing import DirectoryStanding

__all__ = [
    "ActorDep",
    "ClockDep",
    "IssuerDep",
    "ReadModelDep",
    "SecretBoxDep",
    "ServiceCaller",
    "SessionIdDep",
    "SettingsDep",
    "StandingDep",
    "TenantSignalsDep",
    "ToilCreditsDep",
    "UnitOfWorkDep",
]


async def _session_id(user: CurrentUser) -> str | None:
    # Read from the token the route's `ActorDep` verified (FastAPI resolves it once).
    return user.session_id


# The sign-in session of the caller's token (None: a token not from a session).
SessionIdDep = Annotated[str | None, Depends(_session_id)]


async def _actor(request: Request, user: CurrentUser, sid: SessionIdDep) -> Actor:
    # `user.role` is the role the directory gives them now, not the one in their token
    # (the kit's current_user asks `app.state.standing`, a DirectoryStanding); someone who
    # has left was refused there (401).
    if sid is not None:
        # A token from a sign-in session works only while the session does: "sign out"
        # acts at once here, and within a token's 5 minutes on the other services.
        reads: ReadModel = request.app.state.read_model
        session = await reads.sign_in_session(sid)
        if session is None or not session.live:
            raise Unauthorized("this session has ended")
    return Actor(
        tenant_id=user.tenant_id,
        employee_id=user.employee_id,
        role=user.role,
        correlation_id=getattr(request.state, "correlation_id", None),
    )


# The caller as the service layer sees them: tenant, employee, CURRENT role, correlation id.
ActorDep = Annotated[Actor, Depends(_actor)]
UnitOfWorkDep = Annotated[UnitOfWork, Depends(app_state("unit_of_work"))]
ReadModelDep = Annotated[ReadModel, Depends(app_state("read_model"))]
IssuerDep = Annotated[TokenIssuer, Depends(app_state("issuer"))]
TenantSignalsDep = Annotated[TenantSignals, Depends(app_state("tenant_signals"))]
StandingDep = Annotated[DirectoryStanding, Depends(app_state("standing"))]
SecretBoxDep = Annotated[SecretBox, Depends(app_state("secret_box"))]
ToilCreditsDep = Annotated[ToilCredits, Depends(app_state("toil_credits"))]


class ServiceSecretSettings(BaseSettings):
    SERVICE: ClassVar[str] = "requests"
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


# For `dependencies=[ServiceCaller]` on the routes only Leaveflow services call.
ServiceCaller = service_caller(_configured_secret)
