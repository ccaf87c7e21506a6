"""Settings of the requests service (env: REQUESTS_PORT, REQUESTS_DATABASE_URL, ...)."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from pydantic import AliasChoices, Field, SecretStr

from leaveflow_kit.settings import ServiceSettings


class Settings(ServiceSettings):
    SERVICE: ClassVar[str] = "requests"

    # Fernet key sealing the companies' SSO client secrets; generated in the data dir (mode
    # 0600) when unset, like the JWT key. Set it when replicas do not share a data dir.
    secret_key: SecretStr | None = Field(None, validation_alias=AliasChoices("REQUESTS_SECRET_KEY"))

    # The approval scheduler's slowest look at pending requests; it also wakes on every
    # change, and at the next due reminder or escalation.
    approval_schedule_heartbeat_seconds: float = Field(
        3600.0, gt=0, validation_alias=AliasChoices("REQUESTS_APPROVAL_SCHEDULE_HEARTBEAT")
    )

    @property
    def signing_key_path(self) -> Path:
        return self.data_dir / "requests-jwt-key.pem"

    @property
    def secret_key_path(self) -> Path:
        return self.data_dir / "requests-secret.key"
