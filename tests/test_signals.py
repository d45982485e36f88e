"""Interrupts and cancellation are never retried: KeyboardInterrupt, SystemExit, GeneratorExit and
CancelledError from the function, an asyncio task or trio scope cancelled mid-backoff, Ctrl-C during a
real ``time.sleep``. The cancellation tests use the libraries' real sleeps with long waits and stop them;
they assert what happened, never how long it took.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import textwrap
from typing import Any

import llm_retry
import pytest
import trio
import trio.testing
from llm_retry import BreakerState, CircuitBreaker, RetryEvent, async_retry_llm, retry_llm

INTERRUPTS = [KeyboardInterrupt, SystemExit, GeneratorExit, asyncio.CancelledError]


def llm_notes(exc: BaseException) -> list[str]:
    return [note for note in getattr(exc, "__notes__", []) if note.startswith("llm-retry")]


# --- raised by the function ---------------------------------------------------------------------------


@pytest.mark.parametrize("interrupt", INTERRUPTS, ids=lambda t: t.__name__)
def test_sync_function_raising_an_interrupt_is_not_retried(fake_clock, interrupt):
    error = interrupt()
    calls: list[int] = []

    @retry_llm(max_attempts=5, sleep=fake_clock.sleep, clock=fake_clock)
    def call() -> None:
        calls.append(1)
        raise error

    with pytest.raises(interrupt) as excinfo:
        call()
    assert excinfo.value is error
    assert calls == [1]
    assert fake_clock.sleeps == []
    assert llm_notes(error) == []


@pytest.mark.parametrize("interrupt", INTERRUPTS, ids=lambda t: t.__name__)
def test_sync_interrupt_after_a_retry_is_not_retried(fake_clock, make_error, interrupt):
    errors: list[BaseException] = [make_error(529), interrupt()]
    calls: list[int] = []

    @retry_llm(max_attempts=5, sleep=fake_clock.sleep, clock=fake_clock)
    def call() -> None:
        calls.append(1)
        raise errors.pop(0)

    with pytest.raises(interrupt):
        call()
    assert calls == [1, 1]
    assert len(fake_clock.sleeps) <= 1


@pytest.mark.parametrize("interrupt", INTERRUPTS, ids=lambda t: t.__name__)
def test_async_function_raising_an_interrupt_is_not_retried(fake_clock, interrupt):
    error = interrupt()
    calls: list[int] = []

    @async_retry_llm(max_attempts=5, sleep=fake_clock.async_sleep, clock=fake_clock)
    async def call() -> None:
        calls.append(1)
        raise error

    async def main() -> BaseException | None:
        try:
            await call()
        except BaseException as exc:
            return exc
        return None

    assert asyncio.run(main()) is error
    assert calls == [1]
    assert fake_clock.sleeps == []
    assert llm_notes(error) == []


def test_an_interrupted_probe_frees_its_slot(fake_clock, make_error):
    breaker = CircuitBreaker(failure_threshold=1, cooldown_s=10.0, half_open_max_calls=1, clock=fake_clock)
    outcomes: list[BaseException | None] = [make_error(503), KeyboardInterrupt(), None]

    @retry_llm(breaker=breaker, max_attempts=1, sleep=fake_clock.sleep, clock=fake_clock)
    def call() -> str:
        outcome = outcomes.pop(0)
        if outcome is not None:
            raise outcome
        return "ok"

    with pytest.raises(type(make_error(503))):
        call()
    fake_clock.advance(10.0)
    with pytest.raises(KeyboardInterrupt):
        call()
    # The interrupted probe said nothing about the provider: still half-open, and its slot is free again.
    assert breaker.state is BreakerState.HALF_OPEN
    assert call() == "ok"
    assert breaker.state is BreakerState.CLOSED


# --- asyncio cancellation -----------------------------------------------------------------------------


def test_a_cancelled_async_probe_frees_its_slot(fake_clock, make_error):
    breaker = CircuitBreaker(failure_threshold=1, cooldown_s=10.0, half_open_max_calls=1, clock=fake_clock)
    breaker.open()
    fake_clock.advance(10.0)
    calls: list[int] = []

    async def main() -> str:
        started = asyncio.Event()

        @async_retry_llm(breaker=breaker, max_attempts=1, sleep=fake_clock.async_sleep, clock=fake_clock)
        async def call() -> str:
            calls.append(1)
            if len(calls) == 1:
                started.set()
                await asyncio.sleep(3600)
            return "ok"

        task = asyncio.create_task(call())
        await started.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert breaker.state is BreakerState.HALF_OPEN
        return await call()

    assert asyncio.run(main()) == "ok"
    assert calls == [1, 1]
    assert breaker.state is BreakerState.CLOSED


def test_asyncio_task_cancelled_mid_backoff_stops_at_once(make_error):
    calls: list[int] = []
    events: list[RetryEvent] = []

    async def main() -> asyncio.Task[Any]:
        in_backoff = asyncio.Event()

        def on_retry(event: RetryEvent) -> None:
            events.append(event)
            in_backoff.set()

        # The library's own asyncio.sleep, for the server's 30 s.
        @async_retry_llm(max_attempts=5, on_retry=on_retry)
        async def call() -> str:
            calls.append(1)
            if len(calls) > 1:
                return "retried"  # a broken loop ends here at once rather than waiting again
            raise make_error(429, headers={"retry-after": "30"})

        task = asyncio.create_task(call())
        await in_backoff.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return task

    task = asyncio.run(main())
    assert task.cancelled()
    assert calls == [1]
    assert [e.delay_s for e in events] == [30.0]


def test_asyncio_task_cancelled_mid_backoff_with_jitter_stops_at_once(make_error):
    calls: list[int] = []

    async def main() -> None:
        in_backoff = asyncio.Event()

        @async_retry_llm(
            max_attempts=5,
            base_delay_s=3600.0,
            max_delay_s=3600.0,
            seed=3,
            on_retry=lambda e: in_backoff.set(),
        )
        async def call() -> str:
            calls.append(1)
            if len(calls) > 1:
                return "retried"
            raise ConnectionResetError("reset")

        task = asyncio.create_task(call())
        await in_backoff.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(main())
    assert calls == [1]


def test_connection_error_is_retried_when_nothing_is_being_cancelled(fake_clock):
    calls: list[int] = []

    @async_retry_llm(max_attempts=3, sleep=fake_clock.async_sleep, clock=fake_clock)
    async def call() -> str:
        calls.append(1)
        if len(calls) == 1:
            raise ConnectionError("connection lost")
        return "ok"

    assert asyncio.run(call()) == "ok"
    assert calls == [1, 1]


def test_a_cancellation_surfacing_as_connection_error_is_not_retried(fake_clock):
    calls: list[int] = []

    async def main() -> asyncio.Task[Any]:
        started = asyncio.Event()

        @async_retry_llm(max_attempts=5, sleep=fake_clock.async_sleep, clock=fake_clock)
        async def call() -> str:
            calls.append(1)
            if len(calls) > 1:
                return "retried"
            started.set()
            try:
                await asyncio.sleep(3600)
            except asyncio.CancelledError:
                # Some clients turn a cancellation into their own connection error.
                raise ConnectionError("connection lost") from None

        task = asyncio.create_task(call())
        await started.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return task

    task = asyncio.run(main())
    assert task.cancelled()
    assert calls == [1]
    assert fake_clock.sleeps == []


# --- trio cancellation --------------------------------------------------------------------------------


def test_trio_cancel_scope_during_backoff_stops_at_once(make_error):
    calls: list[int] = []

    async def main() -> bool:
        in_backoff = trio.Event()
        scope = trio.CancelScope()

        # trio's own sleep, for the server's 30 s.
        @async_retry_llm(max_attempts=5, on_retry=lambda e: in_backoff.set())
        async def call() -> str:
            calls.append(1)
            if len(calls) > 1:
                return "retried"
            raise make_error(429, headers={"retry-after": "30"})

        async def runner() -> None:
            with scope:
                await call()

        async with trio.open_nursery() as nursery:
            nursery.start_soon(runner)
            await in_backoff.wait()
            scope.cancel()
        return scope.cancelled_caught

    assert trio.run(main) is True
    assert calls == [1]


def test_trio_move_on_after_during_backoff_stops_at_once(make_error):
    calls: list[int] = []

    @async_retry_llm(max_attempts=5)
    async def call() -> None:
        calls.append(1)
        raise make_error(503, headers={"retry-after": "30"})

    async def main() -> bool:
        with trio.move_on_after(5) as scope:
            await call()
        return scope.cancelled_caught

    # Virtual time: the 5 s pass instantly.
    assert trio.run(main, clock=trio.testing.MockClock(autojump_threshold=0)) is True
    assert calls == [1]


def test_trio_cancelled_raised_by_the_function_is_not_retried(fake_clock):
    calls: list[int] = []

    @async_retry_llm(max_attempts=5, sleep=fake_clock.async_sleep, clock=fake_clock)
    async def call() -> None:
        calls.append(1)
        await trio.sleep(3600)

    async def main() -> bool:
        with trio.move_on_after(5) as scope:
            await call()
        return scope.cancelled_caught

    assert trio.run(main, clock=trio.testing.MockClock(autojump_threshold=0)) is True
    assert calls == [1]
    assert fake_clock.sleeps == []


# --- Ctrl-C -------------------------------------------------------------------------------------------

# The child runs this script on its own and cannot import tests/doubles.py, so its error is declared in it.
CTRL_C_SCRIPT = textwrap.dedent(
    """
    from llm_retry import retry_llm


    class Response:
        status_code = 529
        headers = {"retry-after": "30"}


    class APIStatusError(Exception):
        status_code = 529
        response = Response()


    attempts = 0


    def announce(event):
        print(f"sleeping after attempt {event.attempt} for {event.delay_s} s", flush=True)


    @retry_llm(max_attempts=5, on_retry=announce)
    def call():
        global attempts
        attempts += 1
        print(f"attempt {attempts}", flush=True)
        raise APIStatusError("overloaded")


    call()
    print("not reached", flush=True)
    """
)


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT to a child process is POSIX")
def test_ctrl_c_interrupts_a_real_sleep_backoff():
    env = dict(os.environ)
    # The child imports the same llm_retry as this test run.
    package_root = os.path.dirname(os.path.dirname(os.path.abspath(llm_retry.__file__)))
    env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH")) if p)
    proc = subprocess.Popen(
        [sys.executable, "-c", CTRL_C_SCRIPT],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert proc.stdout is not None
        lines: list[str] = []
        for line in proc.stdout:
            lines.append(line)
            if line.startswith("sleeping"):
                break
        assert lines == ["attempt 1\n", "sleeping after attempt 1 for 30.0 s\n"]
        proc.send_signal(signal.SIGINT)
        rest, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert rest == ""
    assert "Traceback" in stderr
    assert stderr.rstrip().endswith("KeyboardInterrupt")
    # An uncaught KeyboardInterrupt ends Python by SIGINT itself.
    assert proc.returncode == -signal.SIGINT, (proc.returncode, stderr)
