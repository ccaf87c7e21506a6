"""The Teams bot's use cases: who is talking (their Entra object id in a tenant that
connected Teams), the 1:1 commands, Action.Execute decisions, and proactive messages.

The Teams SDK (adapters/teams_bot) validates the Bot Framework token and turns each
activity into a `Turn`; nothing here knows the SDK. Every act goes through the public API
as the mapped employee (`Chat`), so exactly the API's permission rules apply.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import quote

from leaveflow_kit.storage import Store, Transaction

from ..domain.commands import Help, parse
from .chat import Chat
from .collections import TEAMS
from .integrations import Integrations
from .ports import ApiUnavailable, LeaveflowApi, ReadModel, SendResult
from .teams_cards import APPROVE, DENY, REFRESH, request_card, text_card
from .teams_conversations import TEAMS_CONVERSATIONS, conversation_key

UNREACHABLE = "Leaveflow is not reachable right now; please try again in a minute."
HELP = (
    "I can do this for you here:\n"
    "- **request** <first day> [<last day>] [type] [reason] (dates as YYYY-MM-DD)\n"
    "- **balance**: what you have left\n"
    "- **who's off** [date]: who is away\n"
    "- **help**: this list"
)


@dataclass(frozen=True)
class Turn:
    """What the bot knows of one incoming activity, once its token was validated."""

    aad_tenant_id: str
    aad_object_id: str
    conversation_id: str
    service_url: str
    personal: bool = True


MESSAGING_PATH = "/api/messages"


class BotEndpoint(Protocol):
    async def handle(self, body: dict[str, Any], headers: dict[str, str]) -> tuple[int, Any]:
        """One activity as the Bot Connector posted it: validated, routed, answered
        (status, JSON body or None)."""


class BotMessenger(Protocol):
    async def send(
        self,
        conversation_id: str,
        service_url: str,
        activity: dict[str, Any],
        *,
        replaces: str | None = None,
    ) -> SendResult:
        """Post `activity` to the conversation through the Bot Connector at `service_url`
        (or, with `replaces`, rewrite that activity of it); the result's `ref` is where
        the message is, to rewrite it later."""


@dataclass(frozen=True)
class Who:
    tenant_id: str
    employee_id: str


class TeamsBot:
    def __init__(
        self,
        store: Store,
        reads: ReadModel,
        integrations: Integrations,
        api: LeaveflowApi,
        chat: Chat,
    ) -> None:
        self._store = store
        self._reads = reads
        self._integrations = integrations
        self._api = api
        self._chat = chat

    async def who(self, turn: Turn) -> Who | str:
        """The employee behind the turn, or the sentence telling them why not."""
        integration = await self._integrations.inbound(TEAMS, turn.aad_tenant_id)
        if integration is None:
            return "This Microsoft 365 organisation is not connected to Leaveflow yet."
        tenant_id = str(integration["tenant_id"])
        person = await self._reads.person_by(tenant_id, "teams_user_id", turn.aad_object_id)
        if person is None:
            return (
                "I don't know who you are in Leaveflow yet. Ask your Leaveflow admin to put "
                f"your Teams user id `{turn.aad_object_id}` on your employee profile."
            )
        return Who(tenant_id, str(person["id"]))

    async def remember(self, turn: Turn) -> Who | str:
        """Who is talking; in their 1:1 chat, also store where the bot reaches them, so
        approvers and employees can be messaged first (refreshed on every personal turn:
        Teams may move a conversation to another `serviceUrl`)."""
        who = await self.who(turn)
        if isinstance(who, str) or not turn.personal:
            return who
        key = conversation_key(who.tenant_id, who.employee_id)
        doc = {
            "tenant_id": who.tenant_id,
            "employee_id": who.employee_id,
            "aad_tenant_id": turn.aad_tenant_id,
            "aad_object_id": turn.aad_object_id,
            "conversation_id": turn.conversation_id,
            "service_url": turn.service_url,
        }

        async def run(tx: Transaction) -> None:
            if await tx.get(TEAMS_CONVERSATIONS, key) != doc:
                await tx.put(TEAMS_CONVERSATIONS, key, doc)

        await self._store.atomic(run)
        return who

    async def forget(self, turn: Turn) -> None:
        """They removed the app: the bot cannot reach them any more, so their messages go
        to the channel again."""
        who = await self.who(turn)
        if isinstance(who, Who):
            key = conversation_key(who.tenant_id, who.employee_id)

            async def run(tx: Transaction) -> None:
                await tx.delete(TEAMS_CONVERSATIONS, key)

            await self._store.atomic(run)

    async def answer(self, turn: Turn, text: str) -> str:
        """A 1:1 message: the command's answer."""
        who = await self.remember(turn)
        if isinstance(who, str):
            return who
        # "who's off" as people type it; the command language has one word for it.
        lowered = " ".join(text.lower().split())
        for spoken in ("who's off", "who’s off", "whos off"):
            if lowered.startswith(spoken):
                text = "whosoff" + lowered[len(spoken) :]
        command = parse(text)
        if isinstance(command, Help):
            return f"{command.problem}\n{HELP}" if command.problem else HELP
        answer = await self._chat.run(who.tenant_id, who.employee_id, command, TEAMS)
        return answer.replace("`/vacation ", "`")

    async def act(self, turn: Turn, verb: str, data: dict[str, Any]) -> dict[str, Any]:
        """An `Action.Execute` click (or Teams' automatic refresh): decide as the clicker
        when asked to, then the card as the request stands now."""
        who = await self.who(turn)
        if isinstance(who, str):
            return text_card(who)
        request_id = str(data.get("request_id") or "")
        if not request_id or verb not in (APPROVE, DENY, REFRESH):
            return text_card("This card asks for something Leaveflow does not know.")
        outcome = None
        if verb in (APPROVE, DENY):
            try:
                _, outcome = await self._chat.decide(
                    who.tenant_id, who.employee_id, request_id, verb, TEAMS, level=_level(data)
                )
            except ApiUnavailable:
                return text_card(UNREACHABLE)
        return await self.card(who, request_id, outcome)

    async def card(self, who: Who, request_id: str, outcome: str | None = None) -> dict[str, Any]:
        """The request as `who` may see it, with its levels; refreshed for its approvers."""
        try:
            answer = await self._api.as_employee(
                who.tenant_id,
                who.employee_id,
                "GET",
                "requests",
                f"/v1/leave-requests/{quote(request_id, safe='')}",
                via=TEAMS,
            )
        except ApiUnavailable:
            return text_card(UNREACHABLE)
        if not answer.ok:
            return text_card(outcome or f"You cannot see this request ({answer.problem}).")
        request: dict[str, Any] = answer.body
        approval = request.get("approval") if isinstance(request.get("approval"), dict) else {}
        people = {str(request.get("employee_id"))}
        for level in (approval or {}).get("levels") or []:
            people.update(str(a) for a in level.get("approver_ids") or [])
            if level.get("decided_by"):
                people.add(str(level["decided_by"]))
        names: dict[str, str] = {}
        refresh_for: list[str] = []
        levels = (approval or {}).get("levels") or []
        approvers = {str(a) for level in levels for a in level.get("approver_ids") or []}
        for person_id in sorted(people):
            doc = await self._reads.person(who.tenant_id, person_id)
            if doc is None:
                continue
            names[person_id] = str(doc.get("name") or person_id)
            if person_id in approvers and doc.get("teams_user_id"):
                refresh_for.append(str(doc["teams_user_id"]))
        return request_card(request, names=names, refresh_for=refresh_for, outcome=outcome)

    async def send_to(
        self,
        messenger: BotMessenger,
        tenant_id: str,
        employee_id: str,
        activity: dict[str, Any],
        replaces: dict[str, str] | None = None,
    ) -> SendResult:
        """A proactive message to the employee's 1:1 chat with the bot (`replaces`: the
        `ref` of a message sent before, rewritten in place). Someone who never talked to
        the bot (nor installed it) cannot be reached: a failure that says so."""
        if replaces:
            return await messenger.send(
                replaces["conversation_id"],
                replaces["service_url"],
                activity,
                replaces=replaces["activity_id"],
            )
        ref = await self._store.get(TEAMS_CONVERSATIONS, conversation_key(tenant_id, employee_id))
        if ref is None:
            return SendResult(ok=False, error="teams: this person has no chat with the bot")
        return await messenger.send(str(ref["conversation_id"]), str(ref["service_url"]), activity)

    async def send_request_card(
        self,
        messenger: BotMessenger,
        tenant_id: str,
        employee_id: str,
        request_id: str,
        replaces: dict[str, str] | None = None,
    ) -> SendResult:
        """The request's card as the API has it now, to one person (an approver asked to
        decide), or rewriting the card sent to them before once it moved on."""
        card = await self.card(Who(tenant_id, employee_id), request_id)
        return await self.send_to(messenger, tenant_id, employee_id, card_activity(card), replaces)


def _level(data: dict[str, Any]) -> int | None:
    """The level a card's buttons decide (None on cards without one: the current level)."""
    level = data.get("level")
    if isinstance(level, int) and not isinstance(level, bool):
        return level
    return int(level) if isinstance(level, str) and level.isdigit() else None


ADAPTIVE = "application/vnd.microsoft.card.adaptive"


def card_activity(card: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "message",
        "attachments": [{"contentType": ADAPTIVE, "content": card}],
    }
