"""OpenTelemetry for llm-retry (``pip install "llm-retry[otel]"``): metrics per logical call and an event on
the current span for each retry, from the event stream. OpenTelemetry is imported only by `instrument`.

The shapes follow gRPC's retry metrics (proposal A96): one sample per call that retried (a call without
retries records no 0), the total time waited between its attempts, and the span of the whole operation (the
GenAI span) covering every retry, each retry an event on it. No prompt, argument or attempt number is ever
an attribute of a metric.
"""

from __future__ import annotations

import threading
from typing import Any

from . import _core
from ._events import (
    BreakerEvent,
    Event,
    GiveUpEvent,
    Listener,
    RetryEvent,
    StoreEvent,
    SuccessEvent,
    add_listener,
)

__all__ = ["instrument"]

# A96's recommended boundaries for the retries of one call.
_RETRY_BUCKETS = (1.0, 2.0, 3.0, 4.0, 5.0, 10.0)
# Seconds waited in one call: from a jittered 50 ms to the longest a default config waits in all.
_DELAY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0)

_instrumented: dict[int, tuple[object, Listener]] = {}
_lock = threading.Lock()


def _error_type(exception: BaseException, classification: _core.Classification | None) -> str:
    """OpenTelemetry's ``error.type``: the HTTP status as a string when there was one, else the exception's
    fully qualified class name."""
    if classification is not None and classification.status is not None:
        return str(classification.status)
    cls = type(exception)
    return cls.__qualname__ if cls.__module__ == "builtins" else f"{cls.__module__}.{cls.__qualname__}"


def instrument(meter_provider: Any = None, tracer_provider: Any = None) -> Listener:
    """Record llm-retry's metrics with OpenTelemetry, and each retry as an event on the current span.

    Metrics, from ``meter_provider`` (default: the global one), meter ``llm_retry``:

    - ``llm_retry.call.retries`` (histogram, ``{retry}``): the retries of each call that retried, answered
      or not (a stream once, when its first chunk arrives), with ``code.function.name``,
      ``llm_retry.config`` and ``llm_retry.outcome`` (``success`` or ``give_up``).
    - ``llm_retry.call.retry_delay`` (histogram, ``s``): the seconds each such call waited between attempts.
    - ``llm_retry.give_ups`` (counter): calls that gave up, by ``llm_retry.give_up.reason`` (a
      `GiveUpReason` value), ``error.type`` and ``code.function.name``.
    - ``llm_retry.breaker.transitions`` (counter): breaker state changes, by ``llm_retry.breaker.name``,
      ``llm_retry.breaker.state`` and ``llm_retry.breaker.previous_state``.
    - ``llm_retry.store.changes`` (counter): a `RedisStore` that stopped answering or answers again, by
      ``llm_retry.store.name`` and ``llm_retry.store.state`` (``degraded`` or ``recovered``).

    Each retry adds the event ``llm_retry.retry`` to the span current where the call runs (the GenAI span
    of the operation covers all its retries), with ``http.request.resend_count`` (1 for the first retry),
    ``error.type``, ``llm_retry.error.kind``, ``llm_retry.retry.delay_s`` and
    ``llm_retry.retry.from_hint``. ``tracer_provider`` is accepted for symmetry with other
    instrumentations: the events go on the current span, whichever provider made it.

    Returns the listener it added (`llm_retry.remove_listener` takes it off); instrumenting the same meter
    provider again returns the same listener and records nothing twice.

    >>> from opentelemetry.sdk.metrics import MeterProvider
    >>> from opentelemetry.sdk.metrics.export import InMemoryMetricReader
    >>> import llm_retry, llm_retry.otel
    >>> reader = InMemoryMetricReader()
    >>> listener = llm_retry.otel.instrument(meter_provider=MeterProvider(metric_readers=[reader]))
    >>> @llm_retry.retry_llm(max_attempts=2, base_delay_s=0.0, budget=None)
    ... def ask() -> str:
    ...     raise ConnectionResetError("peer reset")
    >>> try:
    ...     ask()
    ... except ConnectionResetError:
    ...     pass
    >>> llm_retry.remove_listener(listener)
    >>> metrics = reader.get_metrics_data().resource_metrics[0].scope_metrics[0].metrics
    >>> sorted(m.name for m in metrics)
    ['llm_retry.call.retries', 'llm_retry.call.retry_delay', 'llm_retry.give_ups']
    """
    try:
        from opentelemetry import metrics, trace
    except ImportError as missing:
        raise ImportError(
            'llm_retry.otel needs OpenTelemetry: pip install "llm-retry[otel]" (opentelemetry-api)'
        ) from missing
    provider = metrics.get_meter_provider() if meter_provider is None else meter_provider
    with _lock:
        kept = _instrumented.get(id(provider))
        if kept is not None and kept[0] is provider:
            return kept[1]
        listener = _listener(provider, trace.get_current_span)
        _instrumented[id(provider)] = (provider, listener)
    add_listener(listener)
    return listener


def _listener(provider: Any, current_span: Any) -> Listener:
    meter = provider.get_meter("llm_retry", _core.VERSION)
    retries = meter.create_histogram(
        "llm_retry.call.retries",
        unit="{retry}",
        description="Retries of a call that retried; a call without retries records no 0.",
        explicit_bucket_boundaries_advisory=_RETRY_BUCKETS,
    )
    delay = meter.create_histogram(
        "llm_retry.call.retry_delay",
        unit="s",
        description="Seconds a call that retried waited between its attempts, in all.",
        explicit_bucket_boundaries_advisory=_DELAY_BUCKETS,
    )
    give_ups = meter.create_counter(
        "llm_retry.give_ups", unit="{call}", description="Calls that stopped and raised, by reason."
    )
    transitions = meter.create_counter(
        "llm_retry.breaker.transitions", unit="{transition}", description="Circuit breaker state changes."
    )
    store_changes = meter.create_counter(
        "llm_retry.store.changes",
        unit="{change}",
        description="A RedisStore that stopped answering (degraded) or answers again (recovered).",
    )

    def per_call(function: str, config: str, outcome: str, count: int, slept_s: float) -> None:
        attributes = {
            "code.function.name": function,
            "llm_retry.config": config,
            "llm_retry.outcome": outcome,
        }
        retries.record(count, attributes)
        delay.record(slept_s, attributes)

    def listener(event: Event) -> None:
        if isinstance(event, RetryEvent):
            span = current_span()
            if span.is_recording():
                span.add_event(
                    "llm_retry.retry",
                    {
                        "http.request.resend_count": event.attempt,
                        "error.type": _error_type(event.exception, event.classification),
                        "llm_retry.error.kind": event.kind.value,
                        "llm_retry.retry.delay_s": event.delay_s,
                        "llm_retry.retry.from_hint": event.from_hint,
                    },
                )
        elif isinstance(event, SuccessEvent):
            per_call(event.function, event.config_name, "success", event.retries, event.slept_s)
        elif isinstance(event, GiveUpEvent):
            # A stream that broke after its first chunk was already counted by its `SuccessEvent`.
            if event.retries and not event.streamed:
                per_call(event.function, event.config_name, "give_up", event.retries, event.slept_s)
            give_ups.add(
                1,
                {
                    "llm_retry.give_up.reason": event.reason.value,
                    "error.type": _error_type(event.exception, event.classification),
                    "code.function.name": event.function,
                },
            )
        elif isinstance(event, BreakerEvent):
            transitions.add(
                1,
                {
                    "llm_retry.breaker.name": event.breaker,
                    "llm_retry.breaker.state": event.new.value,
                    "llm_retry.breaker.previous_state": event.old.value,
                },
            )
        elif isinstance(event, StoreEvent):
            store_changes.add(
                1,
                {
                    "llm_retry.store.name": event.store,
                    "llm_retry.store.state": "degraded" if event.degraded else "recovered",
                },
            )

    return listener
