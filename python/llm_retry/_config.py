"""`RetryConfig`: which failures are safe to retry and how long to wait. Presets are values of it.

Validation happens here, at construction, so a bad value fails at decoration time and names the parameter.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable
from typing import Any

from . import _core
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
    ValueError: max_attempts must be >= 1, got 0
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
        set_(self, "retryable_status_codes", _status_codes(self.retryable_status_codes))
        set_(self, "retryable_exception_names", _names(self.retryable_exception_names))
        set_(self, "never_retry_kinds", _kinds(self.never_retry_kinds))
        _require_bool("retry_network_errors", self.retry_network_errors)
        _require_int("max_attempts", self.max_attempts, minimum=1)
        for field in ("base_delay_s", "max_delay_s", "max_retry_after_s"):
            set_(self, field, _non_negative_seconds(field, getattr(self, field)))
        if self.base_delay_s > self.max_delay_s:
            raise ValueError(
                f"base_delay_s must be <= max_delay_s, got base_delay_s={self.base_delay_s} "
                f"and max_delay_s={self.max_delay_s}"
            )
        if self.deadline_s is not None:
            deadline = _non_negative_seconds("deadline_s", self.deadline_s)
            if deadline == 0:
                raise ValueError("deadline_s must be > 0 or None, got 0")
            set_(self, "deadline_s", deadline)
        if self.seed is not None:
            _require_int("seed", self.seed, minimum=0)
        if not isinstance(self.name, str):
            raise TypeError(f"name must be a str, got {type(self.name).__name__}")
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
            retryable_status_codes=(*self.retryable_status_codes, *_status_codes(retryable_status_codes)),
            retryable_exception_names=(
                *self.retryable_exception_names,
                *_names(retryable_exception_names),
            ),
        )


FIELD_NAMES = frozenset(f.name for f in dataclasses.fields(RetryConfig))


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


def _require_bool(name: str, value: object) -> None:
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be a bool, got {type(value).__name__}")


def _require_int(name: str, value: object, *, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")


def _non_negative_seconds(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"{name} must be a number of seconds, got {type(value).__name__}")
    seconds = float(value)
    if not math.isfinite(seconds) or seconds < 0:
        raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
    return seconds


def _status_codes(codes: object) -> tuple[int, ...]:
    if isinstance(codes, str | bytes) or not isinstance(codes, Iterable):
        raise TypeError(f"retryable_status_codes must be a list of ints, got {type(codes).__name__}")
    result: list[int] = []
    for code in codes:
        if isinstance(code, bool) or not isinstance(code, int):
            raise TypeError(f"retryable_status_codes must contain ints, got {code!r}")
        if not 100 <= code <= 599:
            raise ValueError(f"retryable_status_codes must be HTTP statuses (100-599), got {code}")
        if code not in result:
            result.append(code)
    return tuple(result)


def _names(names: object) -> tuple[str, ...]:
    if isinstance(names, str | bytes) or not isinstance(names, Iterable):
        raise TypeError(f"retryable_exception_names must be a list of str, got {type(names).__name__}")
    result: list[str] = []
    for name in names:
        if not isinstance(name, str) or not name.strip():
            raise TypeError(f"retryable_exception_names must contain non-empty str, got {name!r}")
        if name not in result:
            result.append(name)
    return tuple(result)


def _kinds(kinds: object) -> frozenset[ErrorKind]:
    if isinstance(kinds, str | bytes) or not isinstance(kinds, Iterable):
        raise TypeError(f"never_retry_kinds must be a set of ErrorKind, got {type(kinds).__name__}")
    try:
        return frozenset(ErrorKind(k) for k in kinds)
    except ValueError as exc:
        raise ValueError(f"never_retry_kinds: {exc}") from None
