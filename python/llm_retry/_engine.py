"""The attempt engine: one call's state (attempt number, start, breaker permit, last failure) and
its transitions, written once. Decorators, streams and `attempts()` drive it through `SyncAttempts` and
`AsyncAttempts`; they differ only in how they call the function and how they sleep.

Every decision comes from Rust (`_core.Policy.decide`, the breaker's `BreakerCore`, the gate's `GateCore`, the
`RetryBudget`); Python calls the function, sleeps, notices cancellation and tells the hooks.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import sys
import time
from collections.abc import Awaitable, Callable, Iterable
from types import TracebackType
from typing import Any, cast

from . import _core
from . import _validate as valid
from ._breaker import CircuitBreaker, Permit, refusal_says
from ._budget import PER_PROVIDER, RetryBudget, budget_for
from ._config import FIELD_NAMES, RetryConfig
from ._events import (
    GateWaitEvent,
    GiveUpEvent,
    Listener,
    RefusalEvent,
    RetryEvent,
    SuccessEvent,
    emit,
    listening,
    mark_give_up,
)
from ._gate import RateLimitGate, hold_says
from ._hooks import call_hook
from ._kinds import GiveUpReason, RefusalReason
from ._redis_store import FleetRefusal, Pending, check_pairing, running_rounds
from ._switches import Wait, backoff_ceiling_s, switches
from .presets import DefaultPreset

logger = logging.getLogger("llm_retry")

OnRetry = Callable[["RetryEvent"], object]
Sleep = Callable[[float], object]
AsyncSleep = Callable[[float], Awaitable[object]]
Clock = Callable[[], float]

_ANSWER_POLL_S = 0.002
"""How often an async call asks whether its store has answered (a probe lease, a retry), at most its
``timeout_s``."""


class Retrier:
    """The settings of one decorated function or one `attempts()` block, validated once."""

    __slots__ = (
        "breaker",
        "budget",
        "clock",
        "config",
        "deadline_s",
        "gate",
        "name",
        "on_event",
        "on_retry",
        "policy",
        "rounds",
        "wait_for_breaker",
    )

    def __init__(
        self,
        name: str,
        config: RetryConfig,
        on_retry: tuple[OnRetry, ...],
        breaker: CircuitBreaker | None,
        budget: RetryBudget | None,
        clock: Callable[[], float],
        wait_for_breaker: bool,
        gate: RateLimitGate | None = None,
        on_event: tuple[Listener, ...] = (),
    ) -> None:
        self.name = name
        self.config = config
        self.policy: _core.Policy = config._policy  # type: ignore[attr-defined]
        self.deadline_s = config.deadline_s
        self.on_retry = on_retry
        self.breaker = breaker
        self.budget = budget
        self.clock = clock
        self.wait_for_breaker = wait_for_breaker
        self.gate = gate
        self.on_event = on_event
        # Objects on an async `RedisStore`: what an async call runs first (starts the store's sync rounds).
        self.rounds = (
            None
            if breaker is None and gate is None and (budget is None or budget._fleet is None)
            else running_rounds((breaker, budget, gate))
        )

    def check_pairing(self, asynchronous: bool) -> None:
        """A sync function's objects on stores with sync clients, an async one's on async clients."""
        if self.breaker is not None or self.gate is not None or getattr(self.budget, "_fleet", None):
            check_pairing((self.breaker, self.budget, self.gate), asynchronous, repr(self.name))

    def report(self, event: RetryEvent) -> None:
        """One WARNING line (never the call's arguments: they are prompts), then the ``on_retry`` hooks,
        then the event listeners."""
        if logger.isEnabledFor(logging.WARNING):
            status = event.status
            remaining = event.deadline_remaining_s
            sdk_retries = event.classification.sdk_retries
            logger.warning(
                "llm-retry: %s failed on attempt %d/%d (%s%s%s); retrying in %.2f s%s",
                event.function,
                event.attempt,
                event.max_attempts,
                event.kind.value,
                f", {status}" if status is not None else "",
                f", after {sdk_retries} retries by the SDK itself" if sdk_retries else "",
                event.delay_s,
                f" ({remaining:.1f} s of deadline left)" if remaining is not None else "",
                extra={
                    "function": event.function,
                    "attempt": event.attempt,
                    "max_attempts": event.max_attempts,
                    "kind": event.kind.value,
                    "status": status,
                    "delay_s": event.delay_s,
                    "from_hint": event.from_hint,
                    "deadline_remaining_s": remaining,
                    "sdk_retries": sdk_retries,
                    "reason": event.classification.reason,
                },
            )
        for hook in self.on_retry:
            call_hook(hook, event, name="on_retry", about=f"{event.function}, attempt {event.attempt}")
        if listening(self.on_event):
            emit(event, self.on_event)


def add_note(exc: BaseException, note: str) -> None:
    """Adds a PEP 678 note, unless the exception refuses one: the original exception is what gets raised,
    with or without its note."""
    with contextlib.suppress(Exception):
        exc.add_note(note)


_RETRIES_OFF = "llm-retry: not retried: retries are disabled (llm_retry.testing.disable_retries)"


class Call:
    """One call's way through its attempts. A driver sleeps the wait owed (``delay_s``, set by `failed`),
    asks `admit` before each attempt (sleeping the waits it returns), and reports how the attempt ended with
    `succeeded`, `failed` or `interrupted`. Drivers differ only in how they call and how they sleep."""

    __slots__ = (
        "attempt",
        "delay_s",
        "done",
        "failure",
        "in_attempt",
        "in_task",
        "last",
        "pending",
        "permit",
        "r",
        "slept_s",
        "started",
    )

    def __init__(
        self,
        r: Retrier,
        started: float | None,
        *,
        in_task: bool,
        permit: Permit | None = None,
    ) -> None:
        self.r = r
        self.started = started  # None until the first failure when nothing needed the start time
        self.in_task = in_task  # async: a task being cancelled stops at once
        self.attempt = 1
        self.permit = permit  # the permit of the attempt under way, if its breaker admitted it
        self.last: Exception | None = None
        self.failure: _core.Classification | None = None  # the last failure's classification
        self.delay_s = 0.0  # the wait owed before the next attempt
        self.slept_s = 0.0  # the waits owed so far, for the events
        self.done = False
        self.in_attempt = False
        # An async `RedisStore`'s answer still on its way (a probe lease, a retry): (what, the answer).
        self.pending: tuple[str, Pending, str] | None = None

    def remaining_s(self, now: float | None = None) -> float | None:
        """Seconds left before the deadline (None without one); ``now`` a reading already made."""
        deadline_s = self.r.deadline_s
        if deadline_s is None or self.started is None:
            return deadline_s
        return deadline_s - ((self.r.clock() if now is None else now) - self.started)

    def admit(self) -> float:
        """Before an attempt, once the owed wait is slept: 0 to make it now, else the seconds to wait before
        asking again. The gate is asked first (a held caller must not hold a probe permit while it sleeps),
        then the breaker. Raises when the call must not wait: `RateLimitedError` or `CircuitOpenError`
        before the first attempt, else the last failure with a note."""
        self.delay_s = 0.0
        leased: Permit | FleetRefusal | None = None
        if self.pending is not None:
            what, pending, kind = self.pending
            verdict = pending.verdict()
            if verdict is None:
                return _ANSWER_POLL_S
            self.pending = None
            if what == "lease":
                self.permit, leased = None, verdict
            elif not verdict:
                budget, last = cast(RetryBudget, self.r.budget), cast(Exception, self.last)
                add_note(last, budget._refusal(self.attempt - 1, kind))
                self._gave_up(last, GiveUpReason.BUDGET_EMPTY, self.attempt - 1)
                raise last
        gate = self.r.gate
        if (
            leased is None
            and gate is not None
            and not gate._core.quiet()
            and (held_s := self._held_s(gate)) > 0
        ):
            if listening(self.r.on_event):
                emit(GateWaitEvent(self.r.name, gate.name, held_s, self.attempt), self.r.on_event)
            # Recorded by `record_waits`, the hold is skipped and the attempt goes ahead.
            if not (switches.active and self._recorded(held_s, held_s, True, "gate")):
                self.slept_s += held_s
                return held_s
        breaker = self.r.breaker
        if breaker is None:
            self._begin()
            return 0.0
        grant: Permit | _core.Refusal | FleetRefusal | Pending
        if leased is not None:
            grant = leased
        else:
            grant = breaker._core.acquire(breaker._now())
            if grant.transition is not None:
                breaker._fire(grant.transition)
            if isinstance(grant, Permit) and grant.probe:
                # On a `RedisStore` a probe takes one of the fleet's leases first.
                permit, grant = grant, breaker._lease(grant)
                if isinstance(grant, Pending):
                    self.permit, self.pending = permit, ("lease", grant, "")
                    return _ANSWER_POLL_S
        if isinstance(grant, Permit):
            self.permit = grant
            self._begin()
            return 0.0
        retry_in_s = grant.retry_in_s
        remaining = self.remaining_s()
        wait_s = max(retry_in_s, 0.001)
        # A slow start's refusal is a pace, not an outage: the breaker is closed and names the next slot.
        # Within a deadline it is waited out even by a call that fails fast: a fleet's processes each pace
        # a fraction of a call a second, and failing the calls that came before their slot failed half of
        # the traffic for seconds after the provider was back.
        paced = grant.reason is RefusalReason.SLOW_START
        waits = (self.r.wait_for_breaker or paced) and remaining is not None and wait_s < remaining
        if listening(self.r.on_event):
            refusal = RefusalEvent(self.r.name, breaker.name, grant.reason, retry_in_s, self.attempt, waits)
            emit(refusal, self.r.on_event)
        # Recorded by `record_waits`, a wait is not slept; the breaker's clock does not move with it, so the
        # call then gives up as if it could not wait.
        if waits and not (switches.active and self._recorded(wait_s, wait_s, False, "breaker")):
            # A caller coming back is a backlog: a close by a probe elsewhere lets it in spread out.
            breaker._core.waiting(wait_s, breaker._now())
            self.slept_s += wait_s
            return wait_s
        if self.last is None:
            rejection = breaker._rejection(grant)
            self._gave_up(rejection, GiveUpReason.BREAKER_OPEN, 0)
            raise rejection
        refused = refusal_says(breaker.name, grant.reason)
        add_note(
            self.last,
            f"llm-retry: gave up after attempt {self.attempt - 1}: {refused} (retry in {retry_in_s:.2f} s)",
        )
        self._gave_up(self.last, GiveUpReason.BREAKER_OPEN, self.attempt - 1)
        raise self.last

    def _held_s(self, gate: RateLimitGate) -> float:
        """The gate's wait for this call (0: go), or the end of the call when the hold is too long for it."""
        held = gate._core.admit(gate._now(), self.remaining_s(), self.r.config.max_retry_after_s)
        if type(held) is float:
            return held
        hold = cast(_core.HoldTooLong, held)
        if self.last is None:
            rejection = gate._rejection(hold)
            self._gave_up(rejection, hold.reason, 0)
            raise rejection
        says = hold_says(gate.name, hold)
        add_note(self.last, f"llm-retry: gave up after attempt {self.attempt - 1}: {says}")
        self._gave_up(self.last, hold.reason, self.attempt - 1)
        raise self.last

    def _recorded(self, delay_s: float, ceiling_s: float, from_hint: bool, cause: str) -> bool:
        """Hands a wait to `record_waits`, if one is on: True when it took it, and the wait is skipped."""
        attempt = self.attempt - 1 if cause == "retry" else self.attempt
        return switches.record(Wait(delay_s, ceiling_s, attempt, self.r.name, from_hint, cause))

    def _gave_up(self, exc: BaseException, reason: GiveUpReason, attempts: int) -> None:
        """The call ends by raising ``exc``: its reason goes on the exception (`give_up_reason`), into the
        log (INFO, after retries only: a call that retried nothing logs nothing; never the call's arguments)
        and to the listeners."""
        mark_give_up(exc, reason)
        r = self.r
        failure = self.failure
        if attempts > 1 and logger.isEnabledFor(logging.INFO):
            kind = None if failure is None else failure.kind.value
            logger.info(
                "llm-retry: %s gave up after %d attempt%s (%s): %s",
                r.name,
                attempts,
                "" if attempts == 1 else "s",
                kind or type(exc).__name__,
                reason.value,
                extra={
                    "function": r.name,
                    "attempts": attempts,
                    "reason": reason.value,
                    "kind": kind,
                    "status": None if failure is None else failure.status,
                    "slept_s": self.slept_s,
                },
            )
        if listening(r.on_event):
            event = GiveUpEvent(
                r.name, reason, attempts, exc, failure, self.slept_s, self._elapsed_s(), r.config.name
            )
            emit(event, r.on_event)

    def _elapsed_s(self) -> float:
        return 0.0 if self.started is None else max(0.0, self.r.clock() - self.started)

    def _begin(self) -> None:
        """An attempt is admitted; a first attempt is reported to the budget (a driver that makes the first
        attempt inline, before any `Call` exists, reports it itself)."""
        self.in_attempt = True
        if self.attempt == 1 and self.r.budget is not None:
            self.r.budget._deposit()

    def succeeded(self) -> None:
        """The attempt answered: the breaker hears of it, and the call is over. An answer after retries is
        logged (INFO) and told to the listeners; a first attempt's is not."""
        r = self.r
        self.done, self.in_attempt = True, False
        permit, self.permit = self.permit, None
        if permit is not None:
            cast(CircuitBreaker, r.breaker)._record(permit, None)
        if self.attempt > 1:
            self._answered_after_retries()

    def _answered_after_retries(self) -> None:
        r = self.r
        if logger.isEnabledFor(logging.INFO):
            logger.info(
                "llm-retry: %s answered on attempt %d, after %.2f s of waits",
                r.name,
                self.attempt,
                self.slept_s,
                extra={"function": r.name, "attempts": self.attempt, "slept_s": self.slept_s},
            )
        if listening(r.on_event):
            event = SuccessEvent(r.name, self.attempt, self.slept_s, self._elapsed_s(), r.config.name)
            emit(event, r.on_event)

    def interrupted(self) -> None:
        """The attempt ended without an answer from the provider (cancelled, interrupted, misused): its
        permit is handed back and counts for nothing."""
        self.in_attempt = False
        if self.pending is not None:
            self.pending[1].abandon()
            self.pending = None
        permit, self.permit = self.permit, None
        if permit is not None:
            cast(CircuitBreaker, self.r.breaker)._release(permit)

    def failed(self, exc: Exception) -> float | None:
        """The attempt raised ``exc``: the wait before the next one, or None to give up (``exc`` then
        carries a note saying why, and the driver re-raises it). In an asyncio task that is being cancelled
        this raises `asyncio.CancelledError` instead, whatever ``exc`` is: some clients turn a cancellation
        into a connection error, which must not be retried."""
        r = self.r
        self.in_attempt = False
        self.last = exc
        now = r.clock()
        if self.started is None:
            self.started = now
        remaining = self.remaining_s(now)
        try:
            decision = r.policy.decide(exc, self.attempt, remaining)
        except BaseException:
            # Only an interrupt raised while reading ``exc`` gets here (a Ctrl-C or SystemExit inside one of
            # its properties): it ends the call at once, and the attempt counts for nothing.
            self.interrupted()
            raise
        if self.in_task:
            # Checked after the reading, which runs ``exc``'s properties: a Ctrl-C that lands in one of them
            # under `asyncio.run` becomes a cancellation of this task, not an exception.
            self._stop_if_cancelling(exc)
        classification = decision.classification
        self.failure = classification
        permit, self.permit = self.permit, None
        if permit is not None:
            cast(CircuitBreaker, r.breaker)._record(permit, classification)
        if r.gate is not None:
            r.gate._record(classification)
        if not decision.retry:
            if decision.note is not None:
                add_note(exc, decision.note)
            self._gave_up(exc, decision.give_up or GiveUpReason.NOT_RETRYABLE, self.attempt)
            return None
        if switches.active and switches.retries_off:
            add_note(exc, _RETRIES_OFF)
            self._gave_up(exc, GiveUpReason.ATTEMPTS_EXHAUSTED, self.attempt)
            return None
        if r.budget is not None:
            allowed = r.budget._withdraw()
            if isinstance(allowed, Pending):  # an async `RedisStore`'s answer, settled by `admit`
                self.pending = ("retry", allowed, classification.kind.value)
            elif not allowed:
                add_note(exc, r.budget._refusal(self.attempt, classification.kind.value))
                self._gave_up(exc, GiveUpReason.BUDGET_EMPTY, self.attempt)
                return None
        delay_s = decision.delay_s
        r.report(
            RetryEvent(
                function=r.name,
                attempt=self.attempt,
                max_attempts=r.policy.max_attempts,
                exception=exc,
                classification=classification,
                delay_s=delay_s,
                from_hint=decision.from_hint,
                elapsed_s=max(0.0, now - self.started),
                deadline_remaining_s=remaining,
                config_name=r.config.name,
            )
        )
        self.attempt += 1
        self.slept_s += delay_s
        if switches.active:
            ceiling_s = delay_s if decision.from_hint else backoff_ceiling_s(r.config, self.attempt - 1)
            if self._recorded(delay_s, ceiling_s, decision.from_hint, "retry"):
                delay_s = 0.0
        self.delay_s = delay_s
        return delay_s

    def _stop_if_cancelling(self, failure: Exception) -> None:
        try:
            task = asyncio.current_task()
        except RuntimeError:  # no asyncio loop: trio raises its own Cancelled, a BaseException
            return
        if task is not None and task.cancelling():
            self.interrupted()
            raise asyncio.CancelledError() from failure

    def check_previous(self) -> None:
        """An attempt admitted but never used (no ``with`` around it) is a programming error; its permit is
        handed back."""
        if self.in_attempt:
            self.interrupted()
            raise RuntimeError(
                "llm-retry: an attempt was not used; write `with attempt:` around the call in the loop body"
            )


class Attempt:
    """One attempt of a retry loop. ``with attempt:`` around the call reports how it ended: an answer ends
    the loop; a failure that will be retried is suppressed (the loop waits, then goes on); any other is
    raised as it is, with a note saying why it was not retried. ``number`` is 1-based."""

    __slots__ = ("_call", "number")

    def __init__(self, call: Call) -> None:
        self._call = call
        self.number: int = call.attempt

    def __repr__(self) -> str:
        return f"<Attempt number={self.number}>"

    def __enter__(self) -> None:
        return None

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> bool:
        if exc is None:
            self._call.succeeded()
            return False
        if isinstance(exc, Exception):
            return self._call.failed(exc) is not None
        # KeyboardInterrupt, SystemExit, GeneratorExit, CancelledError: never retried, never swallowed.
        self._call.interrupted()
        return False


class SyncAttempts:
    """The attempts of one call, for ``for``: sleeps with a blocking ``sleep``."""

    __slots__ = ("_call", "_sleep")

    def __init__(self, call: Call, sleep: Sleep) -> None:
        self._call = call
        self._sleep = sleep

    def __iter__(self) -> SyncAttempts:
        return self

    def __next__(self) -> Attempt:
        call = self._call
        if call.done:
            raise StopIteration
        call.check_previous()
        if call.delay_s > 0:
            self._sleep(call.delay_s)
        while (wait_s := call.admit()) > 0:
            self._sleep(wait_s)
        return Attempt(call)


class AsyncAttempts:
    """The attempts of one call, for ``async for``: sleeps with ``sleep``, else the running library's."""

    __slots__ = ("_call", "_sleep")

    def __init__(self, call: Call, sleep: Callable[[float], object] | None) -> None:
        self._call = call
        self._sleep = sleep

    def __aiter__(self) -> AsyncAttempts:
        return self

    async def __anext__(self) -> Attempt:
        call = self._call
        if call.done:
            raise StopAsyncIteration
        if call.r.rounds is not None:
            call.r.rounds()
        call.check_previous()
        if call.delay_s > 0:
            await async_sleep(self._sleep, call.delay_s)
        while (wait_s := call.admit()) > 0:
            await async_sleep(self._sleep, wait_s)
        return Attempt(call)


async def async_sleep(sleep: Callable[[float], object] | None, seconds: float) -> None:
    """Waits with ``sleep`` (awaiting what it returns, if anything), else the running library's sleep."""
    sleeping = (sleep or running_library_sleep())(seconds)
    if inspect.isawaitable(sleeping):
        await sleeping


def running_library_sleep() -> AsyncSleep:
    """The sleep of the event loop running this coroutine: asyncio's, or trio's."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        trio = sys.modules.get("trio")
        if trio is not None:
            return cast(AsyncSleep, trio.sleep)
        raise RuntimeError("llm-retry: no running asyncio or trio event loop to sleep in") from None
    return asyncio.sleep


# --- settings --------------------------------------------------------------------------------------


# `attempts(preset=..., max_attempts=4)` resolves its config at every call; a copy compiles a new policy in
# Rust (~10 us), so copies are kept, keyed by the base's identity and the overrides with their types (True
# must not find the copy made for 1). A seeded copy is never shared: each call replays its own jitter.
_COPIES: dict[tuple[object, ...], tuple[RetryConfig, RetryConfig]] = {}
_MAX_COPIES = 256


def resolve_config(preset: object, config: object, overrides: dict[str, Any]) -> RetryConfig:
    if preset is not None and config is not None:
        raise TypeError("pass preset= or config=, not both")
    base = valid.instance("preset", preset, RetryConfig) or valid.instance("config", config, RetryConfig)
    if base is None:
        base = DefaultPreset
    if not overrides:
        return base
    key = (id(base), *overrides.items(), *map(type, overrides.values()))
    try:
        kept, keep = _COPIES.get(key), True
    except TypeError:  # an unhashable value (a list of statuses): no copy kept
        kept, keep = None, False
    if kept is not None and kept[0] is base:
        return kept[1]
    unknown = set(overrides) - FIELD_NAMES
    if unknown:
        raise TypeError(f"unknown keyword argument(s): {', '.join(sorted(unknown))}")
    resolved = base.replace(**overrides)
    if keep and resolved.seed is None:
        if len(_COPIES) >= _MAX_COPIES:
            _COPIES.clear()
        _COPIES[key] = (base, resolved)
    return resolved


def retrier(
    name: str,
    preset: object,
    config: object,
    on_retry: OnRetry | Iterable[OnRetry] | None,
    breaker: object,
    budget: object,
    clock: object,
    wait_for_breaker: object,
    overrides: dict[str, Any],
    gate: object = None,
    on_event: object = None,
) -> Retrier:
    """The settings every way in takes, validated alike: a TypeError or ValueError naming the parameter.
    ``budget`` left at its default is the provider's (`_budget.budget_for`)."""
    resolved = resolve_config(preset, config, overrides)
    # `attempts()` makes its settings at every block, mostly with these defaults, which need no checks.
    unset = on_retry is None and breaker is None and budget is PER_PROVIDER and wait_for_breaker is False
    unset = unset and gate is None and on_event is None
    if unset and clock is time.monotonic:
        provider_budget = budget_for(budget, resolved.name, clock)
        return Retrier(name, resolved, (), None, provider_budget, time.monotonic, False)
    checked_breaker = valid.instance("breaker", breaker, CircuitBreaker)
    checked_gate = valid.instance("gate", gate, RateLimitGate)
    given = budget if isinstance(budget, RetryBudget) else None
    the_clock = _one_clock(valid.function("clock", clock), checked_breaker, given, checked_gate)
    checked = Retrier(
        name,
        resolved,
        valid.hooks("on_retry", on_retry),
        checked_breaker,
        budget_for(budget, resolved.name, the_clock),
        the_clock,
        valid.flag("wait_for_breaker", wait_for_breaker),
        checked_gate,
        valid.hooks("on_event", on_event),
    )
    if checked.wait_for_breaker and (checked.breaker is None or checked.deadline_s is None):
        raise ValueError("wait_for_breaker=True needs a breaker and a deadline_s to bound the wait")
    return checked


def _one_clock(
    clock: Callable[[], float],
    breaker: CircuitBreaker | None,
    budget: RetryBudget | None,
    gate: RateLimitGate | None,
) -> Callable[[], float]:
    """The one clock a call and its breaker, budget and gate read. Left at the default, the call takes the
    clock its objects share; objects on different clocks, or a ``clock=`` other than theirs, are refused:
    waits computed on one clock and slept on another end early or hang (a breaker on a fake clock told a
    real sleep to wait out its virtual cooldown)."""
    attached = [
        (p, o) for p, o in (("breaker", breaker), ("budget", budget), ("gate", gate)) if o is not None
    ]
    if clock is time.monotonic and attached:
        clock = attached[0][1]._clock
    for param, shared in attached:
        if shared._clock is not clock:
            raise ValueError(
                f"{param} {shared.name!r} reads another clock than this call: {valid.shown(shared._clock)} "
                f"against {valid.shown(clock)}; a call and its breaker, budget and gate must read one clock"
            )
    return clock
