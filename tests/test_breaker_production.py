"""The circuit breaker's production features, through decorated functions: failure-rate mode over a sliding
window, probe leases, bounded probes, growing open periods, waiting for the breaker within a deadline,
state-change hooks, stats, manual control, and counting only provider-health failures (never a 429).

The breaker and the decorators share one fake clock that only the test and the fake sleeps move.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import Callable
from typing import Any

import pytest
import trio
from doubles import (
    AuthenticationError,
    BadGatewayError,
    BadRequestError,
    ContextOverflowError,
    FakeClock,
    InternalServerError,
    OverloadedError,
    QuotaError,
    RateLimitError,
    ServiceUnavailableError,
    StreamErrorEvent,
    told_wait,
)
from llm_retry import (
    BreakerState,
    CircuitBreaker,
    CircuitOpenError,
    RefusalReason,
    async_retry_llm,
    retry_llm,
)

CLOSED, OPEN, HALF_OPEN = BreakerState.CLOSED, BreakerState.OPEN, BreakerState.HALF_OPEN


PROVIDER_FAILURES: list[Callable[[], Exception]] = [
    lambda: OverloadedError("529"),
    lambda: InternalServerError("500"),
    lambda: BadGatewayError("502"),
    lambda: ServiceUnavailableError(),
    lambda: StreamErrorEvent("overloaded_error"),
    lambda: ConnectionResetError("connection reset by peer"),
    lambda: TimeoutError("read timed out"),
]
PROVIDER_FAILURE_IDS = ["529", "500", "502", "503", "overloaded_error", "reset", "timeout"]

# A 429 says the provider is up and busy: a rate signal (a RateLimitGate honours it), not a health failure.
HEALTHY_PROVIDER_ERRORS: list[Callable[[], Exception]] = [
    lambda: BadRequestError("400 invalid request"),
    lambda: AuthenticationError("401 invalid x-api-key"),
    ContextOverflowError,
    QuotaError,
    lambda: RateLimitError("429"),
    lambda: RateLimitError("429", retry_after_s=2),
]
HEALTHY_PROVIDER_ERROR_IDS = ["400", "401", "context-overflow", "quota", "429", "429-retry-after"]


def guarded(breaker: CircuitBreaker, clock: FakeClock, **kwargs: Any) -> Any:
    """A decorated function that raises the exception it is given, or returns the value it is given."""
    options: dict[str, Any] = {"max_attempts": 1, "sleep": clock.sleep, "clock": clock, **kwargs}

    @retry_llm(breaker=breaker, **options)
    def call(outcome: object = "ok") -> object:
        call.calls += 1  # type: ignore[attr-defined]
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    call.calls = 0  # type: ignore[attr-defined]
    return call


def fail(call: Any, times: int = 1, error: Callable[[], Exception] = ServiceUnavailableError) -> None:
    for _ in range(times):
        with pytest.raises(type(error())):
            call(error())


def succeed(call: Any, times: int = 1) -> None:
    for _ in range(times):
        assert call("ok") == "ok"


def rejected(call: Any) -> CircuitOpenError:
    before = call.calls
    with pytest.raises(CircuitOpenError) as info:
        call("ok")
    assert call.calls == before, "a rejected call must not reach the provider"
    return info.value


class Transitions:
    """An `on_state_change` hook that records (old, new) and checks it is handed the breaker."""

    def __init__(self) -> None:
        self.seen: list[tuple[BreakerState, BreakerState]] = []
        self.breaker: CircuitBreaker | None = None

    def __call__(self, breaker: CircuitBreaker, old: BreakerState, new: BreakerState) -> None:
        assert isinstance(breaker, CircuitBreaker)
        assert self.breaker is None or breaker is self.breaker
        assert isinstance(old, BreakerState) and isinstance(new, BreakerState)
        self.seen.append((old, new))


# --- which failures count ------------------------------------------------------------------------------


@pytest.mark.parametrize("error", PROVIDER_FAILURES, ids=PROVIDER_FAILURE_IDS)
def test_provider_health_failures_trip_the_breaker(error: Callable[[], Exception]) -> None:
    clock = FakeClock()
    breaker = CircuitBreaker(failure_threshold=3, cooldown_s=30.0, clock=clock, name="llm")
    call = guarded(breaker, clock)

    fail(call, 2, error)
    assert breaker.state is CLOSED
    fail(call, 1, error)

    assert breaker.state is OPEN
    assert breaker.stats["failures"] == 3
    exc = rejected(call)
    assert exc.breaker_name == "llm"
    assert exc.state is OPEN
    assert exc.reason is RefusalReason.OPEN
    assert told_wait(exc.retry_in_s, 30.0)
    assert "circuit breaker 'llm' is open" in str(exc)


@pytest.mark.parametrize("error", HEALTHY_PROVIDER_ERRORS, ids=HEALTHY_PROVIDER_ERROR_IDS)
def test_client_errors_and_rate_limits_never_trip_the_breaker(error: Callable[[], Exception]) -> None:
    clock = FakeClock()
    breaker = CircuitBreaker(failure_threshold=2, failure_rate_threshold=0.1, minimum_calls=2, clock=clock)
    call = guarded(breaker, clock)

    fail(call, 20, error)

    assert breaker.state is CLOSED
    stats = breaker.stats
    assert (stats["failures"], stats["neutral"], stats["consecutive_failures"]) == (0, 20, 0)
    # Neither calls nor failures in the failure-rate window.
    assert (stats["window_calls"], stats["window_failures"]) == (0, 0)
    assert call.calls == 20


def test_a_client_error_between_provider_failures_neither_trips_nor_resets() -> None:
    clock = FakeClock()
    breaker = CircuitBreaker(failure_threshold=2, clock=clock)
    call = guarded(breaker, clock)

    fail(call, 1, ServiceUnavailableError)
    fail(call, 1, lambda: BadRequestError("400"))
    assert breaker.state is CLOSED
    fail(call, 1, ServiceUnavailableError)
    assert breaker.state is OPEN


def test_a_success_resets_the_consecutive_count() -> None:
    clock = FakeClock()
    breaker = CircuitBreaker(failure_threshold=3, clock=clock)
    call = guarded(breaker, clock)
    for _ in range(5):
        fail(call, 2)
        succeed(call)
    assert breaker.state is CLOSED
    assert breaker.stats["consecutive_failures"] == 0


def test_retries_within_one_call_trip_the_breaker_and_stop() -> None:
    clock = FakeClock()
    breaker = CircuitBreaker(failure_threshold=3, cooldown_s=30.0, clock=clock, name="llm")
    raised: list[Exception] = []

    @retry_llm(breaker=breaker, max_attempts=10, sleep=clock.sleep, clock=clock, base_delay_s=0.1, seed=1)
    def call() -> str:
        raised.append(ServiceUnavailableError())
        raise raised[-1]

    with pytest.raises(ServiceUnavailableError) as info:
        call()

    assert len(raised) == 3
    assert info.value is raised[-1]
    note = info.value.__notes__[-1]
    assert "gave up after attempt 3" in note
    assert "circuit breaker 'llm' is open" in note
    assert breaker.stats["rejected"] == 1


def test_a_breaker_is_shared_by_the_functions_it_guards() -> None:
    clock = FakeClock()
    breaker = CircuitBreaker(failure_threshold=2, clock=clock)
    chat, embed = guarded(breaker, clock), guarded(breaker, clock)

    fail(chat)
    fail(embed)

    assert breaker.state is OPEN
    rejected(chat)
    rejected(embed)


# --- failure-rate mode --------------------------------------------------------------------------------


def rate_breaker(clock: FakeClock, **kwargs: Any) -> CircuitBreaker:
    """Trips on a 50% failure rate over 10 s once 10 calls are seen; the consecutive rule is out of reach."""
    options: dict[str, Any] = {
        "failure_threshold": 1000,
        "failure_rate_threshold": 0.5,
        "window_s": 10.0,
        "minimum_calls": 10,
        "clock": clock,
        **kwargs,
    }
    return CircuitBreaker(**options)


def test_failure_rate_trips_only_once_minimum_calls_are_seen() -> None:
    clock = FakeClock()
    hook = Transitions()
    breaker = rate_breaker(clock, on_state_change=hook)
    call = guarded(breaker, clock)

    for _ in range(9):
        fail(call)
        clock.advance(0.1)
    assert breaker.state is CLOSED
    assert breaker.stats["failure_rate"] == 1.0
    assert breaker.stats["window_calls"] == 9

    fail(call)
    assert breaker.state is OPEN
    assert hook.seen == [(CLOSED, OPEN)]


def test_failure_rate_trips_at_the_threshold() -> None:
    clock = FakeClock()
    breaker = rate_breaker(clock)
    call = guarded(breaker, clock)

    succeed(call, 5)
    fail(call, 4)
    succeed(call)  # 4 of 10: below 50%
    assert breaker.state is CLOSED
    fail(call)  # 5 of 11
    assert breaker.state is CLOSED
    assert breaker.stats["failure_rate"] == pytest.approx(5 / 11)
    fail(call)  # 6 of 12: 50%
    assert breaker.state is OPEN


def test_old_failures_age_out_of_the_window() -> None:
    clock = FakeClock()
    breaker = rate_breaker(clock)
    call = guarded(breaker, clock)

    fail(call, 9)
    clock.advance(20.0)
    assert breaker.stats["window_calls"] == 0
    assert breaker.stats["failure_rate"] is None

    succeed(call, 9)
    fail(call)  # 1 of 10 over the window; 10 of 19 had the old failures still counted

    assert breaker.state is CLOSED
    stats = breaker.stats
    assert (stats["window_calls"], stats["window_failures"]) == (10, 1)
    assert stats["failures"] == 10  # lifetime totals keep everything


def test_only_failures_inside_the_window_count() -> None:
    clock = FakeClock()
    breaker = rate_breaker(clock)
    call = guarded(breaker, clock)

    clock.now_s = 0.5
    fail(call, 5)
    clock.now_s = 6.5
    fail(call, 4)  # 9 calls, all failed, in the window
    clock.now_s = 12.0  # the five at t=0.5 have left the 10 s window; the four at t=6.5 have not
    assert breaker.stats["window_calls"] == 4

    fail(call, 5)
    assert breaker.state is CLOSED  # 9 calls in the window
    fail(call)
    assert breaker.state is OPEN


@pytest.mark.parametrize("rate", [0.0, -0.5, 1.5, float("nan")])
def test_failure_rate_threshold_must_be_a_fraction(rate: float) -> None:
    with pytest.raises(
        ValueError, match=r"^failure_rate_threshold must be None or a number above 0 and at most 1, got "
    ):
        CircuitBreaker(failure_rate_threshold=rate)


# --- half-open probes ---------------------------------------------------------------------------------


def test_the_first_open_lasts_exactly_cooldown_s() -> None:
    clock = FakeClock()
    clock.now_s = 100.0
    breaker = CircuitBreaker(failure_threshold=1, cooldown_s=30.0, clock=clock)
    call = guarded(breaker, clock)

    fail(call)
    assert breaker.retry_in_s() == 30.0
    assert breaker.stats["current_cooldown_s"] == 30.0
    clock.now_s = 129.999
    assert told_wait(rejected(call).retry_in_s, 0.001)
    clock.now_s = 130.0
    assert breaker.state is HALF_OPEN
    succeed(call)
    assert breaker.state is CLOSED


def test_open_periods_grow_on_failed_probes_and_reset_after_a_success() -> None:
    clock = FakeClock()
    hook = Transitions()
    breaker = CircuitBreaker(
        failure_threshold=1,
        cooldown_s=10.0,
        max_cooldown_s=100.0,
        slow_start_s=0.0,  # the failure right after the close must reach the breaker, not a slow start
        clock=clock,
        seed=5,
        on_state_change=hook,
    )
    hook.breaker = breaker
    call = guarded(breaker, clock)

    fail(call)
    assert breaker.stats["current_cooldown_s"] == 10.0
    opened_at, period = clock.now_s, 10.0
    nominal = 10.0
    periods = []
    for _ in range(6):
        clock.now_s = opened_at + period - 1e-6
        rejected(call)
        clock.now_s = opened_at + period
        fail(call)  # the probe fails: open again, for longer
        opened_at, period = clock.now_s, breaker.stats["current_cooldown_s"]
        assert breaker.retry_in_s() == pytest.approx(period)
        nominal = min(2 * nominal, 100.0)
        assert 0.8 * nominal <= period <= min(1.2 * nominal, 100.0), (nominal, period)
        periods.append(period)

    assert periods[-1] <= 100.0
    assert breaker.stats["opened_count"] == 7
    clock.now_s = opened_at + period
    succeed(call)
    assert breaker.state is CLOSED
    assert breaker.stats["current_cooldown_s"] == 10.0

    fail(call)
    assert breaker.retry_in_s() == 10.0
    assert breaker.stats["current_cooldown_s"] == 10.0
    assert hook.seen[:4] == [(CLOSED, OPEN), (OPEN, HALF_OPEN), (HALF_OPEN, OPEN), (OPEN, HALF_OPEN)]
    assert hook.seen[-3:] == [(OPEN, HALF_OPEN), (HALF_OPEN, CLOSED), (CLOSED, OPEN)]


def test_grown_open_periods_are_jittered() -> None:
    periods = set()
    for seed in range(20):
        clock = FakeClock()
        breaker = CircuitBreaker(
            failure_threshold=1, cooldown_s=10.0, max_cooldown_s=100.0, clock=clock, seed=seed
        )
        call = guarded(breaker, clock)
        fail(call)
        clock.now_s = 10.0
        fail(call)
        period = breaker.stats["current_cooldown_s"]
        assert 16.0 <= period <= 24.0
        periods.add(period)
    assert len(periods) > 10


def test_a_neutral_probe_frees_its_slot_without_closing() -> None:
    clock = FakeClock()
    breaker = CircuitBreaker(failure_threshold=1, cooldown_s=30.0, clock=clock)
    call = guarded(breaker, clock)
    fail(call)
    clock.now_s = 30.0

    fail(call, 1, lambda: BadRequestError("400"))

    assert breaker.state is HALF_OPEN
    assert breaker.stats["probes_in_flight"] == 0
    succeed(call)
    assert breaker.state is CLOSED


def test_exactly_half_open_max_calls_probes_are_in_flight() -> None:
    clock = FakeClock()
    breaker = CircuitBreaker(failure_threshold=1, cooldown_s=30.0, half_open_max_calls=3, clock=clock)
    entered: list[int] = []

    @async_retry_llm(breaker=breaker, max_attempts=1, clock=clock)
    async def call(i: int, gate: asyncio.Event | None) -> int:
        entered.append(i)
        if gate is None:
            raise ServiceUnavailableError()
        await gate.wait()
        return i

    async def main() -> list[Any]:
        with pytest.raises(ServiceUnavailableError):
            await call(-1, None)
        clock.now_s = 30.0
        gate = asyncio.Event()
        tasks = [asyncio.create_task(call(i, gate)) for i in range(5)]
        for _ in range(3):
            await asyncio.sleep(0)
        assert breaker.stats["probes_in_flight"] == 3
        assert breaker.state is HALF_OPEN
        gate.set()
        return await asyncio.gather(*tasks, return_exceptions=True)

    results = asyncio.run(main())

    assert results[:3] == [0, 1, 2]
    assert all(isinstance(r, CircuitOpenError) and r.state is HALF_OPEN for r in results[3:])
    assert all(r.reason is RefusalReason.HALF_OPEN_FULL for r in results[3:])
    assert all(told_wait(r.retry_in_s, 1.0) for r in results[3:])
    assert entered == [-1, 0, 1, 2]
    assert breaker.state is CLOSED


def test_a_probe_that_never_reports_back_frees_its_slot_after_its_lease() -> None:
    clock = FakeClock()
    hook = Transitions()
    breaker = CircuitBreaker(
        failure_threshold=1, cooldown_s=30.0, probe_lease_s=60.0, clock=clock, on_state_change=hook
    )

    @async_retry_llm(breaker=breaker, max_attempts=1, clock=clock)
    async def call(gate: asyncio.Event | None, outcome: object) -> object:
        if gate is not None:
            await gate.wait()
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    async def main() -> None:
        with pytest.raises(ServiceUnavailableError):
            await call(None, ServiceUnavailableError())
        clock.now_s = 30.0
        hung_gate = asyncio.Event()
        hung = asyncio.create_task(call(hung_gate, "late answer"))
        await asyncio.sleep(0)
        assert breaker.stats["probes_in_flight"] == 1

        clock.now_s = 89.0  # the hung probe holds the only slot until its lease ends at t=90
        with pytest.raises(CircuitOpenError):
            await call(None, "ok")

        clock.now_s = 91.0
        assert breaker.state is HALF_OPEN
        assert breaker.stats["probes_in_flight"] == 0
        assert breaker.retry_in_s() == 0.0
        second_gate = asyncio.Event()
        second = asyncio.create_task(call(second_gate, ServiceUnavailableError()))
        await asyncio.sleep(0)
        assert breaker.stats["probes_in_flight"] == 1

        # The expired probe answers at last: its caller gets the answer, the breaker ignores the vote.
        hung_gate.set()
        assert await hung == "late answer"
        assert breaker.state is HALF_OPEN
        assert breaker.stats["probes_in_flight"] == 1

        second_gate.set()
        with pytest.raises(ServiceUnavailableError):
            await second
        assert breaker.state is OPEN

    asyncio.run(main())
    assert hook.seen == [(CLOSED, OPEN), (OPEN, HALF_OPEN), (HALF_OPEN, OPEN)]


@pytest.mark.parametrize("late", ["success", "failure"])
def test_a_late_result_from_an_expired_probe_is_ignored_even_with_no_replacement(late: str) -> None:
    clock = FakeClock()
    hook = Transitions()
    breaker = CircuitBreaker(
        failure_threshold=1, cooldown_s=30.0, probe_lease_s=60.0, clock=clock, on_state_change=hook
    )

    @async_retry_llm(breaker=breaker, max_attempts=1, clock=clock)
    async def call(gate: asyncio.Event | None, outcome: object) -> object:
        if gate is not None:
            await gate.wait()
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    async def main() -> None:
        with pytest.raises(ServiceUnavailableError):
            await call(None, ServiceUnavailableError())
        clock.now_s = 30.0
        gate = asyncio.Event()
        outcome = "late answer" if late == "success" else ServiceUnavailableError()
        hung = asyncio.create_task(call(gate, outcome))
        await asyncio.sleep(0)

        clock.now_s = 95.0  # lease over; nobody has taken the slot since
        gate.set()
        if late == "success":
            assert await hung == "late answer"
        else:
            with pytest.raises(ServiceUnavailableError):
                await hung
        # Neither closed nor reopened by a probe the breaker already gave up on.
        assert breaker.state is HALF_OPEN
        assert breaker.stats["probes_in_flight"] == 0
        assert await call(None, "fresh probe") == "fresh probe"
        assert breaker.state is CLOSED

    asyncio.run(main())
    assert hook.seen == [(CLOSED, OPEN), (OPEN, HALF_OPEN), (HALF_OPEN, CLOSED)]


def test_a_cancelled_probe_frees_its_slot_at_once() -> None:
    clock = FakeClock()
    breaker = CircuitBreaker(failure_threshold=1, cooldown_s=30.0, clock=clock)

    @async_retry_llm(breaker=breaker, max_attempts=1, clock=clock)
    async def call(gate: asyncio.Event | None) -> str:
        if gate is None:
            raise ServiceUnavailableError()
        await gate.wait()
        return "ok"

    async def main() -> None:
        with pytest.raises(ServiceUnavailableError):
            await call(None)
        clock.now_s = 30.0
        task = asyncio.create_task(call(asyncio.Event()))
        await asyncio.sleep(0)
        assert breaker.stats["probes_in_flight"] == 1
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert breaker.stats["probes_in_flight"] == 0
        assert breaker.state is HALF_OPEN

    asyncio.run(main())


def test_a_cancelled_probe_that_surfaces_as_another_error_frees_its_slot() -> None:
    clock = FakeClock()
    breaker = CircuitBreaker(cooldown_s=30.0, clock=clock)
    breaker.open()

    @async_retry_llm(breaker=breaker, max_attempts=3, clock=clock, sleep=clock.async_sleep)
    async def call(gate: asyncio.Event) -> str:
        try:
            await gate.wait()
        except asyncio.CancelledError:
            # Some HTTP clients turn a cancellation into their own connection error.
            raise ConnectionResetError("connection closed") from None
        return "ok"

    async def main() -> None:
        clock.now_s = 30.0
        task = asyncio.create_task(call(asyncio.Event()))
        await asyncio.sleep(0)
        assert breaker.stats["probes_in_flight"] == 1
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        # The cancelled probe said nothing about the provider: its slot is free for the next caller.
        assert breaker.stats["probes_in_flight"] == 0
        stats = breaker.stats
        assert stats["successes"] + stats["failures"] + stats["neutral"] == stats["total_calls"]

    asyncio.run(main())


def test_a_failing_state_change_hook_does_not_wedge_the_breaker() -> None:
    clock = FakeClock()

    def hook(breaker: CircuitBreaker, old: BreakerState, new: BreakerState) -> None:
        if new is HALF_OPEN:
            raise RuntimeError("metrics backend unreachable")

    # No slow start: the call after the close must reach the breaker's closed state, not its ramp.
    breaker = CircuitBreaker(
        failure_threshold=1, cooldown_s=30.0, slow_start_s=0.0, clock=clock, on_state_change=hook
    )
    call = guarded(breaker, clock)
    fail(call)

    clock.now_s = 30.0
    with contextlib.suppress(RuntimeError):
        call("first probe")  # whether the hook's error reaches the caller is the library's choice...
    clock.now_s = 31.0
    # ...but the probe slot must not be lost with it (it would otherwise stay taken for probe_lease_s).
    assert breaker.stats["probes_in_flight"] == 0 or breaker.state is CLOSED
    assert call("ok") == "ok"
    assert breaker.state is CLOSED


# --- waiting for the breaker --------------------------------------------------------------------------


def test_a_call_waits_for_an_open_breaker_within_its_deadline() -> None:
    clock = FakeClock()
    breaker = CircuitBreaker(cooldown_s=10.0, clock=clock)
    breaker.open()
    call = guarded(breaker, clock, wait_for_breaker=True, deadline_s=30.0)

    assert call("answer") == "answer"

    # The open period, jittered upward: never early.
    assert len(clock.sleeps) == 1 and told_wait(clock.sleeps[0], 10.0)
    assert clock.now_s == clock.sleeps[0]
    assert call.calls == 1
    assert breaker.state is CLOSED


def test_a_wait_that_would_not_fit_the_deadline_raises_circuit_open_error() -> None:
    clock = FakeClock()
    breaker = CircuitBreaker(cooldown_s=10.0, clock=clock, name="anthropic")
    breaker.open()
    call = guarded(breaker, clock, wait_for_breaker=True, deadline_s=5.0)

    exc = rejected(call)

    assert told_wait(exc.retry_in_s, 10.0)
    assert exc.breaker_name == "anthropic"
    assert clock.sleeps == []


def test_a_retry_waits_for_the_breaker_its_failure_opened() -> None:
    clock = FakeClock()
    breaker = CircuitBreaker(failure_threshold=1, cooldown_s=30.0, clock=clock)
    calls = 0

    @retry_llm(breaker=breaker, wait_for_breaker=True, deadline_s=100.0, sleep=clock.sleep, clock=clock)
    def call() -> str:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise ServiceUnavailableError(retry_after_s=2)
        return "ok"

    assert call() == "ok"
    # The server's hint exactly, then the rest of the open period, jittered upward.
    assert clock.sleeps[0] == 2.0
    assert len(clock.sleeps) == 2 and told_wait(clock.sleeps[1], 28.0)
    assert calls == 2
    assert breaker.state is CLOSED


def test_a_retry_gives_up_when_the_breaker_wait_would_not_fit() -> None:
    clock = FakeClock()
    breaker = CircuitBreaker(failure_threshold=1, cooldown_s=30.0, clock=clock, name="llm")
    raised: list[Exception] = []

    @retry_llm(breaker=breaker, wait_for_breaker=True, deadline_s=20.0, sleep=clock.sleep, clock=clock)
    def call() -> str:
        raised.append(ServiceUnavailableError(retry_after_s=2))
        raise raised[-1]

    with pytest.raises(ServiceUnavailableError) as info:
        call()

    assert len(raised) == 1
    assert info.value is raised[0]
    assert clock.sleeps == [2.0]
    told = re.search(r"circuit breaker 'llm' is open \(retry in (\d+\.\d\d) s\)", info.value.__notes__[-1])
    assert told is not None
    assert told_wait(float(told.group(1)), 28.0)


def test_a_waiter_never_sleeps_past_its_deadline_on_a_busy_half_open_breaker() -> None:
    clock = FakeClock()
    breaker = CircuitBreaker(failure_threshold=1, cooldown_s=30.0, clock=clock)

    @async_retry_llm(breaker=breaker, max_attempts=1, clock=clock, sleep=clock.async_sleep)
    async def hold(gate: asyncio.Event | None) -> str:
        if gate is None:
            raise ServiceUnavailableError()
        await gate.wait()
        return "probe answer"

    @async_retry_llm(
        breaker=breaker, wait_for_breaker=True, deadline_s=2.5, clock=clock, sleep=clock.async_sleep
    )
    async def waiter() -> str:
        return "never called"

    async def main() -> None:
        with pytest.raises(ServiceUnavailableError):
            await hold(None)
        clock.now_s = 30.0
        gate = asyncio.Event()
        probe = asyncio.create_task(hold(gate))
        await asyncio.sleep(0)
        with pytest.raises(CircuitOpenError) as info:
            await waiter()
        assert info.value.state is HALF_OPEN
        gate.set()
        assert await probe == "probe answer"

    asyncio.run(main())
    # Polls of about a second, jittered so that waiters do not poll in lockstep, and none past the deadline.
    assert 1 <= len(clock.sleeps) <= 2
    assert all(told_wait(s, 1.0) for s in clock.sleeps)
    assert sum(clock.sleeps) <= 2.5
    assert clock.now_s == pytest.approx(30.0 + sum(clock.sleeps))


def test_a_waiter_is_admitted_once_the_probe_closes_the_breaker() -> None:
    clock = FakeClock()
    breaker = CircuitBreaker(failure_threshold=1, cooldown_s=30.0, clock=clock, seed=3)
    gate = asyncio.Event()

    async def sleep_and_release_probe(seconds: float) -> None:
        clock.sleep(seconds)
        gate.set()
        for _ in range(5):
            await asyncio.sleep(0)

    @async_retry_llm(breaker=breaker, max_attempts=1, clock=clock)
    async def hold(wait: bool) -> str:
        if not wait:
            raise ServiceUnavailableError()
        await gate.wait()
        return "probe answer"

    @async_retry_llm(
        breaker=breaker, wait_for_breaker=True, deadline_s=5.0, clock=clock, sleep=sleep_and_release_probe
    )
    async def waiter() -> str:
        return "waiter answer"

    async def main() -> None:
        with pytest.raises(ServiceUnavailableError):
            await hold(False)
        clock.now_s = 30.0
        probe = asyncio.create_task(hold(True))
        await asyncio.sleep(0)
        assert await waiter() == "waiter answer"
        assert await probe == "probe answer"

    asyncio.run(main())
    # One half-open poll, then the slow start's short waits until the ramp admits it.
    assert told_wait(clock.sleeps[0], 1.0)
    assert all(told_wait(s, 0.5) for s in clock.sleeps[1:])
    assert sum(clock.sleeps) < 5.0
    assert breaker.state is CLOSED


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_an_async_call_waits_for_an_open_breaker(backend: str) -> None:
    clock = FakeClock()
    breaker = CircuitBreaker(cooldown_s=10.0, clock=clock)
    breaker.open()

    @async_retry_llm(
        breaker=breaker, wait_for_breaker=True, deadline_s=30.0, clock=clock, sleep=clock.async_sleep
    )
    async def call() -> str:
        return "answer"

    @async_retry_llm(
        breaker=breaker, wait_for_breaker=True, deadline_s=5.0, clock=clock, sleep=clock.async_sleep
    )
    async def impatient() -> str:
        return "never called"

    async def main() -> str:
        with pytest.raises(CircuitOpenError):
            await impatient()
        assert clock.sleeps == []
        return await call()

    assert (asyncio.run(main()) if backend == "asyncio" else trio.run(main)) == "answer"
    assert len(clock.sleeps) == 1 and told_wait(clock.sleeps[0], 10.0)


def test_wait_for_breaker_needs_a_breaker_and_a_deadline() -> None:
    breaker = CircuitBreaker()
    with pytest.raises(ValueError, match="wait_for_breaker=True needs a breaker and a deadline_s"):
        retry_llm(breaker=breaker, wait_for_breaker=True)(lambda: None)
    with pytest.raises(ValueError, match="wait_for_breaker=True needs a breaker and a deadline_s"):
        retry_llm(deadline_s=10.0, wait_for_breaker=True)(lambda: None)
    with pytest.raises(TypeError, match="wait_for_breaker must be a bool"):
        retry_llm(breaker=breaker, deadline_s=10.0, wait_for_breaker=1)(lambda: None)  # type: ignore[arg-type]


# --- hooks, stats, manual control ---------------------------------------------------------------------


def test_on_state_change_sees_every_transition() -> None:
    clock = FakeClock()
    hook = Transitions()
    breaker = CircuitBreaker(failure_threshold=2, cooldown_s=10.0, clock=clock, on_state_change=hook)
    hook.breaker = breaker
    call = guarded(breaker, clock)

    fail(call, 2)
    rejected(call)
    clock.now_s = 10.0
    fail(call)  # probe fails
    clock.now_s += breaker.stats["current_cooldown_s"]
    succeed(call)  # probe succeeds
    breaker.open()
    breaker.close()
    breaker.close()  # already closed: no transition

    assert hook.seen == [
        (CLOSED, OPEN),
        (OPEN, HALF_OPEN),
        (HALF_OPEN, OPEN),
        (OPEN, HALF_OPEN),
        (HALF_OPEN, CLOSED),
        (CLOSED, OPEN),
        (OPEN, CLOSED),
    ]


def test_stats_count_calls_outcomes_and_rejections() -> None:
    clock = FakeClock()
    breaker = CircuitBreaker(failure_threshold=3, cooldown_s=30.0, clock=clock)
    call = guarded(breaker, clock)

    succeed(call, 2)
    fail(call, 1, lambda: BadRequestError("400"))
    fail(call, 3)
    clock.advance(5.0)
    rejected(call)
    rejected(call)

    stats = breaker.stats
    assert stats["state"] is OPEN
    assert {k: stats[k] for k in ("total_calls", "successes", "failures", "neutral", "rejected")} == {
        "total_calls": 6,
        "successes": 2,
        "failures": 3,
        "neutral": 1,
        "rejected": 2,
    }
    assert stats["consecutive_failures"] == 3
    assert stats["opened_count"] == 1
    assert stats["time_in_state_s"] == 5.0
    assert stats["current_cooldown_s"] == 30.0
    assert stats["probes_in_flight"] == 0
    assert (stats["window_calls"], stats["window_failures"]) == (5, 3)
    assert stats["failure_rate"] == pytest.approx(0.6)


def test_manual_open_and_close() -> None:
    clock = FakeClock()
    breaker = CircuitBreaker(failure_threshold=3, cooldown_s=30.0, clock=clock)
    call = guarded(breaker, clock)

    breaker.open()
    assert breaker.state is OPEN
    assert told_wait(rejected(call).retry_in_s, 30.0)
    assert breaker.retry_in_s() == 30.0

    breaker.close()
    assert breaker.state is CLOSED
    succeed(call)

    # close() forgets failures: two before and two after do not make three.
    fail(call, 2)
    breaker.close()
    fail(call, 2)
    assert breaker.state is CLOSED
    assert breaker.stats["consecutive_failures"] == 2
    assert repr(breaker) == "CircuitBreaker(name='breaker', state='closed')"


def test_manual_open_lasts_cooldown_s_even_after_open_periods_grew() -> None:
    clock = FakeClock()
    hook = Transitions()
    breaker = CircuitBreaker(
        failure_threshold=1, cooldown_s=10.0, max_cooldown_s=100.0, clock=clock, on_state_change=hook
    )
    call = guarded(breaker, clock)
    fail(call)
    clock.now_s = 10.0
    fail(call)  # a failed probe: open for about 20 s
    assert breaker.stats["current_cooldown_s"] > 10.0

    breaker.open()  # already open: the period restarts at cooldown_s, and no transition is reported

    assert breaker.retry_in_s() == 10.0
    assert hook.seen == [(CLOSED, OPEN), (OPEN, HALF_OPEN), (HALF_OPEN, OPEN)]


def test_manual_open_of_a_half_open_breaker_ignores_its_probe() -> None:
    clock = FakeClock()
    breaker = CircuitBreaker(failure_threshold=1, cooldown_s=30.0, clock=clock)

    @async_retry_llm(breaker=breaker, max_attempts=1, clock=clock)
    async def call(gate: asyncio.Event | None) -> str:
        if gate is None:
            raise ServiceUnavailableError()
        await gate.wait()
        return "late"

    async def main() -> None:
        with pytest.raises(ServiceUnavailableError):
            await call(None)
        clock.now_s = 30.0
        gate = asyncio.Event()
        probe = asyncio.create_task(call(gate))
        await asyncio.sleep(0)
        breaker.open()
        gate.set()
        assert await probe == "late"
        assert breaker.state is OPEN

    asyncio.run(main())


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"failure_threshold": 0}, ValueError, "failure_threshold must be an int from 1 to 1000000, got 0"),
        ({"failure_threshold": 2.5}, TypeError, "failure_threshold must be an int"),
        (
            {"half_open_max_calls": 0},
            ValueError,
            "half_open_max_calls must be an int from 1 to 1000000, got 0",
        ),
        ({"minimum_calls": 0}, ValueError, "minimum_calls must be an int from 1 to 1000000, got 0"),
        (
            {"cooldown_s": 0},
            ValueError,
            r"cooldown_s must be a number of seconds above 0 and at most 31536000 \(a year\), got 0",
        ),
        (
            {"cooldown_s": -1.0},
            ValueError,
            r"cooldown_s must be a number of seconds above 0 and at most 31536000 \(a year\), got -1.0",
        ),
        ({"cooldown_s": "30"}, TypeError, "cooldown_s must be a number of seconds"),
        (
            {"window_s": float("inf")},
            ValueError,
            "window_s must be a number of seconds from 1 to 10000, got inf",
        ),
        (
            {"probe_lease_s": 0.0},
            ValueError,
            r"probe_lease_s must be a number of seconds above 0 and at most 31536000 \(a year\), got 0.0",
        ),
        (
            {"cooldown_s": 60.0, "max_cooldown_s": 30.0},
            ValueError,
            r"max_cooldown_s must be at least cooldown_s \(60.0\), got 30.0",
        ),
        ({"clock": 0.0}, TypeError, "clock must be callable"),
        ({"on_state_change": "log"}, TypeError, "on_state_change must be None or callable"),
    ],
)
def test_breaker_validation_names_the_field(
    kwargs: dict[str, Any], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        CircuitBreaker(**kwargs)


def test_breaker_must_be_a_circuit_breaker() -> None:
    with pytest.raises(TypeError, match="breaker must be None or a CircuitBreaker, got 'llm' \\(str\\)"):
        retry_llm(breaker="llm")(lambda: None)  # type: ignore[arg-type]
