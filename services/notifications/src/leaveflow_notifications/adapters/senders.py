"""The three ways out: Slack (Web API or incoming webhook), a Teams Workflows webhook, SMTP.

Every sender (a `service_layer.ports.Sender`) answers a `SendResult` that says whether
trying again can help: 429 and 5xx (and network trouble) are temporary, other 4xx and
refused recipients are not.

Tenant-chosen destinations (webhooks, `response_url`, SMTP) go through
`service_layer.destinations.Destinations`: resolved once, every address checked, and the
connection made to the checked address. An error records the status and a short reason of
our own, never what the peer answered (which could be another service's data, or a
banner, if a destination pointed inside).
"""

from __future__ import annotations

from email.message import EmailMessage
from http import HTTPStatus
from typing import Any

import aiosmtplib
import httpx

from leaveflow_kit.tls import client_tls

from ..service_layer.destinations import DestinationRefused, Destinations
from ..service_layer.ports import SENT, UPDATES, SendResult

# Short, so a hanging destination costs seconds, not the 10 s the whole send may take.
CONNECT_TIMEOUT, READ_TIMEOUT = 3.0, 5.0


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
        error=status_text(response.status_code),
        retryable=retryable,
        retry_after=_retry_after(response) if response.status_code == 429 else None,
    )


def status_text(code: int) -> str:
    """ "HTTP 404 Not Found": the status and its standard phrase, nothing the peer wrote."""
    try:
        return f"HTTP {code} {HTTPStatus(code).phrase}"
    except ValueError:
        return f"HTTP {code}"


# RFC 5321's meaning of each reply code: what the log says instead of the server's text.
SMTP_MEANINGS = {
    421: "service not available",
    450: "mailbox unavailable (try later)",
    451: "local error in processing",
    452: "insufficient storage",
    500: "syntax error",
    501: "syntax error in parameters",
    502: "command not implemented",
    503: "bad sequence of commands",
    530: "authentication required",
    535: "authentication failed",
    550: "mailbox unavailable",
    551: "user not local",
    552: "exceeded storage allocation",
    553: "mailbox name not allowed",
    554: "transaction failed",
}


def smtp_text(code: int) -> str:
    meaning = SMTP_MEANINGS.get(code)
    return f"SMTP {code} {meaning}" if meaning else f"SMTP {code}"


def network_failure(exc: Exception) -> SendResult:
    """The kind of failure only: an exception's text can quote what the peer sent."""
    if isinstance(exc, DestinationRefused):
        return SendResult(ok=False, error=str(exc), retryable=False)
    if isinstance(exc, httpx.TimeoutException | TimeoutError | aiosmtplib.SMTPTimeoutError):
        return SendResult(ok=False, error="timed out", retryable=True)
    if isinstance(exc, OSError) and exc.strerror:
        return SendResult(ok=False, error=f"network: {exc.strerror}"[:200], retryable=True)
    return SendResult(ok=False, error=f"network: {type(exc).__name__}", retryable=True)


class PinnedTransport(httpx.AsyncBaseTransport):
    """Resolves the request's host once, refuses it unless every address is allowed, then
    sends the request to that address: the URL's host becomes the checked IP, the `Host`
    header keeps the name, and TLS verifies and sends (SNI) the name through httpcore's
    `sni_hostname` request extension."""

    def __init__(self, destinations: Destinations, inner: httpx.AsyncBaseTransport) -> None:
        self._destinations = destinations
        self._inner = inner

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        host = request.url.host
        port = request.url.port or (443 if request.url.scheme == "https" else 80)
        ip = await self._destinations.pinned(host, port)
        if str(ip) != host:
            if request.url.scheme == "https":
                request.extensions = {**request.extensions, "sni_hostname": host}
            request.url = request.url.copy_with(host=str(ip))
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self._inner.aclose()


def timeouts() -> httpx.Timeout:
    return httpx.Timeout(READ_TIMEOUT, connect=CONNECT_TIMEOUT)


class HttpPoster:
    """Two pooled clients: `client` for the operator's own endpoints (the Slack Web API at
    SLACK_API_URL), `guarded` for every URL a tenant or a peer chose (webhooks,
    `response_url`), which only reaches allowed addresses. A `service_layer.ports.Poster`.
    Neither follows redirects (a public URL must not bounce us inside) nor reads proxies
    from the environment."""

    def __init__(self, destinations: Destinations, timeout: httpx.Timeout | None = None) -> None:
        timeout = timeout or timeouts()
        self.client = httpx.AsyncClient(timeout=timeout, trust_env=False, verify=client_tls())
        self.guarded = httpx.AsyncClient(
            timeout=timeout,
            trust_env=False,
            transport=PinnedTransport(
                destinations, httpx.AsyncHTTPTransport(trust_env=False, verify=client_tls())
            ),
        )

    async def close(self) -> None:
        await self.client.aclose()
        await self.guarded.aclose()

    async def post_json(
        self, url: str, payload: dict[str, Any], headers: dict[str, str] | None = None
    ) -> SendResult:
        try:
            response = await self.guarded.post(url, json=payload, headers=headers)
        except (httpx.HTTPError, DestinationRefused) as exc:
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
        ref = message.get(UPDATES)
        if ref is not None:
            # Only a Web API message has a handle; updating needs the token that sent it.
            if not token:
                return SendResult(ok=False, error="slack: updating a message needs the bot token")
            body = {k: v for k, v in message.items() if k != UPDATES}
            return await self._call(token, "chat.update", {**body, **ref})
        target = to.get("slack_user_id") or integration.get("channel")
        if token and target:
            return await self._call(token, "chat.postMessage", {**message, "channel": target})
        url = integration.get("webhook_url")
        if not url:
            return SendResult(ok=False, error="slack: no bot token for this user and no webhook")
        return await self._poster.post_json(url, message)

    async def _call(self, token: str, method: str, body: dict[str, Any]) -> SendResult:
        try:
            response = await self._poster.client.post(
                self._api_url + method,
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
        return SendResult(ok=True, ref=_message_ref(answer))


def _message_ref(answer: Any) -> dict[str, str] | None:
    """Where Slack keeps the message (a DM's channel is the conversation, not the user)."""
    if isinstance(answer, dict) and answer.get("channel") and answer.get("ts"):
        return {"channel": str(answer["channel"]), "ts": str(answer["ts"])}
    return None


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
    """SMTP. With `destinations` (a company's own server, chosen by its admin) only an
    allowed address is reached, the checked one; with `destinations=None` the server is
    the operator's (LEAVEFLOW_SMTP_*), trusted configuration: its name is connected to as
    given, so TLS verifies the certificate for it as usual."""

    def __init__(self, destinations: Destinations | None, timeout: float = READ_TIMEOUT) -> None:
        self._destinations = destinations
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
        host, port = str(integration["smtp_host"]), int(integration["smtp_port"])
        try:
            if self._destinations is None:
                address = host
            else:
                address = str(await self._destinations.pinned(host, port))
            await self._deliver(mail, address, port, host, integration)
        except aiosmtplib.SMTPRecipientsRefused as exc:
            codes = "; ".join(sorted({smtp_text(r.code) for r in exc.recipients}))
            return SendResult(
                ok=False,
                error=f"recipient refused: {codes}"[:200],
                retryable=all(r.code < 500 for r in exc.recipients),
            )
        except aiosmtplib.SMTPResponseException as exc:
            # 4xx is the server's "try later"; 5xx is final. Its text is not recorded.
            return SendResult(ok=False, error=smtp_text(exc.code), retryable=exc.code < 500)
        except (aiosmtplib.SMTPException, OSError, DestinationRefused) as exc:
            return network_failure(exc)
        return SENT

    async def _deliver(
        self, mail: EmailMessage, address: str, port: int, host: str, integration: dict[str, Any]
    ) -> None:
        """Connect to `address` (the checked IP, or the operator's host name); STARTTLS
        verifies the certificate for, and sends SNI of, the configured host name. `ssl`
        (the operator's servers only) speaks TLS from the first byte instead."""
        implicit_tls = bool(integration.get("ssl"))
        smtp = aiosmtplib.SMTP(
            hostname=address,
            port=port,
            timeout=self._timeout,
            use_tls=implicit_tls,
            start_tls=False,
        )
        async with smtp:
            if integration.get("starttls") and not implicit_tls:
                await smtp.starttls(server_hostname=host)
            username, password = integration.get("username"), integration.get("password")
            if username and password:
                await smtp.login(username, password)
            await smtp.send_message(mail)
