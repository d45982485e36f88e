"""`attempts()`: the block form, for code that is not a function of its own (stamina's ``retry_context``
shape). It drives the same attempt engine as the decorators, with the same arguments and the same rules.
"""

from __future__ import annotations

import inspect
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from typing import Any

from . import _validate as valid
from ._breaker import CircuitBreaker
from ._budget import PER_PROVIDER, DefaultBudget, RetryBudget
from ._config import RetryConfig
from ._engine import AsyncAttempts, Attempt, Call, OnRetry, Retrier, SyncAttempts, retrier
from ._events import Listener
from ._gate import RateLimitGate


class Attempts:
    """The attempts of a block, for ``for`` (blocking sleeps) or ``async for`` (the running library's
    sleeps). Each iteration is one call of its own, with its own start, attempt count and deadline."""

    __slots__ = ("_r", "_sleep")

    def __init__(self, r: Retrier, sleep: Callable[[float], object] | None) -> None:
        self._r = r
        self._sleep = sleep

    def _call(self, *, in_task: bool) -> Call:
        r = self._r
        return Call(r, r.clock() if r.deadline_s is not None else None, in_task=in_task)

    def __iter__(self) -> Iterator[Attempt]:
        sleep = self._sleep
        if sleep is None:
            sleep = time.sleep
        elif inspect.iscoroutinefunction(sleep):
            raise TypeError("sleep is an async function: iterate with `async for`, or pass a blocking sleep")
        self._r.check_pairing(asynchronous=False)
        return SyncAttempts(self._call(in_task=False), sleep)

    def __aiter__(self) -> AsyncIterator[Attempt]:
        self._r.check_pairing(asynchronous=True)
        return AsyncAttempts(self._call(in_task=True), self._sleep)

    def __repr__(self) -> str:
        r = self._r
        return f"<Attempts in {r.name} ({r.config.name}, max_attempts={r.policy.max_attempts})>"


def attempts(
    *,
    preset: RetryConfig | None = None,
    config: RetryConfig | None = None,
    on_retry: OnRetry | Iterable[OnRetry] | None = None,
    on_event: Listener | Iterable[Listener] | None = None,
    breaker: CircuitBreaker | None = None,
    budget: RetryBudget | DefaultBudget | None = PER_PROVIDER,
    gate: RateLimitGate | None = None,
    sleep: Callable[[float], object] | None = None,
    clock: Callable[[], float] = time.monotonic,
    wait_for_breaker: bool = False,
    **overrides: Any,
) -> Attempts:
    """Retry a block of code: ``for attempt in attempts(...): with attempt: ...``, or ``async for``.

    Takes the decorators' arguments (``preset`` or ``config``, any `RetryConfig` field by keyword,
    ``breaker``, ``gate``, ``budget``, ``on_retry``, ``on_event``, ``sleep``, ``clock``,
    ``wait_for_breaker``), validated here; the budget, left out, is the provider's, shared with its
    decorated functions (see `retry_llm`), and each block on a custom ``clock`` has one of its own.
    ``with attempt:`` suppresses a failure that will be retried, and the loop goes on after the wait; a
    block that does not raise ends the loop. Giving up re-raises the last exception itself, with a note
    saying why, exactly as the decorators do; ``KeyboardInterrupt``, ``CancelledError`` and the like are
    never retried nor swallowed. ``attempt.number`` is the 1-based attempt. ``for`` sleeps with ``sleep``
    (default `time.sleep`); ``async for`` with the running library's sleep (asyncio or trio) unless
    ``sleep`` is given.

    >>> replies = iter([ConnectionResetError("peer reset"), "pong"])
    >>> def ping() -> str:
    ...     reply = next(replies)
    ...     if isinstance(reply, Exception):
    ...         raise reply
    ...     return reply
    >>> for attempt in attempts(max_attempts=3, sleep=lambda s: None):
    ...     with attempt:
    ...         answer = ping()
    >>> answer, attempt.number
    ('pong', 2)

    >>> import asyncio
    >>> async def main() -> int:
    ...     async for attempt in attempts(max_attempts=2, base_delay_s=0.0):
    ...         with attempt:
    ...             if attempt.number == 1:
    ...                 raise TimeoutError("read timed out")
    ...     return attempt.number
    >>> asyncio.run(main())
    2
    """
    valid.optional_function("sleep", sleep)
    name = sys._getframe(1).f_code.co_qualname
    r = retrier(
        name, preset, config, on_retry, breaker, budget, clock, wait_for_breaker, overrides, gate, on_event
    )
    return Attempts(r, sleep)
