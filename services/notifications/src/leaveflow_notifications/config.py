"""Settings of the notifications service (env: NOTIFICATIONS_PORT, ...)."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator

from leaveflow_kit.outbound import parse_allow_list
from leaveflow_kit.settings import ServiceSettings


class Settings(ServiceSettings):
    SERVICE: ClassVar[str] = "notifications"

    # Shared with the requests service: lets chat commands act as the mapped employee.
    service_secret: SecretStr | None = Field(
        None, validation_alias=AliasChoices("LEAVEFLOW_SERVICE_SECRET")
    )
    # Fernet key for secrets at rest and for Approve/Deny links; generated in the data dir
    # (mode 0600) when unset, like the JWT key.
    secret_key: SecretStr | None = Field(
        None, validation_alias=AliasChoices("NOTIFICATIONS_SECRET_KEY")
    )
    # Where people reach this service. Approve/Deny links no longer point here (they open
    # the dashboard's decide page, `dashboard_url`); unset, NOTIFICATIONS_URL serves.
    public_url: str | None = Field(None, validation_alias=AliasChoices("NOTIFICATIONS_PUBLIC_URL"))
    # Where people reach the dashboard ("Open Leaveflow" links, and Approve/Deny links:
    # `{dashboard_url}/decide/{token}`): the web's public URL, as the stack passes it.
    dashboard_url: str = Field(
        "http://127.0.0.1:8000",
        validation_alias=AliasChoices("LEAVEFLOW_DASHBOARD_URL", "WEB_PUBLIC_URL"),
    )
    # Networks outbound calls to tenant-chosen destinations may reach although they are not
    # public (comma-separated CIDRs). Empty by default everywhere: tests set 127.0.0.0/8
    # for their sinks on loopback.
    outbound_allow: str = Field("", validation_alias=AliasChoices("LEAVEFLOW_OUTBOUND_ALLOW"))
    slack_api_url: str = Field(
        "https://slack.com/api/", validation_alias=AliasChoices("SLACK_API_URL")
    )
    # The Slack app ("Add to Slack", Events API, App Home, status while away): its
    # credentials from api.slack.com/apps (Basic Information). Without a client id the
    # install route answers 404 and only hand-connected workspaces work.
    slack_client_id: str = Field("", validation_alias=AliasChoices("SLACK_CLIENT_ID"))
    slack_client_secret: SecretStr | None = Field(
        None, validation_alias=AliasChoices("SLACK_CLIENT_SECRET")
    )
    # The app's signing secret: verifies events and the requests of workspaces installed
    # through OAuth (a hand-connected workspace keeps its own `signing_secret`).
    slack_signing_secret: SecretStr | None = Field(
        None, validation_alias=AliasChoices("SLACK_SIGNING_SECRET")
    )
    slack_authorize_url: str = Field(
        "https://slack.com/oauth/v2/authorize",
        validation_alias=AliasChoices("SLACK_AUTHORIZE_URL"),
    )
    # How often each replica looks for statuses to set or clear (the store's claim keeps
    # each change to one replica); tests lower it.
    slack_status_interval_seconds: float = Field(
        60.0, gt=0, validation_alias=AliasChoices("SLACK_STATUS_INTERVAL")
    )
    action_link_hours: float = Field(
        72.0, gt=0, validation_alias=AliasChoices("NOTIFICATIONS_ACTION_LINK_HOURS")
    )
    max_attempts: int = Field(6, ge=1, validation_alias=AliasChoices("NOTIFICATIONS_MAX_ATTEMPTS"))
    send_timeout_seconds: float = Field(
        10.0, gt=0, validation_alias=AliasChoices("NOTIFICATIONS_SEND_TIMEOUT")
    )
    # A ceiling on backoff (seconds); tests lower it to see retries within a minute.
    max_backoff_seconds: float = Field(
        300.0, gt=0, validation_alias=AliasChoices("NOTIFICATIONS_MAX_BACKOFF")
    )

    # How long a destination that keeps failing is left alone before one probe; never
    # longer than the backoff ceiling (a test lowering that sees recovery as soon).
    breaker_cooldown_seconds: float = Field(
        30.0, gt=0, validation_alias=AliasChoices("NOTIFICATIONS_BREAKER_COOLDOWN")
    )

    # How often each replica checks whether a digest is due (every replica checks; the
    # store's insert-once key per tenant and day keeps it one digest). Tests lower it.
    digest_interval_seconds: float = Field(
        60.0, gt=0, validation_alias=AliasChoices("NOTIFICATIONS_DIGEST_INTERVAL")
    )

    # The operator's own mail server, for mail that belongs to no company's integration
    # (sign-in links, signup confirmations) and for a company without one (invites).
    # Trusted configuration, so not subject to LEAVEFLOW_OUTBOUND_ALLOW. Unset host: none.
    smtp_host: str | None = Field(None, validation_alias=AliasChoices("LEAVEFLOW_SMTP_HOST"))
    smtp_port: int = Field(
        587, ge=1, le=65535, validation_alias=AliasChoices("LEAVEFLOW_SMTP_PORT")
    )
    smtp_username: str | None = Field(
        None, validation_alias=AliasChoices("LEAVEFLOW_SMTP_USERNAME")
    )
    smtp_password: SecretStr | None = Field(
        None, validation_alias=AliasChoices("LEAVEFLOW_SMTP_PASSWORD")
    )
    smtp_from: str | None = Field(None, validation_alias=AliasChoices("LEAVEFLOW_SMTP_FROM"))
    smtp_starttls: bool = Field(True, validation_alias=AliasChoices("LEAVEFLOW_SMTP_STARTTLS"))
    # Implicit TLS from the first byte (usually port 465); STARTTLS is then not used.
    smtp_ssl: bool = Field(False, validation_alias=AliasChoices("LEAVEFLOW_SMTP_SSL"))

    # The Teams bot (Azure Bot registration): unset app id, no bot (the Workflows webhook
    # stays the way Teams hears from us). The endpoints move only for tests.
    teams_app_id: str | None = Field(None, validation_alias=AliasChoices("TEAMS_APP_ID"))
    teams_app_password: SecretStr | None = Field(
        None, validation_alias=AliasChoices("TEAMS_APP_PASSWORD")
    )
    teams_openid_metadata_url: str = Field(
        "https://login.botframework.com/v1/.well-known/openidconfiguration",
        validation_alias=AliasChoices("TEAMS_OPENID_METADATA_URL"),
    )
    teams_token_issuer: str = Field(
        "https://api.botframework.com", validation_alias=AliasChoices("TEAMS_TOKEN_ISSUER")
    )
    teams_token_url: str = Field(
        "https://login.microsoftonline.com/botframework.com/oauth2/v2.0/token",
        validation_alias=AliasChoices("TEAMS_TOKEN_URL"),
    )

    @model_validator(mode="after")
    def _smtp_sender(self) -> Settings:
        # A server without a sender would fail every mail; say so at start-up instead.
        if self.smtp_host and not self.smtp_from:
            raise ValueError("LEAVEFLOW_SMTP_FROM is required when LEAVEFLOW_SMTP_HOST is set")
        return self

    @field_validator("outbound_allow")
    @classmethod
    def _cidrs(cls, value: str) -> str:
        parse_allow_list(value)  # a typo must stop the service, not open it
        return value

    @property
    def secret_key_path(self) -> Path:
        return self.data_dir / "notifications-secret.key"

    @property
    def base_url(self) -> str:
        return (self.public_url or self.notifications_url).rstrip("/")
