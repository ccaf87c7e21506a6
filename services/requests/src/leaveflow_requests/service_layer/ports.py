"""What the use cases need from the outside world, declared here and implemented by the
adapters (`adapters/repository.py`); `bootstrap.py` wires one to the other.

The service layer imports no adapter: it sees the store only through these Protocols, so
a use case can be read (and tested) without knowing how or where documents are kept.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Iterable, Mapping
from datetime import date
from typing import Any, Protocol, TypeVar

from leaveflow_contracts import Envelope, EventData
from leaveflow_kit.clock import Clock
from leaveflow_kit.storage import Transaction

from ..domain.blackouts import Blackout
from ..domain.directory import Department, Employee, LeaveType, Location, Tenant
from ..domain.identity import Invite, MagicLink, Passkey, SignInSession, SsoConfig
from ..domain.model import LeaveRequest
from ..domain.request_rules import RequestRules
from ..domain.substitution import Substitution
from ..domain.toil import ToilClaim

T = TypeVar("T")
__all__ = [
    "Clock",
    "DirectoryReads",
    "ReadModel",
    "Record",
    "Repository",
    "RepositoryFactory",
    "SecretBox",
    "ToilCredits",
    "Undecryptable",
    "UnitOfWork",
]

Record = (
    Tenant
    | Employee
    | LeaveType
    | LeaveRequest
    | Location
    | Department
    | Substitution
    | Blackout
    | ToilClaim
)


class _TenantReads(Protocol):
    """Reads common to both sides. Each is scoped to a tenant: another tenant's record, or
    an empty id, reads as absent."""

    async def tenant(self, tenant_id: str) -> Tenant | None: ...

    async def employee(self, tenant_id: str, employee_id: str) -> Employee | None: ...

    async def employee_by_email(self, tenant_id: str, email: str) -> Employee | None:
        """`email` as stored (normalised)."""

    async def department(self, tenant_id: str, department_id: str) -> Department | None: ...

    async def location(self, tenant_id: str, location_id: str) -> Location | None: ...

    async def leave_type(self, tenant_id: str, leave_type_id: str) -> LeaveType | None: ...

    async def leave_request(self, tenant_id: str, request_id: str) -> LeaveRequest | None: ...

    async def blackouts(self, tenant_id: str) -> list[Blackout]:
        """The company's blackout periods, any order."""

    async def blackout(self, tenant_id: str, blackout_id: str) -> Blackout | None: ...

    async def live_requests_overlapping(
        self, tenant_id: str, employee_id: str, start: date, end: date
    ) -> list[LeaveRequest]:
        """Submitted, pending or approved requests of the employee that touch [start, end]."""

    async def policy_rules(
        self, tenant_id: str, location_id: str, leave_type_id: str
    ) -> RequestRules:
        """The request rules of the (location, type) policy; none when there is none."""

    async def departments(self, tenant_id: str) -> list[Department]:
        """Every department of the tenant, inactive ones included."""

    async def locations(self, tenant_id: str) -> list[Location]:
        """Every location of the tenant, inactive ones included."""

    async def leave_types(self, tenant_id: str) -> list[LeaveType]:
        """Every leave type of the tenant, inactive ones included."""

    async def employee_ids_in(self, tenant_id: str, department_ids: Iterable[str]) -> set[str]:
        """The ids of the employees whose department is one of `department_ids` now."""

    async def admin_ids(self, tenant_id: str) -> set[str]: ...

    async def substitution(self, tenant_id: str, substitution_id: str) -> Substitution | None: ...

    async def substitutions(self, tenant_id: str) -> list[Substitution]:
        """Every substitution of the tenant, past ones included."""

    async def on_approved_leave(self, tenant_id: str, employee_id: str, day: date) -> bool:
        """Whether an approved request of the employee takes (part of) `day`."""

    async def pending_requests(self, tenant_id: str | None) -> list[LeaveRequest]:
        """Every pending request of the tenant (None: of every tenant)."""

    async def toil_claim(self, tenant_id: str, toil_id: str) -> ToilClaim | None: ...

    async def pending_toil_claims(self, tenant_id: str, employee_id: str) -> list[ToilClaim]:
        """The employee's TOIL claims waiting for a decision."""

    async def toil_offered(self, tenant_id: str, location_id: str, leave_type_id: str) -> bool:
        """Whether balances has an active TOIL policy for the type at the location."""


class _IdentityReads(Protocol):
    """Sign-in records (docs/adr/0009). Sessions, links and passkeys are found by their
    own ids, which only their holder knows; callers check whose they are."""

    async def employees_with_email(self, email: str) -> list[Employee]:
        """Everyone with this (normalised) email, in every company."""

    async def sso_config(self, tenant_id: str) -> SsoConfig | None: ...

    async def sso_tenant_of_domain(self, domain: str) -> str | None:
        """The company whose single sign-on lists `domain` (at most one does)."""

    async def sign_in_session(self, session_id: str) -> SignInSession | None: ...

    async def sessions_of(self, tenant_id: str, employee_id: str) -> list[SignInSession]:
        """Every session of the person, revoked ones included, oldest first."""

    async def magic_link(self, link_id: str) -> MagicLink | None: ...

    async def passkey(self, passkey_id: str) -> Passkey | None: ...

    async def passkey_by_credential(self, credential_id: str) -> Passkey | None: ...

    async def passkeys_of(self, tenant_id: str, employee_id: str) -> list[Passkey]: ...

    async def invites(self, tenant_id: str) -> list[Invite]: ...


class _IdentityWrites(Protocol):
    async def save_sso(self, config: SsoConfig) -> None: ...

    async def delete_sso(self, tenant_id: str) -> None: ...

    async def claim_domain(self, domain: str, tenant_id: str) -> None:
        """Record that `domain` is the company's (replacing nobody: check first)."""

    async def release_domain(self, domain: str) -> None: ...

    async def save_session(self, session: SignInSession) -> None: ...

    async def save_magic_link(self, link: MagicLink) -> None: ...

    async def add_passkey(self, passkey: Passkey) -> None:
        """Raises `leaveflow_kit.storage.DuplicateKey` when the credential id is taken."""

    async def save_passkey(self, passkey: Passkey) -> None: ...

    async def delete_passkey(self, passkey_id: str) -> None: ...

    async def save_invite(self, invite: Invite) -> None: ...


class Repository(_TenantReads, _IdentityReads, _IdentityWrites, Protocol):
    """The requests service's records inside one transaction: what it reads is consistent
    with what it writes, and everything (events included) commits together or not at all."""

    async def employees_at(self, tenant_id: str, location_id: str) -> list[Employee]: ...

    async def leave_type_used(self, tenant_id: str, leave_type_id: str) -> bool:
        """Whether any request names the type (then it may only be deactivated)."""

    async def offers(self, tenant_id: str, location_id: str, leave_type_id: str) -> bool:
        """Whether balances has an active policy for the type at the location."""

    async def save_policy(
        self,
        tenant_id: str,
        location_id: str,
        leave_type_id: str,
        *,
        active: bool,
        at: Envelope,
        rules: RequestRules | None = None,
        toil: bool = False,
    ) -> bool:
        """Keep the (location, type) policy's state, request rules and whether it is time
        off in lieu from the balances
        event `at`, unless the one kept already happened later (the replica rule,
        docs/adr/0004); whether it was kept."""

    async def add_tenant(self, tenant: Tenant) -> None: ...

    async def any_tenant(self) -> bool:
        """Whether any company exists on this installation."""

    async def claim_first_signup(self, tenant_id: str) -> bool:
        """Record that `tenant_id` is the installation's first company; False when one was
        recorded already. Two first signups racing both write the same record, so one of
        them fails its commit (`DuplicateKey`, or a conflict whose retry answers False)."""

    async def add_employee(self, employee: Employee) -> None:
        """Raises `leaveflow_kit.storage.DuplicateKey` when the email is taken in the tenant."""

    async def save(self, record: Record) -> None:
        """Insert or replace."""

    async def delete_leave_type(self, leave_type_id: str) -> None: ...

    async def delete_substitution(self, substitution_id: str) -> None: ...
    async def delete_blackout(self, blackout_id: str) -> None: ...

    async def record(
        self,
        data: EventData,
        *,
        tenant_id: str,
        actor: str | None = None,
        correlation_id: str | None = None,
        cause: Envelope | None = None,
    ) -> Envelope:
        """Record an event in the outbox and in the tenant's event log (for the SSE
        stream), in this same transaction: the stream shows only what was committed."""


class RepositoryFactory(Protocol):
    """The repository over a transaction someone else opened (an event consumer's)."""

    def __call__(self, tx: Transaction) -> Repository: ...


class UnitOfWork(Protocol):
    async def run(self, work: Callable[[Repository], Awaitable[T]]) -> T:
        """Run `work` in one transaction and commit. On a conflict it runs again, so it
        must have no effect outside the repository it is given."""


class ReadModel(_TenantReads, _IdentityReads, Protocol):
    """Reads outside any transaction, for the HTTP queries and the event stream."""

    async def employees_of(
        self,
        tenant_id: str,
        *,
        limit: int,
        cursor: str | None,
        department_id: str | None = None,
        location_id: str | None = None,
    ) -> tuple[list[Employee], str | None]:
        """A page of the tenant's employees in key order (in the department and at the
        location, where given: the team calendar of a department reads only its people),
        and the cursor of the next."""

    async def leave_requests(
        self,
        tenant_id: str,
        *,
        limit: int,
        cursor: str | None,
        start: date | None,
        end: date | None,
        filters: Mapping[str, str],
        employee_ids: Collection[str] | None = None,
    ) -> tuple[list[LeaveRequest], str | None]:
        """A page of requests whose fields equal `filters`; with a date window, only those
        touching it; with `employee_ids`, only theirs (pages fill up to `limit` matches; the
        cursor is the last key scanned)."""

    async def toil_claims(
        self,
        tenant_id: str,
        *,
        limit: int,
        cursor: str | None,
        filters: Mapping[str, str],
        employee_ids: Collection[str] | None = None,
    ) -> tuple[list[ToilClaim], str | None]:
        """A page of TOIL claims whose fields equal `filters`, only those of `employee_ids`
        when given (pages fill up to `limit` matches; the cursor is the last key scanned)."""

    async def locations_by_leave_type(self, tenant_id: str) -> dict[str, list[str]]:
        """For each leave type, the locations where balances offers it."""

    async def events_after(self, tenant_id: str, after: str, *, limit: int) -> list[dict[str, Any]]:
        """The tenant's event log after the event id `after`, in id order."""


# The reads both sides offer: what a rule about today's directory needs, in a use case's
# transaction or outside one.
DirectoryReads = _TenantReads


class Undecryptable(Exception):
    """Sealed under another key (REQUESTS_SECRET_KEY changed), or not a ciphertext."""


class ToilCredits(Protocol):
    """Balances' side of cancelling an approved time-off-in-lieu claim: its credit taken
    back, once (a retry is fine), before the claim is cancelled."""

    async def take_back(
        self, tenant_id: str, employee_id: str, toil_id: str, cancelled_by: str
    ) -> None:
        """`errors.InvalidTransition` with balances' sentence when it keeps the credit
        (approved leave uses some, or it is not booked yet); `errors.Unavailable` when
        balances cannot be asked."""


class SecretBox(Protocol):
    """Secrets at rest (a company's SSO client secret): sealed before they are stored."""

    def seal(self, plain: str) -> str: ...

    def open(self, sealed: str) -> str:
        """Raises `Undecryptable`."""
