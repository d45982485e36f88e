"""Stress: 64 threads and 1,000 asyncio tasks hammering one circuit breaker and one retry budget through
decorated functions. Every count must add up exactly, nothing may deadlock, and a half-open breaker must let
exactly `half_open_max_calls` probes through however many callers race for them.

Sleeps are no-ops and the breaker and the budget run on a fake clock that the callers move, so nothing waits
for real (the budget-alone tests read the real clock, with a window of a year, so that nothing expires).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import threading
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from doubles import (
    BadRequestError,
    InternalServerError,
    RateLimitError,
    ServiceUnavailableError,
    SharedClock,
    no_sleep,
)
from llm_retry import (
    BreakerState,
    CircuitBreaker,
    CircuitOpenError,
    RetryBudget,
    RetryEvent,
    async_retry_llm,
    retry_llm,
)

THREADS = 64
CALLS_PER_THREAD = 150
TASKS = 1000
JOIN_TIMEOUT_S = 60.0

BUDGET_NOTE = "refused the retry"
YEAR_S = 31_536_000.0
BREAKER_NOTE = "circuit breaker"


class Tally:
    """Thread-safe counters."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.counts: Counter[str] = Counter()

    def add(self, key: str, n: int = 1) -> None:
        with self._lock:
            self.counts[key] += n

    def __getitem__(self, key: str) -> int:
        return self.counts[key]


@contextlib.contextmanager
def quiet_retry_logs() -> Iterator[None]:
    """Thousands of retry warnings would only slow the test down."""
    logger = logging.getLogger("llm_retry")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        logger.setLevel(level)


async def yield_sleep(seconds: float) -> None:
    await asyncio.sleep(0)


# What the breaker counts as neither a success nor a health failure: a 400, and a 429 (a rate signal).
NEUTRAL = (BadRequestError, RateLimitError)


def outcome_of(draw: float) -> Exception | None:
    """Mixed traffic: about half the attempts succeed, most failures are provider failures."""
    if draw < 0.5:
        return None
    if draw < 0.7:
        return ServiceUnavailableError("503")
    if draw < 0.9:
        return RateLimitError("429")
    if draw < 0.95:
        return TimeoutError("read timed out")
    return BadRequestError("400")


def record_outcome(tally: Tally, exc: BaseException | None) -> None:
    if exc is None:
        tally.add("ok")
        return
    tally.add("errors")
    joined = " ".join(getattr(exc, "__notes__", []))
    if isinstance(exc, CircuitOpenError):
        tally.add("circuit_open")
    elif BREAKER_NOTE in joined:
        tally.add("breaker_note")
    elif BUDGET_NOTE in joined:
        tally.add("budget_note")


def assert_counts_add_up(tally: Tally, calls: int, breaker: CircuitBreaker, budget: RetryBudget) -> None:
    assert tally["ok"] + tally["errors"] == calls
    invocations = tally["invoked"]
    assert invocations == tally["fn_ok"] + tally["fn_provider_failure"] + tally["fn_neutral"]
    assert tally["fn_ok"] == tally["ok"]
    # Each call's first attempt was either rejected by the breaker or made; each retry the budget paid for
    # was either made or rejected by the breaker.
    assert invocations == calls - tally["circuit_open"] + tally["retries"] - tally["breaker_note"]

    stats = breaker.stats
    assert stats["total_calls"] == invocations
    assert stats["successes"] == tally["fn_ok"]
    assert stats["failures"] == tally["fn_provider_failure"]
    assert stats["neutral"] == tally["fn_neutral"]
    assert stats["rejected"] == tally["circuit_open"] + tally["breaker_note"]
    assert stats["probes_in_flight"] == 0

    # Each first attempt made was reported; each retry the budget allowed was made or refused by the breaker.
    budget_stats = budget.stats
    assert budget_stats.first_attempts == calls - tally["circuit_open"]
    assert budget_stats.retries_allowed == tally["retries"]
    assert budget_stats.retries_refused == tally["budget_note"]
    # All of it within one window of the fake clock, and within the rule.
    assert budget_stats.first_attempts_in_window == budget_stats.first_attempts
    allowance = budget.min_retries + budget.retry_ratio * budget_stats.first_attempts
    assert budget_stats.retries_allowed_in_window <= allowance


# --- mixed traffic --------------------------------------------------------------------------------------


def test_threads_hammering_one_breaker_and_one_budget() -> None:
    clock = SharedClock()
    # No slow start here: its pacing can keep a short run closed after the first trip, and this test
    # wants the breaker to open, close and reopen under threads (the asyncio test below keeps the pacing).
    breaker = CircuitBreaker(
        failure_threshold=5, cooldown_s=0.2, half_open_max_calls=2, clock=clock, seed=1, slow_start_s=0.0
    )
    budget = RetryBudget(min_retries=50, retry_ratio=0.2, clock=clock)
    tally = Tally()

    def on_retry(event: RetryEvent) -> None:
        tally.add("retries")

    def make(max_attempts: int) -> Any:
        @retry_llm(
            breaker=breaker, budget=budget, sleep=no_sleep, on_retry=on_retry, max_attempts=max_attempts
        )
        def call(rng: random.Random) -> str:
            tally.add("invoked")
            clock.advance(0.0005)
            error = outcome_of(rng.random())
            if error is None:
                tally.add("fn_ok")
                return "ok"
            tally.add("fn_neutral" if isinstance(error, NEUTRAL) else "fn_provider_failure")
            raise error

        return call

    chat, embed = make(max_attempts=4), make(max_attempts=2)
    start = threading.Barrier(THREADS)
    crashes: list[BaseException] = []

    def worker(seed: int) -> None:
        rng = random.Random(seed)
        try:
            start.wait()
            for i in range(CALLS_PER_THREAD):
                clock.advance(0.001)
                try:
                    (chat if i % 2 else embed)(rng)
                except Exception as exc:
                    record_outcome(tally, exc)
                else:
                    record_outcome(tally, None)
        except BaseException as exc:
            crashes.append(exc)

    with quiet_retry_logs():
        threads = [threading.Thread(target=worker, args=(seed,), daemon=True) for seed in range(THREADS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=JOIN_TIMEOUT_S)

    assert not [t for t in threads if t.is_alive()], "deadlock: threads still running"
    assert crashes == []
    assert_counts_add_up(tally, THREADS * CALLS_PER_THREAD, breaker, budget)
    # The traffic really exercised every path.
    assert tally["circuit_open"] > 0
    assert tally["retries"] > 0
    assert tally["budget_note"] > 0
    assert breaker.stats["opened_count"] > 1


def test_asyncio_tasks_hammering_one_breaker_and_one_budget() -> None:
    now = [0.0]

    def clock() -> float:
        return now[0]

    breaker = CircuitBreaker(failure_threshold=5, cooldown_s=0.2, half_open_max_calls=2, clock=clock, seed=2)
    budget = RetryBudget(min_retries=50, retry_ratio=0.2, clock=clock)
    tally = Tally()

    def on_retry(event: RetryEvent) -> None:
        tally.add("retries")

    def make(max_attempts: int) -> Any:
        @async_retry_llm(
            breaker=breaker, budget=budget, sleep=yield_sleep, on_retry=on_retry, max_attempts=max_attempts
        )
        async def call(rng: random.Random) -> str:
            tally.add("invoked")
            now[0] += 0.0005
            await asyncio.sleep(0)
            error = outcome_of(rng.random())
            if error is None:
                tally.add("fn_ok")
                return "ok"
            tally.add("fn_neutral" if isinstance(error, NEUTRAL) else "fn_provider_failure")
            raise error

        return call

    chat, embed = make(max_attempts=4), make(max_attempts=2)
    calls_per_task = 3

    async def task(seed: int) -> None:
        rng = random.Random(seed)
        for i in range(calls_per_task):
            now[0] += 0.001
            try:
                await (chat if (seed + i) % 2 else embed)(rng)
            except Exception as exc:
                record_outcome(tally, exc)
            else:
                record_outcome(tally, None)

    async def main() -> None:
        await asyncio.wait_for(asyncio.gather(*(task(seed) for seed in range(TASKS))), timeout=JOIN_TIMEOUT_S)

    with quiet_retry_logs():
        asyncio.run(main())

    assert_counts_add_up(tally, TASKS * calls_per_task, breaker, budget)
    assert tally["retries"] > 0
    assert tally["budget_note"] > 0
    assert tally["circuit_open"] > 0


# --- the budget alone -----------------------------------------------------------------------------------


def test_threads_get_exactly_the_retries_their_first_attempts_earned() -> None:
    budget = RetryBudget(window_s=YEAR_S)
    invoked = Tally()

    @retry_llm(budget=budget, sleep=no_sleep, max_attempts=1_000_000, base_delay_s=0.0)
    def call() -> str:
        invoked.add("n")
        raise RateLimitError("429")

    start = threading.Barrier(THREADS)
    outcomes = Tally()

    def worker() -> None:
        start.wait()
        for _ in range(10):
            try:
                call()
            except RateLimitError as exc:
                outcomes.add("budget" if BUDGET_NOTE in " ".join(exc.__notes__) else "other")

    with quiet_retry_logs():
        threads = [threading.Thread(target=worker, daemon=True) for _ in range(THREADS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=JOIN_TIMEOUT_S)

    assert not [t for t in threads if t.is_alive()]
    calls = THREADS * 10
    assert outcomes.counts == Counter({"budget": calls})
    # 4 + 0.05 x 640 first attempts, however the threads interleaved; every call was refused one retry.
    stats = budget.stats
    assert (stats.first_attempts, stats.retries_allowed, stats.retries_refused) == (calls, 36, calls)
    assert stats.retries_available == 0
    assert invoked["n"] == calls + 36


def test_asyncio_tasks_get_exactly_the_retries_their_first_attempts_earned() -> None:
    budget = RetryBudget(window_s=YEAR_S)
    invoked = 0

    @async_retry_llm(budget=budget, sleep=yield_sleep, max_attempts=1_000_000, base_delay_s=0.0)
    async def call() -> str:
        nonlocal invoked
        invoked += 1
        await asyncio.sleep(0)
        raise InternalServerError("500")

    async def main() -> list[BaseException | str]:
        return await asyncio.wait_for(
            asyncio.gather(*(call() for _ in range(TASKS)), return_exceptions=True), timeout=JOIN_TIMEOUT_S
        )

    with quiet_retry_logs():
        results = asyncio.run(main())

    assert all(isinstance(r, InternalServerError) for r in results)
    assert sum(BUDGET_NOTE in " ".join(r.__notes__) for r in results if isinstance(r, Exception)) == TASKS
    # 4 + 0.05 x 1,000 first attempts.
    stats = budget.stats
    assert (stats.first_attempts, stats.retries_allowed, stats.retries_refused) == (TASKS, 54, TASKS)
    assert invoked == TASKS + 54


# --- half-open probes under concurrency -----------------------------------------------------------------


@pytest.mark.parametrize("max_probes", [1, 3])
def test_threads_racing_a_half_open_breaker_get_exactly_its_probes(max_probes: int) -> None:
    clock = SharedClock()
    breaker = CircuitBreaker(
        failure_threshold=1, cooldown_s=10.0, half_open_max_calls=max_probes, clock=clock, name="llm"
    )
    release = threading.Event()
    progress = threading.Condition()
    entered: list[int] = []
    rejected: list[CircuitOpenError] = []
    inside = 0
    most_inside = 0

    @retry_llm(breaker=breaker, sleep=no_sleep, max_attempts=1)
    def call(i: int) -> int:
        nonlocal inside, most_inside
        if i < 0:
            raise ServiceUnavailableError("503")
        with progress:
            entered.append(i)
            inside += 1
            most_inside = max(most_inside, inside)
            progress.notify_all()
        try:
            assert release.wait(timeout=JOIN_TIMEOUT_S)
            return i
        finally:
            with progress:
                inside -= 1

    with pytest.raises(ServiceUnavailableError):
        call(-1)
    clock.now_s = 10.0
    assert breaker.state is BreakerState.HALF_OPEN

    start = threading.Barrier(THREADS)
    results: dict[int, object] = {}

    def worker(i: int) -> None:
        start.wait()
        try:
            results[i] = call(i)
        except CircuitOpenError as exc:
            with progress:
                rejected.append(exc)
                progress.notify_all()
        except BaseException as exc:
            results[i] = exc

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(THREADS)]
    for t in threads:
        t.start()
    with progress:
        settled = progress.wait_for(lambda: len(entered) + len(rejected) == THREADS, timeout=JOIN_TIMEOUT_S)
    assert settled, (len(entered), len(rejected))

    assert len(entered) == max_probes
    assert len(rejected) == THREADS - max_probes
    assert all(exc.state is BreakerState.HALF_OPEN for exc in rejected)
    assert breaker.stats["probes_in_flight"] == max_probes

    release.set()
    for t in threads:
        t.join(timeout=JOIN_TIMEOUT_S)
    assert not [t for t in threads if t.is_alive()]

    assert most_inside == max_probes
    assert sorted(results) == sorted(entered)
    assert all(results[i] == i for i in entered)
    assert breaker.state is BreakerState.CLOSED
    stats = breaker.stats
    assert stats["total_calls"] == 1 + max_probes
    assert stats["rejected"] == THREADS - max_probes


@pytest.mark.parametrize("max_probes", [1, 3])
def test_asyncio_tasks_racing_a_half_open_breaker_get_exactly_its_probes(max_probes: int) -> None:
    now = [0.0]
    breaker = CircuitBreaker(
        failure_threshold=1, cooldown_s=10.0, half_open_max_calls=max_probes, clock=lambda: now[0]
    )
    entered: list[int] = []

    @async_retry_llm(breaker=breaker, max_attempts=1)
    async def call(i: int, release: asyncio.Event | None) -> int:
        if release is None:
            raise ServiceUnavailableError("503")
        entered.append(i)
        await release.wait()
        return i

    async def main() -> list[object]:
        with pytest.raises(ServiceUnavailableError):
            await call(-1, None)
        now[0] = 10.0
        release = asyncio.Event()
        tasks = [asyncio.create_task(call(i, release)) for i in range(TASKS)]
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        assert len(entered) == max_probes
        assert breaker.stats["probes_in_flight"] == max_probes
        release.set()
        return await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), timeout=JOIN_TIMEOUT_S)

    results = asyncio.run(main())

    answered = [r for r in results if not isinstance(r, BaseException)]
    assert sorted(answered) == sorted(entered)
    assert sum(isinstance(r, CircuitOpenError) for r in results) == TASKS - max_probes
    assert breaker.state is BreakerState.CLOSED
    assert breaker.stats["total_calls"] == 1 + max_probes
    assert breaker.stats["rejected"] == TASKS - max_probes
