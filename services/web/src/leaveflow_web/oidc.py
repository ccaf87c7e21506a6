"""OpenID Connect sign-in (authorization code + PKCE) through Authlib.

Authlib keeps the state, nonce and PKCE verifier in the session between the redirect and
the callback; on the callback it checks the state, exchanges the code (with the verifier)
and validates the ID token: signature (the provider's JWKS), issuer, audience = our client
id, expiry and nonce. Anything wrong raises, and the web refuses the sign-in.
"""

from __future__ import annotations

import warnings
from typing import Any

import authlib.deprecate  # installs its "always show" filter first, so ours below wins
from authlib.common.errors import AuthlibBaseError

with warnings.catch_warnings():
    # Authlib 1.9 announces a move from httpx to "httpx2"; httpx is what we (and it) use.
    warnings.simplefilter("ignore", authlib.deprecate.AuthlibDeprecationWarning)
    from authlib.integrations.starlette_client import OAuth, StarletteOAuth2App

from .config import Settings

PROVIDER = "oidc"


class SignInRefused(Exception):
    """The provider's answer did not prove who this is; the message is safe to show."""


def build_client(settings: Settings) -> StarletteOAuth2App | None:
    if not settings.oidc_enabled:
        return None
    oauth = OAuth()
    client = oauth.register(
        PROVIDER,
        server_metadata_url=(
            f"{settings.oidc_issuer.rstrip('/')}/.well-known/openid-configuration"
        ),
        client_id=settings.oidc_client_id,
        client_secret=settings.oidc_client_secret or None,
        client_kwargs={
            "scope": settings.oidc_scopes,
            "code_challenge_method": "S256",
            "timeout": settings.api_timeout_seconds,
        },
    )
    assert isinstance(client, StarletteOAuth2App)
    return client


def verified_email(userinfo: dict[str, Any]) -> str:
    """The person's email, only if the provider says it verified it."""
    email = userinfo.get("email")
    if not isinstance(email, str) or not email:
        raise SignInRefused("the provider did not share an email address")
    if userinfo.get("email_verified") is not True:
        raise SignInRefused("the provider has not verified this email address")
    return email.strip().lower()


async def identify(client: StarletteOAuth2App, request: Any) -> str:
    """Complete the code flow of this callback request; the verified email it proves."""
    try:
        metadata = await client.load_server_metadata()
        # Authlib checks the audience only through azp unless told: an ID token minted for
        # another client (aud) must never sign anyone in here, whatever its azp says.
        claims_options = {
            "iss": {"essential": True, "values": [metadata["issuer"]]},
            "aud": {"essential": True, "values": [client.client_id]},
        }
        # types-authlib declares this method without annotations.
        token = await client.authorize_access_token(  # type: ignore[no-untyped-call]
            request, claims_options=claims_options
        )
    except AuthlibBaseError as exc:
        raise SignInRefused(exc.description or exc.error or "the sign-in was refused") from exc
    except Exception as exc:
        # joserfc (ID token checks) raises its own errors; any failure here refuses.
        raise SignInRefused(f"the ID token was not accepted ({type(exc).__name__})") from exc
    claims = token.get("userinfo")
    if not isinstance(claims, dict):
        raise SignInRefused("the provider returned no ID token")
    claims = dict(claims)
    if "email" not in claims:
        # Providers that conform strictly put scope claims in the userinfo answer only.
        try:
            extra = dict(await client.userinfo(token=token))
        except Exception as exc:
            raise SignInRefused("the provider's userinfo endpoint failed") from exc
        if extra.get("sub") != claims.get("sub"):
            raise SignInRefused("the userinfo answer is about someone else")
        claims.update({k: v for k, v in extra.items() if k in ("email", "email_verified")})
    return verified_email(claims)
