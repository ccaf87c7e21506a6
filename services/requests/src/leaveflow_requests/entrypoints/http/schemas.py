"""HTTP request and response models of the requests service.

Responses keep the JSON the API has always sent: amounts as JSON numbers, dates as
ISO strings, `created_at` and history times exactly as recorded, every field present
(null when unset).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import asdict
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    ValidationInfo,
    field_validator,
    model_validator,
)

from leaveflow_kit.validation import BoundedDate, IanaZone, Text

from ...domain.approval import LevelRule
from ...domain.directory import (
    MAX_LABEL_LENGTH,
    MAX_LABELS,
    Department,
    Employee,
    LeaveType,
    Location,
    clean_labels,
    normalise_email,
)
from ...domain.identity import SsoConfig, check_issuer, normalise_domain
from ...domain.model import LeaveRequest
from ...domain.substitution import Substitution
from ...domain.working_days import WorkingDays
from ...service_layer.employee_import import ImportReport

EmailStr = Annotated[str, AfterValidator(normalise_email)]

JsonAmount = Annotated[Decimal, PlainSerializer(float, return_type=float, when_used="json")]


class _In(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)


LEAVE_YEARS_AROUND_TODAY = 5


def _years_from(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def _near_today(value: date) -> date:
    """Leave is taken within five years either side of today (a 9999-12-30 request once
    poisoned the balances service)."""
    today = date.today()
    first = _years_from(today, -LEAVE_YEARS_AROUND_TODAY)
    last = _years_from(today, LEAVE_YEARS_AROUND_TODAY)
    if not first <= value <= last:
        raise ValueError(f"leave is requested between {first} and {last}")
    return value


# A zone of the zone list read once (a 300-character name per request was an `OSError:
# File name too long` from the file system, a 500).
TimeZone = IanaZone
LeaveDate = Annotated[BoundedDate, AfterValidator(_near_today)]
Name = Annotated[str, Text(200, min_length=1)]
TypeName = Annotated[str, Text(100, min_length=1)]
Note = Annotated[str, Text(2000, multiline=True)]
ExternalId = Annotated[str, Text(100)]
IsoWeekday = Annotated[int, Field(ge=1, le=7)]
Id = Annotated[str, Field(min_length=1, max_length=64)]
IsoWeekdayKey = Annotated[str, Field(pattern=r"^[1-7]$")]
# Trimmed and de-duplicated after the bounds (a few spare for duplicates and spaces).
Labels = Annotated[
    list[Annotated[str, Field(max_length=MAX_LABEL_LENGTH + 20)]],
    Field(max_length=MAX_LABELS * 2),
    AfterValidator(clean_labels),
]


def _month_day(value: str) -> str:
    # "anniversary": each person's leave year starts on their start date's anniversary.
    if value == "anniversary":
        return value
    if not re.fullmatch(r"\d\d-\d\d", value):
        raise ValueError("leave_year_start is MM-DD or anniversary")
    try:
        date.fromisoformat(f"2001-{value}")  # not a leap year: 02-29 cannot start a year
    except ValueError:
        raise ValueError(f"{value} is not a day of the year") from None
    return value


class HolidaySourceIn(_In):
    country: str = Field(min_length=2, max_length=3)
    subdivision: str | None = Field(None, max_length=10)


class ExtraHolidayIn(_In):
    date: BoundedDate
    name: Name


class LocationIn(_In):
    name: Name
    timezone: TimeZone = "UTC"
    workweek: list[IsoWeekday] = Field(default_factory=lambda: [1, 2, 3, 4, 5], min_length=1)
    holidays: HolidaySourceIn | None = None
    extra_holidays: list[ExtraHolidayIn] = Field(default_factory=list, max_length=1000)
    leave_year_start: Annotated[str, AfterValidator(_month_day)] = "01-01"


class LocationPatch(_In):
    name: Name | None = None
    timezone: TimeZone | None = None
    workweek: list[IsoWeekday] | None = Field(None, min_length=1)
    holidays: HolidaySourceIn | None = None
    extra_holidays: list[ExtraHolidayIn] | None = Field(None, max_length=1000)
    leave_year_start: Annotated[str, AfterValidator(_month_day)] | None = None

    @field_validator("name", "timezone", "workweek", "leave_year_start", mode="before")
    @classmethod
    def _not_null(cls, value: object, info: ValidationInfo) -> object:
        # Left out keeps the current value; an explicit null would leave a location
        # without one. (`holidays: null` and `extra_holidays: null` clear those.)
        if value is None:
            raise ValueError(f"{info.field_name} cannot be null")
        return value


class TenantIn(_In):
    name: Name
    admin_name: Name
    admin_email: EmailStr
    timezone: TimeZone = "UTC"


class ApprovalLevelIn(_In):
    """One level: it applies when each condition given holds (`amount >= min_amount` in the
    type's unit; the type is listed)."""

    approver_ids: list[Id] = Field(min_length=1, max_length=100)
    min_amount: Decimal | None = Field(None, ge=0, le=1000, decimal_places=2)
    leave_type_ids: list[Id] | None = Field(None, min_length=1, max_length=100)

    def rule(self) -> LevelRule:
        return LevelRule(list(self.approver_ids), self.min_amount, self.leave_type_ids)


ApprovalLevels = Annotated[list[ApprovalLevelIn], Field(max_length=10)]


# Coverage: at most this many of the department's people off on a day.
MaxOff = Annotated[int, Field(ge=1, le=100_000)]
MaxOffMode = Literal["block", "warn"]


class DepartmentIn(_In):
    name: Name
    # The shorthand of one unconditional level; with `approval_levels`, its first level's.
    approver_ids: list[Id] | None = Field(None, max_length=100)
    approval_levels: ApprovalLevels | None = None
    max_off: MaxOff | None = None
    max_off_mode: MaxOffMode = "block"


class DepartmentPatch(_In):
    name: Name | None = None
    # Alone: the first level's approvers (the other levels stay).
    approver_ids: list[Id] | None = Field(None, max_length=100)
    approval_levels: ApprovalLevels | None = None
    # Left out: unchanged; null: no limit.
    max_off: MaxOff | None = None
    max_off_mode: MaxOffMode | None = None


class DevLoginIn(_In):
    tenant_id: str = Field(min_length=1, max_length=100)
    email: EmailStr


class EmployeeIn(_In):
    name: Name
    email: EmailStr
    role: Literal["admin", "approver", "user"] = "user"
    location_id: Id | None = None
    department_id: Id | None = None
    start_date: BoundedDate | None = None
    end_date: BoundedDate | None = None
    slack_user_id: ExternalId | None = None
    teams_user_id: ExternalId | None = None
    work_hours_per_day: Decimal = Field(Decimal(8), gt=0, le=24)
    work_pattern: dict[IsoWeekdayKey, Annotated[Decimal, Field(ge=0, le=24)]] | None = None
    # An approver whose approved leave hands their decisions to the department's other
    # approvers (else the admins) on those days.
    when_on_leave: bool = False
    # Free labels ("senior") for balances' `label_extra`: trimmed, unique, at most 20 of at
    # most 40 characters.
    labels: Labels = Field(default_factory=list)

    @field_validator("end_date")
    @classmethod
    def _employment_in_order(cls, value: date | None, info: ValidationInfo) -> date | None:
        start = info.data.get("start_date")
        if value is not None and start is not None and value < start:
            raise ValueError("end_date is before start_date")
        return value


class EmployeePatch(_In):
    name: Name | None = None
    email: EmailStr | None = None
    role: Literal["admin", "approver", "user"] | None = None
    location_id: Id | None = None
    department_id: Id | None = None
    start_date: BoundedDate | None = None
    end_date: BoundedDate | None = None
    slack_user_id: ExternalId | None = None
    teams_user_id: ExternalId | None = None
    work_hours_per_day: Decimal | None = Field(None, gt=0, le=24)
    work_pattern: dict[IsoWeekdayKey, Annotated[Decimal, Field(ge=0, le=24)]] | None = None
    when_on_leave: bool | None = None
    labels: Labels | None = None


class LeaveTypePatch(_In):
    name: TypeName | None = None
    requires_approval: bool | None = None
    allow_half_days: bool | None = None
    color: str | None = Field(None, pattern=r"^#[0-9a-fA-F]{6}$")
    annual_allowance: Decimal | None = Field(None, ge=0, le=1000, decimal_places=2)
    active: bool | None = None
    private: bool | None = None


class LeaveTypeIn(_In):
    name: TypeName
    unit: Literal["days", "hours"] = "days"
    requires_approval: bool = True
    allow_half_days: bool = True
    color: str | None = Field(None, pattern=r"^#[0-9a-fA-F]{6}$")
    # Flat yearly allowance until per-location policies exist (balances service).
    annual_allowance: Decimal | None = Field(None, ge=0, le=1000, decimal_places=2)
    # Others see "Away" instead of this type on the calendar, who's-off and feeds.
    private: bool = False


class LeaveRequestIn(_In):
    employee_id: Id | None = None
    leave_type_id: Id
    start_date: LeaveDate
    end_date: LeaveDate
    start_part: Literal["full", "am", "pm"] = "full"
    end_part: Literal["full", "am", "pm"] = "full"
    hours: Decimal | None = Field(None, gt=0, le=24, decimal_places=2)
    reason: Note | None = None
    override_rules: bool = False


class SubstitutionIn(_In):
    approver_id: Id
    substitute_id: Id
    # Inclusive, in the approver's location's dates.
    start_date: LeaveDate
    end_date: LeaveDate

    @field_validator("end_date")
    @classmethod
    def _in_order(cls, value: date, info: ValidationInfo) -> date:
        start = info.data.get("start_date")
        if start is not None and value < start:
            raise ValueError("end_date is before start_date")
        return value


class LeaveRequestPatch(_In):
    """Only the fields given change; `reason: null` clears the reason."""

    start_date: LeaveDate | None = None
    end_date: LeaveDate | None = None
    start_part: Literal["full", "am", "pm"] | None = None
    end_part: Literal["full", "am", "pm"] | None = None
    hours: Decimal | None = Field(None, gt=0, le=24, decimal_places=2)
    reason: Note | None = None

    @field_validator("start_date", "end_date", "start_part", "end_part", "hours", mode="before")
    @classmethod
    def _not_null(cls, value: object, info: ValidationInfo) -> object:
        # Left out keeps the current value; null would leave the request without one.
        if value is None:
            raise ValueError(f"{info.field_name} cannot be null")
        return value


class NoteIn(_In):
    note: Note | None = None


class RequiredNoteIn(_In):
    note: Annotated[str, Text(2000, min_length=1, multiline=True)]


# A decision of a level the client saw: another level is current by now (someone decided
# meanwhile, a button pressed twice) → 409 rather than deciding the next level too.
Level = Annotated[int, Field(ge=1, le=100)]


class ApproveIn(NoteIn):
    level: Level | None = None


class DenyIn(RequiredNoteIn):
    level: Level | None = None


# --- responses ----------------------------------------------------------------------------

ItemT = TypeVar("ItemT")


class PageOut(BaseModel, Generic[ItemT]):
    """One page of a list; `next_cursor` is null on the last page."""

    items: list[ItemT]
    next_cursor: str | None


class TenantCreatedOut(BaseModel):
    tenant_id: str
    admin_id: str
    token: str


class TokenOut(BaseModel):
    token: str
    employee_id: str
    role: str


class JwksOut(BaseModel):
    keys: list[dict[str, Any]]


class ApprovalLevelOut(BaseModel):
    approver_ids: list[str]
    min_amount: JsonAmount | None
    leave_type_ids: list[str] | None


class DepartmentOut(BaseModel):
    id: str
    name: str
    # The first level's approvers.
    approver_ids: list[str]
    active: bool
    approval_levels: list[ApprovalLevelOut]
    # null: no coverage limit.
    max_off: int | None
    max_off_mode: str

    @classmethod
    def of(cls, d: Department) -> DepartmentOut:
        levels = [
            ApprovalLevelOut(
                approver_ids=r.approver_ids,
                min_amount=r.min_amount,
                leave_type_ids=r.leave_type_ids,
            )
            for r in d.rules()
        ]
        return cls(
            id=d.id,
            name=d.name,
            approver_ids=d.approver_ids,
            active=d.active,
            approval_levels=levels,
            max_off=d.max_off,
            max_off_mode=d.max_off_mode,
        )


class HolidaySourceOut(BaseModel):
    country: str
    subdivision: str | None


class HolidayOut(BaseModel):
    date: date
    name: str


class LocationOut(BaseModel):
    id: str
    name: str
    timezone: str
    workweek: list[int]
    holidays: HolidaySourceOut | None
    extra_holidays: list[HolidayOut]
    leave_year_start: str
    active: bool

    @classmethod
    def of(cls, loc: Location) -> LocationOut:
        source = (
            HolidaySourceOut(country=loc.country, subdivision=loc.subdivision)
            if loc.country
            else None
        )
        return cls(
            id=loc.id,
            name=loc.name,
            timezone=loc.timezone,
            workweek=loc.workweek,
            holidays=source,
            extra_holidays=[HolidayOut.model_validate(h) for h in loc.extra_holidays],
            leave_year_start=loc.leave_year_start,
            active=loc.active,
        )


class LocationHolidaysOut(BaseModel):
    location_id: str
    year: int
    items: list[HolidayOut]


class EmployeeOut(BaseModel):
    id: str
    tenant_id: str
    name: str
    email: str
    role: str
    location_id: str | None
    department_id: str | None
    start_date: date | None
    end_date: date | None
    slack_user_id: str | None
    teams_user_id: str | None
    work_hours_per_day: float
    work_pattern: dict[str, float] | None
    when_on_leave: bool
    labels: list[str]

    @classmethod
    def of(cls, e: Employee) -> EmployeeOut:
        # Decimals become JSON numbers; request_guard is bookkeeping, not API.
        return cls.model_validate(asdict(e))


class ImportErrorOut(BaseModel):
    line: int
    message: str


class ImportReportOut(BaseModel):
    created: int
    updated: int
    errors: list[ImportErrorOut]

    @classmethod
    def of(cls, report: ImportReport) -> ImportReportOut:
        return cls.model_validate(
            {"created": report.created, "updated": report.updated, "errors": report.errors}
        )


class LeaveTypeOut(BaseModel):
    id: str
    tenant_id: str
    name: str
    unit: str
    requires_approval: bool
    allow_half_days: bool
    color: str | None
    active: bool
    annual_allowance: float | None
    private: bool
    # Where it can be requested: the locations with an active policy in balances.
    location_ids: list[str]

    @classmethod
    def of(cls, t: LeaveType, available_at: dict[str, list[str]]) -> LeaveTypeOut:
        return cls.model_validate({**asdict(t), "location_ids": sorted(available_at.get(t.id, []))})


class HistoryEntryOut(BaseModel):
    """One step of a request's life, as recorded (`at` is the recorded ISO time)."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)
    from_: str | None = Field(alias="from")
    to: str
    at: str
    by: str | None
    note: str | None


class ApprovalLevelStateOut(BaseModel):
    level: int
    approver_ids: list[str]
    # waiting | pending | approved | denied | skipped
    status: str
    decided_by: str | None
    decided_at: datetime | None
    note: str | None


class ApprovalOut(BaseModel):
    """The request's levels, fixed when it became pending; `current_level` is the one
    deciding now (null once decided)."""

    current_level: int | None
    levels: list[ApprovalLevelStateOut]


class LeaveRequestOut(BaseModel):
    id: str
    employee_id: str
    leave_type_id: str
    start_date: date
    end_date: date
    start_part: str
    end_part: str
    amount: float
    unit: str
    working_days: list[date]
    status: str
    rejection_reason: str | None
    reason: str | None
    department_id: str | None
    created_at: str | None
    history: list[HistoryEntryOut]
    # null: the type needs no approval, or the request has not been reserved yet.
    approval: ApprovalOut | None
    sandwiched_days: list[date] = []
    warnings: list[str] = []
    rules_overridden: bool = False

    @classmethod
    def of(cls, r: LeaveRequest) -> LeaveRequestOut:
        # created_at exactly as it was always written (isoformat, "+00:00"), not as
        # pydantic would write a datetime ("Z").
        created = r.created_at.isoformat() if r.created_at else None
        # Field by field, not asdict(r): that deep-copied the history and the edits in
        # flight only for pydantic to copy them again (3-4 % of a submit, issue 19).
        fields = {name: getattr(r, name) for name in _FROM_REQUEST}
        approval = asdict(r.approval) if r.approval is not None else None
        return cls.model_validate({**fields, "created_at": created, "approval": approval})


_FROM_REQUEST = tuple(
    name for name in LeaveRequestOut.model_fields if name not in ("created_at", "approval")
)


class SubstitutionOut(BaseModel):
    id: str
    approver_id: str
    substitute_id: str
    start_date: date
    end_date: date
    created_by: str
    created_at: datetime

    @classmethod
    def of(cls, s: Substitution) -> SubstitutionOut:
        return cls.model_validate({k: v for k, v in asdict(s).items() if k != "tenant_id"})


class WorkingDaysOut(BaseModel):
    amount: float
    days: list[date]
    sandwiched_days: list[date] = []

    @classmethod
    def of(cls, counted: WorkingDays, sandwiched: Sequence[date] = ()) -> WorkingDaysOut:
        return cls(
            amount=float(counted.amount), days=list(counted.days), sandwiched_days=list(sandwiched)
        )


# --- sign-in (docs/adr/0009) ----------------------------------------------------------------

Secret = Annotated[str, Text(200, min_length=1)]
Via = Literal["sso", "google", "microsoft", "slack", "magic_link", "passkey", "dev", "signup"]
# WebAuthn values in base64url without padding; bounded (a COSE key is a few hundred bytes).
B64Url = Annotated[str, Field(min_length=1, max_length=2048, pattern=r"^[A-Za-z0-9_-]+$")]
SignCount = Annotated[int, Field(ge=0, le=2**32 - 1)]


EmailDomain = Annotated[str, Text(253), AfterValidator(normalise_domain)]
IssuerUrl = Annotated[str, Text(500, min_length=8), AfterValidator(check_issuer)]


class EmailIn(_In):
    email: EmailStr


class TenantRefIn(_In):
    tenant_id: Id


class SessionIn(_In):
    tenant_id: Id
    employee_id: Id
    via: Via
    label: Annotated[str, Text(200)] = ""


class RefreshIn(_In):
    session_id: Id
    refresh_token: Secret


class MagicLinkIn(_In):
    email: EmailStr
    nonce_hash: str = Field(pattern=r"^[0-9a-fA-F]{64}$")
    purpose: Literal["sign_in", "signup"]
    signup: TenantIn | None = None

    @model_validator(mode="after")
    def _signup_only_for_signup(self) -> MagicLinkIn:
        if (self.purpose == "signup") != (self.signup is not None):
            raise ValueError("signup is given with purpose signup, and only then")
        return self


class RedeemIn(_In):
    token: Secret
    nonce: Secret


class SessionOpenedOut(BaseModel):
    session_id: str
    refresh_token: str
    token: str
    expires_in: int
    employee_id: str
    role: str


class RefreshedOut(BaseModel):
    token: str
    expires_in: int
    employee_id: str
    role: str


class CompanyOut(BaseModel):
    tenant_id: str
    company: str
    employee_id: str
    role: str
    enforce_sso: bool


class DomainSsoOut(BaseModel):
    tenant_id: str
    company: str
    enforce: bool


class LookupOut(BaseModel):
    domain_sso: list[DomainSsoOut]
    companies: list[CompanyOut]


class MagicLinkOut(BaseModel):
    token: str | None
    tenant_ids: list[str]


class RedeemedSignInOut(BaseModel):
    purpose: Literal["sign_in"]
    email: str
    companies: list[CompanyOut]


class RedeemedSignupOut(BaseModel):
    purpose: Literal["signup"]
    email: str
    created: TenantCreatedOut


class SessionOut(BaseModel):
    id: str
    via: str
    label: str
    created_at: datetime
    last_used_at: datetime
    current: bool


class SessionsOut(BaseModel):
    items: list[SessionOut]


class RevokedOut(BaseModel):
    revoked: int


class SsoIn(_In):
    issuer: IssuerUrl
    client_id: Annotated[str, Text(300, min_length=1)]
    # Write-only: left out keeps the stored one (required the first time).
    client_secret: Annotated[str, Text(1000, min_length=1)] | None = None
    email_domains: list[EmailDomain] = Field(default_factory=list, max_length=50)
    enforce: bool = False


class SsoOut(BaseModel):
    """A company's single sign-on as its admins see it: never the client secret."""

    issuer: str
    client_id: str
    email_domains: list[str]
    enforce: bool
    client_secret_set: bool
    updated_at: datetime | None

    @classmethod
    def of(cls, c: SsoConfig) -> SsoOut:
        return cls(
            issuer=c.issuer,
            client_id=c.client_id,
            email_domains=c.email_domains,
            enforce=c.enforce,
            client_secret_set=bool(c.client_secret),
            updated_at=c.updated_at,
        )


class SsoForWebOut(BaseModel):
    tenant_id: str
    company: str
    issuer: str
    client_id: str
    client_secret: str
    email_domains: list[str]
    enforce: bool


class PasskeyIn(_In):
    tenant_id: Id
    employee_id: Id
    credential_id: B64Url
    public_key: B64Url
    sign_count: SignCount
    name: Annotated[str, Text(100, min_length=1)]
    transports: list[Annotated[str, Text(32, min_length=1)]] = Field(
        default_factory=list, max_length=10
    )


class CredentialIn(_In):
    credential_id: B64Url


class PasskeyUsedIn(_In):
    expected_sign_count: SignCount
    sign_count: SignCount


class PasskeyCreatedOut(BaseModel):
    id: str
    name: str
    created_at: datetime


class PasskeyFoundOut(BaseModel):
    id: str
    tenant_id: str
    employee_id: str
    email: str
    public_key: str
    sign_count: int


class PasskeyUsedOut(BaseModel):
    id: str
    sign_count: int


class PasskeyOut(BaseModel):
    id: str
    name: str
    created_at: datetime
    last_used_at: datetime | None


class PasskeysOut(BaseModel):
    items: list[PasskeyOut]


class InvitesIn(_In):
    employee_ids: list[Id] = Field(min_length=1, max_length=1000)


class SkippedOut(BaseModel):
    employee_id: str
    reason: str


class InvitedOut(BaseModel):
    invited: list[str]
    skipped: list[SkippedOut]


class InviteOut(BaseModel):
    employee_id: str
    invited_at: datetime
    invited_by: str


class InvitesOut(BaseModel):
    items: list[InviteOut]
