"""What the Slack app needs from Slack's Web API (implemented by `adapters/slack_app`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True)
class Status:
    text: str = ""
    emoji: str = ""
    expiration: int = 0


class SlackRefused(Exception):
    """Slack answered `ok: false` (its `error` code is the message) or could not be reached."""

    def __init__(self, error: str) -> None:
        super().__init__(error)
        self.error = error


# Errors meaning the token is gone for good: the person or workspace must authorize again.
DEAD_TOKEN = frozenset({"invalid_auth", "token_revoked", "account_inactive", "not_authed"})


class SlackWebApi(Protocol):
    async def oauth_access(self, code: str, redirect_uri: str) -> dict[str, Any]:
        """`oauth.v2.access` with the app's client credentials: the install's answer."""

    async def publish_home(self, bot_token: str, user_id: str, view: dict[str, Any]) -> None:
        """`views.publish`: the person's App Home."""

    async def open_view(self, bot_token: str, trigger_id: str, view: dict[str, Any]) -> None:
        """`views.open`: a modal, answering the click or command of `trigger_id`."""

    async def update_view(self, bot_token: str, view_id: str, view: dict[str, Any]) -> None:
        """`views.update`: replace an open modal (e.g. after the leave type changed)."""

    async def set_status(self, user_token: str, text: str, emoji: str, expiration: int) -> None:
        """`users.profile.set` of the token's own person (`expiration` 0: never)."""

    async def get_status(self, user_token: str) -> Status:
        """`users.profile.get` of the token's own person: their status now."""
