"""Helpers for tests that need real infrastructure (a nats-server from the wheel)."""

from .nats_server import NatsServer, free_port
from .webhook_sink import RecordedCall, WebhookSink

__all__ = ["NatsServer", "RecordedCall", "WebhookSink", "free_port"]

# The SMTP sink needs aiosmtpd (a test dependency): import it from `.smtp_sink`.
