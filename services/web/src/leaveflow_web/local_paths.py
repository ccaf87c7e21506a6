"""Where the web may send someone after signing in: a path of its own, never another site."""

from __future__ import annotations

from urllib.parse import urlsplit

MAX_LENGTH = 4096


def local_path(value: object) -> str | None:
    """``value`` when it is a path on this site (``/decide/abc?x=1``), else None.

    Refused: absolute URLs, scheme-relative ``//host``, backslashes (browsers read ``/\\host``
    as ``//host``), control characters, and anything unreasonably long.
    """
    if not isinstance(value, str) or not value or len(value) > MAX_LENGTH:
        return None
    if not value.startswith("/") or value.startswith("//") or "\\" in value:
        return None
    if any(ord(char) < 0x20 or ord(char) == 0x7F for char in value):
        return None
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return None
    return value
