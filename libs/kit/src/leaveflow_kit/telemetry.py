"""Traces across HTTP and the bus, with OpenTelemetry: on when `OTEL_EXPORTER_OTLP_ENDPOINT`
is set, and off otherwise at no cost.

Off (the default), `setup` installs nothing: the process keeps OpenTelemetry's no-op tracer,
no SDK is imported, and every helper here returns at its first line.

On, `setup` (called by `runtime.serve` for each service process) installs the SDK with an
OTLP/HTTP exporter behind a batching processor (the standard `OTEL_*` variables tune it:
`OTEL_EXPORTER_OTLP_ENDPOINT`, `OTEL_EXPORTER_OTLP_HEADERS`, `OTEL_BSP_SCHEDULE_DELAY`,
`OTEL_TRACES_SAMPLER`...; `OTEL_SDK_DISABLED=true` turns it off again), instruments the
service's FastAPI app (server spans; `/healthz`, `/readyz` and `/metrics` excluded) and
httpx (client spans, with `traceparent` sent to the peer). The service name is
`OTEL_SERVICE_NAME` or `leaveflow-<service>`.

How a trace crosses the bus (W3C trace context all the way):

1. `events.record` stores the current span's context in the event's envelope
   (`Envelope.trace`, e.g. ``{"traceparent": "00-..."}``), inside the same transaction as
   the outbox row, so the context survives until the relay publishes the row -- seconds or
   a restart later.
2. The outbox relay starts a *producer* span as a child of that stored context and sends its
   own context in the NATS message headers (`traceparent`, `tracestate`).
3. A consumer starts a *consumer* span as a child of the header context (falling back to the
   envelope's) around the handler, so events the handler records carry it on (step 1).
4. Work queued by a handler for later (a notification delivery) keeps `current_trace()` with
   it and runs under `span(..., parent=...)`.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.trace import Span, SpanKind, Status, StatusCode

if TYPE_CHECKING:
    from fastapi import FastAPI
    from opentelemetry.sdk.trace import TracerProvider

__all__ = [
    "Span",
    "SpanKind",
    "current_trace",
    "enabled",
    "end_span",
    "setup",
    "span",
    "start_span",
    "trace_headers",
    "tracing_to",
]

ENDPOINT_ENV = "OTEL_EXPORTER_OTLP_ENDPOINT"
EXCLUDED_URLS = "/healthz,/readyz,/metrics"
TRACER_NAME = "leaveflow"

_state: dict[str, Any] = {"enabled": False}


def enabled() -> bool:
    """Whether this process exports traces (``setup`` found an endpoint)."""
    return bool(_state["enabled"])


def setup(
    service: str, app: FastAPI | None = None, environ: Mapping[str, str] | None = None
) -> bool:
    """Install tracing for this process if `OTEL_EXPORTER_OTLP_ENDPOINT` is set; answers
    whether it did. Idempotent; the SDK flushes its last spans at interpreter exit."""
    env = os.environ if environ is None else environ
    if not env.get(ENDPOINT_ENV) or env.get("OTEL_SDK_DISABLED", "").lower() == "true":
        return False
    if not _state["enabled"]:
        # Imported only here: a process without an endpoint never loads the SDK.
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor

        name = env.get("OTEL_SERVICE_NAME") or f"leaveflow-{service}"
        provider = TracerProvider(resource=Resource.create({"service.name": name}))
        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
        trace.set_tracer_provider(provider)
        HTTPXClientInstrumentor().instrument()
        _state.update(enabled=True, provider=provider)
    if app is not None and not getattr(app.state, "telemetry", False):
        from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

        # The per-message ASGI "send"/"receive" spans would triple the span count for nothing.
        FastAPIInstrumentor.instrument_app(
            app, excluded_urls=EXCLUDED_URLS, exclude_spans=["receive", "send"]
        )
        app.state.telemetry = True
    return True


@contextlib.contextmanager
def tracing_to(provider: TracerProvider) -> Iterator[None]:
    """For tests: this process traces into `provider` (e.g. one with the SDK's in-memory
    exporter) while the block runs, without touching the global tracer provider."""
    saved = dict(_state)
    _state.update(enabled=True, provider=provider)
    try:
        yield
    finally:
        _state.clear()
        _state.update(saved)


def _tracer() -> trace.Tracer:
    provider = _state.get("provider")
    return (
        provider.get_tracer(TRACER_NAME) if provider is not None else trace.get_tracer(TRACER_NAME)
    )


def _parent(carrier: Mapping[str, str] | None) -> otel_context.Context:
    """The context a carrier (headers or `Envelope.trace`) names; empty (a new trace) when
    it names none -- never the caller's ambient context, which on a relay or consumer task
    belongs to no request."""
    if not carrier:
        return otel_context.Context()
    return propagate.extract(dict(carrier), context=otel_context.Context())


def _has_context(carrier: Mapping[str, str] | None) -> bool:
    return carrier is not None and "traceparent" in carrier


def current_trace() -> dict[str, str] | None:
    """The W3C context (``traceparent``, maybe ``tracestate``) of the current span, to store
    with work done later; None when tracing is off or no span is recording."""
    if not _state["enabled"]:
        return None
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return carrier or None


def start_span(
    name: str,
    *,
    parent: Mapping[str, str] | None,
    kind: SpanKind = SpanKind.INTERNAL,
    attributes: Mapping[str, str | int] | None = None,
) -> Span | None:
    """A started span (not made current) under `parent`; None when tracing is off. End it
    with `end_span`."""
    if not _state["enabled"]:
        return None
    return _tracer().start_span(
        name, context=_parent(parent), kind=kind, attributes=dict(attributes or {})
    )


def trace_headers(span: Span | None) -> dict[str, str]:
    """The W3C headers that make a receiver's span a child of `span` ({} without one)."""
    if span is None:
        return {}
    carrier: dict[str, str] = {}
    propagate.inject(carrier, context=trace.set_span_in_context(span, otel_context.Context()))
    return carrier


def end_span(span: Span | None, error: BaseException | None = None) -> None:
    if span is None:
        return
    if error is not None:
        span.record_exception(error)
        span.set_status(Status(StatusCode.ERROR, repr(error)[:200]))
    span.end()


@contextlib.contextmanager
def span(
    name: str,
    *,
    parent: Mapping[str, str] | None = None,
    fallback: Mapping[str, str] | None = None,
    kind: SpanKind = SpanKind.INTERNAL,
    attributes: Mapping[str, str | int] | None = None,
) -> Iterator[None]:
    """Run the block in a current span, child of `parent` (or of `fallback` when `parent`
    carries no context); an exception marks it failed and propagates. Nothing when off."""
    if not _state["enabled"]:
        yield
        return
    carrier = parent if _has_context(parent) else fallback
    with _tracer().start_as_current_span(
        name, context=_parent(carrier), kind=kind, attributes=dict(attributes or {})
    ):
        yield
