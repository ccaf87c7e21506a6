"""The other services' public APIs, called as one employee (chat commands, links, digest).

A short-lived token for that employee comes from the requests service, which we prove
we are with the shared service secret; so every call passes exactly the API's own
permission checks, as if the person had clicked in the dashboard.
"""

from __future__ import annotations

from typing import Any

import httpx

from leaveflow_kit.tls import client_tls

from ..service_layer.ports import ApiAnswer, ApiUnavailable


class LeaveflowHttpApi:
    """Implements `service_layer.ports.LeaveflowApi` over HTTP."""

    def __init__(
        self, urls: dict[str, str], service_secret: str | None, timeout: float = 5.0
    ) -> None:
        self._urls = {k: v.rstrip("/") for k, v in urls.items()}
        self._secret = service_secret
        self._client = httpx.AsyncClient(timeout=timeout, verify=client_tls())

    async def close(self) -> None:
        await self._client.aclose()

    async def _token(self, tenant_id: str, employee_id: str, via: str) -> str | None:
        if not self._secret:
            raise ApiUnavailable("no service secret configured (LEAVEFLOW_SERVICE_SECRET)")
        answer = await self._send(
            "POST",
            f"{self._urls['requests']}/v1/auth/service-token",
            headers={"authorization": f"Service {self._secret}"},
            json={"tenant_id": tenant_id, "employee_id": employee_id, "via": via},
        )
        if answer.status == 404:
            return None
        if not answer.ok:
            raise ApiUnavailable(f"service token refused: HTTP {answer.status}")
        return str(answer.body["token"])

    async def _send(self, method: str, url: str, **kwargs: Any) -> ApiAnswer:
        try:
            response = await self._client.request(method, url, **kwargs)
        except httpx.HTTPError as exc:
            raise ApiUnavailable(f"{type(exc).__name__}") from exc
        if response.status_code >= 500:
            raise ApiUnavailable(f"HTTP {response.status_code}")
        try:
            body = response.json()
        except ValueError:
            body = response.text
        return ApiAnswer(response.status_code, body)

    async def as_employee(
        self,
        tenant_id: str,
        employee_id: str,
        method: str,
        service: str,
        path: str,
        *,
        via: str = "chat",
        json: dict[str, Any] | None = None,
        params: dict[str, str] | None = None,
    ) -> ApiAnswer:
        token = await self._token(tenant_id, employee_id, via)
        if token is None:
            return ApiAnswer(403, {"detail": "you are not an active employee of this company"})
        return await self._send(
            method,
            f"{self._urls[service]}{path}",
            headers={"authorization": f"Bearer {token}"},
            json=json,
            params=params,
        )
