"""Sign-in (OpenID Connect, and the dev sign-in of the embedded stack), sign-up, sign-out."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ..api import ApiError
from ..local_paths import local_path
from ..oidc import SignInRefused, identify
from ..session import Csrf, sign_in, sign_out
from ..tokens import DevLoginBroker, Grant, TokenBroker, UnknownPerson, claims_of
from .common import apis, form_fields, render, retry_headers, too_many_attempts

router = APIRouter()

_OIDC_TENANT = "oidc_tenant"
_OIDC_NEXT = "oidc_next"

# The page to go on to once signed in (``?next=/decide/...``); only local paths are followed.
NextQuery = Annotated[str, Query(alias="next")]

# Why the sign-in page is shown (``/signin?reason=...``): a fixed sentence, never echoed input.
REASONS = {"ended": "Your session ended - sign in again."}


def _onward(next_path: object = None) -> RedirectResponse:
    """Where a new session starts: the page that asked for it (a local path), else home."""
    return RedirectResponse(local_path(next_path) or "/", status_code=303)


def _refused_sign_in(request: Request, exc: ApiError, next_path: str | None) -> Response:
    if exc.status == 429:
        response = render(
            request, "signin.html", 429, message=too_many_attempts(exc), next_path=next_path
        )
        response.headers.update(retry_headers(exc))
        return response
    return render(
        request, "signin.html", 502, message=f"Sign-in failed: {exc}", next_path=next_path
    )


@router.get("/signin", response_class=HTMLResponse)
async def signin_page(request: Request, reason: str = "", next_path: NextQuery = "") -> Response:
    settings = request.app.state.settings
    return render(
        request,
        "signin.html",
        tenant_id=settings.oidc_tenant_id,
        message=REASONS.get(reason, ""),
        next_path=local_path(next_path),
    )


@router.post("/signin/dev", dependencies=[Csrf])
async def dev_signin(request: Request) -> Response:
    """Sign in as any employee by email: only while dev login is enabled."""
    if not request.app.state.settings.dev_login:
        return render(request, "signin.html", 404, message="The dev sign-in is disabled.")
    fields = form_fields(await request.form(), "tenant_id", "email", "next")
    next_path = local_path(fields["next"])
    try:
        grant = await DevLoginBroker(apis(request)).token_for(fields["tenant_id"], fields["email"])
    except UnknownPerson:
        return render(
            request,
            "signin.html",
            401,
            message="No employee of that tenant has this email.",
            next_path=next_path,
        )
    except ApiError as exc:
        return _refused_sign_in(request, exc, next_path)
    sign_in(request, grant, fields["email"])
    return _onward(next_path)


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
        return render(
            request, "signup.html", 422, values=fields, errors=exc.field_errors, problem=exc
        )
    claims = claims_of(created["token"])
    grant = Grant(created["token"], created["tenant_id"], created["admin_id"], claims["role"])
    sign_in(request, grant, fields["admin_email"].lower())
    return RedirectResponse("/admin", status_code=303)


@router.post("/signout", dependencies=[Csrf])
async def signout(request: Request) -> Response:
    """Sign out; ``next`` (a local path) lets someone sign in as another person and go on."""
    next_path = local_path(form_fields(await request.form(), "next")["next"])
    sign_out(request)
    if next_path:
        return RedirectResponse(f"/signin?{urlencode({'next': next_path})}", status_code=303)
    return RedirectResponse("/signin", status_code=303)


@router.get("/auth/oidc/login")
async def oidc_login(request: Request, tenant_id: str = "", next_path: NextQuery = "") -> Response:
    """Start the authorization-code flow (with PKCE) at the configured provider."""
    settings = request.app.state.settings
    client = request.app.state.oidc
    tenant = settings.oidc_tenant_id or tenant_id.strip()
    if client is None:
        return render(request, "signin.html", 404, message="Single sign-on is not configured.")
    if not tenant:
        return render(request, "signin.html", 422, message="Say which company you belong to.")
    request.session[_OIDC_TENANT] = tenant
    request.session[_OIDC_NEXT] = local_path(next_path) or "/"
    redirect_uri = f"{settings.public_url.rstrip('/')}/auth/oidc/callback"
    response: Response = await client.authorize_redirect(request, redirect_uri)
    return response


@router.get("/auth/oidc/callback")
async def oidc_callback(request: Request) -> Response:
    """The provider sends the person back here with a code; refuse anything doubtful."""
    client = request.app.state.oidc
    tenant = request.session.get(_OIDC_TENANT)
    next_path = local_path(request.session.get(_OIDC_NEXT))
    if client is None or not isinstance(tenant, str):
        return render(request, "signin.html", 400, message="No sign-in was started here.")
    try:
        email = await identify(client, request)
    except SignInRefused as exc:
        return render(request, "signin.html", 401, message=f"Sign-in refused: {exc}")
    broker: TokenBroker = request.app.state.broker
    try:
        grant = await broker.token_for(tenant, email)
    except UnknownPerson:
        return render(
            request, "signin.html", 403, message=f"{email} is not an employee of this company."
        )
    except ApiError as exc:
        return _refused_sign_in(request, exc, next_path)
    sign_in(request, grant, email)
    return _onward(next_path)
