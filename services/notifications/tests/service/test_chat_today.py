"""`whosoff` without a date asks about the person's today: the date in their location's
time zone (else their company's), through the injected clock, never the server's date."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from leaveflow_contracts import EmployeeUpserted, LocationUpserted, TenantCreated
from leaveflow_notifications.adapters.store_reads import StoreReads
from leaveflow_notifications.domain.commands import WhosOff
from leaveflow_notifications.service_layer.chat import Chat
from leaveflow_notifications.service_layer.ports import ApiAnswer


@dataclass
class FakeApi:
    """Answers every call with nobody off, and remembers what was asked."""

    calls: list[dict[str, Any]] = field(default_factory=list)

    async def as_employee(
        self,
        tenant_id: str,
        employee_id: str,
        method: str,
        service: str,
        path: str,
        *,
        via: str = "chat",
        json: dict[str, Any] | None = None,
        params: dict[str, str] | None = None,
    ) -> ApiAnswer:
        self.calls.append({"employee_id": employee_id, "path": path, "params": params})
        return ApiAnswer(200, {"items": []})


def _at(hour: int, minute: int = 0) -> datetime:
    return datetime.combine(date.today(), time(hour, minute), tzinfo=UTC)


async def _whos_off(world: Any, employee_id: str, day: date | None = None) -> dict[str, Any]:
    api = FakeApi()
    chat = Chat(api, StoreReads(world.store), world.clock)
    await chat.run("t1", employee_id, WhosOff(day), "slack")
    (call,) = api.calls
    assert call["path"] == "/v1/whos-off"
    params: dict[str, Any] = call["params"]
    return params


async def _tokyo_office(world: Any) -> None:
    await world.feed(TenantCreated(tenant_id="t1", name="T", timezone="UTC", admin_id="t1-cy"))
    await world.feed(
        LocationUpserted(location_id="tokyo", name="Tokyo", timezone="Asia/Tokyo", workweek=[1])
    )
    await world.feed(
        EmployeeUpserted(
            employee_id="t1-ana", name="Ana", email="ana@t1.test", role="user", location_id="tokyo"
        )
    )


async def test_today_is_the_locations_date_when_utc_is_still_on_yesterday(
    world: Any, clock: Any
) -> None:
    await _tokyo_office(world)
    clock.move_to(_at(23, 30))  # 08:30 tomorrow in Tokyo
    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    assert await _whos_off(world, "t1-ana") == {"from": tomorrow, "to": tomorrow}


async def test_without_a_location_the_tenants_zone_decides(world: Any, clock: Any) -> None:
    await world.feed(
        TenantCreated(tenant_id="t1", name="T", timezone="America/Los_Angeles", admin_id="t1-cy")
    )
    clock.move_to(_at(3))  # still the evening before in Los Angeles
    yesterday = (date.today() - timedelta(days=1)).isoformat()
    assert await _whos_off(world, "t1-bo") == {"from": yesterday, "to": yesterday}


async def test_a_zone_the_replica_does_not_know_yet_reads_as_utc(world: Any, clock: Any) -> None:
    clock.move_to(_at(23, 30))
    today = date.today().isoformat()
    assert await _whos_off(world, "t1-bo") == {"from": today, "to": today}


async def test_a_date_given_in_the_command_wins(world: Any, clock: Any) -> None:
    await _tokyo_office(world)
    clock.move_to(_at(23, 30))
    asked = date.today() + timedelta(days=10)
    params = await _whos_off(world, "t1-ana", asked)
    assert params == {"from": asked.isoformat(), "to": asked.isoformat()}
