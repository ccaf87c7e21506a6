"""HTTP request and response models of the notifications service.

Responses keep the JSON the API has always sent. An integration's view holds its plain
settings as saved, and for each secret only whether it is set (`has_<name>`): secrets
are never echoed. Stored integrations are answered with exactly the keys they have, so
the routes that return them exclude unset fields.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, AnyHttpUrl, BaseModel, ConfigDict, Field

from ...domain.delivery import Delivery
from ...service_layer.deliveries import delivery_view

Id = Field(min_length=1, max_length=100)


class SlackIn(BaseModel):
    model_config = ConfigDict(extra="ignore")
    # Needed for inbound commands and buttons; an outbound-only webhook can do without.
    team_id: str | None = Field(None, min_length=1, max_length=100)
    bot_token: str | None = Field(None, min_length=1, max_length=500)
    webhook_url: AnyHttpUrl | None = None
    # Verifies inbound commands and buttons: without it they answer 401, posts still go out.
    signing_secret: str | None = Field(None, min_length=1, max_length=500)
    channel: str | None = Field(None, max_length=100)
    digest_time: str | None = Field(None, pattern=r"^([01]\d|2[0-3]):[0-5]\d$")


class TeamsIn(BaseModel):
    model_config = ConfigDict(extra="ignore")
    aad_tenant_id: str = Id
    webhook_url: AnyHttpUrl
    outgoing_webhook_secret: str | None = Field(None, min_length=1, max_length=500)
    digest_time: str | None = Field(None, pattern=r"^([01]\d|2[0-3]):[0-5]\d$")


class EmailIn(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)
    smtp_host: str = Field(min_length=1, max_length=255)
    smtp_port: int = Field(ge=1, le=65535)
    sender: str = Field(alias="from", min_length=3, max_length=255, pattern=r"^[^@\s]+@[^@\s]+$")
    username: str | None = Field(None, max_length=255)
    password: str | None = Field(None, max_length=500)
    starttls: bool = False
    digest_time: str | None = Field(None, pattern=r"^([01]\d|2[0-3]):[0-5]\d$")


class TestSentOut(BaseModel):
    """A test message's outcome: the standard reason when it failed (as the delivery log
    records one), never what the peer answered."""

    sent: bool
    error: str | None = None


Language = Literal["en", "de"]


class PreferencesIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    slack: bool = True
    teams: bool = True
    email: bool = True
    # Left out: kept as stored (a form that only knows the channels changes nothing else).
    level_updates: bool = Field(
        False, description="Also tell me when one approval level of my request is approved."
    )
    language: Language | None = Field(
        None, description="The dashboard's language; null: follow the browser."
    )

    def chosen(self) -> dict[str, Any]:
        """The channels, and of the other settings only those the body names."""
        keep = {"slack", "teams", "email"} | (self.model_fields_set & {"level_updates", "language"})
        return self.model_dump(include=keep)


# --- responses ---------------------------------------------------------------------


class _Out(BaseModel):
    # An integration saved by an older version may hold a setting this one no longer
    # names: it is still shown, as it always was.
    model_config = ConfigDict(extra="allow", populate_by_name=True)


class SlackOut(_Out):
    tenant_id: str
    team_id: str | None = None
    channel: str | None = None
    digest_time: str | None = None
    has_bot_token: bool = False
    has_webhook_url: bool = False
    has_signing_secret: bool = False


class TeamsOut(_Out):
    tenant_id: str
    aad_tenant_id: str | None = None
    digest_time: str | None = None
    has_webhook_url: bool = False
    has_outgoing_webhook_secret: bool = False


class EmailOut(_Out):
    tenant_id: str
    smtp_host: str | None = None
    smtp_port: int | None = None
    sender: str | None = Field(None, alias="from")
    starttls: bool = False
    digest_time: str | None = None
    has_username: bool = False
    has_password: bool = False


class SlackConnected(BaseModel):
    slack: SlackOut


class TeamsConnected(BaseModel):
    teams: TeamsOut


class EmailConnected(BaseModel):
    email: EmailOut


class IntegrationsOut(BaseModel):
    """Each channel's integration; null when it is not connected."""

    slack: SlackOut | None
    teams: TeamsOut | None
    email: EmailOut | None


class PreferencesOut(BaseModel):
    tenant_id: str
    employee_id: str
    slack: bool
    teams: bool
    email: bool
    level_updates: bool = False
    language: Language | None = None


class PreferencesView(PreferencesOut):
    # The channels the company has set up: the only choices that reach anyone.
    available: list[Literal["slack", "teams", "email"]]


class EventRef(BaseModel):
    id: str
    type: str


class DeliveryOut(BaseModel):
    """One message to one recipient on one channel. Times are ISO 8601 as recorded."""

    id: str
    tenant_id: str
    event_id: str
    event_type: str
    channel: Literal["slack", "teams", "email"]
    recipient: str
    created_at: str
    status: Literal["pending", "sending", "sent", "retrying", "dead"]
    attempts: int
    last_error: str | None
    next_attempt_at: str | None
    sent_at: str | None
    event: EventRef

    @classmethod
    def of(cls, delivery: Delivery) -> DeliveryOut:
        return cls.model_validate(delivery_view(delivery))


class DeliveryPage(BaseModel):
    items: list[DeliveryOut]
    next_cursor: str | None


class TeamsReply(BaseModel):
    """What a Teams outgoing webhook expects back: a message activity with our answer."""

    type: str = "message"
    text: str


class ActionIn(BaseModel):
    """The approver's decision on a link; `note` is required by the requests API to deny
    (without one, "Denied via link")."""

    model_config = ConfigDict(extra="forbid")
    note: str | None = Field(None, max_length=2000)


class ActionOut(BaseModel):
    """What an approve / deny link is about, shown only to its approver."""

    request_id: str
    decision: Literal["approve", "deny"]
    employee_name: str | None
    leave_type_name: str | None
    start_date: str | None
    end_date: str | None
    start_part: str | None
    end_part: str | None
    status: str | None


class ActionDone(BaseModel):
    request_id: str
    status: str | None


# --- service-only routes (the web calls them with the service secret) ---------------


def _absolute_link(value: str) -> str:
    # Kept exactly as given (a URL type would normalise it, and the token is in it); the
    # message never quotes the value, which may be a credential.
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or any(c.isspace() for c in value):
        raise ValueError("must be an absolute http(s) URL")
    return value


class AccountMailIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    to: str = Field(min_length=3, max_length=320, pattern=r"^[^@\s]+@[^@\s]+$")
    purpose: Literal["sign_in", "confirm_signup", "invite"]
    link: Annotated[str, Field(min_length=1, max_length=2000), AfterValidator(_absolute_link)]
    # The companies whose mail server may carry it, in order of preference.
    tenant_ids: list[Annotated[str, Field(min_length=1, max_length=100)]] = Field(
        default_factory=list, max_length=100
    )
    company: str | None = Field(None, max_length=200)


class AccountMailSent(BaseModel):
    sent: bool


class WorkspaceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    tenant_id: str = Id


class WorkspaceOut(BaseModel):
    """The chat workspaces a company connected (null: none), for sign-in checks."""

    slack_team_id: str | None
    teams_tenant_id: str | None
