"""Settings of the web dashboard (env: WEB_PORT, WEB_SESSION_SECRET, WEB_OIDC_ISSUER, ...)."""

from __future__ import annotations

import secrets
from typing import ClassVar

from pydantic import AliasChoices, Field, field_validator, model_validator

from leaveflow_kit.outbound import AddressPolicy, parse_allow_list
from leaveflow_kit.settings import ServiceSettings


def _env(name: str) -> AliasChoices:
    return AliasChoices(f"WEB_{name}")


class Settings(ServiceSettings):
    """The web calls the other services' public APIs only; it keeps no database of its own.

    Sign-in starts with an email: each company's own single sign-on (``PUT /v1/sso`` on the
    requests service), the platform providers configured here (Google, Microsoft, Slack),
    an emailed link, a passkey, and the dev sign-in while ``LEAVEFLOW_DEV_LOGIN`` is on (the
    embedded default; turn it off in production).
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

    # Platform providers the operator registered (any company's people may use them; the
    # company's own rules still apply: Google's hd, Slack's workspace, SSO enforcement).
    google_client_id: str = Field("", validation_alias=_env("GOOGLE_CLIENT_ID"))
    google_client_secret: str = Field("", validation_alias=_env("GOOGLE_CLIENT_SECRET"))
    google_issuer: str = Field(
        "https://accounts.google.com", validation_alias=_env("GOOGLE_ISSUER")
    )
    microsoft_client_id: str = Field("", validation_alias=_env("MICROSOFT_CLIENT_ID"))
    microsoft_client_secret: str = Field("", validation_alias=_env("MICROSOFT_CLIENT_SECRET"))
    # Multi-tenant: the discovery document's issuer holds "{tenantid}", filled in with the
    # token's own `tid` before it is compared.
    microsoft_issuer: str = Field(
        "https://login.microsoftonline.com/common/v2.0", validation_alias=_env("MICROSOFT_ISSUER")
    )
    slack_client_id: str = Field("", validation_alias=_env("SLACK_CLIENT_ID"))
    slack_client_secret: str = Field("", validation_alias=_env("SLACK_CLIENT_SECRET"))
    slack_issuer: str = Field("https://slack.com", validation_alias=_env("SLACK_ISSUER"))

    # Deprecated: one provider for one company per deployment (before per-company SSO).
    # Still honoured: its button shows on every sign-in page and admits the employees of
    # WEB_OIDC_TENANT_ID only. Move it to that company's `PUT /v1/sso` and unset these.
    oidc_issuer: str = Field("", validation_alias=_env("OIDC_ISSUER"))
    oidc_client_id: str = Field("", validation_alias=_env("OIDC_CLIENT_ID"))
    oidc_client_secret: str = Field("", validation_alias=_env("OIDC_CLIENT_SECRET"))
    oidc_scopes: str = Field("openid email profile", validation_alias=_env("OIDC_SCOPES"))
    oidc_tenant_id: str = Field("", validation_alias=_env("OIDC_TENANT_ID"))

    # The web's own calls to the identity routes (sessions, magic links, mail) are
    # authenticated with this secret, shared with the requests and notifications services.
    service_secret: str = Field("", validation_alias=AliasChoices("LEAVEFLOW_SERVICE_SECRET"))

    # Attempts per email (sign-in and link requests) within the window; per IP the kit's
    # rate limiter (LEAVEFLOW_RATE_LIMITS, buckets "signin" and "links") applies as well.
    signin_attempts_per_email: int = Field(
        5, gt=0, validation_alias=_env("SIGNIN_ATTEMPTS_PER_EMAIL")
    )
    signin_window_seconds: int = Field(15 * 60, gt=0, validation_alias=_env("SIGNIN_WINDOW"))

    # Networks a company's single sign-on issuer may be on although they are not public
    # (tests and local setups: a provider on loopback), as CIDRs: "127.0.0.0/8,::1/128".
    outbound_allow: str = Field("", validation_alias=AliasChoices("LEAVEFLOW_OUTBOUND_ALLOW"))

    api_timeout_seconds: float = Field(10.0, gt=0, validation_alias=_env("API_TIMEOUT"))

    # The dashboard as a Teams tab: the Entra app registration's id (the Teams app's
    # `webApplicationInfo.id`); empty = no tab. Its SSO tokens come from this login host.
    teams_app_id: str = Field("", validation_alias=_env("TEAMS_APP_ID"))
    teams_login_url: str = Field(
        "https://login.microsoftonline.com", validation_alias=_env("TEAMS_LOGIN_URL")
    )
    # Origins besides Microsoft's that may frame the tab (space-separated; tests, a proxy).
    teams_frame_origins: str = Field("", validation_alias=_env("TEAMS_FRAME_ORIGINS"))

    @field_validator("outbound_allow")
    @classmethod
    def _cidrs(cls, value: str) -> str:
        parse_allow_list(value)  # a typo fails at start-up, not at someone's sign-in
        return value

    @property
    def outbound_policy(self) -> AddressPolicy:
        return AddressPolicy.from_setting(self.outbound_allow)

    @model_validator(mode="after")
    def _secure_defaults(self) -> Settings:
        if not self.session_secret:
            self.session_secret = secrets.token_urlsafe(32)
        if self.oidc_issuer and not (self.oidc_client_id and self.oidc_tenant_id):
            raise ValueError(
                "WEB_OIDC_ISSUER is set but WEB_OIDC_CLIENT_ID or WEB_OIDC_TENANT_ID is not"
            )
        if not self.public_url:
            self.public_url = f"http://{self.host}:{self.port}"
        return self

    @property
    def oidc_enabled(self) -> bool:
        """The deprecated single-company provider is configured."""
        return bool(self.oidc_issuer)
