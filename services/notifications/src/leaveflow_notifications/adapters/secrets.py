"""Secrets at rest (integration credentials) and the signed Approve/Deny links.

Both use Fernet (AES-CBC + HMAC, with a timestamp) from `cryptography`. The master key
comes from settings or is generated once into the data dir (mode 0600, write-then-rename).
Links use a key derived from the master, so a stored ciphertext can never pass as a link.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken

from ..service_layer.ports import LinkExpired, LinkInvalid, Undecryptable


def load_or_create_key(path: Path) -> bytes:
    if path.exists():
        return path.read_bytes().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = Fernet.generate_key()
    # Linked into place, not renamed: of two replicas starting at once on a shared data
    # dir, the first link wins and the other reads that key (one key for both).
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(key)
        os.link(tmp, path)
    except FileExistsError:
        return path.read_bytes().strip()
    finally:
        tmp.unlink(missing_ok=True)
    return key


def _derived(key: bytes, purpose: str) -> Fernet:
    digest = hashlib.sha256(purpose.encode() + b"\0" + key).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


class FernetBox:
    """Implements `service_layer.ports.SecretBox` with Fernet."""

    def __init__(self, key: bytes) -> None:
        self._fernet = Fernet(key)
        self._links = _derived(key, "action-links")

    def encrypt(self, plain: str | None) -> str | None:
        return None if plain is None else self._fernet.encrypt(plain.encode()).decode()

    def decrypt(self, token: str | None) -> str | None:
        if token is None:
            return None
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken as exc:
            raise Undecryptable("sealed under another key, or not a ciphertext") from exc

    def sign_link(self, claims: dict[str, Any], at: int) -> str:
        return self._links.encrypt_at_time(json.dumps(claims).encode(), at).decode()

    def open_link(self, token: str, *, ttl_seconds: int, now: int) -> dict[str, Any]:
        """The link's claims; LinkInvalid if forged, LinkExpired if too old."""
        try:
            issued = self._links.extract_timestamp(token.encode())
            raw = self._links.decrypt_at_time(token.encode(), ttl_seconds + now, now)
            claims = json.loads(raw)
        except (InvalidToken, ValueError, TypeError) as exc:
            raise LinkInvalid("invalid link") from exc
        if not isinstance(claims, dict):
            raise LinkInvalid("invalid link")
        if now - issued > ttl_seconds:
            raise LinkExpired("this link has expired")
        return claims
