"""Admin HTTP routes: integrations, preferences, the delivery log."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Query, Request

from leaveflow_kit.auth import CurrentUser, Principal
from leaveflow_kit.http import Conflict, Forbidden, NotFound, Unprocessable
from leaveflow_kit.http.paging import Page

from ...service_layer.collections import EMAIL, SLACK, TEAMS
from ...service_layer.deliveries import AlreadySent, NoSuchDelivery
from ...service_layer.destinations import url_host_port
from ...service_layer.integrations import IntegrationConflict
from .deps import DestinationsDep, IntegrationsDep, OutboundDep, ReadModelDep, RetriesDep
from .schemas import (
    DeliveryOut,
    DeliveryPage,
    EmailConnected,
    EmailIn,
    IntegrationsOut,
    PreferencesIn,
    PreferencesOut,
    PreferencesView,
    SlackConnected,
    SlackIn,
    TeamsConnected,
    TeamsIn,
    TestSentOut,
)

router = APIRouter()


def _admin(user: Principal) -> None:
    if not user.is_admin:
        raise Forbidden("requires role admin")


async def _public_only(destinations: DestinationsDep, field: str, host: str, port: int) -> None:
    """422 naming the field when the destination is (or resolves to) a non-public address;
    checked again on every connect."""
    reason = await destinations.refusal_at_save(host, port)
    if reason:
        raise Unprocessable(f"{field} must be a public address ({reason})", field=field)


async def _save(
    integrations: IntegrationsDep, user: Principal, channel: str, fields: dict[str, Any]
) -> dict[str, Any]:
    _admin(user)
    try:
        view = await integrations.connect(user.tenant_id, channel, fields)
    except IntegrationConflict as exc:
        raise Conflict(str(exc)) from exc
    return {channel: view}


@router.put("/v1/integrations/slack", tags=["integrations"], response_model_exclude_unset=True)
async def put_slack(
    body: SlackIn,
    integrations: IntegrationsDep,
    destinations: DestinationsDep,
    user: CurrentUser,
) -> SlackConnected:
    """Connect Slack (admin). Inbound requests are matched by `team_id`."""
    _admin(user)
    if body.bot_token is None and body.webhook_url is None:
        raise Unprocessable("give a bot_token, a webhook_url or both", field="bot_token")
    fields = body.model_dump()
    fields["webhook_url"] = str(body.webhook_url) if body.webhook_url else None
    if fields["webhook_url"]:
        await _public_only(destinations, "webhook_url", *url_host_port(fields["webhook_url"]))
    return SlackConnected.model_validate(await _save(integrations, user, SLACK, fields))


@router.put("/v1/integrations/teams", tags=["integrations"], response_model_exclude_unset=True)
async def put_teams(
    body: TeamsIn,
    integrations: IntegrationsDep,
    destinations: DestinationsDep,
    user: CurrentUser,
) -> TeamsConnected:
    """Connect Microsoft Teams (admin): a Workflows webhook, and an outgoing webhook secret."""
    _admin(user)
    fields = body.model_dump()
    fields["webhook_url"] = str(body.webhook_url)
    await _public_only(destinations, "webhook_url", *url_host_port(fields["webhook_url"]))
    return TeamsConnected.model_validate(await _save(integrations, user, TEAMS, fields))


@router.put("/v1/integrations/email", tags=["integrations"], response_model_exclude_unset=True)
async def put_email(
    body: EmailIn,
    integrations: IntegrationsDep,
    destinations: DestinationsDep,
    user: CurrentUser,
) -> EmailConnected:
    """Connect an SMTP server (admin)."""
    _admin(user)
    await _public_only(destinations, "smtp_host", body.smtp_host, body.smtp_port)
    fields = body.model_dump(by_alias=True)
    return EmailConnected.model_validate(await _save(integrations, user, EMAIL, fields))


@router.get("/v1/integrations", tags=["integrations"], response_model_exclude_unset=True)
async def get_integrations(integrations: IntegrationsDep, user: CurrentUser) -> IntegrationsOut:
    """The tenant's integrations; secrets show only as `has_<name>`."""
    _admin(user)
    return IntegrationsOut.model_validate(await integrations.listing(user.tenant_id))


@router.post("/v1/integrations/{channel}/test", tags=["integrations"])
async def send_test_message(
    channel: Literal["slack", "teams", "email"],
    request: Request,
    outbound: OutboundDep,
    user: CurrentUser,
) -> TestSentOut:
    """Send a fixed test message through the integration now (admin); 404 when it is not
    set up."""
    _admin(user)
    dashboard = str(getattr(request.app.state, "dashboard_url", "") or "")
    result = await outbound.send_test(user.tenant_id, channel, dashboard)
    if result is None:
        raise NotFound(f"no {channel} integration")
    return TestSentOut(sent=result.ok, error=None if result.ok else result.error)


async def _may_set_for(reads: ReadModelDep, user: Principal, employee_id: str) -> None:
    """The employee themselves, or an admin for someone the directory knows."""
    if employee_id != user.employee_id:
        _admin(user)
        if await reads.person(user.tenant_id, employee_id) is None:
            raise NotFound("no such employee")


@router.get("/v1/preferences/{employee_id}", tags=["preferences"])
async def get_preferences(
    employee_id: str,
    integrations: IntegrationsDep,
    reads: ReadModelDep,
    user: CurrentUser,
) -> PreferencesView:
    """Which channels reach an employee (every one until turned off), and which channels the
    company has set up (themselves or an admin)."""
    await _may_set_for(reads, user, employee_id)
    return PreferencesView.model_validate(
        await integrations.preferences(user.tenant_id, employee_id)
    )


@router.put("/v1/preferences/{employee_id}", tags=["preferences"])
async def put_preferences(
    employee_id: str,
    body: PreferencesIn,
    integrations: IntegrationsDep,
    reads: ReadModelDep,
    user: CurrentUser,
) -> PreferencesOut:
    """Which channels reach an employee (themselves or an admin)."""
    await _may_set_for(reads, user, employee_id)
    saved = await integrations.set_preferences(user.tenant_id, employee_id, body.chosen())
    return PreferencesOut.model_validate(saved)


@router.get("/v1/deliveries", tags=["deliveries"])
async def list_deliveries(
    reads: ReadModelDep,
    user: CurrentUser,
    page: Page,
    status: Literal["pending", "sending", "sent", "retrying", "dead"] | None = Query(None),
    channel: Literal["slack", "teams", "email"] | None = Query(None),
) -> DeliveryPage:
    """The delivery log (admin)."""
    _admin(user)
    items, cursor = await reads.deliveries(
        user.tenant_id, status=status, channel=channel, limit=page.limit, cursor=page.cursor
    )
    return DeliveryPage(items=[DeliveryOut.of(d) for d in items], next_cursor=cursor)


@router.post("/v1/deliveries/{delivery_id}/retry", status_code=202, tags=["deliveries"])
async def retry_delivery(delivery_id: str, retries: RetriesDep, user: CurrentUser) -> DeliveryOut:
    """Send a delivery again now (admin)."""
    _admin(user)
    try:
        delivery = await retries.retry(user.tenant_id, delivery_id)
    except NoSuchDelivery as exc:
        raise NotFound(str(exc)) from exc
    except AlreadySent as exc:
        raise Conflict(str(exc)) from exc
    return DeliveryOut.of(delivery)
