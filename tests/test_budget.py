"""Retry budgets: over a sliding window, a retry goes while ``retries + 1 <= min_retries + retry_ratio x first
attempts``. First attempts always go and are counted; a refused retry ends the call with the original error
and a note. Every decorated function has one unless told ``budget=None``: its provider's, shared within the
process (keyed by the config's name), or, on a custom clock, one of its own.

Time is a fake clock wherever it matters; the per-provider budgets read the real clock, and nothing here waits
long enough for their window (60 s) to move.
"""

from __future__ import annotations

import asyncio
import heapq
import random
import sys
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from doubles import (
    BadRequestError,
    FakeClock,
    OverloadedError,
    QuotaError,
    RateLimitError,
    ServiceUnavailableError,
    no_async_sleep,
    no_sleep,
    status_error,
)
from llm_retry import (
    AnthropicPreset,
    BudgetStats,
    DefaultPreset,
    OpenAIPreset,
    RetryBudget,
    RetryConfig,
    RetryEvent,
    async_retry_llm,
    attempts,
    retry_llm,
)
from llm_retry._budget import PER_PROVIDER, _reset_default_budgets, budget_for
from llm_retry.presets import PROVIDER_PRESETS

REFUSED = "refused the retry"
EXHAUSTED = "attempts exhausted"


def notes(exc: BaseException) -> str:
    return " ".join(getattr(exc, "__notes__", []))


def provider_budget(name: str) -> RetryBudget:
    """The process's budget for a provider (a config's name), as a decorated function gets it."""
    found = budget_for(PER_PROVIDER, name, time.monotonic)
    assert found is not None
    return found


def always_failing(error: Callable[[], Exception] = OverloadedError, **kwargs: Any) -> Any:
    """A decorated function that always raises; ``.calls`` counts its attempts. Sleeps are no-ops unless
    ``sleep`` is given."""
    kwargs.setdefault("sleep", no_sleep)

    @retry_llm(base_delay_s=0.0, **kwargs)
    def call() -> str:
        call.calls += 1  # type: ignore[attr-defined]
        raise error()

    call.calls = 0  # type: ignore[attr-defined]
    return call


def flaky(errors: list[Exception], **kwargs: Any) -> Any:
    """A decorated function that raises each of ``errors`` in turn, then answers "ok"."""
    pending = list(errors)
    kwargs.setdefault("sleep", no_sleep)

    @retry_llm(base_delay_s=0.0, **kwargs)
    def call() -> str:
        call.calls += 1  # type: ignore[attr-defined]
        if pending:
            raise pending.pop(0)
        return "ok"

    call.calls = 0  # type: ignore[attr-defined]
    return call


def assert_rule_holds(budget: RetryBudget, firsts: list[float], retries: list[float]) -> None:
    """Over every span of ``window_s`` that ends at a retry, the retries are at most ``min_retries +
    retry_ratio x first attempts`` (a first attempt counts for up to one bucket, a 60th of the window, more).
    Both lists in time order."""
    window_s, bucket_s = budget.window_s, budget.window_s / 60
    oldest_retry = oldest_first = newest_first = 0
    for i, end in enumerate(retries):
        while retries[oldest_retry] <= end - window_s:
            oldest_retry += 1
        while newest_first < len(firsts) and firsts[newest_first] <= end:
            newest_first += 1
        while oldest_first < newest_first and firsts[oldest_first] <= end - window_s - bucket_s:
            oldest_first += 1
        in_span, earned = i + 1 - oldest_retry, newest_first - oldest_first
        assert in_span <= budget.min_retries + budget.retry_ratio * earned + 1e-9, (end, in_span, earned)


def failing_client(
    rate: float, seconds: float, **kwargs: Any
) -> tuple[RetryBudget, list[float], list[float]]:
    """A client on a fake clock whose provider is down: a call every ``1 / rate`` s (or when the last one
    gave up, if later), each retried without waiting until its budget refuses. Returns the budget and the
    times of the first attempts and of the retries."""
    clock = FakeClock(start_s=1_000.0)
    budget = RetryBudget(clock=clock, **kwargs)
    retries: list[float] = []
    call = always_failing(
        ServiceUnavailableError,
        budget=budget,
        clock=clock,
        sleep=clock.sleep,
        max_attempts=1_000,
        on_retry=lambda event: retries.append(clock()),
    )
    firsts: list[float] = []
    for i in range(round(rate * seconds)):
        clock.now_s = max(clock.now_s, 1_000.0 + i / rate)
        firsts.append(clock())
        with pytest.raises(ServiceUnavailableError) as info:
            call()
        assert REFUSED in notes(info.value)
    return budget, firsts, retries


# --- the rule, at any rate ----------------------------------------------------------------------------------


def test_a_new_budget_holds_the_floor_and_its_stats_are_a_frozen_value() -> None:
    budget = RetryBudget(clock=lambda: 5.0, name="anthropic")
    stats = budget.stats
    assert isinstance(stats, BudgetStats)
    assert stats == budget.stats
    assert hash(stats) == hash(budget.stats)
    assert (stats.first_attempts, stats.retries_allowed, stats.retries_refused) == (0, 0, 0)
    assert (stats.first_attempts_in_window, stats.retries_allowed_in_window) == (0, 0)
    assert stats.retries_refused_in_window == 0
    assert stats.retries_available == 4
    with pytest.raises(AttributeError):
        stats.retries_available = 100  # type: ignore[misc]
    assert repr(budget) == "RetryBudget(name='anthropic', retries_available=4)"
    assert repr(stats).startswith("BudgetStats(first_attempts=0, retries_allowed=0, retries_refused=0, ")
    assert (budget.window_s, budget.min_retries, budget.retry_ratio) == (60.0, 4, 0.05)


def test_at_a_tenth_of_a_request_a_second_the_floor_lets_each_window_retry() -> None:
    budget, firsts, retries = failing_client(rate=0.1, seconds=600.0)
    assert len(firsts) == 60
    assert_rule_holds(budget, firsts, retries)
    # 6 first attempts a window earn 0.3 of a retry: the floor does the work. Each call spends what the
    # window allows at once, so 4 retries go every time the window has forgotten the last 4: 61 s later,
    # rounded up to the next call (70 s), 9 times in 600 s.
    assert len(retries) == 36, len(retries)
    stats = budget.stats
    assert (stats.first_attempts, stats.retries_allowed, stats.retries_refused) == (60, len(retries), 60)


def test_at_1000_requests_a_second_retries_stay_a_twentieth_of_traffic() -> None:
    budget, firsts, retries = failing_client(rate=1000.0, seconds=70.0)
    assert len(firsts) == 70_000
    assert_rule_holds(budget, firsts, retries)
    # 5 % of the calls got a retry, plus the floor: the rest were refused their first.
    assert 0.049 <= len(retries) / len(firsts) <= 0.052, len(retries)
    stats = budget.stats
    assert stats.retries_allowed == len(retries)
    assert stats.retries_refused == len(firsts)  # each call went on until refused
    # A window after the last call began, the window holds what the last 60-61 s saw.
    assert 60_000 <= stats.first_attempts_in_window <= 61_000


def test_a_quiet_process_gets_every_presets_default_retries_for_its_one_call() -> None:
    # A single call that meets a 529 (or a 503, where the preset does not retry 529) and nothing else: the
    # process-wide budget of its provider lets it make all its attempts.
    for preset in (DefaultPreset, *PROVIDER_PRESETS):
        status = 529 if 529 in preset.retryable_status_codes else 503
        call = always_failing(lambda status=status: status_error(status), preset=preset)
        with pytest.raises(Exception) as info:
            call()
        assert call.calls == preset.max_attempts, preset.name
        assert EXHAUSTED in notes(info.value), (preset.name, notes(info.value))
        assert provider_budget(preset.name).stats.retries_refused == 0


def test_retries_come_back_when_the_window_has_passed() -> None:
    clock = FakeClock(start_s=1_000.0)
    budget = RetryBudget(clock=clock)
    call = always_failing(budget=budget, clock=clock, sleep=clock.sleep, max_attempts=10)

    with pytest.raises(OverloadedError) as info:
        call()
    assert call.calls == 5  # 4 retries, then refused
    assert "gave up after attempt 5" in notes(info.value)
    clock.advance(30.0)
    with pytest.raises(OverloadedError):
        call()
    assert call.calls == 6  # refused its first retry: the first call's still count
    # A window and a bucket after the first call's retries, they have expired.
    clock.now_s = 1_000.0 + 61.0
    assert budget.stats.retries_allowed_in_window == 0
    with pytest.raises(OverloadedError):
        call()
    assert call.calls == 6 + 5
    assert budget.stats.retries_allowed == 8


def test_a_refusal_is_counted_and_ends_the_call_with_a_note() -> None:
    clock = FakeClock(start_s=1_000.0)
    budget = RetryBudget(min_retries=1, retry_ratio=0.0, name="anthropic", clock=clock)
    raised: list[Exception] = []
    events: list[RetryEvent] = []

    @retry_llm(budget=budget, clock=clock, sleep=clock.sleep, on_retry=events.append, max_attempts=5)
    def call() -> str:
        raised.append(OverloadedError("Overloaded"))
        raise raised[-1]

    with pytest.raises(OverloadedError) as info:
        call()

    assert len(raised) == 2
    assert info.value is raised[-1]
    assert [e.attempt for e in events] == [1]  # the refused retry is not announced
    note = info.value.__notes__[-1]
    assert note == (
        "llm-retry: gave up after attempt 2: retry budget 'anthropic' refused the retry (overloaded): "
        "1 retry already made in the last 60 s, against 1 first attempt"
    )
    stats = budget.stats
    assert (stats.first_attempts, stats.retries_allowed, stats.retries_refused) == (1, 1, 1)
    assert (stats.retries_allowed_in_window, stats.retries_refused_in_window) == (1, 1)
    assert stats.retries_available == 0
    # The window forgets the refusal with the rest; the lifetime counts keep it.
    clock.advance(61.0)
    stats = budget.stats
    assert (stats.retries_refused, stats.retries_refused_in_window, stats.retries_available) == (1, 0, 1)


def test_first_attempts_always_go_even_when_the_budget_is_spent() -> None:
    budget = RetryBudget(min_retries=0, retry_ratio=0.0)
    healthy = flaky([], budget=budget)
    failing = always_failing(budget=budget, max_attempts=5)
    for _ in range(3):
        with pytest.raises(OverloadedError):
            failing()
        assert healthy() == "ok"
    assert failing.calls == 3
    stats = budget.stats
    assert (stats.first_attempts, stats.retries_allowed, stats.retries_refused) == (6, 0, 3)


def test_errors_that_are_not_retried_ask_the_budget_nothing() -> None:
    budget = RetryBudget()
    for error in (BadRequestError("bad"), QuotaError()):
        call = flaky([error], budget=budget)
        with pytest.raises(type(error)):
            call()
        assert call.calls == 1
    stats = budget.stats
    assert (stats.first_attempts, stats.retries_allowed, stats.retries_refused) == (2, 0, 0)


def test_a_success_after_retries_counts_one_first_attempt() -> None:
    budget = RetryBudget()
    call = flaky([RateLimitError("429"), ServiceUnavailableError("503")], budget=budget)
    assert call() == "ok"
    stats = budget.stats
    assert (stats.first_attempts, stats.retries_allowed, stats.retries_available) == (1, 2, 2)


def test_every_kind_of_retry_costs_the_same() -> None:
    errors = [RateLimitError, OverloadedError, ServiceUnavailableError, ConnectionResetError, TimeoutError]
    for error in errors:
        budget = RetryBudget(min_retries=2, retry_ratio=0.0)
        call = always_failing(error, budget=budget, max_attempts=10)
        with pytest.raises(error):
            call()
        assert call.calls == 3, error


# --- how first attempts reach the budget -------------------------------------------------------------------


def switchable(budget: RetryBudget) -> tuple[Any, list[bool]]:
    """A decorated function that answers while ``failing[0]`` is False and raises a 503 once it is True."""
    failing = [False]

    @retry_llm(budget=budget, sleep=no_sleep, base_delay_s=0.0, max_attempts=1)
    def call() -> str:
        if failing[0]:
            raise ServiceUnavailableError()
        return "ok"

    return call, failing


def test_a_busy_function_reports_in_small_batches_and_a_failure_reports_at_once() -> None:
    budget = RetryBudget(window_s=31_536_000.0)  # a year: nothing expires, whatever the machine's speed
    call, failing = switchable(budget)
    for _ in range(1000):
        call()
    # Thousands a second: batches of up to 16, so up to 15 not yet reported.
    assert 985 <= budget.stats.first_attempts <= 1000
    failing[0] = True
    with pytest.raises(ServiceUnavailableError):
        call()
    assert budget.stats.first_attempts == 1001


def test_a_quiet_function_reports_each_first_attempt_when_made() -> None:
    budget = RetryBudget()
    call, _ = switchable(budget)
    for made in range(1, 31):
        call()
        assert budget.stats.first_attempts == made


@pytest.mark.skipif(not getattr(sys, "_is_gil_enabled", lambda: True)(), reason="counts rely on the GIL")
def test_threads_sharing_a_function_lose_no_first_attempt() -> None:
    budget = RetryBudget(window_s=31_536_000.0)
    call, failing = switchable(budget)
    start = threading.Barrier(16)

    def worker() -> None:
        start.wait()
        for _ in range(2000):
            call()

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads)
    failing[0] = True
    with pytest.raises(ServiceUnavailableError):
        call()
    assert budget.stats.first_attempts == 16 * 2000 + 1


def test_without_the_gil_the_engine_reports_each_first_attempt(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "_is_gil_enabled", lambda: False, raising=False)
    budget = RetryBudget(window_s=31_536_000.0)
    call, _ = switchable(budget)
    start = threading.Barrier(8)

    def worker() -> None:
        start.wait()
        for _ in range(500):
            call()

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads)
    assert budget.stats.first_attempts == 8 * 500


def test_a_fake_clock_sees_batches_on_its_own_time() -> None:
    clock = FakeClock(start_s=1_000.0)
    budget = RetryBudget(clock=clock)
    ok = flaky([], budget=budget, clock=clock, sleep=clock.sleep)
    for _ in range(100):
        ok()
    assert 85 <= budget.stats.first_attempts <= 100
    # A minute and a bucket later, they have all expired, reported or not.
    clock.advance(61.0)
    failing = always_failing(budget=budget, clock=clock, sleep=clock.sleep, max_attempts=10)
    with pytest.raises(OverloadedError):
        failing()
    stats = budget.stats
    assert stats.first_attempts_in_window == 1
    assert stats.retries_allowed_in_window == 4


# --- the default: one budget per provider -------------------------------------------------------------------


def spend_anthropics_budget() -> None:
    """One call of an Anthropic function that uses up the floor of the process's Anthropic budget."""
    call = always_failing(preset=AnthropicPreset, max_attempts=10)
    with pytest.raises(OverloadedError) as info:
        call()
    assert call.calls == 5
    assert "retry budget 'anthropic' refused the retry" in notes(info.value)


def test_two_functions_of_one_preset_share_its_budget() -> None:
    spend_anthropics_budget()
    other = always_failing(preset=AnthropicPreset)
    with pytest.raises(OverloadedError) as info:
        other()
    assert other.calls == 1
    assert "gave up after attempt 1: retry budget 'anthropic'" in notes(info.value)
    # Overrides keep the preset's name, and its budget.
    overridden = always_failing(preset=AnthropicPreset, max_attempts=3)
    with pytest.raises(OverloadedError):
        overridden()
    assert overridden.calls == 1
    assert provider_budget("anthropic").stats.retries_refused == 3


def test_two_presets_do_not_share() -> None:
    spend_anthropics_budget()
    openai = always_failing(ServiceUnavailableError, preset=OpenAIPreset)
    with pytest.raises(ServiceUnavailableError) as info:
        openai()
    assert openai.calls == OpenAIPreset.max_attempts
    assert EXHAUSTED in notes(info.value)
    assert provider_budget("openai").stats.retries_allowed == OpenAIPreset.max_attempts - 1
    assert provider_budget("anthropic").stats.retries_allowed == 4


def test_the_block_form_streams_and_async_functions_share_the_providers_budget() -> None:
    spend_anthropics_budget()

    with pytest.raises(OverloadedError) as info:
        for attempt in attempts(preset=AnthropicPreset, sleep=no_sleep):
            with attempt:
                raise OverloadedError()
    assert "gave up after attempt 1" in notes(info.value)

    @retry_llm(preset=AnthropicPreset, sleep=no_sleep)
    def stream() -> Iterator[str]:
        raise OverloadedError()
        yield "never"

    with pytest.raises(OverloadedError) as info:
        list(stream())
    assert "gave up after attempt 1" in notes(info.value)

    @async_retry_llm(preset=AnthropicPreset, sleep=no_async_sleep)
    async def answer() -> str:
        raise OverloadedError()

    with pytest.raises(OverloadedError) as info:
        asyncio.run(answer())
    assert "gave up after attempt 1" in notes(info.value)
    stats = provider_budget("anthropic").stats
    assert (stats.first_attempts, stats.retries_allowed, stats.retries_refused) == (4, 4, 4)


def test_every_way_in_reports_its_first_attempt_to_the_providers_budget() -> None:
    @retry_llm(preset=AnthropicPreset)
    def plain() -> str:
        return "ok"

    @retry_llm(preset=AnthropicPreset, deadline_s=60.0)
    def timed() -> str:
        return "ok"

    @async_retry_llm(preset=AnthropicPreset)
    async def awaited() -> str:
        return "ok"

    @retry_llm(preset=AnthropicPreset)
    def stream() -> Iterator[str]:
        yield "ok"

    assert (plain(), timed(), asyncio.run(awaited()), list(stream())) == ("ok", "ok", "ok", ["ok"])
    for attempt in attempts(preset=AnthropicPreset):
        with attempt:
            pass
    assert provider_budget("anthropic").stats.first_attempts == 5


def test_a_custom_clock_gets_a_budget_of_its_own() -> None:
    first_clock, second_clock = FakeClock(start_s=1_000.0), FakeClock(start_s=1_000.0)
    first = always_failing(
        preset=AnthropicPreset, clock=first_clock, sleep=first_clock.sleep, max_attempts=10
    )
    second = always_failing(
        preset=AnthropicPreset, clock=second_clock, sleep=second_clock.sleep, max_attempts=10
    )
    for call in (first, second):
        with pytest.raises(OverloadedError):
            call()
        assert call.calls == 5  # each spent a floor of its own
    # The process's Anthropic budget, on the real clock, never saw them.
    assert provider_budget("anthropic").stats == RetryBudget().stats
    # Nor does the block form on a fake clock: each block has its own.
    for _ in range(2):
        made = 0
        with pytest.raises(OverloadedError):
            for attempt in attempts(preset=AnthropicPreset, clock=first_clock, sleep=first_clock.sleep):
                with attempt:
                    made += 1
                    raise OverloadedError()
        assert made == AnthropicPreset.max_attempts


def test_budget_none_turns_budgeting_off() -> None:
    spend_anthropics_budget()
    call = always_failing(preset=AnthropicPreset, budget=None, max_attempts=50)
    with pytest.raises(OverloadedError) as info:
        call()
    assert call.calls == 50
    assert EXHAUSTED in notes(info.value)
    made = 0
    with pytest.raises(OverloadedError):
        for attempt in attempts(preset=AnthropicPreset, budget=None, max_attempts=20, sleep=no_sleep):
            with attempt:
                made += 1
                raise OverloadedError()
    assert made == 20
    stats = provider_budget("anthropic").stats
    assert (stats.first_attempts, stats.retries_allowed) == (1, 4)


def test_an_explicit_budget_replaces_the_providers() -> None:
    mine = RetryBudget(min_retries=10)
    call = always_failing(preset=AnthropicPreset, budget=mine, max_attempts=50)
    with pytest.raises(OverloadedError):
        call()
    assert call.calls == 11
    assert provider_budget("anthropic").stats.first_attempts == 0


def test_a_config_without_a_preset_shares_the_budget_of_its_name() -> None:
    ours = RetryConfig(name="our-gateway", retryable_status_codes=[503])
    for _ in range(2):
        call = always_failing(ServiceUnavailableError, config=ours, max_attempts=10)
        with pytest.raises(ServiceUnavailableError):
            call()
    assert provider_budget("our-gateway").stats.retries_allowed == 4
    assert provider_budget("our-gateway").stats.retries_refused == 2


def test_the_reset_empties_the_budgets_of_functions_decorated_earlier() -> None:
    call = always_failing(preset=AnthropicPreset, max_attempts=10)
    with pytest.raises(OverloadedError):
        call()
    assert call.calls == 5
    _reset_default_budgets()
    with pytest.raises(OverloadedError):
        call()
    assert call.calls == 10
    assert provider_budget("anthropic").stats.first_attempts == 1


def test_the_default_is_shown_in_the_signatures() -> None:
    import inspect

    for fn in (retry_llm, async_retry_llm, attempts):
        default = inspect.signature(fn).parameters["budget"].default
        assert default is PER_PROVIDER
        assert repr(default) == "<one RetryBudget per provider>"


# --- the defaults, against the outage they are meant for ----------------------------------------------------


class Unavailable(Exception):
    status_code = 503


def outage_attempts_per_request(budget_kwargs: dict[str, Any] | None, *, clients: int, seed: int) -> float:
    """Clients of a provider that answers 503 to everything from t = 60 s to 120 s, each with the default
    settings (`DefaultPreset`, five attempts) and a budget of its own: attempts sent during the outage per
    request offered during it. Poisson arrivals at 0.14 req/s per client; a failure answers in 0.1 s; the
    waits are the real policy's. The budget is driven exactly as the engine drives it (`_deposit` at a first
    attempt, `_withdraw` when a failure would be retried), on the client's own clock."""
    rng = random.Random(seed)
    policy = DefaultPreset.replace(seed=seed)._policy  # type: ignore[attr-defined]
    sent = offered = 0
    for _ in range(clients):
        clock = FakeClock()
        budget = None if budget_kwargs is None else RetryBudget(clock=clock, **budget_kwargs)
        pending: list[tuple[float, int]] = []
        arrival = rng.expovariate(0.14)
        while arrival < 180.0:
            heapq.heappush(pending, (arrival, 1))
            offered += 60.0 <= arrival < 120.0
            arrival += rng.expovariate(0.14)
        while pending:
            clock.now_s, attempt = heapq.heappop(pending)
            if budget is not None and attempt == 1:
                budget._deposit()
            if not 60.0 <= clock.now_s < 120.0:
                continue
            sent += 1
            clock.advance(0.1)
            decision = policy.decide(Unavailable(), attempt, None)
            if decision.retry and (budget is None or budget._withdraw()):
                heapq.heappush(pending, (clock.now_s + decision.delay_s, attempt + 1))
    return sent / offered


def test_the_defaults_keep_a_fleet_of_small_clients_under_one_and_a_half_attempts_per_request() -> None:
    # The measurement: without a budget the fleet sends about 4.8 attempts per request offered
    # during a one-minute outage. With the defaults each client may retry floor(4 + 0.05 x ~8.5) = 4 times a
    # window: 1 + 4 / 8.4 = 1.48. A ratio of 0.1 would give a fifth retry whenever a window holds 10 first
    # attempts, about 1.55 here.
    assert outage_attempts_per_request(None, clients=200, seed=1) > 4.5
    defaults = outage_attempts_per_request({}, clients=400, seed=1)
    assert 1.4 <= defaults <= 1.5, defaults
    with_a_tenth = outage_attempts_per_request({"retry_ratio": 0.1}, clients=400, seed=1)
    assert with_a_tenth > 1.5, with_a_tenth
