"""Every problem a service answers, as one sentence a person understands.

The services speak problem+json (RFC 9457): a ``type`` URI, a status, a ``detail`` written
for developers and, for a 422, pydantic's messages per field ("String should match pattern
'^#[0-9a-fA-F]{6}$'"). None of that is for people: the pages show what this module makes of
it, chosen by the problem's type, its status and the field it is about. A problem this
module does not know still gets a plain sentence - never the service's own text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from .wording import date_range

if TYPE_CHECKING:
    from .api import ApiError

# What a field is called on the pages; the API's names are never shown.
LABELS: Mapping[str, str] = {
    "name": "name",
    "admin_name": "your name",
    "email": "email address",
    "admin_email": "email address",
    "color": "colour",
    "colour": "colour",
    "timezone": "time zone",
    "workweek": "working days",
    "approver_ids": "approvers",
    "start_date": "first day",
    "end_date": "last day",
    "start_part": "first day's part",
    "end_part": "last day's part",
    "hours": "hours",
    "leave_type_id": "leave type",
    "location_id": "location",
    "department_id": "department",
    "employee_id": "person",
    "role": "role",
    "note": "note",
    "reason": "reason",
    "amount": "amount",
    "unit": "unit",
    "entitlement": "yearly entitlement",
    "carryover_max": "carry-over limit",
    "country": "country",
    "subdivision": "region",
    "leave_year_start": "start of the leave year",
    "webhook_url": "webhook address",
    "signing_secret": "signing secret",
    "channel": "channel",
    "year": "year",
    "csv": "list of people",
    "body": "form",
}

# A pattern refused, said as what to type instead (by the field it is about).
PATTERN_HINTS: Mapping[str, str] = {
    "color": "Pick a colour written like #1f6f43 (a # and six digits or letters a–f).",
    "colour": "Pick a colour written like #1f6f43 (a # and six digits or letters a–f).",
    "email": "Enter an email address like name@example.com.",
    "admin_email": "Enter an email address like name@example.com.",
    "leave_year_start": "Write the start of the leave year as month-day, like 01-01.",
    "timezone": "Choose a time zone from the list, like Europe/Berlin.",
}

# Why the balances service turned a request down (``rejection_reason``).
REJECTIONS: Mapping[str, str] = {
    "insufficient_balance": "Not enough leave left for this request.",
    "no_policy": "This leave type is not set up for your location yet. Ask an administrator.",
}

# By the last part of the problem's ``type`` URI.
BY_TYPE: Mapping[str, str] = {
    "duplicate-email": "Someone in your company already has this email address.",
    "duplicate-name": "This name is taken already. Choose another one.",
    "last-admin": "Your company must keep at least one administrator.",
    "email-in-use": "This email address already runs a company on Leaveflow.",
    "domain-claimed": "Another company already signs people in with this email domain.",
    "counter-mismatch": "This passkey could not be checked. Try again.",
    "duplicate-credential": "This passkey is registered already.",
    "sso-enforced": "Your company asks everyone to sign in with its own single sign-on.",
    "gone": "This link has been used already or has expired.",
    "no-mail-server": "No email could be sent: this Leaveflow has no mail server set up.",
    "mail-not-sent": "The email could not be sent. Try again in a few minutes.",
    "payload-too-large": "What you sent is too large. Nothing was saved; send less at a time.",
    "insufficient-balance": REJECTIONS["insufficient_balance"],
}

BY_STATUS: Mapping[int, str] = {
    400: "This could not be done as sent. Check what you entered and try again.",
    403: (
        "You are not allowed to see or do this. If your role changed recently, the pages now "
        "show what your new role allows."
    ),
    404: "This is not here any more, or it never was.",
    409: "This could not be done because something changed in the meantime. Reload and retry.",
    410: BY_TYPE["gone"],
    413: BY_TYPE["payload-too-large"],
    422: "Some of what you entered needs a change.",
}

UNREACHABLE = "Leaveflow could not reach one of its parts just now. Try again in a minute."
BROKEN = "Something went wrong on our side. Nothing was lost; try again in a minute."
NOT_OFFERED = "This part of Leaveflow is not available on this server yet."
GENERIC = "This could not be done. Try again, or ask an administrator if it keeps happening."

STATUS_WORDS: Mapping[str, str] = {
    "submitted": "waiting to be checked",
    "pending": "waiting for approval",
    "approved": "approved",
}

_OVERLAP = re.compile(r"overlaps request (?P<id>\S+) \((?P<status>[a-z_]+)\)")


@dataclass(frozen=True)
class Overlap:
    """The live request that the new one runs into (the API names only its id)."""

    request_id: str
    status: str
    start: date | None = None
    end: date | None = None


def slug(problem: ApiError) -> str:
    """The problem's kind: the last part of its ``type`` URI ("" for about:blank)."""
    return problem.type.rstrip("/").rsplit("/", 1)[-1] if "/" in problem.type else ""


def label(field: str) -> str:
    """The words for a field: its known label, else its name made readable."""
    last = field.rsplit(".", 1)[-1]
    if last.isdigit() and "." in field:  # "workweek.0" is about the working days
        last = field.split(".")[-2]
    return LABELS.get(last, last.replace("_id", "").replace("_", " "))


def field_sentence(field: str, message: str) -> str:
    """One API message about one field, as a sentence (pydantic's and the services')."""
    key = field.rsplit(".", 1)[-1]
    what = label(field)
    text = message.strip()
    lowered = text.lower()
    if "end_date is before start_date" in lowered or "before start" in lowered:
        return "The last day is before the first day. Pick a last day on or after it."
    if "should match pattern" in lowered:
        return PATTERN_HINTS.get(key, f"The {what} is not written the way it should be.")
    if "valid email" in lowered or (key in ("email", "admin_email") and "email" in lowered):
        return PATTERN_HINTS["email"]
    if lowered == "field required" or "at least 1 character" in lowered:
        return f"Fill in the {what}."
    if match := re.search(r"at least (\d+) items?", lowered):
        return f"Choose at least {_count(int(match[1]), what)}."
    if match := re.search(r"at most (\d+) characters?", lowered):
        return f"The {what} can be at most {match[1]} characters long."
    if match := re.search(r"at most (\d+) items?", lowered):
        return f"Choose at most {match[1]} for the {what}."
    if "valid date" in lowered or ("date" in lowered and "format" in lowered):
        return f"Enter the {what} as a date."
    if "valid number" in lowered or "valid decimal" in lowered or "valid integer" in lowered:
        return f"Enter the {what} as a number."
    if match := re.search(r"greater than or equal to (-?[\d.]+)", lowered):
        return f"The {what} must be {match[1]} or more."
    if match := re.search(r"greater than (-?[\d.]+)", lowered):
        return f"The {what} must be more than {match[1]}."
    if match := re.search(r"less than or equal to (-?[\d.]+)", lowered):
        return f"The {what} must be {match[1]} or less."
    if "decimal places" in lowered:
        return f"The {what} can have at most 2 decimals, like 0.5 or 2.25."
    if lowered.startswith("input should be"):
        return f"Choose one of the offered values for the {what}."
    if "unknown" in lowered or "no such" in lowered or "not found" in lowered:
        return f"The {what} you picked no longer exists. Reload and pick again."
    if "time zone" in lowered or "timezone" in lowered:
        return PATTERN_HINTS["timezone"]
    if "half day" in lowered:
        return "This leave type cannot be taken in half days."
    if "no working day" in lowered:
        return "These dates have no working day: pick days you would otherwise work."
    if "366" in lowered or "too long" in lowered:
        return "One request can cover at most a year. Split it into shorter ones."
    if "public address" in lowered:
        # The outbound rule (LEAVEFLOW_OUTBOUND_ALLOW): loopback and private ranges refused.
        return (
            f"The {what} must be on the public internet: an address inside this network "
            "(such as 127.0.0.1 or 10.0.0.1) is not allowed."
        )
    if "not active" in lowered or "not employed" in lowered:
        return "The person does not work here on all of these days."
    return f"Check the {what}."


def _count(n: int, what: str) -> str:
    if n == 1:
        return f"one of the {what}" if what.endswith("s") else f"one {what}"
    return f"{n} {what}"


def field_sentences(errors: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """A problem's ``errors`` by field name, each as a sentence (the first one per field)."""
    out: dict[str, str] = {}
    for error in errors:
        field = str(error.get("field", "") or "body")
        key = field.split(".")[0] if field.split(".")[-1].isdigit() else field
        out.setdefault(key, field_sentence(field, str(error.get("message", ""))))
    return out


def overlap_of(problem: ApiError) -> Overlap | None:
    """Which request a 409 overlapping-request names (None for other problems)."""
    if slug(problem) != "overlapping-request":
        return None
    match = _OVERLAP.search(problem.detail)
    if match is None:
        return Overlap("", "")
    return Overlap(match["id"], match["status"])


def overlap_sentence(overlap: Overlap) -> str:
    status = STATUS_WORDS.get(overlap.status, overlap.status.replace("_", " "))
    where = f" ({status})" if status else ""
    if overlap.start and overlap.end:
        days = date_range(overlap.start, overlap.end, year=False)
        return f"You already have leave on {days}{where}."
    return f"You already have leave on some of these days{where}."


def too_many_attempts(retry_after: int | None) -> str:
    seconds = retry_after if retry_after is not None else 60
    unit = "second" if seconds == 1 else "seconds"
    return f"Too many attempts - try again in {seconds} {unit}."


def sentence(problem: ApiError) -> str:
    """The whole problem in one sentence, for a box above a form or in a page's section."""
    kind = slug(problem)
    if kind == "overlapping-request":
        return overlap_sentence(problem.overlap or overlap_of(problem) or Overlap("", ""))
    if problem.status == 429:
        return too_many_attempts(problem.retry_after)
    if kind == "invalid-transition":
        return "This request can no longer be changed that way. Reload to see where it stands."
    if kind in BY_TYPE:
        return BY_TYPE[kind]
    if problem.status in (401, 403) and kind != "unauthorized":
        return BY_STATUS[403]
    if problem.status == 404 and problem.title == "not available":
        return NOT_OFFERED
    if problem.errors and problem.status in (400, 409, 422):
        found = field_sentences(problem.errors)
        return " ".join(dict.fromkeys(found.values()))
    if problem.status == 503:
        return UNREACHABLE
    if problem.status >= 500:
        return BROKEN
    return BY_STATUS.get(problem.status, GENERIC)


def rejection(reason: str | None) -> str:
    """Why a request was turned down without a person deciding (``rejection_reason``)."""
    if not reason:
        return "The request was turned down."
    return REJECTIONS.get(reason, "The request was turned down by the leave rules.")
