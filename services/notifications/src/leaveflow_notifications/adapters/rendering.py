"""One template per channel: Slack Block Kit, a Teams Adaptive Card, email HTML + text;
and the account mails (sign-in link, signup confirmation, invitation), email only."""

from __future__ import annotations

from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from slack_sdk.models.blocks import (
    ActionsBlock,
    ButtonElement,
    ContextBlock,
    MarkdownTextObject,
    SectionBlock,
)

from ..domain.account_mail import AccountMail, one_line
from ..domain.messages import APPROVE, DENY, Notice, decision_block, digest_line

_jinja = Environment(
    loader=PackageLoader("leaveflow_notifications.adapters", "templates"),
    autoescape=select_autoescape(["html", "j2"], default_for_string=True),
    undefined=StrictUndefined,
)
_jinja_text = Environment(
    loader=PackageLoader("leaveflow_notifications.adapters", "templates"),
    autoescape=False,
    undefined=StrictUndefined,
)


def slack_message(notice: Notice, to: dict[str, Any], dashboard_url: str) -> dict[str, Any]:
    """Block Kit; a pending request gets Approve / Deny buttons carrying the request id."""
    ids = [to["slack_user_id"]] if to.get("slack_user_id") else list(to.get("mentions") or [])
    mention = "".join(f"<@{i}> " for i in ids)
    blocks: list[Any] = [
        SectionBlock(text=MarkdownTextObject(text=f"{mention}*{notice.title}*\n{notice.text}"))
    ]
    if notice.kind == "digest" and notice.items:
        lines = "\n".join(f"• {digest_line(item)}" for item in notice.items)
        blocks.append(SectionBlock(text=MarkdownTextObject(text=lines)))
    if notice.needs_decision and notice.request_id is not None:
        blocks.append(
            ActionsBlock(
                block_id=decision_block(notice.request_id, notice.level),
                elements=[
                    ButtonElement(
                        text="Approve", action_id=APPROVE, value=notice.request_id, style="primary"
                    ),
                    ButtonElement(
                        text="Deny", action_id=DENY, value=notice.request_id, style="danger"
                    ),
                ],
            )
        )
    blocks.append(ContextBlock(elements=[MarkdownTextObject(text=f"<{dashboard_url}|Leaveflow>")]))
    return {"text": f"{notice.title}: {notice.text}", "blocks": [b.to_dict() for b in blocks]}


def teams_message(
    notice: Notice, to: dict[str, Any], dashboard_url: str, links: dict[str, str] | None
) -> dict[str, Any]:
    """An Adaptive Card for a Workflows webhook; decisions are signed links (OpenUrl)."""
    body: list[dict[str, Any]] = [
        {"type": "TextBlock", "text": notice.title, "weight": "Bolder", "size": "Medium"},
        {"type": "TextBlock", "text": notice.text, "wrap": True},
    ]
    if to.get("name"):
        body.insert(0, {"type": "TextBlock", "text": f"For {to['name']}", "isSubtle": True})
    if notice.kind == "digest":
        body += [{"type": "TextBlock", "text": f"- {digest_line(i)}"} for i in notice.items]
    actions: list[dict[str, Any]] = []
    if links:
        actions += [
            {"type": "Action.OpenUrl", "title": "Approve", "url": links[APPROVE]},
            {"type": "Action.OpenUrl", "title": "Deny", "url": links[DENY]},
        ]
    actions.append({"type": "Action.OpenUrl", "title": "Open Leaveflow", "url": dashboard_url})
    card = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": body,
        "actions": actions,
    }
    return {
        "type": "message",
        "attachments": [
            {"contentType": "application/vnd.microsoft.card.adaptive", "content": card}
        ],
    }


def email_message(
    notice: Notice, dashboard_url: str, links: dict[str, str] | None
) -> dict[str, Any]:
    context = {"notice": notice, "links": links, "dashboard_url": dashboard_url}
    return {
        "subject": notice.title,
        "html": _jinja.get_template("email.html.j2").render(context),
        "text": _jinja_text.get_template("email.txt.j2").render(context),
    }


def account_message(mail: AccountMail) -> dict[str, Any]:
    context = {"mail": mail}
    return {
        "subject": one_line(mail.subject),
        "html": _jinja.get_template("account.html.j2").render(context),
        "text": _jinja_text.get_template("account.txt.j2").render(context),
    }


class ChannelTemplates:
    """Implements `service_layer.ports.Renderer`: every message ends with a link to the
    dashboard at `dashboard_url`."""

    def __init__(self, dashboard_url: str) -> None:
        self._dashboard = dashboard_url

    def slack(self, notice: Notice, to: dict[str, Any]) -> dict[str, Any]:
        return slack_message(notice, to, self._dashboard)

    def teams(
        self, notice: Notice, to: dict[str, Any], links: dict[str, str] | None
    ) -> dict[str, Any]:
        return teams_message(notice, to, self._dashboard, links)

    def email(self, notice: Notice, links: dict[str, str] | None) -> dict[str, Any]:
        return email_message(notice, self._dashboard, links)

    def account(self, mail: AccountMail) -> dict[str, Any]:
        return account_message(mail)
