"""Settings of the notifications service (env: NOTIFICATIONS_PORT, ...)."""

from __future__ import annotations

from typing import ClassVar

from leaveflow_kit.settings import ServiceSettings


class Settings(ServiceSettings):
    SERVICE: ClassVar[str] = "notifications"
