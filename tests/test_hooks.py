"""One rule for every hook (``on_retry``, ``on_state_change``, ``on_fallback``): a hook that raises is logged
with its traceback on the ``llm_retry`` logger, and the call's retries, answer and exception are unchanged.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from llm_retry import (
    BreakerState,
    CircuitBreaker,
    FallbackEvent,
    RetryEvent,
    async_retry_llm,
    attempts,
    fallback,
    retry_llm,
)


class Clock:
    def __init__(self) -> None:
        self.now_s = 0.0

    def __call__(self) -> float:
        return self.now_s

    def sleep(self, seconds: float) -> None:
        self.now_s += seconds

    async def async_sleep(self, seconds: float) -> None:
        self.sleep(seconds)


class OverloadedError(Exception):
    status_code = 529


class BadRequestError(Exception):
    status_code = 400


class HookFailed(RuntimeError):
    pass


def broken(*args: Any) -> None:
    raise HookFailed("metrics backend unreachable")


def logged_hook_failures(caplog: pytest.LogCaptureFixture, hook: str) -> list[logging.LogRecord]:
    """The records saying that hook ``hook`` raised, each with the hook's own exception and traceback."""
    found = [r for r in caplog.records if r.name == "llm_retry" and f"the {hook} hook" in r.getMessage()]
    for record in found:
        assert record.levelno == logging.ERROR
        assert record.exc_info is not None
        assert isinstance(record.exc_info[1], HookFailed)
        assert record.exc_info[2] is not None
    return found


@pytest.fixture
def caplog_errors(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.WARNING, logger="llm_retry")
    return caplog


# --- on_retry -----------------------------------------------------------------------------------------


def test_a_raising_on_retry_hook_keeps_the_retries_and_the_answer(caplog_errors: Any) -> None:
    calls: list[int] = []
    after: list[int] = []

    @retry_llm(max_attempts=4, sleep=lambda s: None, on_retry=[broken, lambda e: after.append(e.attempt)])
    def call() -> str:
        calls.append(1)
        if len(calls) < 3:
            raise OverloadedError("529")
        return "answer"

    assert call() == "answer"
    assert len(calls) == 3
    assert after == [1, 2]  # the hooks after the broken one still run
    assert len(logged_hook_failures(caplog_errors, "on_retry")) == 2


def test_a_raising_on_retry_hook_keeps_the_users_own_exception(caplog_errors: Any) -> None:
    errors = [OverloadedError("529") for _ in range(3)]

    @retry_llm(max_attempts=3, sleep=lambda s: None, on_retry=broken)
    def call() -> str:
        raise errors.pop(0)

    last = errors[-1]
    with pytest.raises(OverloadedError) as info:
        call()
    assert info.value is last
    assert "attempts exhausted" in info.value.__notes__[-1]
    assert len(logged_hook_failures(caplog_errors, "on_retry")) == 2


def test_a_raising_on_retry_hook_in_async_code(caplog_errors: Any) -> None:
    calls: list[int] = []

    @async_retry_llm(max_attempts=3, sleep=Clock().async_sleep, on_retry=broken)
    async def call() -> str:
        calls.append(1)
        if len(calls) == 1:
            raise OverloadedError("529")
        return "answer"

    assert asyncio.run(call()) == "answer"
    assert len(calls) == 2
    assert len(logged_hook_failures(caplog_errors, "on_retry")) == 1


def test_a_raising_on_retry_hook_in_streams(caplog_errors: Any) -> None:
    starts: list[int] = []

    @retry_llm(max_attempts=3, sleep=lambda s: None, on_retry=broken)
    def tokens() -> Iterator[str]:
        starts.append(1)
        if len(starts) == 1:
            raise OverloadedError("529")
        yield from ["a", "b"]

    @async_retry_llm(max_attempts=3, sleep=Clock().async_sleep, on_retry=broken)
    async def async_tokens() -> AsyncIterator[str]:
        starts.append(1)
        if len(starts) == 3:
            raise OverloadedError("529")
        for token in ["c", "d"]:
            yield token

    async def drain() -> list[str]:
        return [t async for t in async_tokens()]

    assert list(tokens()) == ["a", "b"]
    assert asyncio.run(drain()) == ["c", "d"]
    assert len(starts) == 4
    assert len(logged_hook_failures(caplog_errors, "on_retry")) == 2


def test_a_raising_on_retry_hook_in_the_block_form(caplog_errors: Any) -> None:
    calls: list[int] = []
    for attempt in attempts(max_attempts=3, sleep=lambda s: None, on_retry=broken):
        with attempt:
            calls.append(attempt.number)
            if attempt.number == 1:
                raise OverloadedError("529")
    assert calls == [1, 2]
    assert len(logged_hook_failures(caplog_errors, "on_retry")) == 1


def test_a_hook_that_is_interrupted_is_not_swallowed() -> None:
    def interrupted(event: RetryEvent) -> None:
        raise KeyboardInterrupt

    @retry_llm(max_attempts=3, sleep=lambda s: None, on_retry=interrupted)
    def call() -> str:
        raise OverloadedError("529")

    with pytest.raises(KeyboardInterrupt):
        call()


# --- on_state_change ----------------------------------------------------------------------------------


@pytest.mark.parametrize("clocked", [True, False], ids=["custom clock", "default clock"])
def test_a_raising_on_state_change_hook_keeps_the_outcome(caplog_errors: Any, clocked: bool) -> None:
    clock = Clock()
    extra: dict[str, Any] = {"clock": clock} if clocked else {}
    breaker = CircuitBreaker(failure_threshold=1, cooldown_s=30.0, on_state_change=broken, **extra)
    error = OverloadedError("529")

    @retry_llm(breaker=breaker, max_attempts=3, sleep=lambda s: None)
    def call() -> str:
        raise error

    with pytest.raises(OverloadedError) as info:
        call()  # the failure trips the breaker: closed -> open, and the hook raises

    assert info.value is error
    assert breaker.state is BreakerState.OPEN
    [record] = logged_hook_failures(caplog_errors, "on_state_change")
    assert "breaker 'breaker', closed -> open" in record.getMessage()


def test_a_raising_on_state_change_hook_on_an_answered_probe(caplog_errors: Any) -> None:
    clock = Clock()
    breaker = CircuitBreaker(failure_threshold=1, cooldown_s=30.0, on_state_change=broken, clock=clock)
    breaker.open()
    clock.now_s = 30.0

    @async_retry_llm(breaker=breaker, clock=clock, sleep=clock.async_sleep)
    async def call() -> str:
        return "answer"

    assert asyncio.run(call()) == "answer"  # open -> half-open -> closed, the hook raising each time
    assert breaker.state is BreakerState.CLOSED
    assert len(logged_hook_failures(caplog_errors, "on_state_change")) == 3


# --- on_fallback --------------------------------------------------------------------------------------


def test_a_raising_on_fallback_hook_keeps_the_answer(caplog_errors: Any) -> None:
    def primary(prompt: str) -> str:
        raise OverloadedError("529")

    def secondary(prompt: str) -> str:
        return f"secondary: {prompt}"

    assert fallback(primary, secondary, on_fallback=broken)("hi") == "secondary: hi"
    assert len(logged_hook_failures(caplog_errors, "on_fallback")) == 1


def test_a_raising_on_fallback_hook_keeps_the_exception(caplog_errors: Any) -> None:
    error = BadRequestError("400")
    seen: list[FallbackEvent] = []

    def primary(prompt: str) -> str:
        raise OverloadedError("529")

    def secondary(prompt: str) -> str:
        raise error

    def hook(event: FallbackEvent) -> None:
        seen.append(event)
        broken()

    async def async_primary(prompt: str) -> str:
        raise OverloadedError("529")

    async def async_secondary(prompt: str) -> str:
        return "async secondary"

    with pytest.raises(BadRequestError) as info:
        fallback(primary, secondary, on_fallback=hook)("hi")
    assert info.value is error
    assert asyncio.run(fallback(async_primary, async_secondary, on_fallback=hook)("hi")) == "async secondary"
    assert len(seen) == 2
    assert len(logged_hook_failures(caplog_errors, "on_fallback")) == 2
