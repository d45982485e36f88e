"""Deadlines: `deadline_s` bounds the whole call, waits included. A call never sleeps past its deadline; when
the next wait (computed or server-hinted) would not fit, it gives up at once with the original exception.

Every test runs on a fake clock that only the fake sleep (and the fake "slow call") moves: no real waiting.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any

import pytest
import trio
from doubles import FakeClock, RateLimitError, ServiceUnavailableError
from hypothesis import given, settings
from hypothesis import strategies as st
from llm_retry import (
    CircuitBreaker,
    CircuitOpenError,
    ErrorKind,
    RetryConfig,
    RetryEvent,
    async_retry_llm,
    retry_llm,
)


def notes(exc: BaseException) -> list[str]:
    return list(getattr(exc, "__notes__", []))


def deadline_kwargs(how: str, deadline_s: float, **fields: Any) -> dict[str, Any]:
    """The same deadline, as a decorator keyword or as a `RetryConfig` field."""
    if how == "keyword":
        return {"deadline_s": deadline_s, **fields}
    return {"config": RetryConfig(deadline_s=deadline_s, **fields)}


HOW = pytest.mark.parametrize("how", ["keyword", "config"])


# --- sync ------------------------------------------------------------------------------------------------


@HOW
def test_a_hinted_wait_past_the_deadline_gives_up_at_once(how: str) -> None:
    clock = FakeClock()
    raised: list[Exception] = []

    @retry_llm(sleep=clock.sleep, clock=clock, **deadline_kwargs(how, 10.0, max_attempts=10))
    def call() -> str:
        raised.append(RateLimitError(retry_after_s=30))
        raise raised[-1]

    with pytest.raises(RateLimitError) as info:
        call()

    assert info.value is raised[0]
    assert len(raised) == 1
    assert clock.sleeps == []
    note = notes(info.value)[-1]
    assert "llm-retry: gave up" in note
    assert "rate_limited" in note
    assert "the next wait (30.00 s) would pass the deadline (10.00 s left)" in note


@HOW
def test_a_computed_wait_past_the_deadline_gives_up_at_once(how: str) -> None:
    clock = FakeClock()
    raised: list[Exception] = []

    # Each attempt takes 9.999 s of the 10 s deadline; any jittered wait from [0, 100] s is longer than
    # the millisecond left (the seed makes the draw reproducible).
    @retry_llm(
        sleep=clock.sleep,
        clock=clock,
        **deadline_kwargs(how, 10.0, base_delay_s=100.0, max_delay_s=100.0, seed=3, max_attempts=10),
    )
    def call() -> str:
        clock.advance(9.999)
        raised.append(ServiceUnavailableError("503 Service Unavailable"))
        raise raised[-1]

    with pytest.raises(ServiceUnavailableError) as info:
        call()

    assert info.value is raised[0]
    assert len(raised) == 1
    assert clock.sleeps == []
    note = notes(info.value)[-1]
    assert "would pass the deadline" in note
    assert "(0.00 s left)" in note


@HOW
def test_events_say_how_much_deadline_was_left_and_waits_fit_exactly(how: str) -> None:
    clock = FakeClock()
    events: list[RetryEvent] = []
    raised: list[Exception] = []

    @retry_llm(
        sleep=clock.sleep,
        clock=clock,
        on_retry=events.append,
        budget=None,
        **deadline_kwargs(how, 10.0, max_attempts=100),
    )
    def call() -> str:
        raised.append(RateLimitError(retry_after_s=2))
        raise raised[-1]

    with pytest.raises(RateLimitError) as info:
        call()

    # Attempts at t = 0, 2, 4, 6, 8, 10: the wait at t = 8 fits exactly; at t = 10 nothing is left.
    assert [e.deadline_remaining_s for e in events] == [10.0, 8.0, 6.0, 4.0, 2.0]
    assert [e.delay_s for e in events] == [2.0] * 5
    assert all(e.from_hint for e in events)
    assert [e.attempt for e in events] == [1, 2, 3, 4, 5]
    assert all(e.kind is ErrorKind.RATE_LIMITED for e in events)
    assert [e.elapsed_s for e in events] == [0.0, 2.0, 4.0, 6.0, 8.0]
    assert clock.now_s == 10.0
    assert len(raised) == 6
    assert info.value is raised[-1]
    assert "the deadline has passed" in notes(info.value)[-1]


def test_slow_attempts_count_against_the_deadline() -> None:
    clock = FakeClock()
    events: list[RetryEvent] = []
    calls = 0

    @retry_llm(sleep=clock.sleep, clock=clock, on_retry=events.append, deadline_s=10.0, max_attempts=100)
    def call() -> str:
        nonlocal calls
        calls += 1
        clock.advance(4.0)
        raise RateLimitError(retry_after_s=1)

    with pytest.raises(RateLimitError) as info:
        call()

    # Attempt 1 ends at t=4 (6 s left), attempt 2 at t=9 (1 s left: a 1 s wait still fits), attempt 3 at 14.
    assert [e.deadline_remaining_s for e in events] == [6.0, 1.0]
    assert clock.sleep_spans == [(4.0, 1.0), (9.0, 1.0)]
    assert calls == 3
    assert "the deadline has passed" in notes(info.value)[-1]


def test_the_deadline_stops_retries_before_max_attempts() -> None:
    clock = FakeClock()
    calls = 0

    @retry_llm(sleep=clock.sleep, clock=clock, deadline_s=3.5, max_attempts=100)
    def call() -> str:
        nonlocal calls
        calls += 1
        raise RateLimitError(retry_after_s=1)

    with pytest.raises(RateLimitError) as info:
        call()

    assert clock.sleeps == [1.0, 1.0, 1.0]
    assert calls == 4
    assert "the next wait (1.00 s) would pass the deadline (0.50 s left)" in notes(info.value)[-1]


def test_a_call_that_recovers_within_the_deadline_returns() -> None:
    clock = FakeClock()
    events: list[RetryEvent] = []
    calls = 0

    @retry_llm(sleep=clock.sleep, clock=clock, on_retry=events.append, deadline_s=30.0)
    def call() -> str:
        nonlocal calls
        calls += 1
        if calls < 3:
            raise RateLimitError(retry_after_s=5)
        return "answer"

    assert call() == "answer"
    assert clock.sleeps == [5.0, 5.0]
    assert [e.deadline_remaining_s for e in events] == [30.0, 25.0]


def test_without_a_deadline_events_report_none() -> None:
    events: list[RetryEvent] = []
    calls = 0

    @retry_llm(sleep=lambda s: None, on_retry=events.append)
    def call() -> str:
        nonlocal calls
        calls += 1
        if calls < 2:
            raise RateLimitError(retry_after_s=1)
        return "ok"

    assert call() == "ok"
    assert [e.deadline_remaining_s for e in events] == [None]


@settings(max_examples=60, deadline=None, database=None)
@given(
    deadline_s=st.floats(min_value=0.5, max_value=60.0),
    failures=st.lists(
        st.tuples(
            st.one_of(st.none(), st.integers(min_value=0, max_value=20)),  # the server's hint, if any
            st.floats(min_value=0.0, max_value=5.0),  # how long the attempt took
        ),
        min_size=1,
        max_size=30,
    ),
)
def test_no_wait_ever_ends_past_the_deadline(
    deadline_s: float, failures: list[tuple[int | None, float]]
) -> None:
    clock = FakeClock()
    events: list[RetryEvent] = []
    raised: list[Exception] = []

    @retry_llm(
        sleep=clock.sleep,
        clock=clock,
        on_retry=events.append,
        budget=None,
        deadline_s=deadline_s,
        max_attempts=len(failures) + 1,
        base_delay_s=0.5,
        max_delay_s=8.0,
        seed=11,
    )
    def call() -> str:
        if len(raised) == len(failures):
            return "ok"
        hint, duration_s = failures[len(raised)]
        clock.advance(duration_s)
        raised.append(RateLimitError(retry_after_s=hint))
        raise raised[-1]

    try:
        call()
    except RateLimitError as exc:
        assert exc is raised[-1]
        assert any("deadline" in note for note in notes(exc)), notes(exc)
    for start_s, seconds in clock.sleep_spans:
        assert start_s + seconds <= deadline_s + 1e-9
    for event in events:
        assert event.deadline_remaining_s is not None
        assert event.delay_s <= event.deadline_remaining_s
    # A zero wait is not slept at all.
    assert clock.sleeps == [e.delay_s for e in events if e.delay_s > 0]


@pytest.mark.parametrize(
    ("open_left_s", "deadline_s"),
    [(5.0, 10.0), (9.999, 10.0), (0.5, 0.6), (0.0004, 0.0008), (0.0001, 0.0002)],
)
def test_a_wait_for_the_breaker_never_ends_past_the_deadline(open_left_s: float, deadline_s: float) -> None:
    clock = FakeClock()
    breaker = CircuitBreaker(cooldown_s=30.0, clock=clock)
    breaker.open()
    clock.now_s = 30.0 - open_left_s
    started_s = clock.now_s

    @retry_llm(breaker=breaker, wait_for_breaker=True, deadline_s=deadline_s, sleep=clock.sleep, clock=clock)
    def call() -> str:
        return "ok"

    with contextlib.suppress(CircuitOpenError):
        call()

    for start_s, seconds in clock.sleep_spans:
        assert start_s + seconds <= started_s + deadline_s + 1e-12, (start_s, seconds)


@pytest.mark.parametrize(
    ("value", "error", "message"),
    [
        (0, ValueError, r"deadline_s must be None or a number of seconds above 0 and at most .*, got 0$"),
        (-1.0, ValueError, "deadline_s"),
        (float("inf"), ValueError, "deadline_s"),
        (float("nan"), ValueError, "deadline_s"),
        ("10", TypeError, "deadline_s"),
    ],
)
def test_bad_deadlines_are_rejected_naming_the_field(
    value: object, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        retry_llm(deadline_s=value)(lambda: None)
    with pytest.raises(error, match=message):
        RetryConfig(deadline_s=value)  # type: ignore[arg-type]


# --- async -----------------------------------------------------------------------------------------------


def run(backend: str, main: Callable[[], Any]) -> Any:
    return asyncio.run(main()) if backend == "asyncio" else trio.run(main)


BACKENDS = pytest.mark.parametrize("backend", ["asyncio", "trio"])


@BACKENDS
@HOW
def test_async_a_hinted_wait_past_the_deadline_gives_up_at_once(backend: str, how: str) -> None:
    clock = FakeClock()
    raised: list[Exception] = []

    @async_retry_llm(sleep=clock.async_sleep, clock=clock, **deadline_kwargs(how, 10.0, max_attempts=10))
    async def call() -> str:
        raised.append(RateLimitError(retry_after_s=30))
        raise raised[-1]

    async def main() -> None:
        with pytest.raises(RateLimitError) as info:
            await call()
        assert info.value is raised[0]
        assert "would pass the deadline (10.00 s left)" in notes(info.value)[-1]

    run(backend, main)
    assert len(raised) == 1
    assert clock.sleeps == []


@BACKENDS
@HOW
def test_async_events_say_how_much_deadline_was_left(backend: str, how: str) -> None:
    clock = FakeClock()
    events: list[RetryEvent] = []
    raised: list[Exception] = []

    @async_retry_llm(
        sleep=clock.async_sleep,
        clock=clock,
        on_retry=events.append,
        budget=None,
        **deadline_kwargs(how, 10.0, max_attempts=100),
    )
    async def call() -> str:
        raised.append(RateLimitError(retry_after_s=2))
        raise raised[-1]

    async def main() -> None:
        with pytest.raises(RateLimitError) as info:
            await call()
        assert info.value is raised[-1]
        assert "the deadline has passed" in notes(info.value)[-1]

    run(backend, main)
    assert [e.deadline_remaining_s for e in events] == [10.0, 8.0, 6.0, 4.0, 2.0]
    assert clock.now_s == 10.0
    assert len(raised) == 6


@BACKENDS
def test_async_a_computed_wait_past_the_deadline_gives_up(backend: str) -> None:
    clock = FakeClock()
    calls = 0

    @async_retry_llm(
        sleep=clock.async_sleep,
        clock=clock,
        deadline_s=10.0,
        base_delay_s=100.0,
        max_delay_s=100.0,
        seed=3,
        max_attempts=10,
    )
    async def call() -> str:
        nonlocal calls
        calls += 1
        clock.advance(9.999)
        raise ServiceUnavailableError("503 Service Unavailable")

    async def main() -> None:
        with pytest.raises(ServiceUnavailableError) as info:
            await call()
        assert "would pass the deadline" in notes(info.value)[-1]

    run(backend, main)
    assert calls == 1
    assert clock.sleeps == []


@BACKENDS
def test_async_recovers_within_the_deadline(backend: str) -> None:
    clock = FakeClock()
    calls = 0

    @async_retry_llm(sleep=clock.async_sleep, clock=clock, deadline_s=30.0)
    async def call() -> str:
        nonlocal calls
        calls += 1
        clock.advance(1.0)
        if calls < 3:
            raise RateLimitError(retry_after_s=5)
        return "answer"

    assert run(backend, call) == "answer"
    assert clock.sleep_spans == [(1.0, 5.0), (7.0, 5.0)]
    assert clock.now_s == 13.0
