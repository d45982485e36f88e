"""The retry loop: `retry_llm` and `async_retry_llm`.

Python owns the loop (calling the function, sleeping, cancellation); every decision comes from
`_core.Policy.decide`. The success path of a function with no breaker, budget or deadline is one
``try``/``return``: no clock read, no Rust call.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import logging
import sys
import time
from collections.abc import Awaitable, Callable, Coroutine, Iterable
from dataclasses import dataclass
from typing import Any, ParamSpec, TypeVar, cast, overload

from . import _core
from ._breaker import CircuitBreaker, Permit
from ._config import FIELD_NAMES, RetryConfig
from ._kinds import ErrorKind
from .presets import DefaultPreset

P = ParamSpec("P")
R = TypeVar("R")

logger = logging.getLogger("llm_retry")

OnRetry = Callable[["RetryEvent"], object]
Sleep = Callable[[float], object]
AsyncSleep = Callable[[float], Awaitable[object]]


@dataclass(frozen=True, slots=True)
class RetryEvent:
    """What happened, handed to ``on_retry`` hooks before each wait.

    ``attempt`` is the 1-based number of the attempt that just failed; ``delay_s`` the wait before the next
    one; ``elapsed_s`` the seconds since the call started (since the first failure when the call has no
    deadline, breaker or budget: the success path reads no clock).
    """

    function: str
    attempt: int
    max_attempts: int
    exception: BaseException
    classification: _core.Classification
    delay_s: float
    from_hint: bool
    elapsed_s: float
    deadline_remaining_s: float | None
    config_name: str

    @property
    def kind(self) -> ErrorKind:
        return self.classification.kind

    @property
    def status(self) -> int | None:
        return self.classification.status


classify = _core.classify


class _Call:
    """Per-call bookkeeping of the slow path."""

    __slots__ = ("attempt", "last_cost", "started")

    def __init__(self, started: float) -> None:
        self.started = started
        self.attempt = 1
        self.last_cost = 0.0


class _Retrier:
    """A decorated function's settings, and the decisions the sync and async loops share."""

    def __init__(
        self,
        fn: Callable[..., Any],
        config: RetryConfig,
        on_retry: tuple[OnRetry, ...],
        breaker: CircuitBreaker | None,
        budget: _core.RetryBudget | None,
        clock: Callable[[], float],
        wait_for_breaker: bool,
    ) -> None:
        self.config = config
        self.policy: _core.Policy = config._policy  # type: ignore[attr-defined]
        self.on_retry = on_retry
        self.breaker = breaker
        self.budget = budget
        self.clock = clock
        self.wait_for_breaker = wait_for_breaker
        self.name = getattr(fn, "__qualname__", None) or type(fn).__qualname__
        # The fast path applies when the first attempt needs no permit, no budget and no start time.
        self.fast = breaker is None and budget is None and config.deadline_s is None

    def remaining_s(self, call: _Call) -> float | None:
        if self.config.deadline_s is None:
            return None
        return self.config.deadline_s - (self.clock() - call.started)

    def acquire(self, call: _Call, last_exc: BaseException | None) -> tuple[Permit | None, float]:
        """A breaker permit (None without a breaker), or a wait before asking again; raises when the
        call must not wait: `CircuitOpenError` on the first attempt, else the last failure with a note."""
        if self.breaker is None:
            return None, 0.0
        permit, retry_in_s = self.breaker._try_acquire()
        if permit is not None:
            return permit, 0.0
        remaining = self.remaining_s(call)
        wait_s = max(retry_in_s, 0.001)
        if self.wait_for_breaker and remaining is not None and wait_s < remaining:
            return None, wait_s
        if last_exc is None:
            raise self.breaker._rejection(retry_in_s)
        _add_note(
            last_exc,
            f"llm-retry: gave up after attempt {call.attempt - 1}: circuit breaker "
            f"{self.breaker.name!r} is open (retry in {retry_in_s:.2f} s)",
        )
        raise last_exc

    def succeeded(self, call: _Call | None, permit: Permit | None) -> None:
        if permit is not None and self.breaker is not None:
            self.breaker._record(permit, None)
        if self.budget is not None:
            self.budget.on_success(call.last_cost if call is not None else 0.0)

    def release(self, permit: Permit | None) -> None:
        if permit is not None and self.breaker is not None:
            self.breaker._release(permit)

    def after_failure(self, exc: Exception, call: _Call, permit: Permit | None) -> float:
        """The wait before the next attempt; raises ``exc`` (with a note saying why) when giving up."""
        remaining = self.remaining_s(call)
        decision = self.policy.decide(exc, call.attempt, remaining)
        classification = decision.classification
        kind = classification.kind
        if permit is not None and self.breaker is not None:
            self.breaker._record(permit, classification)
        if not decision.retry:
            if decision.note is not None:
                _add_note(exc, decision.note)
            raise exc
        if self.budget is not None:
            cost = self.budget.try_spend(kind.value)
            if cost is None:
                _add_note(
                    exc,
                    f"llm-retry: gave up after attempt {call.attempt}: the retry budget is empty "
                    f"({kind.value}); too many calls are failing",
                )
                raise exc
            call.last_cost = cost
        delay = decision.delay_s
        event = RetryEvent(
            function=self.name,
            attempt=call.attempt,
            max_attempts=self.policy.max_attempts,
            exception=exc,
            classification=classification,
            delay_s=delay,
            from_hint=decision.from_hint,
            elapsed_s=max(0.0, self.clock() - call.started),
            deadline_remaining_s=remaining,
            config_name=self.config.name,
        )
        self.report(event)
        call.attempt += 1
        return delay

    def report(self, event: RetryEvent) -> None:
        if logger.isEnabledFor(logging.WARNING):
            status = event.status
            remaining = event.deadline_remaining_s
            sdk_retries = event.classification.sdk_retries
            logger.warning(
                "llm-retry: %s failed on attempt %d/%d (%s%s%s); retrying in %.2f s%s",
                event.function,
                event.attempt,
                event.max_attempts,
                event.kind.value,
                f", {status}" if status is not None else "",
                f", after {sdk_retries} retries by the SDK itself" if sdk_retries else "",
                event.delay_s,
                f" ({remaining:.1f} s of deadline left)" if remaining is not None else "",
                extra={
                    "function": event.function,
                    "attempt": event.attempt,
                    "max_attempts": event.max_attempts,
                    "kind": event.kind.value,
                    "status": status,
                    "delay_s": event.delay_s,
                    "from_hint": event.from_hint,
                    "deadline_remaining_s": remaining,
                    "sdk_retries": sdk_retries,
                    "reason": event.classification.reason,
                },
            )
        for hook in self.on_retry:
            hook(event)


def _add_note(exc: BaseException, note: str) -> None:
    """Adds a PEP 678 note, unless the exception refuses one: the original exception is what gets raised,
    with or without its note."""
    try:
        if sys.version_info >= (3, 11):
            exc.add_note(note)
        else:  # pragma: no cover - Python 3.10 has no add_note; keep the same attribute
            notes = getattr(exc, "__notes__", None)
            if notes is None:
                notes = []
                exc.__notes__ = notes  # type: ignore[attr-defined]
            notes.append(note)
    except Exception:
        pass


# --- sync ------------------------------------------------------------------------------------------


def _sync_loop(
    r: _Retrier,
    sleep: Sleep,
    fn: Callable[..., Any],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    call: _Call,
    failure: Exception | None,
) -> Any:
    """Runs attempts until one succeeds or a decision says stop. ``failure`` is the first attempt's
    exception when the fast path already made it."""
    permit: Permit | None = None
    last: Exception | None = None
    while True:
        if failure is None:
            permit, wait_s = r.acquire(call, last)
            while permit is None and wait_s > 0:
                sleep(wait_s)
                permit, wait_s = r.acquire(call, last)
            try:
                result = fn(*args, **kwargs)
            except Exception as exc:
                failure = exc
            except BaseException:
                r.release(permit)
                raise
            else:
                r.succeeded(call, permit)
                return result
        last = failure
        delay = r.after_failure(failure, call, permit)
        failure = None
        if delay > 0:
            sleep(delay)


def _wrap_sync(fn: Callable[P, R], r: _Retrier, sleep: Sleep) -> Callable[P, R]:
    clock = r.clock
    if r.fast:

        @functools.wraps(fn)
        def fast_wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            try:
                return fn(*args, **kwargs)
            except Exception as exc:
                failure = exc
            return cast(R, _sync_loop(r, sleep, fn, args, kwargs, _Call(clock()), failure))

        return fast_wrapper

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        return cast(R, _sync_loop(r, sleep, fn, args, kwargs, _Call(clock()), None))

    return wrapper


# --- async -----------------------------------------------------------------------------------------


def _running_library_sleep() -> AsyncSleep:
    """The sleep of the event loop running this coroutine: asyncio's, or trio's."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        trio = sys.modules.get("trio")
        if trio is not None:
            return cast(AsyncSleep, trio.sleep)
        raise RuntimeError("async_retry_llm: no running asyncio or trio event loop") from None
    return asyncio.sleep


def _check_not_cancelling(failure: Exception, r: _Retrier, permit: Permit | None) -> None:
    """An asyncio task that is being cancelled stops at once, even when the cancellation surfaced as
    another exception (some clients turn it into a connection error). Its breaker permit is handed back."""
    if sys.version_info < (3, 11):
        return
    try:
        task = asyncio.current_task()
    except RuntimeError:
        return
    if task is not None and task.cancelling():
        r.release(permit)
        raise asyncio.CancelledError() from failure


async def _async_loop(
    r: _Retrier,
    sleep: AsyncSleep | None,
    fn: Callable[..., Awaitable[Any]],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    call: _Call,
    failure: Exception | None,
) -> Any:
    permit: Permit | None = None
    last: Exception | None = None
    while True:
        if failure is None:
            permit, wait_s = r.acquire(call, last)
            while permit is None and wait_s > 0:
                await (sleep or _running_library_sleep())(wait_s)
                permit, wait_s = r.acquire(call, last)
            try:
                result = await fn(*args, **kwargs)
            except Exception as exc:
                failure = exc
            except BaseException:
                r.release(permit)
                raise
            else:
                r.succeeded(call, permit)
                return result
        _check_not_cancelling(failure, r, permit)
        last = failure
        delay = r.after_failure(failure, call, permit)
        failure = None
        if delay > 0:
            await (sleep or _running_library_sleep())(delay)


def _wrap_async(
    fn: Callable[P, Awaitable[R]], r: _Retrier, sleep: AsyncSleep | None
) -> Callable[P, Coroutine[Any, Any, R]]:
    clock = r.clock
    if r.fast:

        @functools.wraps(fn)
        async def fast_wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            try:
                return await fn(*args, **kwargs)
            except Exception as exc:
                failure = exc
            return cast(R, await _async_loop(r, sleep, fn, args, kwargs, _Call(clock()), failure))

        return fast_wrapper

    @functools.wraps(fn)
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        return cast(R, await _async_loop(r, sleep, fn, args, kwargs, _Call(clock()), None))

    return wrapper


# --- configuration ---------------------------------------------------------------------------------


def _resolve_config(preset: object, config: object, overrides: dict[str, Any]) -> RetryConfig:
    if preset is not None and config is not None:
        raise TypeError("pass preset= or config=, not both")
    base = preset if preset is not None else config
    label = "preset" if preset is not None else "config"
    if base is None:
        base = DefaultPreset
    elif not isinstance(base, RetryConfig):
        raise TypeError(f"{label} must be a RetryConfig, got {type(base).__name__}")
    unknown = set(overrides) - FIELD_NAMES
    if unknown:
        raise TypeError(f"unknown keyword argument(s): {', '.join(sorted(unknown))}")
    return base.replace(**overrides) if overrides else base


def _hooks(on_retry: OnRetry | Iterable[OnRetry] | None) -> tuple[OnRetry, ...]:
    if on_retry is None:
        return ()
    if callable(on_retry):
        return (on_retry,)
    if isinstance(on_retry, Iterable):
        hooks = tuple(on_retry)
        for hook in hooks:
            if not callable(hook):
                raise TypeError(f"on_retry must contain callables, got {type(hook).__name__}")
        return hooks
    raise TypeError(f"on_retry must be a callable or a list of callables, got {type(on_retry).__name__}")


def _retrier(
    fn: Callable[..., Any],
    preset: object,
    config: object,
    on_retry: OnRetry | Iterable[OnRetry] | None,
    breaker: object,
    budget: object,
    clock: object,
    wait_for_breaker: object,
    overrides: dict[str, Any],
) -> _Retrier:
    if not callable(fn):
        raise TypeError(f"retry_llm decorates callables, got {type(fn).__name__}")
    resolved = _resolve_config(preset, config, overrides)
    if breaker is not None and not isinstance(breaker, CircuitBreaker):
        raise TypeError(f"breaker must be a CircuitBreaker, got {type(breaker).__name__}")
    if budget is not None and not isinstance(budget, _core.RetryBudget):
        raise TypeError(f"budget must be a RetryBudget, got {type(budget).__name__}")
    if not callable(clock):
        raise TypeError(f"clock must be callable, got {type(clock).__name__}")
    if not isinstance(wait_for_breaker, bool):
        raise TypeError(f"wait_for_breaker must be a bool, got {type(wait_for_breaker).__name__}")
    if wait_for_breaker and (breaker is None or resolved.deadline_s is None):
        raise ValueError("wait_for_breaker=True needs a breaker and a deadline_s to bound the wait")
    return _Retrier(
        fn,
        resolved,
        _hooks(on_retry),
        breaker,
        budget,
        cast(Callable[[], float], clock),
        wait_for_breaker,
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
    breaker: CircuitBreaker | None = None,
    budget: _core.RetryBudget | None = None,
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
    budget: _core.RetryBudget | None = None,
    sleep: Sleep = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    wait_for_breaker: bool = False,
    **overrides: Any,
) -> Callable[P, R] | Callable[[Callable[P, R]], Callable[P, R]]:
    """Retry a function through transient LLM API failures; re-raise everything else at once.

    ``preset`` (or ``config``) is a `RetryConfig`; any of its fields can be overridden by keyword
    (``max_attempts=3``, ``deadline_s=30``...). ``on_retry`` hooks receive a `RetryEvent` before each
    wait; ``breaker`` and ``budget`` may be shared between functions; ``sleep`` and ``clock`` are
    injectable for tests. Exhausted attempts re-raise the last exception itself, with a note.

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
    if not callable(sleep):
        raise TypeError(f"sleep must be callable, got {type(sleep).__name__}")

    def decorate(fn: Callable[P, R]) -> Callable[P, R]:
        if _is_async_callable(fn) or inspect.isasyncgenfunction(fn):
            raise TypeError(
                f"retry_llm cannot wrap the async callable {getattr(fn, '__qualname__', fn)!r}; "
                "use async_retry_llm"
            )
        r = _retrier(fn, preset, config, on_retry, breaker, budget, clock, wait_for_breaker, overrides)
        if inspect.isgeneratorfunction(fn):
            from ._streams import wrap_sync_stream

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
    budget: _core.RetryBudget | None = None,
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
    budget: _core.RetryBudget | None = None,
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
    if sleep is not None and not callable(sleep):
        raise TypeError(f"sleep must be an async callable, got {type(sleep).__name__}")

    def decorate(fn: Callable[P, Awaitable[R]]) -> Callable[P, Coroutine[Any, Any, R]]:
        if inspect.isasyncgenfunction(fn):
            r = _retrier(fn, preset, config, on_retry, breaker, budget, clock, wait_for_breaker, overrides)
            from ._streams import wrap_async_stream

            return cast(Callable[P, Coroutine[Any, Any, R]], wrap_async_stream(fn, r, sleep))
        if (inspect.isfunction(fn) and not _is_async_callable(fn)) or inspect.isgeneratorfunction(fn):
            raise TypeError(
                f"async_retry_llm wraps async callables; {getattr(fn, '__qualname__', fn)!r} is not one "
                "(use retry_llm)"
            )
        r = _retrier(fn, preset, config, on_retry, breaker, budget, clock, wait_for_breaker, overrides)
        return _wrap_async(fn, r, sleep)

    return decorate(func) if func is not None else decorate
