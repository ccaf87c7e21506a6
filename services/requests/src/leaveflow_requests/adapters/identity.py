"""Sign-in records in the store (the identity half of `ports.Repository`/`ReadModel`).

Single use and counters need no conditional write of their own: a use case reads the
record and writes it back in one transaction, and every adapter makes two such
transactions on one document conflict (memory and SQLite run writers one at a time,
MongoDB fails the later commit and `atomic` retries it, when it reads the new state).
The storage contract suite proves that read-modify-write loses no update.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from leaveflow_kit.documents import from_doc, to_doc
from leaveflow_kit.storage import IndexSpec, Transaction

from ..domain.directory import Employee
from ..domain.identity import Invite, MagicLink, Passkey, SignInSession, SsoConfig

EMPLOYEES = "employees"
SSO_CONFIGS = "sso_configs"  # key: tenant id
SSO_DOMAINS = "sso_domains"  # key: the domain; one company per domain, by the key
SESSIONS = "sign_in_sessions"
MAGIC_LINKS = "magic_links"  # key: sha256 of the token
PASSKEYS = "passkeys"
INVITES = "invites"  # key: tenant:employee, the latest invitation

IDENTITY_INDEXES = (
    IndexSpec(EMPLOYEES, ("email",)),
    IndexSpec(SESSIONS, ("tenant_id", "employee_id")),
    IndexSpec(PASSKEYS, ("credential_id",), unique=True),
    IndexSpec(PASSKEYS, ("tenant_id", "employee_id")),
    IndexSpec(INVITES, ("tenant_id",)),
)


class _Source(Protocol):
    async def get(self, collection: str, key: str) -> dict[str, Any] | None: ...

    async def find(
        self, collection: str, where: Mapping[str, Any], *, limit: int | None = None
    ) -> list[dict[str, Any]]: ...


class IdentityReads:
    """Reads of the sign-in records, inside a transaction or not."""

    _source: _Source

    async def employees_with_email(self, email: str) -> list[Employee]:
        docs = await self._source.find(EMPLOYEES, {"email": email})
        return [from_doc(Employee, d) for d in docs]

    async def sso_config(self, tenant_id: str) -> SsoConfig | None:
        doc = await self._source.get(SSO_CONFIGS, tenant_id) if tenant_id else None
        return from_doc(SsoConfig, doc) if doc else None

    async def sso_tenant_of_domain(self, domain: str) -> str | None:
        doc = await self._source.get(SSO_DOMAINS, domain) if domain else None
        return str(doc["tenant_id"]) if doc else None

    async def sign_in_session(self, session_id: str) -> SignInSession | None:
        doc = await self._source.get(SESSIONS, session_id) if session_id else None
        return from_doc(SignInSession, doc) if doc else None

    async def sessions_of(self, tenant_id: str, employee_id: str) -> list[SignInSession]:
        where = {"tenant_id": tenant_id, "employee_id": employee_id}
        return [from_doc(SignInSession, d) for d in await self._source.find(SESSIONS, where)]

    async def magic_link(self, link_id: str) -> MagicLink | None:
        doc = await self._source.get(MAGIC_LINKS, link_id) if link_id else None
        return from_doc(MagicLink, doc) if doc else None

    async def passkey(self, passkey_id: str) -> Passkey | None:
        doc = await self._source.get(PASSKEYS, passkey_id) if passkey_id else None
        return from_doc(Passkey, doc) if doc else None

    async def passkey_by_credential(self, credential_id: str) -> Passkey | None:
        docs = await self._source.find(PASSKEYS, {"credential_id": credential_id}, limit=1)
        return from_doc(Passkey, docs[0]) if docs else None

    async def passkeys_of(self, tenant_id: str, employee_id: str) -> list[Passkey]:
        where = {"tenant_id": tenant_id, "employee_id": employee_id}
        return [from_doc(Passkey, d) for d in await self._source.find(PASSKEYS, where)]

    async def invites(self, tenant_id: str) -> list[Invite]:
        docs = await self._source.find(INVITES, {"tenant_id": tenant_id})
        return [from_doc(Invite, d) for d in docs]


class IdentityWrites:
    """Writes of the sign-in records, in the repository's transaction."""

    tx: Transaction

    async def save_sso(self, config: SsoConfig) -> None:
        await self.tx.put(SSO_CONFIGS, config.tenant_id, to_doc(config))

    async def delete_sso(self, tenant_id: str) -> None:
        await self.tx.delete(SSO_CONFIGS, tenant_id)

    async def claim_domain(self, domain: str, tenant_id: str) -> None:
        await self.tx.put(SSO_DOMAINS, domain, {"domain": domain, "tenant_id": tenant_id})

    async def release_domain(self, domain: str) -> None:
        await self.tx.delete(SSO_DOMAINS, domain)

    async def save_session(self, session: SignInSession) -> None:
        await self.tx.put(SESSIONS, session.id, to_doc(session))

    async def save_magic_link(self, link: MagicLink) -> None:
        await self.tx.put(MAGIC_LINKS, link.id, to_doc(link))

    async def add_passkey(self, passkey: Passkey) -> None:
        await self.tx.insert(PASSKEYS, passkey.id, to_doc(passkey))

    async def save_passkey(self, passkey: Passkey) -> None:
        await self.tx.put(PASSKEYS, passkey.id, to_doc(passkey))

    async def delete_passkey(self, passkey_id: str) -> None:
        await self.tx.delete(PASSKEYS, passkey_id)

    async def save_invite(self, invite: Invite) -> None:
        await self.tx.put(INVITES, invite.id, to_doc(invite))
