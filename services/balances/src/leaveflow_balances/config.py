"""Settings of the balances service (env: BALANCES_PORT, BALANCES_DATABASE_URL, ...)."""

from __future__ import annotations

from typing import ClassVar

from leaveflow_kit.settings import ServiceSettings


class Settings(ServiceSettings):
    SERVICE: ClassVar[str] = "balances"
