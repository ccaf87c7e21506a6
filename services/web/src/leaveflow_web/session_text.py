"""A short text kept with the session at sign-in (the company's name, the person's name),
so that no page pays an API call to show it in the header."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request

MAX_LENGTH = 200


@dataclass(frozen=True)
class SessionText:
    key: str

    def remember(self, request: Request, text: str) -> None:
        if text.strip():
            request.session[self.key] = text.strip()[:MAX_LENGTH]

    def of(self, request: Request) -> str:
        """The text ("" before sign-in, or when it is not known)."""
        if "session" not in request.scope:
            return ""  # a page answered outside the session's middleware (a 500)
        text = request.session.get(self.key)
        return text if isinstance(text, str) else ""
