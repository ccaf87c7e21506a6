"""Sign-in (OpenID Connect, and the dev sign-in of the embedded stack), sign-up, sign-out."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ..api import ApiError
from ..oidc import SignInRefused, identify
from ..session import Csrf, sign_in, sign_out
from ..tokens import DevLoginBroker, Grant, TokenBroker, UnknownPerson, claims_of
from .common import apis, form_fields, render

router = APIRouter()

_OIDC_TENANT = "oidc_tenant"


def _home() -> RedirectResponse:
    return RedirectResponse("/", status_code=303)


@router.get("/signin", response_class=HTMLResponse)
async def signin_page(request: Request) -> Response:
    settings = request.app.state.settings
    return render(request, "signin.html", tenant_id=settings.oidc_tenant_id)


@router.post("/signin/dev", dependencies=[Csrf])
async def dev_signin(request: Request) -> Response:
    """Sign in as any employee by email: only while dev login is enabled."""
    if not request.app.state.settings.dev_login:
        return render(request, "signin.html", 404, message="The dev sign-in is disabled.")
    fields = form_fields(await request.form(), "tenant_id", "email")
    try:
        grant = await DevLoginBroker(apis(request)).token_for(fields["tenant_id"], fields["email"])
    except UnknownPerson:
        return render(
            request, "signin.html", 401, message="No employee of that tenant has this email."
        )
    except ApiError as exc:
        return render(request, "signin.html", 502, message=f"Sign-in failed: {exc}")
    sign_in(request, grant, fields["email"])
    return _home()


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
        return render(
            request, "signup.html", 422, values=fields, errors=exc.field_errors, problem=exc
        )
    claims = claims_of(created["token"])
    grant = Grant(created["token"], created["tenant_id"], created["admin_id"], claims["role"])
    sign_in(request, grant, fields["admin_email"].lower())
    return RedirectResponse("/admin", status_code=303)


@router.post("/signout", dependencies=[Csrf])
async def signout(request: Request) -> Response:
    sign_out(request)
    return RedirectResponse("/signin", status_code=303)


@router.get("/auth/oidc/login")
async def oidc_login(request: Request, tenant_id: str = "") -> Response:
    """Start the authorization-code flow (with PKCE) at the configured provider."""
    settings = request.app.state.settings
    client = request.app.state.oidc
    tenant = settings.oidc_tenant_id or tenant_id.strip()
    if client is None:
        return render(request, "signin.html", 404, message="Single sign-on is not configured.")
    if not tenant:
        return render(request, "signin.html", 422, message="Say which company you belong to.")
    request.session[_OIDC_TENANT] = tenant
    redirect_uri = f"{settings.public_url.rstrip('/')}/auth/oidc/callback"
    response: Response = await client.authorize_redirect(request, redirect_uri)
    return response


@router.get("/auth/oidc/callback")
async def oidc_callback(request: Request) -> Response:
    """The provider sends the person back here with a code; refuse anything doubtful."""
    client = request.app.state.oidc
    tenant = request.session.get(_OIDC_TENANT)
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
        return render(request, "signin.html", 502, message=f"Sign-in failed: {exc}")
    sign_in(request, grant, email)
    return _home()
