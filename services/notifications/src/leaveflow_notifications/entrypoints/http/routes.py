"""Admin HTTP routes: integrations, preferences, the delivery log."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Query, Request
from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field

from leaveflow_kit.auth import CurrentUser, Principal
from leaveflow_kit.documents import from_doc, to_doc
from leaveflow_kit.http import Conflict, Forbidden, NotFound, Unprocessable
from leaveflow_kit.http.paging import Page, page_out
from leaveflow_kit.storage import Store, Transaction

from ...adapters.secrets import SecretBox
from ...domain.delivery import SENT, Delivery
from ...service_layer import integrations
from ...service_layer.collections import DELIVERIES, EMAIL, SLACK, TEAMS
from ...service_layer.replica import person

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


async def _save(request: Request, user: Principal, channel: str, fields: dict[str, Any]) -> Any:
    _admin(user)
    box: SecretBox = request.app.state.secret_box
    try:
        view = await integrations.save_integration(
            request.app.state.store, box, user.tenant_id, channel, fields
        )
    except integrations.IntegrationConflict as exc:
        raise Conflict(str(exc)) from exc
    return {channel: view}


@router.put("/v1/integrations/slack", tags=["integrations"])
async def put_slack(body: SlackIn, request: Request, user: CurrentUser) -> dict[str, Any]:
    """Connect Slack (admin). Inbound requests are matched by `team_id`."""
    if body.bot_token is None and body.webhook_url is None:
        raise Unprocessable("give a bot_token, a webhook_url or both", field="bot_token")
    fields = body.model_dump()
    fields["webhook_url"] = str(body.webhook_url) if body.webhook_url else None
    return await _save(request, user, SLACK, fields)  # type: ignore[no-any-return]


@router.put("/v1/integrations/teams", tags=["integrations"])
async def put_teams(body: TeamsIn, request: Request, user: CurrentUser) -> dict[str, Any]:
    """Connect Microsoft Teams (admin): a Workflows webhook, and an outgoing webhook secret."""
    fields = body.model_dump()
    fields["webhook_url"] = str(body.webhook_url)
    return await _save(request, user, TEAMS, fields)  # type: ignore[no-any-return]


@router.put("/v1/integrations/email", tags=["integrations"])
async def put_email(body: EmailIn, request: Request, user: CurrentUser) -> dict[str, Any]:
    """Connect an SMTP server (admin)."""
    fields = body.model_dump(by_alias=True)
    return await _save(request, user, EMAIL, fields)  # type: ignore[no-any-return]


@router.get("/v1/integrations", tags=["integrations"])
async def get_integrations(request: Request, user: CurrentUser) -> dict[str, Any]:
    """The tenant's integrations; secrets show only as `has_<name>`."""
    _admin(user)
    return await integrations.list_integrations(request.app.state.store, user.tenant_id)


@router.put("/v1/preferences/{employee_id}", tags=["preferences"])
async def put_preferences(
    employee_id: str, body: PreferencesIn, request: Request, user: CurrentUser
) -> dict[str, Any]:
    """Which channels reach an employee (themselves or an admin)."""
    store: Store = request.app.state.store
    if employee_id != user.employee_id:
        _admin(user)
        if await person(store, user.tenant_id, employee_id) is None:
            raise NotFound("no such employee")
    return await integrations.save_preferences(
        store, user.tenant_id, employee_id, body.model_dump()
    )


def _delivery_out(d: Delivery) -> dict[str, Any]:
    out = to_doc(d)
    for private in ("payload", "claim", "claimed_until", "trace"):
        out.pop(private, None)
    out["event"] = {"id": d.event_id, "type": d.event_type}
    return out


@router.get("/v1/deliveries", tags=["deliveries"])
async def list_deliveries(
    request: Request,
    user: CurrentUser,
    page: Page,
    status: Literal["pending", "sending", "sent", "retrying", "dead"] | None = Query(None),
    channel: Literal["slack", "teams", "email"] | None = Query(None),
) -> dict[str, Any]:
    """The delivery log (admin)."""
    _admin(user)
    store: Store = request.app.state.store
    where: dict[str, Any] = {"tenant_id": user.tenant_id}
    if status:
        where["status"] = status
    if channel:
        where["channel"] = channel
    docs = await store.find(DELIVERIES, where, limit=page.limit + 1, after_key=page.cursor)
    items = [from_doc(Delivery, d) for d in docs[: page.limit]]
    cursor = items[-1].id if len(docs) > page.limit else None
    return page_out([_delivery_out(d) for d in items], cursor)


@router.post("/v1/deliveries/{delivery_id}/retry", status_code=202, tags=["deliveries"])
async def retry_delivery(delivery_id: str, request: Request, user: CurrentUser) -> dict[str, Any]:
    """Send a delivery again now (admin)."""
    _admin(user)
    store: Store = request.app.state.store
    clock = request.app.state.clock

    async def run(tx: Transaction) -> Delivery:
        doc = await tx.get(DELIVERIES, delivery_id)
        if doc is None or doc["tenant_id"] != user.tenant_id:
            raise NotFound("no such delivery")
        delivery = from_doc(Delivery, doc)
        if delivery.status == SENT:
            raise Conflict("this delivery was sent; it is not sent twice")
        delivery.retry_now(clock())
        await tx.put(DELIVERIES, delivery.id, to_doc(delivery))
        return delivery

    delivery = await store.atomic(run)
    request.app.state.dispatchers.wake()
    return _delivery_out(delivery)
