"""The Teams SDK's App, mounted on our FastAPI app: it validates the Bot Framework JWT
(OpenID metadata keys, issuer, audience = our app id, the `serviceurl` claim equal to the
activity's) and routes activities to `TeamsBot`; it also posts our answers and proactive
messages through the Bot Connector with the bot's own token.

Only the endpoints move for tests (`TEAMS_OPENID_METADATA_URL`, `TEAMS_TOKEN_URL`): the
validation is the SDK's, unchanged.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from microsoft_teams.api.activities.conversation.conversation_update import (
    ConversationUpdateActivity,
)
from microsoft_teams.api.activities.install_update.add import InstalledActivity
from microsoft_teams.api.activities.install_update.remove import UninstalledActivity
from microsoft_teams.api.activities.invoke.adaptive_card.action import AdaptiveCardInvokeActivity
from microsoft_teams.api.activities.message.message import MessageActivity, MessageActivityInput
from microsoft_teams.api.auth.cloud_environment import PUBLIC, with_overrides
from microsoft_teams.api.models.adaptive_card.adaptive_card_action_response import (
    AdaptiveCardActionCardResponse,
)
from microsoft_teams.apps import ActivityContext, App
from microsoft_teams.apps.http.adapter import HttpMethod, HttpRequest, HttpRouteHandler
from microsoft_teams.cards import AdaptiveCard

from ...service_layer.ports import SendResult
from ...service_layer.teams_bot import MESSAGING_PATH, TeamsBot, Turn, Who
from .connector_token import ClientCredentialsToken

WELCOME = "Hi! I'm Leaveflow. Type **help** to see what I can do."
_MENTION = re.compile(r"<at>[^<]*</at>")


class MountedRoute:
    """The SDK's server adapter, reduced to handing us its messaging handler: our FastAPI
    route (entrypoints/http/bot_messages.py) calls it, so the endpoint lives with our other
    routes, rate limits and lifespan."""

    def __init__(self) -> None:
        self.handler: HttpRouteHandler | None = None

    def register_route(self, method: HttpMethod, path: str, handler: HttpRouteHandler) -> None:
        self.handler = handler

    def serve_static(self, path: str, directory: str) -> None:
        raise NotImplementedError("the bot serves no static files")

    async def start(self, port: int) -> None:
        raise NotImplementedError("the notifications service runs the server")

    async def stop(self) -> None:
        return None


@dataclass(frozen=True)
class TeamsBotSettings:
    app_id: str
    app_password: str
    openid_metadata_url: str = PUBLIC.openid_metadata_url
    token_url: str = "https://login.microsoftonline.com/botframework.com/oauth2/v2.0/token"
    token_issuer: str = PUBLIC.token_issuer


def _turn(activity: Any) -> Turn:
    conversation = activity.conversation
    channel_data = getattr(activity, "channel_data", None)
    tenant = getattr(getattr(channel_data, "tenant", None), "id", None)
    sender = activity.from_
    return Turn(
        aad_tenant_id=str(conversation.tenant_id or tenant or ""),
        aad_object_id=str(sender.aad_object_id or sender.id or ""),
        conversation_id=str(conversation.id),
        service_url=str(activity.service_url or ""),
        personal=(conversation.conversation_type or "personal") == "personal",
    )


def _activity(message: dict[str, Any]) -> MessageActivityInput:
    out = MessageActivityInput(text=str(message.get("text") or ""))
    for attachment in message.get("attachments") or []:
        out.add_card(AdaptiveCard.model_validate(attachment["content"]))
    return out


class TeamsBotHost:
    """The SDK App with our handlers; `handle` is the messaging endpoint, `send` the
    proactive side (`BotMessenger`)."""

    def __init__(self, settings: TeamsBotSettings, bot: TeamsBot) -> None:
        self._route = MountedRoute()
        cloud = with_overrides(
            PUBLIC,
            openid_metadata_url=settings.openid_metadata_url,
            token_issuer=settings.token_issuer,
        )
        self.app = App(
            client_id=settings.app_id,
            token=ClientCredentialsToken(
                settings.token_url, settings.app_id, settings.app_password
            ),
            cloud=cloud,
            http_server_adapter=self._route,
            messaging_endpoint=MESSAGING_PATH,
            dangerously_allow_unauthenticated_requests=False,
        )
        self.bot = bot
        self._started = False
        self._register()

    def _register(self) -> None:
        bot = self.bot

        @self.app.on_message
        async def on_message(ctx: ActivityContext[MessageActivity]) -> None:
            text = ctx.activity.text or ""
            await ctx.send(await bot.answer(_turn(ctx.activity), _without_mentions(text)))

        @self.app.on_install_add
        async def on_install(ctx: ActivityContext[InstalledActivity]) -> None:
            who = await bot.remember(_turn(ctx.activity))
            await ctx.send(WELCOME if isinstance(who, Who) else who)

        @self.app.on_install_remove
        async def on_uninstall(ctx: ActivityContext[UninstalledActivity]) -> None:
            await bot.forget(_turn(ctx.activity))

        @self.app.on_conversation_update
        async def on_update(ctx: ActivityContext[ConversationUpdateActivity]) -> None:
            await bot.remember(_turn(ctx.activity))

        @self.app.on_card_action
        async def on_card(
            ctx: ActivityContext[AdaptiveCardInvokeActivity],
        ) -> AdaptiveCardActionCardResponse:
            action = ctx.activity.value.action
            card = await bot.act(_turn(ctx.activity), str(action.verb or ""), dict(action.data))
            return AdaptiveCardActionCardResponse(value=AdaptiveCard.model_validate(card))

    async def start(self) -> None:
        """Registers the messaging handler; at the first use when no lifespan ran."""
        if not self._started:
            self._started = True
            await self.app.initialize()

    async def handle(self, body: dict[str, Any], headers: dict[str, str]) -> tuple[int, Any]:
        await self.start()
        if self._route.handler is None:
            return 503, {"error": "the bot is starting"}
        answer = await self._route.handler(HttpRequest(body=body, headers=headers))
        return answer["status"], answer["body"]

    async def send(
        self,
        conversation_id: str,
        service_url: str,
        activity: dict[str, Any],
        *,
        replaces: str | None = None,
    ) -> SendResult:
        await self.start()
        message = _activity(activity)
        if replaces:
            message.id = replaces  # the SDK then updates that activity (PUT)
        try:
            sent = await self.app.send(conversation_id, message, service_url=service_url)
        except Exception as exc:  # the connector's answer decides whether to retry
            status = getattr(getattr(exc, "response", None), "status_code", None)
            retryable = status is None or status >= 500 or status == 429
            return SendResult(ok=False, error=f"teams bot: {exc!r}"[:300], retryable=retryable)
        ref = {
            "conversation_id": conversation_id,
            "service_url": service_url,
            "activity_id": replaces or sent.id,
        }
        return SendResult(ok=True, ref=ref)


def _without_mentions(text: str) -> str:
    """In a 1:1 chat there is no @mention, but a message pasted from a channel has one."""
    return _MENTION.sub("", text).strip()
