"""Asks the requests service (its public API, with the caller's own token) whether a
department, location or employee exists, for a scope the projection has not heard of yet:
a feed created right after its department must not fail because events are asynchronous.
"""

from __future__ import annotations

from urllib.parse import quote

import httpx

from leaveflow_kit.tls import client_tls

from ..domain.errors import DirectoryUnavailable
from ..domain.feed import Scope

PATHS = {Scope.DEPARTMENT: "departments", Scope.LOCATION: "locations", Scope.EMPLOYEE: "employees"}


class RequestsDirectory:
    def __init__(
        self,
        base_url: str,
        authorization: str,
        timeout: float = 5.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.authorization = authorization
        self.timeout = timeout
        self.transport = transport

    async def exists(self, scope: Scope, scope_id: str) -> bool:
        url = f"{self.base_url}/v1/{PATHS[scope]}/{quote(scope_id, safe='')}"
        try:
            async with httpx.AsyncClient(
                timeout=self.timeout, transport=self.transport, verify=client_tls()
            ) as client:
                response = await client.get(url, headers={"authorization": self.authorization})
        except httpx.HTTPError as exc:
            raise DirectoryUnavailable(type(exc).__name__) from None
        if response.status_code == 200:
            return True
        if response.status_code in (404, 422) or 300 <= response.status_code < 400:
            # A redirect means the id did not name one resource (requests trims slashes).
            return False
        raise DirectoryUnavailable(f"requests answered {response.status_code}")
