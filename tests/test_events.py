"""The event stream: one typed event per thing the library does, to a decorator's ``on_event`` listeners and
the process-wide ones; the reason a call gave up, typed, on its exception; listeners that raise change
nothing; and no event is made when nobody listens.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from typing import Any

import llm_retry
import pytest
from doubles import FakeClock, status_error
from llm_retry import (
    BreakerEvent,
    BreakerState,
    CircuitBreaker,
    CircuitOpenError,
    Event,
    FallbackEvent,
    GateWaitEvent,
    GiveUpEvent,
    GiveUpReason,
    RateLimitedError,
    RateLimitGate,
    RefusalEvent,
    RefusalReason,
    RetryBudget,
    RetryEvent,
    SuccessEvent,
    add_listener,
    async_retry_llm,
    attempts,
    fallback,
    give_up_reason,
    remove_listener,
    retry_llm,
)


class Script:
    """A provider that raises the scripted exceptions in order, then answers."""

    def __init__(self, *failures: Exception) -> None:
        self.failures = list(failures)
        self.calls = 0

    def __call__(self, prompt: str = "") -> str:
        self.calls += 1
        if self.failures:
            raise self.failures.pop(0)
        return "answer"


@pytest.fixture
def heard() -> Iterator[list[Event]]:
    """Every event of the process during the test, through `add_listener`."""
    events: list[Event] = []
    add_listener(events.append)
    yield events
    remove_listener(events.append)


def of(events: list[Event], cls: type[Any]) -> list[Any]:
    return [e for e in events if isinstance(e, cls)]


# --- the events of one call -------------------------------------------------------------------------------


def test_a_call_answered_after_retries_tells_each_retry_then_the_answer(fake_clock: FakeClock) -> None:
    events: list[Event] = []
    provider = Script(status_error(529), status_error(503))
    ask = retry_llm(sleep=fake_clock.sleep, clock=fake_clock, on_event=events.append, seed=4)(provider)

    assert ask() == "answer"

    retries, success = events[:2], events[2]
    assert [type(e) for e in events] == [RetryEvent, RetryEvent, SuccessEvent]
    assert [e.attempt for e in retries] == [1, 2]  # type: ignore[attr-defined]
    assert isinstance(success, SuccessEvent)
    assert success.attempts == 3 and success.retries == 2
    assert success.slept_s == pytest.approx(sum(fake_clock.sleeps))
    assert success.elapsed_s == pytest.approx(sum(fake_clock.sleeps))
    assert success.function == provider.__class__.__qualname__
    assert success.config_name == "default"


def test_a_first_attempt_that_answers_makes_no_event(heard: list[Event]) -> None:
    local: list[Event] = []
    assert retry_llm(on_event=local.append)(Script())() == "answer"
    for attempt in attempts(on_event=local.append):
        with attempt:
            pass
    assert local == [] and heard == []


def test_exhausted_attempts_give_up_with_the_reason_on_the_event_and_the_exception(
    fake_clock: FakeClock,
) -> None:
    events: list[Event] = []
    last = status_error(529)
    provider = Script(status_error(529), status_error(529), last)
    ask = retry_llm(max_attempts=3, sleep=fake_clock.sleep, clock=fake_clock, on_event=events.append)(
        provider
    )

    with pytest.raises(type(last)) as raised:
        ask()

    [gave_up] = of(events, GiveUpEvent)
    assert events[-1] is gave_up
    assert gave_up.reason is GiveUpReason.ATTEMPTS_EXHAUSTED
    assert gave_up.exception is raised.value is last
    assert gave_up.attempts == 3 and gave_up.retries == 2
    assert gave_up.kind is llm_retry.ErrorKind.OVERLOADED
    assert gave_up.slept_s == pytest.approx(sum(fake_clock.sleeps))
    assert give_up_reason(raised.value) is GiveUpReason.ATTEMPTS_EXHAUSTED


@pytest.mark.parametrize(
    ("failure", "settings", "reason"),
    [
        (lambda: status_error(400), {}, GiveUpReason.NOT_RETRYABLE),
        (lambda: status_error(429, headers={"retry-after": "600"}), {}, GiveUpReason.HINT_TOO_LONG),
        (
            lambda: status_error(429, headers={"retry-after": "20"}),
            {"deadline_s": 10.0},
            GiveUpReason.DEADLINE,
        ),
        (lambda: status_error(529), {"budget": "empty"}, GiveUpReason.BUDGET_EMPTY),
    ],
    ids=["not-retryable", "hint-too-long", "deadline", "budget-empty"],
)
def test_every_reason_to_give_up_is_typed(
    fake_clock: FakeClock, failure: Any, settings: dict[str, Any], reason: GiveUpReason, heard: list[Event]
) -> None:
    error = failure()
    empty = settings.pop("budget", None) == "empty"
    budget = RetryBudget(min_retries=0, retry_ratio=0.0, clock=fake_clock) if empty else None
    ask = retry_llm(sleep=fake_clock.sleep, clock=fake_clock, budget=budget, **settings)(Script(error))

    with pytest.raises(type(error)):
        ask()

    [gave_up] = of(heard, GiveUpEvent)
    assert gave_up.reason is reason
    assert gave_up.attempts == 1
    assert give_up_reason(error) is reason
    assert of(heard, RetryEvent) == []


def test_a_breaker_that_opens_mid_call_refuses_the_retry(fake_clock: FakeClock, heard: list[Event]) -> None:
    breaker = CircuitBreaker(failure_threshold=1, cooldown_s=30.0, clock=fake_clock, name="anthropic")
    error = status_error(529)
    ask = retry_llm(sleep=fake_clock.sleep, clock=fake_clock, breaker=breaker, seed=1)(Script(error))

    with pytest.raises(type(error)):
        ask()

    assert [type(e) for e in heard] == [BreakerEvent, RetryEvent, RefusalEvent, GiveUpEvent]
    transition, _, refusal, gave_up = heard
    assert transition == BreakerEvent("anthropic", BreakerState.CLOSED, BreakerState.OPEN)
    assert isinstance(refusal, RefusalEvent)
    assert (refusal.breaker, refusal.reason, refusal.attempt, refusal.waits) == (
        "anthropic",
        RefusalReason.OPEN,
        2,
        False,
    )
    assert isinstance(gave_up, GiveUpEvent)
    assert (gave_up.reason, gave_up.attempts) == (GiveUpReason.BREAKER_OPEN, 1)
    assert give_up_reason(error) is GiveUpReason.BREAKER_OPEN


def test_a_first_attempt_refused_by_an_open_breaker(heard: list[Event]) -> None:
    breaker = CircuitBreaker(name="openai")
    breaker.open()
    provider = Script()
    heard.clear()

    with pytest.raises(CircuitOpenError) as raised:
        retry_llm(breaker=breaker)(provider)()

    assert provider.calls == 0
    refusal, gave_up = heard
    assert isinstance(refusal, RefusalEvent) and refusal.attempt == 1
    assert isinstance(gave_up, GiveUpEvent)
    assert (gave_up.reason, gave_up.attempts, gave_up.classification) == (GiveUpReason.BREAKER_OPEN, 0, None)
    assert gave_up.exception is raised.value
    assert give_up_reason(raised.value) is GiveUpReason.BREAKER_OPEN


def test_a_gate_hold_is_an_event_and_one_too_long_a_typed_refusal(fake_clock: FakeClock) -> None:
    events: list[Event] = []
    gate = RateLimitGate("openai", clock=fake_clock, seed=3, jitter=0.0)
    hinted = retry_llm(gate=gate, clock=fake_clock, sleep=fake_clock.sleep, max_attempts=1)
    with pytest.raises(type(status_error(429))):
        hinted(Script(status_error(429, headers={"retry-after": "5"})))()

    held = retry_llm(gate=gate, clock=fake_clock, sleep=fake_clock.sleep, on_event=events.append)(Script())
    assert held() == "answer"
    [wait] = events
    assert wait == GateWaitEvent("Script", "openai", 5.0, 1)

    with pytest.raises(type(status_error(429))):
        hinted(Script(status_error(429, headers={"retry-after": "50"})))()
    impatient = retry_llm(gate=gate, clock=fake_clock, max_retry_after_s=10.0, on_event=events.append)
    with pytest.raises(RateLimitedError) as raised:
        impatient(Script())()
    assert isinstance(events[-1], GiveUpEvent) and events[-1].reason is GiveUpReason.HINT_TOO_LONG
    assert give_up_reason(raised.value) is GiveUpReason.HINT_TOO_LONG


def test_a_stream_that_fails_after_its_first_chunk_gives_up_not_retryable(heard: list[Event]) -> None:
    error = ConnectionResetError("peer reset mid-stream")

    @retry_llm(budget=None)
    def tokens() -> Iterator[str]:
        yield "Hel"
        raise error

    with pytest.raises(ConnectionResetError):
        list(tokens())

    [gave_up] = heard
    assert isinstance(gave_up, GiveUpEvent)
    assert (gave_up.reason, gave_up.attempts, gave_up.exception) == (GiveUpReason.NOT_RETRYABLE, 1, error)
    assert gave_up.streamed
    assert give_up_reason(error) is GiveUpReason.NOT_RETRYABLE


def test_async_calls_tell_the_same_events(fake_clock: FakeClock) -> None:
    events: list[Event] = []

    @async_retry_llm(sleep=fake_clock.async_sleep, clock=fake_clock, on_event=events.append, budget=None)
    async def ask() -> str:
        if len(events) < 1:
            raise TimeoutError("read timed out")
        return "answer"

    assert asyncio.run(ask()) == "answer"
    assert [type(e) for e in events] == [RetryEvent, SuccessEvent]


def test_the_block_form_raises_on_giving_up(fake_clock: FakeClock) -> None:
    events: list[Event] = []
    with pytest.raises(ConnectionResetError) as raised:
        for attempt in attempts(sleep=fake_clock.sleep, on_event=events.append, max_attempts=2, budget=None):
            with attempt:
                raise ConnectionResetError("peer reset")
    assert [type(e) for e in events] == [RetryEvent, GiveUpEvent]
    assert give_up_reason(raised.value) is GiveUpReason.ATTEMPTS_EXHAUSTED


def test_a_fallback_is_an_event_for_its_own_and_the_process_wide_listeners(heard: list[Event]) -> None:
    local: list[Event] = []
    primary, secondary = Script(status_error(503)), Script()
    chain = fallback(retry_llm(max_attempts=1)(primary), secondary, on_event=local.append)

    assert chain("hi") == "answer"

    [moved] = local
    assert isinstance(moved, FallbackEvent)
    assert moved.kind is llm_retry.ErrorKind.OVERLOADED
    assert of(heard, FallbackEvent) == [moved]
    assert of(heard, GiveUpEvent)[0].reason is GiveUpReason.ATTEMPTS_EXHAUSTED


# --- listeners ---------------------------------------------------------------------------------------------


def test_a_decorators_listeners_hear_first_then_the_process_wide_ones(fake_clock: FakeClock) -> None:
    order: list[str] = []

    def process_wide(event: Event) -> None:
        order.append(f"global {type(event).__name__}")

    def local(event: Event) -> None:
        order.append(f"local {type(event).__name__}")

    add_listener(process_wide)
    try:
        ask = retry_llm(sleep=fake_clock.sleep, on_event=[local], budget=None)(Script(TimeoutError()))
        assert ask() == "answer"
    finally:
        remove_listener(process_wide)
    assert order == ["local RetryEvent", "global RetryEvent", "local SuccessEvent", "global SuccessEvent"]


def test_a_listener_that_raises_is_logged_and_changes_nothing(
    fake_clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR, logger="llm_retry")

    def broken(event: Event) -> None:
        raise RuntimeError("metrics backend down")

    heard: list[Event] = []
    provider = Script(status_error(529))
    ask = retry_llm(sleep=fake_clock.sleep, on_event=[broken, heard.append], budget=None)(provider)

    assert ask() == "answer"
    assert provider.calls == 2
    assert [type(e) for e in heard] == [RetryEvent, SuccessEvent]
    failures = [r for r in caplog.records if "event listener" in r.getMessage()]
    assert len(failures) == 2
    assert all(r.exc_info and isinstance(r.exc_info[1], RuntimeError) for r in failures)


def test_a_listener_raising_keyboard_interrupt_stops_the_call(fake_clock: FakeClock) -> None:
    def interrupted(event: Event) -> None:
        raise KeyboardInterrupt

    provider = Script(status_error(529), status_error(529))
    ask = retry_llm(sleep=fake_clock.sleep, on_event=interrupted, budget=None)(provider)
    with pytest.raises(KeyboardInterrupt):
        ask()
    assert provider.calls == 1


def test_removing_a_listener_stops_it_and_one_never_added_is_refused() -> None:
    heard: list[Event] = []
    add_listener(heard.append)
    remove_listener(heard.append)
    with pytest.raises(ConnectionResetError):
        retry_llm(max_attempts=2, base_delay_s=0.0, budget=None)(Script(*[ConnectionResetError()] * 2))()
    assert heard == []
    with pytest.raises(ValueError, match="is not registered"):
        remove_listener(heard.append)
    with pytest.raises(TypeError, match="listener"):
        add_listener("print")  # type: ignore[arg-type]


def test_breaker_transitions_go_to_the_process_wide_listeners(
    fake_clock: FakeClock, heard: list[Event]
) -> None:
    breaker = CircuitBreaker(name="bedrock", clock=fake_clock)
    breaker.open()
    breaker.close()
    assert heard == [
        BreakerEvent("bedrock", BreakerState.CLOSED, BreakerState.OPEN),
        BreakerEvent("bedrock", BreakerState.OPEN, BreakerState.CLOSED),
    ]


# --- free when nobody listens, and no prompts ---------------------------------------------------------------


def test_no_event_is_made_when_nobody_listens(monkeypatch: pytest.MonkeyPatch, fake_clock: FakeClock) -> None:
    def made(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("an event was made with no listener")

    for name in ("GiveUpEvent", "SuccessEvent", "RefusalEvent", "GateWaitEvent"):
        monkeypatch.setattr(llm_retry._engine, name, made)
    monkeypatch.setattr(llm_retry._breaker, "BreakerEvent", made)
    breaker = CircuitBreaker(failure_threshold=1, clock=fake_clock)
    ask = retry_llm(sleep=fake_clock.sleep, clock=fake_clock, breaker=breaker, budget=None)
    assert ask(Script())() == "answer"
    with pytest.raises(type(status_error(529))):
        ask(Script(status_error(529)))()  # opens the breaker, and the retry is refused
    plain = retry_llm(sleep=fake_clock.sleep, clock=fake_clock, budget=None)
    assert plain(Script(TimeoutError()))() == "answer"  # an answer after a retry


def test_events_carry_no_call_arguments(fake_clock: FakeClock, heard: list[Event]) -> None:
    secret = "my-secret-prompt-41c9"
    ask = retry_llm(sleep=fake_clock.sleep, max_attempts=2, budget=None)(Script(status_error(529)))
    assert ask(secret) == "answer"
    assert heard and all(secret not in repr(e) for e in heard)
