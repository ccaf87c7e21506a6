"""What a notification says, channel-neutral: the facts of one event for one reader.

A `Notice` is stored with the delivery (facts, not rendered text), so each channel's
template renders it at send time and a bad template fails that delivery, nothing else.
"""

from __future__ import annotations

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
KINDS = (PENDING, APPROVED, DENIED, REJECTED, CANCELLED, DIGEST)
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

    def for_channel(self) -> Notice:
        return replace(self, detail=None, available=None, in_channel=True)

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
        }[self.kind]

    @property
    def summary(self) -> str:
        """One or two sentences with the numbers and the reason."""
        what = f"{self.leave_type}, {self.span} ({self.amount} {self.unit})"
        if self.kind == PENDING:
            text = f"{self.employee_name} asks for {what}."
            return f"{text} Reason: {self.detail}" if self.detail else text
        if self.kind == APPROVED:
            note = f" Note: {self.detail}" if self.detail else ""
            return f"{self._whose} {what} was approved.{note}"
        if self.kind == DENIED:
            return f"{self._whose} {what} was denied." + (
                f" Note: {self.detail}" if self.detail else ""
            )
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
        return self.kind == PENDING and self.request_id is not None

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Notice:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**known)


def digest_line(item: dict[str, str]) -> str:
    span = item["start_date"]
    if item.get("end_date") and item["end_date"] != span:
        span = f"{span} to {item['end_date']}"
    return f"{item['name']} ({item['leave_type']}, {span})"
