"""The closed sets Python sees: what kind of error a failure was, why a call gave up, and what state a
breaker is in. Each mirrors a Rust enum member for member, in the same order; `_core` maps by index.
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
        """Whether this kind says something about the provider's health (breakers and budgets count it)."""
        return self in _PROVIDER_FAILURES


# The set is the core's (`ErrorKind::is_provider_failure`); Python only reads it.
_PROVIDER_FAILURES = frozenset(ErrorKind(k) for k in _core.provider_failure_kinds())


class GiveUpReason(enum.StrEnum):
    """Why a call stopped retrying and raised its last exception.

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
