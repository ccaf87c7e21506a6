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

from .i18n import N_, ngettext
from .i18n import gettext as _
from .wording import date_range

if TYPE_CHECKING:
    from .api import ApiError

# What a field is called on the pages; the API's names are never shown.
LABELS: Mapping[str, str] = {
    "name": N_("name"),
    "admin_name": N_("your name"),
    "email": N_("email address"),
    "admin_email": N_("email address"),
    "color": N_("colour"),
    "colour": N_("colour"),
    "timezone": N_("time zone"),
    "workweek": N_("working days"),
    "approver_ids": N_("approvers"),
    "start_date": N_("first day"),
    "end_date": N_("last day"),
    "start_part": N_("first day's part"),
    "end_part": N_("last day's part"),
    "hours": N_("hours"),
    "leave_type_id": N_("leave type"),
    "location_id": N_("location"),
    "department_id": N_("department"),
    "employee_id": N_("person"),
    "role": N_("role"),
    "note": N_("note"),
    "reason": N_("reason"),
    "amount": N_("amount"),
    "unit": N_("unit"),
    "entitlement": N_("yearly entitlement"),
    "carryover_max": N_("carry-over limit"),
    "min_notice_days": N_("notice in days"),
    "max_days_ahead": N_("days ahead at most"),
    "max_consecutive": N_("longest leave in a row"),
    "probation_days": N_("probation in days"),
    "sandwich": N_("days between leave days"),
    "accrual_cap": N_("accrual cap"),
    "after_years": N_("years of service"),
    "extra": N_("extra"),
    "label": N_("label"),
    "labels": N_("labels"),
    "expiry_months": N_("expiry in months"),
    "seniority_from": N_("seniority start"),
    "country": N_("country"),
    "subdivision": N_("region"),
    "leave_year_start": N_("start of the leave year"),
    "webhook_url": N_("webhook address"),
    "signing_secret": N_("signing secret"),
    "channel": N_("channel"),
    "year": N_("year"),
    "csv": N_("list of people"),
    "body": N_("form"),
}

# A pattern refused, said as what to type instead (by the field it is about).
PATTERN_HINTS: Mapping[str, str] = {
    "color": N_("Pick a colour written like #1f6f43 (a # and six digits or letters a–f)."),
    "colour": N_("Pick a colour written like #1f6f43 (a # and six digits or letters a–f)."),
    "email": N_("Enter an email address like name@example.com."),
    "admin_email": N_("Enter an email address like name@example.com."),
    "leave_year_start": N_("Write the start of the leave year as month-day, like 01-01."),
    "timezone": N_("Choose a time zone from the list, like Europe/Berlin."),
}

# By the last part of the problem's ``type`` URI.
BY_TYPE: Mapping[str, str] = {
    "duplicate-email": N_("Someone in your company already has this email address."),
    "duplicate-name": N_("This name is taken already. Choose another one."),
    "last-admin": N_("Your company must keep at least one administrator."),
    "email-in-use": N_("This email address already runs a company on Leaveflow."),
    "domain-claimed": N_("Another company already signs people in with this email domain."),
    "counter-mismatch": N_("This passkey could not be checked. Try again."),
    "duplicate-credential": N_("This passkey is registered already."),
    "sso-enforced": N_("Your company asks everyone to sign in with its own single sign-on."),
    "gone": N_("This link has been used already or has expired."),
    "no-mail-server": N_("No email could be sent: this Leaveflow has no mail server set up."),
    "mail-not-sent": N_("The email could not be sent. Try again in a few minutes."),
    "payload-too-large": N_("What you sent is too large. Nothing was saved; send less at a time."),
    "insufficient-balance": N_("Not enough leave left for this request."),
}

BY_STATUS: Mapping[int, str] = {
    400: N_("This could not be done as sent. Check what you entered and try again."),
    403: N_(
        "You are not allowed to see or do this. If your role changed recently, the pages now "
        "show what your new role allows."
    ),
    404: N_("This is not here any more, or it never was."),
    409: N_("This could not be done because something changed in the meantime. Reload and retry."),
    410: BY_TYPE["gone"],
    413: BY_TYPE["payload-too-large"],
    422: N_("Some of what you entered needs a change."),
}

UNREACHABLE = N_("Leaveflow could not reach one of its parts just now. Try again in a minute.")
BROKEN = N_("Something went wrong on our side. Nothing was lost; try again in a minute.")
NOT_OFFERED = N_("This part of Leaveflow is not available on this server yet.")
GENERIC = N_("This could not be done. Try again, or ask an administrator if it keeps happening.")

STATUS_WORDS: Mapping[str, str] = {
    "submitted": N_("waiting to be checked"),
    "pending": N_("waiting for approval"),
    "approved": N_("approved"),
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
    known = LABELS.get(last)
    return _(known) if known else last.replace("_id", "").replace("_", " ")


def field_sentence(field: str, message: str) -> str:
    """One API message about one field, as a sentence (pydantic's and the services')."""
    key = field.rsplit(".", 1)[-1]
    what = label(field)
    text = message.strip()
    lowered = text.lower()
    if "end_date is before start_date" in lowered or "before start" in lowered:
        return _("The last day is before the first day. Pick a last day on or after it.")
    if "should match pattern" in lowered:
        hint = PATTERN_HINTS.get(key)
        return (
            _(hint) if hint else _("The %(what)s is not written the way it should be.", what=what)
        )
    if "valid email" in lowered or (key in ("email", "admin_email") and "email" in lowered):
        return _(PATTERN_HINTS["email"])
    if lowered == "field required" or "at least 1 character" in lowered:
        return _("Fill in the %(what)s.", what=what)
    if match := re.search(r"at least (\d+) items?", lowered):
        return _count(int(match[1]), what)
    if match := re.search(r"at most (\d+) characters?", lowered):
        return _("The %(what)s can be at most %(n)s characters long.", what=what, n=match[1])
    if match := re.search(r"at most (\d+) items?", lowered):
        return _("Choose at most %(n)s for the %(what)s.", n=match[1], what=what)
    if "valid date" in lowered or ("date" in lowered and "format" in lowered):
        return _("Enter the %(what)s as a date.", what=what)
    if "valid number" in lowered or "valid decimal" in lowered or "valid integer" in lowered:
        return _("Enter the %(what)s as a number.", what=what)
    if match := re.search(r"greater than or equal to (-?[\d.]+)", lowered):
        return _("The %(what)s must be %(n)s or more.", what=what, n=match[1])
    if match := re.search(r"greater than (-?[\d.]+)", lowered):
        return _("The %(what)s must be more than %(n)s.", what=what, n=match[1])
    if match := re.search(r"less than or equal to (-?[\d.]+)", lowered):
        return _("The %(what)s must be %(n)s or less.", what=what, n=match[1])
    if "decimal places" in lowered:
        return _("The %(what)s can have at most 2 decimals, like 0.5 or 2.25.", what=what)
    if lowered.startswith("input should be"):
        return _("Choose one of the offered values for the %(what)s.", what=what)
    if "unknown" in lowered or "no such" in lowered or "not found" in lowered:
        return _("The %(what)s you picked no longer exists. Reload and pick again.", what=what)
    if "time zone" in lowered or "timezone" in lowered:
        return _(PATTERN_HINTS["timezone"])
    if "half day" in lowered:
        return _("This leave type cannot be taken in half days.")
    if "no working day" in lowered:
        return _("These dates have no working day: pick days you would otherwise work.")
    if "366" in lowered or "too long" in lowered:
        return _("One request can cover at most a year. Split it into shorter ones.")
    if "public address" in lowered:
        # The outbound rule (LEAVEFLOW_OUTBOUND_ALLOW): loopback and private ranges refused.
        return _(
            "The %(what)s must be on the public internet: an address inside this network "
            "(such as 127.0.0.1 or 10.0.0.1) is not allowed.",
            what=what,
        )
    if "not active" in lowered or "not employed" in lowered:
        return _("The person does not work here on all of these days.")
    return _("Check the %(what)s.", what=what)


def _count(n: int, what: str) -> str:
    if n == 1 and what.endswith("s"):
        return _("Choose at least one of the %(what)s.", what=what)
    return ngettext(
        "Choose at least one %(what)s.", "Choose at least %(num)s %(what)s.", n, what=what
    )


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
    known = STATUS_WORDS.get(overlap.status)
    status = _(known) if known else overlap.status.replace("_", " ")
    where = f" ({status})" if status else ""
    if overlap.start and overlap.end:
        days = date_range(overlap.start, overlap.end, year=False)
        return _("You already have leave on %(days)s%(where)s.", days=days, where=where)
    return _("You already have leave on some of these days%(where)s.", where=where)


def too_many_attempts(retry_after: int | None) -> str:
    seconds = retry_after if retry_after is not None else 60
    return ngettext(
        "Too many attempts - try again in %(num)s second.",
        "Too many attempts - try again in %(num)s seconds.",
        seconds,
    )


def sentence(problem: ApiError) -> str:
    """The whole problem in one sentence, for a box above a form or in a page's section."""
    kind = slug(problem)
    if kind == "overlapping-request":
        return overlap_sentence(problem.overlap or overlap_of(problem) or Overlap("", ""))
    if problem.status == 429:
        return too_many_attempts(problem.retry_after)
    if kind == "invalid-transition":
        return _("This request can no longer be changed that way. Reload to see where it stands.")
    if kind in BY_TYPE:
        return _(BY_TYPE[kind])
    if problem.status in (401, 403) and kind != "unauthorized":
        return _(BY_STATUS[403])
    if problem.status == 404 and problem.title == "not available":
        return _(NOT_OFFERED)
    if problem.errors and problem.status in (400, 409, 422):
        found = field_sentences(problem.errors)
        return " ".join(dict.fromkeys(found.values()))
    if problem.status == 503:
        return _(UNREACHABLE)
    if problem.status >= 500:
        return _(BROKEN)
    return _(BY_STATUS.get(problem.status, GENERIC))
