"""Which network addresses an outbound call to a tenant-chosen destination (a webhook, an
SMTP server, a Slack `response_url`, a company's single sign-on issuer) may reach: public
ones, plus the operator's allow-list (LEAVEFLOW_OUTBOUND_ALLOW).

A tenant admin chooses these destinations, and signup is open, so without this rule
anyone could make a service call its neighbours (the other services, NATS, a cloud
metadata endpoint) and read the answers back. Notifications and the web use this one rule.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# Carrier-grade NAT is neither "private" nor "global" to `ipaddress`: named explicitly.
_SHARED = ipaddress.ip_network("100.64.0.0/10")


class BadAllowList(ValueError):
    """LEAVEFLOW_OUTBOUND_ALLOW holds something that is not a CIDR."""


def parse_allow_list(text: str | None) -> tuple[IpNetwork, ...]:
    """`"127.0.0.0/8, ::1/128"` -> networks; empty or unset -> nothing allowed."""
    networks = []
    for part in (text or "").split(","):
        item = part.strip()
        if not item:
            continue
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError as exc:
            raise BadAllowList(f"LEAVEFLOW_OUTBOUND_ALLOW: {item!r} is not a CIDR") from exc
    return tuple(networks)


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 form carries (mapped ::ffff:a.b.c.d, 6to4, Teredo), which
    is the one the packets really reach."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    return None


def why_not_public(ip: IpAddress) -> str | None:
    """A short name for the kind of non-public address `ip` is; None when it is public."""
    if isinstance(ip, ipaddress.IPv6Address):
        inner = _embedded_ipv4(ip)
        if inner is not None:
            return why_not_public(inner)
    if ip.is_unspecified:
        return "unspecified"
    if ip.is_loopback:
        return "loopback"
    if ip.is_link_local:
        return "link-local"
    if ip.is_multicast:
        return "multicast"
    if ip in _SHARED:
        return "shared (CGNAT)"
    if ip.is_private:
        return "private"
    if ip.is_reserved or not ip.is_global:
        return "reserved"
    return None


@dataclass(frozen=True)
class AddressPolicy:
    """Public addresses only, unless the operator allowed a network (tests and local
    setups: sinks on loopback)."""

    allow: tuple[IpNetwork, ...] = ()

    @classmethod
    def from_setting(cls, text: str | None) -> AddressPolicy:
        return cls(parse_allow_list(text))

    def allowed(self, ip: IpAddress) -> bool:
        return any(ip.version == net.version and ip in net for net in self.allow)

    def refusal(self, ip: IpAddress) -> str | None:
        """Why `ip` may not be called (None: it may)."""
        if isinstance(ip, ipaddress.IPv6Address):
            ip = _embedded_ipv4(ip) or ip
        if self.allowed(ip):
            return None
        kind = why_not_public(ip)
        return f"{kind} address" if kind else None

    def first_refusal(self, ips: Iterable[IpAddress]) -> str | None:
        for ip in ips:
            reason = self.refusal(ip)
            if reason:
                return reason
        return None
