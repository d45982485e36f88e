"""The decorators' first attempt made inline with a breaker on the default clock (`BreakerCore.acquire_closed`
and `record_success`), a budget or a deadline: the same outcomes and counts as the engine's path.

These breakers read the real monotonic clock, so nothing here depends on time passing: cooldowns are long
(300 s) and state changes are made by hand.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from llm_retry import (
    BreakerState,
    CircuitBreaker,
    CircuitOpenError,
    RetryBudget,
    async_retry_llm,
    retry_llm,
)


class OverloadedError(Exception):
    status_code = 529


class BadRequestError(Exception):
    status_code = 400


def no_sleep(seconds: float) -> None:
    pass


async def no_async_sleep(seconds: float) -> None:
    pass


EXTRAS: list[dict[str, Any]] = [
    {"budget": None},
    {"budget": "budget"},
    {"budget": None, "deadline_s": 600.0},
    {"budget": "budget", "deadline_s": 600.0},
]
IDS = ["breaker only", "with a budget", "with a deadline", "with both"]


def settings(extra: dict[str, Any]) -> dict[str, Any]:
    return {k: (RetryBudget() if v == "budget" else v) for k, v in extra.items()}


@pytest.mark.parametrize("extra", EXTRAS, ids=IDS)
def test_an_answer_is_reported_to_the_breaker_and_the_budget(extra: dict[str, Any]) -> None:
    breaker = CircuitBreaker(failure_threshold=3, cooldown_s=300.0)
    kwargs = settings(extra)

    @retry_llm(breaker=breaker, sleep=no_sleep, **kwargs)
    def call() -> str:
        return "ok"

    assert [call() for _ in range(3)] == ["ok"] * 3
    stats = breaker.stats
    assert (stats["total_calls"], stats["successes"], stats["failures"]) == (3, 3, 0)
    if kwargs["budget"] is not None:
        assert kwargs["budget"].stats.first_attempts == 3


@pytest.mark.parametrize("extra", EXTRAS, ids=IDS)
def test_failures_count_and_an_answer_resets_them(extra: dict[str, Any]) -> None:
    breaker = CircuitBreaker(failure_threshold=2, cooldown_s=300.0)
    script: list[Exception | None] = [OverloadedError(), None, OverloadedError(), OverloadedError()]

    @retry_llm(breaker=breaker, sleep=no_sleep, max_attempts=1, **settings(extra))
    def call() -> str:
        error = script.pop(0)
        if error is not None:
            raise error
        return "ok"

    with pytest.raises(OverloadedError):
        call()
    assert call() == "ok"  # one failure, then an answer: not consecutive
    assert breaker.state is BreakerState.CLOSED
    with pytest.raises(OverloadedError):
        call()
    with pytest.raises(OverloadedError):
        call()
    assert breaker.state is BreakerState.OPEN
    with pytest.raises(CircuitOpenError):
        call()
    assert script == []


@pytest.mark.parametrize("extra", EXTRAS, ids=IDS)
def test_a_retry_after_an_inline_failure_takes_a_new_permit(extra: dict[str, Any]) -> None:
    breaker = CircuitBreaker(failure_threshold=5, cooldown_s=300.0)
    script: list[Exception | None] = [OverloadedError(), OverloadedError(), None]

    @retry_llm(breaker=breaker, sleep=no_sleep, base_delay_s=0.0, **settings(extra))
    def call() -> str:
        error = script.pop(0)
        if error is not None:
            raise error
        return "ok"

    assert call() == "ok"
    stats = breaker.stats
    assert (stats["total_calls"], stats["successes"], stats["failures"]) == (3, 1, 2)
    assert stats["consecutive_failures"] == 0


def test_a_client_error_is_neutral_and_raised_at_once() -> None:
    breaker = CircuitBreaker(failure_threshold=1, cooldown_s=300.0)
    error = BadRequestError()

    @retry_llm(breaker=breaker, sleep=no_sleep)
    def call() -> str:
        raise error

    with pytest.raises(BadRequestError) as info:
        call()
    assert info.value is error
    assert breaker.state is BreakerState.CLOSED
    assert breaker.stats["neutral"] == 1


@pytest.mark.parametrize("extra", EXTRAS, ids=IDS)
def test_an_interrupt_hands_the_permit_back(extra: dict[str, Any]) -> None:
    breaker = CircuitBreaker(failure_threshold=1, cooldown_s=300.0)

    @retry_llm(breaker=breaker, sleep=no_sleep, **settings(extra))
    def call() -> str:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        call()
    stats = breaker.stats
    assert (stats["total_calls"], stats["neutral"], stats["failures"]) == (1, 1, 0)
    assert breaker.state is BreakerState.CLOSED


def test_an_open_breaker_refuses_without_calling() -> None:
    breaker = CircuitBreaker(cooldown_s=300.0)
    breaker.open()
    calls: list[int] = []

    @retry_llm(breaker=breaker)
    def call() -> str:
        calls.append(1)
        return "ok"

    with pytest.raises(CircuitOpenError) as info:
        call()
    assert calls == []
    assert info.value.retry_in_s > 200
    assert breaker.stats["rejected"] == 1  # asked once, not twice


def test_permits_of_a_past_generation_are_stale() -> None:
    breaker = CircuitBreaker(failure_threshold=1, cooldown_s=300.0)

    @retry_llm(breaker=breaker, max_attempts=1)
    def reset_then_fail() -> str:
        breaker.open()
        breaker.close()  # a new generation: this call's permit is from the one before
        raise OverloadedError()

    @retry_llm(breaker=breaker)
    def call() -> str:
        return "ok"

    assert call() == "ok"
    with pytest.raises(OverloadedError):
        reset_then_fail()
    assert breaker.state is BreakerState.CLOSED  # the stale failure did not trip it
    assert call() == "ok"
    assert breaker.stats["successes"] == 2


@pytest.mark.parametrize("extra", EXTRAS, ids=IDS)
def test_async_the_same(extra: dict[str, Any]) -> None:
    breaker = CircuitBreaker(failure_threshold=2, cooldown_s=300.0)
    script: list[BaseException | None] = [None, OverloadedError(), None, asyncio.CancelledError()]

    @async_retry_llm(breaker=breaker, sleep=no_async_sleep, base_delay_s=0.0, **settings(extra))
    async def call() -> str:
        await asyncio.sleep(0)
        error = script.pop(0)
        if error is not None:
            raise error
        return "ok"

    async def main() -> None:
        assert await call() == "ok"
        assert await call() == "ok"  # after one retry
        with pytest.raises(asyncio.CancelledError):
            await call()

    asyncio.run(main())
    stats = breaker.stats
    assert (stats["total_calls"], stats["successes"], stats["failures"], stats["neutral"]) == (4, 2, 1, 1)
    assert breaker.state is BreakerState.CLOSED


def test_async_an_open_breaker_refuses_without_calling() -> None:
    breaker = CircuitBreaker(cooldown_s=300.0)
    breaker.open()

    @async_retry_llm(breaker=breaker)
    async def call() -> str:
        raise AssertionError("not called")

    with pytest.raises(CircuitOpenError):
        asyncio.run(call())
