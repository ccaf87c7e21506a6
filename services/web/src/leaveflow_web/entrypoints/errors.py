"""The pages for what went wrong outside any page's own handling: an unknown URL, a wrong
method, a failure of the dashboard itself. People get a page with a way back; a script that
asked for JSON still gets problem+json."""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import Request
from fastapi.responses import Response

from leaveflow_kit.http import problem_response

from .. import problems
from ..i18n import N_
from ..i18n import gettext as _
from .common import render, templates

# (title, sentence) by status; the rest read as the generic failure.
PAGES: Mapping[int, tuple[str, str]] = {
    401: (N_("Sign in first"), N_("This page is for people signed in to Leaveflow.")),
    403: (N_("Not allowed"), problems.BY_STATUS[403]),
    404: (
        N_("Page not found"),
        N_("There is no page at this address. The link may be incomplete, or the page has moved."),
    ),
    405: (
        N_("Page not found"),
        N_("This page cannot be opened this way. Start again from the menu."),
    ),
    413: (N_("Too large"), problems.BY_TYPE["payload-too-large"]),
}
BROKEN = (N_("Something went wrong"), problems.BROKEN)
UNKNOWN = (N_("This did not work"), problems.GENERIC)


def wants_json(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return "json" in accept and "text/html" not in accept


def failure_page(
    request: Request, status: int, headers: Mapping[str, str] | None = None
) -> Response:
    if status == 429:
        title, message = _("Slow down"), problems.too_many_attempts(None)
    else:
        title, message = (_(t) for t in PAGES.get(status, BROKEN if status >= 500 else UNKNOWN))
    if wants_json(request):
        response: Response = problem_response(status, title, message, headers=dict(headers or {}))
        return response
    name = "partials/error.html" if request.headers.get("hx-request") else "error.html"
    response = render(request, name, status, title=title, message=message)
    response.headers.update(headers or {})
    return response


def broken_page(request: Request) -> Response:
    """A 500 of the dashboard itself. Answered outside the session's middleware, so the page
    knows nobody (its links lead home, where a signed-in person lands as usual)."""
    title, message = (_(text) for text in BROKEN)
    if wants_json(request):
        return problem_response(500, title, message)
    return templates.TemplateResponse(
        request,
        "error.html",
        {"user": None, "csrf_token": "", "title": title, "message": message, "errors": {}},
        status_code=500,
    )
