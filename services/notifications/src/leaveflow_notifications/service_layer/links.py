"""Approve / Deny links from Teams cards and emails: look, then decide, once."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from leaveflow_kit.clock import Clock
from leaveflow_kit.storage import DuplicateKey, Store, Transaction

from ..domain.messages import DECISIONS
from .chat import Chat
from .collections import USED_LINKS
from .ports import ApiUnavailable, LinkExpired, LinkInvalid, SecretBox


class LinkGone(Exception):
    """Used or expired (HTTP 410)."""


@dataclass(frozen=True)
class LinkClaims:
    link_id: str
    tenant_id: str
    approver_id: str
    request_id: str
    decision: str


class LinkActions:
    def __init__(
        self, store: Store, box: SecretBox, chat: Chat, ttl_seconds: int, clock: Clock
    ) -> None:
        self._store = store
        self._box = box
        self._chat = chat
        self._ttl = ttl_seconds
        self._clock = clock

    async def inspect(self, token: str) -> LinkClaims:
        """Raises LinkInvalid (forged) or LinkGone (expired or already used)."""
        try:
            raw = self._box.open_link(
                token, ttl_seconds=self._ttl, now=int(self._clock.now().timestamp())
            )
        except LinkExpired as exc:
            raise LinkGone(str(exc)) from exc
        try:
            claims = LinkClaims(
                link_id=str(raw["lid"]),
                tenant_id=str(raw["tid"]),
                approver_id=str(raw["aid"]),
                request_id=str(raw["rid"]),
                decision=str(raw["d"]),
            )
        except KeyError as exc:
            raise LinkInvalid("invalid link") from exc
        if claims.decision not in DECISIONS:
            raise LinkInvalid("invalid link")
        if await self._store.get(USED_LINKS, claims.link_id) is not None:
            raise LinkGone("this link was already used")
        return claims

    async def use(self, token: str) -> str:
        """Decide as the approver the link was sent to. The link is spent first, so two
        clicks racing each other decide once; it is given back only if we could not
        reach the requests service at all."""
        claims = await self.inspect(token)
        used: dict[str, Any] = {
            "id": claims.link_id,
            "tenant_id": claims.tenant_id,
            "decision": claims.decision,
            "used_at": self._clock.now().isoformat(),
        }

        async def spend(tx: Transaction) -> None:
            await tx.insert(USED_LINKS, claims.link_id, used)

        try:
            await self._store.atomic(spend)
        except DuplicateKey as exc:
            raise LinkGone("this link was already used") from exc
        try:
            _, message = await self._chat.decide(
                claims.tenant_id, claims.approver_id, claims.request_id, claims.decision, "link"
            )
        except ApiUnavailable:

            async def give_back(tx: Transaction) -> None:
                await tx.delete(USED_LINKS, claims.link_id)

            await self._store.atomic(give_back)
            raise
        return message
