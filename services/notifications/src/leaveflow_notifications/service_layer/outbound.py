"""From a stored delivery to a message on the wire: integration, template, signed links."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from leaveflow_kit.storage import Store

from ..adapters.rendering import APPROVE, DENY, email_message, slack_message, teams_message
from ..adapters.secrets import SecretBox
from ..adapters.senders import SendResult
from ..domain.delivery import Delivery
from ..domain.messages import Notice
from .collections import EMAIL, INTEGRATIONS, SLACK, TEAMS, Clock, integration_key
from .integrations import UndecryptableSecrets, decrypted


class Sender(Protocol):
    async def send(
        self, integration: dict[str, Any], to: dict[str, Any], message: dict[str, Any]
    ) -> SendResult: ...


@dataclass
class Links:
    """Signed Approve / Deny links: they carry the approver and the request, expire, and
    share one id per message so only the first of them decides."""

    box: SecretBox
    base_url: str
    clock: Clock

    def for_delivery(self, delivery: Delivery, request_id: str) -> dict[str, str]:
        at = int(delivery.created_at.timestamp())
        links = {}
        for decision in (APPROVE, DENY):
            claims = {
                "lid": delivery.id,
                "tid": delivery.tenant_id,
                "aid": delivery.recipient,
                "rid": request_id,
                "d": decision,
            }
            links[decision] = f"{self.base_url}/actions/{self.box.sign_link(claims, at)}"
        return links


class Outbound:
    def __init__(
        self,
        store: Store,
        box: SecretBox,
        senders: dict[str, Sender],
        links: Links,
        dashboard_url: str,
    ) -> None:
        self._store = store
        self._box = box
        self._senders = senders
        self._links = links
        self._dashboard = dashboard_url

    def render(self, delivery: Delivery) -> dict[str, Any]:
        notice = Notice.from_dict(delivery.payload["notice"])
        to: dict[str, Any] = delivery.payload["to"]
        links = None
        if notice.needs_decision and delivery.channel in (TEAMS, EMAIL):
            assert notice.request_id is not None
            links = self._links.for_delivery(delivery, notice.request_id)
        if delivery.channel == SLACK:
            return slack_message(notice, to, self._dashboard)
        if delivery.channel == TEAMS:
            return teams_message(notice, to, self._dashboard, links)
        return email_message(notice, self._dashboard, links)

    async def send(self, delivery: Delivery) -> SendResult:
        stored = await self._store.get(
            INTEGRATIONS, integration_key(delivery.tenant_id, delivery.channel)
        )
        if stored is None:
            return SendResult(ok=False, error=f"{delivery.channel} integration removed")
        try:
            message = self.render(delivery)
        except Exception as exc:  # a broken template fails this delivery only
            return SendResult(ok=False, error=f"template failed: {exc!r}"[:300])
        try:
            integration = decrypted(self._box, stored)
        except UndecryptableSecrets as exc:
            return SendResult(ok=False, error=f"{exc}; reconnect it")
        return await self._senders[delivery.channel].send(
            integration, delivery.payload["to"], message
        )
