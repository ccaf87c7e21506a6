"""Subject and stream naming, in one place.

Subjects: ``lf.<producer>.<EventType>.v<version>``, e.g. ``lf.requests.LeaveRequested.v1``.
Each producing service owns one JetStream stream capturing ``lf.<producer>.>``.
Dead letters go to ``lf.dlq.<consumer>.<original subject>`` in the DLQ stream.
"""

from __future__ import annotations

PREFIX = "lf"
PRODUCERS = ("requests", "balances", "notifications", "calendar")
DLQ_STREAM = "LF_DLQ"
DLQ_PREFIX = f"{PREFIX}.dlq"


def subject_for(producer: str, event_type: str, version: int = 1) -> str:
    return f"{PREFIX}.{producer}.{event_type}.v{version}"


def stream_for(producer: str) -> str:
    return f"LF_{producer.upper()}"


def stream_subjects(producer: str) -> list[str]:
    return [f"{PREFIX}.{producer}.>"]


def dlq_subject(consumer: str, subject: str) -> str:
    return f"{DLQ_PREFIX}.{consumer}.{subject}"


def all_streams() -> dict[str, list[str]]:
    streams = {stream_for(p): stream_subjects(p) for p in PRODUCERS}
    streams[DLQ_STREAM] = [f"{DLQ_PREFIX}.>"]
    return streams
