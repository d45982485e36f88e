"""`RetryBudget`: retries in proportion to traffic over a sliding window (`_core.BudgetCore`), and the default
budgets a decorated function gets when it names none: one per provider within a process.
"""

from __future__ import annotations

import enum
import threading
import time
from collections.abc import Callable
from typing import Any, cast

from . import _core
from . import _validate as valid
from ._store import InMemoryStore, store_clock

BudgetStats = _core.BudgetStats

# The defaults are the core's (`BudgetConfig::default()`); the signature below only shows them.
_DEFAULTS = _core.BudgetSettings.defaults()
# The core's bounds (`budget::SHORTEST_WINDOW_S`, `LARGEST_MIN_RETRIES`, `LARGEST_RETRY_RATIO`); the longest
# window is a year, like every seconds parameter.
_SHORTEST_WINDOW_S = 1.0
_LARGEST_MIN_RETRIES = valid.MAX_COUNT
_LARGEST_RETRY_RATIO = 1000.0


class RetryBudget:
    """Caps retries at a share of the traffic, so that when most calls fail, retries stop adding load.

    Over the last ``window_s`` seconds a retry goes while ``retries + 1 <= min_retries + retry_ratio *
    first_attempts``: each first attempt earns ``retry_ratio`` of a retry, each retry spends one, and
    ``min_retries`` per window let a quiet process retry at all. First attempts always go. A refused retry
    ends its call with the last exception and a note. Every kind of failure costs the same retry. With the
    defaults (60 s, 4, 0.05) a process making 1,000 calls a second may retry 5 % of them; a quiet one still
    gets the 4 retries of a five-attempt call; a fleet of small clients sends about 1.5 attempts per request
    through a provider outage (the README's "Retry budgets" has the arithmetic). After Finagle's
    ``RetryBudget`` and the SRE book's per-client retry budget.

    Every decorated function gets a budget without asking (one per provider; see ``retry_llm``); share one
    of your own between functions with ``budget=``. Thread-safe, in Rust. ``clock`` is a monotonic clock in
    seconds; tests pass a fake one (the default is read in Rust, to within a few milliseconds). ``stats``
    is a `BudgetStats`. With ``store`` (an `InMemoryStore`), every budget of this ``name`` on that store
    shares one account, and reads the store's clock; on a `RedisStore`, every budget of this ``name`` in the
    fleet (``min_retries`` is then the fleet's floor, not each process's; ``stats`` stay this process's).

    ``window_s`` is from 1 s to a year; ``min_retries`` an int from 0 to 1,000,000; ``retry_ratio`` a number
    from 0 to 1000. Anything else fails here, naming the parameter.

    >>> budget = RetryBudget(min_retries=1, retry_ratio=0.5, name="gateway")
    >>> budget.stats.retries_available
    1
    >>> budget
    RetryBudget(name='gateway', retries_available=1)
    >>> RetryBudget(window_s=0.5)
    Traceback (most recent call last):
    ...
    ValueError: window_s must be a number of seconds from 1 to 31536000 (a year), got 0.5
    """

    __slots__ = ("_clock", "_core", "_custom_clock", "_deposit", "_fleet", "name")

    def __init__(
        self,
        *,
        window_s: float = _DEFAULTS.window_s,
        min_retries: int = _DEFAULTS.min_retries,
        retry_ratio: float = _DEFAULTS.retry_ratio,
        name: str = "budget",
        clock: Callable[[], float] = time.monotonic,
        store: InMemoryStore | None = None,
    ) -> None:
        window_s = valid.seconds("window_s", window_s, minimum=_SHORTEST_WINDOW_S)
        min_retries = valid.count("min_retries", min_retries, minimum=0, maximum=_LARGEST_MIN_RETRIES)
        retry_ratio = valid.ratio("retry_ratio", retry_ratio, maximum=_LARGEST_RETRY_RATIO)
        self.name = valid.text("name", name)
        store = valid.instance("store", store, InMemoryStore)
        clock = store_clock("budget", store, valid.function("clock", clock))
        self._clock = clock
        # None: the core reads the default clock itself, saving a Python call per first attempt.
        self._custom_clock: Callable[[], float] | None = None if clock is time.monotonic else clock
        settings: dict[str, Any] = {
            "window_s": window_s,
            "min_retries": min_retries,
            "retry_ratio": retry_ratio,
        }

        def make() -> _core.BudgetCore:
            return _core.BudgetCore(now_s=self._now(), **settings)

        shared = tuple(settings.items())
        self._core = make() if store is None else store._shared("budget", self.name, shared, make)
        # On a `RedisStore`: the fleet's account of this name (first attempts batched, retries exact).
        self._fleet = None if store is None else store._fleet("budget", self.name, self._core, shared, self)
        # What the engine calls at each first attempt: on the default clock, straight into the core.
        self._deposit: Callable[[], None] = (
            self._core.deposit if clock is time.monotonic else self._deposit_now
        )

    def _now(self) -> float | None:
        """None for the default clock (read in Rust), else the custom clock's reading."""
        clock = self._custom_clock
        return None if clock is None else valid.reading("clock", clock())

    @property
    def window_s(self) -> float:
        return self._core.window_s

    @property
    def min_retries(self) -> int:
        return self._core.min_retries

    @property
    def retry_ratio(self) -> float:
        return self._core.retry_ratio

    @property
    def stats(self) -> BudgetStats:
        """First attempts, retries allowed and refused, ever and over the window; retries available now."""
        return self._core.stats(self._now())

    def __repr__(self) -> str:
        return f"RetryBudget(name={self.name!r}, retries_available={self.stats.retries_available})"

    # The attempt engine's side (`_engine.Call`): `_deposit()` at each first attempt, `_withdraw()` before
    # each retry, and the note of a refusal.

    def _deposit_now(self) -> None:
        """`_deposit` on a custom clock."""
        self._core.deposit_at(cast(float, self._now()))

    def _deposit_batch(self, count: int) -> int:
        """`count` first attempts made since the caller's last report; returns how many it may count before
        the next (a decorator's, `_decorators._sync_budgeted`)."""
        return self._core.deposit_batch(count, self._now())

    def _withdraw(self) -> Any:
        """True or False; on a `RedisStore` with an async client, a pending answer the engine settles before
        the next attempt."""
        if self._fleet is not None:
            return self._fleet.withdraw()
        return self._core.try_withdraw(self._now())

    def _refusal(self, attempt: int, kind: str) -> str:
        """The note of a call that gave up after ``attempt`` because the retry was refused, with the counts
        that refused it."""
        stats = self.stats
        retries, firsts = stats.retries_allowed_in_window, stats.first_attempts_in_window
        return (
            f"llm-retry: gave up after attempt {attempt}: retry budget {self.name!r} refused the retry "
            f"({kind}): {retries} {'retry' if retries == 1 else 'retries'} already made in the last "
            f"{self.window_s:g} s, against {firsts} first {'attempt' if firsts == 1 else 'attempts'}"
        )


class DefaultBudget(enum.Enum):
    """The ``budget=`` default of the decorators and `attempts()`: see `budget_for`."""

    PER_PROVIDER = "per-provider"

    def __repr__(self) -> str:
        return "<one RetryBudget per provider>"


PER_PROVIDER = DefaultBudget.PER_PROVIDER

_PER_PROVIDER: dict[str, RetryBudget] = {}
_PER_PROVIDER_LOCK = threading.Lock()


def budget_for(budget: object, config_name: str, clock: object) -> RetryBudget | None:
    """The budget a decorated function or `attempts()` block uses. ``budget`` given (a `RetryBudget`, or None
    for no budget) is checked and kept. Left at its default, on the default clock, it is the process's budget
    for ``config_name`` (a preset's name: "anthropic", "openai", "default"...), shared by every function of
    that provider; on a custom clock, a budget of its own on that clock, so that a test's fake clock never
    meets another test's budget."""
    if budget is not PER_PROVIDER:
        return valid.instance("budget", budget, RetryBudget)
    if clock is not time.monotonic:
        return RetryBudget(name=config_name, clock=cast(Callable[[], float], clock))
    found = _PER_PROVIDER.get(config_name)
    if found is None:
        with _PER_PROVIDER_LOCK:
            found = _PER_PROVIDER.setdefault(config_name, RetryBudget(name=config_name))
    return found


def _reset_default_budgets() -> None:
    """Empties every per-provider budget, as if the process had just started (tests, between tests). They are
    emptied, not replaced: functions decorated at import time keep theirs."""
    with _PER_PROVIDER_LOCK:
        for budget in _PER_PROVIDER.values():
            budget._core.clear()
