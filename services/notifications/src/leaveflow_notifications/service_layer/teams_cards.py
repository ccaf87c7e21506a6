"""Adaptive Cards the Teams bot sends: a leave request with every approval level's state,
Approve / Deny as `Action.Execute` (Universal Actions), refreshed for its approvers.

Built from the requests API's answer (`GET /v1/leave-requests/{id}` as the viewer), so a
card shows what the API says now, never what the message said when it was sent.
"""

from __future__ import annotations

from typing import Any

CARD_VERSION = "1.4"
APPROVE, DENY, REFRESH = "approve", "deny", "refresh"


def _level_line(level: dict[str, Any], names: dict[str, str]) -> str:
    status = str(level.get("status") or "")
    decided_by = level.get("decided_by")
    who = names.get(str(decided_by), str(decided_by)) if decided_by else ""
    waiting = ", ".join(names.get(a, a) for a in level.get("approver_ids") or [])
    phrase = {
        "approved": f"approved by {who}",
        "denied": f"denied by {who}",
        "pending": f"waiting for {waiting or 'the admins'}",
        "waiting": f"then {waiting or 'the admins'}",
        "skipped": "skipped",
    }.get(status, status)
    note = f" ({level['note']})" if level.get("note") and status in ("approved", "denied") else ""
    return f"Level {level.get('level')}: {phrase}{note}"


def request_card(
    request: dict[str, Any],
    *,
    names: dict[str, str],
    refresh_for: list[str],
    outcome: str | None = None,
) -> dict[str, Any]:
    """The card for one leave request. `names`: employee id -> display name; `refresh_for`:
    the Entra object ids of the people whose card Teams refreshes on view (its approvers,
    at most 60 as Teams allows); `outcome`: the sentence answering the click just made."""
    request_id = str(request["id"])
    employee = names.get(str(request.get("employee_id")), "Someone")
    span = str(request.get("start_date"))
    if request.get("end_date") and request["end_date"] != request.get("start_date"):
        span = f"{span} to {request['end_date']}"
    unit = request.get("unit") or "days"
    body: list[dict[str, Any]] = [
        {"type": "TextBlock", "text": "Leave request", "weight": "Bolder", "size": "Medium"},
        {
            "type": "TextBlock",
            "text": f"{employee}: {span} ({request.get('amount')} {unit})",
            "wrap": True,
        },
        {"type": "TextBlock", "text": f"Status: {request.get('status')}", "wrap": True},
    ]
    if request.get("reason"):
        body.append({"type": "TextBlock", "text": f"Reason: {request['reason']}", "wrap": True})
    approval = request.get("approval") if isinstance(request.get("approval"), dict) else None
    levels = (approval or {}).get("levels") or []
    body += [
        {"type": "TextBlock", "text": _level_line(level, names), "wrap": True, "spacing": "None"}
        for level in levels
    ]
    if outcome:
        body.append({"type": "TextBlock", "text": outcome, "wrap": True, "color": "Accent"})
    current = (approval or {}).get("current_level")
    actions: list[dict[str, Any]] = []
    if request.get("status") == "pending" and current:
        data = {"request_id": request_id, "level": current}
        actions = [
            {"type": "Action.Execute", "title": "Approve", "verb": APPROVE, "data": data},
            {"type": "Action.Execute", "title": "Deny", "verb": DENY, "data": data},
        ]
    card: dict[str, Any] = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": CARD_VERSION,
        "body": body,
        "actions": actions,
    }
    if refresh_for:
        card["refresh"] = {
            "action": {
                "type": "Action.Execute",
                "title": "Refresh",
                "verb": REFRESH,
                "data": {"request_id": request_id},
            },
            "userIds": refresh_for[:60],
        }
    return card


def text_card(text: str) -> dict[str, Any]:
    """A card that only says something (a click Leaveflow could not act on)."""
    return {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": CARD_VERSION,
        "body": [{"type": "TextBlock", "text": text, "wrap": True}],
    }
