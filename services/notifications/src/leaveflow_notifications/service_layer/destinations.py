"""The outbound address rule applied twice: when an admin saves a destination, and when we
connect, after DNS, to the very address that was checked (a second lookup could answer
something else: DNS rebinding)."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from leaveflow_kit.outbound import AddressPolicy, IpAddress

from .ports import ResolveFailed, Resolver


class DestinationRefused(Exception):
    """The destination is, or resolves to, an address outbound calls may not reach."""


def _literal(host: str) -> IpAddress | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


def url_host_port(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    host = parts.hostname or ""
    try:
        port = parts.port
    except ValueError:  # a port out of range
        port = None
    return host, port or (443 if parts.scheme == "https" else 80)


class Destinations:
    def __init__(self, policy: AddressPolicy, resolver: Resolver) -> None:
        self.policy = policy
        self._resolver = resolver

    async def refusal_at_save(self, host: str, port: int) -> str | None:
        """Why saving `host` is refused (None: accepted). A name that does not resolve
        now is accepted: it is checked again, after DNS, on every connect."""
        if not host:
            return "no host"
        literal = _literal(host)
        if literal is not None:
            return self.policy.refusal(literal)
        try:
            addresses = await self._resolver.addresses(host, port)
        except ResolveFailed:
            return None
        return self.policy.first_refusal(addresses)

    async def pinned(self, host: str, port: int) -> IpAddress:
        """The address to connect to: every address the name has must be allowed (a
        name with one public and one private address is refused), then the first one
        is used, without looking the name up again."""
        literal = _literal(host)
        if literal is not None:
            addresses = [literal]
        else:
            try:
                addresses = await self._resolver.addresses(host, port)
            except ResolveFailed as exc:
                raise DestinationRefused("the host name does not resolve") from exc
        if not addresses:
            raise DestinationRefused("the host name does not resolve")
        reason = self.policy.first_refusal(addresses)
        if reason:
            raise DestinationRefused(f"destination refused: {reason}")
        return addresses[0]
