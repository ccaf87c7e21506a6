"""Secrets at rest (a company's SSO client secret), sealed with Fernet (AES-CBC + HMAC)
from `cryptography`, as the notifications service seals its integrations' secrets.

The key comes from `REQUESTS_SECRET_KEY` (to share it between replicas on separate disks)
or is generated once into the data dir (mode 0600, linked into place; `leaveflow_kit.keyfile`)
at start-up: building the app reads no file.
"""

from __future__ import annotations

from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

from leaveflow_kit.keyfile import load_or_create

from ..service_layer.ports import Undecryptable


def load_or_create_key(path: Path) -> bytes:
    """The key kept at `path`, generated there on first start."""
    return load_or_create(path, Fernet.generate_key).strip()


class FernetBox:
    """`service_layer.ports.SecretBox` with Fernet."""

    def __init__(self, key: bytes) -> None:
        self._fernet = Fernet(key)

    def seal(self, plain: str) -> str:
        return self._fernet.encrypt(plain.encode()).decode()

    def open(self, sealed: str) -> str:
        try:
            return self._fernet.decrypt(sealed.encode()).decode()
        except InvalidToken as exc:
            raise Undecryptable("sealed under another key, or not a ciphertext") from exc


class DeferredBox:
    """A `SecretBox` whose key may arrive at start-up (the lifespan reads or makes the key
    file). Used before that, it fails loudly."""

    def __init__(self, key: bytes | None = None) -> None:
        self._box = FernetBox(key) if key is not None else None

    @property
    def ready(self) -> bool:
        return self._box is not None

    def use(self, key: bytes) -> None:
        self._box = FernetBox(key)

    def _opened(self) -> FernetBox:
        if self._box is None:
            raise RuntimeError("the secret key is loaded at start-up (the app's lifespan)")
        return self._box

    def seal(self, plain: str) -> str:
        return self._opened().seal(plain)

    def open(self, sealed: str) -> str:
        return self._opened().open(sealed)
