"""The event stream: every thing llm-retry does to a call, as a typed event, and the listeners they go to
(a decorator's own ``on_event=`` first, then the process-wide ones of `add_listener`).

Events are made only when someone listens: with no listener attached, a call pays nothing for them. A
listener that raises is logged and changes nothing about the call (`_hooks.call_hook`). Events carry what
the library decided, never the call's arguments (they are prompts).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from dataclasses import dataclass

from . import _core
from . import _validate as valid
from ._hooks import call_hook
from ._kinds import BreakerState, ErrorKind, GiveUpReason, RefusalReason


class Event:
    """The base of every event llm-retry emits: `RetryEvent`, `GiveUpEvent`, `SuccessEvent`,
    `RefusalEvent`, `GateWaitEvent`, `BreakerEvent`, `StoreEvent` and `FallbackEvent`. Listeners tell them
    apart with ``isinstance`` or ``match``; every one is a frozen dataclass.

    >>> issubclass(GiveUpEvent, Event)
    True
    """

    __slots__ = ()


Listener = Callable[[Event], object]


@dataclass(frozen=True, slots=True)
class RetryEvent(Event):
    """A failed attempt that will be retried, handed to ``on_retry`` hooks and listeners before the wait.

    ``attempt`` is the 1-based number of the attempt that just failed; ``delay_s`` the wait before the next
    one; ``elapsed_s`` the seconds since the call started (since its first failure when the call has no
    deadline: the success path reads no clock it does not need).
    """

    function: str
    attempt: int
    max_attempts: int
    exception: BaseException
    classification: _core.Classification
    delay_s: float
    from_hint: bool
    elapsed_s: float
    deadline_remaining_s: float | None
    config_name: str

    @property
    def kind(self) -> ErrorKind:
        return self.classification.kind

    @property
    def status(self) -> int | None:
        return self.classification.status


@dataclass(frozen=True, slots=True)
class GiveUpEvent(Event):
    """A call that stopped and raised: ``reason`` says why (a `GiveUpReason`), ``exception`` is what it
    raised. ``attempts`` is how many attempts were made (0 when a breaker or a gate refused the first one);
    ``classification`` is the last failure's, None when no attempt failed. ``slept_s`` is the time the call
    waited between its attempts, ``elapsed_s`` the time since it started (or since its first failure, for a
    call without a deadline). ``streamed`` is True for a stream that failed after its first chunk: its
    answer began, and was told in a `SuccessEvent` if it had retried.

    >>> reason = GiveUpReason.ATTEMPTS_EXHAUSTED
    >>> event = GiveUpEvent("ask", reason, 3, TimeoutError(), None, 1.5, 1.6, "openai")
    >>> event.retries, event.kind
    (2, None)
    """

    function: str
    reason: GiveUpReason
    attempts: int
    exception: BaseException
    classification: _core.Classification | None
    slept_s: float
    elapsed_s: float
    config_name: str
    streamed: bool = False

    @property
    def retries(self) -> int:
        return max(0, self.attempts - 1)

    @property
    def kind(self) -> ErrorKind | None:
        return None if self.classification is None else self.classification.kind


@dataclass(frozen=True, slots=True)
class SuccessEvent(Event):
    """A call that answered after one or more retries (a first attempt that answers makes no event: the
    success path stays free). ``attempts`` counts the answering one; ``slept_s`` is the time waited.

    >>> SuccessEvent("ask", 3, 0.75, 0.8, "anthropic").retries
    2
    """

    function: str
    attempts: int
    slept_s: float
    elapsed_s: float
    config_name: str

    @property
    def retries(self) -> int:
        return self.attempts - 1


@dataclass(frozen=True, slots=True)
class RefusalEvent(Event):
    """A circuit breaker did not admit attempt ``attempt`` of a call: ``reason`` is the `RefusalReason`,
    ``retry_in_s`` when to ask again. ``waits`` is True when the call waits for the breaker
    (``wait_for_breaker=True``) instead of giving up; when it gives up, a `GiveUpEvent` follows."""

    function: str
    breaker: str
    reason: RefusalReason
    retry_in_s: float
    attempt: int
    waits: bool


@dataclass(frozen=True, slots=True)
class GateWaitEvent(Event):
    """A call held ``wait_s`` seconds at a `RateLimitGate` (the provider asked a caller sharing the gate
    to wait) before attempt ``attempt``."""

    function: str
    gate: str
    wait_s: float
    attempt: int


@dataclass(frozen=True, slots=True)
class BreakerEvent(Event):
    """A `CircuitBreaker` changed state. Breakers are shared between functions, so these go to the
    process-wide listeners (`add_listener`), beside the breaker's own ``on_state_change`` hook."""

    breaker: str
    old: BreakerState
    new: BreakerState


@dataclass(frozen=True, slots=True)
class StoreEvent(Event):
    """A `RedisStore` stopped answering (``degraded`` True: breakers, budgets and gates on it use local
    state; ``why`` says what failed) or answers again (``degraded`` False; ``degraded_s`` is how long it was
    away). One of each per outage, to the process-wide listeners (`add_listener`).

    >>> StoreEvent("llm-retry", True, "no answer within 50 ms", None).degraded
    True
    """

    store: str
    degraded: bool
    why: str
    degraded_s: float | None


# The process-wide listeners: a tuple replaced whole under the lock, so that emitting reads it without one.
_listeners: tuple[Listener, ...] = ()
_lock = threading.Lock()


def add_listener(listener: Listener) -> None:
    """Send every event of the process to ``listener`` (a callable taking one `Event`), after the
    ``on_event`` listeners of the call's own decorator. One that raises is logged and ignored.

    >>> from llm_retry import retry_llm
    >>> seen = []
    >>> add_listener(seen.append)
    >>> @retry_llm(max_attempts=2, base_delay_s=0.0, budget=None)
    ... def once() -> None:
    ...     raise ConnectionResetError("peer reset")
    >>> try:
    ...     once()
    ... except ConnectionResetError:
    ...     pass
    >>> remove_listener(seen.append)
    >>> [type(e).__name__ for e in seen]
    ['RetryEvent', 'GiveUpEvent']
    >>> seen[-1].reason
    <GiveUpReason.ATTEMPTS_EXHAUSTED: 'attempts_exhausted'>
    """
    global _listeners
    checked = valid.function("listener", listener)
    with _lock:
        _listeners = (*_listeners, checked)


def remove_listener(listener: Listener) -> None:
    """Stop sending events to ``listener`` (the last time it was added). A listener never added is a
    ValueError."""
    global _listeners
    with _lock:
        found = [i for i, added in enumerate(_listeners) if added == listener]
        if not found:
            raise ValueError(f"listener {valid.shown(listener)} is not registered (add_listener adds one)")
        index = found[-1]
        _listeners = _listeners[:index] + _listeners[index + 1 :]


def listening(local: tuple[Listener, ...]) -> bool:
    """Whether an event would reach anyone: make none otherwise."""
    return bool(local or _listeners)


def emit(event: Event, local: tuple[Listener, ...] = ()) -> None:
    """Hands ``event`` to the ``local`` listeners, then the process-wide ones; each under the rule of every
    hook (`_hooks.call_hook`)."""
    for listener in (*local, *_listeners):
        call_hook(listener, event, name="event listener", about=type(event).__name__)


# --- why a call gave up, on its exception ---------------------------------------------------------------

_GIVE_UP_ATTRIBUTE = "__llm_retry_give_up__"


def mark_give_up(exc: BaseException, reason: GiveUpReason) -> None:
    """Records on the exception a call re-raises why it gave up (`give_up_reason` reads it). An exception
    that refuses attributes keeps its note only."""
    with contextlib.suppress(Exception):
        setattr(exc, _GIVE_UP_ATTRIBUTE, reason)


def give_up_reason(exc: BaseException) -> GiveUpReason | None:
    """Why llm-retry stopped and raised ``exc``, as a `GiveUpReason`; None for an exception llm-retry did
    not raise or re-raise. A `CircuitOpenError` raised instead of a first attempt is ``BREAKER_OPEN``; a
    `RateLimitedError`, its own ``reason``. Code can branch on it instead of reading the note's text.

    >>> from llm_retry import retry_llm
    >>> @retry_llm(max_attempts=2, base_delay_s=0.0, budget=None)
    ... def call() -> None:
    ...     raise ConnectionResetError("peer reset")
    >>> try:
    ...     call()
    ... except ConnectionResetError as exc:
    ...     reason = give_up_reason(exc)
    >>> reason
    <GiveUpReason.ATTEMPTS_EXHAUSTED: 'attempts_exhausted'>
    >>> give_up_reason(ValueError("not ours")) is None
    True
    """
    try:
        reason = exc.__dict__.get(_GIVE_UP_ATTRIBUTE)
    except Exception:  # no __dict__ (slots), or a hostile one: not marked
        return None
    return reason if isinstance(reason, GiveUpReason) else None
