"""What the admin pages show, in words, from the services' answers (pure: no I/O).

Deliveries read as "Email to Eve Example: not sent - the mail server refused it", the
employee list is searched and paged here, offboarding lists the leave an end date
affects, and an adjustment says what the balance becomes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from .. import wording
from ..i18n import N_
from ..i18n import gettext as _

PER_PAGE = 25

CHANNELS = {"slack": "Slack", "teams": "Microsoft Teams", "email": N_("Email")}

# What each event told people.
EVENTS = {
    "LeaveRequested": N_("Leave requested"),
    "LeavePending": N_("Leave waiting for approval"),
    "LeaveApproved": N_("Leave approved"),
    "LeaveDenied": N_("Leave denied"),
    "LeaveRejected": N_("Leave not possible"),
    "LeaveCancelled": N_("Leave cancelled"),
    "LeaveRepriced": N_("Leave recounted"),
    "EmployeeInvited": N_("Invitation to sign in"),
}

STATES = {
    "pending": N_("Waiting to be sent"),
    "sending": N_("Sending"),
    "sent": N_("Sent"),
    "retrying": N_("Failed, will try again"),
    "dead": N_("Failed, gave up"),
}

# Notifications records a standard reason only (docs/api.md): each one in words.
_ERROR_STARTS = (
    ("timed out", N_("The other side did not answer in time.")),
    ("network:", N_("The destination could not be reached.")),
    ("HTTP 401", N_("The destination refused our credentials: check the integration.")),
    ("HTTP 403", N_("The destination refused our credentials: check the integration.")),
    ("HTTP 404", N_("The destination does not exist any more: check the webhook URL.")),
    ("HTTP 410", N_("The destination does not exist any more: check the webhook URL.")),
    ("HTTP 429", N_("The destination asked us to slow down.")),
    ("HTTP 5", N_("The destination had a problem of its own.")),
    ("SMTP 5", N_("The mail server refused the message.")),
    ("SMTP 4", N_("The mail server could not take the message for now.")),
)

LIVE = ("submitted", "pending", "approved")


def delivery_error(error: Any) -> str:
    """A delivery's last error as a sentence; "" when there is none."""
    text = str(error or "").strip()
    if not text:
        return ""
    for start, sentence in _ERROR_STARTS:
        if text.startswith(start):
            return _(sentence)
    if "public address" in text or "not allowed" in text:
        return _("The destination is not a public address, so nothing is sent there.")
    if "not configured" in text or "no integration" in text:
        return _("That channel is not set up.")
    return _("It could not be sent.")


def when(value: Any) -> str:
    """An ISO timestamp as "1 Dec 2026, 14:05" (UTC, as the services store it)."""
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return ""
    return wording.moment(moment)


def day_words(value: Any) -> str:
    """An ISO date as "Mon 21 Dec 2026"; anything else as given."""
    try:
        day = date.fromisoformat(str(value))
    except ValueError:
        return str(value or "")
    return wording.day_with_weekday(day)


def delivery_rows(
    deliveries: list[dict[str, Any]], people: dict[str, dict[str, Any]]
) -> list[dict[str, Any]]:
    """One row per delivery: when, channel, who, what, state and why it failed."""
    rows = []
    newest_first = sorted(deliveries, key=lambda d: str(d.get("created_at") or ""), reverse=True)
    for d in newest_first:
        recipient = str(d.get("recipient") or "")
        if recipient == "channel":
            who = _("the shared channel")
        else:
            who = str(people.get(recipient, {}).get("name") or _("someone no longer listed"))
        event = d.get("event") if isinstance(d.get("event"), dict) else {}
        event_type = str((event or {}).get("type") or d.get("event_type") or "")
        status = str(d.get("status") or "")
        rows.append(
            {
                "id": str(d.get("id") or ""),
                "when": when(d.get("sent_at") or d.get("created_at")),
                "channel": _(CHANNELS[str(d.get("channel"))])
                if str(d.get("channel")) in CHANNELS
                else str(d.get("channel") or ""),
                "who": who,
                "what": _(EVENTS.get(event_type, N_("Notification"))),
                "state": _(STATES[status]) if status in STATES else status,
                "failed": status in ("retrying", "dead"),
                "error": delivery_error(d.get("last_error")),
                "attempts": int(d.get("attempts") or 0),
            }
        )
    return rows


@dataclass(frozen=True)
class PeoplePage:
    items: list[dict[str, Any]]
    page: int
    pages: int
    total: int
    query: str


def search_people(people: list[dict[str, Any]], query: str, page: int) -> PeoplePage:
    """People whose name or email holds every word of ``query``, by name, one page."""
    words = query.casefold().split()

    def matches(person: dict[str, Any]) -> bool:
        text = f"{person.get('name', '')} {person.get('email', '')}".casefold()
        return all(word in text for word in words)

    found = sorted(
        (p for p in people if matches(p)), key=lambda p: str(p.get("name", "")).casefold()
    )
    pages = max(1, -(-len(found) // PER_PAGE))
    page = min(max(page, 1), pages)
    start = (page - 1) * PER_PAGE
    return PeoplePage(found[start : start + PER_PAGE], page, pages, len(found), query.strip())


def has_left(person: dict[str, Any], today: date) -> bool:
    end = person.get("end_date")
    return bool(end) and str(end) < today.isoformat()


def approver_choices(people: list[dict[str, Any]], today: date) -> list[dict[str, Any]]:
    """Who may approve for a department: approvers and admins still employed."""
    return sorted(
        (p for p in people if p.get("role") in ("approver", "admin") and not has_left(p, today)),
        key=lambda p: str(p.get("name", "")).casefold(),
    )


def leave_after(requests: list[dict[str, Any]], last_day: date) -> list[dict[str, Any]]:
    """Live requests with a day after ``last_day``: what an end date leaves stranded."""
    return sorted(
        (
            r
            for r in requests
            if r.get("status") in LIVE and str(r.get("end_date", "")) > last_day.isoformat()
        ),
        key=lambda r: str(r.get("start_date", "")),
    )


def decimal(value: Any) -> Decimal | None:
    try:
        parsed = Decimal(str(value))
    except InvalidOperation:
        return None
    return parsed if parsed.is_finite() else None


def balance_after(balances: Any, leave_type_id: str, amount: Decimal) -> Decimal | None:
    """What the available balance of a type becomes with ``amount`` added; None when the
    balance is not known (no policy, or balances did not answer)."""
    entries = balances.get("balances", []) if isinstance(balances, dict) else []
    for entry in entries:
        if str(entry.get("leave_type_id")) == leave_type_id:
            available = decimal(entry.get("available"))
            return None if available is None else available + amount
    return None


FEED_SCOPES = {
    "tenant": N_("Everyone"),
    "department": N_("Department"),
    "location": N_("Location"),
    "employee": N_("One person"),
}


def feed_rows(feeds: list[dict[str, Any]], directory: dict[str, Any]) -> list[dict[str, Any]]:
    """A feed as "Location: Berlin, followed by Ada, since 1 Dec 2026"."""
    names = {
        "department": {str(d["id"]): d.get("name") for d in directory.get("departments", [])},
        "location": {str(loc["id"]): loc.get("name") for loc in directory.get("locations", [])},
        "employee": {pid: p.get("name") for pid, p in directory.get("people", {}).items()},
    }
    rows = []
    for feed in feeds:
        scope = str(feed.get("scope") or "")
        of = names.get(scope, {}).get(str(feed.get("scope_id") or ""), "") if scope else ""
        owner = directory.get("people", {}).get(str(feed.get("owner_id") or ""), {})
        rows.append(
            {
                "id": str(feed.get("id") or ""),
                "what": (_(FEED_SCOPES[scope]) if scope in FEED_SCOPES else scope)
                + (f": {of}" if of else ""),
                "owner": str(owner.get("name") or _("someone no longer listed")),
                "since": when(feed.get("created_at")),
            }
        )
    return rows
