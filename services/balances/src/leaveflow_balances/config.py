"""Settings of the balances service (env: BALANCES_PORT, BALANCES_DATABASE_URL, ...)."""

from __future__ import annotations

from typing import ClassVar

from pydantic import AliasChoices, Field

from leaveflow_kit.settings import ServiceSettings


class Settings(ServiceSettings):
    SERVICE: ClassVar[str] = "balances"
    # How long `PUT /v1/policies/...` waits for a location or leave type it has not heard
    # of (its directory event may be on its way) before it answers 404.
    directory_grace_seconds: float = Field(
        4.0, ge=0, le=30, validation_alias=AliasChoices("BALANCES_DIRECTORY_GRACE")
    )
