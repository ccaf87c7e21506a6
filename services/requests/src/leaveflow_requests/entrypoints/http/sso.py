"""Single sign-on API: a company's own OpenID Connect provider (admin)."""

from __future__ import annotations

from fastapi import APIRouter, Response

from ...service_layer import sso
from .deps import ActorDep, ClockDep, ReadModelDep, SecretBoxDep, UnitOfWorkDep
from .schemas import SsoIn, SsoOut

router = APIRouter(tags=["sso"])


@router.put("/v1/sso")
async def put_sso(
    body: SsoIn, actor: ActorDep, uow: UnitOfWorkDep, box: SecretBoxDep, clock: ClockDep
) -> SsoOut:
    """Set the company's provider (admin). `client_secret` is write-only (left out: the
    stored one stays; required the first time) and kept encrypted. 409 for an email domain
    another company's SSO lists."""
    fields = sso.SsoFields(
        issuer=body.issuer,
        client_id=body.client_id,
        client_secret=body.client_secret,
        email_domains=tuple(body.email_domains),
        enforce=body.enforce,
    )
    return SsoOut.of(await sso.save_sso(uow, box, clock, actor, fields))


@router.get("/v1/sso")
async def get_sso(actor: ActorDep, reads: ReadModelDep) -> SsoOut:
    """The company's provider, without its secret (admin); 404 when it has none."""
    return SsoOut.of(await sso.get_sso(reads, actor))


@router.delete("/v1/sso", status_code=204)
async def delete_sso(actor: ActorDep, uow: UnitOfWorkDep) -> Response:
    """Remove the company's provider and free its email domains (admin)."""
    await sso.delete_sso(uow, actor)
    return Response(status_code=204)
