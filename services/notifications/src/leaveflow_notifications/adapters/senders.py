"""The three ways out: Slack (Web API or incoming webhook), a Teams Workflows webhook, SMTP.

Every sender (a `service_layer.ports.Sender`) answers a `SendResult` that says whether
trying again can help: 429 and 5xx (and network trouble) are temporary, other 4xx and
refused recipients are not.
"""

from __future__ import annotations

from email.message import EmailMessage
from typing import Any

import aiosmtplib
import httpx

from ..service_layer.ports import SENT, SendResult


def _retry_after(response: httpx.Response) -> float | None:
    try:
        return max(0.0, float(response.headers.get("retry-after", "")))
    except ValueError:
        return None


def http_result(response: httpx.Response) -> SendResult:
    if response.status_code < 300:
        return SENT
    retryable = response.status_code == 429 or response.status_code >= 500
    return SendResult(
        ok=False,
        error=f"HTTP {response.status_code}: {response.text[:200]}",
        retryable=retryable,
        retry_after=_retry_after(response) if response.status_code == 429 else None,
    )


def network_failure(exc: Exception) -> SendResult:
    return SendResult(ok=False, error=f"{type(exc).__name__}: {exc}"[:300], retryable=True)


class HttpPoster:
    """One pooled client for every HTTP peer (Slack, Teams, response_url); a
    `service_layer.ports.Poster`."""

    def __init__(self, timeout: float = 10.0) -> None:
        self.client = httpx.AsyncClient(timeout=timeout)

    async def close(self) -> None:
        await self.client.aclose()

    async def post_json(
        self, url: str, payload: dict[str, Any], headers: dict[str, str] | None = None
    ) -> SendResult:
        try:
            response = await self.client.post(url, json=payload, headers=headers)
        except httpx.HTTPError as exc:
            return network_failure(exc)
        return http_result(response)


class SlackSender:
    def __init__(self, poster: HttpPoster, api_url: str) -> None:
        self._poster = poster
        self._api_url = api_url if api_url.endswith("/") else api_url + "/"

    async def send(
        self, integration: dict[str, Any], to: dict[str, Any], message: dict[str, Any]
    ) -> SendResult:
        # A person gets a direct message; a channel-wide note (the digest) the default channel.
        token = integration.get("bot_token")
        target = to.get("slack_user_id") or integration.get("channel")
        if token and target:
            return await self._post_message(token, {**message, "channel": target})
        url = integration.get("webhook_url")
        if not url:
            return SendResult(ok=False, error="slack: no bot token for this user and no webhook")
        return await self._poster.post_json(url, message)

    async def _post_message(self, token: str, body: dict[str, Any]) -> SendResult:
        try:
            response = await self._poster.client.post(
                self._api_url + "chat.postMessage",
                json=body,
                headers={"authorization": f"Bearer {token}"},
            )
        except httpx.HTTPError as exc:
            return network_failure(exc)
        result = http_result(response)
        if not result.ok:
            return result
        # The Web API answers 200 with {"ok": false, "error": ...} for its own refusals.
        try:
            answer = response.json()
        except ValueError:
            return SendResult(ok=False, error="slack: answer is not JSON", retryable=True)
        if isinstance(answer, dict) and answer.get("ok") is False:
            error = str(answer.get("error", "unknown"))
            return SendResult(
                ok=False, error=f"slack: {error}", retryable=error in ("ratelimited", "fatal_error")
            )
        return SENT


class TeamsSender:
    def __init__(self, poster: HttpPoster) -> None:
        self._poster = poster

    async def send(
        self, integration: dict[str, Any], to: dict[str, Any], message: dict[str, Any]
    ) -> SendResult:
        url = integration.get("webhook_url")
        if not url:
            return SendResult(ok=False, error="teams: no webhook configured")
        return await self._poster.post_json(url, message)


class EmailSender:
    def __init__(self, timeout: float = 10.0) -> None:
        self._timeout = timeout

    async def send(
        self, integration: dict[str, Any], to: dict[str, Any], message: dict[str, Any]
    ) -> SendResult:
        if not to.get("email"):
            return SendResult(ok=False, error="email: recipient has no address")
        mail = EmailMessage()
        mail["From"] = integration["from"]
        mail["To"] = to["email"]
        mail["Subject"] = message["subject"]
        mail.set_content(message["text"])
        mail.add_alternative(message["html"], subtype="html")
        try:
            await aiosmtplib.send(
                mail,
                hostname=integration["smtp_host"],
                port=int(integration["smtp_port"]),
                username=integration.get("username"),
                password=integration.get("password"),
                start_tls=bool(integration.get("starttls")),
                timeout=self._timeout,
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            reasons = "; ".join(f"{r.code} {r.message}" for r in exc.recipients)
            return SendResult(
                ok=False,
                error=f"refused: {reasons}"[:300],
                retryable=all(r.code < 500 for r in exc.recipients),
            )
        except aiosmtplib.SMTPResponseException as exc:
            # 4xx is the server's "try later"; 5xx is final.
            return SendResult(
                ok=False, error=f"SMTP {exc.code}: {exc.message}"[:300], retryable=exc.code < 500
            )
        except (aiosmtplib.SMTPException, OSError) as exc:
            return network_failure(exc)
        return SENT
