"""The API of the published ``llm-retry-py`` 0.1.0, which also imports as ``llm_retry``: `retry` and
`retry_async` around a zero-argument callable, `RetryPolicy`, `Jitter`, `RetryExhausted` (alias `RetryError`).

Same signatures, defaults, delays (for the same ``rng``) and exceptions, with one deliberate difference: only
an `Exception` is offered to ``should_retry``. KeyboardInterrupt, SystemExit, GeneratorExit and cancellation
(asyncio's and trio's) go straight through, on the first attempt, where 0.1.0 retried them.
"""

from __future__ import annotations

import enum
import math
import numbers
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from . import _validate as valid
from ._engine import async_sleep

T = TypeVar("T")

__all__ = ["Jitter", "RetryError", "RetryExhausted", "RetryPolicy", "retry", "retry_async"]

# 2**30 times any base delay is past any cap: the exponent stops growing there, as in 0.1.0.
_MAX_EXPONENT = 30


class Jitter(enum.Enum):
    """How a `RetryPolicy` randomises its capped exponential delay ``d`` (AWS's "Exponential Backoff and
    Jitter"): ``NONE`` sleeps ``d``, ``EQUAL`` ``d/2 + uniform(0, d/2)``, ``FULL`` ``uniform(0, d)``.

    >>> Jitter("full") is Jitter.FULL
    True
    """

    NONE = "none"
    EQUAL = "equal"
    FULL = "full"


def _milliseconds(name: str, value: object) -> float:
    allowed = "a number of milliseconds >= 0"
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise valid.wrong_type(name, allowed, value)
    if math.isnan(value) or value < 0 or math.isinf(value):
        raise valid.out_of_range(name, "a finite number of milliseconds >= 0", value)
    return float(value)


@dataclass(frozen=True)
class RetryPolicy:
    """How many attempts, and how long between them: ``max_attempts`` counts the first call (0 and 1 both
    mean one call); the sleep before retry ``i`` (0-based) is ``min(base_delay_ms * 2**i, max_delay_ms)``,
    jittered by ``jitter``. Defaults: 6 attempts, 500 ms, 30 s cap, full jitter.

    >>> policy = RetryPolicy(base_delay_ms=100, max_delay_ms=1_000, jitter=Jitter.NONE)
    >>> [policy.delay_seconds(i) for i in range(5)]
    [0.1, 0.2, 0.4, 0.8, 1.0]
    >>> RetryPolicy(max_attempts=-1)
    Traceback (most recent call last):
    ...
    ValueError: max_attempts must be >= 0, got -1
    """

    max_attempts: int = 6
    base_delay_ms: int = 500
    max_delay_ms: int = 30_000
    jitter: Jitter = Jitter.FULL

    def __post_init__(self) -> None:
        attempts = self.max_attempts
        if isinstance(attempts, bool) or not isinstance(attempts, numbers.Integral):
            raise valid.wrong_type("max_attempts", "an int >= 0", attempts)
        if attempts < 0:
            raise valid.out_of_range("max_attempts", ">= 0", attempts)
        _milliseconds("base_delay_ms", self.base_delay_ms)
        _milliseconds("max_delay_ms", self.max_delay_ms)
        if not isinstance(self.jitter, Jitter):
            try:
                object.__setattr__(self, "jitter", Jitter(self.jitter))
            except (ValueError, TypeError):
                raise valid.wrong_type(
                    "jitter", "a Jitter (Jitter.NONE, Jitter.EQUAL or Jitter.FULL)", self.jitter
                ) from None

    def delay_seconds(self, attempt_index: int, rng: random.Random | None = None) -> float:
        """The sleep before retry ``attempt_index`` (0 is the sleep after the first failure), drawn from
        ``rng`` (the `random` module when None)."""
        if isinstance(attempt_index, bool) or not isinstance(attempt_index, numbers.Integral):
            raise valid.wrong_type("attempt_index", "an int >= 0", attempt_index)
        if attempt_index < 0:
            raise valid.out_of_range("attempt_index", ">= 0", attempt_index)
        capped = min(
            self.base_delay_ms / 1000.0 * 2.0 ** min(int(attempt_index), _MAX_EXPONENT),
            self.max_delay_ms / 1000.0,
        )
        if self.jitter is Jitter.NONE:
            return capped
        draw = rng if rng is not None else random
        if self.jitter is Jitter.EQUAL:
            return capped / 2.0 + draw.uniform(0.0, capped / 2.0)
        return draw.uniform(0.0, capped)


class RetryExhausted(Exception):
    """Every attempt failed and ``should_retry`` wanted another: ``last_error`` is the final attempt's
    exception (also ``__cause__``), ``attempts`` how many ran."""

    def __init__(self, last_error: BaseException, attempts: int) -> None:
        self.last_error = last_error
        self.attempts = attempts
        super().__init__(f"retry exhausted after {attempts} attempts: {last_error!r}")


RetryError = RetryExhausted
"""0.1.0's second name for `RetryExhausted` (a non-retryable error is re-raised as itself)."""


def _retry_everything(_exc: BaseException) -> bool:
    return True


def _checked(op: object, policy: object, should_retry: object) -> tuple[RetryPolicy, int]:
    valid.function("op", op)
    valid.function("should_retry", should_retry)
    if policy is None:
        policy = RetryPolicy()
    elif not isinstance(policy, RetryPolicy):
        raise valid.wrong_type("policy", "None or a RetryPolicy", policy)
    return policy, max(policy.max_attempts, 1)


def retry(
    op: Callable[[], T],
    *,
    policy: RetryPolicy | None = None,
    should_retry: Callable[[BaseException], bool] = _retry_everything,
    rng: random.Random | None = None,
    sleep: Callable[[float], Any] = time.sleep,
) -> T:
    """Calls ``op()`` until it returns, retrying each `Exception` for which ``should_retry`` is true,
    sleeping ``policy.delay_seconds(i, rng)`` between attempts. An exception ``should_retry`` refuses is
    re-raised as it is; when the attempts run out, `RetryExhausted` is raised from the last one. Ctrl-C,
    SystemExit and the like are never retried.

    This is ``llm-retry-py``'s loop, kept for code written against it; `retry_llm` is the library's own,
    which knows which LLM errors are worth retrying and honours the server's retry-after.

    >>> failures = [ConnectionResetError("reset"), TimeoutError("slow")]
    >>> def flaky() -> str:
    ...     if failures:
    ...         raise failures.pop(0)
    ...     return "ok"
    >>> slept = []
    >>> retry(flaky, policy=RetryPolicy(jitter=Jitter.NONE), sleep=slept.append), slept
    ('ok', [0.5, 1.0])
    """
    policy, attempts = _checked(op, policy, should_retry)
    valid.function("sleep", sleep)
    for index in range(attempts):
        try:
            return op()
        except Exception as exc:
            if not should_retry(exc):
                raise
            if index + 1 == attempts:
                raise RetryExhausted(exc, attempts) from exc
        delay_s = policy.delay_seconds(index, rng=rng)
        if delay_s > 0:
            sleep(delay_s)
    raise AssertionError("unreachable")  # pragma: no cover


async def retry_async(
    op: Callable[[], Awaitable[T]],
    *,
    policy: RetryPolicy | None = None,
    should_retry: Callable[[BaseException], bool] = _retry_everything,
    rng: random.Random | None = None,
    sleep: Callable[[float], Awaitable[Any]] | None = None,
) -> T:
    """`retry` for coroutines: ``op()`` makes a fresh awaitable per attempt. Sleeps with ``sleep``, or the
    running event loop's (asyncio's or trio's) when None. A cancelled task stops at once, mid-sleep too.

    >>> import asyncio
    >>> calls = []
    >>> async def answer() -> int:
    ...     calls.append(1)
    ...     if len(calls) < 3:
    ...         raise ConnectionError("refused")
    ...     return 42
    >>> asyncio.run(retry_async(answer, policy=RetryPolicy(base_delay_ms=0))), len(calls)
    (42, 3)
    """
    policy, attempts = _checked(op, policy, should_retry)
    valid.optional_function("sleep", sleep)
    for index in range(attempts):
        try:
            return await op()
        except Exception as exc:
            if not should_retry(exc):
                raise
            if index + 1 == attempts:
                raise RetryExhausted(exc, attempts) from exc
        delay_s = policy.delay_seconds(index, rng=rng)
        if delay_s > 0:
            await async_sleep(sleep, delay_s)
    raise AssertionError("unreachable")  # pragma: no cover
