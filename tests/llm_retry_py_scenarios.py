"""Scenarios run against both the published ``llm-retry-py`` 0.1.0 and llm-retry's drop-in for it; each
returns plain data (JSON). scripts/record_llm_retry_py.py records the published package's answers in
tests/data/llm_retry_py-0.1.0.json; tests/test_llm_retry_py_compat.py runs them here and compares.

Importable without pytest and without llm-retry: ``lib`` is whichever ``llm_retry`` module is installed.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from functools import partial
from types import ModuleType
from typing import Any

Scenario = Callable[[ModuleType], Any]


def _flaky(failures: list[BaseException]) -> tuple[Callable[[], str], list[int]]:
    calls: list[int] = []

    def op() -> str:
        calls.append(1)
        if failures:
            raise failures.pop(0)
        return "ok"

    return op, calls


def _outcome(run: Callable[[], Any]) -> dict[str, Any]:
    try:
        return {"returned": run()}
    except BaseException as exc:
        shown: dict[str, Any] = {"raised": type(exc).__name__, "str": str(exc)}
        for name in ("attempts", "last_error"):
            if hasattr(exc, name):
                shown[name] = repr(getattr(exc, name))
        if exc.__cause__ is not None:
            shown["cause"] = repr(exc.__cause__)
        return shown


def defaults(lib: ModuleType) -> Any:
    p = lib.RetryPolicy()
    return [p.max_attempts, p.base_delay_ms, p.max_delay_ms, p.jitter.name, [j.value for j in lib.Jitter]]


def delays(lib: ModuleType) -> Any:
    out = {}
    for jitter in lib.Jitter:
        policy = lib.RetryPolicy(base_delay_ms=100, max_delay_ms=1_000, jitter=jitter)
        rng = random.Random(7)
        out[jitter.name] = [policy.delay_seconds(i, rng=rng) for i in (0, 1, 2, 3, 4, 5, 30, 31, 1000)]
    return out


def huge_exponent(lib: ModuleType) -> Any:
    policy = lib.RetryPolicy(base_delay_ms=1, max_delay_ms=10**12, jitter=lib.Jitter.NONE)
    return [policy.delay_seconds(i) for i in (29, 30, 31, 10**6)]


def recovers(lib: ModuleType) -> Any:
    op, calls = _flaky([ConnectionResetError("reset"), TimeoutError("slow"), ValueError("odd")])
    slept: list[float] = []
    policy = lib.RetryPolicy(max_attempts=5, base_delay_ms=200, max_delay_ms=500, jitter=lib.Jitter.FULL)
    result = _outcome(lambda: lib.retry(op, policy=policy, rng=random.Random(3), sleep=slept.append))
    return {"outcome": result, "calls": len(calls), "slept": slept}


def exhausted(lib: ModuleType) -> Any:
    op, calls = _flaky([TimeoutError(f"slow {n}") for n in range(10)])
    slept: list[float] = []
    policy = lib.RetryPolicy(max_attempts=3, base_delay_ms=100, jitter=lib.Jitter.NONE)
    result = _outcome(lambda: lib.retry(op, policy=policy, sleep=slept.append))
    return {"outcome": result, "calls": len(calls), "slept": slept}


def refused_by_predicate(lib: ModuleType) -> Any:
    op, calls = _flaky([KeyError("missing"), TimeoutError("slow")])
    slept: list[float] = []
    seen: list[str] = []

    def should_retry(exc: BaseException) -> bool:
        seen.append(type(exc).__name__)
        return isinstance(exc, TimeoutError)

    result = _outcome(lambda: lib.retry(op, should_retry=should_retry, sleep=slept.append))
    return {"outcome": result, "calls": len(calls), "slept": slept, "seen": seen}


def one_attempt(lib: ModuleType) -> Any:
    out = {}
    for attempts in (0, 1):
        op, calls = _flaky([TimeoutError("slow"), TimeoutError("slow")])
        slept: list[float] = []
        policy = lib.RetryPolicy(max_attempts=attempts)
        result = _outcome(partial(lib.retry, op, policy=policy, sleep=slept.append))
        out[str(attempts)] = {"outcome": result, "calls": len(calls), "slept": slept}
    return out


def zero_delay_never_sleeps(lib: ModuleType) -> Any:
    op, calls = _flaky([TimeoutError("slow"), TimeoutError("slow")])
    slept: list[float] = []
    result = _outcome(lambda: lib.retry(op, policy=lib.RetryPolicy(base_delay_ms=0), sleep=slept.append))
    return {"outcome": result, "calls": len(calls), "slept": slept}


def bad_policies(lib: ModuleType) -> Any:
    out = {}
    for name, value in (("max_attempts", -1), ("base_delay_ms", -5), ("max_delay_ms", -1)):
        out[name] = _outcome(lambda: lib.RetryPolicy(**{name: value}))["raised"]  # noqa: B023
    out["attempt_index"] = _outcome(lambda: lib.RetryPolicy().delay_seconds(-1))["raised"]
    return out


def aliases(lib: ModuleType) -> Any:
    return [lib.RetryError is lib.RetryExhausted, issubclass(lib.RetryExhausted, Exception)]


def retried_async(lib: ModuleType) -> Any:
    failures: list[BaseException] = [ConnectionError("refused"), TimeoutError("slow")]
    calls: list[int] = []
    slept: list[float] = []

    async def op() -> str:
        calls.append(1)
        if failures:
            raise failures.pop(0)
        return "ok"

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    policy = lib.RetryPolicy(base_delay_ms=50, jitter=lib.Jitter.EQUAL)
    coroutine = lib.retry_async(op, policy=policy, rng=random.Random(11), sleep=sleep)
    result = _outcome(lambda: asyncio.run(coroutine))
    return {"outcome": result, "calls": len(calls), "slept": slept}


def exhausted_async(lib: ModuleType) -> Any:
    calls: list[int] = []
    slept: list[float] = []

    async def op() -> str:
        calls.append(1)
        raise ConnectionError(f"refused {len(calls)}")

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    policy = lib.RetryPolicy(max_attempts=2, jitter=lib.Jitter.NONE)
    result = _outcome(lambda: asyncio.run(lib.retry_async(op, policy=policy, sleep=sleep)))
    return {"outcome": result, "calls": len(calls), "slept": slept}


_TEXTS = (
    "rate_limit_error",
    "overloaded_error",
    "authentication_error",
    "Error code: 529 - {'type': 'overloaded_error'}",
    "request timeout",
    "Timeout",
    "rate_limit_exceeded",
    "insufficient_quota",
    "server_error",
    "ThrottlingException",
    "throttlingException",
    "ValidationException",
    "RESOURCE_EXHAUSTED",
    "resource_exhausted",
    "INVALID_ARGUMENT",
    "",
)


def predicates(lib: ModuleType) -> Any:
    p = lib.predicates
    checks = ("is_anthropic_retryable", "is_openai_retryable", "is_bedrock_retryable", "is_gemini_retryable")
    return {
        "lists": [
            list(p.ANTHROPIC_RETRYABLE),
            list(p.OPENAI_RETRYABLE),
            list(p.BEDROCK_RETRYABLE),
            list(p.GEMINI_RETRYABLE),
            list(p.HTTP_RETRYABLE_STATUSES),
        ],
        "checks": {name: [getattr(p, name)(text) for text in _TEXTS] for name in checks},
        "statuses": [p.is_http_status_retryable(s) for s in range(400, 600)],
        "contains_any": [p.contains_any("abc", ["x", "b"]), p.contains_any("abc", [])],
    }


# Where the drop-in differs on purpose: recorded for the published package, asserted otherwise here.
def keyboard_interrupt(lib: ModuleType) -> Any:
    op, calls = _flaky([KeyboardInterrupt(), KeyboardInterrupt()])
    slept: list[float] = []
    result = _outcome(lambda: lib.retry(op, policy=lib.RetryPolicy(max_attempts=2), sleep=slept.append))
    return {"outcome": result, "calls": len(calls), "slept": len(slept)}


def cancelled_async(lib: ModuleType) -> Any:
    calls: list[int] = []

    async def op() -> str:
        calls.append(1)
        raise asyncio.CancelledError()

    async def sleep(seconds: float) -> None:
        pass

    result = _outcome(
        lambda: asyncio.run(lib.retry_async(op, policy=lib.RetryPolicy(max_attempts=3), sleep=sleep))
    )
    return {"outcome": result, "calls": len(calls)}


SCENARIOS: dict[str, Scenario] = {
    f.__name__: f
    for f in (
        defaults,
        delays,
        huge_exponent,
        recovers,
        exhausted,
        refused_by_predicate,
        one_attempt,
        zero_delay_never_sleeps,
        bad_policies,
        aliases,
        retried_async,
        exhausted_async,
        predicates,
        keyboard_interrupt,
        cancelled_async,
    )
}
DIFFERENCES = ("keyboard_interrupt", "cancelled_async")


def run_all(lib: ModuleType) -> dict[str, Any]:
    return {name: scenario(lib) for name, scenario in SCENARIOS.items()}
