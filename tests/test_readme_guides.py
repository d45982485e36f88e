"""The README's guide from llm-retry-py, run: the "before" block on the drop-in (whose answers equal the
published package's, tests/test_llm_retry_py_compat.py), the "after" block on `retry_llm`, both against one
scripted stand-in for the OpenAI client, with waits recorded instead of slept."""

from __future__ import annotations

import re
import types
from pathlib import Path
from typing import Any

import llm_retry
import pytest
from llm_retry.testing import record_waits

README = Path(__file__).resolve().parent.parent / "README.md"
BLOCK = re.compile(r"<!-- guide: llm-retry-py (before|after) -->\n```python\n(.*?)\n```", re.DOTALL)


class Response:
    def __init__(self, status_code: int, headers: dict[str, str]) -> None:
        self.status_code = status_code
        self.headers = headers


class APIStatusError(Exception):
    """Shaped like openai's: the message holds the body, as the SDK's does."""

    status_code = 0
    code = ""

    def __init__(self, headers: dict[str, str] | None = None) -> None:
        super().__init__(f"Error code: {self.status_code} - {{'error': {{'code': '{self.code}'}}}}")
        self.response = Response(self.status_code, headers or {})


class RateLimitError(APIStatusError):
    status_code = 429
    code = "rate_limit_exceeded"


class InternalServerError(APIStatusError):
    status_code = 500
    code = "server_error"


class BadRequestError(APIStatusError):
    status_code = 400
    code = "invalid_request_error"


class APIConnectionError(Exception):
    def __init__(self) -> None:
        super().__init__("Connection error.")


class Client:
    def __init__(self, script: list[object]) -> None:
        self.script = list(script)
        self.calls = 0
        self.responses = self

    def create(self, **request: Any) -> types.SimpleNamespace:
        self.calls += 1
        outcome = self.script.pop(0)
        if isinstance(outcome, BaseException):
            raise outcome
        return types.SimpleNamespace(output_text=outcome)


@pytest.fixture(autouse=True)
def drop_in_sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The drop-in's default ``sleep=`` (time.sleep, bound when it was defined), recorded instead of slept:
    `record_waits` covers `retry_llm`, not the llm-retry-py API."""
    slept: list[float] = []
    monkeypatch.setitem(llm_retry.retry.__kwdefaults__, "sleep", slept.append)
    return slept


def blocks() -> dict[str, str]:
    return {m[1]: m[2] for m in BLOCK.finditer(README.read_text(encoding="utf-8"))}


def run(side: str, script: list[object], sleeps: list[float]) -> tuple[Any, Client]:
    client = Client(script)
    namespace: dict[str, Any] = {"__name__": f"readme_guide_{side}", "client": client}
    exec(compile(blocks()[side], f"README.md (llm-retry-py {side})", "exec"), namespace)
    return namespace["ask"], client


def test_the_guide_has_both_blocks() -> None:
    assert set(blocks()) == {"before", "after"}


@pytest.mark.parametrize("side", ["before", "after"])
def test_both_retry_a_rate_limit_and_a_server_error_then_answer(side: str) -> None:
    with record_waits() as waits:
        ask, client = run(side, [RateLimitError({"retry-after": "3"}), InternalServerError(), "answer"], [])
        assert ask("hi") == "answer"
    assert client.calls == 3
    if side == "after":
        assert waits[0].from_hint and waits[0].delay_s >= 3.0  # the 429's retry-after, honoured


@pytest.mark.parametrize("side", ["before", "after"])
def test_both_raise_the_last_server_error_after_four_attempts(side: str) -> None:
    with record_waits():
        ask, client = run(side, [InternalServerError() for _ in range(6)], [])
        with pytest.raises(InternalServerError) as raised:
            ask("hi")
    assert type(raised.value) is InternalServerError
    assert client.calls == 4


@pytest.mark.parametrize("side", ["before", "after"])
def test_neither_retries_a_bad_request(side: str) -> None:
    with record_waits() as waits:
        ask, client = run(side, [BadRequestError(), "answer"], [])
        with pytest.raises(BadRequestError):
            ask("hi")
    assert client.calls == 1
    assert list(waits) == []


def test_only_the_preset_retries_a_connection_error() -> None:
    """The text predicates match codes in the message; "Connection error." names none."""
    with record_waits():
        before, before_client = run("before", [APIConnectionError(), "answer"], [])
        with pytest.raises(APIConnectionError):
            before("hi")
        after, after_client = run("after", [APIConnectionError(), "answer"], [])
        assert after("hi") == "answer"
    assert (before_client.calls, after_client.calls) == (1, 2)
