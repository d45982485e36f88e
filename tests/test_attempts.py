"""`llm_retry.attempts()`, the block form: ``for attempt in attempts(...): with attempt: ...`` and its
``async for`` twin, under asyncio and trio, with breakers, budgets and deadlines.

Every wait goes through an injected ``sleep`` and every reading through an injected ``clock``, so nothing
waits in real time; the doubles are local to this file.
"""

from __future__ import annotations

import asyncio
import logging
import traceback
from typing import Any

import pytest
import trio
import trio.testing
from doubles import told_wait
from llm_retry import (
    AnthropicPreset,
    Attempt,
    BreakerState,
    CircuitBreaker,
    CircuitOpenError,
    ErrorKind,
    RetryBudget,
    RetryConfig,
    RetryEvent,
    attempts,
)


class Clock:
    """A clock that moves only when slept on (or advanced); records every wait."""

    def __init__(self, now_s: float = 100.0) -> None:
        self.now_s = now_s
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now_s

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now_s += seconds

    async def async_sleep(self, seconds: float) -> None:
        self.sleep(seconds)


class StatusError(Exception):
    def __init__(self, status_code: int, headers: dict[str, str] | None = None) -> None:
        super().__init__(f"Error code: {status_code}")
        self.status_code = status_code
        self.response = type("Response", (), {"status_code": status_code, "headers": headers or {}})()


class Provider:
    """Raises ``failures`` in order, then answers; counts its calls."""

    def __init__(self, *failures: BaseException, answer: str = "ok") -> None:
        self.failures = list(failures)
        self.answer = answer
        self.calls = 0

    def __call__(self) -> str:
        self.calls += 1
        if self.failures:
            raise self.failures.pop(0)
        return self.answer


def run_sync(provider: Provider, **kwargs: Any) -> tuple[str, list[int]]:
    numbers: list[int] = []
    reply = ""
    for attempt in attempts(**kwargs):
        with attempt:
            numbers.append(attempt.number)
            reply = provider()
    return reply, numbers


# --- sync ---------------------------------------------------------------------------------------------


def test_success_at_once_runs_the_block_once_without_sleeping() -> None:
    clock = Clock()
    provider = Provider()

    assert run_sync(provider, sleep=clock.sleep, clock=clock) == ("ok", [1])
    assert provider.calls == 1
    assert clock.sleeps == []


def test_retry_then_success_sleeps_between_attempts() -> None:
    clock = Clock()
    provider = Provider(StatusError(529), StatusError(429, {"retry-after": "3"}))
    events: list[RetryEvent] = []

    reply, numbers = run_sync(
        provider, preset=AnthropicPreset, sleep=clock.sleep, clock=clock, seed=1, on_retry=events.append
    )

    assert (reply, numbers) == ("ok", [1, 2, 3])
    assert len(clock.sleeps) == 2
    assert clock.sleeps[1] == 3.0  # the server's retry-after
    assert [e.attempt for e in events] == [1, 2]
    assert [e.delay_s for e in events] == clock.sleeps
    assert events[0].kind is ErrorKind.OVERLOADED
    assert events[0].function == "run_sync"  # the function the block is in
    assert events[0].config_name == AnthropicPreset.name


def test_giving_up_reraises_the_last_exception_itself_with_the_decorators_note() -> None:
    errors = [StatusError(529), StatusError(529), StatusError(529)]
    provider = Provider(*errors)

    with pytest.raises(StatusError) as info:
        run_sync(provider, max_attempts=3, sleep=lambda s: None)

    assert info.value is errors[2]
    assert provider.calls == 3
    assert info.value.__notes__ == [
        "llm-retry: gave up after 3 attempts (overloaded, 529): attempts exhausted"
    ]
    # The traceback is the failure's own: it ends where the provider raised.
    assert traceback.extract_tb(info.value.__traceback__)[-1].name == "__call__"


def test_the_note_is_the_same_as_the_decorators() -> None:
    from llm_retry import retry_llm

    by_block, by_decorator = StatusError(503), StatusError(503)
    with pytest.raises(StatusError):
        run_sync(Provider(by_block, by_block), max_attempts=2, sleep=lambda s: None)
    with pytest.raises(StatusError):
        retry_llm(max_attempts=2, sleep=lambda s: None)(Provider(by_decorator, by_decorator))()
    assert by_block.__notes__ == by_decorator.__notes__


def test_a_non_retryable_failure_is_raised_at_once() -> None:
    error = StatusError(401)
    clock = Clock()
    provider = Provider(error)

    with pytest.raises(StatusError) as info:
        run_sync(provider, sleep=clock.sleep)

    assert info.value is error
    assert provider.calls == 1
    assert clock.sleeps == []


def test_a_block_that_does_not_raise_ends_the_loop() -> None:
    seen: list[int] = []
    for attempt in attempts(sleep=lambda s: None):
        with attempt:
            seen.append(attempt.number)
    assert seen == [1]
    assert isinstance(attempt, Attempt)
    assert repr(attempt) == "<Attempt number=1>"


def test_each_iteration_is_a_call_of_its_own() -> None:
    block = attempts(max_attempts=2, sleep=lambda s: None)
    for _ in range(2):
        provider = Provider(StatusError(500))
        for attempt in block:
            with attempt:
                provider()
        assert attempt.number == 2


@pytest.mark.parametrize("interrupt", [KeyboardInterrupt, SystemExit, GeneratorExit])
def test_base_exceptions_are_not_retried_nor_swallowed_and_hand_the_permit_back(
    interrupt: type[BaseException],
) -> None:
    clock = Clock()
    breaker = CircuitBreaker(failure_threshold=1, cooldown_s=10.0, half_open_max_calls=1, clock=clock)
    breaker.open()
    clock.now_s += 10.0  # half-open: one probe slot
    provider = Provider(interrupt())

    with pytest.raises(interrupt):
        run_sync(provider, breaker=breaker, sleep=clock.sleep, clock=clock)

    assert provider.calls == 1
    assert breaker.stats["probes_in_flight"] == 0  # the probe slot was handed back
    assert run_sync(Provider(), breaker=breaker, sleep=clock.sleep, clock=clock) == ("ok", [1])
    assert breaker.state is BreakerState.CLOSED


def test_an_attempt_not_used_as_a_context_manager_is_an_error() -> None:
    clock = Clock()
    breaker = CircuitBreaker(clock=clock, half_open_max_calls=1, cooldown_s=1.0)
    breaker.open()
    clock.now_s += 1.0
    with pytest.raises(RuntimeError, match="with attempt"):
        for _attempt in attempts(breaker=breaker, sleep=clock.sleep):
            pass
    assert breaker.stats["probes_in_flight"] == 0


# --- breaker, budget, deadline ------------------------------------------------------------------------


def test_an_open_breaker_refuses_before_the_first_attempt() -> None:
    breaker = CircuitBreaker(cooldown_s=30.0)
    breaker.open()
    provider = Provider()

    with pytest.raises(CircuitOpenError):
        run_sync(provider, breaker=breaker)

    assert provider.calls == 0


def test_failures_count_against_the_breaker_and_an_open_breaker_stops_the_retries() -> None:
    clock = Clock()
    breaker = CircuitBreaker(failure_threshold=2, cooldown_s=60.0, clock=clock)
    errors = [StatusError(529) for _ in range(5)]
    provider = Provider(*errors)

    with pytest.raises(StatusError) as info:
        run_sync(provider, breaker=breaker, max_attempts=5, base_delay_s=0.0, sleep=clock.sleep, clock=clock)

    assert provider.calls == 2
    assert info.value is errors[1]
    assert "circuit breaker 'breaker' is open" in info.value.__notes__[-1]
    assert breaker.state is BreakerState.OPEN


def test_waiting_for_the_breaker_within_the_deadline() -> None:
    clock = Clock()
    breaker = CircuitBreaker(cooldown_s=5.0, clock=clock)
    breaker.open()

    reply, numbers = run_sync(
        Provider(), breaker=breaker, wait_for_breaker=True, deadline_s=30.0, sleep=clock.sleep, clock=clock
    )

    assert (reply, numbers) == ("ok", [1])
    # The open period, jittered upward: never early.
    assert len(clock.sleeps) == 1 and told_wait(clock.sleeps[0], 5.0)


def test_a_success_is_reported_to_the_breaker() -> None:
    clock = Clock()
    breaker = CircuitBreaker(failure_threshold=1, cooldown_s=1.0, clock=clock)
    breaker.open()
    clock.now_s += 1.0

    assert run_sync(Provider(), breaker=breaker, clock=clock) == ("ok", [1])
    assert breaker.state is BreakerState.CLOSED


def test_a_spent_budget_gives_up_with_a_note() -> None:
    budget = RetryBudget(min_retries=1, retry_ratio=0.0, name="one retry")
    errors = [StatusError(500), StatusError(500), StatusError(500)]
    provider = Provider(*errors)

    with pytest.raises(StatusError) as info:
        run_sync(provider, budget=budget, max_attempts=5, sleep=lambda s: None)

    assert provider.calls == 2  # the first retry is allowed, the second is not
    assert info.value is errors[1]
    assert "retry budget 'one retry' refused the retry" in info.value.__notes__[-1]
    assert (budget.stats.retries_allowed, budget.stats.retries_refused) == (1, 1)


def test_each_block_reports_its_first_attempt_to_the_budget() -> None:
    budget = RetryBudget()
    run_sync(Provider(StatusError(500)), budget=budget, sleep=lambda s: None)
    run_sync(Provider(), budget=budget, sleep=lambda s: None)
    stats = budget.stats
    assert (stats.first_attempts, stats.retries_allowed, stats.retries_refused) == (2, 1, 0)


def test_the_deadline_bounds_the_waits() -> None:
    clock = Clock()
    errors = [StatusError(429, {"retry-after": "20"}) for _ in range(3)]
    provider = Provider(*errors)

    with pytest.raises(StatusError) as info:
        run_sync(provider, deadline_s=30.0, max_attempts=5, sleep=clock.sleep, clock=clock)

    assert clock.sleeps == [20.0]
    assert provider.calls == 2
    assert info.value is errors[1]
    assert "deadline" in info.value.__notes__[-1]


def test_the_deadline_counts_from_the_start_of_the_iteration() -> None:
    clock = Clock()
    events: list[RetryEvent] = []
    block = attempts(deadline_s=10.0, sleep=clock.sleep, clock=clock, on_retry=events.append)
    clock.now_s += 1_000.0  # made long before it is run
    provider = Provider(StatusError(503, {"retry-after": "2"}))
    for attempt in block:
        with attempt:
            provider()
    assert events[0].deadline_remaining_s == pytest.approx(10.0)


# --- async --------------------------------------------------------------------------------------------


async def run_async(provider: Provider, **kwargs: Any) -> tuple[str, list[int]]:
    numbers: list[int] = []
    reply = ""
    async for attempt in attempts(**kwargs):
        with attempt:
            numbers.append(attempt.number)
            reply = provider()
            if _asyncio_running():
                await asyncio.sleep(0)
            else:
                await trio.lowlevel.checkpoint()
    return reply, numbers


def _asyncio_running() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def test_async_retry_then_success_with_an_async_sleep() -> None:
    clock = Clock()
    provider = Provider(StatusError(529), TimeoutError("read timed out"))

    assert asyncio.run(run_async(provider, sleep=clock.async_sleep, clock=clock)) == ("ok", [1, 2, 3])
    assert len(clock.sleeps) == 2


def test_async_sleeps_with_asyncio_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    waits: list[float] = []
    real_sleep = asyncio.sleep

    async def spy(seconds: float) -> None:
        waits.append(seconds)
        await real_sleep(0)

    monkeypatch.setattr(asyncio, "sleep", spy)
    provider = Provider(StatusError(503, {"retry-after": "0.5"}))

    assert asyncio.run(run_async(provider)) == ("ok", [1, 2])
    assert 0.5 in waits


def test_async_giving_up_reraises_the_last_exception_itself() -> None:
    errors = [StatusError(500), StatusError(500)]

    with pytest.raises(StatusError) as info:
        asyncio.run(run_async(Provider(*errors), max_attempts=2, sleep=Clock().async_sleep))

    assert info.value is errors[1]
    assert info.value.__notes__ == [
        "llm-retry: gave up after 2 attempts (server_error, 500): attempts exhausted"
    ]


def test_async_non_retryable_is_raised_at_once() -> None:
    error = StatusError(400)
    provider = Provider(error)
    with pytest.raises(StatusError) as info:
        asyncio.run(run_async(provider, sleep=Clock().async_sleep))
    assert info.value is error
    assert provider.calls == 1


def test_a_task_being_cancelled_stops_at_once_even_behind_another_exception() -> None:
    clock = Clock()
    breaker = CircuitBreaker(failure_threshold=1, cooldown_s=1.0, half_open_max_calls=1, clock=clock)
    breaker.open()
    clock.now_s += 1.0
    calls: list[int] = []

    async def main() -> None:
        started = asyncio.Event()

        async def block() -> None:
            async for attempt in attempts(breaker=breaker, sleep=clock.async_sleep, clock=clock):
                with attempt:
                    calls.append(attempt.number)
                    started.set()
                    try:
                        await asyncio.sleep(3600)
                    except asyncio.CancelledError:
                        raise ConnectionResetError("the client turned the cancellation into this") from None

        task = asyncio.create_task(block())
        await started.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(main())
    assert calls == [1]
    assert clock.sleeps == []
    assert breaker.stats["probes_in_flight"] == 0  # the probe's permit was handed back


def test_cancelled_error_in_the_block_is_not_swallowed_and_hands_the_permit_back() -> None:
    clock = Clock()
    breaker = CircuitBreaker(failure_threshold=1, cooldown_s=1.0, half_open_max_calls=1, clock=clock)
    breaker.open()
    clock.now_s += 1.0
    provider = Provider(asyncio.CancelledError())

    with pytest.raises(asyncio.CancelledError):
        asyncio.run(run_async(provider, breaker=breaker, sleep=clock.async_sleep, clock=clock))

    assert provider.calls == 1
    assert breaker.stats["probes_in_flight"] == 0


def test_trio_retries_with_its_own_sleep_in_virtual_time() -> None:
    provider = Provider(StatusError(503, {"retry-after": "7"}), StatusError(529))

    async def main() -> tuple[tuple[str, list[int]], float]:
        started = trio.current_time()
        result = await run_async(provider, base_delay_s=0.0)
        return result, trio.current_time() - started

    result, waited_s = trio.run(main, clock=trio.testing.MockClock(autojump_threshold=0))
    assert result == ("ok", [1, 2, 3])
    assert waited_s == pytest.approx(7.0)


def test_trio_cancellation_is_not_swallowed() -> None:
    provider = Provider()
    finished: list[bool] = []

    async def main() -> None:
        with trio.move_on_after(1.0):
            async for attempt in attempts(sleep=None):
                with attempt:
                    provider()
                    await trio.sleep(10)
            finished.append(True)

    trio.run(main, clock=trio.testing.MockClock(autojump_threshold=0))
    assert finished == []
    assert provider.calls == 1


# --- arguments ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        (
            {"preset": "anthropic"},
            TypeError,
            r"^preset must be None or a RetryConfig, got 'anthropic' \(str\)$",
        ),
        ({"config": 3}, TypeError, "config must be None or a RetryConfig"),
        ({"preset": AnthropicPreset, "config": RetryConfig()}, TypeError, "preset= or config="),
        ({"max_attempts": 0}, ValueError, "max_attempts must be an int from 1 to 1000000, got 0"),
        ({"max_attempts": True}, TypeError, "max_attempts must be an int"),
        ({"max_attempts": 1.5}, TypeError, "max_attempts must be an int"),
        ({"base_delay_s": -1}, ValueError, "base_delay_s"),
        ({"retries": 3}, TypeError, "unknown keyword argument.*retries"),
        ({"breaker": "b"}, TypeError, "breaker must be None or a CircuitBreaker"),
        ({"budget": 10}, TypeError, "budget must be None or a RetryBudget"),
        ({"on_retry": 3}, TypeError, "on_retry"),
        (
            {"on_retry": [print, "x"]},
            TypeError,
            r"on_retry must be a callable or a collection of callables, got 'x' \(str\)",
        ),
        ({"sleep": 0}, TypeError, "sleep must be None or callable"),
        ({"clock": 0}, TypeError, "clock must be callable"),
        ({"wait_for_breaker": 1}, TypeError, "wait_for_breaker must be a bool"),
        ({"wait_for_breaker": True}, ValueError, "wait_for_breaker=True needs a breaker and a deadline_s"),
    ],
)
def test_bad_arguments_fail_at_the_call(kwargs: dict[str, Any], error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        attempts(**kwargs)


def test_overrides_made_once_are_validated_every_time() -> None:
    attempts(max_attempts=1)
    with pytest.raises(TypeError, match="max_attempts must be an int"):
        attempts(max_attempts=True)  # equal to 1 and hashed alike: must not find the copy made for 1


def test_seeded_overrides_replay_their_jitter_at_every_call() -> None:
    def delays() -> list[float]:
        clock = Clock()
        run_sync(Provider(StatusError(500), StatusError(500)), seed=3, sleep=clock.sleep, clock=clock)
        return clock.sleeps

    assert delays() == delays()


def test_an_async_sleep_with_a_sync_loop_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="async for"):
        iter(attempts(sleep=Clock().async_sleep))


def test_a_failing_on_retry_hook_does_not_change_the_outcome(caplog: pytest.LogCaptureFixture) -> None:
    def broken(event: RetryEvent) -> None:
        raise RuntimeError("metrics backend down")

    provider = Provider(StatusError(529))
    with caplog.at_level(logging.ERROR, logger="llm_retry"):
        assert run_sync(provider, on_retry=broken, sleep=lambda s: None) == ("ok", [1, 2])
    assert any(r.exc_info and isinstance(r.exc_info[1], RuntimeError) for r in caplog.records)
