"""`CircuitBreaker` through the decorators: trips on provider failures only, fails fast while open, lets
exactly ``half_open_max_calls`` probes through after the cooldown, and is safe to share between functions
and threads. The breaker runs on a fake clock: nothing waits in real time.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest
from doubles import told_wait
from llm_retry import BreakerState, CircuitBreaker, CircuitOpenError, RefusalReason, retry_llm

COOLDOWN_S = 30.0


def guarded(breaker: CircuitBreaker, fake_clock: Any, **overrides: Any) -> Any:
    """A one-attempt function behind ``breaker`` that raises what it is handed, or returns "ok"."""
    calls: list[BaseException | None] = []

    @retry_llm(breaker=breaker, max_attempts=1, sleep=fake_clock.sleep, clock=fake_clock, **overrides)
    def call(error: BaseException | None = None) -> str:
        calls.append(error)
        if error is not None:
            raise error
        return "ok"

    call.calls = calls  # type: ignore[attr-defined]
    return call


def fail(call: Any, error: BaseException) -> None:
    with pytest.raises(type(error)):
        call(error)


def new_breaker(fake_clock: Any, **kwargs: Any) -> CircuitBreaker:
    """The breaker these tests reason about: 3 failures, 30 s breaks, and no slow start after closing (which
    would refuse some calls right after a close; tests/test_breaker_recovery.py covers it)."""
    kwargs.setdefault("failure_threshold", 3)
    kwargs.setdefault("cooldown_s", COOLDOWN_S)
    kwargs.setdefault("slow_start_s", 0.0)
    return CircuitBreaker(clock=fake_clock, seed=1, **kwargs)


def test_consecutive_provider_failures_open_the_breaker(fake_clock, make_error):
    breaker = new_breaker(fake_clock)
    call = guarded(breaker, fake_clock)
    assert breaker.state is BreakerState.CLOSED
    fail(call, make_error(529))
    fail(call, make_error(503))
    assert breaker.state is BreakerState.CLOSED
    fail(call, ConnectionResetError("reset"))
    assert breaker.state is BreakerState.OPEN
    assert isinstance(breaker.state, BreakerState)


def test_an_open_breaker_fails_fast_without_calling(fake_clock, make_error):
    breaker = new_breaker(fake_clock, name="anthropic")
    call = guarded(breaker, fake_clock)
    for _ in range(3):
        fail(call, make_error(500))
    assert len(call.calls) == 3
    fake_clock.advance(10.0)
    with pytest.raises(CircuitOpenError) as excinfo:
        call()
    assert len(call.calls) == 3
    # The time left, jittered upward so that callers refused together do not come back together.
    assert told_wait(excinfo.value.retry_in_s, COOLDOWN_S - 10.0)
    assert excinfo.value.breaker_name == "anthropic"
    assert excinfo.value.state is BreakerState.OPEN
    assert excinfo.value.reason is RefusalReason.OPEN
    assert "anthropic" in str(excinfo.value)
    assert breaker.retry_in_s() == pytest.approx(COOLDOWN_S - 10.0)
    assert fake_clock.sleeps == []


@pytest.mark.parametrize("status", [400, 401, 403, 404, 422])
def test_client_errors_never_count(fake_clock, make_error, status):
    breaker = new_breaker(fake_clock)
    call = guarded(breaker, fake_clock)
    fail(call, make_error(503))
    fail(call, make_error(503))
    for _ in range(10):
        fail(call, make_error(status))
    assert breaker.state is BreakerState.CLOSED


def test_a_success_resets_the_count(fake_clock, make_error):
    breaker = new_breaker(fake_clock)
    call = guarded(breaker, fake_clock)
    for _ in range(3):
        fail(call, make_error(529))
        fail(call, make_error(529))
        assert call() == "ok"
    assert breaker.state is BreakerState.CLOSED
    for _ in range(3):
        fail(call, make_error(529))
    assert breaker.state is BreakerState.OPEN


def test_half_open_after_the_cooldown_and_a_probe_success_closes(fake_clock, make_error):
    changes: list[tuple[BreakerState, BreakerState]] = []
    breaker = new_breaker(fake_clock, on_state_change=lambda b, old, new: changes.append((old, new)))
    call = guarded(breaker, fake_clock)
    for _ in range(3):
        fail(call, make_error(529))
    fake_clock.advance(COOLDOWN_S - 0.001)
    assert breaker.state is BreakerState.OPEN
    with pytest.raises(CircuitOpenError):
        call()
    fake_clock.advance(0.001)
    assert breaker.state is BreakerState.HALF_OPEN
    assert breaker.retry_in_s() == 0
    assert call() == "ok"
    assert breaker.state is BreakerState.CLOSED
    assert changes == [
        (BreakerState.CLOSED, BreakerState.OPEN),
        (BreakerState.OPEN, BreakerState.HALF_OPEN),
        (BreakerState.HALF_OPEN, BreakerState.CLOSED),
    ]


def test_a_probe_failure_reopens_for_longer(fake_clock, make_error):
    changes: list[tuple[BreakerState, BreakerState]] = []
    breaker = new_breaker(
        fake_clock,
        max_cooldown_s=10 * COOLDOWN_S,  # room to grow: a cooldown above the 10 s default cap is its own cap
        on_state_change=lambda b, old, new: changes.append((old, new)),
    )
    call = guarded(breaker, fake_clock)
    for _ in range(3):
        fail(call, make_error(503))
    fake_clock.advance(COOLDOWN_S)
    fail(call, make_error(503))
    assert breaker.state is BreakerState.OPEN
    assert changes[-2:] == [
        (BreakerState.OPEN, BreakerState.HALF_OPEN),
        (BreakerState.HALF_OPEN, BreakerState.OPEN),
    ]
    # Doubled, with at most ±20 % jitter (the default).
    assert 0.8 * 2 * COOLDOWN_S <= breaker.retry_in_s() <= 1.2 * 2 * COOLDOWN_S
    with pytest.raises(CircuitOpenError):
        call()
    assert len(call.calls) == 4


def test_a_client_error_on_a_probe_neither_closes_nor_reopens(fake_clock, make_error):
    breaker = new_breaker(fake_clock)
    call = guarded(breaker, fake_clock)
    for _ in range(3):
        fail(call, make_error(503))
    fake_clock.advance(COOLDOWN_S)
    fail(call, make_error(400))
    assert breaker.state is BreakerState.HALF_OPEN
    assert call() == "ok"
    assert breaker.state is BreakerState.CLOSED


def test_exactly_half_open_max_calls_probes_are_let_through(fake_clock, make_error):
    # Probes in flight at once, in one thread: each probe calls the next guarded function from inside.
    breaker = new_breaker(fake_clock, half_open_max_calls=2)
    trip = guarded(breaker, fake_clock)
    for _ in range(3):
        fail(trip, make_error(529))
    fake_clock.advance(COOLDOWN_S)
    entered: list[str] = []
    rejected: list[CircuitOpenError] = []

    def nested(depth: int) -> Any:
        @retry_llm(breaker=breaker, max_attempts=1, sleep=fake_clock.sleep, clock=fake_clock)
        def probe() -> str:
            entered.append(f"probe {depth}")
            try:
                nested(depth + 1)()
            except CircuitOpenError as exc:
                rejected.append(exc)
            return "ok"

        return probe

    assert nested(1)() == "ok"
    assert entered == ["probe 1", "probe 2"]
    assert len(rejected) == 1
    assert rejected[0].state is BreakerState.HALF_OPEN
    assert rejected[0].reason is RefusalReason.HALF_OPEN_FULL
    assert told_wait(rejected[0].retry_in_s, 1.0)
    assert breaker.state is BreakerState.CLOSED


def test_one_breaker_shared_by_two_functions(fake_clock, make_error):
    breaker = new_breaker(fake_clock)
    first = guarded(breaker, fake_clock)
    second = guarded(breaker, fake_clock)
    fail(first, make_error(529))
    fail(second, make_error(529))
    fail(first, make_error(529))
    assert breaker.state is BreakerState.OPEN
    for call in (first, second):
        with pytest.raises(CircuitOpenError):
            call()
    assert len(first.calls) == 2
    assert len(second.calls) == 1
    fake_clock.advance(COOLDOWN_S)
    assert second() == "ok"
    assert breaker.state is BreakerState.CLOSED
    assert first() == "ok"


def test_retries_stop_when_the_breaker_opens_mid_call(fake_clock, make_error):
    breaker = new_breaker(fake_clock, name="provider")
    errors = [make_error(529) for _ in range(5)]
    calls: list[int] = []

    @retry_llm(breaker=breaker, max_attempts=5, sleep=fake_clock.sleep, clock=fake_clock)
    def call() -> str:
        calls.append(1)
        raise errors[len(calls) - 1]

    with pytest.raises(type(errors[0])) as excinfo:
        call()
    # The third failure opens the breaker; the fourth attempt is not made.
    assert len(calls) == 3
    assert excinfo.value is errors[2]
    assert any("circuit breaker" in note and "provider" in note for note in excinfo.value.__notes__)
    assert breaker.state is BreakerState.OPEN


def test_on_state_change_hook_gets_the_breaker_and_the_states(fake_clock, make_error):
    seen: list[tuple[Any, BreakerState, BreakerState]] = []
    breaker = new_breaker(fake_clock, failure_threshold=1, on_state_change=lambda *a: seen.append(a))
    call = guarded(breaker, fake_clock)
    fail(call, make_error(503))
    assert len(seen) == 1
    owner, old, new = seen[0]
    assert owner is breaker
    assert (old, new) == (BreakerState.CLOSED, BreakerState.OPEN)
    assert isinstance(old, BreakerState)
    assert isinstance(new, BreakerState)


def test_open_and_close_by_hand(fake_clock):
    changes: list[tuple[BreakerState, BreakerState]] = []
    breaker = new_breaker(fake_clock, on_state_change=lambda b, old, new: changes.append((old, new)))
    call = guarded(breaker, fake_clock)
    breaker.open()
    assert breaker.state is BreakerState.OPEN
    with pytest.raises(CircuitOpenError) as excinfo:
        call()
    assert call.calls == []
    assert told_wait(excinfo.value.retry_in_s, COOLDOWN_S)
    breaker.open()  # already open: no second transition
    breaker.close()
    assert breaker.state is BreakerState.CLOSED
    assert call() == "ok"
    breaker.close()  # already closed
    assert changes == [
        (BreakerState.CLOSED, BreakerState.OPEN),
        (BreakerState.OPEN, BreakerState.CLOSED),
    ]


def test_close_forgets_the_failures(fake_clock, make_error):
    breaker = new_breaker(fake_clock)
    call = guarded(breaker, fake_clock)
    fail(call, make_error(503))
    fail(call, make_error(503))
    breaker.close()
    fail(call, make_error(503))
    fail(call, make_error(503))
    assert breaker.state is BreakerState.CLOSED


def test_state_values_and_repr(fake_clock):
    breaker = new_breaker(fake_clock, name="groq")
    assert breaker.state == "closed"
    assert "groq" in repr(breaker)
    breaker.open()
    assert breaker.state.value == "open"
    fake_clock.advance(COOLDOWN_S)
    assert breaker.state.value == "half_open"


@pytest.mark.parametrize(
    ("kwargs", "error", "parameter"),
    [
        ({"failure_threshold": 0}, ValueError, "failure_threshold"),
        ({"failure_threshold": 2.0}, TypeError, "failure_threshold"),
        ({"half_open_max_calls": 0}, ValueError, "half_open_max_calls"),
        ({"cooldown_s": 0}, ValueError, "cooldown_s"),
        ({"cooldown_s": float("nan")}, ValueError, "cooldown_s"),
        ({"cooldown_s": "30"}, TypeError, "cooldown_s"),
        ({"clock": 3}, TypeError, "clock"),
        ({"on_state_change": "hook"}, TypeError, "on_state_change"),
    ],
)
def test_bad_breaker_arguments_name_the_parameter(kwargs, error, parameter):
    with pytest.raises(error, match=parameter):
        CircuitBreaker(**kwargs)


# --- threads ------------------------------------------------------------------------------------------

THREADS = 32
PROBES = 3


def test_many_threads_hitting_a_half_open_breaker_let_exactly_the_probes_through(fake_clock, make_error):
    breaker = new_breaker(fake_clock, half_open_max_calls=PROBES)
    trip = guarded(breaker, fake_clock)
    for _ in range(3):
        fail(trip, make_error(503))
    fake_clock.advance(COOLDOWN_S)
    assert breaker.state is BreakerState.HALF_OPEN

    barrier = threading.Barrier(THREADS)
    release = threading.Event()
    changed = threading.Condition()
    entered = 0
    outcomes: list[object] = []

    @retry_llm(breaker=breaker, max_attempts=1, sleep=fake_clock.sleep, clock=fake_clock)
    def probe() -> str:
        nonlocal entered
        with changed:
            entered += 1
            changed.notify_all()
        # Held inside the function until every other thread has been turned away.
        assert release.wait(timeout=30)
        return "ok"

    def worker() -> None:
        barrier.wait(timeout=30)
        try:
            result: object = probe()
        except CircuitOpenError as exc:
            result = exc
        except BaseException as exc:  # reported by the assertions below
            result = exc
        with changed:
            outcomes.append(result)
            changed.notify_all()

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    try:
        with changed:
            settled = changed.wait_for(lambda: len(outcomes) >= THREADS - PROBES and entered >= PROBES, 30)
            assert settled, (entered, outcomes)
            assert entered == PROBES
            assert len(outcomes) == THREADS - PROBES
    finally:
        release.set()
        for thread in threads:
            thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads)
    rejections = [o for o in outcomes if isinstance(o, CircuitOpenError)]
    assert len(rejections) == THREADS - PROBES
    assert all(r.state is BreakerState.HALF_OPEN for r in rejections)
    assert outcomes.count("ok") == PROBES
    assert entered == PROBES
    assert breaker.state is BreakerState.CLOSED
