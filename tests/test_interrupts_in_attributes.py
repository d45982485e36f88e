"""A Ctrl-C is never lost inside classification: a KeyboardInterrupt, SystemExit or any other BaseException
that is not an Exception, raised while `classify` reads an exception's attributes (a property, `__getattr__`,
a headers mapping, `__str__`), comes out of `classify` and out of the decorated call at once, the very object
raised, without another attempt. An `Exception` raised there is still absent evidence.

The signal tests deliver a real SIGINT to this process from inside a property and let Python's own handler
turn it into the KeyboardInterrupt; they assert what happened, never how long it took.
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections.abc import Callable, Iterator
from typing import Any

import llm_retry
import pytest
from doubles import FakeClock
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from llm_retry import BreakerState, CircuitBreaker, async_retry_llm, retry_llm


class CustomStop(BaseException):
    """A BaseException of the user's own: not an Exception, so never absent evidence either."""


INTERRUPTS: list[Callable[[], BaseException]] = [
    KeyboardInterrupt,
    lambda: SystemExit(3),
    GeneratorExit,
    asyncio.CancelledError,
    CustomStop,
]
IDS = ["KeyboardInterrupt", "SystemExit", "GeneratorExit", "CancelledError", "CustomStop"]


def raising_status(interrupt: BaseException) -> BaseException:
    """A 503 whose `status_code` property raises `interrupt` (SDKs often compute it in a property)."""

    class ServiceUnavailable(Exception):
        @property
        def status_code(self) -> int:
            raise interrupt

    return ServiceUnavailable("upstream busy")


@pytest.mark.parametrize("make", INTERRUPTS, ids=IDS)
def test_an_interrupt_in_a_property_comes_out_of_classify(make: Callable[[], BaseException]) -> None:
    interrupt = make()
    with pytest.raises(type(interrupt)) as raised:
        llm_retry.classify(raising_status(interrupt))
    assert raised.value is interrupt


def test_an_exception_in_a_property_is_still_absent_evidence() -> None:
    class Odd(Exception):
        status_code = 429

        @property
        def headers(self) -> dict[str, str]:
            raise RuntimeError("broken headers")

    c = llm_retry.classify(Odd())
    assert c.status == 429 and c.retryable


def _shapes(interrupt: BaseException) -> dict[str, Callable[[], BaseException]]:
    """The places an interrupt may surface while classifying, each reached by a realistic exception."""

    def stop(*_: Any) -> Any:
        raise interrupt

    class Dynamic(Exception):
        def __getattr__(self, name: str) -> Any:
            raise interrupt

    class Headers:
        def items(self) -> Any:
            raise interrupt

    class HeaderIterator:
        def items(self) -> Iterator[tuple[str, str]]:
            yield ("content-type", "application/json")
            raise interrupt

    class Response:
        status_code = 429

        @property
        def headers(self) -> Any:
            raise interrupt

    class Loud(Exception):
        status_code = 500

        def __str__(self) -> str:
            raise interrupt

    class Grpc(Exception):
        def code(self) -> Any:
            raise interrupt

    Grpc.__module__ = "grpc"

    class Future:
        def exception(self) -> BaseException:
            raise interrupt

    class RetryError(Exception):
        pass

    RetryError.__module__ = "tenacity"

    class Violations:
        def __iter__(self) -> Iterator[Any]:
            raise interrupt

    class QuotaFailure:
        violations = Violations()

    def with_attrs(exc: BaseException, **attrs: Any) -> BaseException:
        for name, value in attrs.items():
            setattr(exc, name, value)
        return exc

    def deep_cause() -> BaseException:
        outer = RuntimeError("outer")
        outer.__cause__ = raising_status(interrupt)
        return outer

    return {
        "__getattr__": lambda: Dynamic(),
        "headers.items()": lambda: with_attrs(Exception(), status_code=429, headers=Headers()),
        "headers iterator": lambda: with_attrs(Exception(), status_code=429, headers=HeaderIterator()),
        "response.headers": lambda: with_attrs(Exception(), response=Response()),
        "__str__": lambda: Loud(),
        "grpc code()": lambda: Grpc(),
        "tenacity last_attempt": lambda: with_attrs(RetryError(), last_attempt=Future()),
        "protobuf violations": lambda: with_attrs(Exception(), details=[QuotaFailure()]),
        "a cause's property": deep_cause,
        "property on the class": lambda: type("P", (Exception,), {"status": property(stop)})(),
    }


SHAPE_NAMES = list(_shapes(KeyboardInterrupt()))


@pytest.mark.parametrize("shape", SHAPE_NAMES)
@pytest.mark.parametrize("make", INTERRUPTS, ids=IDS)
def test_an_interrupt_anywhere_in_the_reading_comes_out(
    make: Callable[[], BaseException], shape: str
) -> None:
    interrupt = make()
    exc = _shapes(interrupt)[shape]()
    with pytest.raises(BaseException) as raised:
        llm_retry.classify(exc)
    assert raised.value is interrupt


def test_classify_works_normally_after_an_interrupt() -> None:
    with pytest.raises(KeyboardInterrupt):
        llm_retry.classify(raising_status(KeyboardInterrupt()))
    ok = type("Overloaded", (Exception,), {"status_code": 529})()
    assert llm_retry.classify(ok).kind is llm_retry.ErrorKind.OVERLOADED


def test_a_classify_nested_in_a_property_keeps_its_own_interrupt() -> None:
    """A property that classifies another exception, whose own reading is interrupted, and goes on."""

    class Careful(Exception):
        status_code = 503

        @property
        def message(self) -> str:
            try:
                llm_retry.classify(raising_status(CustomStop()))
            except CustomStop:
                return "the inner one was interrupted"
            return "not interrupted"

    c = llm_retry.classify(Careful())
    assert c.status == 503 and c.retryable


# --- a real SIGINT -------------------------------------------------------------------------------------


@pytest.fixture
def sigint_raises_keyboard_interrupt() -> Iterator[None]:
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def ctrl_c_in_status_code() -> BaseException:
    """An overload whose `status_code` property is where the user's Ctrl-C lands."""

    class Overloaded(Exception):
        @property
        def status_code(self) -> int:
            os.kill(os.getpid(), signal.SIGINT)
            # Python runs the handler between bytecodes: the KeyboardInterrupt surfaces here, in the loop.
            for _ in range(2_000):
                time.sleep(0.001)
            return 529

    return Overloaded("overloaded")


@pytest.mark.usefixtures("sigint_raises_keyboard_interrupt")
def test_a_real_sigint_inside_a_property_comes_out_of_classify() -> None:
    with pytest.raises(KeyboardInterrupt):
        llm_retry.classify(ctrl_c_in_status_code())


@pytest.mark.usefixtures("sigint_raises_keyboard_interrupt")
def test_a_real_sigint_while_classifying_ends_a_decorated_call_without_another_attempt() -> None:
    clock = FakeClock()
    calls: list[int] = []

    @retry_llm(max_attempts=5, sleep=clock.sleep, clock=clock)
    def call() -> str:
        calls.append(1)
        raise ctrl_c_in_status_code()

    with pytest.raises(KeyboardInterrupt) as raised:
        call()
    assert calls == [1]
    assert clock.sleeps == []
    # The user's own error is kept as the context of the interrupt, as Python chains any raise in a handler.
    assert type(raised.value.__context__).__name__ == "Overloaded"


@pytest.mark.usefixtures("sigint_raises_keyboard_interrupt")
def test_a_real_sigint_while_classifying_ends_an_async_call() -> None:
    """Under `asyncio.run` a Ctrl-C cancels the main task rather than raising in the property: the call
    stops there, without a second attempt, and `asyncio.run` raises the KeyboardInterrupt."""
    clock = FakeClock()
    calls: list[int] = []

    @async_retry_llm(max_attempts=5, sleep=clock.async_sleep, clock=clock)
    async def call() -> str:
        calls.append(1)
        raise ctrl_c_in_status_code()

    with pytest.raises(KeyboardInterrupt):
        asyncio.run(call())
    assert calls == [1]
    assert clock.sleeps == []


@pytest.mark.usefixtures("sigint_raises_keyboard_interrupt")
def test_a_real_sigint_in_a_probe_frees_its_slot() -> None:
    clock = FakeClock()
    breaker = CircuitBreaker(failure_threshold=1, cooldown_s=10.0, half_open_max_calls=1, clock=clock)

    class Down(Exception):
        status_code = 503

    outcomes: list[Callable[[], BaseException] | None] = [
        Down,
        ctrl_c_in_status_code,
        None,
    ]

    @retry_llm(breaker=breaker, max_attempts=1, sleep=clock.sleep, clock=clock)
    def call() -> str:
        outcome = outcomes.pop(0)
        if outcome is not None:
            raise outcome()
        return "ok"

    with pytest.raises(Down):
        call()
    assert breaker.state is BreakerState.OPEN
    clock.advance(10.0)
    with pytest.raises(KeyboardInterrupt):
        call()
    # The interrupted probe said nothing about the provider: still half-open, and its slot is free again.
    assert breaker.state is BreakerState.HALF_OPEN
    assert call() == "ok"
    assert breaker.state is BreakerState.CLOSED


# --- fuzzed: an interrupt at any one of the reads ------------------------------------------------------


class Tripwire:
    """Counts the Python-level reads the classifier makes and raises `interrupt` at read number `at`."""

    def __init__(self, at: int, interrupt: BaseException) -> None:
        self.at, self.interrupt, self.reads, self.fired = at, interrupt, 0, False

    def tick(self) -> None:
        self.reads += 1
        if self.reads == self.at:
            self.fired = True
            raise self.interrupt


def wired_exception(wire: Tripwire, depth: int = 0) -> BaseException:
    """An HTTP-shaped error in which every attribute read, header walk and `str()` ticks the wire."""

    class Headers:
        def items(self) -> Iterator[tuple[str, str]]:
            for pair in [("retry-after", "2"), ("x-request-id", "abc")]:
                wire.tick()
                yield pair

    class Response:
        def __getattribute__(self, name: str) -> Any:
            wire.tick()
            return {"status_code": 429, "headers": Headers()}.get(name)

    class Wired(Exception):
        def __getattribute__(self, name: str) -> Any:
            wire.tick()
            return object.__getattribute__(self, name)

        def __str__(self) -> str:
            wire.tick()
            return "rate limited"

    exc = Wired("rate limited")
    exc.response = Response()  # type: ignore[attr-defined]
    exc.type = "rate_limit_error"  # type: ignore[attr-defined]
    if depth < 2:
        exc.__cause__ = wired_exception(wire, depth + 1)
    return exc


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(at=st.integers(min_value=1, max_value=80), which=st.sampled_from(range(len(INTERRUPTS))))
def test_an_interrupt_at_any_read_comes_out_and_nothing_else_does(at: int, which: int) -> None:
    interrupt = INTERRUPTS[which]()
    wire = Tripwire(at, interrupt)
    exc = wired_exception(wire)
    try:
        c = llm_retry.classify(exc)
    except BaseException as raised:
        assert wire.fired and raised is interrupt
        # Nothing more was read once the interrupt was raised.
        assert wire.reads == at
    else:
        assert not wire.fired
        assert c.status == 429 and c.kind is llm_retry.ErrorKind.RATE_LIMITED
