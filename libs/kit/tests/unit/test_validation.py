"""Bounded input types: dates in range, known IANA zones, text without control characters."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Any
from unittest import mock

import httpx
import pytest
from fastapi import Query
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from leaveflow_kit.http import create_service_app
from leaveflow_kit.validation import MAX_DATE, MIN_DATE, BoundedDate, IanaZone, Text


class LeaveIn(BaseModel):
    start_date: BoundedDate
    timezone: IanaZone = "UTC"
    name: Annotated[str, Text(20, min_length=1)] = "x"
    reason: Annotated[str | None, Text(50, multiline=True)] = None


def error_of(**fields: Any) -> tuple[str, str]:
    with pytest.raises(ValidationError) as caught:
        LeaveIn(**{"start_date": date.today(), **fields})
    (error,) = caught.value.errors()
    return ".".join(str(p) for p in error["loc"]), error["msg"]


@pytest.mark.parametrize(
    "value", [MIN_DATE, MAX_DATE, date.today(), date.today() + timedelta(days=400)]
)
def test_dates_in_range_pass(value: date) -> None:
    assert LeaveIn(start_date=value).start_date == value


@pytest.mark.parametrize("value", ["9999-12-30", "1899-12-31", "9001-01-01", "0001-01-01"])
def test_dates_out_of_range_name_the_field(value: str) -> None:
    field, message = error_of(start_date=value)
    assert field == "start_date"
    assert "1900-01-01" in message
    assert "9000-12-31" in message


@pytest.mark.parametrize("zone", ["UTC", "Europe/Berlin", "America/Argentina/Buenos_Aires"])
def test_known_zones_pass(zone: str) -> None:
    assert LeaveIn(start_date=date.today(), timezone=zone).timezone == zone


@pytest.mark.parametrize(
    "zone", ["Mars/Olympus", "europe/berlin", "", "../../etc/passwd", "UTC\x00"]
)
def test_unknown_zones_name_the_field(zone: str) -> None:
    field, message = error_of(timezone=zone)
    assert field == "timezone"
    assert "IANA" in message


def test_a_long_zone_is_refused_by_length_without_asking_the_file_system() -> None:
    with mock.patch("zoneinfo.ZoneInfo", side_effect=AssertionError("touched the disk")):
        field, message = error_of(timezone="A" * 300)
        assert field == "timezone"
        assert "64" in message
        assert error_of(timezone="Europe/" + "x" * 40)[0] == "timezone"


@pytest.mark.parametrize(
    ("fields", "field", "fragment"),
    [
        ({"name": "a\x00b"}, "name", "control"),
        ({"name": "line\nbreak"}, "name", "control"),
        ({"name": "bell\x07"}, "name", "control"),
        ({"name": "c1\x85"}, "name", "control"),
        ({"name": "x" * 21}, "name", "20"),
        ({"name": ""}, "name", "at least 1"),
        ({"reason": "tab\tok but nul\x00 not"}, "reason", "control"),
        ({"reason": "y" * 51}, "reason", "50"),
    ],
)
def test_text_refusals_name_the_field(fields: dict[str, str], field: str, fragment: str) -> None:
    where, message = error_of(**fields)
    assert where == field
    assert fragment in message


def test_multiline_text_keeps_tabs_and_line_breaks_and_none_passes() -> None:
    leave = LeaveIn(start_date=date.today(), reason="one\ttwo\r\nthree\n")
    assert leave.reason == "one\ttwo\r\nthree\n"
    assert LeaveIn(start_date=date.today(), reason=None).reason is None
    assert LeaveIn(start_date=date.today(), name="Zoë 🌴 O'Brien").name == "Zoë 🌴 O'Brien"


def test_a_lone_surrogate_is_refused_from_json_and_from_python() -> None:
    with pytest.raises(ValidationError) as caught:
        LeaveIn.model_validate_json('{"start_date": "2026-01-01", "name": "\\ud800"}')
    assert caught.value.errors()[0]["type"] == "json_invalid"  # a 422 "malformed JSON"
    assert error_of(reason="half \ud800 pair")[0] == "reason"


def test_lengths_show_in_the_json_schema() -> None:
    properties = LeaveIn.model_json_schema()["properties"]
    assert properties["timezone"]["maxLength"] == 64
    assert properties["name"]["maxLength"] == 20


printable = st.text(st.characters(exclude_categories=("Cc", "Cs")), max_size=20)


@given(printable)
def test_printable_text_within_the_limit_passes(value: str) -> None:
    if len(value) >= 1:
        assert LeaveIn(start_date=date.today(), name=value).name == value


@given(st.text(max_size=30))
def test_any_text_passes_or_is_refused_on_its_field(value: str) -> None:
    controls = any(ord(c) < 32 and c not in "\t\r\n" for c in value)
    if not controls and not any("\ud800" <= c <= "\udfff" or "\x7f" <= c <= "\x9f" for c in value):
        assert LeaveIn(start_date=date.today(), reason=value).reason == value
        return
    with pytest.raises(ValidationError) as caught:
        LeaveIn(start_date=date.today(), reason=value)
    assert {e["loc"] for e in caught.value.errors()} == {("reason",)}


@given(st.dates())
def test_any_date_passes_or_is_refused_on_its_field(value: date) -> None:
    if MIN_DATE <= value <= MAX_DATE:
        assert LeaveIn(start_date=value).start_date == value
        return
    with pytest.raises(ValidationError) as caught:
        LeaveIn(start_date=value)
    assert caught.value.errors()[0]["loc"] == ("start_date",)


async def test_in_a_query_parameter_the_422_names_it() -> None:
    app = create_service_app(title="probe")

    @app.get("/v1/working-days")
    async def working_days(
        start: Annotated[BoundedDate, Query()], zone: Annotated[IanaZone, Query()] = "UTC"
    ) -> dict[str, str]:
        return {"start": start.isoformat(), "zone": zone}

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        good = await client.get("/v1/working-days", params={"start": "2026-03-02"})
        bad = await client.get(
            "/v1/working-days", params={"start": "9999-12-30", "zone": "x" * 300}
        )
    assert good.status_code == 200
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json()["errors"]} == {"start", "zone"}
