"""DNS through the event loop's resolver (a `service_layer.ports.Resolver`)."""

from __future__ import annotations

import asyncio
import ipaddress
import socket

from leaveflow_kit.outbound import IpAddress

from ..service_layer.ports import ResolveFailed


class SystemResolver:
    def __init__(self, timeout: float = 3.0) -> None:
        self._timeout = timeout

    async def addresses(self, host: str, port: int) -> list[IpAddress]:
        loop = asyncio.get_running_loop()
        try:
            infos = await asyncio.wait_for(
                loop.getaddrinfo(host, port, type=socket.SOCK_STREAM), self._timeout
            )
        except (OSError, TimeoutError, UnicodeError) as exc:
            raise ResolveFailed(host) from exc
        found: list[IpAddress] = []
        for _family, _type, _proto, _name, sockaddr in infos:
            # Strip an IPv6 zone ("fe80::1%eth0"): the address itself is what is checked.
            ip = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
            if ip not in found:
                found.append(ip)
        return found
