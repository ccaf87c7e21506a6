"""Posting a JSON message to an HTTP webhook (Slack incoming webhook shape)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx


@dataclass(frozen=True)
class SendResult:
    ok: bool
    error: str | None = None
    retryable: bool = False
    retry_after: float | None = None


class WebhookSender:
    def __init__(self, timeout: float = 10.0) -> None:
        self._client = httpx.AsyncClient(timeout=timeout)

    async def close(self) -> None:
        await self._client.aclose()

    async def post(self, url: str, payload: dict[str, Any]) -> SendResult:
        try:
            response = await self._client.post(url, json=payload)
        except httpx.HTTPError as exc:
            return SendResult(ok=False, error=f"{type(exc).__name__}: {exc}", retryable=True)
        if response.status_code < 300:
            return SendResult(ok=True)
        # 429 and 5xx are the peer's temporary trouble; other 4xx will fail the same way again.
        retryable = response.status_code == 429 or response.status_code >= 500
        retry_after = None
        if response.status_code == 429:
            try:
                retry_after = float(response.headers.get("retry-after", ""))
            except ValueError:
                retry_after = None
        return SendResult(
            ok=False,
            error=f"HTTP {response.status_code}: {response.text[:200]}",
            retryable=retryable,
            retry_after=retry_after,
        )
