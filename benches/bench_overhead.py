"""What llm-retry costs on the path where the provider answers (plain, which carries the provider's default
retry budget, without any budget, with a breaker, a budget of its own, a deadline or a rate-limit gate
attached, and in the block form `attempts()`), and on a 3-attempt failure path.

Every variant is measured in the same process, repeats interleaved round-robin so that load swings hit all
alike; the median of the repeats is reported as ns per call and as ratios against the bare call and the
hand-written try/except loop. Peers (tenacity, stamina, backoff) are measured when installed
(`pip install -r benches/requirements.txt`).

    python3 benches/bench_overhead.py            # full run
    python3 benches/bench_overhead.py --quick    # fewer calls, for a smoke test
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import random
import statistics
import time
from collections.abc import Callable
from typing import Any

import llm_retry
from llm_retry import AnthropicPreset, async_retry_llm, retry_llm

RETRYABLE = {408, 409, 429, 500, 502, 503, 504, 529}


class Overloaded(Exception):
    status_code = 529


def no_sleep(_: float) -> None:
    pass


async def no_async_sleep(_: float) -> None:
    pass


def hand_written(fn: Callable[..., Any]) -> Callable[..., Any]:
    """The pure-Python floor: a minimal for/try loop with the same predicate and full jitter."""

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        for attempt in range(5):
            try:
                return fn(*args, **kwargs)
            except Exception as exc:
                if getattr(exc, "status_code", None) not in RETRYABLE or attempt == 4:
                    raise
                delay = random.uniform(0, min(60.0, 1.0 * 2**attempt))
                no_sleep(delay)
        raise AssertionError("unreachable")

    return wrapper


def hand_written_async(fn: Callable[..., Any]) -> Callable[..., Any]:
    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        for attempt in range(5):
            try:
                return await fn(*args, **kwargs)
            except Exception as exc:
                if getattr(exc, "status_code", None) not in RETRYABLE or attempt == 4:
                    raise
                await no_async_sleep(random.uniform(0, min(60.0, 1.0 * 2**attempt)))
        raise AssertionError("unreachable")

    return wrapper


def peers(fn: Callable[..., Any], sleep: Callable[[float], Any]) -> dict[str, Callable[..., Any]]:
    """The peers configured alike (5 attempts, same predicate, waits through ``sleep`` or zero), sync or
    async depending on ``fn``; those not installed are left out."""
    found: dict[str, Callable[..., Any]] = {}
    pred = lambda e: getattr(e, "status_code", None) in RETRYABLE  # noqa: E731
    try:
        import tenacity

        found["tenacity"] = tenacity.retry(
            stop=tenacity.stop_after_attempt(5),
            wait=tenacity.wait_random_exponential(multiplier=1, max=60),
            retry=tenacity.retry_if_exception(pred),
            sleep=sleep,
            reraise=True,
        )(fn)
    except ImportError:
        pass
    try:
        import stamina

        stamina.instrumentation.set_on_retry_hooks([])
        no_wait = {"wait_initial": 0.0, "wait_max": 0.0, "wait_jitter": 0.0}
        found["stamina"] = stamina.retry(on=pred, attempts=5, **no_wait)(fn)
    except ImportError:
        pass
    try:
        import backoff

        found["backoff"] = backoff.on_exception(
            backoff.constant, Exception, interval=0, jitter=None, max_tries=5, giveup=lambda e: not pred(e)
        )(fn)
    except ImportError:
        pass
    return found


def attached(
    decorator: Callable[..., Any], label: str, fn: Callable[..., Any]
) -> dict[str, Callable[..., Any]]:
    """The decorator plain (with the provider's default budget), without a budget, and with each extra
    attached on its own: a breaker, a budget, a deadline, a rate-limit gate (left out where the installed
    llm_retry has none), and a gate beside a breaker."""
    variants = {
        label: decorator(preset=AnthropicPreset)(fn),
        f"{label} (budget=None)": decorator(preset=AnthropicPreset, budget=None)(fn),
        f"{label} + breaker": decorator(preset=AnthropicPreset, breaker=llm_retry.CircuitBreaker())(fn),
        f"{label} + budget": decorator(preset=AnthropicPreset, budget=llm_retry.RetryBudget())(fn),
        f"{label} + deadline": decorator(preset=AnthropicPreset, deadline_s=60.0)(fn),
    }
    gate = getattr(llm_retry, "RateLimitGate", None)
    if gate is not None:
        variants[f"{label} + gate"] = decorator(preset=AnthropicPreset, gate=gate())(fn)
        variants[f"{label} + breaker + gate"] = decorator(
            preset=AnthropicPreset, breaker=llm_retry.CircuitBreaker(), gate=gate()
        )(fn)
    return variants


def block_form(
    fn: Callable[..., Any], *, is_async: bool, sleep: Any = None, **settings: Any
) -> dict[str, Callable[..., Any]]:
    """`llm_retry.attempts()` around the call, built at each call as a user writes it (left out where the
    installed llm_retry has no block form)."""
    attempts = getattr(llm_retry, "attempts", None)
    if attempts is None:
        return {}
    extra = settings if sleep is None else {"sleep": sleep, **settings}
    if is_async:

        async def async_block() -> Any:
            async for attempt in attempts(preset=AnthropicPreset, **extra):
                with attempt:
                    return await fn()
            return None

        return {"llm_retry.attempts (async for)": async_block}

    def block() -> Any:
        for attempt in attempts(preset=AnthropicPreset, **extra):
            with attempt:
                return fn()
        return None

    return {"llm_retry.attempts (for)": block}


def time_sync(fn: Callable[[], Any], n: int) -> float:
    gc.collect()
    loop = range(n)
    start = time.perf_counter_ns()
    for _ in loop:
        fn()
    return (time.perf_counter_ns() - start) / n


def time_async(fn: Callable[[], Any], n: int) -> float:
    async def run() -> float:
        loop = range(n)
        start = time.perf_counter_ns()
        for _ in loop:
            await fn()
        return (time.perf_counter_ns() - start) / n

    gc.collect()
    return asyncio.run(run())


def measure(
    variants: dict[str, Callable[[], Any]], timer: Callable[..., float], n: int, repeats: int
) -> dict[str, float]:
    samples: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(repeats):
        for name, fn in variants.items():
            samples[name].append(timer(fn, n))
    return {name: statistics.median(values) for name, values in samples.items()}


def report(title: str, results: dict[str, float], bare: str, floor: str) -> None:
    print(f"\n{title}")
    print(f"{'variant':<40}{'ns/call':>10}{'x bare':>9}{'x hand-written':>16}")
    for name, ns in results.items():
        print(f"{name:<40}{ns:>10.0f}{ns / results[bare]:>9.2f}{ns / results[floor]:>16.2f}")


def flaky_sync(failures: int) -> Callable[[], str]:
    state = {"n": 0}

    def call() -> str:
        state["n"] += 1
        if state["n"] % (failures + 1):
            raise Overloaded()
        return "ok"

    return call


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    n_sync, n_async, n_fail, repeats = (
        (20_000, 5_000, 2_000, 3) if args.quick else (500_000, 100_000, 20_000, 7)
    )
    # Log records are not part of what is measured (peers run with their logging hooks off too).
    logging.getLogger("llm_retry").disabled = True
    print(f"llm-retry {llm_retry.__version__}; medians of {repeats} interleaved repeats; retry logging off")

    def noop() -> str:
        return "ok"

    async def anoop() -> str:
        return "ok"

    sync_variants: dict[str, Callable[[], Any]] = {
        "bare call": noop,
        "hand-written try/except loop": hand_written(noop),
        **attached(retry_llm, "llm_retry.retry_llm", noop),
        **block_form(noop, is_async=False),
        **{name: fn for name, fn in peers(noop, no_sleep).items()},
    }
    report(
        "sync success path",
        measure(sync_variants, time_sync, n_sync, repeats),
        "bare call",
        "hand-written try/except loop",
    )

    async_variants: dict[str, Callable[[], Any]] = {
        "bare await": anoop,
        "hand-written try/except loop": hand_written_async(anoop),
        **attached(async_retry_llm, "llm_retry.async_retry_llm", anoop),
        **block_form(anoop, is_async=True),
        **{name: fn for name, fn in peers(anoop, no_async_sleep).items()},
    }
    report(
        "async success path",
        measure(async_variants, time_async, n_async, repeats),
        "bare await",
        "hand-written try/except loop",
    )

    # No budget on the failure path: thousands of failing calls a second would spend any budget, and the rows
    # would time refusals instead of three attempts.
    failing = {
        "bare call (fails 2x, then ok)": flaky_sync(2),
        "hand-written try/except loop": hand_written(flaky_sync(2)),
        "llm_retry.retry_llm": retry_llm(preset=AnthropicPreset, sleep=no_sleep, budget=None)(flaky_sync(2)),
        **block_form(flaky_sync(2), is_async=False, sleep=no_sleep, budget=None),
        **{name: fn for name, fn in peers(flaky_sync(2), no_sleep).items()},
    }

    def attempt_all(fn: Callable[[], Any]) -> Callable[[], Any]:
        def run() -> Any:
            try:
                return fn()
            except Overloaded:
                return None

        return run

    results = measure({k: attempt_all(v) for k, v in failing.items()}, time_sync, n_fail, repeats)
    report(
        "sync 3-attempt call (2 x 529, then ok; sleeps are no-ops)",
        results,
        "bare call (fails 2x, then ok)",
        "hand-written try/except loop",
    )


if __name__ == "__main__":
    main()
