"""An invalid LeaveRequested on the real bus (nats-server, the balances app's own durable
consumer and relay): answered LeaveReservationRejected on its first delivery, never
retried, never dead-lettered, and the employee's next request is not held back.

The requests service refuses such dates at its edge now, so this delivers the event
itself, as an older producer, a replay or a bug could."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from nats.js.errors import NotFoundError

from leaveflow_balances.bootstrap import create_app
from leaveflow_balances.config import Settings
from leaveflow_balances.domain.policy import Policy
from leaveflow_balances.service_layer import admin
from leaveflow_contracts import (
    DLQ_STREAM,
    EmployeeUpserted,
    Envelope,
    EventData,
    LeaveRequested,
    LeaveTypeUpserted,
    LocationUpserted,
    subject_for,
)
from leaveflow_kit.messaging.broker import connect_broker, create_broker

pytestmark = pytest.mark.integration

T = "t-poison"
FAR = date.max - timedelta(days=1)  # 9999-12-30: its leave year ends in year 10000
# A retry would come after this long: an answer sooner proves there was none.
RETRY_BASE = 120.0


def _facts(request_id: str, day: date) -> dict[str, Any]:
    return {
        "request_id": request_id,
        "employee_id": "e1",
        "leave_type_id": "vac",
        "start_date": day,
        "end_date": day,
        "working_days": [day],
        "amount": "1",
    }


async def test_an_invalid_request_is_rejected_at_once_and_nothing_is_dead_lettered(
    tmp_path: Path, nats_url: str
) -> None:
    producer = create_broker(nats_url, name="requests")
    await connect_broker(producer)
    js = producer.connection.jetstream()

    async def publish(data: EventData) -> None:
        envelope = Envelope.wrap(data, tenant_id=T)
        subject = subject_for("requests", envelope.type)
        await js.publish(subject, envelope.model_dump_json().encode())

    async def answer(event_type: str, seconds: float = 15.0) -> dict[str, Any]:
        subject = subject_for("balances", event_type)
        deadline = time.monotonic() + seconds
        while True:
            try:
                found = await js.get_last_msg("LF_BALANCES", subject)
                return dict(json.loads(found.data or b"{}"))
            except NotFoundError:
                if time.monotonic() > deadline:
                    raise AssertionError(f"no {event_type} within {seconds} s") from None
                await asyncio.sleep(0.05)

    settings = Settings(
        data_dir=tmp_path,
        nats_url=nats_url,
        database_url=f"sqlite:///{tmp_path / 'balances.db'}",
        retry_base_seconds=RETRY_BASE,
    )
    app = create_app(settings)
    try:
        async with app.router.lifespan_context(app):
            reads = app.state.read_model
            await publish(
                LocationUpserted(location_id="loc", name="HQ", timezone="UTC", workweek=[1])
            )
            await publish(LeaveTypeUpserted(leave_type_id="vac", name="Vacation"))
            await publish(
                EmployeeUpserted(
                    employee_id="e1",
                    name="Ana",
                    email="ana@x.test",
                    role="user",
                    location_id="loc",
                    start_date=date(2020, 1, 1),
                )
            )
            deadline = time.monotonic() + 15
            while await reads.employee(T, "e1") is None:
                assert time.monotonic() < deadline, "the directory never arrived"
                await asyncio.sleep(0.05)
            policy = Policy(
                tenant_id=T, location_id="loc", leave_type_id="vac", annual_allowance=Decimal(5)
            )
            await admin.put_policy(app.state.unit_of_work, policy, "admin")

            await publish(LeaveRequested(**_facts("r-far", FAR)))
            await publish(LeaveRequested(**_facts("r-next", date(2026, 3, 2))))

            rejected = await answer("LeaveReservationRejected")
            assert rejected["data"]["request_id"] == "r-far"
            assert rejected["data"]["reason"] == "invalid_request: year 10000 is out of range"
            reserved = await answer("LeaveReserved")
            assert reserved["data"]["request_id"] == "r-next"
            try:
                parked = (await js.stream_info(DLQ_STREAM)).state.messages
            except NotFoundError:
                parked = 0
            assert parked == 0
    finally:
        await producer.stop()
