"""The operator's mail server through the one email sender, unguarded (trusted config)."""

from __future__ import annotations

from leaveflow_kit.testing.smtp_sink import SmtpSink
from leaveflow_notifications.adapters.senders import EmailSender

MESSAGE = {"subject": "Hi", "text": "plain", "html": "<p>html</p>"}


def server(smtp: SmtpSink, **more: object) -> dict[str, object]:
    return {"smtp_host": "localhost", "smtp_port": smtp.port, "from": "ops@x.test", **more}


async def test_the_operator_server_is_reached_by_its_name_without_the_guard(
    smtp: SmtpSink,
) -> None:
    # No destinations policy at all: `localhost` would be refused for a tenant.
    result = await EmailSender(None, timeout=2).send(server(smtp), {"email": "a@x.test"}, MESSAGE)
    assert result.ok, result.error
    (mail,) = smtp.snapshot()
    assert (mail["From"], mail["To"], mail["Subject"]) == ("ops@x.test", "a@x.test", "Hi")


async def test_implicit_tls_speaks_tls_from_the_first_byte(smtp: SmtpSink) -> None:
    # The sink speaks plain SMTP: a client opening with a TLS handshake gets no session.
    result = await EmailSender(None, timeout=2).send(
        server(smtp, ssl=True, starttls=True), {"email": "a@x.test"}, MESSAGE
    )
    assert not result.ok
    assert smtp.snapshot() == []
