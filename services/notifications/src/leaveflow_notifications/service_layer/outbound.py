"""From a stored delivery to a message on the wire: integration, template, signed links."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..domain.account_mail import AccountMail
from ..domain.delivery import Delivery
from ..domain.messages import DECISIONS, Notice
from .account_mail import NO_SERVER, AccountMailer
from .collections import EMAIL, SLACK, TEAMS
from .integrations import UndecryptableSecrets, decrypted
from .ports import UPDATES, ReadModel, Renderer, SecretBox, Sender, SendResult


@dataclass
class Links:
    """Signed Approve / Deny links: they carry the approver and the request, expire, and
    share one id per message so only the first of them decides."""

    box: SecretBox
    base_url: str

    def for_delivery(
        self, delivery: Delivery, request_id: str, approvers: list[str], level: int | None = None
    ) -> dict[str, str]:
        """Links to the dashboard's decide page; they act only for a signed-in `approvers`
        member (the recipient, or the approvers a channel post concerns), and decide only
        `level` when given (a level decided meanwhile is not decided again)."""
        at = int(delivery.created_at.timestamp())
        links = {}
        for decision in DECISIONS:
            claims: dict[str, Any] = {
                "lid": delivery.id,
                "tid": delivery.tenant_id,
                "aid": approvers,
                "rid": request_id,
                "d": decision,
            }
            if level is not None:
                claims["lvl"] = level
            links[decision] = f"{self.base_url}/decide/{self.box.sign_link(claims, at)}"
        return links


class Outbound:
    def __init__(
        self,
        reads: ReadModel,
        box: SecretBox,
        senders: dict[str, Sender],
        links: Links,
        renderer: Renderer,
        account: AccountMailer | None = None,
    ) -> None:
        self._reads = reads
        self._box = box
        self._senders = senders
        self._links = links
        self._renderer = renderer
        self._account = account

    def render(self, delivery: Delivery) -> dict[str, Any]:
        notice = Notice.from_dict(delivery.payload["notice"])
        to: dict[str, Any] = delivery.payload["to"]
        links = None
        if notice.needs_decision and delivery.channel in (TEAMS, EMAIL):
            assert notice.request_id is not None
            approvers = to.get("people") if notice.in_channel else [delivery.recipient]
            links = self._links.for_delivery(
                delivery, notice.request_id, list(approvers or []), notice.level
            )
        if delivery.channel == SLACK:
            return self._renderer.slack(notice, to)
        if delivery.channel == TEAMS:
            return self._renderer.teams(notice, to, links)
        return self._renderer.email(notice, links)

    async def send(self, delivery: Delivery) -> SendResult:
        if "account" in delivery.payload:
            return await self._send_account(delivery)
        stored = await self._reads.integration(delivery.tenant_id, delivery.channel)
        if stored is None:
            return SendResult(ok=False, error=f"{delivery.channel} integration removed")
        try:
            message = self.render(delivery)
        except Exception as exc:  # a broken template fails this delivery only
            return SendResult(ok=False, error=f"template failed: {exc!r}"[:300])
        if UPDATES in delivery.payload:  # a message sent before, rewritten in place
            message = {**message, UPDATES: delivery.payload[UPDATES]}
        try:
            integration = decrypted(self._box, stored)
        except UndecryptableSecrets as exc:
            return SendResult(ok=False, error=f"{exc}; reconnect it")
        return await self._senders[delivery.channel].send(
            integration, delivery.payload["to"], message
        )

    async def send_test(
        self, tenant_id: str, channel: str, dashboard_url: str
    ) -> SendResult | None:
        """A fixed message through the tenant's integration, so an admin sees it works
        (Slack and Teams: the channel; email: the From address itself). None when that
        integration is not set up. Not a delivery: nothing is retried or logged."""
        stored = await self._reads.integration(tenant_id, channel)
        if stored is None:
            return None
        try:
            integration = decrypted(self._box, stored)
        except UndecryptableSecrets as exc:
            return SendResult(ok=False, error=f"{exc}; reconnect it")
        to = {"email": integration.get("from")} if channel == EMAIL else {}
        return await self._senders[channel].send(
            integration, to, trial_message(channel, dashboard_url)
        )

    async def _send_account(self, delivery: Delivery) -> SendResult:
        """An invitation: through the company's email integration, else the operator's
        server; with neither it is dead at once (an admin retries it once one exists)."""
        if self._account is None:
            return SendResult(ok=False, error="account mail is not wired")
        try:
            mail = AccountMail.from_dict(delivery.payload["account"])
        except (TypeError, ValueError) as exc:
            return SendResult(ok=False, error=f"template failed: {exc!r}"[:300])
        server = await self._account.server_for([delivery.tenant_id])
        if server is None:
            return SendResult(ok=False, error=NO_SERVER)
        return await self._account.send_via(server, delivery.payload["to"], mail)


TEST_TEXT = "Leaveflow is connected: leave requests and decisions will be posted here."


def trial_message(channel: str, dashboard_url: str) -> dict[str, Any]:
    """What a test send says, in each channel's own format."""
    if channel == SLACK:
        return {"text": TEST_TEXT}
    if channel == TEAMS:
        card = {
            "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
            "type": "AdaptiveCard",
            "version": "1.4",
            "body": [{"type": "TextBlock", "text": TEST_TEXT, "wrap": True}],
            "actions": [
                {"type": "Action.OpenUrl", "title": "Open Leaveflow", "url": dashboard_url}
            ],
        }
        return {
            "type": "message",
            "attachments": [
                {"contentType": "application/vnd.microsoft.card.adaptive", "content": card}
            ],
        }
    text = f"{TEST_TEXT}\n\n{dashboard_url}"
    return {
        "subject": "Leaveflow test message",
        "text": text,
        "html": f'<p>{TEST_TEXT}</p><p><a href="{dashboard_url}">Open Leaveflow</a></p>',
    }
