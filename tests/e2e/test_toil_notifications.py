"""Time off in lieu claims through the real delivery machinery: the approver of the
claimant's department is e-mailed the claim, the claimant the decision, each once and in
the delivery log (the SMTP sink receives what a mail server would)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any
from uuid import uuid4

import httpx
import pytest

from leaveflow_devstack import Stack
from leaveflow_devstack.testing import Tenant, eventually
from leaveflow_kit.testing.smtp_sink import SmtpSink

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(240)]

TODAY = datetime.now(UTC).date()  # the helper's locations are on UTC


@pytest.fixture
def smtp() -> Iterator[SmtpSink]:
    with SmtpSink() as sink:
        yield sink


def call(tenant: Tenant, token: str, method: str, path: str, **kw: Any) -> httpx.Response:
    with httpx.Client(base_url=tenant.urls["requests"], timeout=10) as http:
        http.headers["authorization"] = f"Bearer {token}"
        return http.request(method, path, **kw)


def mails(smtp: SmtpSink, to: str, subject: str) -> list[EmailMessage]:
    return [m for m in smtp.snapshot() if m["To"] == to and subject in str(m["Subject"])]


def body_of(mail: EmailMessage) -> str:
    part = mail.get_body(("plain",))
    assert part is not None
    return str(part.get_content())


def test_the_approver_hears_of_a_claim_and_the_claimant_of_each_decision(
    stack: Stack, tenant: Tenant, smtp: SmtpSink
) -> None:
    with tenant.client("notifications") as http:
        mail = {"smtp_host": "127.0.0.1", "smtp_port": smtp.port, "from": "lf@e2e.test"}
        r = http.put("/v1/integrations/email", json=mail)
        assert r.status_code == 200, r.text
    location = tenant.location("Wels")
    in_lieu = {"toil": {"expiry_months": 3}}
    toil = tenant.leave_type("Overtime", allowance=0, location_ids=[location], policy=in_lieu)
    lee_email = f"lee-{uuid4().hex[:6]}@e2e.test"
    lee, lee_token = tenant.employee("Lee", lee_email, role="approver", location_id=location)
    with tenant.client("requests") as http:
        r = http.post("/v1/departments", json={"name": "Plant", "approver_ids": [lee]})
        assert r.status_code == 201, r.text
        department = r.json()["id"]
    pat_email = f"pat-{uuid4().hex[:6]}@e2e.test"
    _, pat = tenant.employee("Pat", pat_email, location_id=location, department_id=department)
    worked = (TODAY - timedelta(days=1)).isoformat()

    def claim(note: str) -> str:
        body = {"leave_type_id": toil, "date": worked, "amount": 1, "note": note}
        made = call(tenant, pat, "POST", "/v1/toil", json=body)
        assert made.status_code == 202, made.text
        return str(made.json()["id"])

    first = claim("Saturday release")
    (asked,) = eventually(
        lambda: mails(smtp, lee_email, "Pat claims time off in lieu: Overtime") or None,
        timeout=30,
        what="Lee asked about the claim",
    )
    assert f"Pat claims 1.00 days worked on {worked} as Overtime." in body_of(asked)
    assert "Note: Saturday release" in body_of(asked)
    decided = call(tenant, lee_token, "POST", f"/v1/toil/{first}/approve", json={})
    assert decided.status_code == 200, decided.text
    (approved,) = eventually(
        lambda: mails(smtp, pat_email, "Time off in lieu approved") or None,
        timeout=30,
        what="Pat told of the approval",
    )
    assert "was approved and credited to your balance" in body_of(approved)

    second = claim("Sunday")
    eventually(
        lambda: len(mails(smtp, lee_email, "claims time off in lieu")) == 2,
        timeout=30,
        what="Lee asked about the second claim",
    )
    denied = call(tenant, lee_token, "POST", f"/v1/toil/{second}/deny", json={"note": "no"})
    assert denied.status_code == 200, denied.text
    (told,) = eventually(
        lambda: mails(smtp, pat_email, "Time off in lieu denied") or None,
        timeout=30,
        what="Pat told of the denial",
    )
    assert "was denied. Note: no" in body_of(told)
    time.sleep(1.5)  # a duplicate would be here by now
    assert len(mails(smtp, lee_email, "claims time off in lieu")) == 2
    assert len(mails(smtp, pat_email, "Time off in lieu")) == 2
    with tenant.client("notifications") as http:
        log = http.get("/v1/deliveries", params={"limit": "200"}).json()["items"]
    sent = sorted(d["event_type"] for d in log if d["status"] == "sent")
    assert sent == ["ToilApproved", "ToilDenied", "ToilPending", "ToilPending"]
