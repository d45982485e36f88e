"""Breakers that recover with the provider: a 429 never opens one, open periods stay short so that it closes
within seconds of the provider's return, a slow start lets the backlog back in gradually, and every wait a
refused caller is told is jittered upward, so that waiters never wake together.

The fleet scenarios run in trio's virtual time (`trio.testing.MockClock`, jumping to the next wake-up at
once): hundreds of callers wait out an outage without a real second passing.
"""

from __future__ import annotations

import contextlib
import pickle
from collections import Counter
from typing import Any

import pytest
import trio
import trio.testing
from doubles import FakeClock, RateLimitError, ServiceUnavailableError
from llm_retry import (
    BreakerState,
    CircuitBreaker,
    CircuitOpenError,
    GiveUpReason,
    RefusalReason,
    async_retry_llm,
    give_up_reason,
    retry_llm,
)

CLOSED, OPEN, HALF_OPEN = BreakerState.CLOSED, BreakerState.OPEN, BreakerState.HALF_OPEN


def guarded(breaker: CircuitBreaker, clock: FakeClock, **kwargs: Any) -> Any:
    @retry_llm(breaker=breaker, max_attempts=1, sleep=clock.sleep, clock=clock, **kwargs)
    def call(outcome: object = "ok") -> object:
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    return call


def tripped_after(clock: FakeClock, calls: int, every_s: float, seed: int) -> tuple[CircuitBreaker, Any]:
    """A breaker with ``failure_threshold=1`` that carried ``calls`` answered calls ``every_s`` apart, then
    opened by a failure; and the guarded call (failing fast) that made them."""
    breaker = CircuitBreaker(failure_threshold=1, clock=clock, seed=seed)
    call = guarded(breaker, clock)
    for _ in range(calls):
        assert call() == "ok"
        clock.advance(every_s)
    with pytest.raises(ServiceUnavailableError):
        call(ServiceUnavailableError())
    return breaker, call


# --- a 429 is a rate signal ----------------------------------------------------------------------------


def test_429s_never_open_a_breaker_however_many() -> None:
    clock = FakeClock()
    breaker = CircuitBreaker(failure_threshold=1, failure_rate_threshold=0.01, minimum_calls=1, clock=clock)
    call = guarded(breaker, clock)
    for _ in range(500):
        with pytest.raises(RateLimitError):
            call(RateLimitError(retry_after_s=1))
        clock.advance(0.01)
    assert breaker.state is CLOSED
    stats = breaker.stats
    assert (stats["failures"], stats["neutral"], stats["window_calls"]) == (0, 500, 0)
    # An overload still counts.
    with pytest.raises(ServiceUnavailableError):
        call(ServiceUnavailableError())
    assert breaker.state is OPEN


def test_retried_429s_leave_the_breaker_closed_and_the_call_succeeds() -> None:
    clock = FakeClock()
    breaker = CircuitBreaker(failure_threshold=2, clock=clock)
    replies: list[object] = [RateLimitError(retry_after_s=1) for _ in range(4)] + ["answer"]

    @retry_llm(breaker=breaker, max_attempts=5, sleep=clock.sleep, clock=clock)
    def call() -> object:
        reply = replies.pop(0)
        if isinstance(reply, Exception):
            raise reply
        return reply

    assert call() == "answer"
    assert breaker.state is CLOSED
    assert clock.sleeps == [1.0, 1.0, 1.0, 1.0]


def test_a_429_on_a_probe_frees_the_slot_without_reopening() -> None:
    clock = FakeClock()
    breaker = CircuitBreaker(failure_threshold=1, clock=clock, slow_start_s=0.0)
    call = guarded(breaker, clock)
    with pytest.raises(ServiceUnavailableError):
        call(ServiceUnavailableError())
    clock.advance(2.0)
    with pytest.raises(RateLimitError):
        call(RateLimitError())
    assert breaker.state is HALF_OPEN
    assert breaker.stats["probes_in_flight"] == 0
    assert call() == "ok"
    assert breaker.state is CLOSED


# --- short, bounded open periods ---------------------------------------------------------------------


def test_open_periods_double_from_2_s_and_stop_at_10_s() -> None:
    clock = FakeClock()
    breaker = CircuitBreaker(failure_threshold=1, clock=clock, seed=4)
    call = guarded(breaker, clock)
    with pytest.raises(ServiceUnavailableError):
        call(ServiceUnavailableError())
    periods = [breaker.stats["current_cooldown_s"]]
    for _ in range(8):
        clock.advance(breaker.retry_in_s())
        with pytest.raises(ServiceUnavailableError):
            call(ServiceUnavailableError())  # the probe fails: open again
        periods.append(breaker.stats["current_cooldown_s"])
    assert periods[0] == 2.0
    nominal = [2.0, 4.0, 8.0, 10.0, 10.0, 10.0, 10.0, 10.0, 10.0]
    assert all(0.8 * n <= p <= min(1.2 * n, 10.0) for n, p in zip(nominal, periods, strict=True)), periods
    assert max(periods) <= 10.0


def test_a_cooldown_longer_than_the_default_cap_is_its_own_cap() -> None:
    clock = FakeClock()
    breaker = CircuitBreaker(failure_threshold=1, cooldown_s=30.0, clock=clock)
    call = guarded(breaker, clock)
    with pytest.raises(ServiceUnavailableError):
        call(ServiceUnavailableError())
    clock.advance(30.0)
    with pytest.raises(ServiceUnavailableError):
        call(ServiceUnavailableError())
    # Not doubled to 60 s: capped at 30 s, jittered (-20 %) below it.
    assert 24.0 <= breaker.stats["current_cooldown_s"] <= 30.0


def test_the_breaker_closes_within_seconds_of_the_providers_return() -> None:
    """One caller asking every 200 ms through a 60 s outage: the breaker closes at most one open period
    (10 s) after the provider is back, where a 30 s cooldown doubling to 300 s took minutes."""
    back_at_s = 60.0
    for seed in range(10):
        clock = FakeClock()
        breaker = CircuitBreaker(clock=clock, seed=seed)

        @retry_llm(breaker=breaker, max_attempts=1, sleep=clock.sleep, clock=clock)
        def call(clock: FakeClock = clock) -> str:
            if clock() < back_at_s:
                raise ServiceUnavailableError()
            return "ok"

        first_answer_s = None
        while first_answer_s is None and clock() < 200.0:
            try:
                call()
            except (ServiceUnavailableError, CircuitOpenError):
                clock.advance(0.2)
            else:
                first_answer_s = clock()
        assert first_answer_s is not None
        assert breaker.state is CLOSED
        assert 0.0 <= first_answer_s - back_at_s <= 10.2, (seed, first_answer_s)


# --- slow start ---------------------------------------------------------------------------------------


def closed_by_a_probe(clock: FakeClock, **kwargs: Any) -> CircuitBreaker:
    breaker = CircuitBreaker(failure_threshold=1, clock=clock, **kwargs)
    call = guarded(breaker, clock)
    with pytest.raises(ServiceUnavailableError):
        call(ServiceUnavailableError())
    clock.advance(breaker.retry_in_s())
    assert call() == "ok"
    assert breaker.state is CLOSED
    return breaker


def paced_admissions(before: float, from_s: float, to_s: float) -> float:
    """What the slow start admits between ``from_s`` and ``to_s`` after closing (numerically)."""

    def rate(t: float) -> float:
        return 0.5 * before * 2**t if t <= 1 else before * min(1 + 0.2 * (t - 1), 1.6)

    steps = 1000
    width = (to_s - from_s) / steps
    return sum(rate(from_s + (i + 0.5) * width) for i in range(steps)) * width


def test_slow_start_paces_a_backlog_at_a_rate_that_doubles() -> None:
    """A breaker that carried 20 calls a second trips and is closed by a probe; then 1,000 callers a second
    ask. The slow start admits by rate, not by share, whatever the crowd: from half the old traffic doubling
    for a second, then 20 % of it more each second, up to 1.6 times it; refusals say so."""
    clock = FakeClock()
    breaker, call = tripped_after(clock, 200, 0.05, seed=11)
    before = breaker.stats["rate_before_trip"]
    assert 18.0 <= before <= 20.5, before  # 201 calls admitted over the 10 s window
    clock.advance(breaker.retry_in_s())
    assert call() == "ok"
    assert breaker.state is CLOSED
    closed_at = clock()
    admitted_per_s = []
    told_until = closed_at  # when the last refused caller was told to come back
    for second in range(4):
        admitted = 0
        for i in range(1000):
            clock.now_s = closed_at + second + i / 1000
            try:
                call()
            except CircuitOpenError as exc:
                assert exc.reason is RefusalReason.SLOW_START
                assert exc.state is CLOSED
                assert "slow start" in str(exc)
                assert exc.retry_in_s > 0
                told_until = max(told_until, clock() + exc.retry_in_s)
            else:
                admitted += 1
        admitted_per_s.append(admitted)
    expected = [paced_admissions(before, k, k + 1) for k in range(4)]
    assert all(abs(n - e) <= 0.15 * e + 2 for n, e in zip(admitted_per_s, expected, strict=True)), (
        admitted_per_s,
        expected,
    )
    assert breaker.stats["paced_rate"] is not None
    # Ordinary traffic once the crowd is gone: after 5 s, a second without a refusal and the time the last
    # refused caller was told to come back, no pacing; before that time, still paced.
    assert told_until > closed_at + 4.0
    clock.now_s = max(closed_at + 6.0, told_until) - 0.2
    assert call() == "ok"
    assert breaker.stats["paced_rate"] is not None
    clock.now_s = max(closed_at + 6.0, told_until)
    assert call() == "ok"
    assert breaker.stats["paced_rate"] is None
    assert breaker.stats["admit_fraction"] == 1.0
    assert breaker.stats["slow_start_left_s"] == 0.0


def test_a_call_that_fails_fast_waits_out_a_slow_starts_pace_within_its_deadline() -> None:
    """Failing fast is for an outage; a slow start's refusal names the next slot of a provider that is back.
    A call with a deadline waits for that slot (and says so in its refusal event); one without a deadline,
    or refused because the breaker is open, still fails at once."""
    clock = FakeClock()
    breaker = CircuitBreaker(failure_threshold=1, clock=clock, seed=3)
    events: list[Any] = []
    strict = guarded(breaker, clock)
    patient = guarded(breaker, clock, deadline_s=30.0, on_event=events.append)
    for _ in range(200):
        assert strict() == "ok"
        clock.advance(0.05)
    with pytest.raises(ServiceUnavailableError):
        strict(ServiceUnavailableError())
    with pytest.raises(CircuitOpenError) as open_refusal:
        patient()
    assert open_refusal.value.reason is RefusalReason.OPEN
    assert [e.waits for e in events if type(e).__name__ == "RefusalEvent"] == [False]
    events.clear()
    clock.advance(breaker.retry_in_s())
    assert strict() == "ok"  # the probe: closed, pacing from here
    with pytest.raises(CircuitOpenError) as paced:
        for _ in range(100):  # no clock moves: the pace's slots run out within a few calls
            strict()
    assert paced.value.reason is RefusalReason.SLOW_START
    started = clock()
    assert patient() == "ok"  # refused by the pace, then admitted after the wait it was told
    waited = [e for e in events if type(e).__name__ == "RefusalEvent"]
    assert waited and all(e.reason is RefusalReason.SLOW_START and e.waits for e in waited), waited
    assert 0 < clock() - started < 5.0


def test_a_caller_waiting_for_the_breaker_makes_a_close_elsewhere_pace_this_processs_share() -> None:
    """A close by a probe in another process sharing a store (`close_after_probe`) paces the backlog that
    waits here at this process's share of the fleet's traffic (0.2 a second: from 0.1), spread over its
    first interval. With nobody waiting, the next callers are fresh arrivals, and the slow start is the one
    a close of its own would make (from 2 a second): held for a share's slots, one every 5 s or more, a
    fleet that failed fast stayed at half its traffic for seconds after the provider was back."""
    clock = FakeClock()
    breaker, _ = tripped_after(clock, 12, 5.0, seed=5)
    paced_while_waiting: list[float | None] = []

    def sleep(seconds: float) -> None:
        # The caller below is refused by the open breaker and waits: a probe elsewhere closes it meanwhile.
        if not paced_while_waiting:
            breaker._core.close_after_probe(clock())
            paced_while_waiting.append(breaker.stats["paced_rate"])
        clock.sleep(seconds)

    patient = retry_llm(
        breaker=breaker, max_attempts=1, sleep=sleep, clock=clock, deadline_s=30.0, wait_for_breaker=True
    )(lambda: "ok")
    assert patient() == "ok"
    assert paced_while_waiting[0] == pytest.approx(0.5 * 13 / 60, rel=0.1)

    clock = FakeClock()
    breaker, strict = tripped_after(clock, 12, 5.0, seed=5)
    with pytest.raises(CircuitOpenError):
        strict()  # refused, and gone: it waits for nothing
    breaker._core.close_after_probe(clock())
    assert breaker.stats["paced_rate"] == pytest.approx(2.0)
    assert strict() == "ok"  # its first slot is free


def test_a_breakers_refusal_survives_pickle_with_its_fields_reason_and_notes() -> None:
    """Raised in a worker process, it reaches the parent through pickle (multiprocessing, task queues)."""
    clock = FakeClock()
    breaker, strict = tripped_after(clock, 12, 5.0, seed=5)
    with pytest.raises(CircuitOpenError) as info:
        strict()
    info.value.add_note("seen by the worker")
    clone = pickle.loads(pickle.dumps(info.value))
    assert type(clone) is CircuitOpenError and str(clone) == str(info.value)
    fields = (clone.breaker_name, clone.retry_in_s, clone.state, clone.reason)
    assert fields == (breaker.name, info.value.retry_in_s, OPEN, RefusalReason.OPEN)
    assert give_up_reason(clone) is GiveUpReason.BREAKER_OPEN
    assert clone.__notes__ == ["seen by the worker"]


def test_slow_start_is_off_with_zero_and_after_closing_by_hand() -> None:
    clock = FakeClock()
    breaker = closed_by_a_probe(clock, slow_start_s=0.0)
    call = guarded(breaker, clock)
    assert all(call() == "ok" for _ in range(200))
    breaker = CircuitBreaker(clock=clock)
    breaker.open()
    breaker.close()
    call = guarded(breaker, clock)
    assert all(call() == "ok" for _ in range(200))


def test_a_failure_during_the_slow_start_can_open_it_again() -> None:
    clock = FakeClock()
    breaker = closed_by_a_probe(clock, seed=2)
    call = guarded(breaker, clock)
    while breaker.state is CLOSED:
        clock.advance(0.01)
        with contextlib.suppress(ServiceUnavailableError, CircuitOpenError):
            call(ServiceUnavailableError())
    assert breaker.state is OPEN
    assert breaker.stats["current_cooldown_s"] == 2.0


# --- fleets of waiters, in virtual time ----------------------------------------------------------------


def test_waiters_are_released_spread_out_and_paced() -> None:
    """300 callers wait out a 40 s outage on one shared breaker (wait_for_breaker=True). The provider comes
    back at 40 s; the breaker closes within seconds, no two waiters ever wake at the same instant, and the
    slow start lets the backlog in over seconds instead of at once."""
    waiters = 300
    back_at_s = 40.0
    attempts: list[float] = []
    wakes: Counter[float] = Counter()
    transitions: list[tuple[float, BreakerState]] = []

    async def main() -> list[object]:
        breaker = CircuitBreaker(
            failure_threshold=1,
            clock=trio.current_time,
            seed=7,
            on_state_change=lambda b, old, new: transitions.append((trio.current_time(), new)),
        )

        async def sleep(seconds: float) -> None:
            await trio.sleep(seconds)
            wakes[trio.current_time()] += 1

        @async_retry_llm(
            breaker=breaker,
            wait_for_breaker=True,
            deadline_s=120.0,
            max_attempts=20,
            sleep=sleep,
            seed=3,
            budget=None,  # the breaker's release is under test, not the budget's share of retries
        )
        async def call() -> str:
            attempts.append(trio.current_time())
            if trio.current_time() < back_at_s:
                raise ServiceUnavailableError()
            return "ok"

        results: list[object] = []

        async def one(start_s: float) -> None:
            await trio.sleep(start_s)
            try:
                results.append(await call())
            except Exception as exc:
                results.append(exc)

        async with trio.open_nursery() as nursery:
            for i in range(waiters):
                nursery.start_soon(one, 1.0 + 30.0 * i / waiters)
        return results

    results = trio.run(main, clock=trio.testing.MockClock(autojump_threshold=0))

    assert results == ["ok"] * waiters
    closed_at = [t for t, state in transitions if state is CLOSED]
    assert len(closed_at) == 1
    assert back_at_s <= closed_at[0] <= back_at_s + 10.5
    # Jittered waits: no two waiters ever wake at the same instant.
    assert max(wakes.values()) == 1, wakes.most_common(3)
    # Paced: the backlog arrives over the slow start, not within one second of the close.
    after = sorted(t for t in attempts if t >= closed_at[0])
    assert len(after) >= waiters
    first_second = sum(1 for t in after if t < closed_at[0] + 1.0)
    assert first_second < 0.35 * waiters, first_second
    assert after[waiters // 2] - closed_at[0] > 1.0


def test_waiters_on_a_half_open_breaker_never_poll_in_lockstep() -> None:
    polls: list[float] = []

    async def main() -> None:
        breaker = CircuitBreaker(failure_threshold=1, clock=trio.current_time, seed=5)
        release = trio.Event()

        @async_retry_llm(breaker=breaker, max_attempts=1)
        async def probe(fail: bool) -> str:
            if fail:
                raise ServiceUnavailableError()
            await release.wait()
            return "probe"

        async def sleep(seconds: float) -> None:
            await trio.sleep(seconds)
            polls.append(trio.current_time())

        @async_retry_llm(breaker=breaker, wait_for_breaker=True, deadline_s=30.0, sleep=sleep)
        async def waiter() -> str:
            return "waiter"

        with pytest.raises(ServiceUnavailableError):
            await probe(True)
        await trio.sleep(2.0)
        async with trio.open_nursery() as nursery:
            nursery.start_soon(probe, False)
            await trio.sleep(0)
            for _ in range(50):
                nursery.start_soon(waiter)
            await trio.sleep(5.0)
            release.set()

    trio.run(main, clock=trio.testing.MockClock(autojump_threshold=0))
    assert len(polls) > 50
    assert len(set(polls)) == len(polls), "two waiters polled at the same instant"
