"""`fallback(on=...)` adds kinds to `DEFAULT_FALLBACK_KINDS`; ``replace_defaults=True`` starts from nothing;
bad values of ``on`` are errors that name it.
"""

from __future__ import annotations

from typing import Any

import llm_retry
import pytest
from llm_retry import DEFAULT_FALLBACK_KINDS, CircuitBreaker, ErrorKind, fallback, retry_llm


class StatusError(Exception):
    def __init__(self, status_code: int, message: str = "") -> None:
        super().__init__(message or f"Error code: {status_code}")
        self.status_code = status_code


class ContextOverflowError(StatusError):
    def __init__(self) -> None:
        super().__init__(400, "prompt is too long: 250000 tokens > 200000 maximum")


class Provider:
    def __init__(self, name: str, error: Exception | None = None) -> None:
        self.__qualname__ = name
        self.error = error
        self.calls = 0

    def __call__(self, prompt: str) -> str:
        self.calls += 1
        if self.error is not None:
            raise self.error
        return f"{self.__qualname__}: {prompt}"


def test_the_defaults_are_exported() -> None:
    assert {
        ErrorKind.RATE_LIMITED,
        ErrorKind.OVERLOADED,
        ErrorKind.SERVER_ERROR,
        ErrorKind.NETWORK,
        ErrorKind.QUOTA_EXHAUSTED,
    } == llm_retry.DEFAULT_FALLBACK_KINDS
    assert "DEFAULT_FALLBACK_KINDS" in llm_retry.__all__


@pytest.mark.parametrize(
    "error",
    [
        StatusError(429),
        StatusError(529),
        StatusError(500),
        ConnectionResetError("reset"),
        ContextOverflowError(),
    ],
    ids=["rate limited", "overloaded", "server error", "network", "context overflow"],
)
def test_on_adds_to_the_default_kinds(error: Exception) -> None:
    chain = fallback(Provider("small", error), Provider("large"), on={ErrorKind.CONTEXT_OVERFLOW})
    assert chain("hi") == "large: hi"


def test_strings_are_kinds_too() -> None:
    chain = fallback(Provider("small", ContextOverflowError()), Provider("large"), on=["context_overflow"])
    assert chain("hi") == "large: hi"


def test_kinds_not_asked_for_are_still_raised_at_once() -> None:
    error = StatusError(400, "bad request")
    secondary = Provider("secondary")
    with pytest.raises(StatusError) as info:
        fallback(Provider("primary", error), secondary, on={ErrorKind.CONTEXT_OVERFLOW})("hi")
    assert info.value is error
    assert secondary.calls == 0


def test_replace_defaults_starts_from_nothing() -> None:
    overloaded = StatusError(529)
    chain = fallback(
        Provider("primary", overloaded),
        Provider("secondary"),
        on={ErrorKind.CONTEXT_OVERFLOW},
        replace_defaults=True,
    )
    with pytest.raises(StatusError) as info:
        chain("hi")
    assert info.value is overloaded

    overflow = fallback(
        Provider("small", ContextOverflowError()),
        Provider("large"),
        on={ErrorKind.CONTEXT_OVERFLOW},
        replace_defaults=True,
    )
    assert overflow("hi") == "large: hi"


def test_replace_defaults_with_nothing_still_moves_on_from_an_open_breaker() -> None:
    breaker = CircuitBreaker()
    breaker.open()

    @retry_llm(breaker=breaker)
    def primary(prompt: str) -> str:
        return "primary"

    chain = fallback(primary, Provider("secondary"), replace_defaults=True)
    assert chain("hi") == "secondary: hi"
    with pytest.raises(StatusError):  # and nothing else does
        fallback(Provider("a", StatusError(529)), Provider("b"), replace_defaults=True)("hi")


def test_the_default_set_is_not_changed_by_a_chain() -> None:
    before = set(DEFAULT_FALLBACK_KINDS)
    fallback(Provider("a"), Provider("b"), on={ErrorKind.AUTH})
    assert before == DEFAULT_FALLBACK_KINDS


@pytest.mark.parametrize("on", ["auth", b"auth", 3, None])
def test_on_that_is_not_a_collection_is_a_type_error_naming_on(on: Any) -> None:
    with pytest.raises(
        TypeError, match=r"^on must be a collection of ErrorKind values \(rate_limited, .*\), got "
    ):
        fallback(Provider("a"), Provider("b"), on=on)


def test_a_member_that_is_not_a_kind_is_a_type_error_naming_on() -> None:
    with pytest.raises(
        TypeError, match=r"^on must be a collection of ErrorKind values \(.*\), got 429 \(int\)$"
    ):
        fallback(Provider("a"), Provider("b"), on=[429])  # type: ignore[list-item]


def test_an_unknown_kind_is_a_value_error_naming_on_the_value_and_the_allowed_values() -> None:
    with pytest.raises(ValueError) as info:
        fallback(Provider("a"), Provider("b"), on=["context_too_long"])
    message = str(info.value)
    assert message.startswith("on must be a collection of ErrorKind values (")
    assert message.endswith("got 'context_too_long'")
    for kind in ErrorKind:
        assert kind.value in message


def test_replace_defaults_must_be_a_bool() -> None:
    with pytest.raises(TypeError, match=r"^replace_defaults must be a bool, got 'yes' \(str\)$"):
        fallback(Provider("a"), Provider("b"), replace_defaults="yes")  # type: ignore[arg-type]
