"""Dataclass documents and per-service settings."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import ClassVar

import pytest

from leaveflow_kit.documents import from_doc, to_doc
from leaveflow_kit.settings import ServiceSettings


@dataclass
class Thing:
    id: str
    day: date
    at: datetime
    amount: Decimal
    maybe: date | None = None
    days: list[date] = field(default_factory=list)


def test_documents_round_trip_exactly() -> None:
    thing = Thing(
        id="x",
        day=date(2026, 3, 1),
        at=datetime(2026, 3, 1, 9, 30, tzinfo=UTC),
        amount=Decimal("0.10"),
        days=[date(2026, 3, 2)],
    )
    doc = to_doc(thing)
    assert doc["amount"] == "0.10"
    assert doc["day"] == "2026-03-01"
    assert from_doc(Thing, doc) == thing


def test_unknown_document_fields_are_ignored() -> None:
    doc = to_doc(Thing(id="x", day=date(2026, 1, 1), at=datetime.now(UTC), amount=Decimal(1)))
    doc["added_later"] = 1
    assert from_doc(Thing, doc).id == "x"


class BalancesSettings(ServiceSettings):
    SERVICE: ClassVar[str] = "balances"


def test_settings_read_per_service_variables(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("BALANCES_PORT", "9102")
    monkeypatch.setenv("REQUESTS_PORT", "9101")
    monkeypatch.setenv("LEAVEFLOW_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("REQUESTS_URL", "http://req:1")
    s = BalancesSettings()
    assert s.port == 9102
    assert s.database_url == f"sqlite:///{tmp_path}/balances.db"
    assert s.jwks_url == "http://req:1/.well-known/jwks.json"


def test_generic_database_url_applies_when_no_prefixed_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DATABASE_URL", "mongodb://m:27017/x")
    assert BalancesSettings().database_url == "mongodb://m:27017/x"
    monkeypatch.setenv("BALANCES_DATABASE_URL", "sqlite:///b.db")
    assert BalancesSettings().database_url == "sqlite:///b.db"


def test_default_port_per_service() -> None:
    assert BalancesSettings().port == 8002
