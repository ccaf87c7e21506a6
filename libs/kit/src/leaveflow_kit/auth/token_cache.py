"""A short memory of verified tokens, by their hash: RS256 once per token, not per call.

Verifying an RS256 signature costs far more than answering a cached lookup, and a client
sends the same bearer token on every call. A verified token's principal is kept for at most
`ttl` seconds and never past the token's own `exp`; only successes are kept (a flood of
forged tokens cannot fill it), and the key is the SHA-256 of the token, so the memory holds
no usable credential. Whatever verification does beyond the signature and claims
(sessions revoked, people who left: `standing`) is checked per call elsewhere, as before.
"""

from __future__ import annotations

import hashlib
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .tokens import Principal

DEFAULT_TTL_SECONDS = 30.0
DEFAULT_MAX_ENTRIES = 10_000


class VerifiedTokens:
    def __init__(
        self,
        *,
        ttl: float = DEFAULT_TTL_SECONDS,
        max_entries: int = DEFAULT_MAX_ENTRIES,
        now: Callable[[], float] = time.time,
    ) -> None:
        self._ttl = ttl
        self._max = max_entries
        self._now = now
        # hash -> (principal, keep until): oldest first, so the oldest goes when full.
        self._entries: OrderedDict[bytes, tuple[Principal, float]] = OrderedDict()

    @staticmethod
    def key(token: str) -> bytes:
        return hashlib.sha256(token.encode()).digest()

    def get(self, token: str) -> Principal | None:
        key = self.key(token)
        entry = self._entries.get(key)
        if entry is None:
            return None
        principal, until = entry
        if self._now() >= until:
            del self._entries[key]
            return None
        return principal

    def put(self, token: str, principal: Principal, expires_at: float) -> None:
        until = min(self._now() + self._ttl, expires_at)
        if until <= self._now():
            return
        key = self.key(token)
        self._entries[key] = (principal, until)
        self._entries.move_to_end(key)
        while len(self._entries) > self._max:
            self._entries.popitem(last=False)

    def clear(self) -> None:
        """Forget everything (the signing keys changed)."""
        self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)
