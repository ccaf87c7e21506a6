"""The caller's own ways in: their sign-in sessions and passkeys (the Security page)."""

from __future__ import annotations

from fastapi import APIRouter, Response

from ...service_layer import identity, passkeys
from .deps import ActorDep, ClockDep, ReadModelDep, SessionIdDep, UnitOfWorkDep
from .schemas import PasskeyOut, PasskeysOut, RevokedOut, SessionOut, SessionsOut

router = APIRouter(tags=["account"])


@router.get("/v1/sessions")
async def list_sessions(actor: ActorDep, reads: ReadModelDep, sid: SessionIdDep) -> SessionsOut:
    """The caller's live sessions, newest first; `current` marks the one of this token."""
    return SessionsOut(
        items=[
            SessionOut(
                id=s.id,
                via=s.via,
                label=s.label,
                created_at=s.created_at,
                last_used_at=s.last_used_at,
                current=s.id == sid,
            )
            for s in await identity.list_sessions(reads, actor)
        ]
    )


@router.delete("/v1/sessions/{session_id}", status_code=204)
async def revoke_session(
    session_id: str, actor: ActorDep, uow: UnitOfWorkDep, clock: ClockDep
) -> Response:
    """End one of the caller's sessions (another's: 404); its browser is signed out when
    it next refreshes its token."""
    await identity.revoke_session(uow, clock, actor, session_id)
    return Response(status_code=204)


@router.post("/v1/sessions/revoke-all")
async def revoke_all_sessions(actor: ActorDep, uow: UnitOfWorkDep, clock: ClockDep) -> RevokedOut:
    """Sign out everywhere: every session of the caller, this one included."""
    return RevokedOut(revoked=await identity.revoke_all_sessions(uow, clock, actor))


@router.get("/v1/passkeys")
async def list_passkeys(actor: ActorDep, reads: ReadModelDep) -> PasskeysOut:
    """The caller's passkeys, oldest first."""
    return PasskeysOut(
        items=[
            PasskeyOut(id=p.id, name=p.name, created_at=p.created_at, last_used_at=p.last_used_at)
            for p in await passkeys.own_passkeys(reads, actor)
        ]
    )


@router.delete("/v1/passkeys/{passkey_id}", status_code=204)
async def remove_passkey(passkey_id: str, actor: ActorDep, uow: UnitOfWorkDep) -> Response:
    """Remove one of the caller's passkeys (another's: 404)."""
    await passkeys.remove_own(uow, actor, passkey_id)
    return Response(status_code=204)
