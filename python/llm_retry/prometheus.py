"""Prometheus for llm-retry (``pip install "llm-retry[prometheus]"``): counters of retries and give-ups, a
histogram of waits and the state of each breaker, from the event stream. ``prometheus_client`` is imported
only by `instrument`. Labels are low in cardinality: a function's qualified name, an error kind, a give-up
reason, a breaker's name; never an attempt number or anything of the call's arguments.
"""

from __future__ import annotations

import threading
from typing import Any

from ._events import BreakerEvent, Event, GiveUpEvent, Listener, RetryEvent, StoreEvent, add_listener
from ._kinds import BreakerState

__all__ = ["BREAKER_STATE_VALUES", "instrument"]

BREAKER_STATE_VALUES: dict[BreakerState, int] = {
    BreakerState.CLOSED: 0,
    BreakerState.HALF_OPEN: 1,
    BreakerState.OPEN: 2,
}
"""The value of ``llm_retry_breaker_state`` for each state: 0 closed, 1 half-open, 2 open."""

# Seconds of one wait: from a jittered 50 ms to the longest server hint a default config honours.
_DELAY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, float("inf"))

_instrumented: dict[int, tuple[object, Listener]] = {}
_lock = threading.Lock()


def instrument(registry: Any = None) -> Listener:
    """Export llm-retry's metrics through ``prometheus_client``, into ``registry`` (default: its global
    ``REGISTRY``):

    - ``llm_retry_retries_total{function,kind}``: failed attempts that were retried, by `ErrorKind`.
    - ``llm_retry_give_ups_total{function,reason}``: calls that stopped and raised, by `GiveUpReason`.
    - ``llm_retry_retry_delay_seconds{function}``: a histogram of each wait before a retry.
    - ``llm_retry_breaker_state{breaker}``: each breaker's state once it has changed (0 closed,
      1 half-open, 2 open; `BREAKER_STATE_VALUES`).
    - ``llm_retry_store_degraded{store}``: 1 while a `RedisStore` is not answering (its objects use local
      state), 0 once it answers again; ``llm_retry_store_degradations_total{store}`` counts the outages.

    Returns the listener it added (`llm_retry.remove_listener` takes it off); instrumenting the same registry
    again returns the same listener (a registry refuses a metric registered twice).

    >>> from prometheus_client import CollectorRegistry
    >>> import llm_retry, llm_retry.prometheus
    >>> registry = CollectorRegistry()
    >>> listener = llm_retry.prometheus.instrument(registry)
    >>> @llm_retry.retry_llm(max_attempts=3, base_delay_s=0.0, budget=None)
    ... def ask() -> str:
    ...     raise ConnectionResetError("peer reset")
    >>> try:
    ...     ask()
    ... except ConnectionResetError:
    ...     pass
    >>> llm_retry.remove_listener(listener)
    >>> registry.get_sample_value("llm_retry_retries_total", {"function": "ask", "kind": "network"})
    2.0
    >>> labels = {"function": "ask", "reason": "attempts_exhausted"}
    >>> registry.get_sample_value("llm_retry_give_ups_total", labels)
    1.0
    """
    try:
        import prometheus_client
    except ImportError as missing:
        raise ImportError(
            'llm_retry.prometheus needs prometheus_client: pip install "llm-retry[prometheus]"'
        ) from missing
    target = prometheus_client.REGISTRY if registry is None else registry
    with _lock:
        kept = _instrumented.get(id(target))
        if kept is not None and kept[0] is target:
            return kept[1]
        listener = _listener(prometheus_client, target)
        _instrumented[id(target)] = (target, listener)
    add_listener(listener)
    return listener


def _listener(prometheus_client: Any, registry: Any) -> Listener:
    retries = prometheus_client.Counter(
        "llm_retry_retries",
        "Failed attempts that llm-retry retried, by error kind.",
        ["function", "kind"],
        registry=registry,
    )
    give_ups = prometheus_client.Counter(
        "llm_retry_give_ups",
        "Calls that llm-retry stopped and raised, by reason.",
        ["function", "reason"],
        registry=registry,
    )
    delay = prometheus_client.Histogram(
        "llm_retry_retry_delay_seconds",
        "Each wait before a retry, in seconds.",
        ["function"],
        buckets=_DELAY_BUCKETS,
        registry=registry,
    )
    state = prometheus_client.Gauge(
        "llm_retry_breaker_state",
        "Circuit breaker state: 0 closed, 1 half-open, 2 open.",
        ["breaker"],
        registry=registry,
    )

    degraded = prometheus_client.Gauge(
        "llm_retry_store_degraded",
        "1 while a RedisStore is not answering (local state decides), else 0.",
        ["store"],
        registry=registry,
    )
    degradations = prometheus_client.Counter(
        "llm_retry_store_degradations",
        "Times a RedisStore stopped answering.",
        ["store"],
        registry=registry,
    )

    def listener(event: Event) -> None:
        if isinstance(event, RetryEvent):
            retries.labels(event.function, event.kind.value).inc()
            delay.labels(event.function).observe(event.delay_s)
        elif isinstance(event, GiveUpEvent):
            give_ups.labels(event.function, event.reason.value).inc()
        elif isinstance(event, BreakerEvent):
            state.labels(event.breaker).set(BREAKER_STATE_VALUES[event.new])
        elif isinstance(event, StoreEvent):
            degraded.labels(event.store).set(1 if event.degraded else 0)
            if event.degraded:
                degradations.labels(event.store).inc()

    return listener
