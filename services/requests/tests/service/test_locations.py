"""Locations decide what a request costs: work week, public holidays, part-time patterns."""

# fixed-clock: every handler gets `clock`, fixed at 2029-12-01

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from leaveflow_contracts import Envelope, PolicyUpserted
from leaveflow_kit.storage import Store, open_store
from leaveflow_kit.testing import FakeClock, deliver
from leaveflow_requests.adapters.repository import INDEXES, Repository, StoreReads, StoreUnitOfWork
from leaveflow_requests.domain import errors
from leaveflow_requests.domain.model import LeaveRequest
from leaveflow_requests.service_layer import directory, leave_requests, queries
from leaveflow_requests.service_layer.commands import (
    Actor,
    CreateLeaveType,
    CreateTenant,
    LocationFields,
    SubmitLeaveRequest,
    UpsertEmployee,
)
from leaveflow_requests.service_layer.policies import policy_handlers

clock = FakeClock(datetime(2029, 12, 1, tzinfo=UTC))
POLICY_HANDLERS = policy_handlers(Repository)


@pytest.fixture
async def store() -> AsyncIterator[Store]:
    s = open_store("memory://", INDEXES)
    await s.start()
    yield s
    await s.close()


async def setup(store: Store) -> tuple[Actor, str]:
    tenant, admin = await directory.create_tenant(
        StoreUnitOfWork(store),
        CreateTenant(name="Acme", admin_name="Ada", admin_email="ada@acme.test"),
    )
    actor = Actor(tenant.id, admin.id, "admin")
    lt = await directory.create_leave_type(
        StoreUnitOfWork(store), actor, CreateLeaveType(name="Vacation")
    )
    return actor, lt.id


async def offer(
    store: Store, tenant_id: str, location_id: str, leave_type_id: str, *, active: bool = True
) -> Envelope:
    """What the balances service's PolicyUpserted does to this service's replica."""
    data = PolicyUpserted(location_id=location_id, leave_type_id=leave_type_id, active=active)
    return await deliver(store, POLICY_HANDLERS, data, tenant_id=tenant_id)


async def person(store: Store, admin: Actor, location_id: str, **kw: object) -> Actor:
    """An employee at the location, where every leave type of the tenant has a policy."""
    for leave_type in await StoreReads(store).leave_types(admin.tenant_id):
        await offer(store, admin.tenant_id, location_id, leave_type.id)
    name = f"p{location_id[-6:]}{len(kw)}"
    e = await directory.create_employee(
        StoreUnitOfWork(store),
        admin,
        UpsertEmployee(
            name=name,
            email=f"{name}@acme.test",
            location_id=location_id,
            start_date=date(2020, 1, 1),
            **kw,  # type: ignore[arg-type]
        ),
    )
    return Actor(admin.tenant_id, e.id, "user")


async def submit(
    store: Store, who: Actor, lt: str, start: date, end: date, **kw: object
) -> LeaveRequest:
    return await leave_requests.submit_leave_request(
        StoreUnitOfWork(store),
        clock,
        who,
        SubmitLeaveRequest(leave_type_id=lt, start_date=start, end_date=end, **kw),  # type: ignore[arg-type]
    )


async def test_corpus_christi_counts_in_bavaria_not_in_berlin(store: Store) -> None:
    admin, lt = await setup(store)
    by = await directory.save_location(
        StoreUnitOfWork(store),
        admin,
        LocationFields(name="Munich", timezone="Europe/Berlin", country="DE", subdivision="BY"),
    )
    be = await directory.save_location(
        StoreUnitOfWork(store),
        admin,
        LocationFields(name="Berlin", timezone="Europe/Berlin", country="DE", subdivision="BE"),
    )
    # Mon 17 to Fri 21 June 2030; Corpus Christi is Thu 20 June.
    munich = await submit(
        store, await person(store, admin, by.id), lt, date(2030, 6, 17), date(2030, 6, 21)
    )
    berlin = await submit(
        store, await person(store, admin, be.id), lt, date(2030, 6, 17), date(2030, 6, 21)
    )
    assert munich.amount == Decimal(4)
    assert date(2030, 6, 20) not in munich.working_days
    assert berlin.amount == Decimal(5)


async def test_company_holiday_and_sunday_to_thursday_week(store: Store) -> None:
    admin, lt = await setup(store)
    tlv = await directory.save_location(
        StoreUnitOfWork(store),
        admin,
        LocationFields(
            name="Tel Aviv",
            workweek=(7, 1, 2, 3, 4),
            extra_holidays=(("2030-03-05", "Founders' day"),),
        ),
    )
    # Fri 1 to Sat 9 March 2030 holds one Sun-Thu week (3-7), minus the company holiday (Tue 5).
    req = await submit(
        store, await person(store, admin, tlv.id), lt, date(2030, 3, 1), date(2030, 3, 9)
    )
    assert req.amount == Decimal(4)
    assert date(2030, 3, 5) not in req.working_days
    assert {d.isoweekday() for d in req.working_days} == {7, 1, 3, 4}


async def test_part_time_pattern_counts_days_by_their_hours(store: Store) -> None:
    admin, lt = await setup(store)
    office = await directory.save_location(
        StoreUnitOfWork(store), admin, LocationFields(name="Office")
    )
    part_timer = await person(store, admin, office.id, work_pattern={"1": "8", "2": "8", "3": "4"})
    week = await submit(store, part_timer, lt, date(2030, 3, 4), date(2030, 3, 8))
    assert week.amount == Decimal("2.5")
    half_wednesday = await submit(
        store, part_timer, lt, date(2030, 3, 13), date(2030, 3, 13), start_part="pm"
    )
    assert half_wednesday.amount == Decimal("0.25")


async def test_unknown_country_or_subdivision_is_refused(store: Store) -> None:
    admin, _ = await setup(store)
    with pytest.raises(errors.InvalidRequest) as info:
        await directory.save_location(
            StoreUnitOfWork(store), admin, LocationFields(name="X", country="XX")
        )
    assert info.value.field == "holidays.country"
    with pytest.raises(errors.InvalidRequest) as info:
        await directory.save_location(
            StoreUnitOfWork(store), admin, LocationFields(name="X", country="DE", subdivision="ZZ")
        )
    assert info.value.field == "holidays.subdivision"


async def test_employee_needs_a_known_location(store: Store) -> None:
    admin, _ = await setup(store)
    with pytest.raises(errors.InvalidRequest) as info:
        await person(store, admin, "nowhere")
    assert info.value.field == "location_id"


async def test_only_admins_manage_locations(store: Store) -> None:
    admin, _ = await setup(store)
    office = await directory.save_location(
        StoreUnitOfWork(store), admin, LocationFields(name="Office")
    )
    user = await person(store, admin, office.id)
    with pytest.raises(errors.NotAllowed):
        await directory.save_location(StoreUnitOfWork(store), user, LocationFields(name="Mine"))
    with pytest.raises(errors.NotAllowed):
        await directory.deactivate_location(StoreUnitOfWork(store), user, office.id)


async def test_hour_unit_types_take_hours_on_one_working_day(store: Store) -> None:
    admin, _ = await setup(store)
    office = await directory.save_location(
        StoreUnitOfWork(store), admin, LocationFields(name="Office")
    )
    doctor = await directory.create_leave_type(
        StoreUnitOfWork(store),
        admin,
        CreateLeaveType(name="Doctor", unit="hours", allow_half_days=False),
    )
    who = await person(store, admin, office.id)
    req = await submit(store, who, doctor.id, date(2030, 3, 4), date(2030, 3, 4), hours=Decimal(3))
    assert (req.amount, req.unit) == (Decimal(3), "hours")
    with pytest.raises(errors.InvalidRequest) as info:
        await submit(store, who, doctor.id, date(2030, 3, 5), date(2030, 3, 5), hours=Decimal(9))
    assert info.value.field == "hours"
    with pytest.raises(errors.InvalidRequest) as info:
        await submit(store, who, doctor.id, date(2030, 3, 5), date(2030, 3, 5))
    assert info.value.field == "hours"
    with pytest.raises(errors.InvalidRequest) as info:
        await submit(store, who, doctor.id, date(2030, 3, 5), date(2030, 3, 6), hours=Decimal(2))
    assert info.value.field == "end_date"


async def test_a_new_company_holiday_reprices_live_requests(store: Store) -> None:
    admin, lt = await setup(store)
    office = await directory.save_location(
        StoreUnitOfWork(store), admin, LocationFields(name="Office")
    )
    who = await person(store, admin, office.id)
    week = await submit(store, who, lt, date(2030, 3, 4), date(2030, 3, 8))
    single = await submit(store, who, lt, date(2030, 3, 11), date(2030, 3, 11))
    past = await submit(store, who, lt, date(2029, 11, 5), date(2029, 11, 5))  # ended
    assert week.amount == Decimal(5)
    await directory.save_location(
        StoreUnitOfWork(store),
        admin,
        LocationFields(
            name="Office",
            extra_holidays=(
                ("2030-03-06", "Founders' day"),
                ("2030-03-11", "Spring day"),
                ("2029-11-05", "Too late"),
            ),
        ),
        office.id,
        clock=clock,
    )
    repriced = await StoreReads(store).leave_request(admin.tenant_id, week.id)
    assert repriced is not None
    assert (repriced.amount, repriced.status) == (Decimal(4), "submitted")
    assert date(2030, 3, 6) not in repriced.working_days
    assert repriced.history[-1]["note"] == "repriced from 5 to 4"
    cancelled = await StoreReads(store).leave_request(admin.tenant_id, single.id)
    assert cancelled is not None
    assert (cancelled.status, cancelled.rejection_reason) == ("cancelled", "no_working_days")
    untouched = await StoreReads(store).leave_request(admin.tenant_id, past.id)
    assert untouched is not None
    assert untouched.amount == Decimal(1)
    events = [r.envelope for r in await store.fetch_unpublished(1000)]
    (repricing,) = [e for e in events if e.type == "LeaveRepriced"]
    assert (repricing.data["old_amount"], repricing.data["amount"]) == ("5.00", "4.00")
    (cancel,) = [e for e in events if e.type == "LeaveCancelled"]
    assert (cancel.data["request_id"], cancel.data["note"]) == (single.id, "no_working_days")


@pytest.mark.parametrize(
    ("subdivision", "parts", "amount"),
    [
        ("BY", ("full", "full"), Decimal(4)),  # Corpus Christi, Thu 20 June 2030, is off
        ("BE", ("full", "full"), Decimal(5)),
        ("BY", ("pm", "am"), Decimal(3)),
        ("BE", ("pm", "full"), Decimal("4.5")),
    ],
)
async def test_the_working_days_preview_counts_like_a_submission(
    store: Store, subdivision: str, parts: tuple[str, str], amount: Decimal
) -> None:
    admin, lt = await setup(store)
    loc = await directory.save_location(
        StoreUnitOfWork(store),
        admin,
        LocationFields(
            name="Here", timezone="Europe/Berlin", country="DE", subdivision=subdivision
        ),
    )
    who = await person(store, admin, loc.id)
    employee = await StoreReads(store).employee(admin.tenant_id, who.employee_id)
    assert employee is not None
    start, end = date(2030, 6, 17), date(2030, 6, 21)
    preview = await queries.working_days(
        StoreReads(store),
        admin.tenant_id,
        employee,
        start,
        end,
        start_part=parts[0],
        end_part=parts[1],
    )
    submitted = await leave_requests.submit_leave_request(
        StoreUnitOfWork(store),
        clock,
        who,
        SubmitLeaveRequest(
            leave_type_id=lt, start_date=start, end_date=end, start_part=parts[0], end_part=parts[1]
        ),
    )
    assert preview.amount == submitted.amount == amount
    assert list(preview.days) == submitted.working_days


async def test_a_type_without_an_active_policy_at_the_location_is_refused(store: Store) -> None:
    admin, lt = await setup(store)
    here = await directory.save_location(StoreUnitOfWork(store), admin, LocationFields(name="Here"))
    there = await directory.save_location(
        StoreUnitOfWork(store), admin, LocationFields(name="There")
    )
    who = await person(store, admin, here.id)
    start = date(2030, 6, 17)
    await offer(store, admin.tenant_id, here.id, lt, active=False)
    with pytest.raises(errors.InvalidRequest) as info:
        await submit(store, who, lt, start, start)
    assert info.value.field == "leave_type_id"
    assert "Here" in str(info.value)
    assert await StoreReads(store).locations_by_leave_type(admin.tenant_id) == {}
    await offer(store, admin.tenant_id, there.id, lt)
    with pytest.raises(errors.InvalidRequest):
        await submit(store, who, lt, start, start)  # offered elsewhere only
    await offer(store, admin.tenant_id, here.id, lt)
    assert (await submit(store, who, lt, start, start)).amount == 1
    assert sorted((await StoreReads(store).locations_by_leave_type(admin.tenant_id))[lt]) == sorted(
        [here.id, there.id]
    )


async def test_a_late_policy_event_does_not_undo_a_newer_one(store: Store) -> None:
    admin, lt = await setup(store)
    here = await directory.save_location(StoreUnitOfWork(store), admin, LocationFields(name="Here"))
    older = PolicyUpserted(location_id=here.id, leave_type_id=lt, active=False)
    older_env = Envelope.wrap(older, tenant_id=admin.tenant_id)
    await offer(store, admin.tenant_id, here.id, lt, active=True)  # happened later
    await deliver(store, POLICY_HANDLERS, older_env)
    assert await StoreReads(store).locations_by_leave_type(admin.tenant_id) == {lt: [here.id]}


async def test_the_policy_event_that_happened_last_wins_whatever_its_id(store: Store) -> None:
    """Newest occurred_at, not newest event id (docs/adr/0004): an event made later by a
    process whose clock is behind, or replayed, must not undo what happened after it."""
    admin, lt = await setup(store)
    here = await directory.save_location(StoreUnitOfWork(store), admin, LocationFields(name="Here"))
    latest = await offer(store, admin.tenant_id, here.id, lt, active=True)
    earlier = PolicyUpserted(location_id=here.id, leave_type_id=lt, active=False)
    late = Envelope.wrap(
        earlier, tenant_id=admin.tenant_id, occurred_at=latest.occurred_at - timedelta(minutes=1)
    )
    assert late.event_id > latest.event_id  # a newer id ...
    await deliver(store, POLICY_HANDLERS, late)  # ... for an older fact: ignored
    assert await StoreReads(store).locations_by_leave_type(admin.tenant_id) == {lt: [here.id]}
    # And a fact newer than both switches it off.
    switched_off = Envelope.wrap(
        earlier, tenant_id=admin.tenant_id, occurred_at=latest.occurred_at + timedelta(minutes=1)
    )
    await deliver(store, POLICY_HANDLERS, switched_off)
    assert await StoreReads(store).locations_by_leave_type(admin.tenant_id) == {}
