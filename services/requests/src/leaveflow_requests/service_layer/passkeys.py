"""Passkeys (WebAuthn credentials): the web registers and verifies them with the
`webauthn` library; this service keeps them, each person's own, and moves the signature
counter by compare-and-set so that two sign-ins with one credential cannot both pass."""

from __future__ import annotations

from dataclasses import dataclass

from leaveflow_contracts import new_id
from leaveflow_kit.storage import DuplicateKey

from ..domain import errors
from ..domain.directory import Employee
from ..domain.identity import Passkey
from . import queries
from .commands import Actor
from .ports import Clock, ReadModel, Repository, UnitOfWork


@dataclass(frozen=True)
class NewPasskey:
    tenant_id: str
    employee_id: str
    credential_id: str
    public_key: str
    sign_count: int
    name: str
    transports: tuple[str, ...] = ()


async def register(uow: UnitOfWork, clock: Clock, cmd: NewPasskey) -> Passkey:
    """Keep a new credential of someone still employed (404 otherwise); 409 when the
    credential id is registered already."""
    passkey = Passkey(
        id=new_id(),
        tenant_id=cmd.tenant_id,
        employee_id=cmd.employee_id,
        credential_id=cmd.credential_id,
        public_key=cmd.public_key,
        sign_count=cmd.sign_count,
        name=cmd.name,
        transports=list(cmd.transports),
        created_at=clock.now(),
    )
    taken = errors.DuplicateCredential("this passkey is registered already")

    async def work(repo: Repository) -> None:
        employee = await repo.employee(cmd.tenant_id, cmd.employee_id)
        if employee is None or await queries.employee_has_left(repo, clock, employee):
            raise errors.NotFound("no such employee")
        if await repo.passkey_by_credential(cmd.credential_id) is not None:
            raise taken
        await repo.add_passkey(passkey)

    try:
        await uow.run(work)
    except DuplicateKey:  # registered by a concurrent call between our check and commit
        raise taken from None
    return passkey


async def find(reads: ReadModel, clock: Clock, credential_id: str) -> tuple[Passkey, Employee]:
    """The credential and its owner, while they still work there (404 otherwise, as for
    one never registered or removed)."""
    passkey = await reads.passkey_by_credential(credential_id)
    if passkey is not None:
        employee = await reads.employee(passkey.tenant_id, passkey.employee_id)
        if employee is not None and not await queries.employee_has_left(reads, clock, employee):
            return passkey, employee
    raise errors.NotFound("no such passkey")


async def mark_used(
    uow: UnitOfWork, clock: Clock, passkey_id: str, *, expected_sign_count: int, sign_count: int
) -> Passkey:
    """Move the counter from the value the web verified against; 409 if it moved since."""

    async def work(repo: Repository) -> Passkey:
        passkey = await repo.passkey(passkey_id)
        if passkey is None:
            raise errors.NotFound("no such passkey")
        passkey.used(
            expected_sign_count=expected_sign_count, sign_count=sign_count, now=clock.now()
        )
        await repo.save_passkey(passkey)
        return passkey

    return await uow.run(work)


async def own_passkeys(reads: ReadModel, actor: Actor) -> list[Passkey]:
    passkeys = await reads.passkeys_of(actor.tenant_id, actor.employee_id)
    return sorted(passkeys, key=lambda p: (p.created_at, p.id))


async def remove_own(uow: UnitOfWork, actor: Actor, passkey_id: str) -> None:
    """Remove one of the caller's passkeys (anyone else's reads as absent: 404)."""

    async def work(repo: Repository) -> None:
        passkey = await repo.passkey(passkey_id)
        if passkey is None or (passkey.tenant_id, passkey.employee_id) != (
            actor.tenant_id,
            actor.employee_id,
        ):
            raise errors.NotFound("no such passkey")
        await repo.delete_passkey(passkey_id)

    await uow.run(work)
