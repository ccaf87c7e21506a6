"""Blackout periods API (issue 17): leave refused ("block") or flagged to approvers
("warn") in a range of dates, for some locations, departments or leave types."""

from __future__ import annotations

from datetime import date
from typing import Literal

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field

from ...domain.blackouts import Blackout
from ...service_layer import blackouts
from .deps import ActorDep, ReadModelDep, UnitOfWorkDep
from .schemas import Id, LeaveDate, TypeName, _In

router = APIRouter(tags=["blackouts"])

Ids = list[Id]


class BlackoutIn(_In):
    name: TypeName
    start_date: LeaveDate
    end_date: LeaveDate
    mode: Literal["block", "warn"] = "block"
    location_ids: Ids = Field(default_factory=list, max_length=200)
    department_ids: Ids = Field(default_factory=list, max_length=200)
    leave_type_ids: Ids = Field(default_factory=list, max_length=200)


class BlackoutOut(BaseModel):
    id: str
    name: str
    start_date: date
    end_date: date
    mode: str
    location_ids: list[str]
    department_ids: list[str]
    leave_type_ids: list[str]
    created_by: str | None

    @classmethod
    def of(cls, b: Blackout) -> BlackoutOut:
        return cls(
            id=b.id,
            name=b.name,
            start_date=b.start_date,
            end_date=b.end_date,
            mode=b.mode,
            location_ids=list(b.location_ids),
            department_ids=list(b.department_ids),
            leave_type_ids=list(b.leave_type_ids),
            created_by=b.created_by,
        )


class BlackoutsOut(BaseModel):
    items: list[BlackoutOut]


@router.post("/v1/blackouts", status_code=201)
async def create(body: BlackoutIn, actor: ActorDep, uow: UnitOfWorkDep) -> BlackoutOut:
    """Set a blackout period (admins; approvers for their own departments)."""
    cmd = blackouts.NewBlackout(
        name=body.name,
        start_date=body.start_date,
        end_date=body.end_date,
        mode=body.mode,
        location_ids=tuple(body.location_ids),
        department_ids=tuple(body.department_ids),
        leave_type_ids=tuple(body.leave_type_ids),
    )
    return BlackoutOut.of(await blackouts.create_blackout(uow, actor, cmd))


@router.get("/v1/blackouts")
async def list_all(actor: ActorDep, reads: ReadModelDep) -> BlackoutsOut:
    """The company's blackout periods by first day (everyone may read them)."""
    found = await blackouts.list_blackouts(reads, actor)
    return BlackoutsOut(items=[BlackoutOut.of(b) for b in found])


@router.get("/v1/blackouts/{blackout_id}")
async def get_one(blackout_id: str, actor: ActorDep, reads: ReadModelDep) -> BlackoutOut:
    return BlackoutOut.of(await blackouts.get_blackout(reads, actor, blackout_id))


@router.delete("/v1/blackouts/{blackout_id}", status_code=204)
async def delete(blackout_id: str, actor: ActorDep, uow: UnitOfWorkDep) -> Response:
    """Remove a blackout period (admins; approvers for their own departments)."""
    await blackouts.delete_blackout(uow, actor, blackout_id)
    return Response(status_code=204)
