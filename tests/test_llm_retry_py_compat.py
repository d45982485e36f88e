"""llm-retry as a drop-in for the published ``llm-retry-py`` 0.1.0: every scenario of
llm_retry_py_scenarios.py gives what the published package gave (recorded by scripts/record_llm_retry_py.py),
except the documented differences: Ctrl-C and cancellation are never retried."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import llm_retry
import pytest
from llm_retry import Jitter, RetryExhausted, RetryPolicy, predicates, retry, retry_async
from llm_retry_py_scenarios import DIFFERENCES, SCENARIOS

RECORDED = json.loads((Path(__file__).parent / "data" / "llm_retry_py-0.1.0.json").read_text())["scenarios"]
SAME = [name for name in SCENARIOS if name not in DIFFERENCES]


def test_every_scenario_was_recorded() -> None:
    assert set(RECORDED) == set(SCENARIOS)


@pytest.mark.parametrize("name", SAME)
def test_the_drop_in_answers_as_the_published_package(name: str) -> None:
    # Through JSON, as the recording was: tuples become lists, keys strings.
    assert json.loads(json.dumps(SCENARIOS[name](llm_retry))) == RECORDED[name]


def test_ctrl_c_is_raised_at_once_where_0_1_0_retried_it() -> None:
    ours = SCENARIOS["keyboard_interrupt"](llm_retry)
    assert RECORDED["keyboard_interrupt"]["outcome"]["raised"] == "RetryExhausted"
    assert ours == {"outcome": {"raised": "KeyboardInterrupt", "str": ""}, "calls": 1, "slept": 0}


def test_cancellation_is_raised_at_once_where_0_1_0_retried_it() -> None:
    ours = SCENARIOS["cancelled_async"](llm_retry)
    assert RECORDED["cancelled_async"]["calls"] == 3
    assert ours == {"outcome": {"raised": "CancelledError", "str": ""}, "calls": 1}


def test_should_retry_never_sees_what_is_not_an_exception() -> None:
    seen: list[BaseException] = []

    def op() -> None:
        raise SystemExit(3)

    with pytest.raises(SystemExit):
        retry(op, should_retry=lambda e: seen.append(e) or True, sleep=lambda s: None)
    assert seen == []


def test_a_task_cancelled_mid_sleep_stops() -> None:
    calls: list[int] = []

    async def op() -> None:
        calls.append(1)
        raise ConnectionError("refused")

    async def main() -> None:
        task = asyncio.ensure_future(retry_async(op, policy=RetryPolicy(base_delay_ms=60_000)))
        while not calls:
            await asyncio.sleep(0)
        await asyncio.sleep(0)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(main())
    assert calls == [1]


def test_bad_arguments_name_the_parameter_and_value() -> None:
    with pytest.raises(ValueError, match=r"max_attempts must be >= 0, got -1"):
        RetryPolicy(max_attempts=-1)
    with pytest.raises(TypeError, match=r"max_attempts must be an int >= 0, got True"):
        RetryPolicy(max_attempts=True)
    with pytest.raises(
        ValueError, match=r"base_delay_ms must be a finite number of milliseconds >= 0, got nan"
    ):
        RetryPolicy(base_delay_ms=float("nan"))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"jitter must be a Jitter"):
        RetryPolicy(jitter="sometimes")  # type: ignore[arg-type]
    assert RetryPolicy(jitter="none").jitter is Jitter.NONE  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"policy must be None or a RetryPolicy"):
        retry(lambda: 1, policy={"max_attempts": 3})  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"op must be"):
        retry(None)  # type: ignore[arg-type]


def test_is_retryable_is_the_classifier() -> None:
    class Quota(Exception):
        status_code = 429

        def __init__(self) -> None:
            super().__init__("quota")
            self.body = {"error": {"code": "insufficient_quota", "type": "insufficient_quota"}}

    class Overloaded(Exception):
        status_code = 529

    assert predicates.is_retryable(Overloaded())
    assert not predicates.is_retryable(Quota())
    attempts: list[int] = []

    def spent() -> None:
        attempts.append(1)
        raise Quota()

    with pytest.raises(Quota):
        retry(spent, should_retry=predicates.is_retryable, sleep=lambda s: None)
    assert attempts == [1]

    def overloaded() -> None:
        attempts.append(1)
        raise Overloaded()

    with pytest.raises(RetryExhausted) as raised:
        retry(overloaded, policy=RetryPolicy(max_attempts=3), should_retry=predicates.is_retryable, sleep=abs)
    assert len(attempts) == 4
    assert isinstance(raised.value.last_error, Overloaded)
