"""OpenID Connect sign-in (authorization code + PKCE) through Authlib, for every provider.

A provider is a company's own single sign-on (its ``PUT /v1/sso`` config, fetched from the
requests service), a platform provider the operator configured (Google, Microsoft, Slack),
or the deprecated single-company ``WEB_OIDC_*`` one. Each gets its own Authlib client,
built on first use and kept while its configuration stays the same.

Authlib keeps the state, nonce and PKCE verifier in the session between the redirect and
the callback; on the callback it checks the state, exchanges the code (with the verifier)
and validates the ID token: signature (the provider's JWKS), audience = our client id,
expiry and nonce. The issuer is checked here (Microsoft's multi-tenant issuer names the
token's own tenant). Anything wrong raises, and the web refuses the sign-in.
"""

from __future__ import annotations

import asyncio
import hashlib
import ipaddress
import socket
import warnings
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlsplit

import authlib.deprecate  # installs its "always show" filter first, so ours below wins
from authlib.common.errors import AuthlibBaseError

with warnings.catch_warnings():
    # Authlib 1.9 announces a move from httpx to "httpx2"; httpx is what we (and it) use.
    warnings.simplefilter("ignore", authlib.deprecate.AuthlibDeprecationWarning)
    from authlib.integrations.starlette_client import OAuth, StarletteOAuth2App

from leaveflow_kit.outbound import AddressPolicy

from .config import Settings
from .i18n import N_
from .i18n import gettext as _
from .tokens import SsoConfig

Kind = Literal["company", "google", "microsoft", "slack", "legacy"]
PLATFORM: tuple[Kind, ...] = ("google", "microsoft", "slack")
LABELS: dict[Kind, str] = {
    "google": N_("Continue with Google"),
    "microsoft": N_("Continue with Microsoft"),
    "slack": N_("Continue with Slack"),
    "legacy": N_("Continue with your company's single sign-on"),
}
SLACK_TEAM = "https://slack.com/team_id"
SCOPES = "openid email profile"


class SignInRefused(Exception):
    """The provider's answer did not prove who this is; the message is safe to show."""


@dataclass(frozen=True)
class Provider:
    kind: Kind
    issuer: str
    client_id: str
    client_secret: str
    scopes: str = SCOPES
    # The company a company (or the deprecated) provider signs people into.
    tenant_id: str = ""
    company: str = ""
    email_domains: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        """Names the Authlib client (and its state in the session): never shown."""
        return f"company-{self.tenant_id}" if self.kind == "company" else self.kind

    @property
    def fingerprint(self) -> str:
        secret = hashlib.sha256(self.client_secret.encode()).hexdigest()
        return f"{self.issuer}|{self.client_id}|{secret}|{self.scopes}"

    @property
    def label(self) -> str:
        if self.kind == "company":
            return _("Continue with %(company)s's single sign-on", company=self.company)
        return _(LABELS[self.kind])


def platform_providers(settings: Settings) -> list[Provider]:
    """The operator's providers, in the order the sign-in page offers them."""
    found = []
    for kind in PLATFORM:
        client_id = str(getattr(settings, f"{kind}_client_id"))
        if client_id:
            found.append(
                Provider(
                    kind,
                    str(getattr(settings, f"{kind}_issuer")),
                    client_id,
                    str(getattr(settings, f"{kind}_client_secret")),
                )
            )
    if settings.oidc_enabled:
        found.append(
            Provider(
                "legacy",
                settings.oidc_issuer,
                settings.oidc_client_id,
                settings.oidc_client_secret,
                scopes=settings.oidc_scopes,
                tenant_id=settings.oidc_tenant_id,
            )
        )
    return found


def company_provider(config: SsoConfig) -> Provider:
    return Provider(
        "company",
        config.issuer,
        config.client_id,
        config.client_secret,
        tenant_id=config.tenant_id,
        company=config.company,
        email_domains=config.email_domains,
    )


class Clients:
    """One Authlib client per provider, rebuilt when its configuration changes."""

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self._built: dict[str, tuple[str, StarletteOAuth2App]] = {}

    def for_provider(self, provider: Provider) -> StarletteOAuth2App:
        cached = self._built.get(provider.key)
        if cached is not None and cached[0] == provider.fingerprint:
            return cached[1]
        client = OAuth().register(
            provider.key,
            server_metadata_url=f"{provider.issuer.rstrip('/')}/.well-known/openid-configuration",
            client_id=provider.client_id,
            client_secret=provider.client_secret or None,
            client_kwargs={
                "scope": provider.scopes,
                "code_challenge_method": "S256",
                "timeout": self.timeout,
            },
        )
        assert isinstance(client, StarletteOAuth2App)
        self._built[provider.key] = (provider.fingerprint, client)
        return client


async def refusal_of(url: str, policy: AddressPolicy) -> str | None:
    """Why the web may not call ``url`` (None: it may). A company admin chooses its SSO
    issuer, and signup is open: without this anyone could make the web call its neighbours
    (the services, a metadata endpoint). The operator's own providers are trusted."""
    parts = urlsplit(url)
    host = parts.hostname
    if not host:
        return _("address without a host")
    try:
        ips = [ipaddress.ip_address(host)]
    except ValueError:
        try:
            found = await asyncio.get_running_loop().getaddrinfo(
                host, parts.port or 443, type=socket.SOCK_STREAM
            )
        except OSError:
            return _("host name that does not resolve")
        ips = [ipaddress.ip_address(info[4][0]) for info in found]
    reason = policy.first_refusal(ips)
    return _(reason) if reason in _ADDRESS_KINDS else reason


# The kit's reasons (leaveflow_kit.outbound), in the sign-in page's words.
_ADDRESS_KINDS = frozenset(
    {
        N_("unspecified address"),
        N_("loopback address"),
        N_("link-local address"),
        N_("multicast address"),
        N_("shared (CGNAT) address"),
        N_("private address"),
        N_("reserved address"),
    }
)


async def check_reachable(
    client: StarletteOAuth2App, provider: Provider, policy: AddressPolicy
) -> None:
    """Refuse a company's provider whose issuer, or whose endpoints its discovery document
    names, are not public (nor allowed by LEAVEFLOW_OUTBOUND_ALLOW)."""
    if provider.kind != "company":
        return
    reason = await refusal_of(provider.issuer, policy)
    if reason is None:
        try:
            metadata = await client.load_server_metadata()
        except Exception as exc:
            raise SignInRefused(_("your company's sign-in provider could not be reached")) from exc
        for name in ("authorization_endpoint", "token_endpoint", "jwks_uri", "userinfo_endpoint"):
            endpoint = metadata.get(name)
            if isinstance(endpoint, str) and (reason := await refusal_of(endpoint, policy)):
                break
    if reason:
        raise SignInRefused(
            _(
                "your company's sign-in provider is at a %(reason)s,"
                " which this server may not call",
                reason=reason,
            )
        )


def verified_email(claims: dict[str, Any], kind: Kind = "company") -> str:
    """The person's email, only if the provider says it verified it.

    Microsoft's tokens carry no ``email_verified``; their optional ``xms_edov`` claim says
    the directory owns the email's domain. Without either, any directory admin could type
    someone else's address into an account ("nOAuth"), so it is refused.
    """
    email = claims.get("email")
    if not isinstance(email, str) or not email:
        raise SignInRefused(_("the provider did not share an email address"))
    verified = claims.get("email_verified") is True
    if kind == "microsoft":
        verified = verified or claims.get("xms_edov") in (True, "true", "1", 1)
    if not verified:
        raise SignInRefused(_("the provider has not verified this email address"))
    return email.strip().lower()


def expected_issuer(provider: Provider, metadata: dict[str, Any], claims: dict[str, Any]) -> str:
    """The ``iss`` this provider's ID tokens must carry. Microsoft's multi-tenant discovery
    document says ``.../{tenantid}/v2.0``: the token's own ``tid`` fills it in, so a token
    from one directory can never pass for another's."""
    issuer = str(metadata.get("issuer") or provider.issuer)
    if provider.kind == "microsoft" and "{tenantid}" in issuer:
        tid = claims.get("tid")
        if not isinstance(tid, str) or not tid:
            raise SignInRefused(_("the Microsoft token names no directory (tid)"))
        return issuer.replace("{tenantid}", tid)
    return issuer


async def identify(client: StarletteOAuth2App, provider: Provider, request: Any) -> dict[str, Any]:
    """Complete the code flow of this callback request: the ID token's claims (with a
    verified, lower-cased ``email``)."""
    try:
        metadata = await client.load_server_metadata()
        # Authlib checks the audience only through azp unless told: an ID token minted for
        # another client (aud) must never sign anyone in here, whatever its azp says. The
        # issuer is compared below (Microsoft's depends on the token).
        claims_options = {
            "iss": {"essential": True},
            "aud": {"essential": True, "values": [client.client_id]},
        }
        # types-authlib declares this method without annotations.
        token = await client.authorize_access_token(  # type: ignore[no-untyped-call]
            request, claims_options=claims_options
        )
    except AuthlibBaseError as exc:
        raise SignInRefused(exc.description or exc.error or _("the sign-in was refused")) from exc
    except Exception as exc:
        # joserfc (ID token checks) raises its own errors; any failure here refuses.
        raise SignInRefused(
            _("the ID token was not accepted (%(error)s)", error=type(exc).__name__)
        ) from exc
    claims = token.get("userinfo")
    if not isinstance(claims, dict):
        raise SignInRefused(_("the provider returned no ID token"))
    claims = dict(claims)
    if claims.get("iss") != expected_issuer(provider, metadata, claims):
        raise SignInRefused(_("the ID token comes from another issuer"))
    if "email" not in claims:
        # Providers that conform strictly put scope claims in the userinfo answer only.
        try:
            extra = dict(await client.userinfo(token=token))
        except Exception as exc:
            raise SignInRefused(_("the provider's userinfo endpoint failed")) from exc
        if extra.get("sub") != claims.get("sub"):
            raise SignInRefused(_("the userinfo answer is about someone else"))
        proofs = ("email", "email_verified", "xms_edov")
        claims.update({k: v for k, v in extra.items() if k in proofs})
    claims["email"] = verified_email(claims, provider.kind)
    return claims
