"""The pages for what went wrong outside any page's own handling: an unknown URL, a wrong
method, a failure of the dashboard itself. People get a page with a way back; a script that
asked for JSON still gets problem+json."""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import Request
from fastapi.responses import Response

from leaveflow_kit.http import problem_response

from .. import problems
from .common import render, templates

# (title, sentence) by status; the rest read as the generic failure.
PAGES: Mapping[int, tuple[str, str]] = {
    401: ("Sign in first", "This page is for people signed in to Leaveflow."),
    403: ("Not allowed", problems.BY_STATUS[403]),
    404: (
        "Page not found",
        "There is no page at this address. The link may be incomplete, or the page has moved.",
    ),
    405: ("Page not found", "This page cannot be opened this way. Start again from the menu."),
    413: ("Too large", problems.BY_TYPE["payload-too-large"]),
    429: ("Slow down", problems.too_many_attempts(None)),
}
BROKEN = ("Something went wrong", problems.BROKEN)
UNKNOWN = ("This did not work", problems.GENERIC)


def wants_json(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return "json" in accept and "text/html" not in accept


def failure_page(
    request: Request, status: int, headers: Mapping[str, str] | None = None
) -> Response:
    title, message = PAGES.get(status, BROKEN if status >= 500 else UNKNOWN)
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
    title, message = BROKEN
    if wants_json(request):
        return problem_response(500, title, message)
    return templates.TemplateResponse(
        request,
        "error.html",
        {"user": None, "csrf_token": "", "title": title, "message": message, "errors": {}},
        status_code=500,
    )
