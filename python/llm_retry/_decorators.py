"""`retry_llm` and `async_retry_llm`: the decorators, each a thin driver of the attempt engine (`_engine`).

The success path of a function with no breaker, gate, budget or deadline is one ``try``/``return``: no clock
read, no Rust call. With a breaker (on the default clock), a gate, a budget or a deadline, the first attempt
is made inline too: one admission and one report to the breaker, one read of the gate's atomic, one
``on_success`` to the budget, one clock read for the deadline. Anything else (a failure, a refusal, a hold,
a state change) is the engine's.
"""

from __future__ import annotations

import functools
import inspect
import time
from collections.abc import Awaitable, Callable, Coroutine, Iterable
from typing import Any, ParamSpec, TypeVar, cast, overload

from . import _core
from . import _validate as valid
from ._breaker import CircuitBreaker
from ._budget import RetryBudget
from ._config import RetryConfig
from ._engine import AsyncSleep, Call, OnRetry, Retrier, Sleep, async_sleep, retrier
from ._gate import RateLimitGate
from ._streams import wrap_async_stream, wrap_sync_stream

P = ParamSpec("P")
R = TypeVar("R")

classify = _core.classify


def _run_sync(call: Call, sleep: Sleep, fn: Callable[..., Any], args: Any, kwargs: Any) -> Any:
    """The attempts after the first one's failure (or all of them): `SyncAttempts` without the
    ``with attempt:`` objects, which the failure path need not pay for."""
    while True:
        if call.delay_s > 0:
            sleep(call.delay_s)
        while (wait_s := call.admit()) > 0:
            sleep(wait_s)
        try:
            result = fn(*args, **kwargs)
        except Exception as exc:
            if call.failed(exc) is None:
                raise
        except BaseException:
            call.interrupted()
            raise
        else:
            call.succeeded()
            return result


async def _run_async(
    call: Call, sleep: AsyncSleep | None, fn: Callable[..., Awaitable[Any]], args: Any, kwargs: Any
) -> Any:
    """`_run_sync`, awaiting."""
    while True:
        if call.delay_s > 0:
            await async_sleep(sleep, call.delay_s)
        while (wait_s := call.admit()) > 0:
            await async_sleep(sleep, wait_s)
        try:
            result = await fn(*args, **kwargs)
        except Exception as exc:
            if call.failed(exc) is None:
                raise
        except BaseException:
            call.interrupted()
            raise
        else:
            call.succeeded()
            return result


def _wrap_sync(fn: Callable[P, R], r: Retrier, sleep: Sleep) -> Callable[P, R]:
    """The wrapper whose first attempt does no more than its settings need (see the module docstring)."""
    breaker = r.breaker
    alone = r.budget is None and r.deadline_s is None
    if breaker is None and alone and r.gate is None:
        return _sync_plain(fn, r, sleep)
    if breaker is not None and breaker._custom_clock is not None:
        return _sync_engine_only(fn, r, sleep)
    if breaker is not None and alone:
        return _sync_with_breaker(fn, r, sleep, breaker)
    return _sync_guarded(fn, r, sleep)


def _sync_plain(fn: Callable[P, R], r: Retrier, sleep: Sleep) -> Callable[P, R]:
    @functools.wraps(fn)
    def plain(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except Exception as exc:
            call = Call(r, None, in_task=False)
            if call.failed(exc) is None:
                raise
        return cast(R, _run_sync(call, sleep, fn, args, kwargs))

    return plain


def _sync_with_breaker(
    fn: Callable[P, R], r: Retrier, sleep: Sleep, breaker: CircuitBreaker
) -> Callable[P, R]:
    acquire, record, fire = breaker._core.acquire_closed, breaker._core.record_success, breaker._fire
    quiet = _inline_gate(r.gate)

    @functools.wraps(fn)
    def with_breaker(*args: P.args, **kwargs: P.kwargs) -> R:
        if (quiet is not None and not quiet()) or (permit := acquire()) is None:
            return cast(R, _run_sync(Call(r, None, in_task=False), sleep, fn, args, kwargs))
        try:
            result = fn(*args, **kwargs)
        except Exception as exc:
            call = Call(r, None, in_task=False, permit=permit)
            if call.failed(exc) is None:
                raise
        except BaseException:
            Call(r, None, in_task=False, permit=permit).interrupted()
            raise
        else:
            if (transition := record(permit)) is not None:
                fire(transition)
            return result
        return cast(R, _run_sync(call, sleep, fn, args, kwargs))

    return with_breaker


def _sync_guarded(fn: Callable[P, R], r: Retrier, sleep: Sleep) -> Callable[P, R]:
    clock, budget, timed = r.clock, r.budget, r.deadline_s is not None
    acquire, record, fire = _inline_breaker(r.breaker)
    quiet = _inline_gate(r.gate)

    @functools.wraps(fn)
    def guarded(*args: P.args, **kwargs: P.kwargs) -> R:
        started = clock() if timed else None
        permit = None
        if (quiet is not None and not quiet()) or (acquire is not None and (permit := acquire()) is None):
            return cast(R, _run_sync(Call(r, started, in_task=False), sleep, fn, args, kwargs))
        try:
            result = fn(*args, **kwargs)
        except Exception as exc:
            call = Call(r, started, in_task=False, permit=permit)
            if call.failed(exc) is None:
                raise
        except BaseException:
            Call(r, started, in_task=False, permit=permit).interrupted()
            raise
        else:
            if permit is not None and (transition := record(permit)) is not None:
                fire(transition)
            if budget is not None:
                budget.on_success()
            return result
        return cast(R, _run_sync(call, sleep, fn, args, kwargs))

    return guarded


def _sync_engine_only(fn: Callable[P, R], r: Retrier, sleep: Sleep) -> Callable[P, R]:
    """A breaker on a custom clock reads it in Python at every step: nothing to gain inline."""

    @functools.wraps(fn)
    def engine_only(*args: P.args, **kwargs: P.kwargs) -> R:
        return cast(R, _run_sync(Call(r, r.clock(), in_task=False), sleep, fn, args, kwargs))

    return engine_only


AsyncFn = Callable[P, Awaitable[R]]
Wrapped = Callable[P, Coroutine[Any, Any, R]]


def _wrap_async(fn: AsyncFn[P, R], r: Retrier, sleep: AsyncSleep | None) -> Wrapped[P, R]:
    """`_wrap_sync`, awaiting."""
    breaker = r.breaker
    alone = r.budget is None and r.deadline_s is None
    if breaker is None and alone and r.gate is None:
        return _async_plain(fn, r, sleep)
    if breaker is not None and breaker._custom_clock is not None:
        return _async_engine_only(fn, r, sleep)
    if breaker is not None and alone:
        return _async_with_breaker(fn, r, sleep, breaker)
    return _async_guarded(fn, r, sleep)


def _async_plain(fn: AsyncFn[P, R], r: Retrier, sleep: AsyncSleep | None) -> Wrapped[P, R]:
    @functools.wraps(fn)
    async def plain(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return await fn(*args, **kwargs)
        except Exception as exc:
            call = Call(r, None, in_task=True)
            if call.failed(exc) is None:
                raise
        return cast(R, await _run_async(call, sleep, fn, args, kwargs))

    return plain


def _async_with_breaker(
    fn: AsyncFn[P, R], r: Retrier, sleep: AsyncSleep | None, breaker: CircuitBreaker
) -> Wrapped[P, R]:
    acquire, record, fire = breaker._core.acquire_closed, breaker._core.record_success, breaker._fire
    quiet = _inline_gate(r.gate)

    @functools.wraps(fn)
    async def with_breaker(*args: P.args, **kwargs: P.kwargs) -> R:
        if (quiet is not None and not quiet()) or (permit := acquire()) is None:
            return cast(R, await _run_async(Call(r, None, in_task=True), sleep, fn, args, kwargs))
        try:
            result = await fn(*args, **kwargs)
        except Exception as exc:
            call = Call(r, None, in_task=True, permit=permit)
            if call.failed(exc) is None:
                raise
        except BaseException:
            Call(r, None, in_task=True, permit=permit).interrupted()
            raise
        else:
            if (transition := record(permit)) is not None:
                fire(transition)
            return result
        return cast(R, await _run_async(call, sleep, fn, args, kwargs))

    return with_breaker


def _async_guarded(fn: AsyncFn[P, R], r: Retrier, sleep: AsyncSleep | None) -> Wrapped[P, R]:
    clock, budget, timed = r.clock, r.budget, r.deadline_s is not None
    acquire, record, fire = _inline_breaker(r.breaker)
    quiet = _inline_gate(r.gate)

    @functools.wraps(fn)
    async def guarded(*args: P.args, **kwargs: P.kwargs) -> R:
        started = clock() if timed else None
        permit = None
        if (quiet is not None and not quiet()) or (acquire is not None and (permit := acquire()) is None):
            return cast(R, await _run_async(Call(r, started, in_task=True), sleep, fn, args, kwargs))
        try:
            result = await fn(*args, **kwargs)
        except Exception as exc:
            call = Call(r, started, in_task=True, permit=permit)
            if call.failed(exc) is None:
                raise
        except BaseException:
            Call(r, started, in_task=True, permit=permit).interrupted()
            raise
        else:
            if permit is not None and (transition := record(permit)) is not None:
                fire(transition)
            if budget is not None:
                budget.on_success()
            return result
        return cast(R, await _run_async(call, sleep, fn, args, kwargs))

    return guarded


def _async_engine_only(fn: AsyncFn[P, R], r: Retrier, sleep: AsyncSleep | None) -> Wrapped[P, R]:
    @functools.wraps(fn)
    async def engine_only(*args: P.args, **kwargs: P.kwargs) -> R:
        return cast(R, await _run_async(Call(r, r.clock(), in_task=True), sleep, fn, args, kwargs))

    return engine_only


_Acquire = Callable[[], _core.Permit | None]
_Record = Callable[[_core.Permit], _core.Transition | None]
_Fire = Callable[[_core.Transition], None]


def _inline_breaker(breaker: CircuitBreaker | None) -> tuple[_Acquire | None, _Record, _Fire]:
    """The breaker calls of a first attempt made inline, straight to the core (which reads its own clock):
    admission while closed (None otherwise, and the engine asks again, waits or refuses), the report of an
    answer, and the hook for the transition that report may make. Without a breaker there is no admission,
    hence no permit, and the other two are never called."""
    if breaker is None:
        return None, cast(_Record, None), cast(_Fire, None)
    return breaker._core.acquire_closed, breaker._core.record_success, breaker._fire


def _inline_gate(gate: RateLimitGate | None) -> Callable[[], bool] | None:
    """The gate's check of a first attempt made inline: whether nothing can be held, read from a Rust atomic
    without a lock or a clock (False sends the call to the engine, which asks the gate with the time)."""
    return None if gate is None else gate._core.quiet


def _name(fn: Callable[..., Any]) -> str:
    return getattr(fn, "__qualname__", None) or type(fn).__qualname__


def _settings(
    fn: object,
    preset: object,
    config: object,
    on_retry: OnRetry | Iterable[OnRetry] | None,
    breaker: object,
    budget: object,
    clock: object,
    wait_for_breaker: object,
    overrides: dict[str, Any],
    gate: object,
) -> Retrier:
    name = _name(valid.function("func", fn))
    return retrier(name, preset, config, on_retry, breaker, budget, clock, wait_for_breaker, overrides, gate)


def _is_async_callable(fn: object) -> bool:
    return inspect.iscoroutinefunction(fn) or inspect.iscoroutinefunction(type(fn).__call__)


@overload
def retry_llm(func: Callable[P, R], /) -> Callable[P, R]: ...


@overload
def retry_llm(
    *,
    preset: RetryConfig | None = None,
    config: RetryConfig | None = None,
    on_retry: OnRetry | Iterable[OnRetry] | None = None,
    breaker: CircuitBreaker | None = None,
    budget: RetryBudget | None = None,
    gate: RateLimitGate | None = None,
    sleep: Sleep = ...,
    clock: Callable[[], float] = ...,
    wait_for_breaker: bool = False,
    **overrides: Any,
) -> Callable[[Callable[P, R]], Callable[P, R]]: ...


def retry_llm(
    func: Callable[P, R] | None = None,
    /,
    *,
    preset: RetryConfig | None = None,
    config: RetryConfig | None = None,
    on_retry: OnRetry | Iterable[OnRetry] | None = None,
    breaker: CircuitBreaker | None = None,
    budget: RetryBudget | None = None,
    gate: RateLimitGate | None = None,
    sleep: Sleep = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    wait_for_breaker: bool = False,
    **overrides: Any,
) -> Callable[P, R] | Callable[[Callable[P, R]], Callable[P, R]]:
    """Retry a function through transient LLM API failures; re-raise everything else at once.

    ``preset`` (or ``config``) is a `RetryConfig`; any of its fields can be overridden by keyword
    (``max_attempts=3``, ``deadline_s=30``...). ``on_retry`` hooks receive a `RetryEvent` before each
    wait; ``breaker``, ``gate`` (a `RateLimitGate`) and ``budget`` may be shared between functions;
    ``sleep`` and ``clock`` are injectable for tests. Exhausted attempts re-raise the last exception
    itself, with a note.

    >>> attempts = []
    >>> @retry_llm(max_attempts=3, sleep=lambda s: None)
    ... def flaky() -> str:
    ...     attempts.append(1)
    ...     if len(attempts) < 3:
    ...         raise ConnectionResetError("peer reset")
    ...     return "ok"
    >>> flaky(), len(attempts)
    ('ok', 3)
    """
    valid.function("sleep", sleep)

    def decorate(fn: Callable[P, R]) -> Callable[P, R]:
        if _is_async_callable(fn) or inspect.isasyncgenfunction(fn):
            raise TypeError(
                f"retry_llm cannot wrap the async callable {getattr(fn, '__qualname__', fn)!r}; "
                "use async_retry_llm"
            )
        r = _settings(fn, preset, config, on_retry, breaker, budget, clock, wait_for_breaker, overrides, gate)
        if inspect.isgeneratorfunction(fn):
            return cast(Callable[P, R], wrap_sync_stream(fn, r, sleep))
        return _wrap_sync(fn, r, sleep)

    return decorate(func) if func is not None else decorate


@overload
def async_retry_llm(func: Callable[P, Awaitable[R]], /) -> Callable[P, Coroutine[Any, Any, R]]: ...


@overload
def async_retry_llm(
    *,
    preset: RetryConfig | None = None,
    config: RetryConfig | None = None,
    on_retry: OnRetry | Iterable[OnRetry] | None = None,
    breaker: CircuitBreaker | None = None,
    budget: RetryBudget | None = None,
    gate: RateLimitGate | None = None,
    sleep: AsyncSleep | None = None,
    clock: Callable[[], float] = ...,
    wait_for_breaker: bool = False,
    **overrides: Any,
) -> Callable[[Callable[P, Awaitable[R]]], Callable[P, Coroutine[Any, Any, R]]]: ...


def async_retry_llm(
    func: Callable[P, Awaitable[R]] | None = None,
    /,
    *,
    preset: RetryConfig | None = None,
    config: RetryConfig | None = None,
    on_retry: OnRetry | Iterable[OnRetry] | None = None,
    breaker: CircuitBreaker | None = None,
    budget: RetryBudget | None = None,
    gate: RateLimitGate | None = None,
    sleep: AsyncSleep | None = None,
    clock: Callable[[], float] = time.monotonic,
    wait_for_breaker: bool = False,
    **overrides: Any,
) -> (
    Callable[P, Coroutine[Any, Any, R]]
    | Callable[[Callable[P, Awaitable[R]]], Callable[P, Coroutine[Any, Any, R]]]
):
    """`retry_llm` for ``async def`` functions (and async generators); the result is still a coroutine
    function. Waits use the running library's sleep (asyncio or trio) unless ``sleep`` is given; a task
    being cancelled stops at once, even mid-wait.

    >>> import asyncio
    >>> calls = []
    >>> @async_retry_llm(max_attempts=2, base_delay_s=0.0)
    ... async def answer() -> int:
    ...     calls.append(1)
    ...     if len(calls) == 1:
    ...         raise TimeoutError("read timed out")
    ...     return 42
    >>> asyncio.run(answer()), len(calls)
    (42, 2)
    """
    valid.optional_function("sleep", sleep)

    def decorate(fn: Callable[P, Awaitable[R]]) -> Callable[P, Coroutine[Any, Any, R]]:
        if inspect.isasyncgenfunction(fn):
            r = _settings(
                fn, preset, config, on_retry, breaker, budget, clock, wait_for_breaker, overrides, gate
            )
            return cast(Callable[P, Coroutine[Any, Any, R]], wrap_async_stream(fn, r, sleep))
        if (inspect.isfunction(fn) and not _is_async_callable(fn)) or inspect.isgeneratorfunction(fn):
            raise TypeError(
                f"async_retry_llm wraps async callables; {getattr(fn, '__qualname__', fn)!r} is not one "
                "(use retry_llm)"
            )
        r = _settings(fn, preset, config, on_retry, breaker, budget, clock, wait_for_breaker, overrides, gate)
        return _wrap_async(fn, r, sleep)

    return decorate(func) if func is not None else decorate
