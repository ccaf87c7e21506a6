"""The Slack app's OAuth v2 install: the dashboard's "Add to Slack" asks for an install
link (admin), the browser follows it to `/slack/install` (redirected to Slack with a
state, also set as a cookie) and Slack sends it back to `/slack/oauth_redirect`."""

from __future__ import annotations

from html import escape

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel

from leaveflow_kit.auth import CurrentUser
from leaveflow_kit.http import Forbidden, NotFound
from leaveflow_kit.logging import get_logger

from ...service_layer.slack_app.install import STATE_COOKIE, STATE_SECONDS, InstallRefused
from .slack_deps import SlackInstallerDep

router = APIRouter()
log = get_logger(__name__)


class SlackInstallOut(BaseModel):
    """Where to send the admin's browser: our `/slack/install` with a ticket valid 15 minutes."""

    url: str


@router.get("/v1/integrations/slack/install", tags=["integrations"])
async def slack_install_link(user: CurrentUser, installer: SlackInstallerDep) -> SlackInstallOut:
    """An "Add to Slack" link for the caller's company (admin); 404 when this installation
    has no Slack app (`SLACK_CLIENT_ID`)."""
    if not user.is_admin:
        raise Forbidden("requires role admin")
    if not installer.enabled:
        raise NotFound("this installation has no Slack app (SLACK_CLIENT_ID is not set)")
    return SlackInstallOut(url=installer.install_url(user.tenant_id))


def _page(title: str, text: str, status: int) -> HTMLResponse:
    body = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width"><title>{escape(title)}</title>'
        f"</head><body><main><h1>{escape(title)}</h1><p>{escape(text)}</p></main></body></html>"
    )
    return HTMLResponse(body, status_code=status)


@router.get("/slack/install", include_in_schema=False)
async def slack_install(
    request: Request, installer: SlackInstallerDep, ticket: str = ""
) -> Response:
    if not installer.enabled:
        return _page("Slack is not set up", "This Leaveflow has no Slack app.", 404)
    try:
        state, url = await installer.start(installer.open_ticket(ticket))
    except InstallRefused as exc:
        return _page("Cannot add to Slack", str(exc), 400)
    response = RedirectResponse(url, status_code=302)
    response.set_cookie(
        STATE_COOKIE,
        state,
        max_age=STATE_SECONDS,
        path="/slack/oauth_redirect",
        httponly=True,
        secure=request.url.scheme == "https",
        samesite="lax",
    )
    return response


@router.get("/slack/oauth_redirect", include_in_schema=False)
async def slack_oauth_redirect(
    request: Request,
    installer: SlackInstallerDep,
    code: str = "",
    state: str = "",
    error: str = "",
) -> Response:
    if error:
        return _page("Not added to Slack", f"Slack says: {error}. Nothing was changed.", 400)
    try:
        installed = await installer.complete(code, state, request.cookies.get(STATE_COOKIE))
    except InstallRefused as exc:
        log.info("slack_install_refused", reason=str(exc))
        response: Response = _page("Not added to Slack", str(exc), 400)
    else:
        log.info("slack_installed", team_id=installed.team_id, kind=installed.ticket.kind)
        if installed.ticket.kind == "workspace":
            response = RedirectResponse(
                f"{installer.dashboard_url}/admin/integrations?slack=installed", status_code=303
            )
        else:
            response = _page(
                "Status while away is on",
                "Leaveflow will show your approved leave in your Slack status. "
                "You can close this tab.",
                200,
            )
    response.delete_cookie(STATE_COOKIE, path="/slack/oauth_redirect")
    return response
