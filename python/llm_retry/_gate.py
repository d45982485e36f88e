"""`RateLimitGate`: when the provider tells one caller to wait (a 429 or 529 with retry-after), every caller
sharing the gate waits, first attempts included, and they are released spread out.

The state lives in Rust (`_core.GateCore`); this wrapper reads the clock and raises `RateLimitedError`. The
attempt engine asks it before each attempt (`_engine.Call.admit`) and reports each failure to it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from . import _core
from . import _validate as valid
from ._kinds import GiveUpReason
from ._store import InMemoryStore, store_clock

GateStats = _core.GateStats
"""What a gate has done: ``holds_set``, ``callers_held``, ``callers_failed_fast``, and ``retry_in_s``."""

# The defaults are the core's (`GateConfig::default()`); the signature below only shows them.
_DEFAULTS = _core.GateSettings.defaults()

_WHY = {
    GiveUpReason.HINT_TOO_LONG: "more than this call's max_retry_after_s",
    GiveUpReason.DEADLINE: "past this call's deadline",
}


def hold_says(gate_name: str, hold: _core.HoldTooLong) -> str:
    """``rate-limit gate 'openai' holds calls for another 42.0 s (the provider's hint), more than ...``."""
    return (
        f"rate-limit gate {gate_name!r} holds calls for another {hold.hold_s:.1f} s (the provider's hint), "
        f"{_WHY[hold.reason]}"
    )


class RateLimitedError(Exception):
    """Raised instead of a first attempt when a `RateLimitGate` holds calls (the provider asked a caller
    sharing it to wait) for longer than this call can wait: past its deadline, or more than its config's
    ``max_retry_after_s``. The function was not called.

    ``retry_in_s`` is when to come back (the hold left, jittered upward), ``gate_name`` the gate's name, and
    ``reason`` a `GiveUpReason`: ``HINT_TOO_LONG`` or ``DEADLINE``.
    """

    def __init__(self, gate_name: str, retry_in_s: float, reason: GiveUpReason) -> None:
        self.gate_name = gate_name
        self.retry_in_s = retry_in_s
        self.reason = reason
        super().__init__(
            f"rate-limit gate {gate_name!r} holds calls (the provider asked a caller sharing it to wait), "
            f"{_WHY[reason]}: call not attempted; retry in {retry_in_s:.2f} s"
        )

    def __reduce__(self) -> tuple[Any, ...]:
        # As `CircuitOpenError.__reduce__`: rebuilt from its fields, with what was set on it since.
        return type(self), (self.gate_name, self.retry_in_s, self.reason), self.__dict__


class RateLimitGate:
    """Holds every caller sharing it while the provider has asked one of them to wait. Share one per
    provider or API key (the hint is about the key's rate), between any number of decorated functions,
    streams and ``attempts()`` blocks: ``gate=``.

    When an attempt fails with a 429 or an overload (529, 503) that carries a server hint (retry-after,
    retry-after-ms, reset headers), the gate holds until the hint has passed: every caller's next attempt,
    first attempts included, waits until then, and is released with upward-only jitter spread over
    ``jitter`` times the hint (default 0.5: callers held by a 10 s hint go between 10 and 15 s, never
    early). A later hint extends a hold, a shorter one never shortens it, and one hint holds at most
    10 minutes. A hold longer than a caller can wait fails that caller fast: a retry gives up with a note
    naming the hold, a first attempt raises `RateLimitedError` without calling the function.

    Checking the gate costs one read of a Rust atomic per call while nothing is held. ``clock`` is a
    monotonic clock in seconds; tests pass a fake one. ``jitter`` is from 0 to 1; bad arguments fail here,
    naming the parameter. With ``store`` (an `InMemoryStore`), every gate of this ``name`` on that store
    shares one hold, and reads the store's clock; on a `RedisStore`, every gate of this ``name`` in the fleet
    is held within the store's staleness (``sync_interval_s + timeout_s``).

    >>> gate = RateLimitGate("openai")
    >>> gate.retry_in_s()
    0.0
    >>> gate.stats
    GateStats(holds_set=0, callers_held=0, callers_failed_fast=0, retry_in_s=0.0)
    """

    __slots__ = ("_clock", "_core", "_custom_clock", "_fleet", "name")

    def __init__(
        self,
        name: str = "gate",
        *,
        clock: Callable[[], float] = time.monotonic,
        seed: int | None = None,
        jitter: float = _DEFAULTS.jitter,
        store: InMemoryStore | None = None,
    ) -> None:
        self.name = valid.text("name", name)
        store = valid.instance("store", store, InMemoryStore)
        clock = store_clock("gate", store, valid.function("clock", clock))
        self._clock = clock
        # None: the core reads the default clock itself, saving a Python call per admission and failure.
        self._custom_clock: Callable[[], float] | None = None if clock is time.monotonic else clock
        jitter = valid.share("jitter", jitter)
        seed = valid.seed("seed", seed)

        def make() -> _core.GateCore:
            return _core.GateCore(now_s=valid.reading("clock", self._now()), jitter=jitter, seed=seed)

        shared = (("jitter", jitter),)
        self._core = make() if store is None else store._shared("gate", self.name, shared, make)
        # On a `RedisStore`: the fleet's hold of this name (sent when set here, read every round).
        self._fleet = None if store is None else store._fleet("gate", self.name, self._core, shared, self)

    def _now(self) -> float | None:
        clock = self._custom_clock
        return None if clock is None else clock()

    @property
    def stats(self) -> GateStats:
        """Hints that set a hold, callers held, callers failed fast, and the seconds left of the hold."""
        return self._core.stats(self._now())

    def retry_in_s(self) -> float:
        """Seconds left of the hold in force, exactly (0 when nothing is held)."""
        return self._core.retry_in_s(self._now())

    def __repr__(self) -> str:
        return f"RateLimitGate(name={self.name!r}, retry_in_s={self.retry_in_s():.2f})"

    # The attempt engine's side (`_engine.Call`).

    def _record(self, failure: _core.Classification) -> None:
        """A failed attempt: the core decides whether its hint holds the gate (and, on a `RedisStore`, the
        fleet's at once)."""
        if self._core.record(failure, self._now()) and self._fleet is not None:
            self._fleet.held()

    def _rejection(self, hold: _core.HoldTooLong) -> RateLimitedError:
        return RateLimitedError(self.name, hold.retry_in_s, hold.reason)
