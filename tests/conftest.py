"""Shared test doubles: a fake clock whose sleeps only move time, and a factory for SDK-shaped errors.

Errors are small local classes shaped like the Stainless SDKs' (``status_code``, ``response.headers``,
``body``); no provider SDK is imported here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pytest


class FakeClock:
    """A monotonic clock that only moves when told to; ``sleep`` records the wait and advances the time."""

    def __init__(self, start_s: float = 1_000.0) -> None:
        self.now_s = start_s
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now_s

    def advance(self, seconds: float) -> None:
        self.now_s += seconds

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now_s += seconds

    async def async_sleep(self, seconds: float) -> None:
        self.sleep(seconds)


class Response:
    """An httpx-like response: a status and a headers mapping."""

    def __init__(self, status_code: int, headers: Mapping[str, str] | None = None) -> None:
        self.status_code = status_code
        self.headers = dict(headers or {})


class APIStatusError(Exception):
    """Shaped like a Stainless SDK's ``APIStatusError``: the status on the exception and on its response."""

    def __init__(
        self, message: str, *, status_code: int, headers: Mapping[str, str] | None = None, body: Any = None
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.response = Response(status_code, headers)
        self.body = body


MakeError = Callable[..., APIStatusError]


@pytest.fixture
def fake_clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def make_error() -> MakeError:
    """``make_error(529)``, ``make_error(429, headers={"retry-after": "3"})``: a fresh SDK-shaped error."""

    def make(status: int, *, headers: Mapping[str, str] | None = None, body: Any = None) -> APIStatusError:
        return APIStatusError(f"Error code: {status}", status_code=status, headers=headers, body=body)

    return make
