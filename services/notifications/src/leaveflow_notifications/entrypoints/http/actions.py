"""Approve / Deny links (Teams cards, emails). The link opens the dashboard's decide page
(`{dashboard}/decide/{token}`); the page asks `GET /v1/actions/{token}` with the signed-in
person's token and decides with `POST`. Only an approver the link was signed for gets
anything but a 404. The old `/actions/{token}` addresses (links already sent) redirect to
the dashboard and never decide."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends
from fastapi.responses import RedirectResponse

from leaveflow_kit.auth import CurrentUser
from leaveflow_kit.http import Conflict, NotFound, Unprocessable
from leaveflow_kit.http.deps import app_state
from leaveflow_kit.http.limits import rate_limited
from leaveflow_kit.http.problems import Gone, Problem

from ...service_layer.links import AlreadyDecided, InvalidDecision, LinkGone
from ...service_layer.ports import ApiUnavailable, LinkInvalid
from .deps import LinksDep
from .schemas import ActionDone, ActionIn, ActionOut

router = APIRouter()

DashboardDep = Annotated[str, Depends(app_state("dashboard_url"))]
NOT_FOUND = "no such link"
# Per client address: guessing tokens soon costs a 429.
LINKS = [rate_limited("links")]
TOO_MANY: dict[int | str, dict[str, Any]] = {
    429: {"description": "too many link requests; see Retry-After"}
}


class Unavailable(Problem):
    status, title, type_slug = 503, "Service unavailable", "service-unavailable"


def _problem(exc: Exception) -> Problem:
    if isinstance(exc, LinkGone):
        return Gone(str(exc))
    if isinstance(exc, AlreadyDecided):
        return Conflict(str(exc))
    if isinstance(exc, InvalidDecision):
        return Unprocessable(str(exc), field="note")
    if isinstance(exc, ApiUnavailable):
        return Unavailable("Leaveflow is not reachable right now; the link still works later")
    return NotFound(NOT_FOUND)


@router.get(
    "/v1/actions/{token}",
    tags=["actions"],
    responses={
        404: {"description": "forged, or not yours"},
        410: {"description": "expired"},
        **TOO_MANY,
    },
    dependencies=LINKS,
)
async def get_action(token: str, links: LinksDep, user: CurrentUser) -> ActionOut:
    """The request an approve / deny link is about, for the approver it was signed for."""
    try:
        view = await links.view(token, user.tenant_id, user.employee_id)
    except (LinkInvalid, LinkGone, ApiUnavailable) as exc:
        raise _problem(exc) from exc
    return ActionOut.model_validate(view)


@router.post(
    "/v1/actions/{token}",
    tags=["actions"],
    responses={
        404: {"description": "forged, or not yours"},
        409: {"description": "already decided"},
        410: {"description": "expired"},
        **TOO_MANY,
    },
    dependencies=LINKS,
)
async def post_action(
    token: str,
    links: LinksDep,
    user: CurrentUser,
    body: Annotated[ActionIn | None, Body()] = None,
) -> ActionDone:
    """Decide as the signed-in approver the link was signed for; once."""
    note = body.note if body else None
    try:
        done = await links.decide(token, user.tenant_id, user.employee_id, note)
    except (LinkInvalid, LinkGone, AlreadyDecided, InvalidDecision, ApiUnavailable) as exc:
        raise _problem(exc) from exc
    return ActionDone.model_validate(done)


def _to_dashboard(dashboard: str, token: str) -> RedirectResponse:
    return RedirectResponse(f"{dashboard.rstrip('/')}/decide/{token}", status_code=303)


@router.get(
    "/actions/{token}",
    tags=["actions"],
    status_code=303,
    response_class=RedirectResponse,
    responses=TOO_MANY,
    dependencies=LINKS,
)
async def confirm_action(token: str, dashboard: DashboardDep) -> RedirectResponse:
    """A link sent before links moved to the dashboard: opens the decide page there."""
    return _to_dashboard(dashboard, token)


@router.post(
    "/actions/{token}",
    tags=["actions"],
    status_code=303,
    response_class=RedirectResponse,
    responses=TOO_MANY,
    dependencies=LINKS,
)
async def use_action(token: str, dashboard: DashboardDep) -> RedirectResponse:
    """Decides nothing: the decide page on the dashboard does, for the signed-in approver."""
    return _to_dashboard(dashboard, token)
