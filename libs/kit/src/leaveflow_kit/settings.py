"""Settings shared by every service; each service subclasses with its own env prefix.

Only a service's ``config.py``/``bootstrap.py`` instantiate these (never at import time).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import ClassVar, Literal

from pydantic import AliasChoices, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_PORTS = {"requests": 8001, "balances": 8002, "notifications": 8003, "calendar": 8004}


def _url_alias(name: str) -> AliasChoices:
    return AliasChoices(f"{name.upper()}_URL")


class ServiceSettings(BaseSettings):
    """Base settings. `SERVICE` names the service; `<SERVICE>_PORT`, `<SERVICE>_HOST`,
    `<SERVICE>_DATABASE_URL` (or plain `DATABASE_URL`) are read per service."""

    SERVICE: ClassVar[str] = "service"
    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    data_dir: Path = Field(Path(".data"), validation_alias=AliasChoices("LEAVEFLOW_DATA_DIR"))
    # One URL, or a comma-separated list: every node of a cluster, to fail over between.
    nats_url: str = Field("nats://127.0.0.1:4222", validation_alias=AliasChoices("NATS_URL"))
    # Copies of each JetStream stream: 1 on a single server, 3 on a 3-node cluster.
    nats_stream_replicas: int = Field(
        1, ge=1, le=5, validation_alias=AliasChoices("NATS_STREAM_REPLICAS")
    )
    host: str = "127.0.0.1"
    port: int = 0
    database_url: str = ""
    requests_url: str = Field("http://127.0.0.1:8001", validation_alias=_url_alias("requests"))
    balances_url: str = Field("http://127.0.0.1:8002", validation_alias=_url_alias("balances"))
    notifications_url: str = Field(
        "http://127.0.0.1:8003", validation_alias=_url_alias("notifications")
    )
    calendar_url: str = Field("http://127.0.0.1:8004", validation_alias=_url_alias("calendar"))
    dev_login: bool = Field(True, validation_alias=AliasChoices("LEAVEFLOW_DEV_LOGIN"))
    # Public signup (POST /v1/tenants without a token): true, false, or "first" (open until
    # the first company exists: a fresh self-hosted install lets its owner in, then closes).
    signup_open: bool | Literal["first"] = Field(
        True, validation_alias=AliasChoices("LEAVEFLOW_SIGNUP_OPEN")
    )
    log_level: str = Field("INFO", validation_alias=AliasChoices("LOG_LEVEL"))
    # Consumer tuning: attempts before a message goes to the dead-letter subject.
    # Delays double from the base: 2+4+8+...+128 s, about 4 minutes before a dead letter.
    max_deliver: int = Field(8, ge=1, validation_alias=AliasChoices("LEAVEFLOW_MAX_DELIVER"))
    retry_base_seconds: float = Field(
        2.0, gt=0, validation_alias=AliasChoices("LEAVEFLOW_RETRY_BASE")
    )
    # Short, so a crashed consumer's in-flight events come back seconds after its restart;
    # a batch that takes longer tells the server it is still working (consumer heartbeat).
    ack_wait_seconds: float = Field(6.0, gt=0, validation_alias=AliasChoices("LEAVEFLOW_ACK_WAIT"))
    # Replicas consume each durable one at a time (messaging/lease.py); 0 turns that off.
    consumer_lease_seconds: float = Field(
        6.0, ge=0, validation_alias=AliasChoices("LEAVEFLOW_CONSUMER_LEASE")
    )
    # Relay safety net for rows committed by another process; normal wake-ups are signals.
    relay_heartbeat_seconds: float = Field(
        15.0, validation_alias=AliasChoices("LEAVEFLOW_RELAY_HEARTBEAT")
    )

    @classmethod
    def settings_customise_sources(cls, settings_cls, init_settings, env_settings, *args, **kw):  # type: ignore[no-untyped-def]
        return (init_settings, _PerServiceEnv(settings_cls, cls.SERVICE), env_settings)

    @model_validator(mode="after")
    def _defaults(self) -> ServiceSettings:
        if not self.port:
            self.port = DEFAULT_PORTS.get(self.SERVICE, 8000)
        if not self.database_url:
            self.database_url = f"sqlite:///{self.data_dir / (self.SERVICE + '.db')}"
        return self

    @property
    def jwks_url(self) -> str:
        return f"{self.requests_url.rstrip('/')}/.well-known/jwks.json"


class _PerServiceEnv:
    """Reads `<SERVICE>_HOST/_PORT/_DATABASE_URL`, falling back to unprefixed names."""

    def __init__(self, settings_cls: type[BaseSettings], service: str) -> None:
        self.prefix = service.upper() + "_"

    def __call__(self) -> dict[str, str]:
        found: dict[str, str] = {}
        for field in ("host", "port", "database_url"):
            for name in (self.prefix + field.upper(), field.upper()):
                if field != "database_url" and name == field.upper():
                    continue  # a bare HOST/PORT would leak between services
                if name in os.environ:
                    found[field] = os.environ[name]
                    break
        return found
