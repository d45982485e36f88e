"""`llm_retry.testing.provider_error` without the SDKs: bad input names what is allowed, the classes are
stable, and a decorated function rides through the faults as it would through the real ones (the equality
with the real SDKs' exceptions is tests/conformance/test_provider_error.py)."""

from __future__ import annotations

import pytest
from llm_retry import ErrorKind, classify, retry_llm
from llm_retry.testing import PROVIDERS, provider_error


def test_unknown_providers_and_faults_are_value_errors_listing_what_is_allowed() -> None:
    with pytest.raises(ValueError, match=r"provider must be one of anthropic, openai, .*bedrock, got 'acme'"):
        provider_error("acme", 429)
    with pytest.raises(
        ValueError, match=r"status_or_code for bedrock must be .*ThrottlingException.*got 'Nope'"
    ):
        provider_error("bedrock", "Nope")
    with pytest.raises(
        ValueError, match="status_or_code must be an HTTP error status from 400 to 599, got 200"
    ):
        provider_error("openai", 200)
    with pytest.raises(TypeError, match="status_or_code must be an int HTTP status or a str fault name"):
        provider_error("openai", 429.0)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="headers must be None or a mapping of str to str"):
        provider_error("openai", 429, headers={"retry-after": 3})  # type: ignore[dict-item]


def test_the_same_fault_gets_the_same_class_so_it_can_be_caught() -> None:
    first, second = provider_error("anthropic", 529), provider_error("anthropic", 529)
    assert type(first) is type(second)
    assert type(first).__module__ == "anthropic"
    assert [c.__name__ for c in type(first).__mro__][:5] == [
        "OverloadedError",
        "InternalServerError",
        "APIStatusError",
        "APIError",
        "AnthropicError",
    ]
    with pytest.raises(type(first)):
        raise second


@pytest.mark.parametrize("provider", ["azure-openai", "Azure", "deepseek", "xai"])
def test_providers_reached_through_the_openai_sdk_get_its_exceptions(provider: str) -> None:
    fault, openai_fault = provider_error(provider, 429), provider_error("openai", 429)
    assert type(fault) is type(openai_fault)
    assert type(fault).__module__ == "openai"
    assert classify(fault).kind is ErrorKind.RATE_LIMITED


@pytest.mark.parametrize("provider", sorted(PROVIDERS))
def test_every_provider_has_the_common_faults(provider: str) -> None:
    assert classify(provider_error(provider, 429)).kind is ErrorKind.RATE_LIMITED
    assert classify(provider_error(provider, 401)).retryable is False
    assert classify(provider_error(provider, "connection")).kind is ErrorKind.NETWORK
    assert classify(provider_error(provider, "timeout")).kind is ErrorKind.NETWORK


def test_a_decorated_function_rides_through_faults_and_stops_on_a_spent_quota() -> None:
    faults = [provider_error("openai", 500), provider_error("openai", 429, headers={"retry-after": "2"})]
    waits: list[float] = []

    @retry_llm(max_attempts=3, sleep=waits.append, budget=None)
    def call() -> str:
        if faults:
            raise faults.pop(0)
        return "ok"

    assert call() == "ok"
    assert waits[1] == pytest.approx(2.0, abs=0.5)

    quota = provider_error("openai", 429, code="insufficient_quota")
    calls = []

    @retry_llm(max_attempts=3, sleep=waits.append, budget=None)
    def spent() -> None:
        calls.append(1)
        raise quota

    with pytest.raises(type(quota)):
        spent()
    assert len(calls) == 1
    assert quota.type == "insufficient_quota"  # type: ignore[attr-defined]
