"""An invitation (`EmployeeInvited`) becomes one email delivery of the inviting company,
in the consumer's transaction: its id comes from (event, channel, employee), so a
redelivered event finds it there and sends nothing twice, while inviting the person again
(a new event) sends a new invitation.

The email dispatcher sends it through the company's email integration, else the operator's
server (`Outbound`); with neither it is dead with a short reason an admin sees in the
delivery log, and retries once a server exists. It links to the dashboard's sign-in page
with the address filled in: no credential, so the delivery may keep it.
"""

from __future__ import annotations

from leaveflow_contracts import EmployeeInvited
from leaveflow_kit.clock import Clock
from leaveflow_kit.documents import to_doc
from leaveflow_kit.messaging import Handled, Handlers
from leaveflow_kit.storage import Transaction
from leaveflow_kit.telemetry import current_trace

from ..domain.account_mail import INVITE, AccountMail, signin_link
from ..domain.delivery import Delivery, delivery_id
from .collections import DELIVERIES, EMAIL


def invite_handlers(clock: Clock, dashboard_url: str) -> Handlers:
    handlers = Handlers()

    @handlers.on
    async def on_employee_invited(tx: Transaction, event: Handled[EmployeeInvited]) -> None:
        d = event.data
        tenant_id, event_id = event.envelope.tenant_id, event.envelope.event_id
        mail = AccountMail(
            purpose=INVITE,
            link=signin_link(dashboard_url, d.email),
            company=d.company,
            name=d.name,
            invited_by=d.invited_by,  # the inviter's name, as the event carries it
        )
        delivery = Delivery(
            id=delivery_id(event_id, EMAIL, d.employee_id),
            tenant_id=tenant_id,
            event_id=event_id,
            event_type=event.envelope.type,
            channel=EMAIL,
            recipient=d.employee_id,
            payload={
                "account": mail.to_dict(),
                "to": {"id": d.employee_id, "name": d.name, "email": d.email},
            },
            created_at=clock.now(),
            trace=current_trace(),
        )
        if await tx.get(DELIVERIES, delivery.id) is None:
            await tx.insert(DELIVERIES, delivery.id, to_doc(delivery))

    return handlers
