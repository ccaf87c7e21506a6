"""Settings of the calendar service (env: CALENDAR_PORT, CALENDAR_DATABASE_URL, ...)."""

from __future__ import annotations

from typing import ClassVar

from pydantic import AliasChoices, Field

from leaveflow_kit.settings import ServiceSettings


class Settings(ServiceSettings):
    SERVICE: ClassVar[str] = "calendar"

    # Where people's calendar apps reach this service: feed URLs are built from it. Unset,
    # CALENDAR_URL (how the other services call it) serves, which is right only when the two
    # are the same address (the embedded stack); behind compose or a proxy it is internal.
    public_url: str | None = Field(None, validation_alias=AliasChoices("CALENDAR_PUBLIC_URL"))

    @property
    def feed_base_url(self) -> str:
        return (self.public_url or self.calendar_url).rstrip("/")
