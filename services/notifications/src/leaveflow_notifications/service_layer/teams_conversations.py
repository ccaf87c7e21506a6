"""Where the Teams bot reaches a person on its own: their 1:1 chat with it, stored when
they install the bot or write to it (one per employee; `teams_bot.py` writes it). Fan-out
reads it to message that person through the bot instead of the company's channel."""

from __future__ import annotations

TEAMS_CONVERSATIONS = "teams_conversations"


def conversation_key(tenant_id: str, employee_id: str) -> str:
    return f"{tenant_id}:{employee_id}"
