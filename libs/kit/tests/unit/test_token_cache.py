"""Verified tokens are remembered briefly by hash: the signature once, the same answers."""

from __future__ import annotations

from unittest import mock

import jwt
import pytest

from leaveflow_kit.auth import InvalidToken, Principal, TokenIssuer, TokenVerifier
from leaveflow_kit.auth.token_cache import VerifiedTokens

ANA = Principal(tenant_id="t1", employee_id="e1", role="user")
BEN = Principal(tenant_id="t1", employee_id="e2", role="admin")


class Clock:
    def __init__(self, at: float) -> None:
        self.at = at

    def __call__(self) -> float:
        return self.at


async def test_a_token_is_checked_once_then_answered_from_memory(issuer: TokenIssuer) -> None:
    verifier = TokenVerifier(jwks=issuer.jwks())
    token = issuer.issue(ANA)
    with mock.patch("leaveflow_kit.auth.tokens.jwt.decode", wraps=jwt.decode) as decode:
        assert [await verifier.verify(token) for _ in range(5)] == [ANA] * 5
        assert decode.call_count == 1
        assert await verifier.verify(issuer.issue(BEN)) == BEN
        assert decode.call_count == 2  # another token is verified on its own


async def test_refused_tokens_are_not_remembered(
    issuer: TokenIssuer, other_issuer: TokenIssuer
) -> None:
    cache = VerifiedTokens()
    verifier = TokenVerifier(jwks=other_issuer.jwks(), cache=cache)
    for _ in range(2):
        with pytest.raises(InvalidToken):
            await verifier.verify(issuer.issue(ANA))
    assert len(cache) == 0


async def test_new_signing_keys_forget_what_the_old_ones_vouched_for(
    issuer: TokenIssuer, other_issuer: TokenIssuer
) -> None:
    old, new = issuer, other_issuer
    verifier = TokenVerifier(jwks=old.jwks())
    token = old.issue(ANA)
    assert await verifier.verify(token) == ANA
    verifier.use(new.jwks())
    with pytest.raises(InvalidToken, match="unknown signing key"):
        await verifier.verify(token)


def test_an_entry_lasts_the_ttl_and_never_past_the_tokens_expiry() -> None:
    clock = Clock(1000.0)
    cache = VerifiedTokens(ttl=30, now=clock)
    cache.put("long", ANA, expires_at=5000.0)
    cache.put("short", BEN, expires_at=1010.0)
    clock.at = 1009.0
    assert (cache.get("long"), cache.get("short")) == (ANA, BEN)
    clock.at = 1010.0
    assert cache.get("short") is None  # the token expired: so did its entry
    assert cache.get("long") == ANA
    clock.at = 1030.0
    assert cache.get("long") is None
    cache.put("expired", ANA, expires_at=999.0)
    assert len(cache) == 0


def test_the_memory_is_bounded_and_keyed_by_hash() -> None:
    cache = VerifiedTokens(max_entries=3, now=Clock(0.0))
    for i in range(5):
        cache.put(f"token-{i}", ANA, expires_at=100.0)
    assert len(cache) == 3
    assert cache.get("token-0") is None
    assert cache.get("token-4") == ANA
    assert all(len(key) == 32 for key in cache._entries)  # SHA-256 digests, not tokens
