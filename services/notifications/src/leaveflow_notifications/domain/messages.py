"""What a notification says, channel-neutral: the facts of one event for one reader.

A `Notice` is stored with the delivery (facts, not rendered text), so each channel's
template renders it at send time and a bad template fails that delivery, nothing else.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any

PENDING, APPROVED, DENIED, REJECTED, CANCELLED, DIGEST = (
    "pending",
    "approved",
    "denied",
    "rejected",
    "cancelled",
    "digest",
)
# Approval levels: a level approved (the employee's optional update), a reminder to the
# deciders, an escalation to the admins, a pending request its requester changed.
LEVEL_APPROVED, REMINDER, ESCALATED, EDITED = "level_approved", "reminder", "escalated", "edited"
# Time off in lieu: a claim to decide (it has no buttons: claims are decided on the
# dashboard), and its decision for the claimant.
TOIL_ASKED, TOIL_APPROVED, TOIL_DENIED = "toil_asked", "toil_approved", "toil_denied"
KINDS = (
    PENDING,
    APPROVED,
    DENIED,
    REJECTED,
    CANCELLED,
    DIGEST,
    LEVEL_APPROVED,
    REMINDER,
    ESCALATED,
    EDITED,
    TOIL_ASKED,
    TOIL_APPROVED,
    TOIL_DENIED,
)
# The kinds that ask their reader to decide (buttons, signed links).
ASKING = frozenset({PENDING, REMINDER, ESCALATED, EDITED})
# Who decides automatically (`LeaveApproved/LeaveDenied.approver_id`).
SYSTEM = "system"
# What an approver can decide on a pending request (buttons, signed links).
APPROVE, DENY = "approve", "deny"
DECISIONS = (APPROVE, DENY)


@dataclass(frozen=True)
class Notice:
    kind: str
    tenant_id: str
    employee_name: str = ""
    request_id: str | None = None
    leave_type: str = "leave"
    start_date: str = ""
    end_date: str = ""
    amount: str = ""
    unit: str = "days"
    # The decision's note, the rejection reason, or the requester's reason.
    detail: str | None = None
    available: str | None = None
    # For a digest: who is off, [{"name", "leave_type", "start_date", "end_date"}].
    items: list[dict[str, str]] = field(default_factory=list)
    # ...and who is off later in the same week.
    later: list[dict[str, str]] = field(default_factory=list)
    day: str = ""
    # Posted to a shared channel (a Slack webhook, a Teams channel): names the person and
    # never carries a reason or a note, which are for the person and their approvers.
    in_channel: bool = False
    # Where each approval level stands, [{"level", "status", "who"}] (`level_line`);
    # `who` names the decider of a decided level, else the people it waits for.
    levels: list[dict[str, str]] = field(default_factory=list)
    # The level the notice is about: the one it asks to decide (its buttons and links
    # decide that level only), or the one just approved (LEVEL_APPROVED); and the names
    # the request now waits for.
    level: int | None = None
    waiting_for: str = ""
    reminder_number: int | None = None
    # An edit: the dates before it, and who made it.
    old_start_date: str = ""
    old_end_date: str = ""
    edited_by: str = ""
    # A decision the system took (`approver_id == "system"`): `detail` says why.
    automatic: bool = False
    # Set when a message already sent is updated to a later state: what happened since.
    # A closed message asks nothing any more (no buttons).
    closed: str | None = None

    def for_channel(self) -> Notice:
        return replace(self, detail=None, available=None, in_channel=True)

    def closed_by(self, what: str, levels: list[dict[str, str]] | None = None) -> Notice:
        """This message as it reads once `what` happened (no decision asked any more)."""
        return replace(self, closed=what, levels=self.levels if levels is None else levels)

    @property
    def _whose(self) -> str:
        return f"{self.employee_name}'s" if self.in_channel else "Your"

    @property
    def span(self) -> str:
        if self.start_date == self.end_date:
            return self.start_date
        return f"{self.start_date} to {self.end_date}"

    @property
    def title(self) -> str:
        return {
            PENDING: f"{self.employee_name} requests {self.leave_type}",
            APPROVED: f"Leave approved: {self.leave_type} {self.span}",
            DENIED: f"Leave denied: {self.leave_type} {self.span}",
            REJECTED: f"Leave request rejected: {self.leave_type} {self.span}",
            CANCELLED: f"Leave cancelled: {self.employee_name}, {self.span}",
            DIGEST: f"Who is off on {self.day}",
            LEVEL_APPROVED: f"Level {self.level} approved: {self.leave_type} {self.span}",
            REMINDER: f"Reminder: {self.employee_name} requests {self.leave_type}",
            ESCALATED: f"Waiting too long: {self.employee_name} requests {self.leave_type}",
            EDITED: f"{self.employee_name} changed a request for {self.leave_type}",
            TOIL_ASKED: f"{self.employee_name} claims time off in lieu: {self.leave_type}",
            TOIL_APPROVED: f"Time off in lieu approved: {self.leave_type} {self.span}",
            TOIL_DENIED: f"Time off in lieu denied: {self.leave_type} {self.span}",
        }[self.kind]

    @property
    def level_line(self) -> str:
        """ "Level 1: approved by Ada · Level 2: waiting for Ben" (empty with one level)."""
        if len(self.levels) < 2:
            return ""
        return " · ".join(level_text(level) for level in self.levels)

    @property
    def text(self) -> str:
        """The summary, then where the levels stand, then what closed the message."""
        parts = [self.summary, self.level_line]
        if self.closed:
            parts.append(self.closed)
        return "\n".join(p for p in parts if p)

    @property
    def summary(self) -> str:
        """One or two sentences with the numbers and the reason."""
        what = f"{self.leave_type}, {self.span} ({self.amount} {self.unit})"
        if self.kind == PENDING:
            text = f"{self.employee_name} asks for {what}."
            return f"{text} Reason: {self.detail}" if self.detail else text
        if self.kind in (APPROVED, DENIED):
            verb = "approved" if self.kind == APPROVED else "denied"
            if self.automatic:
                why = f": {self.detail}" if self.detail else "."
                return f"{self._whose} {what} was {verb} automatically{why}"
            note = f" Note: {self.detail}" if self.detail else ""
            return f"{self._whose} {what} was {verb}.{note}"
        if self.kind == LEVEL_APPROVED:
            now = f", now with {self.waiting_for}" if self.waiting_for else ""
            return f"Level {self.level} of your {what} was approved{now}."
        if self.kind == REMINDER:
            ask = f"{self.employee_name} asks for {what}"
            since = f" (reminder {self.reminder_number})" if self.reminder_number else ""
            return f"{ask}; it still waits for your decision{since}."
        if self.kind == ESCALATED:
            waits = f", waiting for {self.waiting_for}" if self.waiting_for else ""
            return f"{self.employee_name}'s request for {what} is still pending{waits}."
        if self.kind == EDITED:
            was = f"{self.old_start_date} to {self.old_end_date}"
            by = self.edited_by or self.employee_name
            whose = "their" if by == self.employee_name else f"{self.employee_name}'s"
            return f"{by} changed {whose} request: now {what}, was {was}."
        if self.kind == TOIL_ASKED:
            worked = f"{self.amount} {self.unit} worked on {self.start_date}"
            text = f"{self.employee_name} claims {worked} as {self.leave_type}."
            return f"{text} Note: {self.detail}" if self.detail else text
        if self.kind in (TOIL_APPROVED, TOIL_DENIED):
            worked = f"{self.amount} {self.unit} of {self.leave_type} for {self.start_date}"
            verb = "approved" if self.kind == TOIL_APPROVED else "denied"
            credited = " and credited to your balance" if self.kind == TOIL_APPROVED else ""
            note = f" Note: {self.detail}" if self.detail else ""
            return f"Your claim of {worked} was {verb}{credited}.{note}"
        if self.kind == REJECTED:
            reason = (self.detail or "rejected").replace("_", " ")
            available = f" Available: {self.available} {self.unit}." if self.available else ""
            if self.in_channel:
                return f"{self._whose} request for {what} was rejected."
            return f"Your request for {what} was rejected: {reason}.{available}"
        if self.kind == CANCELLED:
            note = f" Note: {self.detail}" if self.detail else ""
            return f"{self.employee_name}'s {what} was cancelled.{note}"
        today = "; ".join(digest_line(i) for i in self.items) or "nobody"
        later = "; ".join(digest_line(i) for i in self.later) or "nobody"
        return f"Off today: {today}. Later this week: {later}."

    @property
    def needs_decision(self) -> bool:
        return self.kind in ASKING and self.request_id is not None and not self.closed

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Notice:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**known)


def decision_block(request_id: str, level: int | None) -> str:
    """The Slack actions block's id: names the request and the level its buttons decide
    (the buttons' `value` stays the bare request id, as messages sent before levels had)."""
    return f"decide:{request_id}" + (f"@{level}" if level else "")


_LEVEL_SUFFIX = re.compile(r"@(\d+)$")


def level_of_block(block_id: str) -> int | None:
    found = _LEVEL_SUFFIX.search(block_id)
    return int(found.group(1)) if found else None


def level_text(level: dict[str, str]) -> str:
    status, who = level.get("status", ""), level.get("who", "")
    phrase = {
        "approved": f"approved by {who}",
        "denied": f"denied by {who}",
        "pending": f"waiting for {who}",
        "waiting": f"then {who}" if who else "later",
        "skipped": "skipped",
    }.get(status, status)
    return f"Level {level.get('level')}: {phrase}".rstrip()


def digest_line(item: dict[str, str]) -> str:
    span = item["start_date"]
    if item.get("end_date") and item["end_date"] != span:
        span = f"{span} to {item['end_date']}"
    return f"{item['name']} ({item['leave_type']}, {span})"
