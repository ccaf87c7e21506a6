"""JWT issuing and JWKS verification."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from leaveflow_kit.auth import InvalidToken, Principal, TokenIssuer, TokenVerifier

ANA = Principal(tenant_id="t1", employee_id="e1", role="user")


def test_key_is_created_once_private_and_reused(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "jwt.pem"
    first = TokenIssuer(path)
    assert oct(os.stat(path).st_mode & 0o777) == "0o600"
    second = TokenIssuer(path)
    assert first.kid == second.kid
    assert first.jwks() == second.jwks()
    assert "d" not in first.jwks()["keys"][0], "the private exponent must never be published"


async def test_issued_token_verifies_to_the_principal(issuer: TokenIssuer) -> None:
    verifier = TokenVerifier(jwks=issuer.jwks())
    assert await verifier.verify(issuer.issue(ANA)) == ANA


async def test_a_session_token_names_its_session_and_others_none(issuer: TokenIssuer) -> None:
    verifier = TokenVerifier(jwks=issuer.jwks())
    assert (await verifier.verify(issuer.issue(ANA, sid="s-1"))).session_id == "s-1"
    assert (await verifier.verify(issuer.issue(ANA, sid=7))).session_id is None
    assert (await verifier.verify(issuer.issue(ANA))).session_id is None


async def test_expired_token_is_refused(issuer: TokenIssuer) -> None:
    with pytest.raises(InvalidToken, match="expired"):
        await TokenVerifier(jwks=issuer.jwks()).verify(issuer.issue(ANA, ttl_seconds=-5))


async def test_token_of_another_key_is_refused(
    issuer: TokenIssuer, other_issuer: TokenIssuer
) -> None:
    ours, theirs = issuer, other_issuer
    with pytest.raises(InvalidToken):
        await TokenVerifier(jwks=ours.jwks()).verify(theirs.issue(ANA))


async def test_tampered_token_is_refused(issuer: TokenIssuer) -> None:
    token = issuer.issue(ANA)
    header, payload, signature = token.split(".")
    tampered = f"{header}.{payload[:-2]}AA.{signature}"
    with pytest.raises(InvalidToken):
        await TokenVerifier(jwks=issuer.jwks()).verify(tampered)


@pytest.mark.parametrize("garbage", ["", "abc", "a.b.c", "eyJhbGciOiJub25lIn0.e30."])
async def test_garbage_is_refused(issuer: TokenIssuer, garbage: str) -> None:
    with pytest.raises(InvalidToken):
        await TokenVerifier(jwks=issuer.jwks()).verify(garbage)


async def test_verifier_fetches_jwks_over_http_once(
    issuer: TokenIssuer, other_issuer: TokenIssuer, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = FastAPI()
    fetches: list[int] = []

    @app.get("/.well-known/jwks.json")
    async def jwks() -> dict[str, Any]:
        fetches.append(1)
        return issuer.jwks()

    real_client = httpx.AsyncClient

    def client(**kw: object) -> httpx.AsyncClient:
        return real_client(transport=httpx.ASGITransport(app=app), **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(httpx, "AsyncClient", client)
    verifier = TokenVerifier(jwks_url="http://requests/.well-known/jwks.json")
    assert await verifier.verify(issuer.issue(ANA)) == ANA
    assert await verifier.verify(issuer.issue(ANA)) == ANA
    with pytest.raises(InvalidToken):
        await verifier.verify(other_issuer.issue(ANA))
    assert len(fetches) == 1, "unknown kids must not refetch more than every 30 s"
