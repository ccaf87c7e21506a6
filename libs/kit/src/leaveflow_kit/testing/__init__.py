"""Helpers for tests: a clock they move, `deliver` (one event through a service's handlers
as its consumer would), and real infrastructure (a nats-server from the wheel, sinks)."""

from .clock import FakeClock
from .deliver import deliver
from .nats_server import NatsServer, free_port
from .webhook_sink import RecordedCall, WebhookSink

__all__ = ["FakeClock", "NatsServer", "RecordedCall", "WebhookSink", "deliver", "free_port"]

# The SMTP sink needs aiosmtpd (a test dependency): import it from `.smtp_sink`.
