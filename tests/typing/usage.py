# pyright: strict
"""The public API as a user's typed code sees it, checked by ``mypy --strict`` and pyright in strict mode
(scripts/test.sh). Nothing here runs; every line is a claim about types: decorators keep the signature
they wrap, events and accessors have the types the docs give.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from typing import Any, assert_type

import llm_retry
import llm_retry.otel
import llm_retry.prometheus
from llm_retry import (
    AnthropicPreset,
    BreakerEvent,
    BreakerState,
    CircuitBreaker,
    Classification,
    ErrorKind,
    Event,
    FallbackEvent,
    GateWaitEvent,
    GiveUpEvent,
    GiveUpReason,
    Jitter,
    RateLimitGate,
    RefusalEvent,
    RetryBudget,
    RetryConfig,
    RetryEvent,
    RetryExhausted,
    RetryPolicy,
    SuccessEvent,
    async_retry_llm,
    attempts,
    fallback,
    give_up_reason,
    predicates,
    retry,
    retry_async,
    retry_llm,
)
from llm_retry.testing import (
    FlakyProvider,
    ReceivedRequest,
    StreamError,
    Wait,
    disable_retries,
    provider_error,
    record_waits,
)

# --- decorators keep the signature -------------------------------------------------------------------------


@retry_llm
def bare(prompt: str, *, temperature: float = 0.0) -> str:
    return prompt


@retry_llm(preset=AnthropicPreset, max_attempts=3, on_retry=lambda e: None, on_event=[print])
def configured(prompt: str, n: int) -> list[str]:
    return [prompt] * n


@async_retry_llm(preset=AnthropicPreset, breaker=CircuitBreaker(name="anthropic"), gate=RateLimitGate())
async def answer(prompt: str) -> int:
    return len(prompt)


@retry_llm(budget=RetryBudget(min_retries=2))
def tokens(prompt: str) -> Iterator[str]:
    yield prompt


@async_retry_llm
async def async_tokens(prompt: str) -> AsyncIterator[str]:
    yield prompt


assert_type(bare("hi", temperature=0.5), str)
assert_type(configured("hi", 2), list[str])
kept: Callable[[str], Coroutine[Any, Any, int]] = answer
# The wrapped signature is enforced: mypy --strict (warn_unused_ignores) fails if these stop being errors.
bare(3)  # type: ignore[arg-type]
configured("hi")  # type: ignore[call-arg]
assert_type(tokens("hi"), Iterator[str])
assert_type(async_tokens("hi"), AsyncIterator[str])


async def main() -> None:
    assert_type(await answer("hi"), int)
    async for attempt in attempts(max_attempts=2):
        with attempt:
            assert_type(attempt.number, int)


def provider_a(prompt: str) -> str:
    return prompt


def provider_b(prompt: str) -> str:
    return prompt


chain = fallback(provider_a, provider_b, on={ErrorKind.CONTEXT_OVERFLOW}, on_event=print)
assert_type(chain("hi"), str)


# --- events ------------------------------------------------------------------------------------------------


def listener(event: Event) -> None:
    match event:
        case RetryEvent():
            assert_type(event.attempt, int)
            assert_type(event.delay_s, float)
            assert_type(event.kind, ErrorKind)
            assert_type(event.classification, Classification)
        case GiveUpEvent():
            assert_type(event.reason, GiveUpReason)
            assert_type(event.retries, int)
            assert_type(event.kind, ErrorKind | None)
            assert_type(event.exception, BaseException)
        case SuccessEvent():
            assert_type(event.slept_s, float)
        case BreakerEvent():
            assert_type(event.new, BreakerState)
        case RefusalEvent():
            assert_type(event.retry_in_s, float)
        case GateWaitEvent():
            assert_type(event.wait_s, float)
        case FallbackEvent():
            assert_type(event.next, str)
        case _:
            pass


llm_retry.add_listener(listener)
llm_retry.remove_listener(listener)
assert_type(give_up_reason(ValueError()), GiveUpReason | None)
assert_type(llm_retry.otel.instrument(), Callable[[Event], object])
assert_type(llm_retry.prometheus.instrument(), Callable[[Event], object])


# --- testing helpers ---------------------------------------------------------------------------------------

with record_waits() as waits:
    assert_type(waits, list[Wait])
    assert_type(waits[0].ceiling_s, float)
    assert_type(waits[0].from_hint, bool)

with disable_retries():
    pass
disable_retries(False)

# --- provider faults, the flaky provider, the llm-retry-py drop-in -----------------------------------------

assert_type(provider_error("openai", 429, code="insufficient_quota", headers={"retry-after": "1"}), Exception)
with FlakyProvider([529, (429, {"retry-after": "1"}), (200, {}, {"content": []}), StreamError()]) as flaky:
    assert_type(flaky.base_url, str)
    assert_type(flaky.requests, list[ReceivedRequest])
    assert_type(flaky.requests[0].headers, dict[str, str])


def compat_call() -> int:
    return 1


async def compat_async_call() -> str:
    return ""


policy = RetryPolicy(max_attempts=3, base_delay_ms=100, jitter=Jitter.EQUAL)
assert_type(retry(compat_call, policy=policy, should_retry=predicates.is_retryable), int)
assert_type(policy.delay_seconds(0), float)
assert_type(RetryExhausted(ValueError(), 3).last_error, BaseException)


async def compat_main() -> None:
    assert_type(await retry_async(compat_async_call, policy=policy), str)


config = RetryConfig(max_attempts=2).replace(deadline_s=10.0)
assert_type(config, RetryConfig)
assert_type(llm_retry.classify(ValueError()).retryable, bool)
asyncio.run(main())
