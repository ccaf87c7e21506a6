"""Sign-in by email first, the company chooser, the dev sign-in, sign-up and sign-out.

Before a person has proven their email the pages depend only on the email's DOMAIN (the
companies whose single sign-on claims it) and on what every deployment offers: a known
and an unknown address get the same page. Which companies the person belongs to shows
only after proof (``proof.py``). No page ever shows an id.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from .. import company, i18n
from ..api import ApiError
from ..i18n import N_
from ..i18n import gettext as _
from ..local_paths import local_path
from ..oidc import platform_providers
from ..proof import forget, kept
from ..session import Csrf, SessionRefused, SignedIn, identity, open_session, sign_out, signed_in
from ..session import start as start_session
from ..tokens import DomainSso, claims_of
from .common import apis, form_fields, render, retry_headers, too_many_attempts
from .signin_common import (
    Options,
    after_proof,
    chooser,
    keep_options,
    limited,
    open_or_refuse,
    service_refused,
)
from .signin_links import confirm_signup

router = APIRouter()

# The page to go on to once signed in (``?next=/decide/...``); only local paths are followed.
NextQuery = Annotated[str, Query(alias="next")]

# Why the sign-in page is shown (``/signin?reason=...``): a fixed sentence, never echoed input.
REASONS = {"ended": N_("Your session ended - sign in again.")}


@router.get("/language/{code}", include_in_schema=False)
async def switch_language(request: Request, code: str, next: str = "/signin") -> Response:
    """The signed-out pages' English/Deutsch switch: a cookie for a year, then back."""
    target = local_path(next) or "/signin"
    response = RedirectResponse(target, status_code=303)
    if code in i18n.LANGUAGES:
        response.set_cookie(
            i18n.COOKIE,
            code,
            max_age=365 * 24 * 3600,
            samesite="lax",
            httponly=True,
            secure=request.app.state.settings.cookie_secure,
        )
    return response


@router.get("/signin", response_class=HTMLResponse)
async def signin_page(
    request: Request, reason: str = "", next_path: NextQuery = "", email: str = ""
) -> Response:
    # ?email= comes from an invitation mail: a convenience, the page is the same without it.
    return render(
        request,
        "signin.html",
        message=_(REASONS[reason]) if reason in REASONS else "",
        next_path=local_path(next_path),
        email=email.strip()[:320],
    )


def _options_page(
    request: Request, options: Options, domain_sso: list[DomainSso], message: str = ""
) -> Response:
    enforced = [c for c in domain_sso if c.enforce]
    shown = enforced or domain_sso
    company_sso = [
        {"value": f"sso-{options.sso.index(c.tenant_id)}", "label": _sso_label(c.name)}
        for c in shown
    ]
    platform = [
        {"value": p.kind, "label": p.label} for p in platform_providers(request.app.state.settings)
    ]
    return render(
        request,
        "signin_options.html",
        email=options.email,
        company_sso=company_sso,
        platform=platform,
        enforced=bool(enforced),
        message=message,
        next_path=options.next_path,
    )


def _sso_label(company: str) -> str:
    return _("Continue with %(company)s's single sign-on", company=company)


@router.post("/signin", dependencies=[Csrf])
async def signin(request: Request) -> Response:
    """The options for this email: what its domain's companies offer, and the rest."""
    fields = form_fields(await request.form(), "email", "next")
    email = fields["email"].lower()
    next_path = local_path(fields["next"])
    if "@" not in email or len(email) > 320:
        return render(
            request, "signin.html", 422, message=_("Enter your email address."), next_path=next_path
        )
    if refused := limited(request, "signin", email, next_path):
        return refused
    try:
        found = await identity(request).lookup(email)
    except ApiError as exc:
        return service_refused(request, exc, next_path)
    # Only the domain's part of the answer: the companies of this very email stay unsaid
    # until it is proven.
    domain_sso = sorted(found.domain_sso, key=lambda c: c.name.casefold())
    options = Options(email, tuple(c.tenant_id for c in domain_sso), next_path)
    keep_options(request, options)
    return _options_page(request, options, list(domain_sso))


@router.post("/signin/dev", dependencies=[Csrf])
async def dev_signin(request: Request) -> Response:
    """Sign in as any employee by email: only while dev login is enabled (embedded stack).

    ``tenant_id`` (never on the page) lets scripts and tests pick one company directly.
    """
    if not request.app.state.settings.dev_login:
        return render(request, "signin.html", 404, message=_("The dev sign-in is disabled."))
    fields = form_fields(await request.form(), "tenant_id", "email", "next")
    next_path = local_path(fields["next"])
    email = fields["email"].lower()
    if refused := limited(request, "signin", email, next_path):
        return refused
    try:
        companies = (await identity(request).lookup(email)).companies
    except ApiError as exc:
        return service_refused(request, exc, next_path)
    if fields["tenant_id"]:
        companies = tuple(c for c in companies if c.tenant_id == fields["tenant_id"])
    return await after_proof(request, email, "dev", companies, next_path)


@router.post("/signin/choose", dependencies=[Csrf])
async def choose(request: Request) -> Response:
    """The person picked one of the companies the chooser listed (by position)."""
    proven = kept(request)
    if proven is None:
        return render(request, "signin.html", 400, message=_("Start again: enter your email."))
    choice = form_fields(await request.form(), "choice")["choice"]
    if not choice.isdigit() or int(choice) >= len(proven.companies):
        return chooser(request, proven, _("Choose one of the companies below."), 422)
    tenant_id, employee_id, _ignored = proven.companies[int(choice)]
    forget(request)
    return await open_or_refuse(request, tenant_id, employee_id, proven)


@router.get("/signup", response_class=HTMLResponse)
async def signup_page(request: Request) -> Response:
    return render(request, "signup.html", values={"timezone": "UTC"})


@router.post("/signup", dependencies=[Csrf])
async def signup(request: Request) -> Response:
    """Sign up a company; the person signing up becomes its first admin."""
    fields = form_fields(await request.form(), "name", "admin_name", "admin_email", "timezone")
    body: dict[str, Any] = {k: v for k, v in fields.items() if v}
    try:
        created = await apis(request).call("POST", "requests", "/v1/tenants", json=body)
    except ApiError as exc:
        if exc.status == 429:
            response = render(
                request, "signup.html", 429, values=fields, message=too_many_attempts(exc)
            )
            response.headers.update(retry_headers(exc))
            return response
        if exc.status == 409 and exc.type.endswith("/email-in-use"):
            return await confirm_signup(request, fields["admin_email"].lower(), body)
        return render(
            request, "signup.html", 422, values=fields, errors=exc.field_errors, problem=exc
        )
    await _signed_up(request, created, fields["admin_email"].lower())
    company.remember(request, fields["name"])
    return RedirectResponse("/admin", status_code=303)


async def _signed_up(request: Request, created: dict[str, Any], email: str) -> SignedIn:
    """The new company's first admin is signed in; a session when the requests service
    opens one for a signup, else the signup's own token (no refresh: it lasts its hours)."""
    token = str(created["token"])
    role = str(claims_of(token).get("role") or "admin")
    tenant_id, admin_id = str(created["tenant_id"]), str(created["admin_id"])
    try:
        return await open_session(
            request, tenant_id=tenant_id, employee_id=admin_id, email=email, via="signup"
        )
    except (ApiError, SessionRefused):
        return start_session(request, SignedIn(tenant_id, admin_id, role, email, token))


@router.post("/signout", dependencies=[Csrf])
async def signout(request: Request) -> Response:
    """Sign out; ``next`` (a local path) lets someone sign in as another person and go on."""
    next_path = local_path(form_fields(await request.form(), "next")["next"])
    user = signed_in(request)
    if user is not None and user.session_id:
        try:
            # Ended at the source too: the refresh token in a copied cookie is dead.
            path = f"/v1/sessions/{user.session_id}"
            await apis(request).call("DELETE", "requests", path, token=user.token)
        except ApiError:
            pass  # already gone, or the token expired: the cookie goes anyway
    sign_out(request)
    if next_path:
        return RedirectResponse(f"/signin?{urlencode({'next': next_path})}", status_code=303)
    return RedirectResponse("/signin", status_code=303)
