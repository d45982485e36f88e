"""The worker processes of tests/test_redis_store.py's fleet tests: each one is a separate interpreter
(multiprocessing, spawn) with its own `RedisStore` on the test's Redis server, and reports what it saw
through a queue. Module-level functions, so that a spawned child can import them.
"""

from __future__ import annotations

import logging
import multiprocessing.synchronize
import threading
import time
from typing import Any

import redis
from doubles import status_error
from llm_retry import (
    CircuitBreaker,
    CircuitOpenError,
    RateLimitedError,
    RateLimitGate,
    RedisStore,
    RetryBudget,
    retry_llm,
)

PREFIX = "fleet-test"
SYNC_INTERVAL_S = 0.05


def store(port: int, timeout_s: float = 2.0) -> RedisStore:
    """A worker's store; its bound generous, so that a loaded machine does not degrade it (these tests are
    about what the fleet shares)."""
    client = redis.Redis(host="127.0.0.1", port=port)
    return RedisStore(client, prefix=PREFIX, sync_interval_s=SYNC_INTERVAL_S, timeout_s=timeout_s)


def probing_worker(
    port: int,
    entered: Any,
    release: multiprocessing.synchronize.Event,
    results: Any,
    threads: int,
    half_open_max_calls: int,
) -> None:
    """``threads`` callers that keep calling through a breaker the fleet has opened, for 2 s: a call that gets
    in counts itself in ``entered`` and hangs until ``release`` (a probe in flight); the others are refused.
    Reports (probes made, refusals, other errors) per thread."""
    shared = store(port)
    breaker = CircuitBreaker(
        name="provider",
        cooldown_s=0.2,
        half_open_max_calls=half_open_max_calls,
        probe_lease_s=30.0,
        store=shared,
    )

    # A process learns the fleet's state with its first round, started when the breaker was made.
    deadline = time.monotonic() + 10.0
    while not shared.stats()["rounds"] and time.monotonic() < deadline:
        time.sleep(0.005)

    @retry_llm(breaker=breaker, max_attempts=1, budget=None)
    def call() -> str:
        with entered.get_lock():
            entered.value += 1
        release.wait(10.0)
        return "ok"

    def caller() -> None:
        made = refused = 0
        others: list[str] = []
        deadline = time.monotonic() + 2.0
        while time.monotonic() < deadline and not made:
            try:
                call()
                made += 1
            except CircuitOpenError:
                refused += 1
                time.sleep(0.01)
            except Exception as exc:  # any other error reaching the caller is a failure of the test
                others.append(repr(exc))
        results.put((made, refused, others))

    workers = [threading.Thread(target=caller) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()


def budget_worker(
    port: int,
    first_attempts: int,
    ready: multiprocessing.synchronize.Barrier,
    results: Any,
) -> None:
    """``first_attempts`` answered calls, then (once every worker has made theirs) one call that fails until
    the fleet's budget refuses its retry. Reports the retries it made and any error other than the call's."""
    logging.getLogger("llm_retry").setLevel(logging.ERROR)  # a WARNING per retry, from 4 processes
    shared = store(port, timeout_s=5.0)  # exact while the store answers
    budget = RetryBudget(name="provider", min_retries=3, retry_ratio=0.1, store=shared)
    attempts = 0

    @retry_llm(budget=budget, max_attempts=1000, base_delay_s=0.0, sleep=lambda s: None)
    def answered() -> str:
        return "ok"

    @retry_llm(budget=budget, max_attempts=1000, base_delay_s=0.0, sleep=lambda s: None)
    def failing() -> str:
        nonlocal attempts
        attempts += 1
        raise status_error(503)

    for _ in range(first_attempts):
        answered()
    shared.sync()
    ready.wait(30.0)
    others: list[str] = []
    try:
        failing()
    except Exception as exc:
        if getattr(exc, "status_code", None) != 503:
            others.append(repr(exc))
    if shared.stats()["degradations"]:
        others.append(f"the store degraded: {shared.stats()}")
    results.put((attempts - 1, others))


def gate_worker(
    port: int,
    role: str,
    go: multiprocessing.synchronize.Event,
    results: Any,
) -> None:
    """The "hinted" worker gets a 429 with retry-after 5 s; the "held" ones then wait (at most 3 s) to see the
    hold, and report how long that took and whether a call then fails fast without reaching the provider."""
    shared = store(port)
    gate = RateLimitGate("provider", store=shared)
    calls = 0

    @retry_llm(gate=gate, max_attempts=1, budget=None, max_retry_after_s=1.0)
    def call() -> str:
        nonlocal calls
        calls += 1
        if role == "hinted":
            raise status_error(429, headers={"retry-after": "5"})
        return "ok"

    if role == "hinted":
        try:
            call()
        except Exception as exc:
            results.put((role, getattr(exc, "status_code", None), calls))
        # The hold is sent by the store's own round (started at once); this worker exits only once it is in.
        raw = redis.Redis(host="127.0.0.1", port=port)
        deadline = time.monotonic() + 5.0
        while raw.get(shared.key("gate", "provider")) is None and time.monotonic() < deadline:
            time.sleep(0.005)
        go.set()
        return
    go.wait(10.0)
    started = time.monotonic()
    while gate.retry_in_s() == 0 and time.monotonic() - started < 3.0:
        time.sleep(0.005)
    seen_after_s = time.monotonic() - started
    try:
        call()
        outcome = "called"
    except RateLimitedError:
        outcome = "held"
    results.put((role, seen_after_s, outcome, calls))


def join_all(processes: list[Any], timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    for p in processes:
        p.join(max(0.1, deadline - time.monotonic()))
        if p.is_alive():
            p.kill()
            raise AssertionError(f"worker {p.name} did not finish within {timeout_s} s")
        assert p.exitcode == 0, f"worker {p.name} exited with {p.exitcode}"
