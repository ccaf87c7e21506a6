"""Identity records and their rules: company single sign-on, sign-in sessions, magic
links, passkeys and invites (docs/adr/0009).

Pure: no store, no clock of its own. Times are given by the caller (the clock port);
tokens are kept only as sha256 digests, so a copy of the store signs nobody in.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal
from urllib.parse import urlsplit

from . import errors

MAGIC_LINK_TTL = timedelta(minutes=15)
ACCESS_TOKEN_TTL_SECONDS = 300

Via = Literal["sso", "google", "microsoft", "slack", "magic_link", "passkey", "dev", "signup"]
Purpose = Literal["sign_in", "signup"]

# RFC 1035 labels (letters, digits, inner hyphens), at least two of them; no trailing dot.
_LABEL = r"(?!-)[a-z0-9-]{1,63}(?<!-)"
_DOMAIN = re.compile(rf"^{_LABEL}(\.{_LABEL})+$")
_LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


def digest(secret: str) -> str:
    """How a token is kept: its sha256, hex."""
    return hashlib.sha256(secret.encode()).hexdigest()


def same_digest(secret: str, expected_hex: str) -> bool:
    return hmac.compare_digest(digest(secret).encode(), expected_hex.encode())


def normalise_domain(value: str) -> str:
    """An email domain as a company's SSO lists it: lower-cased, shape-checked."""
    domain = value.strip().lower()
    if len(domain) > 253 or not _DOMAIN.match(domain):
        raise ValueError(f"{value!r} is not a domain name")
    return domain


def email_domain(email: str) -> str:
    return email.rpartition("@")[2].lower()


def check_issuer(url: str) -> str:
    """An OpenID Connect issuer: https, or plain http only on this machine (test issuers)."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if not host or parts.query or parts.fragment or parts.username or parts.password:
        raise ValueError("the issuer is an https URL without query, fragment or credentials")
    if parts.scheme == "https" or (parts.scheme == "http" and host in _LOOPBACK_HOSTS):
        return url
    raise ValueError("the issuer must use https (http only for 127.0.0.1 or localhost)")


def may_sign_in(*, via: str, role: str, enforce_sso: bool) -> bool:
    """The company's rule for one way in. Enforced SSO leaves only the company's own
    provider, except a magic link for admins (the recovery path if the provider breaks)
    and the embedded stack's dev login (which the deployment switches off as a whole)."""
    if not enforce_sso or via in ("sso", "dev"):
        return True
    return via == "magic_link" and role == "admin"


@dataclass
class SsoConfig:
    """A company's own OpenID Connect provider. `client_secret` is the sealed form."""

    tenant_id: str
    issuer: str
    client_id: str
    client_secret: str
    email_domains: list[str] = field(default_factory=list)
    enforce: bool = False
    updated_at: datetime | None = None


@dataclass
class SignInSession:
    """One signed-in browser: the web keeps `id` and the refresh token in its cookie and
    trades them for a 5-minute access token, so revoking the session ends the browser's
    access within minutes everywhere and at once here."""

    id: str
    tenant_id: str
    employee_id: str
    via: str
    label: str
    refresh_hash: str
    created_at: datetime
    last_used_at: datetime
    revoked_at: datetime | None = None

    @property
    def live(self) -> bool:
        return self.revoked_at is None

    def refresh(self, refresh_token: str, now: datetime) -> None:
        """Check the refresh token (401 if revoked or wrong) and note the use."""
        if not self.live or not same_digest(refresh_token, self.refresh_hash):
            raise errors.Unauthenticated("this session has ended")
        self.last_used_at = now

    def revoke(self, now: datetime) -> None:
        if self.revoked_at is None:
            self.revoked_at = now


@dataclass
class MagicLink:
    """A single-use sign-in (or signup confirmation) link, bound to the browser that asked
    by the digest of a nonce kept in that browser's cookie. `id` is the token's digest."""

    id: str
    email: str
    nonce_hash: str
    purpose: str
    created_at: datetime
    expires_at: datetime
    signup: dict[str, Any] | None = None
    used_at: datetime | None = None

    @classmethod
    def issue(
        cls,
        token: str,
        *,
        email: str,
        nonce_hash: str,
        purpose: str,
        now: datetime,
        signup: dict[str, Any] | None = None,
    ) -> MagicLink:
        return cls(
            id=digest(token),
            email=email,
            nonce_hash=nonce_hash.lower(),
            purpose=purpose,
            created_at=now,
            expires_at=now + MAGIC_LINK_TTL,
            signup=signup,
        )

    def redeem(self, nonce: str, now: datetime) -> None:
        """Use the link up (410 if used or expired). Another browser's nonce (401) leaves
        it unused: the browser that asked can still open it."""
        if self.used_at is not None:
            raise errors.LinkGone("this link has been used already")
        if now >= self.expires_at:
            raise errors.LinkGone("this link has expired")
        if not same_digest(nonce, self.nonce_hash):
            raise errors.Unauthenticated("this link was asked for in another browser")
        self.used_at = now


@dataclass
class Passkey:
    """A WebAuthn credential of one person. The web verifies assertions; this record
    keeps the public key and the signature counter (a counter that goes back means a
    cloned authenticator)."""

    id: str
    tenant_id: str
    employee_id: str
    credential_id: str
    public_key: str
    sign_count: int
    name: str
    created_at: datetime
    transports: list[str] = field(default_factory=list)
    last_used_at: datetime | None = None

    def used(self, *, expected_sign_count: int, sign_count: int, now: datetime) -> None:
        """Compare and set: the counter moves only from the value the caller verified."""
        if self.sign_count != expected_sign_count:
            raise errors.CounterMismatch("the passkey was used meanwhile: verify it again")
        self.sign_count = sign_count
        self.last_used_at = now


@dataclass
class Invite:
    """The latest invitation of one employee (one record per employee)."""

    tenant_id: str
    employee_id: str
    invited_at: datetime
    invited_by: str

    @property
    def id(self) -> str:
        return f"{self.tenant_id}:{self.employee_id}"
