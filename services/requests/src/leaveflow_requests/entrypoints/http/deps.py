"""FastAPI dependencies of the requests routes: who calls, and the service-layer objects
`bootstrap.py` put on the app (the unit of work, the read model, the clock)."""

from __future__ import annotations

from typing import Annotated

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


async def _unit_of_work(request: Request) -> UnitOfWork:
    uow: UnitOfWork = request.app.state.unit_of_work
    return uow


async def _read_model(request: Request) -> ReadModel:
    reads: ReadModel = request.app.state.read_model
    return reads


async def _clock(request: Request) -> Clock:
    clock: Clock = request.app.state.clock
    return clock


async def _issuer(request: Request) -> TokenIssuer:
    issuer: TokenIssuer = request.app.state.issuer
    return issuer


async def _settings(request: Request) -> ServiceSettings:
    settings: ServiceSettings = request.app.state.settings
    return settings


async def _tenant_signals(request: Request) -> TenantSignals:
    signals: TenantSignals = request.app.state.tenant_signals
    return signals


# The caller as the service layer sees them: tenant, employee, role, correlation id.
ActorDep = Annotated[Actor, Depends(_actor)]
UnitOfWorkDep = Annotated[UnitOfWork, Depends(_unit_of_work)]
ReadModelDep = Annotated[ReadModel, Depends(_read_model)]
ClockDep = Annotated[Clock, Depends(_clock)]
IssuerDep = Annotated[TokenIssuer, Depends(_issuer)]
SettingsDep = Annotated[ServiceSettings, Depends(_settings)]
TenantSignalsDep = Annotated[TenantSignals, Depends(_tenant_signals)]
