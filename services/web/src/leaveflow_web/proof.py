"""What happens once a person has proven their email (a link, a provider, the dev box).

Only now may the web say which companies the email belongs to: one company goes straight
in, several get a chooser by company name, none get the same neutral sentence whatever
the reason. The chooser's candidates wait in the signed session cookie; the page names
companies only, the form sends a position in that list, never an id.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from . import company
from .i18n import N_
from .local_paths import local_path
from .session import SessionRefused, open_session
from .tokens import Company, Via

_PROVEN_KEY = "proven"

NO_COMPANY = N_("No company on Leaveflow has this email as an active person.")


@dataclass(frozen=True)
class Proven:
    email: str
    via: Via
    companies: tuple[tuple[str, str, str], ...]  # (tenant id, employee id, company name)
    next_path: str | None


def keep(request: Request, proven: Proven) -> None:
    request.session[_PROVEN_KEY] = {
        "email": proven.email,
        "via": proven.via,
        "companies": [list(c) for c in proven.companies],
        "next": proven.next_path or "",
    }


def kept(request: Request) -> Proven | None:
    raw: Any = request.session.get(_PROVEN_KEY)
    if not isinstance(raw, dict):
        return None
    try:
        companies = tuple((str(t), str(e), str(n)) for t, e, n in raw["companies"])
        return Proven(str(raw["email"]), raw["via"], companies, local_path(raw["next"]))
    except (KeyError, TypeError, ValueError):
        return None


def forget(request: Request) -> None:
    request.session.pop(_PROVEN_KEY, None)


def onward(next_path: object = None) -> RedirectResponse:
    """Where a new session starts: the page that asked for it (a local path), else home."""
    return RedirectResponse(local_path(next_path) or "/", status_code=303)


async def enter(
    request: Request, tenant_id: str, employee_id: str, proven: Proven
) -> Response | SessionRefused:
    """Open the session for one company; the refusal (to show) when the service will not."""
    try:
        await open_session(
            request,
            tenant_id=tenant_id,
            employee_id=employee_id,
            email=proven.email,
            via=proven.via,
        )
    except SessionRefused as exc:
        return exc
    company.remember(request, next((n for t, _, n in proven.companies if t == tenant_id), ""))
    return onward(proven.next_path)


def proven_for(email: str, via: Via, companies: Sequence[Company], next_path: str | None) -> Proven:
    ordered = sorted(companies, key=lambda c: c.name.casefold())
    return Proven(
        email, via, tuple((c.tenant_id, c.employee_id, c.name) for c in ordered), next_path
    )
