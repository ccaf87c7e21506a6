"""The reservation saga, balances' side (docs/architecture.md): reserve the days of a
submitted request or reject it, deduct on approval, release on a denial or cancellation
(restore if already deducted), and follow a re-pricing by the difference. A person's
edit (`LeaveRepriced.edit_id`) that would take more than is left is refused like a
submission: nothing booked, `LeaveEditRejected` for requests to put the request back
(docs/adr/0011-an-edit-is-checked-like-a-submission.md).

Nothing gets stuck here:
- A request whose own facts the leave-year arithmetic cannot hold (a date past what
  `date` represents, e.g. 9999-12-30 -> "year 10000 is out of range") is rejected with
  reason `invalid_request: ...` through the kit's `InvalidEvent`: retrying could never
  succeed, so it must not be retried until dead-lettered while the request waits as
  `submitted` forever.
- A cancellation can reach balances before the request it withdraws (a `submitted`
  request withdrawn while balances was behind or down, a replay). It leaves a
  `withdrawn` reservation as a marker, so the late LeaveRequested reserves nothing and
  answers nothing: the request is already cancelled, a rejection would only be noise.
"""

from __future__ import annotations

from datetime import UTC
from decimal import Decimal

from leaveflow_contracts import (
    LeaveApproved,
    LeaveCancelled,
    LeaveDenied,
    LeaveEditRejected,
    LeaveRepriced,
    LeaveRequested,
    LeaveReservationRejected,
    LeaveReserved,
)
from leaveflow_kit.logging import get_logger
from leaveflow_kit.messaging import Handled, Handlers, InvalidEvent
from leaveflow_kit.storage import Transaction

from ..domain import ledger
from ..domain.calendar import leave_year_of
from ..domain.ledger import LedgerEntry, day_amounts_text
from ..domain.replicas import EmployeeReplica, Portion, Reservation
from ..domain.split import by_leave_year, day_amounts
from .ports import Repository, RepositoryFactory
from .projection import active_policy, type_balance, year_start_of

log = get_logger(__name__)

INSUFFICIENT_BALANCE, NO_POLICY = "insufficient_balance", "no_policy"
INVALID_REQUEST = "invalid_request"
# A reservation's state when the cancellation came first: nothing reserved, ever.
WITHDRAWN = "withdrawn"
# What the domain raises for facts it cannot work with (dates out of `date`'s range, an
# amount that overflows): the event itself is wrong, so no retry can apply it.
INVALID_FACTS = (ValueError, ArithmeticError)
_REASON_LENGTH = 200


def invalid_reason(error: Exception) -> str:
    """A reason people can read: the code, then what was wrong, kept short."""
    return f"{INVALID_REQUEST}: {error}"[:_REASON_LENGTH]


# The request events balances books from; they all carry the request's facts.
RequestFacts = LeaveRequested | LeaveApproved | LeaveDenied | LeaveCancelled | LeaveRepriced


def _booking(
    event: Handled[RequestFacts], portion: Portion, kind: str, *, sign: int = 1, suffix: str = ""
) -> LedgerEntry:
    data = event.data
    amounts = {d: str(Decimal(v) * sign) for d, v in portion.day_amounts.items()}
    return LedgerEntry(
        # Deterministic id: the same step of the same request can never be booked twice.
        id=f"{data.request_id}:{kind}:{portion.label}{suffix}",
        tenant_id=event.envelope.tenant_id,
        employee_id=data.employee_id,
        leave_type_id=data.leave_type_id,
        kind=kind,
        amount=portion.amount * sign,
        effective_date=portion.first_day,
        source_event_id=event.envelope.event_id,
        request_id=data.request_id,
        day_amounts=amounts,
        leave_year=portion.label,
        booked_on=event.envelope.occurred_at.astimezone(UTC).date(),
    )


def _portions(data: RequestFacts, year_start: str) -> list[Portion]:
    amounts = day_amounts(
        data.working_days,
        data.amount,
        start_date=data.start_date,
        end_date=data.end_date,
        start_part=data.start_part,
        end_part=data.end_part,
    )
    split = by_leave_year(amounts, lambda d: leave_year_of(d, year_start))
    return [Portion(year.label, day_amounts_text(days)) for year, days in split.items()]


class InvalidRequest(Exception):
    """The request's own facts cannot be booked: it is rejected with `reason`, never
    retried (`reject_invalid`, in a transaction of its own)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


async def reject_invalid(repo: Repository, event: Handled[LeaveRequested], reason: str) -> None:
    """Answer an invalid request: a rejected reservation (so a redelivery or a late
    cancellation finds it) and LeaveReservationRejected, which requests turns into
    `rejected` with the reason."""
    data = event.data
    await repo.save_reservation(
        Reservation(
            id=data.request_id,
            tenant_id=event.envelope.tenant_id,
            employee_id=data.employee_id,
            leave_type_id=data.leave_type_id,
            amount=data.amount,
            state="rejected",
        )
    )
    _reject(repo, event, reason, data.amount, None)


def _reject(
    repo: Repository,
    event: Handled[LeaveRequested],
    reason: str,
    amount: Decimal,
    available: Decimal | None,
) -> None:
    data = event.data
    repo.record(
        LeaveReservationRejected(
            request_id=data.request_id,
            employee_id=data.employee_id,
            leave_type_id=data.leave_type_id,
            amount=amount,
            reason=reason,
            available=available,
        ),
        tenant_id=event.envelope.tenant_id,
        actor="balances",
        cause=event.envelope,
    )


async def on_leave_requested(repo: Repository, event: Handled[LeaveRequested]) -> None:
    """Reserve the days, or reject the request for want of balance (or of a policy).

    A request across two leave years is split by date and each part checked against its
    own year; carried days count only for the part's days before they expire."""
    data = event.data
    if await repo.reservation(data.request_id) is not None:
        return
    tenant_id = event.envelope.tenant_id
    # Two instances reserving for one employee must conflict in the store, or both could
    # read the same balance and overspend it (MongoDB snapshot isolation).
    await repo.touch_balance_guard(tenant_id, data.employee_id, data.leave_type_id)
    reservation = Reservation(
        id=data.request_id,
        tenant_id=tenant_id,
        employee_id=data.employee_id,
        leave_type_id=data.leave_type_id,
        amount=data.amount,
        state="rejected",
    )
    employee = await repo.employee(tenant_id, data.employee_id)
    policy = await active_policy(repo, employee, data.leave_type_id) if employee else None
    if employee is None or policy is None:
        await repo.save_reservation(reservation)
        _reject(repo, event, NO_POLICY, data.amount, None)
        return
    year_start = await year_start_of(repo, employee)
    entries = await repo.entries(tenant_id, employee.id)
    try:
        reservation.portions = _portions(data, year_start)
        available_after: Decimal | None = None
        for portion in reservation.portions:
            view = await type_balance(
                repo, employee, policy, portion.last_day, entries, year_start=year_start
            )
            before = portion.amount_before(view.balance.carryover_expires_on)
            available = view.balance.available_for(before)
            if not view.balance.can_reserve(portion.amount, before):
                await repo.save_reservation(reservation)
                _reject(repo, event, INSUFFICIENT_BALANCE, portion.amount, available)
                return
            if available_after is None:
                available_after = available - portion.amount
    except INVALID_FACTS as error:
        raise InvalidRequest(invalid_reason(error)) from error
    for portion in reservation.portions:
        await repo.add_entry(_booking(event, portion, ledger.RESERVATION))
    reservation.state = "reserved"
    await repo.save_reservation(reservation)
    repo.record(
        LeaveReserved(
            request_id=data.request_id,
            employee_id=data.employee_id,
            leave_type_id=data.leave_type_id,
            amount=data.amount,
            available_after=None if policy.unlimited else available_after,
        ),
        tenant_id=tenant_id,
        actor="balances",
        cause=event.envelope,
    )


async def on_leave_approved(repo: Repository, event: Handled[LeaveApproved]) -> None:
    """A reservation becomes a deduction."""
    data = event.data
    reservation = await repo.reservation(data.request_id)
    if reservation is None or reservation.state != "reserved":
        return
    for portion in reservation.portions:
        await repo.add_entry(_booking(event, portion, ledger.RESERVATION_RELEASE))
        await repo.add_entry(_booking(event, portion, ledger.DEDUCTION))
    reservation.state = "deducted"
    await repo.save_reservation(reservation)


async def on_leave_released(repo: Repository, event: Handled[LeaveDenied | LeaveCancelled]) -> None:
    """Denied or cancelled: release the reservation, or restore deducted days. Before
    the request itself arrived: leave the marker that makes it reserve nothing."""
    data = event.data
    reservation = await repo.reservation(data.request_id)
    if reservation is None:
        await repo.save_reservation(
            Reservation(
                id=data.request_id,
                tenant_id=event.envelope.tenant_id,
                employee_id=data.employee_id,
                leave_type_id=data.leave_type_id,
                amount=data.amount,
                state=WITHDRAWN,
            )
        )
        return
    if reservation.state not in ("reserved", "deducted"):
        return
    kind = ledger.RESTORATION if reservation.state == "deducted" else ledger.RESERVATION_RELEASE
    for portion in reservation.portions:
        await repo.add_entry(_booking(event, portion, kind))
    reservation.state = "released"
    await repo.save_reservation(reservation)


async def on_leave_repriced(repo: Repository, event: Handled[LeaveRepriced]) -> None:
    """The request's price changed: the reservation (or deduction) follows by the
    difference, day by day and year by year, booked as its own entry so the ledger shows
    why."""
    data = event.data
    reservation = await repo.reservation(data.request_id)
    if reservation is None or reservation.state not in ("reserved", "deducted"):
        return
    employee = await repo.employee(event.envelope.tenant_id, data.employee_id)
    if employee is None:
        return
    try:
        new = {p.label: p for p in _portions(data, await year_start_of(repo, employee))}
    except INVALID_FACTS as error:
        # A price balances cannot book: keep the reservation as it was rather than retry
        # an event that can never apply (requests bounds the dates it re-prices).
        log.warning("reprice_not_applied", request_id=data.request_id, error=str(error))
        return
    old = {p.label: p for p in reservation.portions}
    if data.edit_id is not None and await _refused_edit(repo, event, employee, new, old):
        return
    kind = ledger.DEDUCTION if reservation.state == "deducted" else ledger.RESERVATION
    for label in sorted(new.keys() | old.keys()):
        before = old.get(label, Portion(label)).day_amounts
        after = new.get(label, Portion(label)).day_amounts
        delta = {
            d: str(Decimal(after.get(d, "0")) - Decimal(before.get(d, "0")))
            for d in sorted(before.keys() | after.keys())
        }
        delta = {d: v for d, v in delta.items() if Decimal(v) != 0}
        if not delta:
            continue
        entry = _booking(event, Portion(label, delta), kind, suffix=f":{event.envelope.event_id}")
        entry.reason = f"repriced from {data.old_amount} to {data.amount}"
        await repo.add_entry(entry)
    reservation.portions = [new[label] for label in sorted(new)]
    reservation.amount = data.amount
    await repo.save_reservation(reservation)


async def _refused_edit(
    repo: Repository,
    event: Handled[LeaveRepriced],
    employee: EmployeeReplica,
    new: dict[int, Portion],
    old: dict[int, Portion],
) -> bool:
    """Whether an edit asks more of some leave year than it has left; if so, answer
    `LeaveEditRejected` and book nothing. Only the increase is checked: the old days are
    reserved or deducted already, so they count as taken in the balance read here. A
    shorter edit is never refused, nor a type without a policy now (it was reserved)."""
    data, tenant_id = event.data, event.envelope.tenant_id
    policy = await active_policy(repo, employee, data.leave_type_id)
    if policy is None or policy.unlimited:
        return False
    await repo.touch_balance_guard(tenant_id, data.employee_id, data.leave_type_id)
    year_start = await year_start_of(repo, employee)
    entries = await repo.entries(tenant_id, employee.id)
    for label in sorted(new):
        portion, was = new[label], old.get(label, Portion(label))
        increase = portion.amount - was.amount
        if increase <= 0:
            continue
        view = await type_balance(
            repo, employee, policy, portion.last_day, entries, year_start=year_start
        )
        expires = view.balance.carryover_expires_on
        before = max(portion.amount_before(expires) - was.amount_before(expires), Decimal(0))
        if view.balance.can_reserve(increase, before):
            continue
        assert data.edit_id is not None  # only edits are checked
        repo.record(
            LeaveEditRejected(
                request_id=data.request_id,
                edit_id=data.edit_id,
                employee_id=data.employee_id,
                leave_type_id=data.leave_type_id,
                amount=data.amount,
                old_amount=data.old_amount,
                reason=INSUFFICIENT_BALANCE,
                available=view.balance.available_for(before),
            ),
            tenant_id=tenant_id,
            actor="balances",
            cause=event.envelope,
        )
        return True
    return False


def reservation_handlers(repositories: RepositoryFactory) -> Handlers:
    """The saga's steps on the repository over the consumer's transaction."""
    handlers = Handlers()

    @handlers.on
    async def requested(tx: Transaction, event: Handled[LeaveRequested]) -> None:
        try:
            await on_leave_requested(repositories(tx), event)
        except InvalidRequest as invalid:
            reason = invalid.reason

            # The kit rolls this transaction back and records the rejection in a new one
            # with the inbox mark: once, acknowledged, no retries, no dead letter.
            async def record(fresh: Transaction) -> None:
                await reject_invalid(repositories(fresh), event, reason)

            raise InvalidEvent(reason, record=record) from invalid

    @handlers.on
    async def approved(tx: Transaction, event: Handled[LeaveApproved]) -> None:
        await on_leave_approved(repositories(tx), event)

    @handlers.on
    async def released(tx: Transaction, event: Handled[LeaveDenied | LeaveCancelled]) -> None:
        await on_leave_released(repositories(tx), event)

    @handlers.on
    async def repriced(tx: Transaction, event: Handled[LeaveRepriced]) -> None:
        await on_leave_repriced(repositories(tx), event)

    return handlers
