"""`EmployeeInvited` through the consumer's path (`deliver`): one email delivery of the
inviting company, sent to a real aiosmtpd server by the email dispatcher, with a link to
the dashboard's sign-in page for that address; never twice for one event."""

from __future__ import annotations

from typing import Any

from leaveflow_contracts import EmployeeInvited
from leaveflow_kit.testing.smtp_sink import SmtpSink
from leaveflow_notifications.service_layer.deliveries import DeliveryRetries


def invited(email: str = "dee+new@t1.test", employee_id: str = "t1-dee") -> EmployeeInvited:
    return EmployeeInvited(
        employee_id=employee_id,
        email=email,
        name="Dee Newman",
        company="Acme Ltd",
        invited_by="Cy Admin",
    )


async def connect_email(world: Any, smtp: SmtpSink) -> None:
    await world.connect(
        "email", smtp_host="127.0.0.1", smtp_port=smtp.port, **{"from": "leave@t1.test"}
    )


def operator(smtp: SmtpSink) -> dict[str, Any]:
    return {
        "smtp_host": "127.0.0.1",
        "smtp_port": smtp.port,
        "from": "leaveflow@operator.test",
        "starttls": False,
    }


async def test_an_invitation_is_mailed_with_the_sign_in_link(world: Any, smtp: SmtpSink) -> None:
    await connect_email(world, smtp)
    await world.feed(invited())
    assert await world.dispatcher("email").send_due() == 1
    (mail,) = smtp.snapshot()
    assert (mail["From"], mail["To"]) == ("leave@t1.test", "dee+new@t1.test")
    assert mail["Subject"] == "Acme Ltd invited you to Leaveflow"
    plain, html = mail.get_body(("plain",)), mail.get_body(("html",))
    assert plain is not None
    assert html is not None
    text = plain.get_content()
    link = "http://dash.test/signin?email=dee%2Bnew%40t1.test"
    assert link in text
    assert f'href="{link}"' in html.get_content()
    # The person and the inviter by name.
    assert "Hello Dee Newman," in text
    assert "Cy Admin invited you to Acme Ltd" in text
    (d,) = await world.deliveries()
    assert (d["tenant_id"], d["recipient"], d["channel"], d["status"]) == (
        "t1",
        "t1-dee",
        "email",
        "sent",
    )
    assert d["event_type"] == "EmployeeInvited"


async def test_a_redelivered_invitation_is_mailed_once(world: Any, smtp: SmtpSink) -> None:
    await connect_email(world, smtp)
    envelope = await world.feed(invited())
    await world.feed(invited(), env=envelope)  # the same event again, past the inbox
    dispatcher = world.dispatcher("email")
    assert await dispatcher.send_due() == 1
    assert await dispatcher.send_due() == 0
    assert len(smtp.snapshot()) == 1
    assert len(await world.deliveries()) == 1


async def test_an_invitation_without_an_inviter_names_the_company(
    world: Any, smtp: SmtpSink
) -> None:
    await connect_email(world, smtp)
    await world.feed(invited().model_copy(update={"invited_by": None}))
    assert await world.dispatcher("email").send_due() == 1
    (mail,) = smtp.snapshot()
    plain = mail.get_body(("plain",))
    assert plain is not None
    assert "Acme Ltd invited you to Leaveflow, where" in plain.get_content()


async def test_inviting_again_sends_a_new_invitation(world: Any, smtp: SmtpSink) -> None:
    await connect_email(world, smtp)
    await world.feed(invited())
    await world.feed(invited())
    assert await world.dispatcher("email").send_due() == 2
    assert len(smtp.snapshot()) == 2


async def test_without_a_company_server_the_operator_server_carries_it(
    world: Any, smtp: SmtpSink
) -> None:
    world.rewire(operator_smtp=operator(smtp))
    await world.feed(invited())
    assert await world.dispatcher("email").send_due() == 1
    (mail,) = smtp.snapshot()
    assert mail["From"] == "leaveflow@operator.test"


async def test_with_no_mail_server_anywhere_it_is_a_dead_delivery_an_admin_can_retry(
    world: Any, smtp: SmtpSink
) -> None:
    await world.feed(invited())
    dispatcher = world.dispatcher("email")
    assert await dispatcher.send_due() == 0
    (d,) = await world.deliveries()
    assert (d["status"], d["attempts"]) == ("dead", 1)
    assert "no mail server" in d["last_error"]
    # Once the company connects its server, the admin's retry sends it.
    await connect_email(world, smtp)
    await DeliveryRetries(world.records, world.clock, lambda: None).retry("t1", d["id"])
    assert await dispatcher.send_due() == 1
    assert len(smtp.snapshot()) == 1


async def test_an_invitation_ignores_the_persons_notification_preferences(
    world: Any, smtp: SmtpSink
) -> None:
    # Preferences choose how leave news reaches someone; an invitation is how they get in.
    await world.integrations.set_preferences(
        "t1", "t1-dee", {"slack": True, "teams": True, "email": False}
    )
    await connect_email(world, smtp)
    await world.feed(invited())
    assert await world.dispatcher("email").send_due() == 1
