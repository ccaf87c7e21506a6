"""The dashboard as a Teams tab: signed in from the Teams SSO token, no second sign-in.

``GET /teams/tab?page=my-leave|team`` is the tab's content URL (the manifest's static
tabs). Its script asks Teams for the person's token (``microsoftTeams.app.initialize()``,
``microsoftTeams.authentication.getAuthToken()``) and POSTs it to ``/teams/tab/session``,
which checks it (``teams_sso``), finds the company and person (notifications, as its bot
maps them: the token's ``tid`` → the company whose Teams integration has that
``aad_tenant_id``, ``oid`` → the employee with that ``teams_user_id``), opens the session
in the tab's own cookie (``tab_session``) and answers where to go: the frame moves there
itself. Nothing here redirects the top-level window, and a page that needs a sign-in
starts the token exchange again instead of sending the frame to /signin (which Teams would
not show: every non-tab page refuses to be framed).

The sign-in POST has no session to carry a CSRF token yet; it is safe because it takes only
``application/json`` (a cross-site form cannot send that, and a cross-site script would
need a CORS preflight we never answer) from our own origin (``Origin`` checked), and what
it signs in is whoever the token proves, which only Teams can mint for our app.
"""

from __future__ import annotations

from typing import Any, Literal
from urllib.parse import urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from ..api import Api, ApiError
from ..i18n import N_
from ..i18n import gettext as _
from ..session import SessionRefused, current_user, open_session, signed_in
from ..signin_limits import seconds_to_wait
from ..teams_sso import TeamsSso, TokenRefused
from . import home, team
from .common import apis, render

router = APIRouter()

Page = Literal["my-leave", "team"]
PAGES: dict[str, str] = {"my-leave": "/teams/tab/my-leave", "team": "/teams/tab/team"}

NOT_SET_UP = N_("The Teams tab is not set up on this Leaveflow.")
NO_DIRECTORY = N_(
    "Your Microsoft 365 organisation is not connected to Leaveflow yet. "
    "Ask your Leaveflow admin to connect Microsoft Teams."
)
NO_PERSON = N_(
    "Leaveflow does not know your Teams account yet. Ask your Leaveflow admin to put your "
    "Teams user id on your employee profile: %(oid)s"
)
NOT_FROM_HERE = N_("This sign-in did not come from the Leaveflow tab.")
NO_TOKEN = N_("Microsoft Teams did not hand over a sign-in token.")
BUSY = N_("Signing in is not possible right now. Try again in a minute.")


def _sso(request: Request) -> TeamsSso | None:
    found: TeamsSso | None = request.app.state.teams_sso
    return found


def _page(value: str) -> Page:
    return "team" if value == "team" else "my-leave"


def _refusal(message: str, status: int) -> JSONResponse:
    return JSONResponse({"message": message}, status_code=status)


def _own_origin(request: Request) -> str:
    parts = urlsplit(request.app.state.settings.public_url)
    return f"{parts.scheme}://{parts.netloc}"


@router.get("/teams/tab", include_in_schema=False)
async def tab(request: Request, page: str = "my-leave") -> Response:
    """The tab's entry page: signs the person in from Teams, then shows ``page``."""
    if _sso(request) is None:
        return render(request, "teams_tab.html", 404, message=_(NOT_SET_UP), page="")
    return render(request, "teams_tab.html", page=_page(page), message="")


@router.post("/teams/tab/session", include_in_schema=False)
async def session(request: Request) -> Response:
    sso = _sso(request)
    if sso is None:
        return _refusal(_(NOT_SET_UP), 404)
    if not request.headers.get("content-type", "").startswith("application/json") or (
        request.headers.get("origin") != _own_origin(request)
    ):
        return _refusal(_(NOT_FROM_HERE), 403)
    wait = seconds_to_wait(request, "signin", "")
    if wait:
        response = _refusal(_(BUSY), 429)
        response.headers["retry-after"] = str(wait)
        return response
    try:
        body: Any = await request.json()
    except ValueError:
        body = None
    token = body.get("token") if isinstance(body, dict) else None
    if not isinstance(token, str) or not token:
        return _refusal(_(NO_TOKEN), 400)
    try:
        who = await sso.verify(token)
    except TokenRefused as exc:
        return _refusal(_(str(exc)), 401)
    identity = request.app.state.identity
    try:
        person = await identity.teams_person(who.aad_tenant_id, who.aad_object_id)
        await open_session(
            request,
            tenant_id=person.tenant_id,
            employee_id=person.employee_id,
            email=person.email,
            via="microsoft",
        )
    except SessionRefused as exc:
        return _refusal(str(exc), exc.status)
    except ApiError as exc:
        if exc.status == 404 and exc.type.endswith("/teams-directory-unknown"):
            return _refusal(_(NO_DIRECTORY), 403)
        if exc.status == 404 and exc.type.endswith("/teams-person-unknown"):
            return _refusal(_(NO_PERSON, oid=who.aad_object_id), 403)
        return _refusal(_(BUSY), 429 if exc.status == 429 else 502)
    page = _page(str(body.get("page") or ""))
    return JSONResponse({"next": PAGES[page]})


def _again(page: Page) -> RedirectResponse:
    """Not signed in (yet, or any more) inside the tab: the token exchange again."""
    return RedirectResponse(f"/teams/tab?page={page}", status_code=303)


@router.get("/teams/tab/my-leave", include_in_schema=False)
async def my_leave(request: Request) -> Response:
    if signed_in(request) is None:
        return _again("my-leave")
    user = await current_user(request)
    return await home.home(request, user, Api(apis(request), user.token))


@router.get("/teams/tab/team", include_in_schema=False)
async def team_calendar(
    request: Request,
    view: str = "month",
    date: str = "",
    month: str = "",
    department_id: str = "",
    location_id: str = "",
    page: str = "1",
) -> Response:
    """The team calendar as /team shows it, with the same filters and paging."""
    if signed_in(request) is None:
        return _again("team")
    user = await current_user(request)
    api = Api(apis(request), user.token)
    return await team.team(request, api, user, view, date, month, department_id, location_id, page)
