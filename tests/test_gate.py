"""`RateLimitGate`: a 429 or 529 with a server hint, seen by any caller sharing the gate, holds every caller's
next attempt (first attempts included) until the hint has passed; they are released spread out, never
early; a hold longer than a caller can wait fails it fast. Fake clocks and sleeps throughout, and trio's
virtual time for crowds.
"""

from __future__ import annotations

import asyncio
import dataclasses
import inspect
import pickle
from typing import Any

import pytest
import trio
import trio.testing
from doubles import (
    FakeClock,
    OverloadedError,
    QuotaError,
    RateLimitError,
    ServiceUnavailableError,
)
from llm_retry import (
    BreakerState,
    CircuitBreaker,
    GateStats,
    GiveUpReason,
    RateLimitedError,
    RateLimitGate,
    _core,
    async_retry_llm,
    attempts,
    fallback,
    give_up_reason,
    retry_llm,
)


class Provider:
    """Answers from a script (an exception is raised, anything else returned) and keeps each call's time."""

    def __init__(self, clock: FakeClock, *replies: object) -> None:
        self.clock = clock
        self.replies = list(replies)
        self.called_at: list[float] = []

    def __call__(self) -> object:
        self.called_at.append(self.clock())
        reply = self.replies.pop(0) if self.replies else "ok"
        if isinstance(reply, BaseException):
            raise reply
        return reply


def decorated(provider: Provider, gate: RateLimitGate, clock: FakeClock, **kwargs: Any) -> Any:
    return retry_llm(gate=gate, sleep=clock.sleep, clock=clock, **kwargs)(provider)


def hinted_429(clock: FakeClock, gate: RateLimitGate, hint_s: float) -> None:
    """Another caller sharing the gate gets a 429 with ``retry-after: hint_s`` (and gives up: one attempt)."""
    other = decorated(Provider(clock, RateLimitError(retry_after_s=hint_s)), gate, clock, max_attempts=1)
    with pytest.raises(RateLimitError):
        other()


# --- holding -------------------------------------------------------------------------------------------


def test_a_hinted_429_holds_the_first_attempt_of_another_caller() -> None:
    clock = FakeClock()
    gate = RateLimitGate("openai", clock=clock, seed=1)
    hinted_429(clock, gate, 10.0)
    assert gate.retry_in_s() == 10.0
    clock.advance(2.0)
    provider = Provider(clock, "answer")

    assert decorated(provider, gate, clock)() == "answer"

    # Held until the hint had passed (t = 10), released within the spread (10 + 0.5 x 10), never early.
    assert len(provider.called_at) == 1
    assert 10.0 <= provider.called_at[0] < 15.0
    assert clock.sleeps == [provider.called_at[0] - 2.0]
    stats = gate.stats
    assert (stats.holds_set, stats.callers_held, stats.callers_failed_fast) == (1, 1, 0)


def test_the_caller_that_got_the_hint_waits_it_and_retries() -> None:
    clock = FakeClock()
    gate = RateLimitGate(clock=clock, seed=2)
    provider = Provider(clock, RateLimitError(retry_after_s=3), "answer")
    assert decorated(provider, gate, clock)() == "answer"
    assert provider.called_at == [0.0, 3.0]
    assert gate.stats.holds_set == 1


@pytest.mark.parametrize(
    "error",
    [
        lambda: OverloadedError(retry_after_s=4),
        lambda: ServiceUnavailableError(retry_after_s=4),
        lambda: RateLimitError(headers={"retry-after-ms": "4000"}),
    ],
    ids=["529", "503", "retry-after-ms"],
)
def test_overloads_and_every_hint_header_hold_too(error: Any) -> None:
    clock = FakeClock()
    gate = RateLimitGate(clock=clock)
    failing = decorated(Provider(clock, error()), gate, clock, max_attempts=1)
    with pytest.raises(type(error())):
        failing()
    assert gate.retry_in_s() == pytest.approx(4.0)


@pytest.mark.parametrize(
    "error",
    [RateLimitError, ServiceUnavailableError, QuotaError, lambda: RateLimitError(retry_after_s=0)],
    ids=["429-no-hint", "503-no-hint", "quota-429", "retry-after-0"],
)
def test_no_hint_or_a_spent_quota_holds_nobody(error: Any) -> None:
    clock = FakeClock()
    gate = RateLimitGate(clock=clock)
    failing = decorated(Provider(clock, error()), gate, clock, max_attempts=1)
    with pytest.raises(Exception):  # noqa: B017  (whatever it is, it is re-raised)
        failing()
    assert gate.retry_in_s() == 0.0
    provider = Provider(clock)
    assert decorated(provider, gate, clock)() == "ok"
    assert provider.called_at == [0.0] and clock.sleeps == []


def test_held_callers_are_released_spread_out_never_early() -> None:
    """200 callers arrive during an 8 s hold: each first attempt goes after the hold, at its own instant,
    spread over the 4 s after it."""
    called_at: list[float] = []

    async def main() -> None:
        gate = RateLimitGate("anthropic", clock=trio.current_time, seed=9)

        @async_retry_llm(gate=gate, max_attempts=1)
        async def call(reply: object) -> object:
            called_at.append(trio.current_time())
            if isinstance(reply, Exception):
                raise reply
            return reply

        with pytest.raises(RateLimitError):
            await call(RateLimitError(retry_after_s=8))
        called_at.clear()

        async def one(at_s: float) -> None:
            await trio.sleep(at_s)
            assert await call("ok") == "ok"

        async with trio.open_nursery() as nursery:
            for i in range(200):
                nursery.start_soon(one, 8.0 * i / 200)
        assert gate.stats.callers_held == 200

    trio.run(main, clock=trio.testing.MockClock(autojump_threshold=0))
    assert len(called_at) == 200
    assert all(8.0 <= t < 12.0 for t in called_at), (min(called_at), max(called_at))
    assert len(set(called_at)) == 200, "two callers released at the same instant"
    # Spread over the window, not bunched at its start: no second of it takes more than 40 % of them.
    for second in range(4):
        in_second = sum(1 for t in called_at if 8.0 + second <= t < 9.0 + second)
        assert in_second < 80, (second, in_second)


def test_a_later_hint_extends_the_hold_and_a_shorter_one_does_not_shorten_it() -> None:
    clock = FakeClock()
    gate = RateLimitGate(clock=clock)

    def in_flight_during_a_longer_hold() -> object:
        hinted_429(clock, gate, 10.0)  # another caller's 429, while this attempt is in flight
        raise RateLimitError(retry_after_s=2)

    with pytest.raises(RateLimitError):
        retry_llm(gate=gate, clock=clock, sleep=clock.sleep, max_attempts=1)(in_flight_during_a_longer_hold)()
    assert gate.retry_in_s() == 10.0
    assert gate.stats.holds_set == 1
    clock.advance(20.0)
    hinted_429(clock, gate, 30.0)
    assert gate.retry_in_s() == 30.0
    assert gate.stats.holds_set == 2


# --- failing fast --------------------------------------------------------------------------------------


def test_a_first_attempt_whose_deadline_is_shorter_than_the_hold_fails_fast() -> None:
    clock = FakeClock()
    gate = RateLimitGate("openai", clock=clock, seed=3)
    hinted_429(clock, gate, 20.0)
    provider = Provider(clock)
    call = decorated(provider, gate, clock, deadline_s=5.0)

    with pytest.raises(RateLimitedError) as info:
        call()

    assert provider.called_at == [] and clock.sleeps == []
    exc = info.value
    assert exc.gate_name == "openai"
    assert exc.reason is GiveUpReason.DEADLINE
    assert 20.0 <= exc.retry_in_s < 30.0
    assert "rate-limit gate 'openai' holds calls" in str(exc)
    assert "deadline" in str(exc)
    assert gate.stats.callers_failed_fast == 1


def test_a_gates_refusal_survives_pickle_with_its_fields_and_reason() -> None:
    """Raised in a worker process, it reaches the parent through pickle (multiprocessing, task queues)."""
    clock = FakeClock()
    gate = RateLimitGate("openai", clock=clock, seed=3)
    hinted_429(clock, gate, 20.0)
    with pytest.raises(RateLimitedError) as info:
        decorated(Provider(clock), gate, clock, deadline_s=5.0)()
    clone = pickle.loads(pickle.dumps(info.value))
    assert type(clone) is RateLimitedError and str(clone) == str(info.value)
    assert (clone.gate_name, clone.retry_in_s, clone.reason) == (
        "openai",
        info.value.retry_in_s,
        GiveUpReason.DEADLINE,
    )
    assert give_up_reason(clone) is GiveUpReason.DEADLINE


def test_a_first_attempt_whose_max_retry_after_is_shorter_than_the_hold_fails_fast() -> None:
    clock = FakeClock()
    gate = RateLimitGate(clock=clock)
    hinted_429(clock, gate, 20.0)
    provider = Provider(clock)
    with pytest.raises(RateLimitedError) as info:
        decorated(provider, gate, clock, max_retry_after_s=5.0)()
    assert info.value.reason is GiveUpReason.HINT_TOO_LONG
    assert "max_retry_after_s" in str(info.value)
    assert provider.called_at == []
    # Later in the hold, what is left fits: the same caller waits instead.
    clock.advance(16.0)
    assert decorated(provider, gate, clock, max_retry_after_s=5.0)() == "ok"
    assert provider.called_at[0] >= 20.0


def test_a_retry_held_too_long_gives_up_with_the_hold_in_the_note() -> None:
    clock = FakeClock()
    gate = RateLimitGate("openai", clock=clock)
    first = ServiceUnavailableError()
    called_at: list[float] = []

    def hold_then_fail() -> object:
        # While this attempt is in flight, another caller sharing the gate gets a 429 asking for 60 s.
        called_at.append(clock())
        hinted_429(clock, gate, 60.0)
        raise first

    call = retry_llm(gate=gate, sleep=clock.sleep, clock=clock, max_retry_after_s=30.0, base_delay_s=0.1)(
        hold_then_fail
    )
    with pytest.raises(ServiceUnavailableError) as info:
        call()

    assert info.value is first
    assert called_at == [0.0]
    note = info.value.__notes__[-1]
    assert note.startswith("llm-retry: gave up after attempt 1: rate-limit gate 'openai' holds calls for")
    assert "(the provider's hint), more than this call's max_retry_after_s" in note
    assert gate.stats.callers_failed_fast == 1


def test_a_retry_past_its_deadline_gives_up_with_the_hold_in_the_note() -> None:
    clock = FakeClock()
    gate = RateLimitGate("openai", clock=clock)
    first = ServiceUnavailableError()

    def hold_then_fail() -> object:
        hinted_429(clock, gate, 20.0)
        raise first

    call = retry_llm(gate=gate, sleep=clock.sleep, clock=clock, deadline_s=10.0, base_delay_s=0.01)(
        hold_then_fail
    )
    with pytest.raises(ServiceUnavailableError) as info:
        call()
    assert "past this call's deadline" in info.value.__notes__[-1]


# --- every way in ----------------------------------------------------------------------------------------


def test_the_gate_holds_attempts_blocks_and_streams() -> None:
    clock = FakeClock()
    gate = RateLimitGate(clock=clock, seed=4)
    hinted_429(clock, gate, 5.0)

    for attempt in attempts(gate=gate, sleep=clock.sleep, clock=clock):
        with attempt:
            block_at = clock()
    assert 5.0 <= block_at < 7.5

    hinted_429(clock, gate, 5.0)
    started = clock()

    @retry_llm(gate=gate, sleep=clock.sleep, clock=clock)
    def stream() -> Any:
        yield clock()
        yield "more"

    first_chunk_at, _ = list(stream())
    assert started + 5.0 <= first_chunk_at < started + 7.5


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_an_async_caller_is_held_too(backend: str) -> None:
    clock = FakeClock()
    gate = RateLimitGate(clock=clock, seed=5)
    hinted_429(clock, gate, 6.0)

    @async_retry_llm(gate=gate, sleep=clock.async_sleep, clock=clock)
    async def call() -> float:
        return clock()

    called_at = asyncio.run(call()) if backend == "asyncio" else trio.run(call)
    assert 6.0 <= called_at < 9.0


def test_a_gate_with_a_breaker_429s_hold_callers_and_leave_the_breaker_closed() -> None:
    clock = FakeClock()
    gate = RateLimitGate(clock=clock, seed=6)
    breaker = CircuitBreaker(failure_threshold=1, clock=clock)
    replies = [RateLimitError(retry_after_s=2) for _ in range(3)]
    busy = Provider(clock, *replies)
    call = retry_llm(gate=gate, breaker=breaker, sleep=clock.sleep, clock=clock, max_attempts=5)(busy)
    assert call() == "ok"
    assert breaker.state is BreakerState.CLOSED
    assert busy.called_at == [0.0, 2.0, 4.0, 6.0]


def test_a_held_first_attempt_moves_a_fallback_on() -> None:
    clock = FakeClock()
    gate = RateLimitGate("primary-key", clock=clock)
    hinted_429(clock, gate, 120.0)
    primary = decorated(Provider(clock), gate, clock)
    secondary = Provider(clock, "from the secondary")
    assert fallback(primary, secondary)() == "from the secondary"


def test_the_success_path_reads_no_clock_while_nothing_is_held() -> None:
    reads = 0

    def counting_clock() -> float:
        nonlocal reads
        reads += 1
        return 0.0

    gate = RateLimitGate(clock=counting_clock)
    reads = 0

    # The call takes the gate's clock; budget=None, since a budget on a custom clock reads it (per call).
    @retry_llm(gate=gate, budget=None)
    def call() -> str:
        return "ok"

    assert [call() for _ in range(100)] == ["ok"] * 100
    assert reads == 0


# --- the value it reports ----------------------------------------------------------------------------------


def test_stats_are_a_frozen_typed_value() -> None:
    clock = FakeClock()
    gate = RateLimitGate(clock=clock)
    hinted_429(clock, gate, 4.0)
    stats = gate.stats
    assert isinstance(stats, GateStats)
    assert stats == gate.stats
    assert (stats.holds_set, stats.callers_held, stats.callers_failed_fast) == (1, 0, 0)
    assert stats.retry_in_s == 4.0
    with pytest.raises(AttributeError):
        stats.holds_set = 5  # type: ignore[misc]
    assert not dataclasses.is_dataclass(stats)
    assert repr(stats) == "GateStats(holds_set=1, callers_held=0, callers_failed_fast=0, retry_in_s=4.0)"
    assert repr(gate) == "RateLimitGate(name='gate', retry_in_s=4.00)"


def test_the_gate_defaults_are_the_cores() -> None:
    defaults = _core.GateSettings.defaults()
    assert inspect.signature(RateLimitGate).parameters["jitter"].default == defaults.jitter == 0.5
    assert defaults.longest_hold_s == 600.0
