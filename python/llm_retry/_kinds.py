"""The closed sets Python sees: what kind of error a failure was, and what state a breaker is in.

The order of `ErrorKind` members mirrors the Rust `ErrorKind` discriminants; `_core` maps by index.
"""

from __future__ import annotations

import enum


class ErrorKind(str, enum.Enum):
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

    def __str__(self) -> str:
        return self.value

    @property
    def is_provider_failure(self) -> bool:
        """Whether this kind says something about the provider's health (breakers and budgets count it)."""
        return self in _PROVIDER_FAILURES


_PROVIDER_FAILURES = frozenset(
    {ErrorKind.RATE_LIMITED, ErrorKind.OVERLOADED, ErrorKind.SERVER_ERROR, ErrorKind.NETWORK}
)


class BreakerState(str, enum.Enum):
    """The state of a `CircuitBreaker`.

    >>> BreakerState.HALF_OPEN.value
    'half_open'
    """

    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"

    def __str__(self) -> str:
        return self.value
