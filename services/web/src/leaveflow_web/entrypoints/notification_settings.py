"""The Notifications page: which of the company's channels (Slack, Teams, email) reach a
person. Everyone edits their own; an admin opens anyone's from the employee's admin page.

Read and saved through notifications' ``/v1/preferences/{employee_id}`` with the person's
own token, so the service decides who may see whose (the person, or an admin).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from .. import i18n, language_setting
from ..api import Api, ApiError
from ..i18n import N_
from ..i18n import gettext as _
from ..session import Csrf, SignedIn, User
from .common import UserApi, attempt, render

router = APIRouter(prefix="/notifications")

CHANNELS = ("slack", "teams", "email")
NOTICE_SAVED = N_("Saved. Leaveflow now reaches you only the ways ticked here.")
NOTICE_SAVED_FOR = N_("Saved. Leaveflow now reaches %(name)s only the ways ticked here.")


def channel_texts(email: str, yours: bool) -> dict[str, tuple[str, str]]:
    """(name, what arrives there) per channel, said to the person or about them (two
    sentences each: other languages do not swap "you" for "them" word by word)."""
    if yours:
        slack = _(
            "A message when a request needs your decision and when your own leave is "
            "approved, denied or cancelled: a direct message from the Leaveflow app, or, "
            "where your company uses a Slack channel, a post there that mentions you."
        )
        teams = _(
            "A post in your company's Teams channel that mentions you, with Approve "
            "and Deny buttons when the request is yours to decide."
        )
    else:
        slack = _(
            "A message when a request needs their decision and when their own leave is "
            "approved, denied or cancelled: a direct message from the Leaveflow app, or, "
            "where your company uses a Slack channel, a post there that mentions them."
        )
        teams = _(
            "A post in your company's Teams channel that mentions them, with Approve "
            "and Deny buttons when the request is theirs to decide."
        )
    email_text = _(
        "A message to %(address)s with the same news, and the reason or note when the "
        "approver wrote one (a channel post never shows it).",
        address=email or _("their address"),
    )
    return {
        "slack": ("Slack", slack),
        "teams": ("Microsoft Teams", teams),
        "email": (_("Email"), email_text),
    }


async def _person(api: Api, user: SignedIn, employee_id: str) -> dict[str, Any] | None:
    """Whose page this is; None when the directory does not know them."""
    if employee_id == user.employee_id:
        return {"id": user.employee_id, "email": user.email, "name": ""}
    found, _ignored = await attempt(api.get("requests", f"/v1/employees/{employee_id}"))
    return found if isinstance(found, dict) else None


def _page(
    request: Request,
    user: SignedIn,
    person: dict[str, Any],
    prefs: dict[str, Any] | None,
    problem: ApiError | None,
    notice: str = "",
    status: int = 200,
) -> Response:
    yours = person["id"] == user.employee_id
    texts = channel_texts(str(person.get("email") or ""), yours)
    chosen = prefs or {}
    channels = [
        {"key": c, "name": texts[c][0], "explains": texts[c][1], "on": chosen.get(c) is not False}
        for c in CHANNELS
        if c in chosen.get("available", [])
    ]
    return render(
        request,
        "notification_settings.html",
        status,
        nav="notifications" if yours else "admin",
        person=person,
        yours=yours,
        channels=channels,
        loaded=prefs is not None,
        language_chosen=language_setting.setting_of(prefs) or (i18n.language() if yours else None),
        language_choices=[("", _("As my browser asks")), *i18n.NAMES.items()],
        problem=problem,
        notice=notice,
        action=request.url.path,
    )


async def _show(
    request: Request, user: SignedIn, api: Api, employee_id: str, saved: str
) -> Response:
    if employee_id != user.employee_id and not user.is_admin:
        return render(
            request,
            "error.html",
            403,
            title=_("Not allowed"),
            message=_("Only administrators can change how someone else is notified."),
        )
    person = await _person(api, user, employee_id)
    if person is None:
        return render(
            request,
            "error.html",
            404,
            title=_("Not found"),
            message=_("There is no such person in your company."),
        )
    prefs, problem = await attempt(api.get("notifications", f"/v1/preferences/{employee_id}"))
    return _page(request, user, person, prefs, problem, _notice(user, person) if saved else "")


def _notice(user: SignedIn, person: dict[str, Any]) -> str:
    name = str(person.get("name") or "")
    if person["id"] == user.employee_id or not name:
        return _(NOTICE_SAVED)
    return _(NOTICE_SAVED_FOR, name=name)


async def _save(request: Request, user: SignedIn, api: Api, employee_id: str) -> Response:
    """Ticked channels on, unticked off; channels the company has not set up keep what the
    person chose before (the form does not show them)."""
    if employee_id != user.employee_id and not user.is_admin:
        return await _show(request, user, api, employee_id, "")
    person = await _person(api, user, employee_id)
    if person is None:
        return await _show(request, user, api, employee_id, "")
    prefs, problem = await attempt(api.get("notifications", f"/v1/preferences/{employee_id}"))
    if prefs is None:
        return _page(request, user, person, None, problem, status=502)
    form = await request.form()
    body = {
        c: (form.get(c) == "on") if c in prefs.get("available", []) else prefs.get(c) is not False
        for c in CHANNELS
    }
    if language_setting.stored_by(prefs):
        body["language"] = prefs.get("language")  # the channel form keeps the language as set
    _ignored, refused = await attempt(
        api.put("notifications", f"/v1/preferences/{employee_id}", body)
    )
    if refused is not None:
        return _page(request, user, person, prefs, refused, status=refused.status)
    return RedirectResponse(f"{request.url.path}?saved=1", status_code=303)


async def _save_language(request: Request, user: SignedIn, api: Api, employee_id: str) -> Response:
    """The person's language: kept by notifications (when it knows the field) and, for
    one's own, in the session at once, so the next page already speaks it."""
    if employee_id != user.employee_id and not user.is_admin:
        return await _show(request, user, api, employee_id, "")
    form = await request.form()
    chosen = form.get("language")
    code = chosen if isinstance(chosen, str) and chosen in i18n.LANGUAGES else None
    prefs, problem = await attempt(api.get("notifications", f"/v1/preferences/{employee_id}"))
    if language_setting.stored_by(prefs) and isinstance(prefs, dict):
        body = {c: prefs.get(c) is not False for c in CHANNELS} | {"language": code}
        _ignored, refused = await attempt(
            api.put("notifications", f"/v1/preferences/{employee_id}", body)
        )
        if refused is not None:
            person = await _person(api, user, employee_id) or {"id": employee_id}
            return _page(request, user, person, prefs, refused, status=refused.status)
    elif employee_id != user.employee_id:
        person = await _person(api, user, employee_id) or {"id": employee_id}
        return _page(request, user, person, prefs, problem, status=502 if problem else 200)
    if employee_id == user.employee_id:
        i18n.remember(request, code)
    base = request.url.path.removesuffix("/language")
    return RedirectResponse(f"{base}?saved=1", status_code=303)


@router.post("/language", response_class=HTMLResponse, dependencies=[Csrf])
async def save_own_language(request: Request, user: User, api: UserApi) -> Response:
    return await _save_language(request, user, api, user.employee_id)


@router.post("/{employee_id}/language", response_class=HTMLResponse, dependencies=[Csrf])
async def save_someones_language(
    request: Request, employee_id: str, user: User, api: UserApi
) -> Response:
    return await _save_language(request, user, api, employee_id)


@router.get("", response_class=HTMLResponse)
async def own_page(request: Request, user: User, api: UserApi, saved: str = "") -> Response:
    return await _show(request, user, api, user.employee_id, saved)


@router.post("", response_class=HTMLResponse, dependencies=[Csrf])
async def save_own(request: Request, user: User, api: UserApi) -> Response:
    return await _save(request, user, api, user.employee_id)


@router.get("/{employee_id}", response_class=HTMLResponse)
async def someones_page(
    request: Request, employee_id: str, user: User, api: UserApi, saved: str = ""
) -> Response:
    return await _show(request, user, api, employee_id, saved)


@router.post("/{employee_id}", response_class=HTMLResponse, dependencies=[Csrf])
async def save_someones(request: Request, employee_id: str, user: User, api: UserApi) -> Response:
    return await _save(request, user, api, employee_id)
