"""`async_retry_llm` under asyncio and trio: the loop, methods, metadata, bare use and overrides.

Waits go through an injected async ``sleep`` or, where the library's own sleep is under test, are zero
(asyncio) or run on trio's ``MockClock`` (virtual time), so nothing here waits in real time.
Cancellation lives in test_signals.py.
"""

from __future__ import annotations

import asyncio
import inspect
from typing import Any

import pytest
import trio
import trio.testing
from llm_retry import ErrorKind, RetryEvent, async_retry_llm, retry_llm


def async_flaky(failures: list[BaseException], result: Any = "ok") -> Any:
    """An async function that raises ``failures`` in order, then returns ``result``; ``.calls`` counts."""

    async def call(*args: Any, **kwargs: Any) -> Any:
        call.calls += 1  # type: ignore[attr-defined]
        call.seen.append((args, kwargs))  # type: ignore[attr-defined]
        if _in_trio():
            await trio.lowlevel.checkpoint()
        else:
            await asyncio.sleep(0)
        if failures:
            raise failures.pop(0)
        return result

    call.calls = 0  # type: ignore[attr-defined]
    call.seen = []  # type: ignore[attr-defined]
    return call


def _in_trio() -> bool:
    try:
        trio.lowlevel.current_task()
    except RuntimeError:
        return False
    return True


# --- asyncio ------------------------------------------------------------------------------------------


def test_asyncio_success_calls_once_without_sleeping(fake_clock):
    fn = async_flaky([], result=7)
    wrapped = async_retry_llm(sleep=fake_clock.async_sleep, clock=fake_clock)(fn)
    assert asyncio.run(wrapped("p", k=1)) == 7
    assert fn.calls == 1
    assert fn.seen == [(("p",), {"k": 1})]
    assert fake_clock.sleeps == []


def test_asyncio_transient_failures_are_retried(fake_clock, make_error):
    fn = async_flaky([make_error(529), make_error(429), TimeoutError("read timed out")], result="done")
    events: list[RetryEvent] = []
    wrapped = async_retry_llm(
        max_attempts=5, seed=4, sleep=fake_clock.async_sleep, clock=fake_clock, on_retry=events.append
    )(fn)
    assert asyncio.run(wrapped("prompt")) == "done"
    assert fn.calls == 4
    assert fn.seen == [(("prompt",), {})] * 4
    assert [e.attempt for e in events] == [1, 2, 3]
    assert [e.kind for e in events] == [ErrorKind.OVERLOADED, ErrorKind.RATE_LIMITED, ErrorKind.NETWORK]
    assert fake_clock.sleeps == [e.delay_s for e in events if e.delay_s > 0]


def test_asyncio_exhaustion_reraises_the_last_exception(fake_clock, make_error):
    errors = [make_error(503) for _ in range(3)]
    fn = async_flaky(list(errors))
    wrapped = async_retry_llm(max_attempts=3, sleep=fake_clock.async_sleep, clock=fake_clock)(fn)
    with pytest.raises(type(errors[0])) as excinfo:
        asyncio.run(wrapped())
    assert excinfo.value is errors[2]
    assert fn.calls == 3
    assert any("3 attempts" in note for note in excinfo.value.__notes__)


def test_asyncio_non_retryable_is_raised_at_once(fake_clock, make_error):
    error = make_error(400)
    fn = async_flaky([error])
    wrapped = async_retry_llm(sleep=fake_clock.async_sleep, clock=fake_clock)(fn)
    with pytest.raises(type(error)) as excinfo:
        asyncio.run(wrapped())
    assert excinfo.value is error
    assert fn.calls == 1
    assert fake_clock.sleeps == []
    assert not hasattr(error, "__notes__")


def test_asyncio_default_sleep_with_zero_waits(make_error):
    fn = async_flaky([make_error(529), make_error(429, headers={"retry-after": "0"})])
    wrapped = async_retry_llm(max_attempts=3, base_delay_s=0.0, max_delay_s=0.0)(fn)
    assert asyncio.run(wrapped()) == "ok"
    assert fn.calls == 3


def test_asyncio_concurrent_calls_are_independent(fake_clock, make_error):
    async def main() -> list[Any]:
        fns = [async_flaky([make_error(529)] * i, result=i) for i in range(5)]
        wrapped = [async_retry_llm(sleep=fake_clock.async_sleep, clock=fake_clock)(fn) for fn in fns]
        results = await asyncio.gather(*(w() for w in wrapped))
        return [results, [fn.calls for fn in fns]]

    results, calls = asyncio.run(main())
    assert results == [0, 1, 2, 3, 4]
    assert calls == [1, 2, 3, 4, 5]


# --- trio ---------------------------------------------------------------------------------------------


def test_trio_retries_with_an_injected_sleep(fake_clock, make_error):
    fn = async_flaky([make_error(529), ConnectionResetError("reset")], result="trio")
    wrapped = async_retry_llm(sleep=fake_clock.async_sleep, clock=fake_clock)(fn)
    assert trio.run(wrapped) == "trio"
    assert fn.calls == 3


def test_trio_uses_trios_own_sleep_for_the_wait(make_error):
    # MockClock: trio.sleep advances virtual time only, so the real wait is nil and its length exact.
    fn = async_flaky(
        [make_error(429, headers={"retry-after": "7"}), make_error(503, headers={"retry-after": "1.5"})]
    )
    wrapped = async_retry_llm(max_attempts=3)(fn)

    async def main() -> tuple[Any, float]:
        start = trio.current_time()
        result = await wrapped()
        return result, trio.current_time() - start

    result, elapsed = trio.run(main, clock=trio.testing.MockClock(autojump_threshold=0))
    assert result == "ok"
    assert fn.calls == 3
    assert elapsed == pytest.approx(8.5)


def test_trio_non_retryable_is_raised_at_once(make_error):
    error = make_error(401)
    fn = async_flaky([error])
    with pytest.raises(type(error)) as excinfo:
        trio.run(async_retry_llm(fn))
    assert excinfo.value is error
    assert fn.calls == 1


# --- methods and callables ----------------------------------------------------------------------------


class AsyncClient:
    class_calls = 0

    def __init__(self, errors: list[BaseException]) -> None:
        self.errors = errors
        self.calls = 0

    @async_retry_llm(base_delay_s=0.0, max_delay_s=0.0)
    async def complete(self, prompt: str, *, max_tokens: int = 16) -> str:
        """Complete a prompt, asynchronously."""
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return f"{prompt}:{max_tokens}"

    @classmethod
    @async_retry_llm(base_delay_s=0.0, max_delay_s=0.0)
    async def from_env(cls, name: str) -> str:
        cls.class_calls += 1
        if cls.class_calls == 1:
            raise ConnectionResetError("peer reset")
        return f"{cls.__name__}:{name}"


def test_async_instance_method_and_classmethod_retry(make_error):
    AsyncClient.class_calls = 0
    client = AsyncClient([make_error(529), make_error(503)])
    assert asyncio.run(client.complete("hi", max_tokens=2)) == "hi:2"
    assert client.calls == 3
    assert asyncio.run(AsyncClient.from_env("prod")) == "AsyncClient:prod"
    assert AsyncClient.class_calls == 2
    assert trio.run(AsyncClient([]).complete, "t") == "t:16"


class AsyncCallableWithoutName:
    def __init__(self, errors: list[BaseException]) -> None:
        self.errors = errors
        self.calls = 0

    async def __call__(self, prompt: str) -> str:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return prompt[::-1]


def test_async_callable_object_without_name_is_wrapped(fake_clock, make_error):
    target = AsyncCallableWithoutName([make_error(529)])
    assert not hasattr(target, "__name__")
    events: list[RetryEvent] = []
    wrapped = async_retry_llm(sleep=fake_clock.async_sleep, clock=fake_clock, on_retry=events.append)(target)
    assert asyncio.run(wrapped("abc")) == "cba"
    assert target.calls == 2
    assert wrapped.__wrapped__ is target
    assert inspect.iscoroutinefunction(wrapped)
    assert events[0].function


# --- metadata -----------------------------------------------------------------------------------------


async def documented(prompt: str, *, model: str = "m", n: int = 1) -> list[str]:
    """Ask the model, asynchronously."""
    return [prompt] * n


def test_async_wrapper_keeps_metadata_and_is_a_coroutine_function():
    for wrapped in (async_retry_llm(documented), async_retry_llm(max_attempts=2, seed=1)(documented)):
        assert inspect.iscoroutinefunction(wrapped)
        assert wrapped.__name__ == "documented"
        assert wrapped.__qualname__ == documented.__qualname__
        assert wrapped.__doc__ == "Ask the model, asynchronously."
        assert wrapped.__wrapped__ is documented
        assert inspect.signature(wrapped) == inspect.signature(documented)
    assert inspect.iscoroutinefunction(AsyncClient.complete)
    assert AsyncClient.complete.__doc__ == "Complete a prompt, asynchronously."
    assert inspect.signature(AsyncClient.complete) == inspect.signature(AsyncClient.complete.__wrapped__)


def test_bare_async_decorator_works(make_error):
    calls: list[int] = []

    @async_retry_llm
    async def answer(x: int) -> int:
        """Doc."""
        calls.append(x)
        if len(calls) == 1:
            raise make_error(529, headers={"retry-after": "0"})
        return x * 2

    assert inspect.iscoroutinefunction(answer)
    assert answer.__name__ == "answer"
    assert asyncio.run(answer(21)) == 42
    assert calls == [21, 21]


def test_async_overrides_by_keyword(fake_clock, make_error):
    errors = [make_error(529) for _ in range(5)]
    fn = async_flaky(list(errors))
    wrapped = async_retry_llm(max_attempts=2, sleep=fake_clock.async_sleep, clock=fake_clock)(fn)
    with pytest.raises(type(errors[0])) as excinfo:
        asyncio.run(wrapped())
    assert excinfo.value is errors[1]
    assert fn.calls == 2


def test_cross_use_raises_type_error_at_decoration():
    async def async_fn() -> None:
        pass

    def sync_fn() -> None:
        pass

    with pytest.raises(TypeError, match="async_retry_llm"):
        retry_llm(async_fn)
    with pytest.raises(TypeError, match="retry_llm"):
        async_retry_llm(sync_fn)
    with pytest.raises(TypeError, match="retry_llm"):
        async_retry_llm(seed=1)(sync_fn)
