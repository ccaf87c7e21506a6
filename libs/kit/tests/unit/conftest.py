"""Signing keys for the kit's unit tests, made once per test process.

Each RSA key takes 50 to 150 ms of CPU to generate, and most tests only need *a* key to
issue and verify with; a TokenIssuer is immutable once made (it only signs), so tests can
share one. Tests about how a key is created or stored make their own.
"""

from __future__ import annotations

import pytest

from leaveflow_kit.auth import TokenIssuer


@pytest.fixture(scope="session")
def issuer(tmp_path_factory: pytest.TempPathFactory) -> TokenIssuer:
    return TokenIssuer(tmp_path_factory.mktemp("keys") / "ours.pem")


@pytest.fixture(scope="session")
def other_issuer(tmp_path_factory: pytest.TempPathFactory) -> TokenIssuer:
    """Another key than ``issuer``'s: what it signs, a verifier of ``issuer``'s refuses."""
    return TokenIssuer(tmp_path_factory.mktemp("keys") / "theirs.pem")
