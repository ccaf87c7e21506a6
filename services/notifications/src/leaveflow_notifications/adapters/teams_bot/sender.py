"""Teams deliveries: a person who has a chat with the bot gets the message there (a
request to decide as the live Action.Execute card); the company's channel still gets the
Workflows webhook post, the no-bot way Teams hears from us."""

from __future__ import annotations

from typing import Any

from ...domain.account_mail import AccountMail
from ...domain.messages import Notice
from ...service_layer.ports import UPDATES, Renderer, Sender, SendResult
from .sdk import TeamsBotHost

# Carried from the renderer to the sender inside the rendered message, never sent.
BOT_HINT = "leaveflow_bot"


class BotCards:
    """The channel templates, with each personal Teams message marked for the bot (and
    the request it asks to decide, whose card the bot builds from the API's state)."""

    def __init__(self, templates: Renderer) -> None:
        self._templates = templates

    def slack(self, notice: Notice, to: dict[str, Any]) -> dict[str, Any]:
        return self._templates.slack(notice, to)

    def teams(
        self, notice: Notice, to: dict[str, Any], links: dict[str, str] | None
    ) -> dict[str, Any]:
        message = self._templates.teams(notice, to, links)
        if notice.in_channel or "people" in to:
            return message
        hint = {"request_id": notice.request_id, "asks": notice.needs_decision}
        return {**message, BOT_HINT: hint}

    def email(self, notice: Notice, links: dict[str, str] | None) -> dict[str, Any]:
        return self._templates.email(notice, links)

    def account(self, mail: AccountMail) -> dict[str, Any]:
        return self._templates.account(mail)


class BotOrWebhookSender:
    def __init__(self, webhook: Sender, host: TeamsBotHost | None) -> None:
        self._webhook = webhook
        self._host = host

    async def send(
        self, integration: dict[str, Any], to: dict[str, Any], message: dict[str, Any]
    ) -> SendResult:
        hint = message.get(BOT_HINT)
        plain = {k: v for k, v in message.items() if k != BOT_HINT}
        if hint is None:
            return await self._webhook.send(integration, to, plain)
        if self._host is None:
            # A personal message (it may carry a reason) never falls back to the channel.
            return SendResult(ok=False, error="teams: the bot is not configured (TEAMS_APP_ID)")
        tenant_id, employee_id = str(integration["tenant_id"]), str(to["id"])
        bot = self._host.bot
        replaces = plain.pop(UPDATES, None)
        request_id = hint.get("request_id")
        if request_id and (hint.get("asks") or replaces):
            # A request to decide, or the card sent for it that has moved on since: the
            # card as the API has it now (every level's state, buttons only while open).
            return await bot.send_request_card(
                self._host, tenant_id, employee_id, str(request_id), replaces
            )
        return await bot.send_to(self._host, tenant_id, employee_id, plain, replaces)
