"""Pending rules as the admins set them: the tenant's, and per-department overrides that
replace them for that department's requests."""

from __future__ import annotations

from ..domain import errors
from ..domain.pending_rules import ApprovalSettings
from .acting import require_admin
from .approval_schedule_ports import ApprovalSettingsStore
from .commands import Actor
from .ports import DirectoryReads


async def _require_department(reads: DirectoryReads, actor: Actor, department_id: str) -> None:
    department = await reads.department(actor.tenant_id, department_id)
    if department is None or not department.active:
        raise errors.NotFound("no such department")


async def tenant_settings(store: ApprovalSettingsStore, actor: Actor) -> ApprovalSettings:
    """The tenant's rules; all off until an admin sets them."""
    require_admin(actor)
    return await store.settings(actor.tenant_id, None) or ApprovalSettings()


async def department_settings(
    store: ApprovalSettingsStore, reads: DirectoryReads, actor: Actor, department_id: str
) -> ApprovalSettings:
    require_admin(actor)
    await _require_department(reads, actor, department_id)
    found = await store.settings(actor.tenant_id, department_id)
    if found is None:
        raise errors.NotFound("this department follows the company's approval settings")
    return found


async def put_settings(
    store: ApprovalSettingsStore,
    reads: DirectoryReads,
    actor: Actor,
    settings: ApprovalSettings,
    *,
    department_id: str | None = None,
) -> ApprovalSettings:
    require_admin(actor)
    if department_id is not None:
        await _require_department(reads, actor, department_id)
    await store.put_settings(actor.tenant_id, department_id, settings)
    return settings


async def delete_department_settings(
    store: ApprovalSettingsStore,
    reads: DirectoryReads,
    actor: Actor,
    department_id: str,
) -> None:
    require_admin(actor)
    await _require_department(reads, actor, department_id)
    if not await store.delete_settings(actor.tenant_id, department_id):
        raise errors.NotFound("this department follows the company's approval settings")
