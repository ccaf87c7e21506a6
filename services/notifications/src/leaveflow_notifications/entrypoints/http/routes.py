"""HTTP routes of the notifications service."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field

from leaveflow_kit.auth import CurrentUser, Principal
from leaveflow_kit.documents import from_doc, to_doc
from leaveflow_kit.http import Forbidden, NotFound
from leaveflow_kit.http.paging import Page, page_out
from leaveflow_kit.storage import Store, Transaction

from ...domain.delivery import Delivery
from ...service_layer.fanout import DELIVERIES, INTEGRATIONS, SLACK, integration_key

router = APIRouter()


def _admin(user: Principal) -> None:
    if not user.is_admin:
        raise Forbidden("requires role admin")


class SlackIntegrationIn(BaseModel):
    model_config = ConfigDict(extra="ignore")
    team_id: str | None = Field(None, max_length=50)
    bot_token: str | None = Field(None, max_length=500)
    webhook_url: AnyHttpUrl | None = None
    signing_secret: str = Field(min_length=1, max_length=500)
    channel: str | None = Field(None, max_length=100)


def _public_view(doc: dict[str, Any]) -> dict[str, Any]:
    """Never return a secret: say only whether one is set."""
    return {
        "team_id": doc.get("team_id"),
        "channel": doc.get("channel"),
        "has_webhook_url": bool(doc.get("webhook_url")),
        "has_bot_token": bool(doc.get("bot_token")),
        "has_signing_secret": bool(doc.get("signing_secret")),
    }


@router.put("/v1/integrations/slack", tags=["integrations"])
async def put_slack(
    body: SlackIntegrationIn, request: Request, user: CurrentUser
) -> dict[str, Any]:
    """Configure Slack for the tenant (admin)."""
    _admin(user)
    store: Store = request.app.state.store
    doc = {
        "tenant_id": user.tenant_id,
        "kind": SLACK,
        "team_id": body.team_id,
        "bot_token": body.bot_token,
        "webhook_url": str(body.webhook_url) if body.webhook_url else None,
        "signing_secret": body.signing_secret,
        "channel": body.channel,
    }

    async def run(tx: Transaction) -> None:
        await tx.put(INTEGRATIONS, integration_key(user.tenant_id, SLACK), doc)

    await store.atomic(run)
    return {"slack": _public_view(doc)}


@router.get("/v1/integrations", tags=["integrations"])
async def get_integrations(request: Request, user: CurrentUser) -> dict[str, Any]:
    _admin(user)
    store: Store = request.app.state.store
    slack = await store.get(INTEGRATIONS, integration_key(user.tenant_id, SLACK))
    return {"slack": _public_view(slack) if slack else None}


def _delivery_out(d: Delivery) -> dict[str, Any]:
    out = to_doc(d)
    out.pop("payload", None)
    return out


@router.get("/v1/deliveries", tags=["deliveries"])
async def list_deliveries(
    request: Request,
    user: CurrentUser,
    page: Page,
    status: str | None = None,
    channel: str | None = None,
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
        delivery.retry_now(clock())
        await tx.put(DELIVERIES, delivery.id, to_doc(delivery))
        return delivery

    delivery = await store.atomic(run)
    request.app.state.dispatcher.wake()
    return _delivery_out(delivery)
