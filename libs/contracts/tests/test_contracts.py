"""The envelope, subjects and event payloads on the wire."""

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from pydantic import ValidationError

from leaveflow_contracts import (
    EVENT_TYPES,
    Envelope,
    LeaveRequested,
    LeaveReserved,
    UnknownEventType,
    data_class,
    dlq_subject,
    new_id,
    parse_data,
    stream_for,
    subject_for,
    subject_of,
)
from leaveflow_contracts.schema_export import export
from leaveflow_contracts.subjects import all_streams


def requested(**overrides: object) -> LeaveRequested:
    fields = {
        "request_id": "r1",
        "employee_id": "e1",
        "leave_type_id": "lt",
        "start_date": date(2026, 3, 2),
        "end_date": date(2026, 3, 3),
        "amount": "1.5",
    }
    fields.update(overrides)
    return LeaveRequested(**fields)


def test_envelope_round_trips_through_json() -> None:
    env = Envelope.wrap(requested(), tenant_id="t1", actor="e1")
    again = Envelope.model_validate_json(env.model_dump_json())
    assert again == env
    data = parse_data(again)
    assert isinstance(data, LeaveRequested)
    assert data.amount == Decimal("1.50")


def test_root_event_correlates_with_itself_and_follow_ups_keep_the_chain() -> None:
    root = Envelope.wrap(requested(), tenant_id="t1")
    assert root.correlation_id == root.event_id
    follow = root.caused(
        LeaveReserved(request_id="r1", employee_id="e1", leave_type_id="lt", amount="1.5")
    )
    assert follow.correlation_id == root.event_id
    assert follow.causation_id == root.event_id
    assert follow.tenant_id == "t1"
    assert follow.event_id != root.event_id


def test_amounts_are_exact_strings_on_the_wire() -> None:
    env = Envelope.wrap(requested(amount=0.1 + 0.2), tenant_id="t")
    assert json.loads(env.model_dump_json())["data"]["amount"] == "0.30"


def test_consumers_ignore_unknown_fields() -> None:
    env = Envelope.wrap(requested(), tenant_id="t")
    raw = json.loads(env.model_dump_json())
    raw["new_envelope_field"] = 1
    raw["data"]["new_payload_field"] = "x"
    assert isinstance(parse_data(Envelope.model_validate(raw)), LeaveRequested)


def test_missing_required_field_is_rejected() -> None:
    with pytest.raises(ValidationError):
        LeaveRequested(request_id="r")  # type: ignore[call-arg]


def test_unknown_event_type_is_reported() -> None:
    with pytest.raises(UnknownEventType):
        data_class("Nope", 1)


def test_subjects_and_streams_line_up() -> None:
    env = Envelope.wrap(requested(), tenant_id="t")
    assert subject_of(env) == "lf.requests.LeaveRequested.v1"
    assert subject_for("balances", "LeaveReserved") == "lf.balances.LeaveReserved.v1"
    assert stream_for("requests") == "LF_REQUESTS"
    assert dlq_subject("balances", "lf.requests.X.v1") == "lf.dlq.balances.lf.requests.X.v1"
    streams = all_streams()
    for cls in EVENT_TYPES:
        subject = subject_for(cls.PRODUCER, cls.EVENT_TYPE, cls.VERSION)
        owners = [n for n, subs in streams.items() if subs[0][:-1] in subject]
        assert owners == [stream_for(cls.PRODUCER)], subject


def test_ids_are_unique_and_time_ordered() -> None:
    ids = [new_id() for _ in range(1000)]
    assert len(set(ids)) == 1000
    assert all(len(i) == 32 for i in ids)
    assert ids == sorted(ids), "ids of one process are strictly increasing"


def test_schema_export_writes_every_event(tmp_path: Path) -> None:
    written = export(tmp_path)
    names = {p.name for p in written}
    assert "Envelope.json" in names
    for cls in EVENT_TYPES:
        schema = json.loads((tmp_path / f"{cls.EVENT_TYPE}.v{cls.VERSION}.json").read_text())
        assert schema["x-producer"] == cls.PRODUCER
        assert schema["title"] == cls.__name__


def test_committed_schemas_match_the_code(tmp_path: Path) -> None:
    """docs/events is what `make schemas` writes; a contract change must update it."""
    committed = Path(__file__).resolve().parents[3] / "docs" / "events"
    export(tmp_path)
    fresh = {p.name: p.read_text() for p in tmp_path.iterdir()}
    on_disk = {p.name: p.read_text() for p in committed.iterdir()}
    assert fresh == on_disk, "run `make schemas` and commit docs/events"


def test_every_event_type_is_registered_once() -> None:
    keys = [(cls.EVENT_TYPE, cls.VERSION) for cls in EVENT_TYPES]
    assert len(keys) == len(set(keys))
