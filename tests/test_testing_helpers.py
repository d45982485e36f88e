"""`llm_retry.testing`: `record_waits` makes every wait instant and records it with its jitter ceiling,
`disable_retries` makes one attempt everywhere, and the pytest plugin's ``llm_retry_waits`` fixture is
`record_waits` for one test.
"""

from __future__ import annotations

import asyncio
import threading
import time

import pytest
from doubles import FakeClock, status_error
from llm_retry import (
    CircuitBreaker,
    GiveUpReason,
    RateLimitGate,
    RetryEvent,
    async_retry_llm,
    attempts,
    give_up_reason,
    retry_llm,
)
from llm_retry.testing import Wait, disable_retries, record_waits


class Script:
    def __init__(self, *failures: Exception) -> None:
        self.failures = list(failures)
        self.calls = 0

    def __call__(self) -> str:
        self.calls += 1
        if self.failures:
            raise self.failures.pop(0)
        return "answer"


def never_sleep(seconds: float) -> None:
    raise AssertionError(f"slept {seconds} s under record_waits")


# --- record_waits ------------------------------------------------------------------------------------------


def test_every_backoff_is_recorded_within_its_ceiling_and_not_slept() -> None:
    failures = [status_error(529) for _ in range(5)]
    ask = retry_llm(max_attempts=6, base_delay_s=0.25, max_delay_s=2.0, sleep=never_sleep, budget=None)
    provider = Script(*failures)
    with record_waits() as waits:
        assert ask(provider)() == "answer"

    assert provider.calls == 6
    assert [w.attempt for w in waits] == [1, 2, 3, 4, 5]
    assert [w.ceiling_s for w in waits] == [0.25, 0.5, 1.0, 2.0, 2.0]  # doubling, capped at max_delay_s
    assert all(0.0 <= w.delay_s <= w.ceiling_s for w in waits)
    assert not any(w.from_hint for w in waits)
    assert {(w.function, w.cause) for w in waits} == {("Script", "retry")}


def test_the_ceiling_is_the_one_the_jitter_is_drawn_under() -> None:
    """Over many seeded draws the waits fill their ceiling: none above it, some in its top tenth."""
    with record_waits() as waits:
        for seed in range(300):
            ask = retry_llm(max_attempts=2, base_delay_s=0.5, seed=seed, sleep=never_sleep, budget=None)
            ask(Script(TimeoutError()))()
    assert len(waits) == 300
    assert all(w.ceiling_s == 0.5 and 0.0 <= w.delay_s <= 0.5 for w in waits)
    assert any(w.delay_s > 0.45 for w in waits) and any(w.delay_s < 0.05 for w in waits)


def test_a_server_hint_is_recorded_as_its_own_ceiling() -> None:
    hinted = status_error(429, headers={"retry-after": "7"})
    with record_waits() as waits:
        assert retry_llm(sleep=never_sleep, budget=None)(Script(hinted))() == "answer"
    assert waits == [Wait(7.0, 7.0, 1, "Script", True, "retry")]


def test_hooks_and_events_still_see_the_wait_the_library_chose() -> None:
    seen: list[RetryEvent] = []
    hinted = status_error(429, headers={"retry-after": "3"})
    with record_waits() as waits:
        retry_llm(sleep=never_sleep, on_retry=seen.append, budget=None)(Script(hinted))()
    assert [e.delay_s for e in seen] == [w.delay_s for w in waits] == [3.0]


def test_async_waits_are_recorded_and_not_slept() -> None:
    async def never(seconds: float) -> None:
        raise AssertionError("slept")

    @async_retry_llm(sleep=never, budget=None, base_delay_s=0.1)
    async def ask() -> str:
        if not waits:
            raise ConnectionResetError("peer reset")
        return "answer"

    with record_waits() as waits:
        assert asyncio.run(ask()) == "answer"
    assert [(w.attempt, w.ceiling_s) for w in waits] == [(1, 0.1)]


def test_a_block_on_the_default_sleep_records_too(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(time, "sleep", never_sleep)  # the block's default sleep, looked up when it starts
    with record_waits() as waits:
        for attempt in attempts(max_attempts=3, base_delay_s=30.0, budget=None):
            with attempt:
                if attempt.number < 3:
                    raise ConnectionResetError("peer reset")
    assert [w.ceiling_s for w in waits] == [30.0, 60.0]


def test_a_gate_hold_is_recorded_and_skipped(fake_clock: FakeClock) -> None:
    gate = RateLimitGate("openai", clock=fake_clock, jitter=0.0)
    hint = status_error(429, headers={"retry-after": "4"})
    with pytest.raises(type(hint)):
        retry_llm(gate=gate, clock=fake_clock, max_attempts=1)(Script(hint))()

    held = retry_llm(gate=gate, clock=fake_clock, sleep=never_sleep)(Script())
    with record_waits() as waits:
        assert held() == "answer"
    assert waits == [Wait(4.0, 4.0, 1, "Script", True, "gate")]


def test_a_wait_for_a_breaker_is_recorded_and_the_call_gives_up(fake_clock: FakeClock) -> None:
    breaker = CircuitBreaker(failure_threshold=1, cooldown_s=5.0, clock=fake_clock)
    error = status_error(529)
    ask = retry_llm(
        breaker=breaker,
        wait_for_breaker=True,
        deadline_s=60.0,
        clock=fake_clock,
        sleep=never_sleep,
        budget=None,
    )
    with record_waits() as waits, pytest.raises(type(error)):
        ask(Script(error))()
    assert [w.cause for w in waits] == ["retry", "breaker"]
    assert waits[1].delay_s >= 5.0 - waits[0].delay_s
    assert give_up_reason(error) is GiveUpReason.BREAKER_OPEN


def test_blocks_nest_and_the_innermost_records() -> None:
    ask = retry_llm(max_attempts=2, sleep=never_sleep, budget=None)
    with record_waits() as outer:
        ask(Script(TimeoutError()))()
        with record_waits() as inner:
            ask(Script(TimeoutError()))()
        ask(Script(TimeoutError()))()
    assert (len(outer), len(inner)) == (2, 1)


def test_waits_of_every_thread_are_recorded() -> None:
    ask = retry_llm(max_attempts=3, sleep=never_sleep, budget=None)
    with record_waits() as waits:
        threads = [threading.Thread(target=ask(Script(TimeoutError(), TimeoutError()))) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=10)
    assert len(waits) == 16


def test_after_the_block_waits_are_slept_again(fake_clock: FakeClock) -> None:
    with record_waits():
        pass
    ask = retry_llm(max_attempts=2, sleep=fake_clock.sleep, budget=None, base_delay_s=1.0, seed=3)
    ask(Script(TimeoutError()))()
    assert len(fake_clock.sleeps) == 1


def test_the_fixture_records_the_waits_of_one_test(llm_retry_waits: list[Wait]) -> None:
    ask = retry_llm(max_attempts=3, sleep=never_sleep, budget=None)
    ask(Script(TimeoutError(), TimeoutError()))()
    assert [w.attempt for w in llm_retry_waits] == [1, 2]


# --- disable_retries ---------------------------------------------------------------------------------------


def test_disabled_retries_make_one_attempt_and_say_why() -> None:
    provider = Script(status_error(529))
    with disable_retries(), pytest.raises(type(provider.failures[0])) as raised:
        retry_llm(sleep=never_sleep, budget=None)(provider)()
    assert provider.calls == 1
    assert "retries are disabled" in "".join(raised.value.__notes__)
    assert give_up_reason(raised.value) is GiveUpReason.ATTEMPTS_EXHAUSTED
    # Out of the block, the same function retries again.
    provider = Script(status_error(529))
    assert retry_llm(sleep=lambda s: None, budget=None)(provider)() == "answer"
    assert provider.calls == 2


def test_disable_retries_is_also_a_process_wide_switch() -> None:
    ask = retry_llm(sleep=never_sleep, budget=None)
    disable_retries()
    try:
        provider = Script(TimeoutError())
        with pytest.raises(TimeoutError):
            ask(provider)()
        assert provider.calls == 1
        with disable_retries(False):  # back on inside this block only
            assert ask(Script())() == "answer"
        with pytest.raises(TimeoutError):
            ask(Script(TimeoutError()))()
    finally:
        disable_retries(False)
    provider = Script(TimeoutError())
    with record_waits():
        assert ask(provider)() == "answer"
    assert provider.calls == 2


def test_disabled_retries_reach_blocks_and_async_calls() -> None:
    calls: list[int] = []

    @async_retry_llm(budget=None)
    async def ask() -> None:
        calls.append(1)
        raise ConnectionResetError("peer reset")

    with disable_retries():
        with pytest.raises(ConnectionResetError):
            asyncio.run(ask())
        with pytest.raises(ConnectionResetError):
            for attempt in attempts(budget=None):
                with attempt:
                    calls.append(1)
                    raise ConnectionResetError("peer reset")
    assert len(calls) == 2


def test_disable_retries_takes_a_bool_only() -> None:
    with pytest.raises(TypeError, match="disabled"):
        disable_retries("yes")  # type: ignore[arg-type]
