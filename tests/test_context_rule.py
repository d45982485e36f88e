"""The one use of the implicit `__context__`: a wrapper's own error may borrow the server's delay hint from
the error it was handling, when both have the same status, the wrapper's response is one it made up
(no header at all) and the wrapper did not say `from None`. The context never decides the kind.

The wrapper here raises the way LiteLLM does (its own `openai.RateLimitError` subclass, on a fresh
`httpx.Response` without headers, inside the `except` that caught the provider's error); the provider's error
is openai's own, raised by the SDK from a mock transport.
"""

from __future__ import annotations

import json
from typing import Any

import llm_retry
import pytest

# The SDKs of the conformance suites: absent on the other interpreters' runs of scripts/test.sh.
httpx = pytest.importorskip("httpx")
httpx2 = pytest.importorskip("httpx2")
openai = pytest.importorskip("openai")


def _provider_error(status: int, **headers: str) -> openai.APIStatusError:
    body = {"error": {"message": "Rate limit reached", "type": "requests", "code": "rate_limit_exceeded"}}

    def handler(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(
            status, headers={"content-type": "application/json", **headers}, content=json.dumps(body)
        )

    client = openai.OpenAI(
        api_key="sk-fake",
        base_url="http://openai.invalid/v1",
        max_retries=0,
        http_client=httpx2.Client(transport=httpx2.MockTransport(handler)),
    )
    try:
        client.chat.completions.create(model="gpt-test", messages=[{"role": "user", "content": "hi"}])
    except openai.APIStatusError as exc:
        return exc
    raise AssertionError("the SDK call was expected to raise")


class GatewayRateLimitError(openai.RateLimitError):
    """A gateway's own 429, as LiteLLM makes it: a response without a single header."""

    def __init__(self, message: str, status: int = 429, headers: dict[str, str] | None = None) -> None:
        request = httpx.Request("POST", "https://gateway.invalid/v1/chat/completions")
        response = httpx.Response(status, request=request, headers=headers or {})
        super().__init__(message, response=response, body=None)  # type: ignore[arg-type]


class GatewayServerError(openai.InternalServerError):
    def __init__(self, message: str) -> None:
        request = httpx.Request("POST", "https://gateway.invalid/v1/chat/completions")
        super().__init__(message, response=httpx.Response(500, request=request), body=None)  # type: ignore[arg-type]


def _wrapped(provider: BaseException, make: Any, *, suppress: bool = False) -> BaseException:
    try:
        raise provider
    except Exception:
        try:
            if suppress:
                raise make() from None
            raise make()
        except Exception as outer:
            return outer
    raise AssertionError("unreachable")


def test_a_same_status_wrapper_borrows_the_providers_hint() -> None:
    exc = _wrapped(_provider_error(429, **{"retry-after": "7"}), lambda: GatewayRateLimitError("gateway 429"))
    assert exc.__cause__ is None and exc.__context__ is not None
    c = llm_retry.classify(exc)
    assert (c.kind, c.retryable, c.status) == (llm_retry.ErrorKind.RATE_LIMITED, True, 429)
    assert c.retry_after_s == pytest.approx(7.0)


def test_another_status_borrows_nothing() -> None:
    # LiteLLM rewrites Anthropic's 529 as a 500: the 529's hint is not the 500's.
    exc = _wrapped(_provider_error(529, **{"retry-after": "30"}), lambda: GatewayServerError("gateway 500"))
    c = llm_retry.classify(exc)
    assert (c.kind, c.retryable, c.status, c.retry_after_s) == (
        llm_retry.ErrorKind.SERVER_ERROR,
        True,
        500,
        None,
    )


def test_from_none_borrows_nothing() -> None:
    exc = _wrapped(
        _provider_error(429, **{"retry-after": "7"}),
        lambda: GatewayRateLimitError("gateway 429"),
        suppress=True,
    )
    assert llm_retry.classify(exc).retry_after_s is None


def test_a_response_with_real_headers_borrows_nothing() -> None:
    # A wrapper that kept the provider's headers had the hint to keep: none means there was none.
    exc = _wrapped(
        _provider_error(429, **{"retry-after": "7"}),
        lambda: GatewayRateLimitError("gateway 429", headers={"content-type": "application/json"}),
    )
    assert llm_retry.classify(exc).retry_after_s is None


def test_an_unrelated_error_raised_while_handling_a_429_is_not_a_429() -> None:
    exc = _wrapped(_provider_error(429, **{"retry-after": "7"}), lambda: KeyError("choices"))
    c = llm_retry.classify(exc)
    assert (c.kind, c.retryable, c.status, c.retry_after_s) == (
        llm_retry.ErrorKind.UNKNOWN,
        False,
        None,
        None,
    )


def test_the_wrappers_own_hint_wins() -> None:
    exc = _wrapped(
        _provider_error(429, **{"retry-after": "7"}),
        lambda: GatewayRateLimitError("gateway 429", headers={"retry-after": "2"}),
    )
    assert llm_retry.classify(exc).retry_after_s == pytest.approx(2.0)
