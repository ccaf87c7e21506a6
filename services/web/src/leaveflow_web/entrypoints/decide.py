"""Approve / Deny links from emails and Teams cards open here, in the dashboard.

A link is signed for one approver, but emails get forwarded and a Teams channel has many
readers: the link acts only in the session of the approver it was signed for. The
notifications service checks that (``/v1/actions/{token}`` with the signed-in person's token
answers 404 to anyone else), so this page says nothing about the request until it has.
Opening the link only shows the request; the decision is the POST of its form (mail
scanners follow links, they do not submit forms).
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ..api import Api, ApiError
from ..i18n import N_
from ..i18n import gettext as _
from ..session import Csrf, SignedIn, signed_in
from ..wording import day_with_weekday
from .common import apis, attempt, form_fields, render

router = APIRouter()

# Signed link tokens are URL-safe base64 (with dots between parts); anything else is no link.
TOKEN = re.compile(r"[A-Za-z0-9_.~=-]{1,4096}")
NOTE_MAX = 2000

OUTCOMES: dict[int, tuple[str, str]] = {
    404: (
        N_("This link is not for you"),
        N_(
            "This approval link is not for the person signed in, or it is no longer valid. "
            "Approve and deny links work only for the approver they were sent to: sign in as "
            "the approver named in the email or message."
        ),
    ),
    410: (
        N_("This link has expired"),
        N_(
            "Approve and deny links work for a limited time. Open the request in the dashboard "
            "to decide it there."
        ),
    ),
    409: (
        N_("Already decided"),
        N_("This request has already been decided (or withdrawn), so there is nothing left to do."),
    ),
}
UNAVAILABLE = (
    N_("Could not check this link right now"),
    N_("A Leaveflow service did not answer. Nothing was decided; try again in a minute."),
)


def _path(token: str) -> str:
    return f"/v1/actions/{quote(token, safe='')}"


def _outcome(request: Request, token: str, status: int) -> Response:
    """A page about the link only: who asked for what is never shown here."""
    status = 404 if status == 403 else status  # refused is refused: the same answer
    title, message = (_(text) for text in OUTCOMES.get(status, UNAVAILABLE))
    return render(
        request,
        "decide_outcome.html",
        status if status in OUTCOMES else 503,
        title=title,
        message=message,
        not_yours=status == 404,
        here=f"/decide/{token}",
    )


def _signin_first(token: str) -> Response:
    return RedirectResponse(f"/signin?{urlencode({'next': f'/decide/{token}'})}", status_code=303)


def _day(value: Any) -> str:
    try:
        day = date.fromisoformat(str(value))
    except ValueError:
        return str(value)
    return day_with_weekday(day)


def dates_in_words(link: dict[str, Any]) -> str:
    """ "Mon 7 Dec 2026 (afternoon) to Fri 11 Dec 2026 (morning)", as the parts say."""
    start, end = str(link.get("start_date", "")), str(link.get("end_date", ""))
    start_part, end_part = link.get("start_part") or "full", link.get("end_part") or "full"
    only = {"am": N_("%(day)s (morning only)"), "pm": N_("%(day)s (afternoon only)")}
    if start == end or not end:
        part = only.get(str(start_part))
        return _(part, day=_day(start)) if part else _day(start)
    first = _("%(day)s (afternoon)", day=_day(start)) if start_part == "pm" else _day(start)
    last = _("%(day)s (morning)", day=_day(end)) if end_part == "am" else _day(end)
    return _("%(first)s to %(last)s", first=first, last=last)


async def _link(request: Request, user: SignedIn, token: str) -> tuple[Any, ApiError | None]:
    return await attempt(Api(apis(request), user.token).get("notifications", _path(token)))


@router.get("/decide/{token}", response_class=HTMLResponse)
async def open_link(request: Request, token: str) -> Response:
    if not TOKEN.fullmatch(token):
        return _outcome(request, token="", status=404)
    user = signed_in(request)
    if user is None:
        return _signin_first(token)
    link, problem = await _link(request, user, token)
    if problem is not None:
        return _outcome(request, token, problem.status)
    return _page(request, token, link)


def _page(
    request: Request, token: str, link: dict[str, Any], status: int = 200, **extra: Any
) -> Response:
    decision = "deny" if link.get("decision") == "deny" else "approve"
    return render(
        request,
        "decide.html",
        status,
        link=link,
        decision=decision,
        token=token,
        dates=dates_in_words(link),
        pending=link.get("status") in (None, "pending"),
        note_max=NOTE_MAX,
        **extra,
    )


@router.post("/decide/{token}", response_class=HTMLResponse, dependencies=[Csrf])
async def use_link(request: Request, token: str) -> Response:
    if not TOKEN.fullmatch(token):
        return _outcome(request, token="", status=404)
    user = signed_in(request)
    if user is None:
        return _signin_first(token)
    note = form_fields(await request.form(), "note")["note"]
    if len(note) > NOTE_MAX:
        too_long = _("The note can be at most %(note_max)s characters long.", note_max=NOTE_MAX)
        return await _again(request, user, token, note, too_long)
    decided, problem = await attempt(
        Api(apis(request), user.token).post("notifications", _path(token), {"note": note or None})
    )
    if problem is not None and problem.status == 422:
        return await _again(request, user, token, note, problem.sentence)
    if problem is not None:
        return _outcome(request, token, problem.status)
    status = str((decided or {}).get("status", ""))
    return render(request, "decide_done.html", status=status)


async def _again(request: Request, user: SignedIn, token: str, note: str, reason: str) -> Response:
    """The form once more, with what was typed and why it was refused (422)."""
    link, refused = await _link(request, user, token)
    if refused is not None:
        return _outcome(request, token, refused.status)
    return _page(request, token, link, 422, note=note, note_error=reason)
