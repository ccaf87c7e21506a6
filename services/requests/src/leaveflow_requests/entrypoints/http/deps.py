"""FastAPI dependencies of the requests routes: who calls, and the service-layer objects
`bootstrap.py` put on the app (the unit of work, the read model, the clock)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from leaveflow_kit.auth import CurrentUser, TokenIssuer
from leaveflow_kit.http.deps import ClockDep, SettingsDep, app_state

from ...adapters.tenant_signals import TenantSignals
from ...service_layer.commands import Actor
from ...service_layer.ports import ReadModel, UnitOfWork
from ...service_layer.standing import DirectoryStanding

__all__ = [
    "ActorDep",
    "ClockDep",
    "IssuerDep",
    "ReadModelDep",
    "SettingsDep",
    "StandingDep",
    "TenantSignalsDep",
    "UnitOfWorkDep",
]


async def _actor(request: Request, user: CurrentUser) -> Actor:
    # `user.role` is the role the directory gives them now, not the one in their token
    # (the kit's current_user asks `app.state.standing`, a DirectoryStanding); someone who
    # has left was refused there (401).
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
