"""Substitutions API: who decides for an approver between two dates."""

from __future__ import annotations

from fastapi import APIRouter, Response

from ...service_layer import substitutions
from ...service_layer.commands import CreateSubstitution
from .deps import ActorDep, ClockDep, ReadModelDep, UnitOfWorkDep
from .schemas import PageOut, SubstitutionIn, SubstitutionOut

router = APIRouter(tags=["substitutions"])


@router.post("/v1/substitutions", status_code=201)
async def create_substitution(
    body: SubstitutionIn, actor: ActorDep, uow: UnitOfWorkDep, clock: ClockDep
) -> SubstitutionOut:
    """Name a substitute for an approver's dates (the approver, or an admin)."""
    cmd = CreateSubstitution(**body.model_dump())
    return SubstitutionOut.of(await substitutions.create_substitution(uow, clock, actor, cmd))


@router.get("/v1/substitutions")
async def list_substitutions(actor: ActorDep, reads: ReadModelDep) -> PageOut[SubstitutionOut]:
    """An admin: every substitution; anyone else: those naming them."""
    found = await substitutions.list_substitutions(reads, actor)
    return PageOut(items=[SubstitutionOut.of(s) for s in found], next_cursor=None)


@router.get("/v1/substitutions/{substitution_id}")
async def get_substitution(
    substitution_id: str, actor: ActorDep, reads: ReadModelDep
) -> SubstitutionOut:
    return SubstitutionOut.of(await substitutions.get_substitution(reads, actor, substitution_id))


@router.delete("/v1/substitutions/{substitution_id}", status_code=204)
async def delete_substitution(
    substitution_id: str, actor: ActorDep, uow: UnitOfWorkDep
) -> Response:
    """Remove a substitution (the approver, or an admin)."""
    await substitutions.delete_substitution(uow, actor, substitution_id)
    return Response(status_code=204)
