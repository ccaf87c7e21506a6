"""Account mail (sign-in links, signup confirmations, invitations): which mail server
carries it, and sending it.

The server is the first listed company's email integration, else the operator's
(LEAVEFLOW_SMTP_*). Sign-in and signup mail is sent while the caller waits and is not
recorded as a delivery: the caller (the web, in a background task) learns the outcome at
once, a retry later would resend a link that may have expired, and a company's delivery
log is no place for a person's sign-ins (perhaps to another company) or for a company that
does not exist yet. Invitations are deliveries of the inviting company (`invites.py`),
sent by the email dispatcher through `server_for`.

What is logged about a mail: its purpose, which kind of server carried it, and the
outcome. Never the link (a credential for sign-in and signup), never the address.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from leaveflow_kit.logging import get_logger

from ..domain.account_mail import AccountMail
from .collections import EMAIL
from .integrations import UndecryptableSecrets, decrypted
from .ports import ReadModel, Renderer, SecretBox, Sender, SendResult

log = get_logger(__name__)

COMPANY, OPERATOR = "company", "operator"
NO_SERVER = (
    "no mail server: connect the company's email integration, "
    "or set LEAVEFLOW_SMTP_HOST for the installation"
)


class NoMailServer(Exception):
    """Neither a listed company nor the operator has a mail server (HTTP 503)."""


class MailNotSent(Exception):
    """The mail server did not take the message; the text is our own short reason
    (HTTP 502)."""


@dataclass(frozen=True)
class MailServer:
    kind: str  # COMPANY or OPERATOR
    # The integration's settings, secrets decrypted, in the shape `Sender` takes.
    settings: dict[str, Any]
    tenant_id: str | None = None


class AccountMailer:
    """`company_sender` reaches a company's server through the outbound guard;
    `operator_sender` the operator's server as configured (trusted). `operator` is that
    server's settings, None when the installation has none."""

    def __init__(
        self,
        reads: ReadModel,
        box: SecretBox,
        renderer: Renderer,
        *,
        company_sender: Sender,
        operator_sender: Sender,
        operator: dict[str, Any] | None,
        timeout_seconds: float = 10.0,
    ) -> None:
        self._reads = reads
        self._box = box
        self._renderer = renderer
        self._company_sender = company_sender
        self._operator_sender = operator_sender
        self._operator = operator
        self._timeout = timeout_seconds

    async def server_for(self, tenant_ids: Sequence[str]) -> MailServer | None:
        """The first listed company's email integration that we can open, else the
        operator's server, else None."""
        for tenant_id in tenant_ids:
            stored = await self._reads.integration(tenant_id, EMAIL)
            if stored is None:
                continue
            try:
                return MailServer(COMPANY, decrypted(self._box, stored), tenant_id)
            except UndecryptableSecrets:
                # Sealed under an older key: unusable until an admin reconnects it.
                log.warning("email_integration_undecryptable", tenant_id=tenant_id)
        if self._operator is not None:
            return MailServer(OPERATOR, self._operator)
        return None

    async def send_via(
        self, server: MailServer, to: dict[str, Any], mail: AccountMail
    ) -> SendResult:
        message = self._renderer.account(mail)
        sender = self._company_sender if server.kind == COMPANY else self._operator_sender
        return await sender.send(server.settings, to, message)

    async def send(self, to_email: str, mail: AccountMail, tenant_ids: Sequence[str]) -> str:
        """Send now; the kind of server that carried it. `NoMailServer`, `MailNotSent`."""
        server = await self.server_for(tenant_ids)
        if server is None:
            log.warning("account_mail_no_server", purpose=mail.purpose)
            raise NoMailServer(NO_SERVER)
        try:
            result = await asyncio.wait_for(
                self.send_via(server, {"email": to_email}, mail), self._timeout
            )
        except TimeoutError:
            result = SendResult(ok=False, error="timed out", retryable=True)
        log.info(
            "account_mail",
            purpose=mail.purpose,
            server=server.kind,
            sent=result.ok,
            error=result.error,
        )
        if not result.ok:
            raise MailNotSent(result.error or "not sent")
        return server.kind
