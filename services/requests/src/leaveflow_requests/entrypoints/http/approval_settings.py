"""Pending rules API (admins): the company's approval settings and per-department overrides.

`PUT` replaces the whole rule set; a field left out takes its default (reminders and
escalation off, `max_reminders` 3). A department's override replaces the company's
settings for that department's requests; `DELETE` makes it follow the company again.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel, ConfigDict, Field, PlainSerializer

from leaveflow_kit.http.deps import app_state

from ...adapters.schedule_signals import ScheduleSignals
from ...domain.pending_rules import ApprovalSettings
from ...service_layer import approval_settings
from ...service_layer.approval_schedule_ports import ApprovalSettingsStore
from .deps import ActorDep, ReadModelDep

router = APIRouter(tags=["approval settings"])

SettingsStoreDep = Annotated[ApprovalSettingsStore, Depends(app_state("approval_settings"))]
SignalsDep = Annotated[ScheduleSignals, Depends(app_state("schedule_signals"))]

# Up to a year: longer waits are a rule nobody would notice firing.
Hours = Annotated[Decimal, Field(gt=0, le=8760, decimal_places=3)]
JsonHours = Annotated[Decimal, PlainSerializer(float, return_type=float, when_used="json")]
WhenLeaveStarts = Literal["escalate", "auto_approve", "auto_deny"]


class ApprovalSettingsIn(BaseModel):
    model_config = ConfigDict(extra="ignore")
    remind_after_hours: Hours | None = None
    remind_every_hours: Hours | None = None
    max_reminders: int = Field(3, ge=0, le=100)
    escalate_after_hours: Hours | None = None
    when_leave_starts: WhenLeaveStarts | None = None

    def settings(self) -> ApprovalSettings:
        return ApprovalSettings(
            remind_after_hours=self.remind_after_hours,
            remind_every_hours=self.remind_every_hours,
            max_reminders=self.max_reminders,
            escalate_after_hours=self.escalate_after_hours,
            when_leave_starts=self.when_leave_starts,
        )


class ApprovalSettingsOut(BaseModel):
    remind_after_hours: JsonHours | None
    # The interval in force: `remind_after_hours` when none was given.
    remind_every_hours: JsonHours | None
    max_reminders: int
    escalate_after_hours: JsonHours | None
    when_leave_starts: WhenLeaveStarts | None
    # "company" or "department": where these rules come from.
    scope: Literal["company", "department"]

    @classmethod
    def of(cls, s: ApprovalSettings, scope: str) -> ApprovalSettingsOut:
        return cls.model_validate(
            {
                "remind_after_hours": s.remind_after_hours,
                "remind_every_hours": s.remind_every_hours or s.remind_after_hours,
                "max_reminders": s.max_reminders,
                "escalate_after_hours": s.escalate_after_hours,
                "when_leave_starts": s.when_leave_starts,
                "scope": scope,
            }
        )


@router.get("/v1/approval-settings")
async def get_approval_settings(actor: ActorDep, store: SettingsStoreDep) -> ApprovalSettingsOut:
    """The company's pending rules (admin); all off until set."""
    return ApprovalSettingsOut.of(await approval_settings.tenant_settings(store, actor), "company")


@router.put("/v1/approval-settings")
async def put_approval_settings(
    body: ApprovalSettingsIn,
    actor: ActorDep,
    store: SettingsStoreDep,
    reads: ReadModelDep,
    signals: SignalsDep,
) -> ApprovalSettingsOut:
    """Set the company's reminders, escalation and what happens when a leave starts while
    still pending (admin)."""
    saved = await approval_settings.put_settings(store, reads, actor, body.settings())
    await signals.settings_changed()
    return ApprovalSettingsOut.of(saved, "company")


@router.get("/v1/departments/{department_id}/approval-settings")
async def get_department_approval_settings(
    department_id: str, actor: ActorDep, store: SettingsStoreDep, reads: ReadModelDep
) -> ApprovalSettingsOut:
    """A department's override (admin); 404 while it follows the company's settings."""
    found = await approval_settings.department_settings(store, reads, actor, department_id)
    return ApprovalSettingsOut.of(found, "department")


@router.put("/v1/departments/{department_id}/approval-settings")
async def put_department_approval_settings(
    department_id: str,
    body: ApprovalSettingsIn,
    actor: ActorDep,
    store: SettingsStoreDep,
    reads: ReadModelDep,
    signals: SignalsDep,
) -> ApprovalSettingsOut:
    """Give a department its own pending rules, replacing the company's for it (admin)."""
    saved = await approval_settings.put_settings(
        store, reads, actor, body.settings(), department_id=department_id
    )
    await signals.settings_changed()
    return ApprovalSettingsOut.of(saved, "department")


@router.delete("/v1/departments/{department_id}/approval-settings", status_code=204)
async def delete_department_approval_settings(
    department_id: str,
    actor: ActorDep,
    store: SettingsStoreDep,
    reads: ReadModelDep,
    signals: SignalsDep,
) -> Response:
    """Make the department follow the company's settings again (admin)."""
    await approval_settings.delete_department_settings(store, reads, actor, department_id)
    await signals.settings_changed()
    return Response(status_code=204)
