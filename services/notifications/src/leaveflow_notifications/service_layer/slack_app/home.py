"""The App Home: a person's balances, upcoming leave and pending requests, and for
approvers the requests waiting for their decision, with Approve / Deny buttons.

Everything is read through the public API as the person (so they see exactly what the
dashboard shows them) and built with slack_sdk's Block Kit models, whose `to_dict()`
validates the view (lengths, counts) before it is sent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    SectionBlock,
)
from slack_sdk.models.views import View

from ...domain.messages import decision_block
from ..ports import ApiUnavailable, LeaveflowApi, ReadModel
from .install import SlackInstaller

OPEN_MODAL = "open_request_modal"
STATUS_ON, STATUS_OFF, STATUS_CONNECT = "status_on", "status_off", "status_connect"
VIA = "slack"
# A Home view holds at most 100 blocks: each list is cut short well before that.
MAX_ROWS = 15


@dataclass
class HomeFacts:
    """What the Home shows, as read from the API."""

    name: str
    balances: list[str] = field(default_factory=list)
    upcoming: list[str] = field(default_factory=list)
    pending: list[str] = field(default_factory=list)
    # (request id, level or None, the line describing it)
    queue: list[tuple[str, int | None, str]] = field(default_factory=list)
    is_approver: bool = False
    problem: str | None = None


def _span(item: dict[str, Any], types: dict[str, str]) -> str:
    start, end = item.get("start_date"), item.get("end_date")
    when = str(start) if start == end else f"{start} to {end}"
    amount = item.get("amount")
    unit = str(item.get("unit") or "days")
    if amount == 1:
        unit = unit.removesuffix("s")
    size = f" ({amount:g} {unit})" if isinstance(amount, int | float) else ""
    return f"{types.get(str(item.get('leave_type_id')), 'Leave')} {when}{size}"


def _current_approvers(item: dict[str, Any]) -> tuple[int | None, list[str]]:
    approval = item.get("approval") if isinstance(item.get("approval"), dict) else None
    if not approval or not approval.get("current_level"):
        return None, []
    level = int(approval["current_level"])
    for row in approval.get("levels") or []:
        if row.get("level") == level:
            return level, [str(a) for a in row.get("approver_ids") or []]
    return level, []


def home_view(
    facts: HomeFacts,
    *,
    status: str,
    connect_url: str | None,
    notice: str | None = None,
) -> dict[str, Any]:
    """The Home tab (`status`: STATUS_ON when the person's status is set while away,
    STATUS_OFF when they turned it off, STATUS_CONNECT when we hold no token of theirs)."""
    blocks: list[Block] = [HeaderBlock(text=f"Leaveflow for {facts.name}"[:150])]
    if notice:
        blocks.append(SectionBlock(text=MarkdownTextObject(text=notice[:3000])))
    buttons = [ButtonElement(text="Request leave", action_id=OPEN_MODAL, style="primary")]
    if status == STATUS_ON:
        buttons.append(ButtonElement(text="Stop setting my status", action_id=STATUS_OFF))
    elif status == STATUS_OFF:
        buttons.append(ButtonElement(text="Set my status while away", action_id=STATUS_ON))
    elif connect_url:
        buttons.append(
            ButtonElement(
                text="Show my leave in my Slack status", action_id=STATUS_CONNECT, url=connect_url
            )
        )
    blocks.append(ActionsBlock(block_id="home_actions", elements=buttons))
    if facts.problem:
        blocks.append(SectionBlock(text=facts.problem[:3000]))
    for title, rows, empty in (
        ("Balances", facts.balances, "No balances yet."),
        ("Upcoming leave", facts.upcoming, "No approved leave ahead."),
        ("My pending requests", facts.pending, "Nothing waiting for a decision."),
    ):
        blocks += [DividerBlock(), SectionBlock(text=MarkdownTextObject(text=f"*{title}*"))]
        text = "\n".join(f"• {r}" for r in rows[:MAX_ROWS]) if rows else empty
        blocks.append(SectionBlock(text=MarkdownTextObject(text=text[:3000])))
    if facts.is_approver:
        blocks += [
            DividerBlock(),
            SectionBlock(text=MarkdownTextObject(text="*Waiting for your decision*")),
        ]
        if not facts.queue:
            blocks.append(ContextBlock(elements=[MarkdownTextObject(text="Nothing to decide.")]))
        for request_id, level, line in facts.queue[:MAX_ROWS]:
            blocks.append(SectionBlock(text=MarkdownTextObject(text=line[:3000])))
            blocks.append(
                ActionsBlock(
                    block_id=decision_block(request_id, level),
                    elements=[
                        ButtonElement(
                            text="Approve", action_id="approve", value=request_id, style="primary"
                        ),
                        ButtonElement(
                            text="Deny", action_id="deny", value=request_id, style="danger"
                        ),
                    ],
                )
            )
    view: dict[str, Any] = View(type="home", callback_id="leaveflow_home", blocks=blocks).to_dict()
    return view


def unknown_person_view(user_id: str) -> dict[str, Any]:
    text = (
        "Leaveflow does not know you yet. Ask your Leaveflow admin to put your Slack "
        f"member id `{user_id}` on your employee profile, then open this tab again."
    )
    view: dict[str, Any] = View(
        type="home",
        callback_id="leaveflow_home",
        blocks=[
            HeaderBlock(text="Leaveflow"),
            SectionBlock(text=MarkdownTextObject(text=text)),
        ],
    ).to_dict()
    return view


class HomeReader:
    """Reads the Home's facts through the API as the person."""

    def __init__(self, api: LeaveflowApi, reads: ReadModel) -> None:
        self._api, self._reads = api, reads

    async def _get(
        self,
        tenant_id: str,
        caller: str,
        service: str,
        path: str,
        params: dict[str, str] | None = None,
    ) -> Any:
        answer = await self._api.as_employee(
            tenant_id, caller, "GET", service, path, via=VIA, params=params
        )
        return answer.body if answer.ok else None

    async def facts(self, tenant_id: str, employee: dict[str, Any], today: date) -> HomeFacts:
        me = str(employee["id"])
        facts = HomeFacts(name=str(employee.get("name") or "you"))
        facts.is_approver = employee.get("role") in ("approver", "admin")
        try:
            await self._fill(tenant_id, me, employee, today, facts)
        except ApiUnavailable:
            facts.problem = "Leaveflow is not reachable right now; open this tab again soon."
        return facts

    async def _fill(
        self, tenant_id: str, me: str, employee: dict[str, Any], today: date, facts: HomeFacts
    ) -> None:
        types_body = await self._get(tenant_id, me, "requests", "/v1/leave-types") or {}
        types = {str(t["id"]): str(t["name"]) for t in types_body.get("items", [])}
        balances = await self._get(tenant_id, me, "balances", f"/v1/balances/{me}") or {}
        for row in balances.get("balances", []):
            name = types.get(str(row.get("leave_type_id")), "Leave")
            facts.balances.append(
                f"{name}: {row.get('available')} {row.get('unit', 'days')} available "
                f"({row.get('used')} used, {row.get('pending')} pending)"
            )
        mine = (
            await self._get(
                tenant_id,
                me,
                "requests",
                "/v1/leave-requests",
                {"employee_id": me, "from": today.isoformat()},
            )
            or {}
        )
        for item in sorted(mine.get("items", []), key=lambda i: str(i.get("start_date"))):
            if item.get("status") == "approved":
                facts.upcoming.append(_span(item, types))
            elif item.get("status") in ("submitted", "pending"):
                level, _ = _current_approvers(item)
                waiting = f" — waiting for level {level}" if level else ""
                facts.pending.append(_span(item, types) + waiting)
        if not facts.is_approver:
            return
        queue = (
            await self._get(tenant_id, me, "requests", "/v1/leave-requests", {"status": "pending"})
            or {}
        )
        admin = employee.get("role") == "admin"
        for item in queue.get("items", []):
            level, approvers = _current_approvers(item)
            if item.get("employee_id") == me or not (admin or me in approvers):
                continue
            who = await self._reads.person(tenant_id, str(item["employee_id"]))
            name = str((who or {}).get("name") or item["employee_id"])
            where = f" (level {level})" if level and level > 1 else ""
            line = f"*{name}*: {_span(item, types)}{where}"
            if item.get("reason"):
                line += f"\n_{item['reason']}_"
            facts.queue.append((str(item["id"]), level, line))


async def status_choice(installer: SlackInstaller, team_id: str, user_id: str) -> str:
    token, wanted = await installer.person(team_id, user_id)
    if token is None:
        return STATUS_CONNECT
    return STATUS_ON if wanted else STATUS_OFF
