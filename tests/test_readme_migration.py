"""The README's migration guides, run: every "before" block against the real peer library (tenacity,
stamina, backoff; skipped when it is not installed), every "after" block against llm-retry, both with the same
fake provider, and both must retry as the guide says.

A block is the code fence under ``<!-- migration: <library> before -->`` (or ``after``). It defines some of
``ask`` (a decorated function), ``ask_async``, ``ask_block`` (a retried block) and ``ask_fast`` (the copy for
tests, which must not wait); the "after" block defines at least what the "before" block does. It may use
``client``, ``async_client`` and ``metrics``, which the test provides, and import the errors it names from
``openai``, a stand-in module shaped like the SDK's (statuses and headers on ``response``).
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import re
import sys
import time
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import llm_retry
import pytest

README = Path(__file__).resolve().parent.parent / "README.md"
BLOCK = re.compile(r"<!-- migration: (\w+) (before|after) -->\n```python\n(.*?)\n```", re.DOTALL)
FUNCTIONS = ("ask", "ask_async", "ask_block", "ask_fast")


def readme_blocks() -> dict[tuple[str, str], str]:
    return {(m[1], m[2]): m[3] for m in BLOCK.finditer(README.read_text(encoding="utf-8"))}


# --- the fake provider ------------------------------------------------------------------------------------


class Response:
    def __init__(self, status_code: int, headers: dict[str, str]) -> None:
        self.status_code = status_code
        self.headers = headers


class APIError(Exception):
    pass


class APIStatusError(APIError):
    status_code = 0

    def __init__(self, headers: dict[str, str] | None = None) -> None:
        super().__init__(f"Error code: {self.status_code}")
        self.response = Response(self.status_code, headers or {})


class RateLimitError(APIStatusError):
    status_code = 429


class InternalServerError(APIStatusError):
    status_code = 500


class BadRequestError(APIStatusError):
    status_code = 400


class APIConnectionError(APIError):
    def __init__(self) -> None:
        super().__init__("Connection error.")


def fake_openai() -> types.ModuleType:
    module = types.ModuleType("openai")
    for cls in (
        APIError,
        APIStatusError,
        RateLimitError,
        InternalServerError,
        BadRequestError,
        APIConnectionError,
    ):
        setattr(module, cls.__name__, cls)
    return module


class Provider:
    """``client.responses.create(...)``: each call takes the next outcome of ``script``, raising it when it
    is an exception, else answering it as ``output_text``."""

    def __init__(self, script: list[object]) -> None:
        self.script = list(script)
        self.calls = 0
        self.responses = self

    def _next(self) -> types.SimpleNamespace:
        self.calls += 1
        outcome = self.script.pop(0)
        if isinstance(outcome, BaseException):
            raise outcome
        return types.SimpleNamespace(output_text=outcome)

    def create(self, **request: Any) -> types.SimpleNamespace:
        return self._next()


class AsyncProvider:
    """``async_client.responses.create(...)``, answering from the same script (and count) as ``sync``."""

    def __init__(self, sync: Provider) -> None:
        self.sync = sync
        self.responses = self

    async def create(self, **request: Any) -> types.SimpleNamespace:
        return self.sync._next()


class Metrics:
    def __init__(self) -> None:
        self.increments: list[str] = []

    def increment(self, name: str, tags: dict[str, str]) -> None:
        self.increments.append(name)


# --- running a block ---------------------------------------------------------------------------------------

# What each case feeds the provider, and what the guide says happens: the answer after two transient
# failures (a 429 whose retry-after asks for 2 s, then a connection error); a 400 raised at once; the last
# of four 500s raised as it is, after four attempts; a Ctrl-C raised at once, never retried.
CASES: dict[str, tuple[list[Any], object, int]] = {
    "recovers": ([RateLimitError({"retry-after": "2"}), APIConnectionError(), "answer"], "answer", 3),
    "bad request": ([BadRequestError()], BadRequestError, 1),
    "exhausted": ([InternalServerError() for _ in range(6)], InternalServerError, 4),
    "interrupted": ([KeyboardInterrupt(), "answer"], KeyboardInterrupt, 1),
}


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[float]]:
    """Every wait any library sleeps, recorded instead of slept: `time.sleep` and `asyncio.sleep` (looked up
    when they are called, by the peers and by `attempts()`) and `retry_llm`'s default ``sleep=``."""
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)

    async def async_sleep(seconds: float, result: object = None) -> object:
        slept.append(seconds)
        return result

    monkeypatch.setattr(time, "sleep", sleep)
    monkeypatch.setattr(asyncio, "sleep", async_sleep)
    monkeypatch.setitem(llm_retry.retry_llm.__kwdefaults__, "sleep", sleep)
    monkeypatch.setitem(sys.modules, "openai", fake_openai())
    yield slept
    stamina = sys.modules.get("stamina")
    if stamina is not None:  # the stamina block switches its test mode and hooks on, process-wide
        stamina.set_testing(False)
        stamina.instrumentation.set_on_retry_hooks(None)


def run_block(library: str, side: str, script: list[object]) -> tuple[dict[str, Any], Provider, Metrics]:
    if side == "before":
        pytest.importorskip(library)
    code = readme_blocks()[(library, side)]
    provider = Provider(script)
    metrics = Metrics()
    namespace: dict[str, Any] = {"__name__": f"readme_{library}_{side}", "metrics": metrics}
    namespace["client"] = provider
    namespace["async_client"] = AsyncProvider(provider)
    exec(compile(code, f"README.md ({library} {side})", "exec"), namespace)
    return namespace, provider, metrics


def call(function: Any) -> object:
    if inspect.iscoroutinefunction(function):
        return asyncio.run(function("hi"))
    return function("hi")


def test_every_guide_has_both_blocks() -> None:
    pairs = readme_blocks()
    for library in ("tenacity", "stamina", "backoff"):
        assert (library, "before") in pairs
        assert (library, "after") in pairs


@pytest.mark.parametrize("library", ["tenacity", "stamina", "backoff"])
def test_the_after_block_replaces_everything_the_before_block_defines(
    library: str, sleeps: list[float]
) -> None:
    before, _, _ = run_block(library, "before", [])
    after, _, _ = run_block(library, "after", [])
    defined_before = {name for name in FUNCTIONS if name in before}
    defined_after = {name for name in FUNCTIONS if name in after}
    assert "ask" in defined_before
    assert defined_before <= defined_after


def cases() -> Iterator[Any]:
    pairs = readme_blocks()
    for (library, side), code in sorted(pairs.items()):
        for function in FUNCTIONS:
            if re.search(rf"^(async )?def {function}\b|^{function} = ", code, re.MULTILINE):
                for case in CASES:
                    yield pytest.param(
                        library, side, function, case, id=f"{library}-{side}-{function}-{case}"
                    )


@pytest.mark.parametrize(("library", "side", "function", "case"), list(cases()))
def test_the_block_retries_as_the_guide_says(
    library: str, side: str, function: str, case: str, sleeps: list[float], caplog: pytest.LogCaptureFixture
) -> None:
    script, outcome, calls = CASES[case]
    caplog.set_level(logging.INFO)
    namespace, provider, metrics = run_block(library, side, script)
    fn = namespace[function]
    if isinstance(outcome, type):
        with pytest.raises(outcome) as raised:
            call(fn)
        assert type(raised.value) is outcome  # the provider's own exception, never a wrapper
    else:
        assert call(fn) == outcome
    assert provider.calls == calls
    assert len(sleeps) <= calls - 1  # no more waits than retries (llm-retry never sleeps 0 s)
    if function == "ask_fast" or (library == "stamina" and side == "before"):
        assert all(s == 0 for s in sleeps), sleeps  # the test mode does not wait
        return
    if side == "before" and case == "recovers":
        assert sleeps[0] < 2.0, sleeps  # the peer's own backoff, whatever the 429's retry-after says
    if side == "after" and case == "recovers":
        # The 429's retry-after is honoured, never cut short by jitter; the connection error's wait is
        # full jitter under OpenAIPreset's first ceiling (1 s, doubling: 2 s).
        assert sleeps[0] >= 2.0, sleeps
        assert 0 <= sleeps[1] <= 2.0, sleeps
    if case == "recovers" and function == "ask":
        warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
        assert len(warnings) >= 2, [r.getMessage() for r in caplog.records]  # one per retry at least
        if "count_retry" in namespace:
            assert metrics.increments == ["llm.retries", "llm.retries"]


# --- the backoff the guides say is the same ----------------------------------------------------------------


def llm_retry_ceilings(waits: int, **config: Any) -> list[float]:
    """The full-jitter ceilings of the first ``waits`` computed waits of a call under OpenAIPreset with
    ``config`` (no server hint), as `llm_retry.testing.record_waits` reports them."""
    from llm_retry.testing import record_waits

    @llm_retry.retry_llm(preset=llm_retry.OpenAIPreset, max_attempts=waits + 1, budget=None, **config)
    def down() -> None:
        raise ConnectionResetError("peer reset")

    with record_waits() as recorded, pytest.raises(ConnectionResetError):
        down()
    return [wait.ceiling_s for wait in recorded]


def test_tenacitys_random_exponential_is_llm_retrys_full_jitter(monkeypatch: pytest.MonkeyPatch) -> None:
    """The guide's "`wait_random_exponential(multiplier=b, max=m)` is `base_delay_s=b, max_delay_s=m`": the
    same ceilings, drawn from 0."""
    tenacity = pytest.importorskip("tenacity")
    import random

    monkeypatch.setattr(random, "uniform", lambda low, high: (low, high))
    wait = tenacity.wait_random_exponential(multiplier=0.5, max=6)
    theirs = [wait(types.SimpleNamespace(attempt_number=n)) for n in range(1, 8)]
    ours = llm_retry_ceilings(7, base_delay_s=0.5, max_delay_s=6)
    assert theirs == [(0, ceiling) for ceiling in ours]
    assert ours == [0.5, 1.0, 2.0, 4.0, 6.0, 6.0, 6.0]


def test_backoffs_expo_with_full_jitter_is_llm_retrys_full_jitter() -> None:
    """The guide's "`backoff.expo` with its defaults and `full_jitter` is `base_delay_s=1`", `max_value`
    being `max_delay_s`: the same ceilings (`full_jitter` draws from 0 to each)."""
    backoff = pytest.importorskip("backoff")
    values = backoff.expo(max_value=20)
    next(values)  # backoff primes its wait generators with one send(None)
    theirs = [next(values) for _ in range(7)]
    assert theirs == llm_retry_ceilings(7, base_delay_s=1.0, max_delay_s=20)
