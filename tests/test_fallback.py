"""`fallback`: providers tried in order, moving on only when another provider can help (a breaker is open,
retries are exhausted, a provider failure, a spent quota, or a kind chosen with ``on=``); a bad request is
raised at once; when every provider fails, `AllProvidersFailed` holds each exception in order.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from typing import Any

import pytest
import trio
from doubles import (
    AuthenticationError,
    BadRequestError,
    ContextOverflowError,
    InternalServerError,
    OverloadedError,
    QuotaError,
    RateLimitError,
    ServiceUnavailableError,
    no_async_sleep,
    no_sleep,
)
from llm_retry import (
    AllProvidersFailed,
    CircuitBreaker,
    CircuitOpenError,
    ErrorKind,
    FallbackEvent,
    RetryBudget,
    async_retry_llm,
    fallback,
    retry_llm,
)


class Provider:
    """A plain callable provider: raises each of ``errors`` in turn, then answers with its name."""

    def __init__(self, name: str, *errors: Exception) -> None:
        self.__qualname__ = name
        self.errors = list(errors)
        self.calls: list[tuple[Any, ...]] = []

    def __call__(self, prompt: str, **kwargs: Any) -> str:
        self.calls.append((prompt, kwargs))
        if self.errors:
            raise self.errors.pop(0)
        return f"{self.__qualname__}: {prompt}"


class AsyncProvider(Provider):
    async def __call__(self, prompt: str, **kwargs: Any) -> str:  # type: ignore[override]
        return Provider.__call__(self, prompt, **kwargs)


# --- order and moving on --------------------------------------------------------------------------


def test_the_primary_answers_and_the_others_are_not_called() -> None:
    primary, secondary = Provider("primary"), Provider("secondary")
    chain = fallback(primary, secondary)

    assert chain("hi", temperature=0) == "primary: hi"
    assert primary.calls == [("hi", {"temperature": 0})]
    assert secondary.calls == []


def test_providers_are_tried_in_order() -> None:
    first = Provider("first", ServiceUnavailableError("503"))
    second = Provider("second", RateLimitError("429"))
    third = Provider("third")
    fourth = Provider("fourth")

    assert fallback(first, second, third, fourth)("hi") == "third: hi"
    assert [len(p.calls) for p in (first, second, third, fourth)] == [1, 1, 1, 0]


@pytest.mark.parametrize(
    "error",
    [
        RateLimitError("429"),
        OverloadedError("529"),
        InternalServerError("500"),
        ServiceUnavailableError("503"),
        ConnectionRefusedError("connection refused"),
        TimeoutError("read timed out"),
        QuotaError(),
    ],
    ids=["429", "529", "500", "503", "connection-refused", "timeout", "quota"],
)
def test_moves_on_after_provider_failures_and_spent_quota_by_default(error: Exception) -> None:
    events: list[FallbackEvent] = []
    primary, secondary = Provider("primary", error), Provider("secondary")

    assert fallback(primary, secondary, on_fallback=events.append)("hi") == "secondary: hi"

    assert len(events) == 1
    assert events[0].exception is error
    assert events[0].failed == "primary"
    assert events[0].next == "secondary"


def test_moves_on_when_the_breaker_is_open() -> None:
    breaker = CircuitBreaker()
    breaker.open()
    primary_calls = 0

    @retry_llm(breaker=breaker, sleep=no_sleep)
    def primary(prompt: str) -> str:
        nonlocal primary_calls
        primary_calls += 1
        return "primary"

    events: list[FallbackEvent] = []
    secondary = Provider("secondary")

    assert fallback(primary, secondary, on_fallback=events.append)("hi") == "secondary: hi"

    assert primary_calls == 0
    assert isinstance(events[0].exception, CircuitOpenError)
    assert events[0].kind is None
    assert events[0].failed.endswith("primary")


def test_moves_on_when_retries_are_exhausted() -> None:
    attempts = 0

    @retry_llm(max_attempts=3, sleep=no_sleep)
    def primary(prompt: str) -> str:
        nonlocal attempts
        attempts += 1
        raise OverloadedError("Overloaded")

    events: list[FallbackEvent] = []

    assert fallback(primary, Provider("secondary"), on_fallback=events.append)("hi") == "secondary: hi"

    assert attempts == 3
    assert events[0].kind is ErrorKind.OVERLOADED
    assert any("attempts exhausted" in note for note in events[0].exception.__notes__)


def test_moves_on_when_the_providers_retry_budget_is_spent() -> None:
    budget = RetryBudget(min_retries=1, retry_ratio=0.0)
    assert budget._withdraw()  # nothing left
    attempts = 0

    @retry_llm(budget=budget, sleep=no_sleep)
    def primary(prompt: str) -> str:
        nonlocal attempts
        attempts += 1
        raise RateLimitError("429")

    events: list[FallbackEvent] = []
    assert fallback(primary, Provider("secondary"), on_fallback=events.append)("hi") == "secondary: hi"
    assert attempts == 1
    assert "retry budget 'budget' refused the retry" in events[0].exception.__notes__[-1]


def test_a_decorated_primary_that_recovers_never_falls_back() -> None:
    attempts = 0

    @retry_llm(max_attempts=3, sleep=no_sleep)
    def primary(prompt: str) -> str:
        nonlocal attempts
        attempts += 1
        if attempts < 3:
            raise RateLimitError("429")
        return "primary"

    secondary = Provider("secondary")
    assert fallback(primary, secondary)("hi") == "primary"
    assert secondary.calls == []


@pytest.mark.parametrize(
    "error",
    [BadRequestError("400 invalid model"), AuthenticationError("401 invalid api key"), ValueError("a bug")],
    ids=["400", "401", "bug"],
)
def test_a_bad_request_is_raised_at_once(error: Exception) -> None:
    events: list[FallbackEvent] = []
    primary, secondary = Provider("primary", error), Provider("secondary")

    with pytest.raises(type(error)) as info:
        fallback(primary, secondary, on_fallback=events.append)("hi")

    assert info.value is error
    assert secondary.calls == []
    assert events == []


def test_context_overflow_is_raised_at_once_by_default() -> None:
    error = ContextOverflowError()
    secondary = Provider("secondary")

    with pytest.raises(ContextOverflowError) as info:
        fallback(Provider("primary", error), secondary)("a very long prompt")

    assert info.value is error
    assert secondary.calls == []


def test_on_chooses_the_kinds_that_move_on() -> None:
    small = Provider("small-window", ContextOverflowError())
    large = Provider("large-window")
    events: list[FallbackEvent] = []

    chain = fallback(small, large, on=[ErrorKind.CONTEXT_OVERFLOW], on_fallback=events.append)

    assert chain("a very long prompt") == "large-window: a very long prompt"
    assert events[0].kind is ErrorKind.CONTEXT_OVERFLOW


def test_replace_defaults_makes_on_the_only_kinds() -> None:
    error = ServiceUnavailableError("503")
    secondary = Provider("secondary")
    chain = fallback(Provider("primary", error), secondary, on=["context_overflow"], replace_defaults=True)

    with pytest.raises(ServiceUnavailableError) as info:
        chain("hi")

    assert info.value is error
    assert secondary.calls == []


def test_an_open_breaker_moves_on_whatever_on_says() -> None:
    breaker = CircuitBreaker()
    breaker.open()

    @retry_llm(breaker=breaker)
    def primary(prompt: str) -> str:
        return "primary"

    assert fallback(primary, Provider("secondary"), on=[])("hi") == "secondary: hi"


# --- all failing --------------------------------------------------------------------------------------


def test_all_failing_raises_all_providers_failed_with_every_error_in_order() -> None:
    breaker = CircuitBreaker()
    breaker.open()

    @retry_llm(breaker=breaker)
    def first(prompt: str) -> str:
        return "first"

    errors: list[Exception] = [RateLimitError("429"), ConnectionResetError("reset"), QuotaError()]
    others = [
        Provider(name, error) for name, error in zip(["second", "third", "fourth"], errors, strict=True)
    ]

    with pytest.raises(AllProvidersFailed) as info:
        fallback(first, *others)("hi")

    group = info.value
    assert len(group.errors) == 4
    assert isinstance(group.errors[0], CircuitOpenError)
    assert list(group.errors[1:]) == errors
    assert all(a is b for a, b in zip(group.errors[1:], errors, strict=True))
    assert "all 4 providers failed" in str(group)
    assert "second" in str(group) and "fourth" in str(group)


def test_all_providers_failed_is_an_exception_group() -> None:
    errors = [ServiceUnavailableError("503"), OverloadedError("529")]
    chain = fallback(Provider("a", errors[0]), Provider("b", errors[1]))

    with pytest.raises(AllProvidersFailed) as info:
        chain("hi")

    assert isinstance(info.value, ExceptionGroup)
    assert list(info.value.exceptions) == errors
    assert info.value.errors == tuple(errors)


def test_a_last_provider_failing_with_a_bad_request_raises_that_error() -> None:
    error = BadRequestError("400")
    with pytest.raises(BadRequestError) as info:
        fallback(Provider("a", ServiceUnavailableError("503")), Provider("b", error))("hi")
    assert info.value is error


def test_a_single_provider_chain() -> None:
    error = RateLimitError("429")
    with pytest.raises(AllProvidersFailed) as info:
        fallback(Provider("only", error))("hi")
    assert info.value.errors == (error,)
    assert fallback(Provider("only"))("hi") == "only: hi"


# --- hooks and logs -----------------------------------------------------------------------------------


def test_on_fallback_and_the_log_say_which_provider_failed_and_which_answered(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="llm_retry")
    events: list[FallbackEvent] = []
    first_error, second_error = InternalServerError("500"), RateLimitError("429")
    chain = fallback(
        Provider("anthropic", first_error),
        Provider("openai", second_error),
        Provider("gemini"),
        on_fallback=events.append,
    )

    assert chain("hi") == "gemini: hi"

    assert events == [
        FallbackEvent("anthropic", "openai", first_error, ErrorKind.SERVER_ERROR),
        FallbackEvent("openai", "gemini", second_error, ErrorKind.RATE_LIMITED),
    ]
    records = [r for r in caplog.records if r.name == "llm_retry"]
    messages = [r.getMessage() for r in records]
    assert messages == [
        "llm-retry: anthropic failed (server_error); falling back to openai",
        "llm-retry: openai failed (rate_limited); falling back to gemini",
        "llm-retry: answered by fallback provider gemini",
    ]
    assert [r.levelno for r in records] == [logging.WARNING, logging.WARNING, logging.INFO]
    assert records[0].provider == "anthropic"  # type: ignore[attr-defined]
    assert records[0].next_provider == "openai"  # type: ignore[attr-defined]
    assert records[2].provider == "gemini"  # type: ignore[attr-defined]


def test_the_log_names_an_open_breaker(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="llm_retry")
    breaker = CircuitBreaker()
    breaker.open()

    @retry_llm(breaker=breaker)
    def primary(prompt: str) -> str:
        return "primary"

    fallback(primary, Provider("secondary"))("hi")

    assert any("circuit open" in r.getMessage() and "secondary" in r.getMessage() for r in caplog.records)


# --- async and validation -----------------------------------------------------------------------------


def run(backend: str, main: Any) -> Any:
    return asyncio.run(main()) if backend == "asyncio" else trio.run(main)


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_async_chains_are_coroutine_functions(backend: str) -> None:
    attempts = 0

    @async_retry_llm(max_attempts=2, sleep=no_async_sleep)
    async def primary(prompt: str) -> str:
        nonlocal attempts
        attempts += 1
        raise OverloadedError("529")

    secondary = AsyncProvider("secondary", RateLimitError("429"))
    tertiary = AsyncProvider("tertiary")
    events: list[FallbackEvent] = []
    chain = fallback(primary, secondary, tertiary, on_fallback=events.append)

    assert inspect.iscoroutinefunction(chain)

    async def main() -> str:
        return await chain("hi")

    assert run(backend, main) == "tertiary: hi"
    assert attempts == 2
    assert [e.kind for e in events] == [ErrorKind.OVERLOADED, ErrorKind.RATE_LIMITED]


def test_async_all_failing_and_bad_requests() -> None:
    errors = [ServiceUnavailableError("503"), TimeoutError("timed out")]

    async def main() -> None:
        with pytest.raises(AllProvidersFailed) as info:
            await fallback(AsyncProvider("a", errors[0]), AsyncProvider("b", errors[1]))("hi")
        assert list(info.value.errors) == errors

        bad = BadRequestError("400")
        secondary = AsyncProvider("b")
        with pytest.raises(BadRequestError) as raised:
            await fallback(AsyncProvider("a", bad), secondary)("hi")
        assert raised.value is bad
        assert secondary.calls == []

    asyncio.run(main())


def test_async_breaker_open_moves_on() -> None:
    breaker = CircuitBreaker()
    breaker.open()

    @async_retry_llm(breaker=breaker)
    async def primary(prompt: str) -> str:
        return "primary"

    async def secondary(prompt: str) -> str:
        return "secondary"

    assert asyncio.run(fallback(primary, secondary)("hi")) == "secondary"


def test_mixing_sync_and_async_is_a_type_error() -> None:
    async def async_provider(prompt: str) -> str:
        return "async"

    with pytest.raises(TypeError, match="all-sync or all-async"):
        fallback(Provider("sync"), async_provider)
    with pytest.raises(TypeError, match="all-sync or all-async"):
        fallback(async_provider, Provider("sync"))


def test_a_sync_chain_is_not_a_coroutine_function() -> None:
    chain = fallback(Provider("a"), Provider("b"))
    assert not inspect.iscoroutinefunction(chain)


def test_arguments_are_validated() -> None:
    with pytest.raises(TypeError, match=r"^others\[0\] must be callable, got 'b' \(str\)$"):
        fallback(Provider("a"), "b")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="on_fallback must be None or callable"):
        fallback(Provider("a"), Provider("b"), on_fallback="log")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        fallback(Provider("a"), Provider("b"), on=["not-a-kind"])  # type: ignore[list-item]
