"""Company single sign-on: each company's own OpenID Connect provider (admin), and what
the web needs to run it (docs/adr/0009).

The client secret is sealed before it is stored and opened only for the web's service
call; the admin's API never returns it. An email domain belongs to at most one company
(its record's key is the domain), so an address's domain names one SSO button at most.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..domain import errors
from ..domain.directory import Tenant
from ..domain.identity import SsoConfig
from .acting import require_admin
from .commands import Actor
from .ports import Clock, ReadModel, Repository, SecretBox, Undecryptable, UnitOfWork


@dataclass(frozen=True)
class SsoFields:
    issuer: str
    client_id: str
    email_domains: tuple[str, ...]
    enforce: bool = False
    # None: keep the stored one (required the first time).
    client_secret: str | None = None


async def save_sso(
    uow: UnitOfWork, box: SecretBox, clock: Clock, actor: Actor, fields: SsoFields
) -> SsoConfig:
    """Set the caller's company's provider (admin). 409 (`DomainClaimed`) for a domain
    another company's SSO lists; 422 without a client secret on the first save."""
    require_admin(actor)
    sealed = box.seal(fields.client_secret) if fields.client_secret is not None else None
    domains = list(dict.fromkeys(fields.email_domains))

    async def work(repo: Repository) -> SsoConfig:
        current = await repo.sso_config(actor.tenant_id)
        secret = sealed or (current.client_secret if current else None)
        if secret is None:
            raise errors.InvalidRequest("the first save needs the client_secret", "client_secret")
        for domain in domains:
            owner = await repo.sso_tenant_of_domain(domain)
            if owner is not None and owner != actor.tenant_id:
                raise errors.DomainClaimed(f"{domain} is another company's sign-on domain")
        for domain in set(current.email_domains if current else ()) - set(domains):
            await repo.release_domain(domain)
        for domain in domains:
            await repo.claim_domain(domain, actor.tenant_id)
        config = SsoConfig(
            tenant_id=actor.tenant_id,
            issuer=fields.issuer,
            client_id=fields.client_id,
            client_secret=secret,
            email_domains=domains,
            enforce=fields.enforce,
            updated_at=clock.now(),
        )
        await repo.save_sso(config)
        return config

    return await uow.run(work)


async def get_sso(reads: ReadModel, actor: Actor) -> SsoConfig:
    require_admin(actor)
    config = await reads.sso_config(actor.tenant_id)
    if config is None:
        raise errors.NotFound("this company has no single sign-on")
    return config


async def delete_sso(uow: UnitOfWork, actor: Actor) -> None:
    """Remove the company's provider and free its domains (admin; nothing to remove is
    fine too)."""
    require_admin(actor)

    async def work(repo: Repository) -> None:
        current = await repo.sso_config(actor.tenant_id)
        if current is None:
            return
        for domain in current.email_domains:
            if await repo.sso_tenant_of_domain(domain) == actor.tenant_id:
                await repo.release_domain(domain)
        await repo.delete_sso(actor.tenant_id)

    await uow.run(work)


@dataclass(frozen=True)
class ProviderForWeb:
    tenant: Tenant
    config: SsoConfig
    client_secret: str  # opened


async def provider_for_web(reads: ReadModel, box: SecretBox, tenant_id: str) -> ProviderForWeb:
    """The company's provider with its secret opened, for the web's OIDC client (404 when
    none, or when the secret was sealed under a key this service no longer has)."""
    config = await reads.sso_config(tenant_id)
    tenant = await reads.tenant(tenant_id)
    if config is None or tenant is None:
        raise errors.NotFound("this company has no single sign-on")
    try:
        secret = box.open(config.client_secret)
    except Undecryptable:
        raise errors.NotFound(
            "the company's client secret cannot be read (REQUESTS_SECRET_KEY changed): "
            "an admin sets it again"
        ) from None
    return ProviderForWeb(tenant=tenant, config=config, client_secret=secret)
