"""FastAPI dependencies of the requests routes: who calls, and the service-layer objects
`bootstrap.py` put on the app (the unit of work, the read model, the clock)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import Depends, Request

from leaveflow_kit.auth import CurrentUser, TokenIssuer
from leaveflow_kit.settings import ServiceSettings

from ...adapters.tenant_signals import TenantSignals
from ...service_layer.commands import Actor
from ...service_layer.ports import Clock, ReadModel, UnitOfWork


async def _actor(request: Request, user: CurrentUser) -> Actor:
    return Actor(
        tenant_id=user.tenant_id,
        employee_id=user.employee_id,
        role=user.role,
        correlation_id=getattr(request.state, "correlation_id", None),
    )


def _app_state(name: str) -> Callable[[Request], Awaitable[Any]]:
    """What bootstrap.py set as `app.state.<name>` (async: a sync one costs a thread hop)."""

    async def get(request: Request) -> Any:
        return getattr(request.app.state, name)

    return get


# The caller as the service layer sees them: tenant, employee, role, correlation id.
ActorDep = Annotated[Actor, Depends(_actor)]
UnitOfWorkDep = Annotated[UnitOfWork, Depends(_app_state("unit_of_work"))]
ReadModelDep = Annotated[ReadModel, Depends(_app_state("read_model"))]
ClockDep = Annotated[Clock, Depends(_app_state("clock"))]
IssuerDep = Annotated[TokenIssuer, Depends(_app_state("issuer"))]
SettingsDep = Annotated[ServiceSettings, Depends(_app_state("settings"))]
TenantSignalsDep = Annotated[TenantSignals, Depends(_app_state("tenant_signals"))]
