"""Asks the balances service to take back a cancelled claim's time off in lieu, over its
route for Leaveflow services (`authorization: Service <LEAVEFLOW_SERVICE_SECRET>`)."""

from __future__ import annotations

from urllib.parse import quote

import httpx

from leaveflow_kit.tls import client_tls

from ..domain import errors


class BalancesToilCredits:
    def __init__(
        self,
        base_url: str,
        service_secret: str | None,
        timeout: float = 5.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.service_secret = service_secret
        self.timeout = timeout
        self.transport = transport

    async def take_back(
        self, tenant_id: str, employee_id: str, toil_id: str, cancelled_by: str
    ) -> None:
        if not self.service_secret:
            raise errors.Unavailable("balances cannot be asked: no service secret is set")
        url = f"{self.base_url}/internal/toil-credits/{quote(toil_id, safe='')}/take-back"
        body = {"tenant_id": tenant_id, "employee_id": employee_id, "cancelled_by": cancelled_by}
        try:
            async with httpx.AsyncClient(
                timeout=self.timeout, transport=self.transport, verify=client_tls()
            ) as client:
                response = await client.post(
                    url, json=body, headers={"authorization": f"Service {self.service_secret}"}
                )
        except httpx.HTTPError as exc:
            raise errors.Unavailable(f"balances cannot be reached ({type(exc).__name__})") from None
        if response.status_code == 200:
            return
        if response.status_code == 409:
            raise errors.InvalidTransition(str(response.json().get("detail", "not now")))
        raise errors.Unavailable(f"balances answered {response.status_code}")
