"""Retry budgets: a token bucket shared by several decorated functions. First attempts always go; each retry
spends tokens (5 for a rate limit or overload, 10 for anything else); first-try successes refill by 1 and a
success after retries refunds the last retry's cost. An empty budget ends the call with the original error.

Sleeps are no-ops: the budget has no clock.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest
from doubles import (
    BadGatewayError,
    BadRequestError,
    InternalServerError,
    OverloadedError,
    QuotaError,
    RateLimitError,
    ServiceUnavailableError,
    no_async_sleep,
    no_sleep,
)
from llm_retry import RetryBudget, RetryEvent, async_retry_llm, retry_llm

EMPTY_NOTE = "the retry budget is empty"


def notes(exc: BaseException) -> list[str]:
    return list(getattr(exc, "__notes__", []))


def always_failing(budget: RetryBudget, error: type[Exception], *, max_attempts: int, **kwargs: Any) -> Any:
    """A decorated function that always raises `error`; `.calls` counts its attempts."""

    @retry_llm(budget=budget, sleep=no_sleep, max_attempts=max_attempts, base_delay_s=0.0, **kwargs)
    def call() -> str:
        call.calls += 1  # type: ignore[attr-defined]
        raise error("provider failure")

    call.calls = 0  # type: ignore[attr-defined]
    return call


def flaky(budget: RetryBudget, errors: list[Exception], **kwargs: Any) -> Any:
    """A decorated function that raises each of `errors` in turn, then answers "ok"."""
    pending = list(errors)

    @retry_llm(budget=budget, sleep=no_sleep, base_delay_s=0.0, max_attempts=10, **kwargs)
    def call() -> str:
        call.calls += 1  # type: ignore[attr-defined]
        if pending:
            raise pending.pop(0)
        return "ok"

    call.calls = 0  # type: ignore[attr-defined]
    return call


def drained(capacity: float = 500.0) -> RetryBudget:
    """A budget with no tokens left (drained directly: 10 tokens per server-error retry). Its stats count
    the one denial that found it empty."""
    budget = RetryBudget(capacity=capacity)
    while budget.try_spend("server_error") is not None:
        pass
    assert budget.tokens == 0.0
    assert budget.stats["retries_denied"] == 1
    return budget


# --- spending ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("error", "cost"),
    [
        (RateLimitError, 5.0),
        (OverloadedError, 5.0),
        (ServiceUnavailableError, 5.0),  # 503 says "overloaded": a throttle
        (InternalServerError, 10.0),
        (BadGatewayError, 10.0),
        (ConnectionResetError, 10.0),
        (TimeoutError, 10.0),
    ],
)
def test_each_retry_spends_by_kind(error: type[Exception], cost: float) -> None:
    budget = RetryBudget()
    call = always_failing(budget, error, max_attempts=3)

    with pytest.raises(error):
        call()

    assert call.calls == 3
    # Two retries paid for; the failure of the last attempt costs nothing more and refunds nothing.
    assert budget.tokens == 500.0 - 2 * cost
    assert budget.stats["retries_allowed"] == 2
    assert budget.stats["retries_denied"] == 0


def test_a_full_budget_pays_for_exactly_100_throttle_retries() -> None:
    budget = RetryBudget()
    events: list[RetryEvent] = []
    call = always_failing(budget, RateLimitError, max_attempts=10_000, on_retry=events.append)

    with pytest.raises(RateLimitError) as info:
        call()

    assert call.calls == 101
    assert len(events) == 100
    assert budget.tokens == 0.0
    stats = budget.stats
    assert (stats["retries_allowed"], stats["retries_denied"], stats["successes"]) == (100, 1, 0)
    assert any(EMPTY_NOTE in note for note in notes(info.value))


def test_a_full_budget_pays_for_exactly_50_other_retries() -> None:
    budget = RetryBudget()
    call = always_failing(budget, InternalServerError, max_attempts=10_000)

    with pytest.raises(InternalServerError):
        call()

    assert call.calls == 51
    assert budget.stats["retries_allowed"] == 50


def test_functions_sharing_a_budget_get_100_throttle_retries_between_them() -> None:
    budget = RetryBudget()
    functions = [
        always_failing(budget, RateLimitError, max_attempts=3),
        always_failing(budget, OverloadedError, max_attempts=3),
        always_failing(budget, RateLimitError, max_attempts=3),
    ]
    outcomes: list[Exception] = []
    # 50 calls of 2 retries each spend the 500 tokens; call 51 is refused its first retry.
    for i in range(51):
        try:
            functions[i % 3]()
        except Exception as exc:
            outcomes.append(exc)

    assert sum(f.calls for f in functions) == 50 * 3 + 1
    assert budget.stats["retries_allowed"] == 100
    assert budget.stats["retries_denied"] == 1
    assert [EMPTY_NOTE in " ".join(notes(exc)) for exc in outcomes] == [False] * 50 + [True]
    assert all("attempts exhausted" in " ".join(notes(exc)) for exc in outcomes[:50])


def test_an_empty_budget_gives_up_with_the_original_exception_and_a_note() -> None:
    budget = drained()
    raised: list[Exception] = []

    @retry_llm(budget=budget, sleep=no_sleep, max_attempts=5)
    def call() -> str:
        raised.append(OverloadedError("Overloaded"))
        raise raised[-1]

    with pytest.raises(OverloadedError) as info:
        call()

    assert info.value is raised[0]
    assert len(raised) == 1
    note = notes(info.value)[-1]
    assert note.startswith("llm-retry: gave up after attempt 1")
    assert EMPTY_NOTE in note
    assert "overloaded" in note


def test_first_attempts_always_go_even_when_empty() -> None:
    budget = drained()
    answered = 0

    @retry_llm(budget=budget, sleep=no_sleep)
    def healthy() -> str:
        nonlocal answered
        answered += 1
        return "ok"

    failing = always_failing(budget, RateLimitError, max_attempts=5)
    for _ in range(3):
        with pytest.raises(RateLimitError):
            failing()
        assert healthy() == "ok"

    assert failing.calls == 3
    assert answered == 3
    assert budget.stats["retries_denied"] == 1 + 3


def test_a_denied_retry_is_not_reported_to_on_retry() -> None:
    budget = drained()
    events: list[RetryEvent] = []
    call = always_failing(budget, RateLimitError, max_attempts=5, on_retry=events.append)

    with pytest.raises(RateLimitError):
        call()

    assert events == []


def test_errors_that_are_not_retried_cost_nothing() -> None:
    budget = RetryBudget()
    for error in (BadRequestError("bad"), QuotaError()):
        call = flaky(budget, [error])
        with pytest.raises(type(error)):
            call()
        assert call.calls == 1
    assert budget.tokens == 500.0
    assert budget.stats["retries_allowed"] == budget.stats["retries_denied"] == 0


# --- refilling --------------------------------------------------------------------------------------------


def test_first_try_successes_refill_one_token_each() -> None:
    budget = drained()

    @retry_llm(budget=budget, sleep=no_sleep)
    def healthy() -> str:
        return "ok"

    for expected in (1.0, 2.0, 3.0, 4.0):
        healthy()
        assert budget.tokens == expected
    # Four tokens: not yet enough for a 5-token retry.
    call = flaky(budget, [RateLimitError("429")])
    with pytest.raises(RateLimitError):
        call()
    assert call.calls == 1

    healthy()
    assert budget.tokens == 5.0
    call = flaky(budget, [RateLimitError("429")])
    assert call() == "ok"
    assert call.calls == 2
    assert budget.stats["successes"] == 6


def test_a_success_after_retries_refunds_the_last_retrys_cost_only() -> None:
    budget = RetryBudget()
    call = flaky(budget, [RateLimitError("429"), InternalServerError("500")])

    assert call() == "ok"

    # Spent 5 (the 429's retry) + 10 (the 500's); refunded 10, the last; no first-try reward on top.
    assert call.calls == 3
    assert budget.tokens == 485.0 + 10.0
    assert budget.stats["successes"] == 1


def test_a_refund_never_overfills_the_budget() -> None:
    budget = RetryBudget()
    call = flaky(budget, [RateLimitError("429")])
    assert call() == "ok"
    assert budget.tokens == 500.0

    @retry_llm(budget=budget, sleep=no_sleep)
    def healthy() -> str:
        return "ok"

    healthy()
    assert budget.tokens == 500.0


def test_custom_costs() -> None:
    budget = RetryBudget(capacity=30.0, retry_cost=14.0, throttle_retry_cost=3.0, success_reward=0.5)
    server = always_failing(budget, InternalServerError, max_attempts=100)
    with pytest.raises(InternalServerError):
        server()
    assert server.calls == 3  # 2 retries at 14 tokens; 2 left
    assert budget.tokens == 2.0

    @retry_llm(budget=budget, sleep=no_sleep)
    def healthy() -> str:
        return "ok"

    healthy()
    healthy()
    assert budget.tokens == 3.0
    throttled = always_failing(budget, RateLimitError, max_attempts=100)
    with pytest.raises(RateLimitError):
        throttled()
    assert throttled.calls == 2


# --- stats, sharing, threads, async ----------------------------------------------------------------------


def test_a_new_budget_is_full_and_its_stats_are_zero() -> None:
    budget = RetryBudget(capacity=20.0)
    assert budget.tokens == 20.0
    assert budget.stats == {
        "tokens": 20.0,
        "capacity": 20.0,
        "retries_allowed": 0,
        "retries_denied": 0,
        "successes": 0,
    }


def test_stats_after_a_scripted_sequence() -> None:
    budget = RetryBudget(capacity=20.0)
    failing = always_failing(budget, InternalServerError, max_attempts=10)
    with pytest.raises(InternalServerError):
        failing()  # 2 retries (20 tokens), then denied
    assert failing.calls == 3

    @retry_llm(budget=budget, sleep=no_sleep)
    def healthy() -> str:
        return "ok"

    for _ in range(5):
        healthy()  # 5 tokens back
    recovering = flaky(budget, [RateLimitError("429")])
    assert recovering() == "ok"  # spends 5, refunded 5

    assert budget.stats == {
        "tokens": 5.0,
        "capacity": 20.0,
        "retries_allowed": 3,
        "retries_denied": 1,
        "successes": 6,
    }
    assert repr(budget) == "RetryBudget(tokens=5.0, capacity=20.0)"


def test_a_budget_is_thread_safe() -> None:
    budget = RetryBudget()
    call = always_failing(budget, RateLimitError, max_attempts=10_000)
    start = threading.Barrier(16)
    outcomes: list[BaseException] = []
    lock = threading.Lock()

    def worker() -> None:
        start.wait()
        for _ in range(5):
            try:
                call()
            except BaseException as exc:
                with lock:
                    outcomes.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not any(t.is_alive() for t in threads)

    assert len(outcomes) == 80
    assert all(isinstance(exc, RateLimitError) for exc in outcomes)
    # Exactly a bucketful of retries, however the threads interleaved; every call was refused one.
    stats = budget.stats
    assert stats["retries_allowed"] == 100
    assert stats["retries_denied"] == 80
    assert budget.tokens == 0.0
    assert call.calls == 80 + 100


def test_an_async_function_shares_the_budget() -> None:
    budget = RetryBudget()
    sync_call = always_failing(budget, RateLimitError, max_attempts=51)
    calls = 0

    @async_retry_llm(budget=budget, sleep=no_async_sleep, max_attempts=10_000, base_delay_s=0.0)
    async def async_call() -> str:
        nonlocal calls
        calls += 1
        raise OverloadedError("Overloaded")

    with pytest.raises(RateLimitError):
        sync_call()  # 50 retries: 250 tokens

    async def main() -> None:
        with pytest.raises(OverloadedError) as info:
            await async_call()
        assert EMPTY_NOTE in notes(info.value)[-1]

    asyncio.run(main())
    assert calls == 51
    assert budget.stats["retries_allowed"] == 100


def test_async_success_after_retries_refunds() -> None:
    budget = RetryBudget()
    calls = 0

    @async_retry_llm(budget=budget, sleep=no_async_sleep, base_delay_s=0.0)
    async def call() -> str:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise ConnectionResetError("reset by peer")
        return "ok"

    assert asyncio.run(call()) == "ok"
    assert budget.tokens == 500.0
    assert budget.stats["successes"] == 1


# --- validation -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"capacity": 0.0}, "capacity must be a number above 0 and at most 1000000000, got 0.0"),
        ({"capacity": -5.0}, "capacity must be a number above 0 and at most 1000000000, got -5.0"),
        ({"capacity": float("nan")}, "capacity must be a number above 0 and at most 1000000000, got nan"),
        ({"capacity": float("inf")}, "capacity must be a number above 0 and at most 1000000000, got inf"),
        ({"retry_cost": 0.0}, r"retry_cost must be a number above 0 and at most capacity \(500\), got 0.0"),
        (
            {"retry_cost": 501.0},
            r"retry_cost must be a number above 0 and at most capacity \(500\), got 501.0",
        ),
        (
            {"throttle_retry_cost": -1.0},
            r"throttle_retry_cost must be a number above 0 and at most capacity \(500\), got -1.0",
        ),
        ({"success_reward": -1.0}, "success_reward must be a number from 0 to 1000000000, got -1.0"),
        ({"success_reward": float("nan")}, "success_reward must be a number from 0 to 1000000000, got nan"),
    ],
)
def test_validation_names_the_field_and_the_value(kwargs: dict[str, float], message: str) -> None:
    with pytest.raises(ValueError, match=f"^{message}$"):
        RetryBudget(**kwargs)


def test_a_budget_is_keyword_only_and_must_be_a_retry_budget() -> None:
    with pytest.raises(TypeError):
        RetryBudget(500.0)  # type: ignore[misc]
    with pytest.raises(
        TypeError, match=r"budget must be None or a RetryBudget, got \{'capacity': 500\} \(dict\)"
    ):
        retry_llm(budget={"capacity": 500})(lambda: None)  # type: ignore[arg-type]
