"""The closed sets Python sees: what kind of error a failure was, why a call gave up, what state a breaker
is in and why it refused a call. Each mirrors a Rust enum member for member, in the same order; `_core` maps
by index.
"""

from __future__ import annotations

import enum

from . import _core


class ErrorKind(enum.StrEnum):
    """What went wrong, whatever the provider called it.

    >>> ErrorKind.RATE_LIMITED.value
    'rate_limited'
    >>> ErrorKind("overloaded") is ErrorKind.OVERLOADED
    True
    """

    RATE_LIMITED = "rate_limited"
    OVERLOADED = "overloaded"
    SERVER_ERROR = "server_error"
    NETWORK = "network"
    AUTH = "auth"
    BAD_REQUEST = "bad_request"
    NOT_FOUND = "not_found"
    CONTEXT_OVERFLOW = "context_overflow"
    QUOTA_EXHAUSTED = "quota_exhausted"
    CONTENT_FILTERED = "content_filtered"
    UNKNOWN = "unknown"

    @property
    def is_provider_failure(self) -> bool:
        """Whether this kind says something about the provider (budgets count it, and breakers count all of
        them but ``RATE_LIMITED``: a 429 says the provider is up and busy, a rate, not a health failure)."""
        return self in _PROVIDER_FAILURES


# The set is the core's (`ErrorKind::is_provider_failure`); Python only reads it.
_PROVIDER_FAILURES = frozenset(ErrorKind(k) for k in _core.provider_failure_kinds())


class GiveUpReason(enum.StrEnum):
    """Why a call stopped retrying and raised its last exception (or, for a `RateLimitGate` that holds calls
    longer than a first attempt can wait, why it was not made: ``HINT_TOO_LONG`` or ``DEADLINE``).

    >>> GiveUpReason.ATTEMPTS_EXHAUSTED.value
    'attempts_exhausted'
    """

    NOT_RETRYABLE = "not_retryable"
    ATTEMPTS_EXHAUSTED = "attempts_exhausted"
    HINT_TOO_LONG = "hint_too_long"
    DEADLINE = "deadline"
    BUDGET_EMPTY = "budget_empty"
    BREAKER_OPEN = "breaker_open"


class BreakerState(enum.StrEnum):
    """The state of a `CircuitBreaker`.

    >>> BreakerState.HALF_OPEN.value
    'half_open'
    """

    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


class RefusalReason(enum.StrEnum):
    """Why a `CircuitBreaker` did not admit a call (``CircuitOpenError.reason``).

    ``OPEN``: the provider failed and the open period has not passed. ``HALF_OPEN_FULL``: probes are finding
    out whether it is back, and every probe slot is taken. ``SLOW_START``: the breaker closed moments ago and
    is letting calls back in gradually.

    >>> RefusalReason.SLOW_START.value
    'slow_start'
    """

    OPEN = "open"
    HALF_OPEN_FULL = "half_open_full"
    SLOW_START = "slow_start"
