"""`RetryBudget`: the core's token bucket (`_core.RetryBudget`, whose methods it keeps as they are), with a
constructor that checks its arguments like every other public constructor.
"""

from __future__ import annotations

from . import _core
from . import _validate as valid

# The defaults are the core's (`BudgetConfig::default()`); the signature below only shows them.
_DEFAULTS = _core.BudgetSettings.defaults()


class RetryBudget(_core.RetryBudget):
    """A retry budget shared by any number of decorated functions (typically one per provider).

    First attempts always go; each retry spends tokens that successes refill, so that when most calls
    fail, retries stop adding load. Thread-safe, in Rust. With the defaults a full bucket (500 tokens)
    pays for 100 retries of rate limits or overloads (``throttle_retry_cost``, 5 tokens each) or 50 of
    other failures (``retry_cost``, 10 each); a first-try success earns ``success_reward`` (1 token) back,
    and a success after retries refunds the last retry's cost.

    ``capacity`` is above 0 and at most 1e9 tokens; each cost above 0 and at most ``capacity``;
    ``success_reward`` from 0 to 1e9. Anything else fails here, naming the parameter.

    >>> budget = RetryBudget(capacity=20.0)
    >>> budget.try_spend("rate_limited"), budget.tokens
    (5.0, 15.0)
    >>> RetryBudget(capacity=True)
    Traceback (most recent call last):
    ...
    TypeError: capacity must be a number above 0 and at most 1000000000, got True (bool)
    """

    __slots__ = ()

    def __new__(
        cls,
        *,
        capacity: float = _DEFAULTS.capacity,
        retry_cost: float = _DEFAULTS.retry_cost,
        throttle_retry_cost: float = _DEFAULTS.throttle_retry_cost,
        success_reward: float = _DEFAULTS.success_reward,
    ) -> RetryBudget:
        capacity = valid.tokens("capacity", capacity, positive=True)
        return super().__new__(
            cls,
            capacity=capacity,
            retry_cost=valid.tokens("retry_cost", retry_cost, positive=True, maximum=capacity, of="capacity"),
            throttle_retry_cost=valid.tokens(
                "throttle_retry_cost", throttle_retry_cost, positive=True, maximum=capacity, of="capacity"
            ),
            success_reward=valid.tokens("success_reward", success_reward, positive=False),
        )
