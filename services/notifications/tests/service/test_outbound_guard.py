"""Connect-time checks: resolve once, check every address, connect to the checked one;
and what a failed delivery records (never what the peer answered)."""

from __future__ import annotations

import asyncio
import ipaddress
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from aiohttp import web

from leaveflow_kit.outbound import AddressPolicy, IpAddress
from leaveflow_kit.testing import WebhookSink
from leaveflow_kit.testing.smtp_sink import SmtpSink
from leaveflow_notifications.adapters.senders import EmailSender, HttpPoster, PinnedTransport
from leaveflow_notifications.service_layer.destinations import DestinationRefused, Destinations
from leaveflow_notifications.service_layer.ports import ResolveFailed

LOOPBACK = AddressPolicy.from_setting("127.0.0.0/8")


class ScriptedDns:
    """Answers each lookup of a name with the next answer given for it (a rebinding DNS
    answers a public address first, an internal one next)."""

    def __init__(self, **answers: list[list[str]]) -> None:
        self.answers = {name.replace("_", "."): list(a) for name, a in answers.items()}
        self.lookups: list[str] = []

    async def addresses(self, host: str, port: int) -> list[IpAddress]:
        self.lookups.append(host)
        queue = self.answers.get(host)
        if not queue:
            raise ResolveFailed(host)
        answer = queue.pop(0) if len(queue) > 1 else queue[0]
        return [ipaddress.ip_address(a) for a in answer]


async def test_a_name_with_any_internal_address_is_refused() -> None:
    dns = ScriptedDns(hooks_example_test=[["93.184.215.14", "10.0.0.7"]])
    destinations = Destinations(AddressPolicy(), dns)
    with pytest.raises(DestinationRefused, match="private"):
        await destinations.pinned("hooks.example.test", 443)
    assert await destinations.refusal_at_save("hooks.example.test", 443) == "private address"


async def test_an_unresolvable_name_is_accepted_at_save_and_refused_at_connect() -> None:
    destinations = Destinations(AddressPolicy(), ScriptedDns())
    assert await destinations.refusal_at_save("nowhere.example.test", 443) is None
    with pytest.raises(DestinationRefused, match="does not resolve"):
        await destinations.pinned("nowhere.example.test", 443)


async def test_the_request_goes_to_the_checked_address_with_one_lookup(
    sink: WebhookSink,
) -> None:
    # First answer: the (allowed) sink; any second lookup would answer the metadata address.
    dns = ScriptedDns(hooks_example_test=[["127.0.0.1"], ["169.254.169.254"]])
    poster = HttpPoster(Destinations(LOOPBACK, dns))
    try:
        result = await poster.post_json(f"http://hooks.example.test:{sink.port}/hook", {"a": 1})
        assert result.ok, result
        (call,) = sink.snapshot()
        assert call.headers["Host"] == f"hooks.example.test:{sink.port}", "Host keeps the name"
        assert dns.lookups == ["hooks.example.test"]
        second = await poster.post_json(f"http://hooks.example.test:{sink.port}/hook", {"a": 2})
        assert not second.ok
        assert second.error == "destination refused: link-local address"
        assert len(sink.snapshot()) == 1
    finally:
        await poster.close()


async def test_tls_gets_the_name_for_sni_and_the_address_for_the_socket() -> None:
    seen: list[httpx.Request] = []

    async def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(204)

    dns = ScriptedDns(hooks_example_test=[["93.184.215.14"]])
    transport = PinnedTransport(Destinations(AddressPolicy(), dns), httpx.MockTransport(handler))
    async with httpx.AsyncClient(transport=transport) as client:
        assert (await client.post("https://hooks.example.test/x", json={})).status_code == 204
    (request,) = seen
    assert request.url.host == "93.184.215.14"
    assert request.extensions["sni_hostname"] == "hooks.example.test"
    assert request.headers["host"] == "hooks.example.test"


@pytest.fixture
def chatty_peer() -> Iterator[str]:
    """An internal service answering with data of its own."""
    loop = asyncio.new_event_loop()
    app = web.Application()

    async def answer(request: web.Request) -> web.Response:
        await request.read()  # an unread body keeps the handler lingering after the answer
        return web.json_response({"secret_policy": "carry-over 5"}, status=500)

    app.router.add_route("*", "/{tail:.*}", answer)
    runner = web.AppRunner(app)
    loop.run_until_complete(runner.setup())
    site = web.TCPSite(runner, "127.0.0.1", 0)
    loop.run_until_complete(site.start())
    port = runner.addresses[0][1]
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}/v1/policies"
    # Its handlers finish on its own loop: a loop merely stopped left a pending handler
    # task to be destroyed during a later test, which failed on the unraisable warning.
    asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(10)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(5)
    loop.close()


async def test_an_error_records_the_status_never_the_body(chatty_peer: str) -> None:
    from leaveflow_notifications.adapters.resolver import SystemResolver

    poster = HttpPoster(Destinations(LOOPBACK, SystemResolver()))
    try:
        result = await poster.post_json(chatty_peer, {})
    finally:
        await poster.close()
    assert result.error == "HTTP 500 Internal Server Error"
    assert result.retryable


async def test_without_the_allow_list_loopback_is_refused_before_connecting(
    sink: WebhookSink, smtp: SmtpSink
) -> None:
    from leaveflow_notifications.adapters.resolver import SystemResolver

    destinations = Destinations(AddressPolicy(), SystemResolver())
    poster = HttpPoster(destinations)
    try:
        result = await poster.post_json(sink.url, {})
    finally:
        await poster.close()
    assert result.error == "destination refused: loopback address"
    assert not result.retryable
    assert sink.snapshot() == []
    mail: dict[str, Any] = {"subject": "s", "text": "t", "html": "<p>t</p>"}
    sent = await EmailSender(destinations).send(
        {"from": "lf@t1.test", "smtp_host": "localhost", "smtp_port": smtp.port},
        {"email": "bo@t1.test"},
        mail,
    )
    assert sent.error == "destination refused: loopback address"
    assert smtp.snapshot() == []


async def test_an_smtp_banner_never_reaches_the_log() -> None:
    """A non-SMTP service (NATS says INFO {...} first) answers the connect."""

    async def banner(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b'INFO {"server_id":"NSECRETID","version":"2.15.1"}\r\n')
        await writer.drain()
        await asyncio.sleep(0.5)
        writer.close()

    server = await asyncio.start_server(banner, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    from leaveflow_notifications.adapters.resolver import SystemResolver

    sender = EmailSender(Destinations(LOOPBACK, SystemResolver()), timeout=2)
    mail: dict[str, Any] = {"subject": "s", "text": "t", "html": "<p>t</p>"}
    async with server:
        result = await sender.send(
            {"from": "lf@t1.test", "smtp_host": "127.0.0.1", "smtp_port": port},
            {"email": "bo@t1.test"},
            mail,
        )
    assert not result.ok
    assert result.error is not None
    assert "NSECRETID" not in result.error, result.error
    assert "INFO" not in result.error, result.error
