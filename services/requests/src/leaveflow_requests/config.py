"""Settings of the requests service (env: REQUESTS_PORT, REQUESTS_DATABASE_URL, ...)."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from leaveflow_kit.settings import ServiceSettings


class Settings(ServiceSettings):
    SERVICE: ClassVar[str] = "requests"

    @property
    def signing_key_path(self) -> Path:
        return self.data_dir / "requests-jwt-key.pem"
