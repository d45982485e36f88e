"""The OpenTelemetry and Prometheus adapters, against the real libraries: OpenTelemetry's in-memory metric
reader and span exporter, and a ``prometheus_client`` registry of the test's own.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import llm_retry
import llm_retry.otel
import llm_retry.prometheus
import pytest
from doubles import FakeClock, status_error
from llm_retry import CircuitBreaker, remove_listener, retry_llm

otel_sdk = pytest.importorskip("opentelemetry.sdk")
prometheus_client = pytest.importorskip("prometheus_client")

from opentelemetry.sdk.metrics import MeterProvider  # noqa: E402
from opentelemetry.sdk.metrics.export import InMemoryMetricReader  # noqa: E402
from opentelemetry.sdk.trace import TracerProvider  # noqa: E402
from opentelemetry.sdk.trace.export import SimpleSpanProcessor  # noqa: E402
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter  # noqa: E402


class Script:
    def __init__(self, *failures: Exception) -> None:
        self.failures = list(failures)

    def __call__(self, prompt: str = "") -> str:
        if self.failures:
            raise self.failures.pop(0)
        return "answer"


SECRET = "my-secret-prompt-90e1"


def test_the_adapters_import_their_library_only_when_instrumenting() -> None:
    code = (
        "import sys, llm_retry, llm_retry.otel, llm_retry.prometheus, llm_retry.testing\n"
        "loaded = [m for m in ('opentelemetry', 'prometheus_client', 'pytest') if m in sys.modules]\n"
        "assert not loaded, loaded"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


# --- OpenTelemetry ------------------------------------------------------------------------------------------


@pytest.fixture
def otel() -> Iterator[tuple[InMemoryMetricReader, InMemorySpanExporter, Any]]:
    reader = InMemoryMetricReader()
    exporter = InMemorySpanExporter()
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(exporter))
    listener = llm_retry.otel.instrument(
        meter_provider=MeterProvider(metric_readers=[reader]), tracer_provider=tracer_provider
    )
    yield reader, exporter, tracer_provider.get_tracer("test")
    remove_listener(listener)


def points(reader: InMemoryMetricReader) -> dict[str, list[Any]]:
    data = reader.get_metrics_data()
    found: dict[str, list[Any]] = {}
    for resource in data.resource_metrics if data else ():
        for scope in resource.scope_metrics:
            assert scope.scope.name == "llm_retry"
            for metric in scope.metrics:
                found[metric.name] = list(metric.data.data_points)
    return found


def test_otel_records_retries_and_waits_per_call_and_none_for_calls_that_did_not_retry(
    otel: Any, fake_clock: FakeClock
) -> None:
    reader, _, _ = otel
    ask = retry_llm(sleep=fake_clock.sleep, budget=None, seed=5)
    assert ask(Script(status_error(529), status_error(529)))() == "answer"
    assert ask(Script())() == "answer"
    with pytest.raises(type(status_error(400))):
        ask(Script(status_error(400)))()

    found = points(reader)
    [retries] = found["llm_retry.call.retries"]
    assert (retries.count, retries.sum) == (1, 2)  # one call retried, twice; the others record no 0
    assert dict(retries.attributes) == {
        "code.function.name": "Script",
        "llm_retry.config": "default",
        "llm_retry.outcome": "success",
    }
    [delay] = found["llm_retry.call.retry_delay"]
    assert delay.sum == pytest.approx(sum(fake_clock.sleeps))
    [give_up] = found["llm_retry.give_ups"]
    assert give_up.value == 1
    assert dict(give_up.attributes) == {
        "llm_retry.give_up.reason": "not_retryable",
        "error.type": "400",
        "code.function.name": "Script",
    }


def test_otel_counts_a_stream_that_retried_then_broke_once(otel: Any, fake_clock: FakeClock) -> None:
    reader, _, _ = otel
    failures = [status_error(529)]

    @retry_llm(sleep=fake_clock.sleep, budget=None)
    def tokens() -> Iterator[str]:
        if failures:
            raise failures.pop()
        yield "Hel"
        raise ConnectionResetError("mid-stream")

    with pytest.raises(ConnectionResetError):
        list(tokens())
    found = points(reader)
    [retries] = found["llm_retry.call.retries"]
    assert (retries.count, retries.sum) == (1, 1)
    assert dict(retries.attributes)["llm_retry.outcome"] == "success"  # its answer began
    [give_up] = found["llm_retry.give_ups"]
    assert give_up.attributes["llm_retry.give_up.reason"] == "not_retryable"


def test_otel_counts_breaker_transitions(otel: Any, fake_clock: FakeClock) -> None:
    reader, _, _ = otel
    breaker = CircuitBreaker(name="anthropic", clock=fake_clock)
    breaker.open()
    breaker.close()
    breaker.open()
    found = points(reader)
    counts = {
        (p.attributes["llm_retry.breaker.previous_state"], p.attributes["llm_retry.breaker.state"]): p.value
        for p in found["llm_retry.breaker.transitions"]
    }
    assert counts == {("closed", "open"): 2, ("open", "closed"): 1}
    assert {p.attributes["llm_retry.breaker.name"] for p in found["llm_retry.breaker.transitions"]} == {
        "anthropic"
    }


def test_otel_adds_each_retry_to_the_current_span(otel: Any, fake_clock: FakeClock) -> None:
    _, exporter, tracer = otel
    ask = retry_llm(sleep=fake_clock.sleep, budget=None, seed=2)
    hinted = status_error(429, headers={"retry-after": "2"})
    with tracer.start_as_current_span("chat claude"):
        assert ask(Script(status_error(529), hinted))(SECRET) == "answer"

    [span] = exporter.get_finished_spans()
    assert span.name == "chat claude"  # the operation's span covers the retries; no span of our own
    events = [e for e in span.events if e.name == "llm_retry.retry"]
    assert [e.attributes["http.request.resend_count"] for e in events] == [1, 2]
    assert [e.attributes["error.type"] for e in events] == ["529", "429"]
    assert [e.attributes["llm_retry.error.kind"] for e in events] == ["overloaded", "rate_limited"]
    assert events[1].attributes["llm_retry.retry.delay_s"] == 2.0
    assert events[1].attributes["llm_retry.retry.from_hint"] is True
    assert [e.attributes["llm_retry.retry.delay_s"] for e in events] == fake_clock.sleeps
    assert SECRET not in repr([dict(e.attributes) for e in span.events])


def test_otel_names_an_exception_without_a_status_by_its_class(otel: Any, fake_clock: FakeClock) -> None:
    _, exporter, tracer = otel
    with tracer.start_as_current_span("chat"):
        retry_llm(sleep=fake_clock.sleep, budget=None)(Script(ConnectionResetError()))()
    [event] = exporter.get_finished_spans()[0].events
    assert event.attributes["error.type"] == "ConnectionResetError"


def test_instrumenting_the_same_meter_provider_twice_records_once(fake_clock: FakeClock) -> None:
    reader = InMemoryMetricReader()
    provider = MeterProvider(metric_readers=[reader])
    first = llm_retry.otel.instrument(meter_provider=provider)
    try:
        assert llm_retry.otel.instrument(meter_provider=provider) is first
        retry_llm(sleep=fake_clock.sleep, budget=None)(Script(TimeoutError()))()
    finally:
        remove_listener(first)
    [retries] = points(reader)["llm_retry.call.retries"]
    assert retries.count == 1


# --- Prometheus ---------------------------------------------------------------------------------------------


@pytest.fixture
def registry() -> Iterator[Any]:
    registry = prometheus_client.CollectorRegistry()
    listener = llm_retry.prometheus.instrument(registry)
    yield registry
    remove_listener(listener)


def test_prometheus_counts_retries_by_kind_and_give_ups_by_reason(
    registry: Any, fake_clock: FakeClock
) -> None:
    ask = retry_llm(sleep=fake_clock.sleep, budget=None, max_attempts=3)
    assert ask(Script(status_error(529), status_error(429)))(SECRET) == "answer"
    with pytest.raises(type(status_error(529))):
        ask(Script(*[status_error(529)] * 3))()

    value = registry.get_sample_value
    assert value("llm_retry_retries_total", {"function": "Script", "kind": "overloaded"}) == 3
    assert value("llm_retry_retries_total", {"function": "Script", "kind": "rate_limited"}) == 1
    assert value("llm_retry_give_ups_total", {"function": "Script", "reason": "attempts_exhausted"}) == 1
    assert value("llm_retry_retry_delay_seconds_count", {"function": "Script"}) == 4
    assert value("llm_retry_retry_delay_seconds_sum", {"function": "Script"}) == pytest.approx(
        sum(fake_clock.sleeps)
    )
    exposition = prometheus_client.generate_latest(registry).decode()
    assert SECRET not in exposition
    assert "attempt=" not in exposition


def test_prometheus_shows_each_breakers_state(registry: Any, fake_clock: FakeClock) -> None:
    breaker = CircuitBreaker(name="openai", clock=fake_clock, cooldown_s=1.0)
    breaker.open()
    assert registry.get_sample_value("llm_retry_breaker_state", {"breaker": "openai"}) == 2
    breaker.close()
    assert registry.get_sample_value("llm_retry_breaker_state", {"breaker": "openai"}) == 0


def test_instrumenting_the_same_registry_twice_is_one_listener(registry: Any) -> None:
    first = llm_retry.prometheus.instrument(registry)
    assert llm_retry.prometheus.instrument(registry) is first
