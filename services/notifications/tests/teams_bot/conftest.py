"""The notifications app in-process as the HTTP tests build it (their fixtures)."""

from __future__ import annotations

from ..http.conftest import issuer, make_app

__all__ = ["issuer", "make_app"]
