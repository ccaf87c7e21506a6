"""Secrets at rest (integration credentials) and the signed Approve/Deny links.

Both use Fernet (AES-CBC + HMAC, with a timestamp) from `cryptography`. The master key
comes from settings or is generated once into the data dir (mode 0600, linked into place;
see `leaveflow_kit.keyfile`), at start-up: building the app reads no file.
Links use a key derived from the master, so a stored ciphertext can never pass as a link.
"""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken

from leaveflow_kit.keyfile import load_or_create

from ..service_layer.ports import LinkExpired, LinkInvalid, Undecryptable


def load_or_create_key(path: Path) -> bytes:
    """The master key kept at `path`, generated there on first start (kit key file)."""
    return load_or_create(path, Fernet.generate_key).strip()


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


class DeferredBox:
    """A `SecretBox` whose key may arrive at start-up: the lifespan reads (or creates) the
    key file, so building the app does no I/O. Used before that, it fails loudly."""

    def __init__(self, key: bytes | None = None) -> None:
        self._box = FernetBox(key) if key is not None else None

    @property
    def ready(self) -> bool:
        return self._box is not None

    def open(self, key: bytes) -> None:
        self._box = FernetBox(key)

    def _opened(self) -> FernetBox:
        if self._box is None:
            raise RuntimeError("the secret key is loaded at start-up (the app's lifespan)")
        return self._box

    def encrypt(self, plain: str | None) -> str | None:
        return self._opened().encrypt(plain)

    def decrypt(self, token: str | None) -> str | None:
        return self._opened().decrypt(token)

    def sign_link(self, claims: dict[str, Any], at: int) -> str:
        return self._opened().sign_link(claims, at)

    def open_link(self, token: str, *, ttl_seconds: int, now: int) -> dict[str, Any]:
        return self._opened().open_link(token, ttl_seconds=ttl_seconds, now=now)
