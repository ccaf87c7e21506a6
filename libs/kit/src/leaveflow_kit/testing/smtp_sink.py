"""A real SMTP server on loopback (aiosmtpd) that records what it accepts.

Recipients listed in `refuse` are answered `550 5.1.1 mailbox unavailable` at RCPT time,
the way a real server bounces an unknown address.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller

from .nats_server import free_port

REFUSAL = "550 5.1.1 mailbox unavailable"


@dataclass
class SmtpSink:
    port: int = field(default_factory=free_port)
    refuse: set[str] = field(default_factory=set)
    messages: list[EmailMessage] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        # aiosmtpd's default 1 s for its thread to serve was too short on a loaded 2-core
        # machine: a test's setup failed with "SMTP server failed to start".
        self._controller = Controller(
            self, hostname="127.0.0.1", port=self.port, ready_timeout=10.0
        )

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any
    ) -> str:
        if address in self.refuse:
            return REFUSAL
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        with self._lock:
            self.messages.append(message)
        return "250 Message accepted"

    def snapshot(self) -> list[EmailMessage]:
        with self._lock:
            return list(self.messages)

    def start(self) -> SmtpSink:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

    def __enter__(self) -> SmtpSink:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
