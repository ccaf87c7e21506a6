"""Settings of the web dashboard (env: WEB_PORT, WEB_SESSION_SECRET, WEB_OIDC_ISSUER, ...)."""

from __future__ import annotations

import secrets
from typing import ClassVar, Literal

from pydantic import AliasChoices, Field, model_validator

from leaveflow_kit.settings import ServiceSettings


def _env(name: str) -> AliasChoices:
    return AliasChoices(f"WEB_{name}")


class Settings(ServiceSettings):
    """The web calls the other services' public APIs only; it keeps no database of its own.

    Sign-in is OpenID Connect when ``WEB_OIDC_ISSUER`` is set, plus the dev sign-in page
    while ``LEAVEFLOW_DEV_LOGIN`` is on (the embedded default; turn it off in production).
    """

    SERVICE: ClassVar[str] = "web"

    # Signs the session cookie. Empty = a random one per process (sessions end on restart),
    # fine for `make run`; set it when running more than one web process.
    session_secret: str = Field("", validation_alias=_env("SESSION_SECRET"))
    # Secure cookies need TLS in front: on behind a TLS proxy, off for http://localhost.
    cookie_secure: bool = Field(False, validation_alias=_env("COOKIE_SECURE"))
    session_max_age_seconds: int = Field(8 * 3600, gt=0, validation_alias=_env("SESSION_MAX_AGE"))
    # The address people reach the web at; OIDC redirect URIs are built from it.
    public_url: str = Field("", validation_alias=_env("PUBLIC_URL"))

    oidc_issuer: str = Field("", validation_alias=_env("OIDC_ISSUER"))
    oidc_client_id: str = Field("", validation_alias=_env("OIDC_CLIENT_ID"))
    oidc_client_secret: str = Field("", validation_alias=_env("OIDC_CLIENT_SECRET"))
    oidc_scopes: str = Field("openid email profile", validation_alias=_env("OIDC_SCOPES"))
    # The tenant whose employees sign in through this provider (the sign-in page asks
    # otherwise).
    oidc_tenant_id: str = Field("", validation_alias=_env("OIDC_TENANT_ID"))

    # How the web gets an API token for a signed-in person: the requests service's dev login
    # (embedded stack) or its service-token endpoint with a shared secret (production).
    token_broker: Literal["dev-login", "service-token"] = Field(
        "dev-login", validation_alias=_env("TOKEN_BROKER")
    )
    service_secret: str = Field("", validation_alias=AliasChoices("LEAVEFLOW_SERVICE_SECRET"))

    api_timeout_seconds: float = Field(10.0, gt=0, validation_alias=_env("API_TIMEOUT"))

    @model_validator(mode="after")
    def _secure_defaults(self) -> Settings:
        if not self.session_secret:
            self.session_secret = secrets.token_urlsafe(32)
        if self.token_broker == "service-token" and not self.service_secret:
            raise ValueError("WEB_TOKEN_BROKER=service-token needs LEAVEFLOW_SERVICE_SECRET")
        if self.oidc_issuer and not self.oidc_client_id:
            raise ValueError("WEB_OIDC_ISSUER is set but WEB_OIDC_CLIENT_ID is not")
        if not self.public_url:
            self.public_url = f"http://{self.host}:{self.port}"
        return self

    @property
    def oidc_enabled(self) -> bool:
        return bool(self.oidc_issuer)
