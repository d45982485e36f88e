"""Every check of a public constructor's or decorator's arguments, one function per kind of value, and the one
message shape they share: ``<parameter> must be <what is allowed>, got <value>``.

A value of the wrong type is a `TypeError` (its type is named too), a value of the right type out of range
a `ValueError`. ``bool`` is never a number, a string is never a collection, and a huge int is out of range,
never an `OverflowError`. The checks run when a config, breaker, gate, budget or decorator is made, never per
call.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from ._kinds import ErrorKind

T = TypeVar("T")

MAX_COUNT = 1_000_000
"""The largest count (``max_attempts``, ``failure_threshold``, ``half_open_max_calls``,
``minimum_calls``): far beyond any sane setting, well inside the core's u32."""
MAX_SECONDS = 31_536_000.0
"""A year: the longest wait the core computes (`backoff::LONGEST_DELAY_S`), and the most any seconds parameter
may be. Longer is a mistake (a value in ms, say), so it is refused rather than clamped."""
MAX_SEED = 2**64 - 1
"""Seeds become the core's u64."""

_SHOWN_CHARS = 40
_YEAR = f"{MAX_SECONDS:.0f} (a year)"
_KINDS = f"a collection of ErrorKind values ({', '.join(k.value for k in ErrorKind)})"
_STATUSES = "a collection of HTTP statuses (ints from 100 to 599)"
_NAMES = "a collection of non-empty str"
_HOOKS = "a callable or a collection of callables"
_SEED = "None or an int from 0 to 2**64 - 1"
_FRACTION = "None or a number above 0 and at most 1"
_SHARE = "a number from 0 to 1"


def shown(value: object) -> str:
    """``repr(value)``, short: an int of 10**100 is ``about 10**100`` (one of 5,000 digits cannot even be
    printed), a long repr is cut, and a repr that raises is replaced by the type's name."""
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 128:
        return f"about {'-' if value < 0 else ''}10**{round(math.log10(abs(value)))}"
    try:
        text = repr(value)
    except Exception:
        return f"<{type(value).__name__} object>"
    return text if len(text) <= _SHOWN_CHARS else text[: _SHOWN_CHARS - 3] + "..."


def wrong_type(name: str, allowed: str, value: object) -> TypeError:
    return TypeError(f"{name} must be {allowed}, got {shown(value)} ({type(value).__name__})")


def out_of_range(name: str, allowed: str, value: object) -> ValueError:
    return ValueError(f"{name} must be {allowed}, got {shown(value)}")


def _refusal(name: str, allowed: str, value: object, number: object) -> Exception:
    """`wrong_type` when ``value`` did not convert to ``number`` (None), else `out_of_range`."""
    return wrong_type(name, allowed, value) if number is None else out_of_range(name, allowed, value)


def _figure(x: float) -> str:
    """A bound as written in a message: 1, 0.5, 31536000."""
    return f"{x:.0f}" if float(x).is_integer() else repr(x)


# Messages are written only on failure: configs are made at every `attempts()` with a seed, and the checks
# must stay cheap beside the ~10 µs of compiling the policy.


def _integer(value: object) -> int | None:
    """``value`` as an int, or None when it is not an integer (a bool is not; a numpy int is)."""
    if type(value) is int:
        return value
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        return None
    return int(value)


def _real(value: object) -> int | float | None:
    """``value`` as an int or a float, or None when it is not a real number (a bool is not). An int stays an
    int, compared exactly (10**400 is out of range, not an `OverflowError`); another real becomes a float,
    infinite when too large for one."""
    if type(value) is float or type(value) is int:
        return value
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return None
    if isinstance(value, numbers.Integral):
        return int(value)
    try:
        return float(value)
    except OverflowError:
        return math.inf


def _within(number: float, low: float, high: float, *, low_open: bool) -> bool:
    """Whether ``number`` is in the range; NaN is not."""
    return (number > low if low_open else number >= low) and number <= high


def count(name: str, value: object, *, minimum: int = 1, maximum: int = MAX_COUNT) -> int:
    """An int from ``minimum`` (1 unless the parameter allows 0) to ``maximum``."""
    number = _integer(value)
    if number is not None and minimum <= number <= maximum:
        return number
    raise _refusal(name, f"an int from {minimum} to {maximum}", value, number)


def seed(name: str, value: object) -> int | None:
    """None, or an int from 0 to 2**64 - 1."""
    if value is None:
        return None
    number = _integer(value)
    if number is not None and 0 <= number <= MAX_SEED:
        return number
    raise _refusal(name, _SEED, value, number)


def _seconds_allowed(positive: bool, minimum: float, maximum: float) -> str:
    most = _YEAR if maximum == MAX_SECONDS else _figure(maximum)
    if positive:
        return f"a number of seconds above 0 and at most {most}"
    return f"a number of seconds from {_figure(minimum)} to {most}"


def seconds(
    name: str, value: object, *, positive: bool = False, minimum: float = 0.0, maximum: float = MAX_SECONDS
) -> float:
    """A number of seconds from ``minimum`` (above 0 instead, with ``positive``) to ``maximum``: a year,
    unless the parameter has a tighter bound of its own."""
    number = _real(value)
    if number is not None and _within(number, minimum, maximum, low_open=positive):
        return float(number)
    raise _refusal(name, _seconds_allowed(positive, minimum, maximum), value, number)


def optional_seconds(name: str, value: object) -> float | None:
    """None, or a number of seconds above 0 and at most a year."""
    if value is None:
        return None
    number = _real(value)
    if number is not None and _within(number, 0.0, MAX_SECONDS, low_open=True):
        return float(number)
    raise _refusal(name, "None or " + _seconds_allowed(True, 0.0, MAX_SECONDS), value, number)


def fraction(name: str, value: object) -> float | None:
    """None, or a share above 0 and at most 1."""
    if value is None:
        return None
    number = _real(value)
    if number is not None and _within(number, 0.0, 1.0, low_open=True):
        return float(number)
    raise _refusal(name, _FRACTION, value, number)


def share(name: str, value: object) -> float:
    """A number from 0 to 1 (a jitter's share of a wait)."""
    number = _real(value)
    if number is not None and _within(number, 0.0, 1.0, low_open=False):
        return float(number)
    raise _refusal(name, _SHARE, value, number)


def ratio(name: str, value: object, *, maximum: float) -> float:
    """A number from 0 to ``maximum`` (``retry_ratio``: retries per first attempt)."""
    number = _real(value)
    if number is not None and _within(number, 0.0, maximum, low_open=False):
        return float(number)
    raise _refusal(name, f"a number from 0 to {_figure(maximum)}", value, number)


def reading(name: str, value: object) -> float | None:
    """None (the default clock, read in Rust), or what the clock ``name`` returned: a number of seconds."""
    if value is None or type(value) is float:
        return value
    number = _real(value)
    if number is None:
        raise wrong_type(f"{name}()", "a number of seconds", value)
    return float(number)


def flag(name: str, value: object) -> bool:
    """``True`` or ``False``; 0, 1 and "yes" are not bools."""
    if not isinstance(value, bool):
        raise wrong_type(name, "a bool", value)
    return value


def text(name: str, value: object) -> str:
    """A str."""
    if not isinstance(value, str):
        raise wrong_type(name, "a str", value)
    return value


def function(name: str, value: object, *, allowed: str = "callable") -> Callable[..., Any]:
    """A callable."""
    if not callable(value):
        raise wrong_type(name, allowed, value)
    return value


def optional_function(name: str, value: object) -> Callable[..., Any] | None:
    """None, or a callable."""
    return None if value is None else function(name, value, allowed="None or callable")


def instance(name: str, value: object, cls: type[T]) -> T | None:
    """None, or an instance of ``cls``."""
    if value is not None and not isinstance(value, cls):
        article = "an" if cls.__name__[:1] in "AEIOU" else "a"
        raise wrong_type(name, f"None or {article} {cls.__name__}", value)
    return value


def _collection(name: str, value: object, allowed: str) -> Iterable[object]:
    """The items of ``value``, a collection that is not a string (which would iterate its letters)."""
    if isinstance(value, tuple | list | set | frozenset):
        return value
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        raise wrong_type(name, allowed, value)
    return value


def hooks(name: str, value: object) -> tuple[Callable[..., Any], ...]:
    """None, one callable, or a collection of callables, as a tuple."""
    if value is None:
        return ()
    if callable(value):
        return (value,)
    return tuple(function(name, hook, allowed=_HOOKS) for hook in _collection(name, value, _HOOKS))


def kinds(name: str, value: object) -> frozenset[ErrorKind]:
    """A collection of `ErrorKind` members or their values, as a frozenset."""
    found = set()
    for kind in _collection(name, value, _KINDS):
        if type(kind) is ErrorKind:
            found.add(kind)
            continue
        if not isinstance(kind, str):
            raise wrong_type(name, _KINDS, kind)
        try:
            found.add(ErrorKind(kind))
        except ValueError:
            raise out_of_range(name, _KINDS, kind) from None
    return frozenset(found)


def status_codes(name: str, value: object) -> tuple[int, ...]:
    """A collection of HTTP statuses (ints from 100 to 599), as a tuple without repeats."""
    found: list[int] = []
    for item in _collection(name, value, _STATUSES):
        code = _integer(item)
        if code is None or not 100 <= code <= 599:
            raise _refusal(name, _STATUSES, item, code)
        if code not in found:
            found.append(code)
    return tuple(found)


def names(name: str, value: object) -> tuple[str, ...]:
    """A collection of non-empty strs, as a tuple without repeats."""
    found: list[str] = []
    for item in _collection(name, value, _NAMES):
        if not isinstance(item, str):
            raise wrong_type(name, _NAMES, item)
        if not item.strip():
            raise out_of_range(name, _NAMES, item)
        if item not in found:
            found.append(item)
    return tuple(found)
