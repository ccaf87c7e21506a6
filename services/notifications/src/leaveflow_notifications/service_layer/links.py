"""Approve / Deny links from Teams cards and emails. A link names a request, a decision and
the approvers it was signed for; it opens the dashboard's decide page, which asks for it
with the person's own token: only one of those approvers, signed in, in the link's tenant,
sees the request and decides, once. Anyone else learns nothing, not even that the request
exists (the same answer as for a forged link)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from leaveflow_kit.clock import Clock
from leaveflow_kit.storage import DuplicateKey, Store, Transaction

from ..domain.messages import DECISIONS
from .collections import USED_LINKS
from .ports import ApiUnavailable, LeaveflowApi, LinkExpired, LinkInvalid, SecretBox
from .replica import LEAVE_TYPE_REPLICA, person


class LinkGone(Exception):
    """Expired (HTTP 410)."""


class AlreadyDecided(Exception):
    """The link was used, or the request is no longer pending (HTTP 409)."""


@dataclass(frozen=True)
class LinkClaims:
    link_id: str
    tenant_id: str
    approver_ids: tuple[str, ...]
    request_id: str
    decision: str
    # The level the message asked about (links signed before levels carry none).
    level: int | None = None


def _approvers(raw: Any) -> tuple[str, ...]:
    # Links issued before channel posts named one approver as a string.
    if isinstance(raw, str):
        return (raw,)
    if isinstance(raw, list):
        return tuple(str(a) for a in raw)
    raise LinkInvalid("invalid link")


class LinkActions:
    def __init__(
        self, store: Store, box: SecretBox, api: LeaveflowApi, ttl_seconds: int, clock: Clock
    ) -> None:
        self._store = store
        self._box = box
        self._api = api
        self._ttl = ttl_seconds
        self._clock = clock

    def claims(self, token: str) -> LinkClaims:
        """Raises LinkInvalid (forged) or LinkGone (expired)."""
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
                approver_ids=_approvers(raw["aid"]),
                request_id=str(raw["rid"]),
                decision=str(raw["d"]),
                level=int(raw["lvl"]) if raw.get("lvl") is not None else None,
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise LinkInvalid("invalid link") from exc
        if claims.decision not in DECISIONS:
            raise LinkInvalid("invalid link")
        return claims

    def claims_for(self, token: str, tenant_id: str, employee_id: str) -> LinkClaims:
        """The claims, if the caller is one of the approvers the link was signed for;
        otherwise LinkInvalid, exactly as for a forged link."""
        claims = self.claims(token)
        if claims.tenant_id != tenant_id or employee_id not in claims.approver_ids:
            raise LinkInvalid("invalid link")
        return claims

    async def view(self, token: str, tenant_id: str, employee_id: str) -> dict[str, Any]:
        """What the decide page shows its approver (read as them: if they may no longer
        see the request, neither does the link)."""
        claims = self.claims_for(token, tenant_id, employee_id)
        answer = await self._api.as_employee(
            tenant_id,
            employee_id,
            "GET",
            "requests",
            f"/v1/leave-requests/{quote(claims.request_id, safe='')}",
            via="link",
        )
        if answer.status in (401, 403, 404):
            raise LinkInvalid("invalid link")
        if not answer.ok or not isinstance(answer.body, dict):
            raise ApiUnavailable(f"requests answered {answer.status}")
        body = answer.body

        async def names(tx: Transaction) -> tuple[str | None, str | None]:
            who = await person(tx, tenant_id, str(body.get("employee_id")))
            kind = await LEAVE_TYPE_REPLICA.get(tx, tenant_id, str(body.get("leave_type_id")))
            return (who or {}).get("name"), (kind or {}).get("name")

        employee_name, leave_type_name = await self._store.atomic(names)
        return {
            "request_id": claims.request_id,
            "decision": claims.decision,
            "employee_name": employee_name,
            "leave_type_name": leave_type_name,
            "start_date": body.get("start_date"),
            "end_date": body.get("end_date"),
            "start_part": body.get("start_part"),
            "end_part": body.get("end_part"),
            "status": body.get("status"),
        }

    async def decide(
        self, token: str, tenant_id: str, employee_id: str, note: str | None
    ) -> dict[str, Any]:
        """Decide as the signed-in approver through the requests API (its own checks
        apply). The link is spent first, so two clicks racing each other decide once;
        it is given back when the decision was not made for a reason of ours."""
        claims = self.claims_for(token, tenant_id, employee_id)
        used: dict[str, Any] = {
            "id": claims.link_id,
            "tenant_id": claims.tenant_id,
            "decision": claims.decision,
            "by": employee_id,
            "used_at": self._clock.now().isoformat(),
        }

        async def spend(tx: Transaction) -> None:
            await tx.insert(USED_LINKS, claims.link_id, used)

        async def give_back(tx: Transaction) -> None:
            await tx.delete(USED_LINKS, claims.link_id)

        try:
            await self._store.atomic(spend)
        except DuplicateKey as exc:
            raise AlreadyDecided("this link was already used") from exc
        verb = "Approved" if claims.decision == "approve" else "Denied"
        try:
            answer = await self._api.as_employee(
                tenant_id,
                employee_id,
                "POST",
                "requests",
                f"/v1/leave-requests/{quote(claims.request_id, safe='')}/{claims.decision}",
                json=decision_body(note or f"{verb} via link", claims.level),
                via="link",
            )
        except ApiUnavailable:
            await self._store.atomic(give_back)
            raise
        if answer.ok and isinstance(answer.body, dict):
            return {"request_id": claims.request_id, "status": answer.body.get("status")}
        if answer.status == 409:
            raise AlreadyDecided(answer.problem)
        await self._store.atomic(give_back)
        if answer.status == 403:
            # They were asked (the link is theirs), but requests lets them decide nothing
            # now: the request moved on to another level, or the decision is no longer
            # theirs. Said as such; the link stays usable should it become theirs again.
            raise AlreadyDecided(NOT_YOUR_TURN)
        if answer.status in (401, 404):
            raise LinkInvalid("invalid link")
        if answer.status == 422:
            raise InvalidDecision(answer.problem)
        raise ApiUnavailable(f"requests answered {answer.status}")


NOT_YOUR_TURN = "This request now waits for someone else's decision; nothing was changed."


def decision_body(note: str, level: int | None) -> dict[str, Any]:
    """An approve / deny body: with the level the person saw, requests decides that level
    or answers 409 (decided meanwhile), never the next one by a second click."""
    return {"note": note} if level is None else {"note": note, "level": level}


class InvalidDecision(Exception):
    """The requests service refused the decision's input (the note): HTTP 422."""
