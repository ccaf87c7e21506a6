"""An invitation on the real stack: an admin's `POST /v1/invites` on requests becomes an
`EmployeeInvited` event on the bus, which notifications turns into an email through the
company's SMTP integration (a real aiosmtpd server on loopback), linking to the dashboard's
sign-in page with the address filled in; the delivery log shows it sent, once."""

from __future__ import annotations

from collections.abc import Iterator
from email.message import EmailMessage
from urllib.parse import quote
from uuid import uuid4

import pytest

from leaveflow_devstack.testing import Tenant, eventually
from leaveflow_kit.testing.smtp_sink import SmtpSink

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]


@pytest.fixture
def smtp() -> Iterator[SmtpSink]:
    with SmtpSink() as s:
        yield s


def test_an_invited_person_gets_an_email_linking_to_sign_in(tenant: Tenant, smtp: SmtpSink) -> None:
    with tenant.client("notifications") as http:
        r = http.put(
            "/v1/integrations/email",
            json={"smtp_host": "127.0.0.1", "smtp_port": smtp.port, "from": "lf@e2e.test"},
        )
        assert r.status_code == 200, r.text
    email = f"dee-{uuid4().hex[:6]}@e2e.test"
    dee, _ = tenant.employee("Dee Newman", email)
    with tenant.client("requests") as http:
        r = http.post("/v1/invites", json={"employee_ids": [dee]})
    assert r.status_code == 202, r.text
    assert r.json()["invited"] == [dee]

    def mails() -> list[EmailMessage]:
        return [m for m in smtp.snapshot() if m["To"] == email]

    (mail,) = eventually(mails, timeout=30, what="the invitation email")
    assert "invited you to Leaveflow" in str(mail["Subject"])
    plain = mail.get_body(("plain",))
    assert plain is not None
    assert f"/signin?email={quote(email, safe='')}" in plain.get_content()

    def sent() -> list[dict[str, object]]:
        with tenant.client("notifications") as http:
            items = http.get("/v1/deliveries", params={"status": "sent"}).json()["items"]
        return [d for d in items if d["event"]["type"] == "EmployeeInvited"]

    (delivery,) = eventually(sent, timeout=20, what="the sent invitation in the log")
    assert delivery["recipient"] == dee
