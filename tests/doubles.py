"""The test doubles the suite shares: fake monotonic clocks whose sleeps only move time, and errors shaped
like the provider SDKs' (a status, response headers, a JSON body). tests/conformance raises the real ones.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

# --- time -------------------------------------------------------------------------------------------------


class FakeClock:
    """A monotonic clock that moves only when told to: `advance`, assigning `now_s`, or its own `sleep` /
    `async_sleep`, which record each wait and move the clock by it. Pass it as both `clock=` and `sleep=`.

    >>> clock = FakeClock()
    >>> clock.sleep(2.0); clock.advance(1.0); clock.sleep(0.5)
    >>> clock(), clock.sleeps, clock.sleep_spans
    (3.5, [2.0, 0.5], [(0.0, 2.0), (3.0, 0.5)])
    """

    def __init__(self, start_s: float = 0.0) -> None:
        self.now_s = start_s
        self.sleep_spans: list[tuple[float, float]] = []
        """Every sleep as (the time it began, its seconds), in order."""

    def __call__(self) -> float:
        return self.now_s

    @property
    def sleeps(self) -> list[float]:
        """Every sleep's seconds, in order."""
        return [seconds for _, seconds in self.sleep_spans]

    def advance(self, seconds: float) -> None:
        self.now_s += seconds

    def sleep(self, seconds: float) -> None:
        assert seconds >= 0, seconds
        self.sleep_spans.append((self.now_s, seconds))
        self.now_s += seconds

    async def async_sleep(self, seconds: float) -> None:
        self.sleep(seconds)


class SharedClock(FakeClock):
    """A `FakeClock` that many threads may read, move and sleep on at once."""

    def __init__(self, start_s: float = 0.0) -> None:
        self._lock = threading.Lock()
        super().__init__(start_s)

    @property  # type: ignore[override]
    def now_s(self) -> float:
        with self._lock:
            return self._now_s

    @now_s.setter
    def now_s(self, value: float) -> None:
        with self._lock:
            self._now_s = value

    @property
    def sleeps(self) -> list[float]:
        with self._lock:
            return [seconds for _, seconds in self.sleep_spans]

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now_s += seconds

    def sleep(self, seconds: float) -> None:
        assert seconds >= 0, seconds
        with self._lock:
            self.sleep_spans.append((self._now_s, seconds))
            self._now_s += seconds


def told_wait(told_s: float, exact_s: float) -> bool:
    """Whether ``told_s``, the ``retry_in_s`` a breaker gave a refused caller, is the exact wait ``exact_s``
    jittered as the breaker promises: never early, and late by at most a quarter of it (at least 0.1 s)."""
    return exact_s - 1e-9 <= told_s <= exact_s + max(0.25 * exact_s, 0.1) + 1e-9


def no_sleep(seconds: float) -> None:
    """A `sleep=` for tests where neither the waits nor the time matter."""


async def no_async_sleep(seconds: float) -> None:
    """The async `sleep=` for tests where neither the waits nor the time matter."""


# --- provider-shaped errors ---------------------------------------------------------------------------------


class Response:
    """An httpx-like response: a status and a headers mapping."""

    def __init__(self, status_code: int, headers: Mapping[str, str] | None = None) -> None:
        self.status_code = status_code
        self.headers = dict(headers or {})


class APIStatusError(Exception):
    """Shaped like a Stainless SDK's (anthropic, openai, groq) `APIStatusError`: the status on the exception
    and on its response, the headers on the response, the parsed JSON body. The subclasses below fix the
    status, as the SDKs' do; `retry_after_s` is a shorthand for a `retry-after` header.

    >>> error = RateLimitError(retry_after_s=3)
    >>> error.status_code, error.response.headers, str(error)
    (429, {'retry-after': '3'}, 'Error code: 429')
    """

    status_code: int

    def __init__(
        self,
        message: str | None = None,
        *,
        status_code: int | None = None,
        headers: Mapping[str, str] | None = None,
        retry_after_s: float | None = None,
        body: Any = None,
    ) -> None:
        if status_code is not None:
            self.status_code = status_code
        elif not hasattr(self, "status_code"):
            raise TypeError(f"{type(self).__name__} needs a status_code")
        super().__init__(f"Error code: {self.status_code}" if message is None else message)
        all_headers = dict(headers or {})
        if retry_after_s is not None:
            all_headers["retry-after"] = str(retry_after_s)
        self.response = Response(self.status_code, all_headers)
        self.body = body


def status_error(
    status: int, *, headers: Mapping[str, str] | None = None, body: Any = None
) -> APIStatusError:
    """A fresh SDK-shaped error, for tests that differ only by status, headers or body: `status_error(529)`,
    `status_error(429, headers={"retry-after": "3"})`. Its message is the SDKs' "Error code: <status>"."""
    return APIStatusError(status_code=status, headers=headers, body=body)


# One class per status family, for tests that tell errors apart by type (`pytest.raises`, `isinstance`, a list
# of error classes); the status is what the classifier reads, the class name only says which family it is.


class RateLimitError(APIStatusError):
    status_code = 429


class OverloadedError(APIStatusError):
    status_code = 529


class InternalServerError(APIStatusError):
    status_code = 500


class BadGatewayError(APIStatusError):
    status_code = 502


class ServiceUnavailableError(APIStatusError):
    status_code = 503


class BadRequestError(APIStatusError):
    status_code = 400


class AuthenticationError(APIStatusError):
    status_code = 401


class ContextOverflowError(APIStatusError):
    """OpenAI's 400 for a prompt over the context window: never retried, and no other provider helps."""

    status_code = 400

    def __init__(self) -> None:
        message = (
            "This model's maximum context length is 128000 tokens. However, you requested 130412 tokens."
        )
        super().__init__(
            message,
            body={
                "error": {
                    "message": message,
                    "type": "invalid_request_error",
                    "code": "context_length_exceeded",
                }
            },
        )
        self.code = "context_length_exceeded"


class QuotaError(APIStatusError):
    """OpenAI's 429 for a spent quota: a 429 that is never retried."""

    status_code = 429

    def __init__(self) -> None:
        message = "You exceeded your current quota, please check your plan and billing details."
        super().__init__(
            message,
            body={"error": {"message": message, "type": "insufficient_quota", "code": "insufficient_quota"}},
        )
        self.code = "insufficient_quota"


class StreamErrorEvent(APIStatusError):
    """Anthropic's mid-stream error event: the HTTP response was a 200, the error arrives in an SSE event's
    body (`overloaded_error` by default)."""

    status_code = 200

    def __init__(self, error_type: str = "overloaded_error") -> None:
        super().__init__(
            f"{error_type}: Overloaded",
            body={"type": "error", "error": {"type": error_type, "message": "Overloaded"}},
        )
