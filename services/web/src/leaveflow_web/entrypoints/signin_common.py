"""What the sign-in routes share: the 429 page, the page after proof, the chooser."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from fastapi.responses import Response

from ..api import ApiError
from ..i18n import gettext as _
from ..local_paths import local_path
from ..proof import NO_COMPANY, Proven, enter, keep, proven_for
from ..session import SessionRefused
from ..signin_limits import Bucket, seconds_to_wait
from ..tokens import Company, Via
from .common import render, retry_headers, too_many_attempts

_OPTIONS_KEY = "options"


@dataclass(frozen=True)
class Options:
    """What the options page offered this browser: the email, and the companies whose single
    sign-on claims its domain (the buttons send a position in this list)."""

    email: str
    sso: tuple[str, ...]
    next_path: str | None


def keep_options(request: Request, options: Options) -> None:
    request.session[_OPTIONS_KEY] = {
        "email": options.email,
        "sso": list(options.sso),
        "next": options.next_path or "",
    }


def kept_options(request: Request) -> Options | None:
    raw: Any = request.session.get(_OPTIONS_KEY)
    if not isinstance(raw, dict) or not isinstance(raw.get("email"), str):
        return None
    sso = raw.get("sso")
    return Options(
        raw["email"],
        tuple(str(t) for t in sso) if isinstance(sso, list) else (),
        local_path(raw.get("next")),
    )


def slow_down(request: Request, seconds: int, next_path: str | None = None) -> Response:
    """The sign-in page again, saying how long to wait (and Retry-After for scripts)."""
    problem = ApiError(429, "Too many attempts", retry_after=seconds)
    response = render(
        request, "signin.html", 429, message=too_many_attempts(problem), next_path=next_path
    )
    response.headers.update(retry_headers(problem))
    return response


def limited(
    request: Request, bucket: Bucket, email: str, next_path: str | None = None
) -> Response | None:
    """The 429 page when this address or this email has spent its attempts, else None."""
    seconds = seconds_to_wait(request, bucket, email)
    return slow_down(request, seconds, next_path) if seconds else None


def service_refused(request: Request, exc: ApiError, next_path: str | None = None) -> Response:
    """A service could not help with the sign-in (429 from upstream, down, misconfigured)."""
    if exc.status == 429:
        return slow_down(request, exc.retry_after or 60, next_path)
    return render(
        request,
        "signin.html",
        502,
        message=_("Signing in is not possible right now. Try again in a minute."),
        next_path=next_path,
    )


def message_page(
    request: Request, title: str, message: str, status_code: int = 200, *, problem: bool = True
) -> Response:
    return render(
        request, "signin_message.html", status_code, title=title, message=message, problem=problem
    )


def no_company(request: Request, reasons: Sequence[str] = ()) -> Response:
    """The same neutral sentence for every way of belonging nowhere; a refusal's reason
    (the person has proven the email by now) when a check turned a company down."""
    message = " ".join(reasons) if reasons else _(NO_COMPANY)
    return message_page(request, _("We could not sign you in"), message, 403)


async def after_proof(
    request: Request,
    email: str,
    via: Via,
    companies: Sequence[Company],
    next_path: str | None,
    reasons: Sequence[str] = (),
) -> Response:
    """One company: straight in; several: the chooser by name; none: the neutral page."""
    if not companies:
        return no_company(request, reasons)
    proven = proven_for(email, via, companies, next_path)
    if len(proven.companies) == 1:
        tenant_id, employee_id, _ignored = proven.companies[0]
        return await open_or_refuse(request, tenant_id, employee_id, proven)
    keep(request, proven)
    return chooser(request, proven)


def chooser(
    request: Request, proven: Proven, message: str = "", status_code: int = 200
) -> Response:
    return render(
        request,
        "choose_company.html",
        status_code,
        email=proven.email,
        companies=[name for _, _, name in proven.companies],
        message=message,
    )


async def open_or_refuse(
    request: Request, tenant_id: str, employee_id: str, proven: Proven
) -> Response:
    try:
        entered = await enter(request, tenant_id, employee_id, proven)
    except ApiError as exc:
        return service_refused(request, exc, proven.next_path)
    if isinstance(entered, SessionRefused):
        return message_page(request, _("We could not sign you in"), str(entered), entered.status)
    return entered
