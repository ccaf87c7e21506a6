"""Sign-in through an OpenID provider: a company's own, Google, Microsoft or Slack.

One callback for every provider: the session remembers which one the browser went to.
After Authlib's checks (state, PKCE, signature, audience, nonce, expiry) and the issuer's
(``oidc.identify``), each kind has its own rule about WHICH company the proven email may
enter:

- a company's own SSO: only that company, and only emails of its ``email_domains``;
- Google: ``hd`` (the Workspace domain) must be one of the company's SSO email domains
  when it has any;
- Microsoft: the issuer names the token's own directory (``tid``); when the company has a
  Teams integration, ``tid`` must be its directory;
- Slack: ``https://slack.com/team_id`` must be the company's Slack workspace (from its
  notifications integration); a company without one is never entered through Slack;
- and a company that enforces its own SSO is entered through nothing else.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from ..api import ApiError
from ..i18n import N_
from ..i18n import gettext as _
from ..oidc import (
    SLACK_TEAM,
    Clients,
    Provider,
    SignInRefused,
    check_reachable,
    company_provider,
    identify,
    platform_providers,
)
from ..session import Csrf, identity
from ..tokens import Company, IdentityApi, Via
from .common import form_fields, render
from .signin_common import after_proof, kept_options, message_page, service_refused

router = APIRouter()

_STARTED_KEY = "oidc"

SSO_ONLY = N_("%(company)s asks everyone to sign in with its own single sign-on.")
VIA: dict[str, Via] = {
    "company": "sso",
    "legacy": "sso",
    "google": "google",
    "microsoft": "microsoft",
    "slack": "slack",
}


def _clients(request: Request) -> Clients:
    found: Clients = request.app.state.oidc_clients
    return found


async def _provider(request: Request, kind: str, tenant_id: str) -> Provider | None:
    """The provider as configured now (a company's config is asked for every time: an
    admin may have changed or removed it)."""
    if kind == "company":
        config = await identity(request).sso(tenant_id)
        return company_provider(config) if config is not None else None
    return next((p for p in platform_providers(request.app.state.settings) if p.kind == kind), None)


def _refused(request: Request, message: str, status_code: int = 401) -> Response:
    return message_page(request, _("Sign-in refused"), message, status_code)


@router.post("/signin/provider", dependencies=[Csrf])
async def start(request: Request) -> Response:
    """Send the browser to the provider it chose on the options page."""
    options = kept_options(request)
    if options is None:
        return render(request, "signin.html", 400, message=_("Start again: enter your email."))
    choice = form_fields(await request.form(), "provider")["provider"]
    kind, tenant_id = choice, ""
    if choice.startswith("sso-") and choice[4:].isdigit() and int(choice[4:]) < len(options.sso):
        kind, tenant_id = "company", options.sso[int(choice[4:])]
    try:
        provider = await _provider(request, kind, tenant_id)
    except ApiError as exc:
        return service_refused(request, exc, options.next_path)
    if provider is None:
        return render(
            request, "signin.html", 404, message=_("This way of signing in is not offered.")
        )
    client = _clients(request).for_provider(provider)
    try:
        await check_reachable(client, provider, request.app.state.settings.outbound_policy)
    except SignInRefused as exc:
        return _refused(request, _("Sign-in refused: %(reason)s.", reason=exc), 502)
    request.session[_STARTED_KEY] = {
        "kind": provider.kind,
        "tenant": tenant_id,
        "next": options.next_path or "",
    }
    redirect_uri = f"{request.app.state.settings.public_url.rstrip('/')}/auth/oidc/callback"
    try:
        # The email typed on our page goes along as a hint; the provider decides who it is.
        response: Response = await client.authorize_redirect(
            request, redirect_uri, login_hint=options.email
        )
    except Exception:
        return _refused(request, _("The sign-in provider could not be reached."), 502)
    return response


@router.get("/auth/oidc/callback")
async def callback(request: Request) -> Response:
    """The provider sends the person back here with a code; refuse anything doubtful."""
    started: Any = request.session.pop(_STARTED_KEY, None)
    if not isinstance(started, dict):
        return render(request, "signin.html", 400, message=_("No sign-in was started here."))
    next_raw = started.get("next")
    next_path = next_raw if isinstance(next_raw, str) and next_raw else None
    try:
        provider = await _provider(request, str(started.get("kind")), str(started.get("tenant")))
        if provider is None:
            return render(request, "signin.html", 400, message=_("No sign-in was started here."))
        client = _clients(request).for_provider(provider)
        try:
            await check_reachable(client, provider, request.app.state.settings.outbound_policy)
            claims = await identify(client, provider, request)
        except SignInRefused as exc:
            return _refused(request, _("Sign-in refused: %(reason)s.", reason=exc))
        email = str(claims["email"])
        api = identity(request)
        companies = (await api.lookup(email)).companies
        admitted, reasons = await admit(api, provider, claims, companies)
    except ApiError as exc:
        return service_refused(request, exc, next_path)
    return await after_proof(request, email, VIA[provider.kind], admitted, next_path, reasons)


async def admit(
    api: IdentityApi, provider: Provider, claims: dict[str, Any], companies: tuple[Company, ...]
) -> tuple[list[Company], list[str]]:
    """The companies this proof lets the person into, and why any other was turned down."""
    email = str(claims["email"])
    domain = email.rpartition("@")[2]
    if provider.kind in ("company", "legacy"):
        if provider.email_domains and domain not in provider.email_domains:
            own_domains = _(
                "%(name)s signs in only addresses of its own domains.", name=provider.company
            )
            return [], [own_domains]
        return [c for c in companies if c.tenant_id == provider.tenant_id], []
    admitted: list[Company] = []
    reasons: list[str] = []
    for company in companies:
        if company.enforce_sso:
            reasons.append(_(SSO_ONLY, company=company.name))
            continue
        reason = await _platform_refusal(api, provider, claims, company)
        if reason:
            reasons.append(reason)
        else:
            admitted.append(company)
    return admitted, reasons


async def _platform_refusal(
    api: IdentityApi, provider: Provider, claims: dict[str, Any], company: Company
) -> str | None:
    if provider.kind == "google":
        config = await api.sso(company.tenant_id)
        domains = config.email_domains if config is not None else ()
        if domains and claims.get("hd") not in domains:
            return _(
                "%(name)s accepts only Google accounts of its own Workspace.", name=company.name
            )
        return None
    if provider.kind == "microsoft":
        try:
            teams = (await api.workspace(company.tenant_id)).teams_tenant_id
        except ApiError:
            teams = None  # only an extra check: the issuer already named the directory
        if teams and claims.get("tid") != teams:
            return _("This Microsoft account is not in %(name)s's directory.", name=company.name)
        return None
    if provider.kind == "slack":
        try:
            team = (await api.workspace(company.tenant_id)).slack_team_id
        except ApiError as exc:
            if exc.status == 429 or exc.status >= 500:
                raise
            team = None
        if not team:
            return _(
                "%(name)s has not connected a Slack workspace to Leaveflow.", name=company.name
            )
        if claims.get(SLACK_TEAM) != team:
            return _("This Slack workspace is not the one %(name)s uses.", name=company.name)
        return None
    return None
