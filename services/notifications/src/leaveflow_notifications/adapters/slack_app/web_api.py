"""Slack's Web API through slack_sdk's `AsyncWebClient`, at a configurable base URL (Slack,
or a local recorder in tests)."""

from __future__ import annotations

from typing import Any

from aiohttp import ClientError
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from ...service_layer.slack_app.ports import SlackRefused, Status


class SlackSdkWebApi:
    """Implements `service_layer.slack_app.ports.SlackWebApi`."""

    def __init__(
        self, base_url: str, client_id: str, client_secret: str | None, timeout: int = 10
    ) -> None:
        self._base_url = base_url if base_url.endswith("/") else base_url + "/"
        self._client_id = client_id
        self._client_secret = client_secret
        self._timeout = timeout

    def _client(self, token: str | None = None) -> AsyncWebClient:
        return AsyncWebClient(token=token, base_url=self._base_url, timeout=self._timeout)

    async def _call(self, client: AsyncWebClient, method: str, **kwargs: Any) -> dict[str, Any]:
        try:
            response = await getattr(client, method)(**kwargs)
        except SlackApiError as exc:
            raise SlackRefused(str(exc.response.get("error") or "slack_error")) from exc
        except (ClientError, TimeoutError, OSError) as exc:
            raise SlackRefused(f"unreachable: {type(exc).__name__}") from exc
        return dict(response.data) if isinstance(response.data, dict) else {}

    async def oauth_access(self, code: str, redirect_uri: str) -> dict[str, Any]:
        if not self._client_id or not self._client_secret:
            raise SlackRefused("no SLACK_CLIENT_ID / SLACK_CLIENT_SECRET configured")
        return await self._call(
            self._client(),
            "oauth_v2_access",
            client_id=self._client_id,
            client_secret=self._client_secret,
            code=code,
            redirect_uri=redirect_uri,
        )

    async def publish_home(self, bot_token: str, user_id: str, view: dict[str, Any]) -> None:
        await self._call(self._client(bot_token), "views_publish", user_id=user_id, view=view)

    async def open_view(self, bot_token: str, trigger_id: str, view: dict[str, Any]) -> None:
        await self._call(self._client(bot_token), "views_open", trigger_id=trigger_id, view=view)

    async def update_view(self, bot_token: str, view_id: str, view: dict[str, Any]) -> None:
        await self._call(self._client(bot_token), "views_update", view_id=view_id, view=view)

    async def get_status(self, user_token: str) -> Status:
        answer = await self._call(self._client(user_token), "users_profile_get")
        raw = answer.get("profile")
        profile: dict[str, Any] = raw if isinstance(raw, dict) else {}
        return Status(
            text=str(profile.get("status_text") or ""),
            emoji=str(profile.get("status_emoji") or ""),
            expiration=int(profile.get("status_expiration") or 0),
        )

    async def set_status(self, user_token: str, text: str, emoji: str, expiration: int) -> None:
        profile = {"status_text": text, "status_emoji": emoji, "status_expiration": expiration}
        await self._call(self._client(user_token), "users_profile_set", profile=profile)
