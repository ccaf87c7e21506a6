"""Issue 13: "Email and Teams approve links ... work for anyone who has the link". Now a
link opens the dashboard's decide page and acts only for the approver it was signed for,
signed in: anyone else (the requester, another approver, an admin, no one) sees nothing
about the request and decides nothing, on the new API and on the old link address.

One private stack for the module (loopback allowed for the SMTP sink).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from email.message import EmailMessage
from uuid import uuid4

import httpx
import pytest

from leaveflow_devstack import Stack
from leaveflow_devstack.testing import coming_monday, eventually, sign_up
from leaveflow_kit.testing.smtp_sink import SmtpSink

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with Stack(
        tmp_path_factory.mktemp("security-links"),
        ports=Stack.free_ports(),
        outbound_allow="127.0.0.0/8",
        ready_timeout=60.0,
    ) as own:
        yield own


@pytest.fixture
def smtp() -> Iterator[SmtpSink]:
    with SmtpSink() as sink:
        yield sink


def _bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


def test_a_link_opened_by_anyone_but_its_approver_shows_and_decides_nothing(
    stack: Stack, smtp: SmtpSink
) -> None:
    tenant = sign_up(stack.urls)
    location = tenant.location()
    vacation = tenant.leave_type("Vacation", location_ids=[location])
    bo_email = f"bo-{uuid4().hex[:6]}@e2e.test"
    bo, bo_token = tenant.employee("Bo Berg", bo_email, role="approver", location_id=location)
    cy, cy_token = tenant.employee("Cy Other", role="approver", location_id=location)
    with tenant.client("requests") as http:
        ops = http.post("/v1/departments", json={"name": "Ops", "approver_ids": [bo]})
        assert ops.status_code == 201, ops.text
        sales = http.post("/v1/departments", json={"name": "Sales", "approver_ids": [cy]})
        assert sales.status_code == 201, sales.text
    _, ana_token = tenant.employee("Ana Lima", location_id=location, department_id=ops.json()["id"])
    with tenant.client("notifications") as http:
        r = http.put(
            "/v1/integrations/email",
            json={"smtp_host": "127.0.0.1", "smtp_port": smtp.port, "from": "lf@e2e.test"},
        )
        assert r.status_code == 200, r.text
    day = str(coming_monday())
    submitted = httpx.post(
        f"{stack.urls['requests']}/v1/leave-requests",
        json={"leave_type_id": vacation, "start_date": day, "end_date": day},
        headers=_bearer(ana_token),
        timeout=10,
    )
    assert submitted.status_code == 202, submitted.text
    request_id = submitted.json()["id"]

    def mail_to_bo() -> EmailMessage | None:
        found = [m for m in smtp.snapshot() if m["To"] == bo_email]
        return found[0] if found else None

    mail = eventually(mail_to_bo, timeout=30, what="Bo's email")
    plain = mail.get_body(("plain",))
    assert plain is not None
    link = re.search(r"Approve: (\S+)", plain.get_content())
    assert link is not None
    assert link.group(1).startswith(f"{stack.urls['web']}/decide/")
    token = link.group(1).rsplit("/", 1)[1]
    api = f"{stack.urls['notifications']}/v1/actions/{token}"

    def status() -> str:
        r = httpx.get(
            f"{stack.urls['requests']}/v1/leave-requests/{request_id}",
            headers=_bearer(tenant.token),
            timeout=10,
        )
        return str(r.json()["status"])

    forged = httpx.get(f"{api[:-4]}AAAA", headers=_bearer(bo_token), timeout=10)
    assert forged.status_code == 404
    for who, bearer in (("Ana", ana_token), ("Cy", cy_token), ("admin", tenant.token)):
        seen = httpx.get(api, headers=_bearer(bearer), timeout=10)
        assert (seen.status_code, seen.json()) == (404, forged.json()), who
        assert request_id not in seen.text, who
        decided = httpx.post(api, json={"note": None}, headers=_bearer(bearer), timeout=10)
        assert (decided.status_code, decided.json()) == (404, forged.json()), who
    assert httpx.get(api, timeout=10).status_code == 401
    old = httpx.post(f"{stack.urls['notifications']}/actions/{token}", timeout=10)
    assert old.status_code == 303
    assert status() == "pending", "nobody but Bo decided anything"

    mine = httpx.get(api, headers=_bearer(bo_token), timeout=10)
    assert mine.status_code == 200, mine.text
    assert mine.json()["request_id"] == request_id
    done = httpx.post(api, json={"note": "enjoy"}, headers=_bearer(bo_token), timeout=10)
    assert done.status_code == 200, done.text
    assert status() == "approved"
