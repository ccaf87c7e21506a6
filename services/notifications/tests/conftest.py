"""Fixtures: an in-memory store wired like the service, real loopback peers (an HTTP
recorder for Slack/Teams webhooks, an aiosmtpd SMTP server), and the kit's fake clock.
Events reach the handlers through `leaveflow_kit.testing.deliver`, the consumer's path."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest
from cryptography.fernet import Fernet

from leaveflow_contracts import (
    DepartmentUpserted,
    EmployeeUpserted,
    Envelope,
    EventData,
    LeavePending,
    LeaveTypeUpserted,
)
from leaveflow_kit.outbound import AddressPolicy
from leaveflow_kit.storage import Store, open_store
from leaveflow_kit.testing import FakeClock, WebhookSink, deliver
from leaveflow_kit.testing.smtp_sink import SmtpSink
from leaveflow_notifications.adapters.rendering import ChannelTemplates
from leaveflow_notifications.adapters.resolver import SystemResolver
from leaveflow_notifications.adapters.secrets import FernetBox
from leaveflow_notifications.adapters.senders import (
    EmailSender,
    HttpPoster,
    SlackSender,
    TeamsSender,
)
from leaveflow_notifications.adapters.store_deliveries import StoreDeliveries
from leaveflow_notifications.adapters.store_reads import StoreReads
from leaveflow_notifications.bootstrap import INDEXES
from leaveflow_notifications.service_layer.account_mail import AccountMailer
from leaveflow_notifications.service_layer.destinations import Destinations
from leaveflow_notifications.service_layer.dispatcher import DeliveryDispatcher, RetryPolicy
from leaveflow_notifications.service_layer.fanout import requests_handlers
from leaveflow_notifications.service_layer.integrations import Integrations
from leaveflow_notifications.service_layer.invites import invite_handlers
from leaveflow_notifications.service_layer.outbound import Links, Outbound
from leaveflow_notifications.service_layer.ports import SecretBox

LOOPBACK = "127.0.0.0/8"


class World:
    """A tenant's directory and integrations in the store, and helpers to feed events."""

    def __init__(self, store: Store, clock: FakeClock, box: SecretBox) -> None:
        self.store, self.clock, self.box = store, clock, box
        self.handlers = requests_handlers(clock).include(invite_handlers(clock, "http://dash.test"))
        # The operator's mail server (LEAVEFLOW_SMTP_*): none unless a test sets one.
        self.operator_smtp: dict[str, Any] | None = None
        # The sinks listen on loopback: allowed here as the test stacks allow it.
        self.destinations = Destinations(AddressPolicy.from_setting(LOOPBACK), SystemResolver())
        self.poster = HttpPoster(self.destinations)
        self.reads = StoreReads(store)
        self.records = StoreDeliveries(store)
        self.rewire()

    def rewire(
        self,
        *,
        box: SecretBox | None = None,
        slack_api: str | None = None,
        operator_smtp: dict[str, Any] | None = None,
    ) -> None:
        """Outbound (and the integrations admin) over another secret box, Slack Web API or
        operator mail server."""
        self.box = box or self.box
        self.operator_smtp = operator_smtp or self.operator_smtp
        self.integrations = Integrations(self.store, self.reads, self.box)
        templates = ChannelTemplates("http://dash.test")
        self.account_mail = AccountMailer(
            self.reads,
            self.box,
            templates,
            company_sender=EmailSender(self.destinations),
            operator_sender=EmailSender(None),
            operator=self.operator_smtp,
        )
        self.outbound = Outbound(
            self.reads,
            self.box,
            {
                "slack": SlackSender(self.poster, slack_api or "http://127.0.0.1:9/api/"),
                "teams": TeamsSender(self.poster),
                "email": EmailSender(self.destinations),
            },
            Links(self.box, "http://dash.test"),
            templates,
            account=self.account_mail,
        )

    async def feed(
        self, data: EventData, tenant: str = "t1", env: Envelope | None = None
    ) -> Envelope:
        """Hand an event to the service's handlers. With `env`, that very event again, as
        another consumer (so no inbox drops it: what stops a second delivery is ours)."""
        if env is not None:
            return await deliver(self.store, self.handlers, env, consumer="redelivery")
        return await deliver(self.store, self.handlers, data, tenant_id=tenant)

    async def directory(self, tenant: str = "t1") -> None:
        """Ana (user, dept d1, Slack U_ANA), Bo (approver of d1, Slack U_BO), Cy (admin)."""
        people = [
            ("ana", "Ana Lima", "user", "U_ANA"),
            ("bo", "Bo Berg", "approver", "U_BO"),
            ("cy", "Cy Admin", "admin", None),
        ]
        for pid, name, role, slack in people:
            await self.feed(
                EmployeeUpserted(
                    employee_id=f"{tenant}-{pid}",
                    name=name,
                    email=f"{pid}@{tenant}.test",
                    role=role,
                    department_id=f"{tenant}-d1" if pid == "ana" else None,
                    slack_user_id=slack,
                ),
                tenant,
            )
        await self.feed(
            DepartmentUpserted(
                department_id=f"{tenant}-d1", name="Ops", approver_ids=[f"{tenant}-bo"]
            ),
            tenant,
        )
        await self.feed(LeaveTypeUpserted(leave_type_id="vac", name="Vacation"), tenant)

    async def connect(self, channel: str, tenant: str = "t1", **fields: Any) -> None:
        await self.integrations.connect(tenant, channel, fields)

    def pending(self, tenant: str = "t1", request_id: str = "r1") -> LeavePending:
        return LeavePending(
            request_id=request_id,
            employee_id=f"{tenant}-ana",
            leave_type_id="vac",
            start_date=date(2026, 3, 2),
            end_date=date(2026, 3, 3),
            amount="2",
            department_id=f"{tenant}-d1",
        )

    def dispatcher(self, channel: str, **policy: Any) -> DeliveryDispatcher:
        return DeliveryDispatcher(
            self.records, channel, self.outbound.send, self.clock, policy=RetryPolicy(**policy)
        )

    async def deliveries(self, **where: Any) -> list[dict[str, Any]]:
        return await self.store.find("deliveries", where)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 3, 1, 9, tzinfo=UTC))


@pytest.fixture
async def store() -> AsyncIterator[Store]:
    s = open_store("memory://", INDEXES)
    await s.start()
    yield s
    await s.close()


@pytest.fixture
def secret_key() -> bytes:
    return Fernet.generate_key()


@pytest.fixture
def box(secret_key: bytes) -> SecretBox:
    return FernetBox(secret_key)


@pytest.fixture
async def world(store: Store, clock: FakeClock, box: SecretBox) -> AsyncIterator[World]:
    w = World(store, clock, box)
    await w.directory()
    yield w
    await w.poster.close()


@pytest.fixture
def sink() -> Iterator[WebhookSink]:
    with WebhookSink() as s:
        yield s


@pytest.fixture
def smtp() -> Iterator[SmtpSink]:
    with SmtpSink() as s:
        yield s
