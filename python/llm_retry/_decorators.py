"""`retry_llm` and `async_retry_llm`: the decorators, each a thin driver of the attempt engine (`_engine`).

The first attempt is made inline, doing no more than the settings need: with the default budget alone, a
count of first attempts (reported to the budget in batches, see `_sync_budgeted`), then ``try``/``return``
(no budget at all: not even that); with a breaker (on the default clock), a gate or a deadline, one admission
and one report to the breaker, one read of the gate's atomic, one clock read for the deadline, and the same
count for the budget. Anything else (a failure, a refusal, a hold, a state change) is the engine's.
"""

from __future__ import annotations

import functools
import inspect
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Iterable
from typing import Any, ParamSpec, Protocol, TypeVar, cast, overload

from . import _core
from . import _validate as valid
from ._breaker import CircuitBreaker
from ._budget import PER_PROVIDER, DefaultBudget, RetryBudget
from ._config import RetryConfig
from ._engine import AsyncSleep, Call, OnRetry, Retrier, Sleep, async_sleep, retrier
from ._events import Listener
from ._gate import RateLimitGate
from ._streams import wrap_async_stream, wrap_sync_stream

P = ParamSpec("P")
R = TypeVar("R")
T = TypeVar("T")

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


def _counts_inline(r: Retrier) -> bool:
    """Whether a first attempt made inline may be counted in Python (`_sync_budgeted`): always without a
    budget, and with one while the GIL makes the count safe. A free-threaded build without the GIL goes
    through the engine, which reports each first attempt to the core as it is made. (The GIL can be
    switched on while the process runs, never off again, so the answer when decorating holds.)"""
    return r.budget is None or getattr(sys, "_is_gil_enabled", lambda: True)()


def _wrap_sync(fn: Callable[P, R], r: Retrier, sleep: Sleep) -> Callable[P, R]:
    """The wrapper whose first attempt does no more than its settings need (see the module docstring)."""
    breaker = r.breaker
    if not _counts_inline(r):
        return _sync_engine_only(fn, r, sleep)
    if breaker is None and r.deadline_s is None and r.gate is None:
        if r.budget is None:
            return _sync_plain(fn, r, sleep)
        return _sync_budgeted(fn, r, sleep, r.budget)
    if breaker is not None and breaker._custom_clock is not None:
        return _sync_engine_only(fn, r, sleep)
    if breaker is not None and r.deadline_s is None:
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


# A budgeted function counts its first attempts itself and reports them to the budget in batches: the success
# path then costs a decrement instead of a call into Rust (~40 ns, as much again as the rest of the path).
# The budget says how many to count before the next report (`BudgetCore.deposit_batch`): one at a time while
# it is quiet, so that they are counted when made; up to 16 while its current bucket (a second, by default)
# holds more than 32, when a batch fills in a small part of a bucket. A failing call reports at once, before
# its retry is weighed. What is left of a batch when the traffic stops is reported at the function's next
# call: late, so it counts for longer, which can lend a window at most 15 x retry_ratio retries (0.75 with
# the defaults). The counts are read and stored with no call in between, and the GIL changes hands only at
# calls, so no thread's first attempt is lost or counted twice; without the GIL the engine counts instead
# (`_counts_inline`).


def _batch_report(budget: RetryBudget | None) -> Callable[[int], int] | None:
    """How a decorator reports a batch of first attempts to ``budget`` (straight to the core on its default
    clock); None without a budget."""
    if budget is None:
        return None
    return budget._core.deposit_batch if budget._custom_clock is None else budget._deposit_batch


def _sync_budgeted(fn: Callable[P, R], r: Retrier, sleep: Sleep, budget: RetryBudget) -> Callable[P, R]:
    report = cast(Callable[[int], int], _batch_report(budget))
    left = batch = advised = 1  # first attempts before the next report, in a batch of `batch`

    @functools.wraps(fn)
    def budgeted(*args: P.args, **kwargs: P.kwargs) -> R:
        nonlocal left, batch, advised
        left -= 1
        if not left:
            count, left, batch = batch - left, advised, advised
            advised = report(count)
        try:
            return fn(*args, **kwargs)
        except Exception as exc:
            if left < batch:
                count, left, batch = batch - left, advised, advised
                advised = report(count)
            call = Call(r, None, in_task=False)
            if call.failed(exc) is None:
                raise
        return cast(R, _run_sync(call, sleep, fn, args, kwargs))

    return budgeted


def _sync_with_breaker(
    fn: Callable[P, R], r: Retrier, sleep: Sleep, breaker: CircuitBreaker
) -> Callable[P, R]:
    acquire, record, fire = breaker._core.acquire_closed, breaker._core.record_success, breaker._fire
    quiet = _inline_gate(r.gate)
    report = _batch_report(r.budget)
    left = batch = advised = 1  # as in `_sync_budgeted`

    @functools.wraps(fn)
    def with_breaker(*args: P.args, **kwargs: P.kwargs) -> R:
        nonlocal left, batch, advised
        if (quiet is not None and not quiet()) or (permit := acquire()) is None:
            return cast(R, _run_sync(Call(r, None, in_task=False), sleep, fn, args, kwargs))
        if report is not None:
            left -= 1
            if not left:
                count, left, batch = batch - left, advised, advised
                advised = report(count)
        try:
            result = fn(*args, **kwargs)
        except Exception as exc:
            if report is not None and left < batch:
                count, left, batch = batch - left, advised, advised
                advised = report(count)
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
    clock, timed = r.clock, r.deadline_s is not None
    report = _batch_report(r.budget)
    left = batch = advised = 1  # as in `_sync_budgeted`
    acquire, record, fire = _inline_breaker(r.breaker)
    quiet = _inline_gate(r.gate)

    @functools.wraps(fn)
    def guarded(*args: P.args, **kwargs: P.kwargs) -> R:
        nonlocal left, batch, advised
        started = clock() if timed else None
        permit = None
        if (quiet is not None and not quiet()) or (acquire is not None and (permit := acquire()) is None):
            return cast(R, _run_sync(Call(r, started, in_task=False), sleep, fn, args, kwargs))
        if report is not None:
            left -= 1
            if not left:
                count, left, batch = batch - left, advised, advised
                advised = report(count)
        try:
            result = fn(*args, **kwargs)
        except Exception as exc:
            if report is not None and left < batch:
                count, left, batch = batch - left, advised, advised
                advised = report(count)
            call = Call(r, started, in_task=False, permit=permit)
            if call.failed(exc) is None:
                raise
        except BaseException:
            Call(r, started, in_task=False, permit=permit).interrupted()
            raise
        else:
            if permit is not None and (transition := record(permit)) is not None:
                fire(transition)
            return result
        return cast(R, _run_sync(call, sleep, fn, args, kwargs))

    return guarded


def _sync_engine_only(fn: Callable[P, R], r: Retrier, sleep: Sleep) -> Callable[P, R]:
    """A breaker on a custom clock reads it in Python at every step: nothing to gain inline (nor for a budget
    without the GIL, see `_counts_inline`)."""

    @functools.wraps(fn)
    def engine_only(*args: P.args, **kwargs: P.kwargs) -> R:
        return cast(R, _run_sync(Call(r, r.clock(), in_task=False), sleep, fn, args, kwargs))

    return engine_only


AsyncFn = Callable[P, Awaitable[R]]
Wrapped = Callable[P, Coroutine[Any, Any, R]]


def _wrap_async(fn: AsyncFn[P, R], r: Retrier, sleep: AsyncSleep | None) -> Wrapped[P, R]:
    """`_wrap_sync`, awaiting."""
    breaker = r.breaker
    if not _counts_inline(r):
        return _async_engine_only(fn, r, sleep)
    if breaker is None and r.deadline_s is None and r.gate is None:
        if r.budget is None:
            return _async_plain(fn, r, sleep)
        return _async_budgeted(fn, r, sleep, r.budget)
    if breaker is not None and breaker._custom_clock is not None:
        return _async_engine_only(fn, r, sleep)
    if breaker is not None and r.deadline_s is None:
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


def _async_budgeted(
    fn: AsyncFn[P, R], r: Retrier, sleep: AsyncSleep | None, budget: RetryBudget
) -> Wrapped[P, R]:
    """`_sync_budgeted`, awaiting."""
    report = cast(Callable[[int], int], _batch_report(budget))
    left = batch = advised = 1

    @functools.wraps(fn)
    async def budgeted(*args: P.args, **kwargs: P.kwargs) -> R:
        nonlocal left, batch, advised
        left -= 1
        if not left:
            count, left, batch = batch - left, advised, advised
            advised = report(count)
        try:
            return await fn(*args, **kwargs)
        except Exception as exc:
            if left < batch:
                count, left, batch = batch - left, advised, advised
                advised = report(count)
            call = Call(r, None, in_task=True)
            if call.failed(exc) is None:
                raise
        return cast(R, await _run_async(call, sleep, fn, args, kwargs))

    return budgeted


def _async_with_breaker(
    fn: AsyncFn[P, R], r: Retrier, sleep: AsyncSleep | None, breaker: CircuitBreaker
) -> Wrapped[P, R]:
    acquire, record, fire = breaker._core.acquire_closed, breaker._core.record_success, breaker._fire
    quiet = _inline_gate(r.gate)
    report = _batch_report(r.budget)
    left = batch = advised = 1  # as in `_sync_budgeted`

    @functools.wraps(fn)
    async def with_breaker(*args: P.args, **kwargs: P.kwargs) -> R:
        nonlocal left, batch, advised
        if (quiet is not None and not quiet()) or (permit := acquire()) is None:
            return cast(R, await _run_async(Call(r, None, in_task=True), sleep, fn, args, kwargs))
        if report is not None:
            left -= 1
            if not left:
                count, left, batch = batch - left, advised, advised
                advised = report(count)
        try:
            result = await fn(*args, **kwargs)
        except Exception as exc:
            if report is not None and left < batch:
                count, left, batch = batch - left, advised, advised
                advised = report(count)
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
    clock, timed = r.clock, r.deadline_s is not None
    report = _batch_report(r.budget)
    left = batch = advised = 1
    acquire, record, fire = _inline_breaker(r.breaker)
    quiet = _inline_gate(r.gate)

    @functools.wraps(fn)
    async def guarded(*args: P.args, **kwargs: P.kwargs) -> R:
        nonlocal left, batch, advised
        started = clock() if timed else None
        permit = None
        if (quiet is not None and not quiet()) or (acquire is not None and (permit := acquire()) is None):
            return cast(R, await _run_async(Call(r, started, in_task=True), sleep, fn, args, kwargs))
        if report is not None:
            left -= 1
            if not left:
                count, left, batch = batch - left, advised, advised
                advised = report(count)
        try:
            result = await fn(*args, **kwargs)
        except Exception as exc:
            if report is not None and left < batch:
                count, left, batch = batch - left, advised, advised
                advised = report(count)
            call = Call(r, started, in_task=True, permit=permit)
            if call.failed(exc) is None:
                raise
        except BaseException:
            Call(r, started, in_task=True, permit=permit).interrupted()
            raise
        else:
            if permit is not None and (transition := record(permit)) is not None:
                fire(transition)
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


def _with_rounds(wrapped: Wrapped[P, R], rounds: Callable[[], None]) -> Wrapped[P, R]:
    """An async function whose objects are on an async `RedisStore`: each call first makes sure the store's
    sync rounds run on its event loop (a comparison once they do)."""

    @functools.wraps(wrapped)
    async def with_rounds(*args: P.args, **kwargs: P.kwargs) -> R:
        rounds()
        return await wrapped(*args, **kwargs)

    return with_rounds


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
    on_event: object,
) -> Retrier:
    name = _name(valid.function("func", fn))
    return retrier(
        name, preset, config, on_retry, breaker, budget, clock, wait_for_breaker, overrides, gate, on_event
    )


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
    on_event: Listener | Iterable[Listener] | None = None,
    breaker: CircuitBreaker | None = None,
    budget: RetryBudget | None = ...,
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
    on_event: Listener | Iterable[Listener] | None = None,
    breaker: CircuitBreaker | None = None,
    budget: RetryBudget | DefaultBudget | None = PER_PROVIDER,
    gate: RateLimitGate | None = None,
    sleep: Sleep = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    wait_for_breaker: bool = False,
    **overrides: Any,
) -> Callable[P, R] | Callable[[Callable[P, R]], Callable[P, R]]:
    """Retry a function through transient LLM API failures; re-raise everything else at once.

    ``preset`` (or ``config``) is a `RetryConfig`; any of its fields can be overridden by keyword
    (``max_attempts=3``, ``deadline_s=30``...). ``on_retry`` hooks receive a `RetryEvent` before each
    wait; ``on_event`` listeners receive every `Event` of this function's calls (retries, give-ups,
    answers after retries, refusals, gate waits), before the process-wide ones (`add_listener`);
    ``breaker``, ``gate`` (a `RateLimitGate`) and ``budget`` may be shared between functions;
    ``sleep`` and ``clock`` are injectable for tests. Exhausted attempts re-raise the last exception
    itself, with a note.

    Retries are capped by a `RetryBudget`. Left out, ``budget`` is the provider's: one per config
    ``name`` (the preset's: "anthropic", "openai", "default"...) in the process, shared by every function
    and `attempts()` block of that provider, so that a provider that is down gets a bounded share of
    retries rather than ``max_attempts`` times the traffic. With a custom ``clock`` the function gets a
    budget of its own on that clock instead. Pass a `RetryBudget` to choose the sharing yourself, or
    ``budget=None`` for no budget at all.

    >>> attempts = []
    >>> budget = RetryBudget()
    >>> @retry_llm(max_attempts=3, sleep=lambda s: None, budget=budget)
    ... def flaky() -> str:
    ...     attempts.append(1)
    ...     if len(attempts) < 3:
    ...         raise ConnectionResetError("peer reset")
    ...     return "ok"
    >>> flaky(), len(attempts), budget.stats.retries_allowed
    ('ok', 3, 2)
    """
    valid.function("sleep", sleep)

    def decorate(fn: Callable[P, R]) -> Callable[P, R]:
        if _is_async_callable(fn) or inspect.isasyncgenfunction(fn):
            raise TypeError(
                f"retry_llm cannot wrap the async callable {getattr(fn, '__qualname__', fn)!r}; "
                "use async_retry_llm"
            )
        r = _settings(
            fn, preset, config, on_retry, breaker, budget, clock, wait_for_breaker, overrides, gate, on_event
        )
        r.check_pairing(asynchronous=False)
        if inspect.isgeneratorfunction(fn):
            return cast(Callable[P, R], wrap_sync_stream(fn, r, sleep))
        return _wrap_sync(fn, r, sleep)

    return decorate(func) if func is not None else decorate


class AsyncRetryDecorator(Protocol):
    """What ``async_retry_llm(...)`` returns: a decorator of coroutine functions and of async generator
    functions, each keeping its signature."""

    @overload
    def __call__(self, fn: Callable[P, AsyncIterator[T]], /) -> Callable[P, AsyncIterator[T]]: ...
    @overload
    def __call__(self, fn: Callable[P, Awaitable[R]], /) -> Callable[P, Coroutine[Any, Any, R]]: ...


@overload
def async_retry_llm(func: Callable[P, AsyncIterator[T]], /) -> Callable[P, AsyncIterator[T]]: ...


@overload
def async_retry_llm(func: Callable[P, Awaitable[R]], /) -> Callable[P, Coroutine[Any, Any, R]]: ...


@overload
def async_retry_llm(
    *,
    preset: RetryConfig | None = None,
    config: RetryConfig | None = None,
    on_retry: OnRetry | Iterable[OnRetry] | None = None,
    on_event: Listener | Iterable[Listener] | None = None,
    breaker: CircuitBreaker | None = None,
    budget: RetryBudget | None = ...,
    gate: RateLimitGate | None = None,
    sleep: AsyncSleep | None = None,
    clock: Callable[[], float] = ...,
    wait_for_breaker: bool = False,
    **overrides: Any,
) -> AsyncRetryDecorator: ...


def async_retry_llm(
    func: Callable[..., Any] | None = None,
    /,
    *,
    preset: RetryConfig | None = None,
    config: RetryConfig | None = None,
    on_retry: OnRetry | Iterable[OnRetry] | None = None,
    on_event: Listener | Iterable[Listener] | None = None,
    breaker: CircuitBreaker | None = None,
    budget: RetryBudget | DefaultBudget | None = PER_PROVIDER,
    gate: RateLimitGate | None = None,
    sleep: AsyncSleep | None = None,
    clock: Callable[[], float] = time.monotonic,
    wait_for_breaker: bool = False,
    **overrides: Any,
) -> Any:
    """`retry_llm` for ``async def`` functions (and async generators); the result is still a coroutine
    function. Waits use the running library's sleep (asyncio or trio) unless ``sleep`` is given; a task
    being cancelled stops at once, even mid-wait. The budget is the provider's unless ``budget`` says
    otherwise, shared with its sync functions (see `retry_llm`).

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
                fn,
                preset,
                config,
                on_retry,
                breaker,
                budget,
                clock,
                wait_for_breaker,
                overrides,
                gate,
                on_event,
            )
            r.check_pairing(asynchronous=True)
            return cast(Callable[P, Coroutine[Any, Any, R]], wrap_async_stream(fn, r, sleep))
        if (inspect.isfunction(fn) and not _is_async_callable(fn)) or inspect.isgeneratorfunction(fn):
            raise TypeError(
                f"async_retry_llm wraps async callables; {getattr(fn, '__qualname__', fn)!r} is not one "
                "(use retry_llm)"
            )
        r = _settings(
            fn, preset, config, on_retry, breaker, budget, clock, wait_for_breaker, overrides, gate, on_event
        )
        r.check_pairing(asynchronous=True)
        wrapped = _wrap_async(fn, r, sleep)
        return wrapped if r.rounds is None else _with_rounds(wrapped, r.rounds)

    return decorate(func) if func is not None else decorate
