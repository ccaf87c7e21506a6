"""The Security page: where one is signed in (sessions) and the passkeys one has.

Sessions and passkeys are the requests service's (``/v1/sessions``, ``/v1/passkeys``, with
the person's own token: nobody sees or ends anyone else's). Adding a passkey is the WebAuthn
registration ceremony (``..passkeys``), whose result is stored through the service-only
``POST /v1/auth/passkeys``.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from ..api import Api, ApiError
from ..i18n import N_, ngettext
from ..i18n import gettext as _
from ..passkeys import CeremonyRefused, RelyingParty, registration_options, verify_registration
from ..session import Csrf, User, sign_out
from .common import UserApi, apis, attempt, form_fields, render

router = APIRouter(prefix="/security")

NAME_MAX = 100
NOTICES = {
    "added": N_("Passkey added. Next time, choose \u201cSign in with a passkey\u201d."),
    "removed": N_("Passkey removed. It can no longer be used to sign in."),
    "ended": N_("That session is signed out."),
    "gone": N_("That was already removed (or is not yours), so nothing changed."),
}


ANOTHER_WAY = N_("another way")
METHODS = {
    "sso": N_("your company's single sign-on"),
    "google": "Google",
    "microsoft": "Microsoft",
    "slack": "Slack",
    "magic_link": N_("an emailed link"),
    "passkey": N_("a passkey"),
    "dev": N_("the dev sign-in"),
    "signup": N_("the sign-up of your company"),
}
_BROWSERS = (
    ("Edg/", "Edge"),
    ("Firefox/", "Firefox"),
    ("Chrome/", "Chrome"),
    ("Safari/", "Safari"),
)
_SYSTEMS = (
    ("Android", "Android"),
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("Windows", "Windows"),
    ("Mac OS X", "macOS"),
    ("Linux", "Linux"),
)


def device_of(label: str) -> str:
    """'Chrome on Android' from a user agent: what people recognise in a list of sessions."""
    browser = next((name for mark, name in _BROWSERS if mark in label), "")
    system = next((name for mark, name in _SYSTEMS if mark in label), "")
    if browser and system:
        return _("%(browser)s on %(system)s", browser=browser, system=system)
    return browser or system or _("A browser")


def when(value: Any) -> str:
    """An API timestamp as people read it: '2026-03-01 14:05 UTC'."""
    text = str(value or "")
    return f"{text[:16].replace('T', ' ')} UTC" if len(text) >= 16 else _("unknown")


def described_session(item: dict[str, Any]) -> dict[str, Any]:
    return {
        **item,
        "device": device_of(str(item.get("label") or "")),
        "method": _(METHODS.get(str(item.get("via")), ANOTHER_WAY)),
        "created_at_text": when(item.get("created_at")),
        "last_used_text": when(item.get("last_used_at") or item.get("created_at")),
    }


def described_passkey(item: dict[str, Any]) -> dict[str, Any]:
    return {
        **item,
        "created_at_text": when(item.get("created_at")),
        "last_used_text": when(item.get("last_used_at")),
    }


async def service_call(request: Request, path: str, body: dict[str, Any]) -> Any:
    """A requests route only Leaveflow services may call (``Service <secret>``)."""
    secret: str = request.app.state.settings.service_secret
    return await apis(request).call(
        "POST", "requests", path, token=secret or None, json=body, scheme="Service"
    )


@router.get("", response_class=HTMLResponse)
async def security_page(request: Request, user: User, api: UserApi, done: str = "") -> Response:
    sessions, sessions_error = await attempt(api.get("requests", "/v1/sessions"))
    passkeys, passkeys_error = await attempt(api.get("requests", "/v1/passkeys"))
    return render(
        request,
        "security.html",
        nav="security",
        sessions=[described_session(s) for s in (sessions or {}).get("items", [])],
        sessions_error=sessions_error,
        passkeys=[described_passkey(p) for p in (passkeys or {}).get("items", [])],
        passkeys_error=passkeys_error,
        notice=_(NOTICES[done]) if done in NOTICES else "",
        passkeys_usable=RelyingParty.of(request.app.state.settings.public_url).usable,
    )


@router.post("/passkeys/options", dependencies=[Csrf])
async def passkey_options(request: Request, user: User) -> Response:
    """Step one of adding a passkey: what the browser hands to the authenticator."""
    options = registration_options(
        request, tenant_id=user.tenant_id, employee_id=user.employee_id, email=user.email
    )
    return JSONResponse(options)


def _refusal(message: str, status: int = 400) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


@router.post("/passkeys", dependencies=[Csrf])
async def add_passkey(request: Request, user: User) -> Response:
    """Step two: the authenticator's answer, checked, then kept by the requests service."""
    try:
        body = await request.json()
    except ValueError:
        return _refusal(_("Your browser sent no passkey. Try again."))
    if not isinstance(body, dict):
        return _refusal(_("Your browser sent no passkey. Try again."))
    name = str(body.get("name") or "").strip()[:NAME_MAX] or "Passkey"
    try:
        made = verify_registration(request, body.get("credential"))
    except CeremonyRefused as exc:
        return _refusal(str(exc))
    try:
        await service_call(
            request,
            "/v1/auth/passkeys",
            {
                "tenant_id": user.tenant_id,
                "employee_id": user.employee_id,
                "credential_id": made.credential_id,
                "public_key": made.public_key,
                "sign_count": made.sign_count,
                "name": name,
                "transports": made.transports,
            },
        )
    except ApiError as exc:
        if exc.status == 409:
            return _refusal(_("This passkey is already registered."), 409)
        return _refusal(_("The passkey could not be saved just now. Try again in a minute."), 502)
    return JSONResponse({"redirect": "/security?done=added"}, status_code=201)


@router.post("/passkeys/{passkey_id}/remove", dependencies=[Csrf])
async def remove_passkey(request: Request, passkey_id: str, user: User, api: UserApi) -> Response:
    if not await _deleted(api, f"/v1/passkeys/{passkey_id}"):
        return RedirectResponse("/security?done=gone", status_code=303)
    return RedirectResponse("/security?done=removed", status_code=303)


async def _deleted(api: Api, path: str) -> bool:
    """False when the service says there is no such thing of the caller's (404)."""
    try:
        await api.apis.call("DELETE", "requests", path, token=api.token)
    except ApiError as exc:
        if exc.status == 404:
            return False
        raise
    return True


def _signed_out_here(request: Request, message: str) -> Response:
    sign_out(request)
    return render(request, "security_signed_out.html", user=None, message=message)


@router.post("/sessions/{session_id}/end", dependencies=[Csrf])
async def end_session(request: Request, session_id: str, user: User, api: UserApi) -> Response:
    """Sign one session out; ending this browser's own one signs out here too."""
    current = form_fields(await request.form(), "current")["current"] == "1"
    if not await _deleted(api, f"/v1/sessions/{session_id}"):
        return RedirectResponse("/security?done=gone", status_code=303)
    if current:
        return _signed_out_here(request, _("You signed out of this browser."))
    return RedirectResponse("/security?done=ended", status_code=303)


@router.post("/sessions/revoke-all", dependencies=[Csrf])
async def sign_out_everywhere(request: Request, user: User, api: UserApi) -> Response:
    answer = await api.post("requests", "/v1/sessions/revoke-all")
    count = int((answer or {}).get("revoked", 0)) if isinstance(answer, dict) else 0
    where = ngettext("%(num)s browser", "%(num)s browsers", count)
    return _signed_out_here(
        request, _("You signed out everywhere (%(where)s), this one included.", where=where)
    )
