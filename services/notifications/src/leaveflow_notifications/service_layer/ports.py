"""What the notifications use cases need from the outside world, declared here and
implemented by the adapters (`adapters/`); `bootstrap.py` wires one to the other.

The service layer imports no adapter: the other services' APIs, the secret box, the
channel templates, the senders and the store's read side are these Protocols, and the
values and errors that cross them are defined here too, so an adapter raises what the
use case catches without the use case knowing the adapter. The clock is the kit's
(`leaveflow_kit.clock.Clock`), as in every service.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from leaveflow_kit.outbound import IpAddress

from ..domain.account_mail import AccountMail
from ..domain.delivery import Delivery
from ..domain.messages import Notice

# --- the other services' public APIs, called as one employee -------------------------


class ApiUnavailable(Exception):
    """A Leaveflow service could not be reached or failed (5xx)."""


@dataclass(frozen=True)
class ApiAnswer:
    status: int
    body: Any

    @property
    def ok(self) -> bool:
        return self.status < 300

    @property
    def problem(self) -> str:
        """The human part of a problem+json answer."""
        if not isinstance(self.body, dict):
            return f"HTTP {self.status}"
        errors = self.body.get("errors") or []
        parts = [f"{e.get('field')}: {e.get('message')}" for e in errors if isinstance(e, dict)]
        detail = str(self.body.get("detail") or self.body.get("title") or f"HTTP {self.status}")
        return "; ".join(parts) if parts else detail


class LeaveflowApi(Protocol):
    async def as_employee(
        self,
        tenant_id: str,
        employee_id: str,
        method: str,
        service: str,
        path: str,
        *,
        via: str = "chat",
        json: dict[str, Any] | None = None,
        params: dict[str, str] | None = None,
    ) -> ApiAnswer:
        """Call `service`'s public API as the employee, so exactly its own permission
        checks apply. 403 when they are not an active employee; `ApiUnavailable` when
        the service cannot be reached or fails."""


# --- secrets at rest and signed links -------------------------------------------------


class Undecryptable(Exception):
    """A ciphertext this box cannot open (sealed under another key, or garbage)."""


class LinkInvalid(Exception):
    """A link that is forged or malformed."""


class LinkExpired(Exception):
    """A genuine link past its lifetime."""


class SecretBox(Protocol):
    def encrypt(self, plain: str | None) -> str | None: ...

    def decrypt(self, token: str | None) -> str | None:
        """Raises `Undecryptable`."""

    def sign_link(self, claims: dict[str, Any], at: int) -> str:
        """A tamper-proof token carrying `claims`, issued at the Unix time `at`."""

    def open_link(self, token: str, *, ttl_seconds: int, now: int) -> dict[str, Any]:
        """The link's claims; `LinkInvalid` if forged, `LinkExpired` if too old."""


# --- from a notice to a message on the wire -------------------------------------------


class Renderer(Protocol):
    """One template per channel. `links` are the signed Approve / Deny URLs, by decision."""

    def slack(self, notice: Notice, to: dict[str, Any]) -> dict[str, Any]: ...

    def teams(
        self, notice: Notice, to: dict[str, Any], links: dict[str, str] | None
    ) -> dict[str, Any]: ...

    def email(self, notice: Notice, links: dict[str, str] | None) -> dict[str, Any]: ...

    def account(self, mail: AccountMail) -> dict[str, Any]:
        """An account mail (sign-in link, signup confirmation, invitation) as an email:
        `subject`, `text` and `html`."""


@dataclass(frozen=True)
class SendResult:
    """Whether a message went out, and if not whether trying again can help."""

    ok: bool
    error: str | None = None
    retryable: bool = False
    retry_after: float | None = None
    # The peer's handle of the message sent, to update it later (Slack: channel and ts).
    ref: dict[str, str] | None = None


SENT = SendResult(ok=True)


class Sender(Protocol):
    async def send(
        self, integration: dict[str, Any], to: dict[str, Any], message: dict[str, Any]
    ) -> SendResult:
        """`integration` with its secrets decrypted; `to` the recipient's contact ids. A
        `message` carrying `UPDATES` (a `SendResult.ref` of an earlier send) replaces that
        message instead of sending a new one."""


UPDATES = "updates"


class Poster(Protocol):
    """Posts a JSON answer to a URL a peer gave us (Slack's `response_url`)."""

    async def post_json(
        self, url: str, payload: dict[str, Any], headers: dict[str, str] | None = None
    ) -> SendResult: ...


# --- the store ------------------------------------------------------------------------


class DeliveryRecords(Protocol):
    """The stored deliveries, each change in a transaction of its own."""

    async def waiting(self, channel: str, status: str, *, limit: int) -> list[Delivery]:
        """Up to `limit` deliveries of `channel` in `status`, in key order."""

    async def change(
        self, delivery_id: str, change: Callable[[Delivery], Delivery | None]
    ) -> Delivery | None:
        """Read the delivery and store what `change` answers (None: leave it as it is), in
        one transaction: of two changes racing on one delivery, one commits and the other
        runs again on what that one stored, so `change` must do nothing but decide. The
        delivery as stored, or None when it is absent or `change` declined."""


# --- the store's read side, for the HTTP routes ---------------------------------------


class ReadModel(Protocol):
    """Reads outside any transaction. Each is scoped to a tenant: another tenant's record
    reads as absent."""

    async def person(self, tenant_id: str, employee_id: str) -> dict[str, Any] | None:
        """The employee as the directory replica holds them."""

    async def person_by(self, tenant_id: str, field: str, value: str) -> dict[str, Any] | None:
        """The employee whose `field` (`slack_user_id`, `teams_user_id`) is `value` (a
        departed one acts never: the API refuses them their token)."""

    async def time_zone(self, tenant_id: str, employee_id: str) -> str | None:
        """The IANA zone that decides the employee's "today": their location's, else
        their tenant's (None when the replica knows neither yet)."""

    async def integration(self, tenant_id: str, channel: str) -> dict[str, Any] | None:
        """The stored integration, secrets still encrypted."""

    async def preferences(self, tenant_id: str, employee_id: str) -> dict[str, Any] | None:
        """The channels the employee chose (None: never chosen)."""

    async def integration_by(self, channel: str, field: str, value: str) -> dict[str, Any] | None:
        """The stored integration of any tenant whose `field` (team id, AAD tenant id) is
        `value`: inbound requests are routed by it."""

    async def deliveries(
        self,
        tenant_id: str,
        *,
        status: str | None,
        channel: str | None,
        limit: int,
        cursor: str | None,
    ) -> tuple[list[Delivery], str | None]:
        """A page of the tenant's deliveries in key order, and the cursor of the next."""


class Resolver(Protocol):
    """DNS: every address a host name has (a literal IP resolves to itself)."""

    async def addresses(self, host: str, port: int) -> list[IpAddress]: ...


class ResolveFailed(Exception):
    """The name does not resolve (or DNS is unreachable)."""
