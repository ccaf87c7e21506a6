"""Admin HTTP routes: integrations, preferences, the delivery log."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Query
from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field

from leaveflow_kit.auth import CurrentUser, Principal
from leaveflow_kit.http import Conflict, Forbidden, NotFound, Unprocessable
from leaveflow_kit.http.paging import Page, page_out

from ...service_layer.collections import EMAIL, SLACK, TEAMS
from ...service_layer.deliveries import AlreadySent, NoSuchDelivery, delivery_view
from ...service_layer.integrations import IntegrationConflict
from .deps import IntegrationsDep, ReadModelDep, RetriesDep

router = APIRouter()

Id = Field(min_length=1, max_length=100)
SecretText = Field(min_length=1, max_length=500)


def _admin(user: Principal) -> None:
    if not user.is_admin:
        raise Forbidden("requires role admin")


class SlackIn(BaseModel):
    model_config = ConfigDict(extra="ignore")
    # Needed for inbound commands and buttons; an outbound-only webhook can do without.
    team_id: str | None = Field(None, min_length=1, max_length=100)
    bot_token: str | None = Field(None, min_length=1, max_length=500)
    webhook_url: AnyHttpUrl | None = None
    signing_secret: str = SecretText
    channel: str | None = Field(None, max_length=100)
    digest_time: str | None = Field(None, pattern=r"^([01]\d|2[0-3]):[0-5]\d$")


class TeamsIn(BaseModel):
    model_config = ConfigDict(extra="ignore")
    aad_tenant_id: str = Id
    webhook_url: AnyHttpUrl
    outgoing_webhook_secret: str | None = Field(None, min_length=1, max_length=500)
    digest_time: str | None = Field(None, pattern=r"^([01]\d|2[0-3]):[0-5]\d$")


class EmailIn(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)
    smtp_host: str = Field(min_length=1, max_length=255)
    smtp_port: int = Field(ge=1, le=65535)
    sender: str = Field(alias="from", min_length=3, max_length=255, pattern=r"^[^@\s]+@[^@\s]+$")
    username: str | None = Field(None, max_length=255)
    password: str | None = Field(None, max_length=500)
    starttls: bool = False
    digest_time: str | None = Field(None, pattern=r"^([01]\d|2[0-3]):[0-5]\d$")


class PreferencesIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    slack: bool = True
    teams: bool = True
    email: bool = True


async def _save(
    integrations: IntegrationsDep, user: Principal, channel: str, fields: dict[str, Any]
) -> dict[str, Any]:
    _admin(user)
    try:
        view = await integrations.connect(user.tenant_id, channel, fields)
    except IntegrationConflict as exc:
        raise Conflict(str(exc)) from exc
    return {channel: view}


@router.put("/v1/integrations/slack", tags=["integrations"])
async def put_slack(
    body: SlackIn, integrations: IntegrationsDep, user: CurrentUser
) -> dict[str, Any]:
    """Connect Slack (admin). Inbound requests are matched by `team_id`."""
    if body.bot_token is None and body.webhook_url is None:
        raise Unprocessable("give a bot_token, a webhook_url or both", field="bot_token")
    fields = body.model_dump()
    fields["webhook_url"] = str(body.webhook_url) if body.webhook_url else None
    return await _save(integrations, user, SLACK, fields)


@router.put("/v1/integrations/teams", tags=["integrations"])
async def put_teams(
    body: TeamsIn, integrations: IntegrationsDep, user: CurrentUser
) -> dict[str, Any]:
    """Connect Microsoft Teams (admin): a Workflows webhook, and an outgoing webhook secret."""
    fields = body.model_dump()
    fields["webhook_url"] = str(body.webhook_url)
    return await _save(integrations, user, TEAMS, fields)


@router.put("/v1/integrations/email", tags=["integrations"])
async def put_email(
    body: EmailIn, integrations: IntegrationsDep, user: CurrentUser
) -> dict[str, Any]:
    """Connect an SMTP server (admin)."""
    fields = body.model_dump(by_alias=True)
    return await _save(integrations, user, EMAIL, fields)


@router.get("/v1/integrations", tags=["integrations"])
async def get_integrations(integrations: IntegrationsDep, user: CurrentUser) -> dict[str, Any]:
    """The tenant's integrations; secrets show only as `has_<name>`."""
    _admin(user)
    return await integrations.listing(user.tenant_id)


@router.put("/v1/preferences/{employee_id}", tags=["preferences"])
async def put_preferences(
    employee_id: str,
    body: PreferencesIn,
    integrations: IntegrationsDep,
    reads: ReadModelDep,
    user: CurrentUser,
) -> dict[str, Any]:
    """Which channels reach an employee (themselves or an admin)."""
    if employee_id != user.employee_id:
        _admin(user)
        if await reads.person(user.tenant_id, employee_id) is None:
            raise NotFound("no such employee")
    return await integrations.set_preferences(user.tenant_id, employee_id, body.model_dump())


@router.get("/v1/deliveries", tags=["deliveries"])
async def list_deliveries(
    reads: ReadModelDep,
    user: CurrentUser,
    page: Page,
    status: Literal["pending", "sending", "sent", "retrying", "dead"] | None = Query(None),
    channel: Literal["slack", "teams", "email"] | None = Query(None),
) -> dict[str, Any]:
    """The delivery log (admin)."""
    _admin(user)
    items, cursor = await reads.deliveries(
        user.tenant_id, status=status, channel=channel, limit=page.limit, cursor=page.cursor
    )
    return page_out([delivery_view(d) for d in items], cursor)


@router.post("/v1/deliveries/{delivery_id}/retry", status_code=202, tags=["deliveries"])
async def retry_delivery(
    delivery_id: str, retries: RetriesDep, user: CurrentUser
) -> dict[str, Any]:
    """Send a delivery again now (admin)."""
    _admin(user)
    try:
        delivery = await retries.retry(user.tenant_id, delivery_id)
    except NoSuchDelivery as exc:
        raise NotFound(str(exc)) from exc
    except AlreadySent as exc:
        raise Conflict(str(exc)) from exc
    return delivery_view(delivery)
