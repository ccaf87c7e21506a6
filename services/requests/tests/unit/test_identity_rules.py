"""Identity rules (issue 14), pure: who may come in by which way, magic links' single use
and lifetime, sessions' refresh, passkey counters, and the shapes of domains and issuers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from leaveflow_requests.domain import errors
from leaveflow_requests.domain.identity import (
    MAGIC_LINK_TTL,
    MagicLink,
    Passkey,
    SignInSession,
    check_issuer,
    digest,
    email_domain,
    may_sign_in,
    normalise_domain,
)

NOW = datetime.now(UTC)
VIAS = ("sso", "google", "microsoft", "slack", "magic_link", "passkey", "dev")


@pytest.mark.parametrize(
    ("via", "role", "enforce", "allowed"),
    [
        *[(via, role, False, True) for via in VIAS for role in ("user", "approver", "admin")],
        ("sso", "user", True, True),
        ("sso", "admin", True, True),
        ("dev", "user", True, True),
        ("magic_link", "admin", True, True),
        ("magic_link", "approver", True, False),
        ("magic_link", "user", True, False),
        *[(via, "admin", True, False) for via in ("google", "microsoft", "slack", "passkey")],
        *[(via, "user", True, False) for via in ("google", "microsoft", "slack", "passkey")],
    ],
)
def test_who_may_sign_in_by_which_way(via: str, role: str, enforce: bool, allowed: bool) -> None:
    assert may_sign_in(via=via, role=role, enforce_sso=enforce) is allowed


def _link(nonce: str = "browser-nonce") -> tuple[str, MagicLink]:
    token = "a-long-random-token"
    link = MagicLink.issue(
        token, email="ana@acme.test", nonce_hash=digest(nonce), purpose="sign_in", now=NOW
    )
    return token, link


def test_a_link_is_kept_by_its_digest_and_lives_fifteen_minutes() -> None:
    token, link = _link()
    assert link.id == digest(token) != token
    assert link.expires_at - link.created_at == MAGIC_LINK_TTL == timedelta(minutes=15)


@pytest.mark.parametrize(
    ("after", "nonce", "refusal"),
    [
        (timedelta(0), "browser-nonce", None),
        (timedelta(minutes=14, seconds=59), "browser-nonce", None),
        (timedelta(minutes=15), "browser-nonce", errors.LinkGone),
        (timedelta(hours=3), "browser-nonce", errors.LinkGone),
        (timedelta(0), "another-browser", errors.Unauthenticated),
        (timedelta(minutes=20), "another-browser", errors.LinkGone),
    ],
)
def test_redeeming_a_link(after: timedelta, nonce: str, refusal: type[Exception] | None) -> None:
    _, link = _link()
    if refusal is None:
        link.redeem(nonce, NOW + after)
        assert link.used_at == NOW + after
    else:
        with pytest.raises(refusal):
            link.redeem(nonce, NOW + after)
        assert link.used_at is None


def test_a_link_is_used_once_and_another_browser_does_not_use_it_up() -> None:
    _, link = _link()
    with pytest.raises(errors.Unauthenticated):
        link.redeem("another-browser", NOW)
    link.redeem("browser-nonce", NOW)
    with pytest.raises(errors.LinkGone):
        link.redeem("browser-nonce", NOW)


def test_a_nonce_hash_in_capitals_still_matches() -> None:
    link = MagicLink.issue(
        "t", email="a@b.test", nonce_hash=digest("n").upper(), purpose="sign_in", now=NOW
    )
    link.redeem("n", NOW)


def _session() -> SignInSession:
    return SignInSession(
        id="s1",
        tenant_id="t",
        employee_id="e",
        via="passkey",
        label="",
        refresh_hash=digest("refresh-me"),
        created_at=NOW,
        last_used_at=NOW,
    )


def test_a_session_refreshes_with_its_token_until_revoked() -> None:
    session = _session()
    later = NOW + timedelta(minutes=5)
    session.refresh("refresh-me", later)
    assert session.last_used_at == later
    with pytest.raises(errors.Unauthenticated):
        session.refresh("refresh-you", later)
    session.revoke(later)
    session.revoke(later + timedelta(minutes=1))  # the first revocation's time stays
    assert session.revoked_at == later
    with pytest.raises(errors.Unauthenticated):
        session.refresh("refresh-me", later)


@pytest.mark.parametrize(
    ("stored", "expected", "new", "moves"),
    [(0, 0, 1, True), (7, 7, 8, True), (7, 6, 7, False), (7, 8, 9, False), (0, 0, 0, True)],
)
def test_a_passkey_counter_moves_only_from_the_value_verified(
    stored: int, expected: int, new: int, moves: bool
) -> None:
    passkey = Passkey(
        id="p",
        tenant_id="t",
        employee_id="e",
        credential_id="c",
        public_key="k",
        sign_count=stored,
        name="Laptop",
        created_at=NOW,
    )
    if moves:
        passkey.used(expected_sign_count=expected, sign_count=new, now=NOW)
        assert (passkey.sign_count, passkey.last_used_at) == (new, NOW)
    else:
        with pytest.raises(errors.CounterMismatch):
            passkey.used(expected_sign_count=expected, sign_count=new, now=NOW)
        assert (passkey.sign_count, passkey.last_used_at) == (stored, None)


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("Acme.COM", "acme.com"),
        (" corp.acme.example ", "corp.acme.example"),
        ("xn--bcher-kva.example", "xn--bcher-kva.example"),
        ("a-b.c-d.test", "a-b.c-d.test"),
        ("localhost", None),
        ("-acme.com", None),
        ("acme-.com", None),
        ("acme..com", None),
        ("acme.com.", None),
        ("ac me.com", None),
        ("@acme.com", None),
        ("a" * 64 + ".com", None),
        ("", None),
    ],
)
def test_email_domains(given: str, kept: str | None) -> None:
    if kept is None:
        with pytest.raises(ValueError, match="not a domain"):
            normalise_domain(given)
    else:
        assert normalise_domain(given) == kept


def test_the_domain_of_an_email() -> None:
    assert email_domain("Ana@Acme.Test") == "acme.test"


@pytest.mark.parametrize(
    ("issuer", "ok"),
    [
        ("https://accounts.google.com", True),
        ("https://login.microsoftonline.com/tid/v2.0", True),
        ("http://127.0.0.1:9400/acme", True),
        ("http://localhost:9400", True),
        ("http://login.acme.example", False),
        ("http://10.0.0.1", False),
        ("ftp://acme.example", False),
        ("https://", False),
        ("https://u:p@acme.example", False),
        ("https://acme.example/?x=1", False),
        ("https://acme.example/#f", False),
        ("acme.example", False),
    ],
)
def test_issuers(issuer: str, ok: bool) -> None:
    if ok:
        assert check_issuer(issuer) == issuer
    else:
        with pytest.raises(ValueError, match="issuer"):
            check_issuer(issuer)
