"""The Slack app's OAuth v2 install ("Add to Slack") and its tokens.

An admin's install is started from the dashboard with a short signed ticket naming their
company (the browser carries no Leaveflow token to us); a person's consent to the status
while away with one naming their Slack id, handed out in their App Home. The OAuth
`state` is single-use and kept in the store (any replica may receive the redirect), and the
browser must also bring it back in a cookie, so a redirect started in another browser is
refused. Tokens are sealed with the service's secret box like every integration secret.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any, Literal

from slack_sdk.oauth import AuthorizeUrlGenerator

from leaveflow_kit.clock import Clock
from leaveflow_kit.storage import Store, Transaction

from ..collections import (
    INTEGRATIONS,
    SLACK,
    SLACK_OAUTH_STATES,
    SLACK_USERS,
    integration_key,
    slack_user_key,
)
from ..integrations import IntegrationConflict, Integrations, UndecryptableSecrets, decrypted
from ..ports import LinkExpired, LinkInvalid, ReadModel, SecretBox, Undecryptable
from .ports import SlackRefused, SlackWebApi

# What the app asks of a workspace (deploy/slack/manifest.yml asks the same).
BOT_SCOPES = ("chat:write", "commands", "im:write", "users:read")
# A person's own token, only to set their status while away.
USER_SCOPES = ("users.profile:read", "users.profile:write")
TICKET_SECONDS = 15 * 60
STATE_SECONDS = 10 * 60
TICKET_PURPOSE = "slack-install"
STATE_COOKIE = "leaveflow_slack_state"

Kind = Literal["workspace", "person"]


@dataclass(frozen=True)
class Ticket:
    """Whose install this is: a company's admin, or one person of an installed workspace."""

    tenant_id: str
    kind: Kind
    team_id: str | None = None
    slack_user_id: str | None = None


class InstallRefused(Exception):
    """The install cannot go on; the message is a sentence for the person."""


@dataclass(frozen=True)
class Installed:
    ticket: Ticket
    team_id: str
    team_name: str


class SlackInstaller:
    def __init__(
        self,
        store: Store,
        reads: ReadModel,
        box: SecretBox,
        integrations: Integrations,
        slack: SlackWebApi,
        clock: Clock,
        *,
        client_id: str,
        base_url: str,
        dashboard_url: str,
        authorize_url: str,
    ) -> None:
        self._store, self._reads, self._box = store, reads, box
        self._integrations, self._slack, self._clock = integrations, slack, clock
        self._client_id = client_id
        self._base_url = base_url.rstrip("/")
        self._authorize_url = authorize_url
        self.dashboard_url = dashboard_url.rstrip("/")

    @property
    def enabled(self) -> bool:
        return bool(self._client_id)

    @property
    def redirect_uri(self) -> str:
        return f"{self._base_url}/slack/oauth_redirect"

    def _now(self) -> int:
        return int(self._clock.now().timestamp())

    def install_url(
        self, tenant_id: str, *, team_id: str | None = None, slack_user_id: str | None = None
    ) -> str:
        """Our `/slack/install` with a signed ticket: a workspace install for the tenant,
        or with `slack_user_id` that person's consent to the status while away."""
        claims: dict[str, Any] = {"purpose": TICKET_PURPOSE, "tenant_id": tenant_id}
        if slack_user_id:
            claims |= {"kind": "person", "team_id": team_id, "slack_user_id": slack_user_id}
        else:
            claims["kind"] = "workspace"
        return f"{self._base_url}/slack/install?ticket={self._box.sign_link(claims, self._now())}"

    def open_ticket(self, token: str) -> Ticket:
        try:
            claims = self._box.open_link(token, ttl_seconds=TICKET_SECONDS, now=self._now())
        except LinkExpired as exc:
            raise InstallRefused(
                "This install link has expired: start again from Leaveflow."
            ) from exc
        except LinkInvalid as exc:
            raise InstallRefused("This is not a Leaveflow install link.") from exc
        if claims.get("purpose") != TICKET_PURPOSE or claims.get("kind") not in (
            "workspace",
            "person",
        ):
            raise InstallRefused("This is not a Leaveflow install link.")
        return Ticket(
            tenant_id=str(claims["tenant_id"]),
            kind=claims["kind"],
            team_id=claims.get("team_id"),
            slack_user_id=claims.get("slack_user_id"),
        )

    async def start(self, ticket: Ticket) -> tuple[str, str]:
        """(state, Slack's authorize URL) for the ticket; the state is stored once."""
        state = secrets.token_urlsafe(24)
        doc = {
            "tenant_id": ticket.tenant_id,
            "kind": ticket.kind,
            "team_id": ticket.team_id,
            "slack_user_id": ticket.slack_user_id,
            "expires_at": self._now() + STATE_SECONDS,
        }
        await self._store.atomic(lambda tx: tx.insert(SLACK_OAUTH_STATES, state, doc))
        workspace = ticket.kind == "workspace"
        generator = AuthorizeUrlGenerator(
            client_id=self._client_id,
            redirect_uri=self.redirect_uri,
            scopes=list(BOT_SCOPES) if workspace else [],
            user_scopes=list(USER_SCOPES),
            authorization_url=self._authorize_url,
        )
        return state, generator.generate(state, team=None if workspace else ticket.team_id)

    async def _consume(self, state: str) -> Ticket | None:
        async def run(tx: Transaction) -> dict[str, Any] | None:
            doc = await tx.get(SLACK_OAUTH_STATES, state)
            if doc is not None:
                await tx.delete(SLACK_OAUTH_STATES, state)
            return doc

        doc = await self._store.atomic(run)
        if doc is None or int(doc["expires_at"]) < self._now():
            return None
        return Ticket(doc["tenant_id"], doc["kind"], doc.get("team_id"), doc.get("slack_user_id"))

    async def complete(self, code: str, state: str, cookie_state: str | None) -> Installed:
        """Exchange Slack's code for the tokens and keep them; `InstallRefused` when the
        state is unknown, used, expired or not this browser's."""
        if not state or cookie_state != state:
            raise InstallRefused(
                "This Slack answer does not belong to an install started in this browser."
            )
        ticket = await self._consume(state)
        if ticket is None:
            raise InstallRefused("This install has expired or was finished already: start again.")
        try:
            answer = await self._slack.oauth_access(code, self.redirect_uri)
        except SlackRefused as exc:
            raise InstallRefused(f"Slack did not complete the install ({exc.error}).") from exc
        team = answer.get("team") or {}
        team_id, team_name = str(team.get("id") or ""), str(team.get("name") or "")
        user = answer.get("authed_user") or {}
        if not team_id:
            raise InstallRefused("Slack's answer names no workspace.")
        if ticket.kind == "workspace":
            await self._keep_workspace(ticket.tenant_id, team_id, answer)
        elif team_id != ticket.team_id or user.get("id") != ticket.slack_user_id:
            raise InstallRefused(
                "You authorized another Slack account than the one this link was for."
            )
        if user.get("id") and user.get("access_token"):
            await self._keep_user(ticket.tenant_id, team_id, str(user["id"]), user["access_token"])
        return Installed(ticket, team_id, team_name)

    async def _keep_workspace(self, tenant_id: str, team_id: str, answer: dict[str, Any]) -> None:
        token = answer.get("access_token")
        if answer.get("token_type") != "bot" or not token:
            raise InstallRefused("Slack's answer has no bot token.")
        before = await self._reads.integration(tenant_id, SLACK)
        kept: dict[str, Any] = {}
        if before is not None:
            try:
                kept = decrypted(self._box, before)
            except UndecryptableSecrets:
                kept = {}  # sealed under an old key: the install starts afresh
            kept = {k: v for k, v in kept.items() if k not in ("tenant_id", "kind")}
            if kept.get("team_id") not in (None, team_id):
                kept = {}  # another workspace's settings do not carry over
        fields = {
            **kept,
            "team_id": team_id,
            "bot_token": token,
            "bot_user_id": answer.get("bot_user_id"),
            "app_id": answer.get("app_id"),
            "installed_by": (answer.get("authed_user") or {}).get("id"),
        }
        try:
            await self._integrations.connect(tenant_id, SLACK, fields)
        except IntegrationConflict as exc:
            raise InstallRefused(
                "This Slack workspace is connected to another Leaveflow company."
            ) from exc

    async def _keep_user(self, tenant_id: str, team_id: str, user_id: str, token: str) -> None:
        doc = {
            "tenant_id": tenant_id,
            "team_id": team_id,
            "slack_user_id": user_id,
            "user_token": self._box.encrypt(token),
            # Authorizing the status scope is the person's opt-in; they can turn it off.
            "status": True,
        }
        key = slack_user_key(team_id, user_id)
        await self._store.atomic(lambda tx: tx.put(SLACK_USERS, key, doc))

    async def person(self, team_id: str, user_id: str) -> tuple[str | None, bool]:
        """(the person's user token, whether they want their status set)."""
        doc = await self._store.get(SLACK_USERS, slack_user_key(team_id, user_id))
        if doc is None:
            return None, False
        try:
            token = self._box.decrypt(doc.get("user_token"))
        except Undecryptable:
            return None, False
        return token, bool(doc.get("status")) and token is not None

    async def set_status_wanted(self, team_id: str, user_id: str, wanted: bool) -> bool:
        """Turn the person's status while away on or off; False when they have no token."""

        async def run(tx: Transaction) -> bool:
            key = slack_user_key(team_id, user_id)
            doc = await tx.get(SLACK_USERS, key)
            if doc is None:
                return False
            await tx.put(SLACK_USERS, key, {**doc, "status": wanted})
            return True

        return await self._store.atomic(run)

    async def uninstalled(self, team_id: str) -> None:
        """`app_uninstalled`: Slack revoked every token of the workspace; forget them."""
        doc = await self._reads.integration_by(SLACK, "team_id", team_id)
        users = await self._store.find(SLACK_USERS, {"team_id": team_id})

        async def run(tx: Transaction) -> None:
            if doc is not None:
                await tx.delete(INTEGRATIONS, integration_key(doc["tenant_id"], SLACK))
            for user in users:
                await tx.delete(SLACK_USERS, slack_user_key(team_id, user["slack_user_id"]))

        await self._store.atomic(run)

    async def revoked(self, team_id: str, user_ids: list[str], bot_ids: list[str]) -> None:
        """`tokens_revoked`: drop the user tokens named, and the bot token when its bot
        user is among `bot_ids` (the rest of the integration, e.g. a webhook, stays)."""
        doc = await self._reads.integration_by(SLACK, "team_id", team_id)

        async def run(tx: Transaction) -> None:
            for user_id in user_ids:
                await tx.delete(SLACK_USERS, slack_user_key(team_id, user_id))
            if doc is not None and doc.get("bot_user_id") in bot_ids:
                key = integration_key(doc["tenant_id"], SLACK)
                current = await tx.get(INTEGRATIONS, key)
                if current is not None:
                    await tx.put(INTEGRATIONS, key, {**current, "bot_token": None})

        await self._store.atomic(run)
