"""One trace follows a leave request across three processes and the bus: the submit in
requests -> the reservation in balances -> `pending` back in requests -> the Slack message
the notifications service sends the approver.

The stack runs with `OTEL_EXPORTER_OTLP_ENDPOINT` pointing at an OTLP/HTTP receiver inside
this test (a loopback HTTP server decoding the protobuf export requests with
opentelemetry-proto), so what is asserted is what the services really exported.
"""

from __future__ import annotations

import gzip
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from uuid import uuid4

import httpx
import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.trace.v1.trace_pb2 import Span as OtlpSpan

from leaveflow_contracts import subject_for
from leaveflow_devstack import Stack
from leaveflow_devstack.testing import coming_monday, eventually, sign_up
from leaveflow_kit.testing import WebhookSink, free_port

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]

KIND = {
    OtlpSpan.SPAN_KIND_SERVER: "server",
    OtlpSpan.SPAN_KIND_CLIENT: "client",
    OtlpSpan.SPAN_KIND_PRODUCER: "producer",
    OtlpSpan.SPAN_KIND_CONSUMER: "consumer",
    OtlpSpan.SPAN_KIND_INTERNAL: "internal",
}


@dataclass(frozen=True)
class ReceivedSpan:
    service: str
    name: str
    kind: str
    trace_id: str
    span_id: str
    parent_id: str | None


class OtlpReceiver:
    """`POST /v1/traces` (OTLP/HTTP, protobuf, optionally gzip) on loopback; keeps the spans."""

    def __init__(self) -> None:
        self.spans: list[ReceivedSpan] = []
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                if self.headers.get("content-encoding") == "gzip":
                    body = gzip.decompress(body)
                if self.path != "/v1/traces":
                    self.send_error(404)
                    return
                receiver.take(ExportTraceServiceRequest.FromString(body))
                answer = ExportTraceServiceResponse().SerializeToString()
                self.send_response(200)
                self.send_header("content-type", "application/x-protobuf")
                self.send_header("content-length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, format: str, *args: object) -> None:
                pass  # one line per export would bury the test's output

        self._server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def take(self, request: ExportTraceServiceRequest) -> None:
        got = []
        for resource_spans in request.resource_spans:
            attributes = {a.key: a.value.string_value for a in resource_spans.resource.attributes}
            for scope_spans in resource_spans.scope_spans:
                for span in scope_spans.spans:
                    got.append(
                        ReceivedSpan(
                            service=attributes.get("service.name", "?"),
                            name=span.name,
                            kind=KIND.get(span.kind, "unspecified"),
                            trace_id=span.trace_id.hex(),
                            span_id=span.span_id.hex(),
                            parent_id=span.parent_span_id.hex() or None,
                        )
                    )
        with self._lock:
            self.spans.extend(got)

    def of_trace(self, trace_id: str) -> dict[str, ReceivedSpan]:
        with self._lock:
            return {s.span_id: s for s in self.spans if s.trace_id == trace_id}

    def find(self, check: Callable[[ReceivedSpan], bool]) -> ReceivedSpan | None:
        with self._lock:
            return next((s for s in self.spans if check(s)), None)

    def __enter__(self) -> OtlpReceiver:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(10)


@pytest.fixture
def receiver() -> Iterator[OtlpReceiver]:
    with OtlpReceiver() as r:
        yield r


@pytest.fixture
def sink() -> Iterator[WebhookSink]:
    with WebhookSink() as s:
        yield s


def ancestry(spans: dict[str, ReceivedSpan], leaf: ReceivedSpan) -> list[ReceivedSpan] | None:
    """`leaf` and its parents up to the trace's root, root first; None while a link is missing.

    Each process exports on its own schedule, so a parent from another service may arrive
    after its child: the caller waits for the chain rather than failing on the first look.
    """
    chain = [leaf]
    while chain[-1].parent_id is not None:
        parent = spans.get(chain[-1].parent_id)
        if parent is None:
            return None
        chain.append(parent)
    return chain[::-1]


def test_one_trace_spans_submit_reserve_pending_and_the_notification(
    make_stack: Callable[..., Stack], receiver: OtlpReceiver, sink: WebhookSink
) -> None:
    stack = make_stack(
        # Export every 100 ms rather than every 5 s, so the test waits for spans briefly.
        env={"OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint, "OTEL_BSP_SCHEDULE_DELAY": "100"}
    )
    tenant = sign_up(stack.urls)
    location = tenant.location()
    vacation = tenant.leave_type("Vacation", location_ids=[location])
    bo, _ = tenant.employee("Bo", role="approver", location_id=location, slack_user_id="U_BO")
    with tenant.client("requests") as api:
        made = api.post("/v1/departments", json={"name": "Ops", "approver_ids": [bo]})
        assert made.status_code == 201, made.text
        department = made.json()["id"]
    _, ana = tenant.employee("Ana", location_id=location, department_id=department)
    with tenant.client("notifications") as notifications:
        slack = {"team_id": f"T{uuid4().hex[:8]}", "webhook_url": sink.url, "signing_secret": "s"}
        assert notifications.put("/v1/integrations/slack", json=slack).status_code == 200

    monday = coming_monday()
    with httpx.Client(base_url=stack.urls["requests"], timeout=10) as http:
        submitted = http.post(
            "/v1/leave-requests",
            json={"leave_type_id": vacation, "start_date": str(monday), "end_date": str(monday)},
            headers={"authorization": f"Bearer {ana}"},
        )
    assert submitted.status_code == 202, submitted.text

    # The approver's Slack message went out, with the trace's context in its headers.
    (message,) = eventually(lambda: sink.snapshot(), what="the approver's Slack message")
    traceparent = message.headers.get("traceparent") or message.headers.get("Traceparent")
    assert traceparent, message.headers
    trace_id = traceparent.split("-")[1]
    server = eventually(
        lambda: receiver.find(lambda s: s.kind == "server" and s.name == "POST /v1/leave-requests"),
        what="the submit's server span",
    )
    assert server.trace_id == trace_id  # the message belongs to the submit's trace

    def delivered() -> tuple[ReceivedSpan, list[ReceivedSpan]] | None:
        spans = receiver.of_trace(trace_id)
        post = next(
            (
                s
                for s in spans.values()
                if s.kind == "client" and s.service.endswith("notifications")
            ),
            None,
        )
        chain = ancestry(spans, post) if post is not None else None
        return (post, chain) if post is not None and chain is not None else None

    post, chain = eventually(
        delivered, what="the notification's client span and every parent up to the root"
    )
    steps = [(s.service.removeprefix("leaveflow-"), s.kind, s.name) for s in chain]
    requested = subject_for("requests", "LeaveRequested")
    reserved = subject_for("balances", "LeaveReserved")
    pending = subject_for("requests", "LeavePending")
    assert steps == [
        ("requests", "server", "POST /v1/leave-requests"),
        ("requests", "producer", f"{requested} publish"),
        ("balances", "consumer", f"{requested} process"),
        ("balances", "producer", f"{reserved} publish"),
        ("requests", "consumer", f"{reserved} process"),
        ("requests", "producer", f"{pending} publish"),
        ("notifications", "consumer", f"{pending} process"),
        ("notifications", "internal", "deliver LeavePending by slack"),
        ("notifications", "client", "POST"),
    ], steps
    assert chain[0].parent_id is None  # the submit started the trace
    assert {s.trace_id for s in chain} == {trace_id}
    # The Slack call is the client span's child: the peer could continue the trace too.
    assert traceparent.split("-")[2] == post.span_id
