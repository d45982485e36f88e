"""`InMemoryStore`: where breakers, budgets and gates of the same name share one state, in this process.

Each kind keeps its state in one Rust core (`BreakerCore`, `BudgetCore`, `GateCore`); a store hands every
object of a kind and name the same core, so that clients built apart (one per worker, per task, per
tenant) behave as one breaker, one budget or one gate, exactly as processes sharing a Redis store will.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from . import _validate as valid

T = TypeVar("T")

Settings = tuple[tuple[str, Hashable], ...]


class InMemoryStore:
    """Shared state for `CircuitBreaker`, `RetryBudget` and `RateLimitGate` objects made with ``store=``:
    objects of one kind and one ``name`` on one store share their state, whoever made them. The first one
    made sets it up; a later one with other settings (thresholds, windows, jitter) is a ``ValueError``, since
    two callers must not disagree about what one breaker does. Seeds and hooks stay each object's own; an
    ``on_state_change`` hook hears of the transitions its own object's calls caused.

    The store has one clock (``clock``, a monotonic clock in seconds; tests pass a fake one), and every object
    on it reads that clock: an object given another one is refused when it is made.

    Thread-safe. This is the default kind of store, the one a single process needs; ``RedisStore`` (issue 11)
    is the same across processes.

    >>> from llm_retry import CircuitBreaker, InMemoryStore
    >>> store = InMemoryStore()
    >>> a = CircuitBreaker(name="anthropic", store=store)
    >>> b = CircuitBreaker(name="anthropic", store=store)
    >>> a.open()
    >>> b.state
    <BreakerState.OPEN: 'open'>
    >>> try:
    ...     CircuitBreaker(name="anthropic", failure_threshold=2, store=store)
    ... except ValueError as exc:
    ...     print(str(exc).split(":")[0])
    breaker 'anthropic' is already on this store with failure_threshold=5, got failure_threshold=2
    """

    __slots__ = ("_clock", "_entries", "_lock")

    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock: Callable[[], float] = valid.function("clock", clock)
        self._entries: dict[tuple[str, str], tuple[Settings, Any]] = {}
        self._lock = threading.Lock()

    @property
    def clock(self) -> Callable[[], float]:
        """The clock every object on this store reads."""
        return self._clock

    def names(self, kind: str) -> list[str]:
        """The names of the ``kind`` objects ("breaker", "budget" or "gate") on this store, sorted."""
        with self._lock:
            return sorted(name for k, name in self._entries if k == kind)

    def __repr__(self) -> str:
        with self._lock:
            count = len(self._entries)
        return f"InMemoryStore({count} shared {'state' if count == 1 else 'states'})"

    # The objects' side: `_shared` is called once, when an object is made.

    def _shared(self, kind: str, name: str, settings: Settings, make: Callable[[], T]) -> T:
        """The core of the ``kind`` object ``name``: made by ``make`` the first time, the same one after, as
        long as ``settings`` match."""
        key = (kind, name)
        with self._lock:
            found = self._entries.get(key)
            if found is None:
                core = make()
                self._entries[key] = (settings, core)
                return core
        had, core = found
        if had != settings:
            raise _mismatch(kind, name, had, settings)
        return core

    def _fleet(self, kind: str, name: str, core: Any, settings: Settings, owner: Any) -> Any:
        """What shares the ``kind`` object ``name`` beyond this process: nothing on this store (a
        `RedisStore` links it to its fleet)."""
        return None


def _mismatch(kind: str, name: str, had: Settings, got: Settings) -> ValueError:
    old, new = dict(had), dict(got)
    differ = [key for key in old if old[key] != new.get(key)]
    shown_old = ", ".join(f"{key}={old[key]!r}" for key in differ)
    shown_new = ", ".join(f"{key}={new.get(key)!r}" for key in differ)
    return ValueError(
        f"{kind} {name!r} is already on this store with {shown_old}, got {shown_new}: objects sharing a "
        "name on a store must share their settings"
    )


def store_clock(what: str, store: InMemoryStore | None, clock: Callable[[], float]) -> Callable[[], float]:
    """The clock an object on ``store`` reads: the store's. ``clock`` left at the default takes it; another
    clock is refused, naming both."""
    if store is None:
        return clock
    if clock is time.monotonic or clock is store.clock:
        return store.clock
    raise ValueError(
        f"clock must be the store's clock for a {what} on a store, got {valid.shown(clock)} and the store "
        f"reads {valid.shown(store.clock)}: leave clock out, or give the store that clock"
    )
