"""Approve / Deny links (Teams cards, emails): GET shows a confirmation page, because mail
scanners follow links; only the POST from that page decides."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from ...adapters.rendering import page
from ...service_layer.links import LinkGone
from ...service_layer.ports import ApiUnavailable, LinkInvalid
from .deps import LinksDep

router = APIRouter()


def _html(title: str, message: str, status: int, **kw: str) -> HTMLResponse:
    return HTMLResponse(page(title, message, **kw), status_code=status)


@router.get("/actions/{token}", tags=["actions"], response_class=HTMLResponse)
async def confirm_action(token: str, request: Request, links: LinksDep) -> HTMLResponse:
    try:
        claims = await links.inspect(token)
    except LinkGone as exc:
        return _html("Link no longer valid", str(exc), 410)
    except LinkInvalid:
        return _html("Unknown link", "This link is not valid.", 404)
    verb = "approve" if claims.decision == "approve" else "deny"
    return _html(
        f"{verb.capitalize()} this leave request?",
        "Confirm to record your decision. The link works once.",
        200,
        action=str(request.url.path),
        decision=claims.decision,
    )


@router.post("/actions/{token}", tags=["actions"], response_class=HTMLResponse)
async def use_action(token: str, links: LinksDep) -> HTMLResponse:
    try:
        message = await links.use(token)
    except LinkGone as exc:
        return _html("Link no longer valid", str(exc), 410)
    except LinkInvalid:
        return _html("Unknown link", "This link is not valid.", 404)
    except ApiUnavailable:
        return _html("Try again", "Leaveflow is not reachable right now.", 503)
    return _html("Done", message, 200)
