"""Edits balances has not answered yet (docs/adr/0011-an-edit-is-checked-like-a-submission.md).

A person's edit is saved at once and announced as `LeaveRepriced` with an `edit_id`;
balances checks the new price against what is left, as it does a submission, and answers a
shortfall with `LeaveEditRejected`. The request then goes back to what it was before the
edit, so each edit keeps that here until it is answered.

Balances answers the edits of one employee in their order. An edit refused while a later
one is in flight was never booked, so the later one was checked against what stood before
the refused one: that earlier state becomes what the later one goes back to. Accepted
edits are never answered; the oldest are dropped past `KEPT` (more edits of one request in
flight than that, before balances answers the first, does not happen by hand).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from .approval import Approval

KEPT = 20


@dataclass
class EditInFlight:
    """What the request was before the edit `edit_id`, and its approval right after it
    (a decision taken since is kept when the edit is undone)."""

    edit_id: str
    start_date: date
    end_date: date
    start_part: str
    end_part: str
    amount: Decimal
    working_days: list[date] = field(default_factory=list)
    sandwiched_days: list[date] = field(default_factory=list)
    reason: str | None = None
    warnings: list[str] = field(default_factory=list)
    approval_before: Approval | None = None
    approval_after: Approval | None = None


def settle(
    in_flight: list[EditInFlight], refused_id: str
) -> tuple[list[EditInFlight], EditInFlight | None]:
    """The edits still in flight once `refused_id` is refused, and what to go back to now
    (None: the edit is unknown or was followed by another, which inherits its before)."""
    ids = [e.edit_id for e in in_flight]
    if refused_id not in ids:
        return in_flight, None
    at = ids.index(refused_id)
    refused, later = in_flight[at], in_flight[at + 1 :]
    if not later:
        return [], refused
    successor = later[0]
    inherited = EditInFlight(
        edit_id=successor.edit_id,
        start_date=refused.start_date,
        end_date=refused.end_date,
        start_part=refused.start_part,
        end_part=refused.end_part,
        amount=refused.amount,
        working_days=list(refused.working_days),
        sandwiched_days=list(refused.sandwiched_days),
        reason=refused.reason,
        warnings=list(refused.warnings),
        approval_before=refused.approval_before,
        approval_after=successor.approval_after,
    )
    return [inherited, *later[1:]], None
