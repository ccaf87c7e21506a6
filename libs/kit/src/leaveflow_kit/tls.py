"""The one TLS context every outgoing httpx client of a process verifies servers with.

httpx builds a fresh context for each client, and each reads the whole CA bundle: about
20 ms of CPU a client. Services make clients per peer, per sender and, in places, per
call, so one shared, read-only context is made once instead (`verify=client_tls()`).
"""

from __future__ import annotations

import functools
import ssl

import httpx


@functools.cache
def client_tls() -> ssl.SSLContext:
    """httpx's default verifying context (certifi's CA bundle, or SSL_CERT_FILE /
    SSL_CERT_DIR when set), built once per process."""
    return httpx.create_ssl_context()
