"""The shared TLS context of outgoing clients: made once, and still verifying."""

from __future__ import annotations

import ssl

import httpx

from leaveflow_kit.tls import client_tls


def test_every_client_shares_one_context_that_verifies_servers() -> None:
    context = client_tls()
    assert context is client_tls()
    assert context.verify_mode is ssl.CERT_REQUIRED
    assert context.check_hostname is True
    assert context.cert_store_stats()["x509_ca"] > 0  # the CA bundle was read


async def test_a_client_given_the_context_uses_it_for_its_connections() -> None:
    async with httpx.AsyncClient(verify=client_tls()) as client:
        pool = client._transport._pool  # type: ignore[attr-defined]
        assert pool._ssl_context is client_tls()
