"""Server hints (retry-after, retry-after-ms, HTTP-date, x-should-retry) and what the caller gets back when
the retries end: the same exception object, with a PEP 678 note saying why; or, when nothing was retried,
the exception untouched.
"""

from __future__ import annotations

import email.utils
import time
from typing import Any

import pytest
from llm_retry import ErrorKind, RetryEvent, classify, retry_llm


def raising(errors: list[BaseException], result: Any = "ok") -> Any:
    def call() -> Any:
        call.calls += 1  # type: ignore[attr-defined]
        if errors:
            raise errors.pop(0)
        return result

    call.calls = 0  # type: ignore[attr-defined]
    return call


def llm_notes(exc: BaseException) -> list[str]:
    return [note for note in getattr(exc, "__notes__", []) if note.startswith("llm-retry")]


# --- hints --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "expected_s"),
    [
        ({"retry-after": "3"}, 3.0),
        ({"retry-after": "1.5"}, 1.5),
        ({"retry-after": "0.25"}, 0.25),
        ({"Retry-After": "4"}, 4.0),
        ({"retry-after-ms": "1500"}, 1.5),
        ({"retry-after-ms": "250", "retry-after": "10"}, 0.25),
        ({"retry-after": "10", "retry-after-ms": "2000"}, 2.0),
    ],
)
def test_the_server_hint_is_the_wait(fake_clock, make_error, headers, expected_s):
    events: list[RetryEvent] = []
    fn = raising([make_error(429, headers=headers)])
    wrapped = retry_llm(seed=1, sleep=fake_clock.sleep, clock=fake_clock, on_retry=events.append)(fn)
    assert wrapped() == "ok"
    assert fake_clock.sleeps == [expected_s]
    assert events[0].delay_s == expected_s
    assert events[0].from_hint is True
    assert classify(make_error(429, headers=headers)).retry_after_s == expected_s


def test_retry_after_as_an_http_date(fake_clock, make_error):
    when = email.utils.formatdate(time.time() + 30, usegmt=True)
    fn = raising([make_error(503, headers={"retry-after": when})])
    assert retry_llm(sleep=fake_clock.sleep, clock=fake_clock)(fn)() == "ok"
    # An HTTP-date has whole seconds and the clock keeps running: about 30 s, never more than 30.
    [delay_s] = fake_clock.sleeps
    assert 25.0 <= delay_s <= 30.0


def test_retry_after_as_a_past_http_date_means_now(make_error):
    slept: list[float] = []
    when = email.utils.formatdate(time.time() - 3600, usegmt=True)
    fn = raising([make_error(429, headers={"retry-after": when})])
    assert retry_llm(sleep=slept.append)(fn)() == "ok"
    assert fn.calls == 2
    assert slept == []


def test_the_hint_is_used_exactly_not_jittered_nor_capped(fake_clock, make_error):
    # Far above max_delay_s and base_delay_s, within max_retry_after_s: slept as is, every time.
    errors = [make_error(429, headers={"retry-after": "7"}) for _ in range(5)]
    events: list[RetryEvent] = []
    wrapped = retry_llm(
        max_attempts=6,
        base_delay_s=0.5,
        max_delay_s=1.0,
        seed=11,
        sleep=fake_clock.sleep,
        clock=fake_clock,
        on_retry=events.append,
        budget=None,
    )(raising(errors))
    assert wrapped() == "ok"
    assert fake_clock.sleeps == [7.0] * 5
    assert all(e.from_hint for e in events)


def test_a_hint_longer_than_max_retry_after_gives_up_at_once(fake_clock, make_error):
    error = make_error(429, headers={"retry-after": "120"})
    fn = raising([error])
    events: list[RetryEvent] = []
    wrapped = retry_llm(
        max_attempts=5,
        max_retry_after_s=60.0,
        sleep=fake_clock.sleep,
        clock=fake_clock,
        on_retry=events.append,
    )(fn)
    with pytest.raises(type(error)) as excinfo:
        wrapped()
    assert excinfo.value is error
    assert fn.calls == 1
    assert fake_clock.sleeps == []
    assert events == []
    [note] = llm_notes(error)
    assert "max_retry_after_s" in note
    assert "120" in note


def test_a_hint_within_a_raised_max_retry_after_is_slept(fake_clock, make_error):
    fn = raising([make_error(429, headers={"retry-after": "120"})])
    assert retry_llm(max_retry_after_s=300.0, sleep=fake_clock.sleep, clock=fake_clock)(fn)() == "ok"
    assert fake_clock.sleeps == [120.0]


def test_x_should_retry_true_retries_a_400(fake_clock, make_error):
    assert classify(make_error(400)).retryable is False
    fn = raising([make_error(400, headers={"x-should-retry": "true"})])
    assert retry_llm(sleep=fake_clock.sleep, clock=fake_clock)(fn)() == "ok"
    assert fn.calls == 2


def test_x_should_retry_false_stops_a_500(fake_clock, make_error):
    assert classify(make_error(500)).retryable is True
    error = make_error(500, headers={"x-should-retry": "false"})
    fn = raising([error])
    with pytest.raises(type(error)) as excinfo:
        retry_llm(sleep=fake_clock.sleep, clock=fake_clock)(fn)()
    assert excinfo.value is error
    assert fn.calls == 1
    assert fake_clock.sleeps == []
    assert llm_notes(error) == []


# --- exhaustion ---------------------------------------------------------------------------------------


def test_exhaustion_reraises_the_same_exception_with_a_note(fake_clock, make_error):
    errors = [make_error(529) for _ in range(4)]
    fn = raising(list(errors))
    with pytest.raises(type(errors[0])) as excinfo:
        retry_llm(max_attempts=4, sleep=fake_clock.sleep, clock=fake_clock)(fn)()
    assert excinfo.value is errors[-1]
    assert fn.calls == 4
    [note] = llm_notes(excinfo.value)
    assert "gave up after 4 attempts" in note
    assert "overloaded" in note
    assert "529" in note
    # Earlier failures are not annotated, and nothing is chained onto the raised one.
    assert all(llm_notes(e) == [] for e in errors[:-1])
    assert excinfo.value.__cause__ is None


def test_exhaustion_with_one_attempt_names_it(fake_clock):
    error = ConnectionResetError("peer reset")
    with pytest.raises(ConnectionResetError) as excinfo:
        retry_llm(max_attempts=1, sleep=fake_clock.sleep)(raising([error]))()
    assert excinfo.value is error
    [note] = llm_notes(error)
    assert "1 attempt" in note
    assert fake_clock.sleeps == []


def test_exhaustion_keeps_the_exceptions_own_notes_and_args(fake_clock, make_error):
    error = make_error(503)
    error.__notes__ = ["from the SDK"]
    fn = raising([error, error])
    with pytest.raises(type(error)) as excinfo:
        retry_llm(max_attempts=2, sleep=fake_clock.sleep)(fn)()
    assert excinfo.value is error
    assert error.args == ("Error code: 503",)
    assert error.__notes__[0] == "from the SDK"
    assert len(llm_notes(error)) == 1


# --- not retried --------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [400, 401, 403, 404, 422])
def test_a_client_error_passes_through_unchanged(fake_clock, make_error, status):
    error = make_error(status, body={"type": "error", "error": {"type": "invalid_request_error"}})
    fn = raising([error])
    events: list[RetryEvent] = []
    with pytest.raises(type(error)) as excinfo:
        retry_llm(sleep=fake_clock.sleep, clock=fake_clock, on_retry=events.append)(fn)()
    assert excinfo.value is error
    assert fn.calls == 1
    assert fake_clock.sleeps == []
    assert events == []
    assert not hasattr(error, "__notes__")
    assert error.args == (f"Error code: {status}",)
    assert error.__cause__ is None
    assert error.__context__ is None


def test_a_plain_bug_passes_through_unchanged(fake_clock):
    error = KeyError("missing")
    fn = raising([error])
    with pytest.raises(KeyError) as excinfo:
        retry_llm(sleep=fake_clock.sleep)(fn)()
    assert excinfo.value is error
    assert fn.calls == 1
    assert fake_clock.sleeps == []
    assert not hasattr(error, "__notes__")


def test_quota_exhausted_429_is_not_retried(fake_clock, make_error):
    error = make_error(
        429, body={"error": {"code": "insufficient_quota", "message": "You exceeded your quota"}}
    )
    assert classify(error).kind is ErrorKind.QUOTA_EXHAUSTED
    fn = raising([error])
    with pytest.raises(type(error)) as excinfo:
        retry_llm(sleep=fake_clock.sleep)(fn)()
    assert excinfo.value is error
    assert fn.calls == 1
    assert fake_clock.sleeps == []
