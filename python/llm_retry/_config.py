"""`RetryConfig`: which failures are safe to retry and how long to wait. Presets are values of it.

Validation happens here, at construction (with `_validate`), so a bad value fails at decoration time and names
the parameter.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from typing import Any

from . import _core
from . import _validate as valid
from ._kinds import ErrorKind

DEFAULT_STATUS_CODES: tuple[int, ...] = (408, 409, 429, 500, 502, 503, 504, 529)
DEFAULT_NEVER_RETRY: frozenset[ErrorKind] = frozenset(
    {ErrorKind.QUOTA_EXHAUSTED, ErrorKind.AUTH, ErrorKind.CONTEXT_OVERFLOW, ErrorKind.CONTENT_FILTERED}
)


@dataclasses.dataclass(frozen=True)
class RetryConfig:
    """Which failures to retry and how to space the retries. Immutable; presets are instances.

    A config's lists are the whole list: with ``retryable_status_codes=[429, 500, 529]`` a 502 is not
    retried. Kinds in ``never_retry_kinds`` are never retried, whatever the status or the server says.

    >>> config = RetryConfig(retryable_status_codes=[429, 500, 529], max_attempts=6)
    >>> config.retryable_status_codes
    (429, 500, 529)
    >>> config.replace(max_attempts=2).max_attempts
    2
    >>> RetryConfig(max_attempts=0)
    Traceback (most recent call last):
    ...
    ValueError: max_attempts must be an int from 1 to 1000000, got 0

    Bad values fail here, naming the parameter (see `llm_retry._validate`): counts are ints from 1 to
    1,000,000; seconds are finite, from 0 to a year (31,536,000 s), and a longer one is refused, not clamped;
    a seed is an int from 0 to 2**64 - 1; a bool is never a number.
    """

    retryable_status_codes: tuple[int, ...] = DEFAULT_STATUS_CODES
    """HTTP statuses that are safe to retry."""
    retryable_exception_names: tuple[str, ...] = ()
    """Exception class names (any class in the MRO) and error type/code strings (e.g. ``overloaded_error``,
    ``ThrottlingException``) that are safe to retry; compared case-insensitively."""
    retry_network_errors: bool = True
    """Retry connection failures and timeouts, recognised by class name (builtins, httpx, httpx2, requests,
    aiohttp, urllib3, botocore)."""
    never_retry_kinds: frozenset[ErrorKind] = DEFAULT_NEVER_RETRY
    """Kinds never retried, whatever their status code or the server's hints."""
    max_attempts: int = 5
    """Attempts in all, the first included."""
    base_delay_s: float = 1.0
    """The ceiling of the first wait; it doubles after each failure."""
    max_delay_s: float = 60.0
    """The largest ceiling a computed wait can have."""
    max_retry_after_s: float = 60.0
    """The longest server-requested wait that is honoured; a longer one gives up at once instead."""
    deadline_s: float | None = None
    """Wall-clock budget for the whole call, waits included; None for no deadline."""
    seed: int | None = None
    """Seed for the jitter, for reproducible tests; None draws from the OS."""
    name: str = "custom"
    """A label for logs and events."""

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        for field, check in _CHECKS:
            set_(self, field, check(field, getattr(self, field)))
        if self.base_delay_s > self.max_delay_s:
            allowed = f"at most max_delay_s ({self.max_delay_s})"
            raise valid.out_of_range("base_delay_s", allowed, self.base_delay_s)
        set_(self, "_policy", _compile(self))

    # The compiled policy is derived state: copies and pickles carry the fields and compile their own.
    def __getstate__(self) -> dict[str, Any]:
        return {f: getattr(self, f) for f in FIELD_NAMES}

    def __setstate__(self, state: dict[str, Any]) -> None:
        for field, value in state.items():
            object.__setattr__(self, field, value)
        object.__setattr__(self, "_policy", _compile(self))

    def replace(self, **changes: Any) -> RetryConfig:
        """A copy with some fields changed (validated like a new config)."""
        unknown = set(changes) - FIELD_NAMES
        if unknown:
            raise TypeError(f"unknown RetryConfig field(s): {', '.join(sorted(unknown))}")
        return dataclasses.replace(self, **changes)

    def extend(
        self,
        *,
        retryable_status_codes: Iterable[int] = (),
        retryable_exception_names: Iterable[str] = (),
    ) -> RetryConfig:
        """A copy that also retries these statuses and names, without restating the preset's lists.

        >>> from llm_retry import AnthropicPreset
        >>> 502 in AnthropicPreset.extend(retryable_status_codes=[502]).retryable_status_codes
        True
        """
        return self.replace(
            retryable_status_codes=(
                *self.retryable_status_codes,
                *valid.status_codes("retryable_status_codes", retryable_status_codes),
            ),
            retryable_exception_names=(
                *self.retryable_exception_names,
                *valid.names("retryable_exception_names", retryable_exception_names),
            ),
        )


FIELD_NAMES = frozenset(f.name for f in dataclasses.fields(RetryConfig))

# Every field's check, in field order: `_validate` owns the rules and the messages.
_CHECKS: tuple[tuple[str, Callable[[str, object], object]], ...] = (
    ("retryable_status_codes", valid.status_codes),
    ("retryable_exception_names", valid.names),
    ("retry_network_errors", valid.flag),
    ("never_retry_kinds", valid.kinds),
    ("max_attempts", valid.count),
    ("base_delay_s", valid.seconds),
    ("max_delay_s", valid.seconds),
    ("max_retry_after_s", valid.seconds),
    ("deadline_s", valid.optional_seconds),
    ("seed", valid.seed),
    ("name", valid.text),
)


def _compile(config: RetryConfig) -> _core.Policy:
    """The config turned into the Rust policy that decides for it, once, when the config is made. The
    decorators and `classify` read it as ``config._policy``; it is the one attribute of a Python object of
    ours that Rust reads (see ``crates/llm-retry-python/src/py_objects.rs``)."""
    return _core.Policy(
        retryable_status_codes=list(config.retryable_status_codes),
        retryable_names=list(config.retryable_exception_names),
        retry_network=config.retry_network_errors,
        never_retry_kinds=[k.value for k in config.never_retry_kinds],
        base_delay_s=config.base_delay_s,
        max_delay_s=config.max_delay_s,
        max_attempts=config.max_attempts,
        max_retry_after_s=config.max_retry_after_s,
        seed=config.seed,
    )
