"""The request modal: `/vacation` with no arguments (or the App Home's button) opens it;
choosing a leave type redraws it with that type's inputs (half days for a type that has
them, hours for an hour type); submitting it submits the request through the API as the
person, and the API's refusals come back per input (`response_action: errors`)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from slack_sdk.models.blocks import (
    Block,
    DatePickerElement,
    InputBlock,
    NumberInputElement,
    Option,
    PlainTextInputElement,
    SectionBlock,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from ..ports import ApiAnswer

CALLBACK = "leaveflow_request"
TYPE, START, END, START_PART, END_PART, HOURS, REASON = (
    "leave_type",
    "start_date",
    "end_date",
    "start_part",
    "end_part",
    "hours",
    "reason",
)
START_PARTS = (("full", "Full day"), ("am", "Morning only"), ("pm", "Afternoon only"))
END_PARTS = (("full", "Full day"), ("am", "Morning only"))


@dataclass(frozen=True)
class LeaveKind:
    id: str
    name: str
    unit: str
    half_days: bool

    @classmethod
    def of(cls, doc: dict[str, Any]) -> LeaveKind:
        return cls(
            id=str(doc["id"]),
            name=str(doc["name"]),
            unit=str(doc.get("unit") or "days"),
            half_days=bool(doc.get("allow_half_days", True)),
        )


def usable(types_body: Any) -> list[LeaveKind]:
    items = types_body.get("items", []) if isinstance(types_body, dict) else []
    return [LeaveKind.of(t) for t in items if t.get("active", True)]


def _options(pairs: tuple[tuple[str, str], ...]) -> list[Option]:
    return [Option(value=value, text=label) for value, label in pairs]


def request_modal(kinds: list[LeaveKind], chosen: LeaveKind, today: date) -> dict[str, Any]:
    """The modal for `chosen` (one of `kinds`): its inputs only."""
    type_options = [Option(value=k.id, text=k.name[:75]) for k in kinds[:100]]
    initial = next(o for o in type_options if o.value == chosen.id)
    blocks: list[Block] = [
        InputBlock(
            block_id=TYPE,
            label="Leave type",
            dispatch_action=True,  # choosing a type redraws the modal with its inputs
            element=StaticSelectElement(
                action_id=TYPE, options=type_options, initial_option=initial
            ),
        )
    ]
    if chosen.unit == "hours":
        blocks += [
            InputBlock(
                block_id=START,
                label="Day",
                element=DatePickerElement(action_id=START, initial_date=today.isoformat()),
            ),
            InputBlock(
                block_id=HOURS,
                label="Hours",
                element=NumberInputElement(
                    action_id=HOURS, is_decimal_allowed=True, min_value="0.25", max_value="24"
                ),
            ),
        ]
    else:
        blocks += [
            InputBlock(
                block_id=START,
                label="First day",
                element=DatePickerElement(action_id=START, initial_date=today.isoformat()),
            ),
            InputBlock(
                block_id=END,
                label="Last day",
                element=DatePickerElement(action_id=END, initial_date=today.isoformat()),
            ),
        ]
        if chosen.half_days:
            blocks += [
                InputBlock(
                    block_id=START_PART,
                    label="First day",
                    hint="A one-day request may be a morning or an afternoon.",
                    element=StaticSelectElement(
                        action_id=START_PART,
                        options=_options(START_PARTS),
                        initial_option=_options(START_PARTS)[0],
                    ),
                ),
                InputBlock(
                    block_id=END_PART,
                    label="Last day",
                    element=StaticSelectElement(
                        action_id=END_PART,
                        options=_options(END_PARTS),
                        initial_option=_options(END_PARTS)[0],
                    ),
                ),
            ]
    blocks.append(
        InputBlock(
            block_id=REASON,
            label="Reason",
            optional=True,
            element=PlainTextInputElement(action_id=REASON, multiline=True, max_length=500),
        )
    )
    view: dict[str, Any] = View(
        type="modal",
        callback_id=CALLBACK,
        title="Request leave",
        submit="Request",
        close="Cancel",
        private_metadata=json.dumps({"type": chosen.id, "unit": chosen.unit}),
        blocks=blocks,
    ).to_dict()
    return view


def no_types_modal() -> dict[str, Any]:
    view: dict[str, Any] = View(
        type="modal",
        callback_id=CALLBACK,
        title="Request leave",
        close="Close",
        blocks=[SectionBlock(text="Your company has no leave types yet: ask your admin.")],
    ).to_dict()
    return view


def _value(values: dict[str, Any], block: str) -> Any:
    state = (values.get(block) or {}).get(block) or {}
    kind = state.get("type")
    if kind == "static_select":
        return (state.get("selected_option") or {}).get("value")
    if kind == "datepicker":
        return state.get("selected_date")
    return state.get("value")


def submitted_body(view: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """(the `POST /v1/leave-requests` body, errors per block found before asking the API)."""
    values = (view.get("state") or {}).get("values") or {}
    body: dict[str, Any] = {
        "leave_type_id": _value(values, TYPE),
        "start_date": _value(values, START),
    }
    errors: dict[str, str] = {}
    if HOURS in values:
        body["end_date"] = body["start_date"]
        try:
            body["hours"] = str(Decimal(str(_value(values, HOURS))))
        except InvalidOperation:
            errors[HOURS] = "Give the hours as a number, e.g. 2.5."
    else:
        body["end_date"] = _value(values, END)
        for part in (START_PART, END_PART):
            if part in values and _value(values, part):
                body[part] = _value(values, part)
    reason = _value(values, REASON)
    if reason and str(reason).strip():
        body["reason"] = str(reason).strip()
    return body, errors


# The API's field -> the modal's input that shows its refusal.
FIELD_BLOCK = {
    "leave_type_id": TYPE,
    "start_date": START,
    "end_date": END,
    "start_part": START_PART,
    "end_part": END_PART,
    "hours": HOURS,
    "reason": REASON,
}


def refusal_errors(answer: ApiAnswer, blocks: set[str]) -> dict[str, str]:
    """Each refusal of the API on the input it concerns; what names no input present
    (an overlap, a coverage limit) goes on the first date."""
    body = answer.body if isinstance(answer.body, dict) else {}
    errors: dict[str, str] = {}
    for item in body.get("errors") or []:
        if not isinstance(item, dict):
            continue
        block = FIELD_BLOCK.get(str(item.get("field")), START)
        block = block if block in blocks else START
        message = str(item.get("message") or "is not accepted")
        errors[block] = f"{errors[block]} {message}" if block in errors else message
    if not errors:
        errors[START] = answer.problem
    return {k: v[:300] for k, v in errors.items()}
