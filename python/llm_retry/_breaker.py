"""`CircuitBreaker`: fails fast while a provider is down, lets a few probes find out when it is back, then
lets calls back in gradually.

The state machine lives in Rust (`_core.BreakerCore`); this wrapper reads the clock, raises
`CircuitOpenError`, and fires `on_state_change` hooks for the transitions Rust reports.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any, cast

from . import _core, _events
from . import _validate as valid
from ._events import BreakerEvent
from ._hooks import call_hook
from ._kinds import BreakerState, RefusalReason
from ._redis_store import FleetRefusal, Pending
from ._store import InMemoryStore, store_clock

logger = logging.getLogger("llm_retry")

StateChangeHook = Callable[["CircuitBreaker", BreakerState, BreakerState], object]

_SAYS = {
    RefusalReason.OPEN: "is open",
    RefusalReason.HALF_OPEN_FULL: "is half_open with every probe slot taken",
    RefusalReason.SLOW_START: "is closed and letting calls back in gradually (slow start)",
}
_REASON_OF_STATE = {
    BreakerState.OPEN: RefusalReason.OPEN,
    BreakerState.HALF_OPEN: RefusalReason.HALF_OPEN_FULL,
    BreakerState.CLOSED: RefusalReason.SLOW_START,
}


def refusal_says(breaker_name: str, reason: RefusalReason) -> str:
    """``circuit breaker 'anthropic' is open``: the refusal, as an exception message or a note says it."""
    return f"circuit breaker {breaker_name!r} {_SAYS[reason]}"


class CircuitOpenError(Exception):
    """Raised instead of calling the function when the breaker does not admit it: open, half-open with its
    probes all taken, or in the slow start after closing (``reason``, a `RefusalReason`).

    ``retry_in_s`` is how long to wait before asking again: never sooner than the breaker could admit a
    call, and jittered upward so that callers refused together do not come back together.
    """

    def __init__(
        self,
        breaker_name: str,
        retry_in_s: float,
        state: BreakerState,
        reason: RefusalReason | None = None,
    ) -> None:
        self.breaker_name = breaker_name
        self.retry_in_s = retry_in_s
        self.state = state
        self.reason = _REASON_OF_STATE[state] if reason is None else reason
        super().__init__(
            f"{refusal_says(breaker_name, self.reason)}: call not attempted; retry in {retry_in_s:.2f} s"
        )

    def __reduce__(self) -> tuple[Any, ...]:
        # Rebuilt from its fields (``args`` holds only the message), with what was set on it since: its
        # ``give_up_reason`` and notes survive a trip through pickle (multiprocessing, task queues).
        return type(self), (self.breaker_name, self.retry_in_s, self.state, self.reason), self.__dict__


Permit = _core.Permit
"""Leave to make one call; reported back with its outcome."""

# The defaults are the core's (`BreakerConfig::default()`); the signature below only shows them.
_DEFAULTS = _core.BreakerSettings.defaults()
# The failure-rate window is a ring of `bucket_s` buckets, at most `MAX_WINDOW_BUCKETS` (10,000) of them in
# the core: with 1-second buckets, a window from 1 s to 10,000 s.
_BUCKET_S = _DEFAULTS.bucket_s
_LONGEST_WINDOW_S = 10_000 * _BUCKET_S


class CircuitBreaker:
    """A thread-safe circuit breaker that one or more decorated functions share.

    ``failure_threshold`` consecutive provider-health failures (overloads such as 529 and 503, server and
    network errors) open it. A 429 never does: it says the provider is up and busy (a `RateLimitGate` is what
    honours it), and client errors such as 400 or 401 say nothing about the provider. While open, calls raise
    `CircuitOpenError` without calling the function. After ``cooldown_s`` (default 2 s) it lets
    ``half_open_max_calls`` probes through; a successful probe closes it, a failed one reopens it for a longer
    period (doubling with jitter up to ``max_cooldown_s``, default 10 s or ``cooldown_s`` if longer), so a
    breaker closes within about 10 s of the provider's return. A probe that never reports back frees its slot
    after ``probe_lease_s``.

    After a probe closes it, admissions are paced for at least ``slow_start_s`` (default 5 s): a rate, not a
    share of calls, starting at half the traffic the breaker carried before it tripped (never below 2 calls
    a second, so a quiet process is not held back), doubling for a second, then growing by 20 % of that
    traffic a second up to 1.6 times it, and cut by 30 % when a 429 says the provider is full. Past
    ``slow_start_s``, with callers still waiting, the ceiling rises by 2 calls a second each second, so a
    backlog far larger than the traffic before the trip still drains. Calls over the pace are refused with
    ``reason`` ``SLOW_START`` and a ``retry_in_s`` spread so that waiters come back at different moments (a
    call with a ``deadline_s`` that has room sleeps it out; one without raises `CircuitOpenError`); the
    pacing ends once nobody has been refused for a second. A backlog that waited out the outage is let in
    at a rate, never as one herd. 0 turns it off. Every ``retry_in_s`` a refusal carries is jittered upward
    (never early). A breaker that carried much traffic also stops growing its open periods where probes
    would be more than 1 call in 200 of it, so it finds the provider's return within seconds.

    With ``failure_rate_threshold`` it also opens when that share of calls over the last ``window_s``
    seconds failed, once ``minimum_calls`` calls have been seen.

    ``clock`` is a monotonic clock in seconds; tests pass a fake one. With ``store`` (an `InMemoryStore`),
    every breaker of this ``name`` on that store shares one state, and reads the store's clock; on a
    `RedisStore`, every breaker of this ``name`` in the fleet.

    Bad arguments fail here, naming the parameter: counts are ints from 1 to 1,000,000; ``cooldown_s``,
    ``probe_lease_s`` and ``max_cooldown_s`` are above 0 and at most a year (31,536,000 s; longer is refused,
    not clamped), ``slow_start_s`` from 0 to a year, ``window_s`` from 1 to 10,000 s;
    ``failure_rate_threshold`` is above 0 and at most 1.

    >>> breaker = CircuitBreaker(failure_threshold=2, cooldown_s=30.0)
    >>> breaker.state
    <BreakerState.CLOSED: 'closed'>
    >>> breaker.open()
    >>> breaker.state
    <BreakerState.OPEN: 'open'>
    """

    def __init__(
        self,
        failure_threshold: int = _DEFAULTS.failure_threshold,
        cooldown_s: float = _DEFAULTS.cooldown_s,
        half_open_max_calls: int = _DEFAULTS.half_open_max_calls,
        *,
        failure_rate_threshold: float | None = _DEFAULTS.failure_rate_threshold,
        window_s: float = _DEFAULTS.window_s,
        minimum_calls: int = _DEFAULTS.minimum_calls,
        probe_lease_s: float = _DEFAULTS.probe_lease_s,
        max_cooldown_s: float | None = None,
        slow_start_s: float = _DEFAULTS.slow_start_s,
        name: str = "breaker",
        on_state_change: StateChangeHook | None = None,
        clock: Callable[[], float] = time.monotonic,
        seed: int | None = None,
        store: InMemoryStore | None = None,
    ) -> None:
        failure_threshold = valid.count("failure_threshold", failure_threshold)
        cooldown_s = valid.seconds("cooldown_s", cooldown_s, positive=True)
        half_open_max_calls = valid.count("half_open_max_calls", half_open_max_calls)
        failure_rate_threshold = valid.fraction("failure_rate_threshold", failure_rate_threshold)
        window_s = valid.seconds("window_s", window_s, minimum=_BUCKET_S, maximum=_LONGEST_WINDOW_S)
        minimum_calls = valid.count("minimum_calls", minimum_calls)
        probe_lease_s = valid.seconds("probe_lease_s", probe_lease_s, positive=True)
        # None: the core's cap for this cooldown (10 s, or cooldown_s when that is longer).
        if max_cooldown_s is not None:
            max_cooldown_s = valid.seconds("max_cooldown_s", max_cooldown_s, positive=True)
            if max_cooldown_s < cooldown_s:
                allowed = f"at least cooldown_s ({cooldown_s})"
                raise valid.out_of_range("max_cooldown_s", allowed, max_cooldown_s)
        slow_start_s = valid.seconds("slow_start_s", slow_start_s)
        seed = valid.seed("seed", seed)
        self.name = valid.text("name", name)
        self._on_state_change = valid.optional_function("on_state_change", on_state_change)
        store = valid.instance("store", store, InMemoryStore)
        clock = store_clock("breaker", store, valid.function("clock", clock))
        self._clock = clock
        # None: the core reads the default clock itself, saving a Python call per admission and outcome.
        self._custom_clock: Callable[[], float] | None = None if clock is time.monotonic else clock
        settings: dict[str, Any] = {
            "failure_threshold": failure_threshold,
            "cooldown_s": cooldown_s,
            "half_open_max_calls": half_open_max_calls,
            "failure_rate_threshold": failure_rate_threshold,
            "window_s": window_s,
            "minimum_calls": minimum_calls,
            "probe_lease_s": probe_lease_s,
            "max_cooldown_s": max_cooldown_s,
            "slow_start_s": slow_start_s,
        }

        def make() -> _core.BreakerCore:
            return _core.BreakerCore(now_s=valid.reading("clock", self._now()), seed=seed, **settings)

        shared = tuple(settings.items())
        self._core = make() if store is None else store._shared("breaker", self.name, shared, make)
        # On a `RedisStore`: the link to the fleet's breaker of this name (probe leases, batched outcomes).
        self._fleet = None if store is None else store._fleet("breaker", self.name, self._core, shared, self)

    def _now(self) -> float | None:
        clock = self._custom_clock
        return None if clock is None else clock()

    @property
    def state(self) -> BreakerState:
        """The current state; an open breaker whose cooldown has passed reports ``HALF_OPEN``."""
        return self._core.state(self._now())

    @property
    def stats(self) -> dict[str, Any]:
        """Counts, failure rate over the window, time in the current state, probes in flight, the traffic
        before the last trip (``rate_before_trip``, calls a second) and the slow start (``paced_rate``:
        admissions a second allowed now, None when not pacing; ``admit_fraction``: that pace as a share of
        the traffic before the trip; ``slow_start_left_s``; ``paced_rate_limits``: 429s met while pacing)."""
        return self._core.stats(self._now())

    def retry_in_s(self) -> float:
        """Seconds until a call could be admitted (0 when one could be now), exactly: what a refusal's
        ``retry_in_s`` is jittered up from."""
        return self._core.retry_in_s(self._now())

    def open(self) -> None:
        """Open the breaker by hand (for ``cooldown_s``), e.g. during a known incident; on a `RedisStore`,
        the fleet's too."""
        self._fire(self._core.force_open(self._now()))
        if self._fleet is not None:
            self._fleet.by_hand(opened=True)

    def close(self) -> None:
        """Close the breaker by hand and forget its failures; on a `RedisStore`, the fleet's too."""
        self._fire(self._core.force_close(self._now()))
        if self._fleet is not None:
            self._fleet.by_hand(opened=False)

    def __repr__(self) -> str:
        return f"CircuitBreaker(name={self.name!r}, state={self.state.value!r})"

    # The attempt engine's side of the protocol (`_engine.Call`); admission is `_core.acquire` itself, with
    # ``_now()``, and the transition it reports goes to `_fire`.

    def _rejection(self, refusal: _core.Refusal | FleetRefusal) -> CircuitOpenError:
        return CircuitOpenError(self.name, refusal.retry_in_s, self.state, refusal.reason)

    def _record(self, permit: Permit, failure: _core.Classification | None) -> None:
        """Report a call's outcome: None for an answer, else the classification of the failure. Which
        failures count against the provider is the core's decision."""
        transition = self._core.record(permit, failure, self._now())
        if self._fleet is not None and permit.probe:
            self._fleet.probe_done(permit, transition, answered=failure is None)
        if transition is not None:
            self._fire(transition)

    def _release(self, permit: Permit) -> None:
        """The call ended without an answer from the provider (cancelled, interrupted)."""
        transition = self._core.release(permit, self._now())
        if self._fleet is not None and permit.probe:
            self._fleet.probe_done(permit, None, answered=False)
        self._fire(transition)

    def _lease(self, permit: Permit) -> Permit | FleetRefusal | Pending:
        """A probe permit, checked with the fleet's leases on a `RedisStore` (`_FleetBreaker.lease`)."""
        return permit if self._fleet is None else cast(Any, self._fleet.lease(permit))

    def _fire(self, transition: _core.Transition | None, *, from_fleet: bool = False) -> None:
        """Logs a transition (WARNING when it opens, else INFO), hands it to the process-wide listeners as a
        `BreakerEvent`, then tells the hook, under the rule of every hook (`_hooks.call_hook`): one that
        raises must not turn an answered call into a failure, nor keep a probe permit from being used or
        handed back. On a `RedisStore`, a transition this process made that opens the breaker goes to the
        fleet at once (``from_fleet``: one the fleet made, merged here)."""
        if transition is None:
            return
        if self._fleet is not None and not from_fleet and transition.new is BreakerState.OPEN:
            self._fleet.store._kick()
        old, new = transition.old, transition.new
        level = logging.WARNING if new is BreakerState.OPEN else logging.INFO
        if logger.isEnabledFor(level):
            logger.log(
                level,
                "llm-retry: circuit breaker %r %s -> %s",
                self.name,
                old.value,
                new.value,
                extra={"breaker": self.name, "old_state": old.value, "new_state": new.value},
            )
        if _events._listeners:
            _events.emit(BreakerEvent(self.name, old, new))
        self._hear(transition)

    def _hear(self, transition: _core.Transition) -> None:
        """The ``on_state_change`` hook, told of a transition."""
        if self._on_state_change is None:
            return
        old, new = transition.old, transition.new
        call_hook(
            self._on_state_change,
            self,
            old,
            new,
            name="on_state_change",
            about=f"breaker {self.name!r}, {old.value} -> {new.value}",
        )
