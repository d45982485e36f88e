"""`retry_llm` on plain functions: the loop, methods, metadata, overrides, jitter, hooks and logs.

Every wait goes through an injected ``sleep`` (the fake clock's), so nothing here waits in real time.
"""

from __future__ import annotations

import dataclasses
import inspect
import logging
import statistics
from typing import Any

import pytest
from llm_retry import (
    AnthropicPreset,
    ErrorKind,
    RetryConfig,
    RetryEvent,
    async_retry_llm,
    retry_llm,
)


def flaky(failures: list[BaseException], result: Any = "ok") -> Any:
    """A function that raises ``failures`` in order, then returns ``result``; ``.calls`` counts calls."""

    def call(*args: Any, **kwargs: Any) -> Any:
        call.calls += 1  # type: ignore[attr-defined]
        call.seen.append((args, kwargs))  # type: ignore[attr-defined]
        if failures:
            raise failures.pop(0)
        return result

    call.calls = 0  # type: ignore[attr-defined]
    call.seen = []  # type: ignore[attr-defined]
    return call


# --- the loop --------------------------------------------------------------------------------------------


def test_success_on_first_attempt_calls_once_and_never_sleeps(fake_clock):
    fn = flaky([])
    wrapped = retry_llm(sleep=fake_clock.sleep, clock=fake_clock)(fn)
    assert wrapped("a", b=2) == "ok"
    assert fn.calls == 1
    assert fn.seen == [(("a",), {"b": 2})]
    assert fake_clock.sleeps == []


def test_transient_failures_are_retried_until_success(fake_clock, make_error):
    fn = flaky([make_error(529), make_error(503), ConnectionResetError("peer reset")], result=42)
    wrapped = retry_llm(max_attempts=5, sleep=fake_clock.sleep, clock=fake_clock)(fn)
    assert wrapped("prompt", temperature=0) == 42
    assert fn.calls == 4
    # The same arguments on every attempt.
    assert fn.seen == [(("prompt",), {"temperature": 0})] * 4
    assert len(fake_clock.sleeps) == 3


@pytest.mark.parametrize("status", [408, 409, 429, 500, 502, 503, 504, 529])
def test_each_default_retryable_status_is_retried(fake_clock, make_error, status):
    fn = flaky([make_error(status)])
    wrapped = retry_llm(sleep=fake_clock.sleep, clock=fake_clock)(fn)
    assert wrapped() == "ok"
    assert fn.calls == 2


@pytest.mark.parametrize("exc", [TimeoutError("read timed out"), ConnectionRefusedError("refused")])
def test_network_errors_are_retried(fake_clock, exc):
    fn = flaky([exc])
    assert retry_llm(sleep=fake_clock.sleep, clock=fake_clock)(fn)() == "ok"
    assert fn.calls == 2


def test_a_zero_wait_never_calls_sleep(make_error):
    slept: list[float] = []
    fn = flaky([make_error(529), make_error(529)])
    wrapped = retry_llm(base_delay_s=0.0, max_delay_s=0.0, sleep=slept.append)(fn)
    assert wrapped() == "ok"
    assert fn.calls == 3
    assert slept == []


def test_a_zero_server_hint_never_calls_sleep(make_error):
    slept: list[float] = []
    fn = flaky([make_error(429, headers={"retry-after": "0"})])
    assert retry_llm(sleep=slept.append)(fn)() == "ok"
    assert fn.calls == 2
    assert slept == []


# --- methods and callables ----------------------------------------------------------------------------


class Client:
    """A client whose methods are decorated."""

    def __init__(self, errors: list[BaseException]) -> None:
        self.errors = errors
        self.calls = 0

    @retry_llm(base_delay_s=0.0, max_delay_s=0.0)
    def complete(self, prompt: str, *, max_tokens: int = 16) -> str:
        """Complete a prompt."""
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return f"{prompt}:{max_tokens}"

    class_calls = 0

    @classmethod
    @retry_llm(base_delay_s=0.0, max_delay_s=0.0)
    def from_env(cls, name: str) -> str:
        cls.class_calls += 1
        if cls.class_calls == 1:
            raise ConnectionResetError("peer reset")
        return f"{cls.__name__}:{name}"

    @staticmethod
    @retry_llm(base_delay_s=0.0, max_delay_s=0.0)
    def ping(counter: list[int]) -> str:
        counter.append(1)
        if len(counter) == 1:
            raise TimeoutError("timed out")
        return "pong"


def test_decorated_instance_method_gets_self_and_retries(make_error):
    client = Client([make_error(529)])
    assert client.complete("hi", max_tokens=3) == "hi:3"
    assert client.calls == 2
    # Bound to each instance separately.
    other = Client([])
    assert other.complete("yo") == "yo:16"
    assert other.calls == 1


def test_decorated_classmethod_and_staticmethod_retry():
    Client.class_calls = 0
    assert Client.from_env("prod") == "Client:prod"
    assert Client.class_calls == 2
    counter: list[int] = []
    assert Client.ping(counter) == "pong"
    assert counter == [1, 1]


class CallableWithoutName:
    """A callable object: instances have no ``__name__``."""

    def __init__(self, errors: list[BaseException]) -> None:
        self.errors = errors
        self.calls = 0

    def __call__(self, prompt: str) -> str:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return prompt.upper()


def test_callable_object_without_name_is_wrapped_and_retried(fake_clock, make_error):
    target = CallableWithoutName([make_error(503)])
    assert not hasattr(target, "__name__")
    events: list[RetryEvent] = []
    wrapped = retry_llm(sleep=fake_clock.sleep, clock=fake_clock, on_retry=events.append)(target)
    assert wrapped("hello") == "HELLO"
    assert target.calls == 2
    assert wrapped.__wrapped__ is target
    assert isinstance(events[0].function, str)
    assert events[0].function


# --- metadata -----------------------------------------------------------------------------------------


def documented(prompt: str, *, model: str = "m", n: int = 1) -> list[str]:
    """Ask the model."""
    return [prompt] * n


def test_name_doc_wrapped_and_signature_are_kept():
    wrapped = retry_llm(documented)
    assert wrapped.__name__ == "documented"
    assert wrapped.__qualname__ == documented.__qualname__
    assert wrapped.__doc__ == "Ask the model."
    assert wrapped.__module__ == documented.__module__
    assert wrapped.__wrapped__ is documented
    assert inspect.signature(wrapped) == inspect.signature(documented)
    assert not inspect.iscoroutinefunction(wrapped)

    configured = retry_llm(preset=AnthropicPreset, max_attempts=2)(documented)
    assert configured.__name__ == "documented"
    assert configured.__doc__ == "Ask the model."
    assert configured.__wrapped__ is documented
    assert inspect.signature(configured) == inspect.signature(documented)


def test_method_signature_is_kept():
    assert inspect.signature(Client.complete) == inspect.signature(Client.complete.__wrapped__)
    client = Client([])
    assert inspect.signature(client.complete) == inspect.signature(
        client.complete.__wrapped__.__get__(client)
    )
    assert list(inspect.signature(client.complete).parameters) == ["prompt", "max_tokens"]
    assert Client.complete.__doc__ == "Complete a prompt."


# --- bare decorator, overrides, misuse ----------------------------------------------------------------


def test_bare_decorator_works():
    calls: list[int] = []

    @retry_llm
    def answer(x: int) -> int:
        """Doc."""
        calls.append(x)
        return x * 2

    assert answer(21) == 42
    assert calls == [21]
    assert answer.__name__ == "answer"
    assert answer.__doc__ == "Doc."


def test_bare_decorator_retries_with_the_default_preset(make_error):
    # A zero hint, so the real time.sleep default is never needed.
    fn = flaky([make_error(529, headers={"retry-after": "0"})])
    assert retry_llm(fn)() == "ok"
    assert fn.calls == 2


def test_empty_call_decorator_works():
    @retry_llm()
    def answer() -> str:
        return "ok"

    assert answer() == "ok"


def test_max_attempts_override_limits_attempts(fake_clock, make_error):
    preset_before = dataclasses.asdict(AnthropicPreset)
    errors = [make_error(529) for _ in range(10)]
    fn = flaky(list(errors))
    wrapped = retry_llm(preset=AnthropicPreset, max_attempts=2, sleep=fake_clock.sleep, clock=fake_clock)(fn)
    with pytest.raises(type(errors[0])) as excinfo:
        wrapped()
    assert excinfo.value is errors[1]
    assert fn.calls == 2
    assert len(fake_clock.sleeps) == 1
    # The preset itself is untouched.
    assert dataclasses.asdict(AnthropicPreset) == preset_before


def test_delay_overrides_bound_the_waits(fake_clock, make_error):
    fn = flaky([make_error(503) for _ in range(4)])
    wrapped = retry_llm(
        max_attempts=5, base_delay_s=0.25, max_delay_s=0.5, seed=3, sleep=fake_clock.sleep, clock=fake_clock
    )(fn)
    assert wrapped() == "ok"
    assert len(fake_clock.sleeps) == 4
    assert all(0.0 <= d <= 0.5 for d in fake_clock.sleeps)
    assert 0.0 <= fake_clock.sleeps[0] <= 0.25


def test_config_override_by_keyword(fake_clock, make_error):
    config = RetryConfig(max_attempts=10, base_delay_s=0.0, max_delay_s=0.0)
    errors = [make_error(529) for _ in range(10)]
    fn = flaky(list(errors))
    with pytest.raises(type(errors[0])):
        retry_llm(config=config, max_attempts=3, sleep=fake_clock.sleep)(fn)()
    assert fn.calls == 3
    assert config.max_attempts == 10


def test_retry_llm_refuses_an_async_def():
    async def fetch() -> str:
        return "x"

    with pytest.raises(TypeError, match="async_retry_llm"):
        retry_llm(fetch)
    with pytest.raises(TypeError, match="async_retry_llm"):
        retry_llm(max_attempts=2)(fetch)


def test_retry_llm_refuses_an_async_callable_object():
    class AsyncCallable:
        async def __call__(self) -> str:
            return "x"

    with pytest.raises(TypeError, match="async_retry_llm"):
        retry_llm(AsyncCallable())


def test_async_retry_llm_refuses_a_plain_def():
    def fetch() -> str:
        return "x"

    with pytest.raises(TypeError, match="retry_llm"):
        async_retry_llm(fetch)
    with pytest.raises(TypeError, match="retry_llm"):
        async_retry_llm(max_attempts=2)(fetch)


# --- jitter -------------------------------------------------------------------------------------------


def test_jitter_stays_within_the_full_jitter_ceiling(make_error):
    base_delay_s, max_delay_s, max_attempts, calls = 0.5, 4.0, 7, 400
    events: list[RetryEvent] = []
    slept: list[float] = []
    error_type = type(make_error(503))

    def always_overloaded() -> None:
        raise make_error(503)

    wrapped = retry_llm(
        max_attempts=max_attempts,
        base_delay_s=base_delay_s,
        max_delay_s=max_delay_s,
        seed=1234,
        sleep=slept.append,
        on_retry=events.append,
        budget=None,
    )(always_overloaded)
    for _ in range(calls):
        with pytest.raises(error_type):
            wrapped()
    # What was slept is what the events announced (a zero draw is not slept at all).
    assert slept == [e.delay_s for e in events if e.delay_s > 0]
    by_failure: dict[int, list[float]] = {k: [] for k in range(1, max_attempts)}
    for event in events:
        by_failure[event.attempt].append(event.delay_s)
    for k, delays in by_failure.items():
        ceiling = min(max_delay_s, base_delay_s * 2 ** (k - 1))
        assert len(delays) == calls
        assert all(0.0 <= d <= ceiling for d in delays), (k, ceiling, max(delays))
        mean = statistics.fmean(delays)
        assert 0.42 * ceiling <= mean <= 0.58 * ceiling, (k, ceiling, mean)
        # Really spread over the range, not a constant or a narrow band.
        assert len(set(delays)) > calls * 3 // 4
        assert min(delays) < 0.1 * ceiling
        assert max(delays) > 0.9 * ceiling


def _delays_with_seed(seed: int, make_error) -> list[float]:
    events: list[RetryEvent] = []

    def fail() -> None:
        raise make_error(503)

    wrapped = retry_llm(
        max_attempts=6,
        base_delay_s=1.0,
        max_delay_s=30.0,
        seed=seed,
        on_retry=events.append,
        sleep=lambda s: None,
        budget=None,
    )(fail)
    for _ in range(5):
        with pytest.raises(type(make_error(503))):
            wrapped()
    return [e.delay_s for e in events]


def test_seed_makes_the_jitter_reproducible(make_error):
    first = _delays_with_seed(7, make_error)
    assert len(first) == 25
    assert _delays_with_seed(7, make_error) == first
    assert _delays_with_seed(8, make_error) != first


# --- on_retry hooks -----------------------------------------------------------------------------------


def test_on_retry_gets_an_event_per_retry(fake_clock, make_error):
    errors = [make_error(529) for _ in range(4)]
    fn = flaky(list(errors))
    events: list[RetryEvent] = []
    second: list[int] = []
    wrapped = retry_llm(
        max_attempts=4,
        seed=1,
        sleep=fake_clock.sleep,
        clock=fake_clock,
        on_retry=[events.append, lambda e: second.append(e.attempt)],
    )(fn)
    with pytest.raises(type(errors[0])):
        wrapped()
    assert fn.calls == 4
    assert [e.attempt for e in events] == [1, 2, 3]
    assert second == [1, 2, 3]
    for i, event in enumerate(events):
        assert event.exception is errors[i]
        assert event.classification.kind is ErrorKind.OVERLOADED
        assert event.classification.retryable is True
        assert event.classification.status == 529
        assert event.kind is ErrorKind.OVERLOADED
        assert event.status == 529
        assert event.max_attempts == 4
        assert event.from_hint is False
        assert event.delay_s == fake_clock.sleeps[i]
        # The fake clock moves only by the waits: elapsed time is the sum of the waits before this failure.
        assert event.elapsed_s == pytest.approx(sum(fake_clock.sleeps[:i]))
        assert event.deadline_remaining_s is None
        assert event.function == fn.__qualname__


def test_on_retry_is_not_called_without_a_retry(fake_clock, make_error):
    events: list[RetryEvent] = []
    fn = flaky([make_error(400)])
    with pytest.raises(type(make_error(400))):
        retry_llm(sleep=fake_clock.sleep, on_retry=events.append)(fn)()
    assert events == []
    ok = flaky([])
    retry_llm(sleep=fake_clock.sleep, on_retry=events.append)(ok)()
    assert events == []


def test_on_retry_elapsed_uses_the_injected_clock_with_a_deadline(fake_clock, make_error):
    events: list[RetryEvent] = []
    fn = flaky([make_error(503, headers={"retry-after": "2"}), make_error(503, headers={"retry-after": "3"})])
    wrapped = retry_llm(deadline_s=100.0, sleep=fake_clock.sleep, clock=fake_clock, on_retry=events.append)(
        fn
    )
    assert wrapped() == "ok"
    assert [e.elapsed_s for e in events] == [pytest.approx(0.0), pytest.approx(2.0)]
    assert [e.deadline_remaining_s for e in events] == [pytest.approx(100.0), pytest.approx(98.0)]
    assert [e.delay_s for e in events] == [2.0, 3.0]
    assert all(e.from_hint for e in events)


# --- logging ------------------------------------------------------------------------------------------


SECRET = "my-secret-prompt-7f3a9c"


def test_one_warning_per_retry_with_structured_fields_and_no_arguments(caplog, fake_clock, make_error):
    caplog.set_level(logging.DEBUG)
    errors = [make_error(529) for _ in range(3)]

    @retry_llm(max_attempts=3, seed=2, sleep=fake_clock.sleep, clock=fake_clock)
    def ask(prompt: str, *, system: str) -> str:
        raise errors.pop(0)

    with pytest.raises(type(errors[0])):
        ask(SECRET, system=SECRET + "-system")

    ours = [r for r in caplog.records if r.name == "llm_retry"]
    # One WARNING per retry, then one INFO line saying the call gave up, and why.
    *ours, gave_up = ours
    assert len(ours) == 2
    assert gave_up.levelno == logging.INFO
    assert gave_up.reason == "attempts_exhausted"  # type: ignore[attr-defined]
    assert gave_up.attempts == 3  # type: ignore[attr-defined]
    for attempt, record in enumerate(ours, start=1):
        assert record.levelno == logging.WARNING
        assert record.function == ask.__qualname__  # type: ignore[attr-defined]
        assert record.attempt == attempt  # type: ignore[attr-defined]
        assert record.kind == "overloaded"  # type: ignore[attr-defined]
        assert record.status == 529  # type: ignore[attr-defined]
        assert record.delay_s == fake_clock.sleeps[attempt - 1]  # type: ignore[attr-defined]
    # The arguments appear nowhere: not in the message, its args, nor any extra field.
    for record in caplog.records:
        assert SECRET not in record.getMessage()
        for value in vars(record).values():
            assert SECRET not in repr(value)
            assert SECRET not in str(value)


def test_no_log_line_when_nothing_is_retried(caplog, fake_clock, make_error):
    caplog.set_level(logging.DEBUG, logger="llm_retry")
    with pytest.raises(type(make_error(401))):
        retry_llm(sleep=fake_clock.sleep)(flaky([make_error(401)]))()
    retry_llm(sleep=fake_clock.sleep)(flaky([]))()
    assert [r for r in caplog.records if r.name == "llm_retry"] == []
