"""Tracing is off without an endpoint (no SDK even imported) and, on, W3C context flows
through the helpers the relay, consumers and dispatchers use."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from leaveflow_contracts import Envelope, LeaveTypeUpserted
from leaveflow_kit import telemetry
from leaveflow_kit.events import record
from leaveflow_kit.storage import Transaction, open_store


def run_python(code: str, **env: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", **env},
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_without_an_endpoint_a_service_process_never_loads_the_sdk() -> None:
    out = run_python(
        """
        import sys
        from leaveflow_kit import telemetry
        from leaveflow_kit.http import create_service_app
        app = create_service_app(title="probe")
        print(telemetry.setup("probe", app), telemetry.enabled(), telemetry.current_trace())
        print(sorted(m for m in sys.modules if m.startswith(("opentelemetry.sdk",
              "opentelemetry.instrumentation", "opentelemetry.exporter"))))
        """
    )
    assert out.splitlines() == ["False False None", "[]"]


def test_with_an_endpoint_setup_installs_the_sdk_and_instruments_the_app() -> None:
    out = run_python(
        """
        from opentelemetry import trace
        from leaveflow_kit import telemetry
        from leaveflow_kit.http import create_service_app
        app = create_service_app(title="probe")
        print(telemetry.setup("probe", app), telemetry.setup("probe", app), telemetry.enabled())
        provider = trace.get_tracer_provider()
        print(type(provider).__name__, provider.resource.attributes["service.name"])
        print(app.state.telemetry)
        """,
        OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:9",
    )
    assert out.splitlines() == ["True True True", "TracerProvider leaveflow-probe", "True"]


def test_otel_sdk_disabled_wins_over_an_endpoint() -> None:
    environ = {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:9", "OTEL_SDK_DISABLED": "true"}
    assert telemetry.setup("probe", environ=environ) is False
    assert not telemetry.enabled()


async def test_off_the_helpers_do_nothing_and_events_carry_no_trace() -> None:
    assert telemetry.current_trace() is None
    parent = {"traceparent": f"00-{'1' * 32}-{'2' * 16}-01"}
    assert telemetry.start_span("x", parent=parent) is None
    assert telemetry.trace_headers(None) == {}
    telemetry.end_span(None)
    with telemetry.span("x"):
        pass
    store = open_store("memory://")
    await store.start()

    async def run(tx: Transaction) -> Envelope:
        return record(tx, LeaveTypeUpserted(leave_type_id="lt", name="A"), tenant_id="t")

    envelope = await store.atomic(run)
    await store.close()
    assert envelope.trace is None
    assert "trace" not in envelope.model_dump_json()  # untraced bytes are unchanged


def test_on_spans_chain_through_stored_context_and_headers() -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    with telemetry.tracing_to(provider):
        with provider.get_tracer("test").start_as_current_span("submit") as root:
            stored = telemetry.current_trace()
        assert stored is not None
        root_ctx = root.get_span_context()
        assert stored["traceparent"].startswith(
            f"00-{root_ctx.trace_id:032x}-{root_ctx.span_id:016x}-"
        )

        published = telemetry.start_span("publish", parent=stored, kind=telemetry.SpanKind.PRODUCER)
        headers = telemetry.trace_headers(published)
        telemetry.end_span(published)
        assert published is not None
        pub_ctx = published.get_span_context()
        assert headers["traceparent"].startswith(
            f"00-{pub_ctx.trace_id:032x}-{pub_ctx.span_id:016x}-"
        )

        with telemetry.span("process", parent=headers, fallback=stored):
            inner = telemetry.current_trace()
        with telemetry.span("fallback", parent={}, fallback=stored):
            pass
        try:
            with telemetry.span("fails", parent=None):
                raise ValueError("boom")
        except ValueError:
            pass
    assert telemetry.current_trace() is None  # off again after the block

    spans = {s.name: s for s in exporter.get_finished_spans()}
    assert {s.context.trace_id for n, s in spans.items() if n != "fails"} == {root_ctx.trace_id}
    publish_parent, process_parent = spans["publish"].parent, spans["process"].parent
    assert publish_parent is not None
    assert process_parent is not None
    assert publish_parent.span_id == root_ctx.span_id
    assert process_parent.span_id == pub_ctx.span_id
    assert inner is not None
    assert f"-{spans['process'].context.span_id:016x}-" in inner["traceparent"]
    fallback_parent = spans["fallback"].parent
    assert fallback_parent is not None
    assert fallback_parent.span_id == root_ctx.span_id
    assert spans["fails"].parent is None  # no context: a trace of its own
    assert spans["fails"].context.trace_id != root_ctx.trace_id
    assert not spans["fails"].status.is_ok
