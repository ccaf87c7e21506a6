"""Calendar feeds: a scope, an owner, and an unguessable token kept only as its hash.

The token is the only credential of `GET /ical/{token}.ics` (calendar apps cannot send
headers), so it carries 256 random bits and the store keeps its SHA-256 alone: a leaked
database does not leak working feed URLs. A fast unsalted hash is enough for a random
256-bit secret (nothing to brute-force), and it lets a request find its feed by equality.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

TOKEN_BYTES = 32


class Scope(StrEnum):
    TENANT = "tenant"
    DEPARTMENT = "department"
    LOCATION = "location"
    EMPLOYEE = "employee"


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass
class Feed:
    id: str
    tenant_id: str
    owner_id: str
    scope: str  # a Scope value
    scope_id: str | None
    token_hash: str
    created_at: datetime

    def as_item(self) -> dict[str, object]:
        """What lists show: never the token (only its creator ever saw it)."""
        return {
            "id": self.id,
            "scope": self.scope,
            "scope_id": self.scope_id,
            "owner_id": self.owner_id,
            "created_at": self.created_at.isoformat(),
        }
