"""Every bad argument of every public constructor and decorator is a clear error when the object is made (a
config, a breaker, a budget, a fallback chain) or the function decorated, never at the first call.

One message shape (`llm_retry._validate`): ``<parameter> must be <what is allowed>, got <value>``, a
`TypeError` for a value of the wrong type (its type named too) and a `ValueError` for one out of range. A bool
is never a number, a string never a collection, and no `OverflowError` escapes. Each row of the tables below
is the call, its keyword arguments, the exception type and a regex the whole message must match.
"""

from __future__ import annotations

import dataclasses
import enum
import inspect
import re
import time
from collections.abc import Callable
from decimal import Decimal
from fractions import Fraction
from typing import Any

import llm_retry
import pytest
from llm_retry import (
    CircuitBreaker,
    DefaultPreset,
    ErrorKind,
    InMemoryStore,
    RateLimitGate,
    RetryBudget,
    RetryConfig,
    async_retry_llm,
    fallback,
    retry_llm,
)
from llm_retry._validate import shown

# --- the calls --------------------------------------------------------------------------------------------


def _never_called() -> None:
    raise AssertionError("a decorated function was called while its decorator was being validated")


async def _never_awaited() -> None:
    raise AssertionError("a decorated function was called while its decorator was being validated")


def _retry_llm(**kwargs: Any) -> object:
    return retry_llm(**kwargs)(_never_called)


def _async_retry_llm(**kwargs: Any) -> object:
    return async_retry_llm(**kwargs)(_never_awaited)


def _attempts(**kwargs: Any) -> object:
    return llm_retry.attempts(**kwargs)


def _replace(**kwargs: Any) -> object:
    return DefaultPreset.replace(**kwargs)


def _extend(**kwargs: Any) -> object:
    return DefaultPreset.extend(**kwargs)


def _decorate(func: object) -> object:
    return retry_llm(func)  # type: ignore[call-overload]


def _async_decorate(func: object) -> object:
    return async_retry_llm(func)  # type: ignore[call-overload]


def _provider(prompt: str) -> str:
    return "answer"


def _fallback(
    primary: object = _provider, others: tuple[object, ...] = (_provider,), **kwargs: Any
) -> object:
    return fallback(primary, *others, **kwargs)  # type: ignore[arg-type]


DECORATORS = {"retry_llm": _retry_llm, "async_retry_llm": _async_retry_llm, "attempts": _attempts}
CONFIG_MAKERS = {"RetryConfig": RetryConfig, "RetryConfig.replace": _replace, **DECORATORS}


# --- what the messages say --------------------------------------------------------------------------------


def says(parameter: str, allowed: str, got: str) -> str:
    """The one message shape as a regex: ``allowed`` and ``got`` are regex fragments."""
    return rf"^{re.escape(parameter)} must be {allowed}, got {got}$"


def typed(value: str, type_name: str) -> str:
    """``got`` for a value of the wrong type: its repr (a regex fragment) and its type."""
    return rf"{value} \({re.escape(type_name)}\)"


COUNT = r"an int from 1 to 1000000"
SECONDS = r"a number of seconds from 0 to 31536000 \(a year\)"
POSITIVE_SECONDS = r"a number of seconds above 0 and at most 31536000 \(a year\)"
DEADLINE = r"None or " + POSITIVE_SECONDS
WINDOW = r"a number of seconds from 1 to 10000"
SEED = r"None or an int from 0 to 2\*\*64 - 1"
FRACTION = r"None or a number above 0 and at most 1"
STATUSES = r"a collection of HTTP statuses \(ints from 100 to 599\)"
NAMES = r"a collection of non-empty str"
KINDS = r"a collection of ErrorKind values \(rate_limited, overloaded, [a-z_, ]+\)"
HOOKS = r"a callable or a collection of callables"
BUDGET_WINDOW = r"a number of seconds from 1 to 31536000 \(a year\)"
MIN_RETRIES = r"an int from 0 to 1000000"
RATIO = r"a number from 0 to 1000"


class Hostile:
    """An argument whose repr raises."""

    def __repr__(self) -> str:
        raise RuntimeError("no repr for you")


Row = tuple[dict[str, Any], type[Exception], str]

# --- RetryConfig's fields: bad for RetryConfig, replace(), and as overrides of every decorator ------------

CONFIG_FIELDS: list[Row] = [
    ({"max_attempts": 0}, ValueError, says("max_attempts", COUNT, "0")),
    ({"max_attempts": -3}, ValueError, says("max_attempts", COUNT, "-3")),
    ({"max_attempts": 1_000_001}, ValueError, says("max_attempts", COUNT, "1000001")),
    ({"max_attempts": 2**32}, ValueError, says("max_attempts", COUNT, "4294967296")),
    ({"max_attempts": 10**100}, ValueError, says("max_attempts", COUNT, r"about 10\*\*100")),
    ({"max_attempts": -(10**100)}, ValueError, says("max_attempts", COUNT, r"about -10\*\*100")),
    # Its repr would raise (more than 4,300 digits).
    ({"max_attempts": 10**5000}, ValueError, says("max_attempts", COUNT, r"about 10\*\*5000")),
    ({"max_attempts": True}, TypeError, says("max_attempts", COUNT, typed("True", "bool"))),
    ({"max_attempts": False}, TypeError, says("max_attempts", COUNT, typed("False", "bool"))),
    ({"max_attempts": 2.5}, TypeError, says("max_attempts", COUNT, typed("2.5", "float"))),
    ({"max_attempts": 3.0}, TypeError, says("max_attempts", COUNT, typed("3.0", "float"))),
    ({"max_attempts": "3"}, TypeError, says("max_attempts", COUNT, typed("'3'", "str"))),
    ({"max_attempts": "x" * 1000}, TypeError, says("max_attempts", COUNT, typed(r"'x{36}\.\.\.", "str"))),
    ({"max_attempts": None}, TypeError, says("max_attempts", COUNT, typed("None", "NoneType"))),
    ({"base_delay_s": -1.0}, ValueError, says("base_delay_s", SECONDS, "-1.0")),
    ({"base_delay_s": float("nan")}, ValueError, says("base_delay_s", SECONDS, "nan")),
    ({"base_delay_s": float("inf")}, ValueError, says("base_delay_s", SECONDS, "inf")),
    ({"base_delay_s": 10**400}, ValueError, says("base_delay_s", SECONDS, r"about 10\*\*400")),
    ({"base_delay_s": "1"}, TypeError, says("base_delay_s", SECONDS, typed("'1'", "str"))),
    ({"base_delay_s": True}, TypeError, says("base_delay_s", SECONDS, typed("True", "bool"))),
    (
        {"base_delay_s": Decimal("1")},
        TypeError,
        says("base_delay_s", SECONDS, typed(r"Decimal\('1'\)", "Decimal")),
    ),
    (
        {"base_delay_s": 10.0, "max_delay_s": 5.0},
        ValueError,
        says("base_delay_s", r"at most max_delay_s \(5\.0\)", r"10\.0"),
    ),
    ({"max_delay_s": -0.5}, ValueError, says("max_delay_s", SECONDS, "-0.5")),
    ({"max_delay_s": float("nan")}, ValueError, says("max_delay_s", SECONDS, "nan")),
    ({"max_delay_s": float("-inf")}, ValueError, says("max_delay_s", SECONDS, "-inf")),
    ({"max_delay_s": 31_536_001}, ValueError, says("max_delay_s", SECONDS, "31536001")),
    ({"max_delay_s": 1e300}, ValueError, says("max_delay_s", SECONDS, r"1e\+300")),
    ({"max_delay_s": 10**100}, ValueError, says("max_delay_s", SECONDS, r"about 10\*\*100")),
    ({"max_delay_s": 10**400}, ValueError, says("max_delay_s", SECONDS, r"about 10\*\*400")),
    ({"max_delay_s": Fraction(10**400)}, ValueError, says("max_delay_s", SECONDS, r"Fraction\(1000.*\.\.\.")),
    ({"max_delay_s": 1j}, TypeError, says("max_delay_s", SECONDS, typed("1j", "complex"))),
    ({"max_delay_s": None}, TypeError, says("max_delay_s", SECONDS, typed("None", "NoneType"))),
    ({"max_retry_after_s": -1}, ValueError, says("max_retry_after_s", SECONDS, "-1")),
    ({"max_retry_after_s": float("nan")}, ValueError, says("max_retry_after_s", SECONDS, "nan")),
    ({"max_retry_after_s": float("inf")}, ValueError, says("max_retry_after_s", SECONDS, "inf")),
    ({"max_retry_after_s": 1e300}, ValueError, says("max_retry_after_s", SECONDS, r"1e\+300")),
    ({"max_retry_after_s": [60]}, TypeError, says("max_retry_after_s", SECONDS, typed(r"\[60\]", "list"))),
    ({"max_retry_after_s": False}, TypeError, says("max_retry_after_s", SECONDS, typed("False", "bool"))),
    ({"deadline_s": 0}, ValueError, says("deadline_s", DEADLINE, "0")),
    ({"deadline_s": -5.0}, ValueError, says("deadline_s", DEADLINE, "-5.0")),
    ({"deadline_s": float("nan")}, ValueError, says("deadline_s", DEADLINE, "nan")),
    ({"deadline_s": float("inf")}, ValueError, says("deadline_s", DEADLINE, "inf")),
    ({"deadline_s": 1e300}, ValueError, says("deadline_s", DEADLINE, r"1e\+300")),
    ({"deadline_s": 10**400}, ValueError, says("deadline_s", DEADLINE, r"about 10\*\*400")),
    ({"deadline_s": "30"}, TypeError, says("deadline_s", DEADLINE, typed("'30'", "str"))),
    ({"deadline_s": True}, TypeError, says("deadline_s", DEADLINE, typed("True", "bool"))),
    ({"seed": -1}, ValueError, says("seed", SEED, "-1")),
    ({"seed": 2**64}, ValueError, says("seed", SEED, "18446744073709551616")),
    ({"seed": 10**100}, ValueError, says("seed", SEED, r"about 10\*\*100")),
    ({"seed": True}, TypeError, says("seed", SEED, typed("True", "bool"))),
    ({"seed": 1.5}, TypeError, says("seed", SEED, typed("1.5", "float"))),
    ({"seed": "42"}, TypeError, says("seed", SEED, typed("'42'", "str"))),
    (
        {"retry_network_errors": "yes"},
        TypeError,
        says("retry_network_errors", "a bool", typed("'yes'", "str")),
    ),
    ({"retry_network_errors": 1}, TypeError, says("retry_network_errors", "a bool", typed("1", "int"))),
    (
        {"retry_network_errors": None},
        TypeError,
        says("retry_network_errors", "a bool", typed("None", "NoneType")),
    ),
    ({"retryable_status_codes": [429, 600]}, ValueError, says("retryable_status_codes", STATUSES, "600")),
    ({"retryable_status_codes": [99]}, ValueError, says("retryable_status_codes", STATUSES, "99")),
    ({"retryable_status_codes": [-429]}, ValueError, says("retryable_status_codes", STATUSES, "-429")),
    (
        {"retryable_status_codes": [10**100]},
        ValueError,
        says("retryable_status_codes", STATUSES, r"about 10\*\*100"),
    ),
    (
        {"retryable_status_codes": ["429"]},
        TypeError,
        says("retryable_status_codes", STATUSES, typed("'429'", "str")),
    ),
    (
        {"retryable_status_codes": [429.0]},
        TypeError,
        says("retryable_status_codes", STATUSES, typed("429.0", "float")),
    ),
    (
        {"retryable_status_codes": [True]},
        TypeError,
        says("retryable_status_codes", STATUSES, typed("True", "bool")),
    ),
    (
        {"retryable_status_codes": "429"},
        TypeError,
        says("retryable_status_codes", STATUSES, typed("'429'", "str")),
    ),
    (
        {"retryable_status_codes": b"429"},
        TypeError,
        says("retryable_status_codes", STATUSES, typed("b'429'", "bytes")),
    ),
    (
        {"retryable_status_codes": 429},
        TypeError,
        says("retryable_status_codes", STATUSES, typed("429", "int")),
    ),
    (
        {"retryable_status_codes": None},
        TypeError,
        says("retryable_status_codes", STATUSES, typed("None", "NoneType")),
    ),
    (
        {"retryable_exception_names": "RateLimitError"},
        TypeError,
        says("retryable_exception_names", NAMES, typed("'RateLimitError'", "str")),
    ),
    ({"retryable_exception_names": [""]}, ValueError, says("retryable_exception_names", NAMES, "''")),
    ({"retryable_exception_names": ["  "]}, ValueError, says("retryable_exception_names", NAMES, "'  '")),
    (
        {"retryable_exception_names": [RuntimeError]},
        TypeError,
        says("retryable_exception_names", NAMES, typed("<class 'RuntimeError'>", "type")),
    ),
    (
        {"retryable_exception_names": [b"X"]},
        TypeError,
        says("retryable_exception_names", NAMES, typed("b'X'", "bytes")),
    ),
    (
        {"retryable_exception_names": None},
        TypeError,
        says("retryable_exception_names", NAMES, typed("None", "NoneType")),
    ),
    ({"never_retry_kinds": "auth"}, TypeError, says("never_retry_kinds", KINDS, typed("'auth'", "str"))),
    # A member is a str too: one kind is not a collection of kinds.
    (
        {"never_retry_kinds": ErrorKind.AUTH},
        TypeError,
        says("never_retry_kinds", KINDS, typed("<ErrorKind.AUTH: 'auth'>", "ErrorKind")),
    ),
    ({"never_retry_kinds": ["not_a_kind"]}, ValueError, says("never_retry_kinds", KINDS, "'not_a_kind'")),
    ({"never_retry_kinds": [401]}, TypeError, says("never_retry_kinds", KINDS, typed("401", "int"))),
    ({"never_retry_kinds": None}, TypeError, says("never_retry_kinds", KINDS, typed("None", "NoneType"))),
    ({"name": 3}, TypeError, says("name", "a str", typed("3", "int"))),
    ({"name": None}, TypeError, says("name", "a str", typed("None", "NoneType"))),
    ({"name": b"anthropic"}, TypeError, says("name", "a str", typed("b'anthropic'", "bytes"))),
]

# --- the decorators' and attempts()' own arguments --------------------------------------------------------

SLEEP = r"(None or )?callable"  # retry_llm needs a sleep; the async ones and attempts() have a default
DECORATOR_ARGUMENTS: list[Row] = [
    (
        {"preset": "anthropic"},
        TypeError,
        says("preset", "None or a RetryConfig", typed("'anthropic'", "str")),
    ),
    ({"preset": {"max_attempts": 3}}, TypeError, says("preset", "None or a RetryConfig", r".* \(dict\)")),
    (
        {"preset": RetryConfig},
        TypeError,
        says("preset", "None or a RetryConfig", r"<class .*RetryConfig'> \(type\)"),
    ),
    ({"config": 3}, TypeError, says("config", "None or a RetryConfig", typed("3", "int"))),
    (
        {"config": "DefaultPreset"},
        TypeError,
        says("config", "None or a RetryConfig", typed("'DefaultPreset'", "str")),
    ),
    ({"preset": DefaultPreset, "config": RetryConfig()}, TypeError, r"^pass preset= or config=, not both$"),
    ({"on_retry": 3}, TypeError, says("on_retry", HOOKS, typed("3", "int"))),
    ({"on_retry": "print"}, TypeError, says("on_retry", HOOKS, typed("'print'", "str"))),
    ({"on_retry": [print, "x"]}, TypeError, says("on_retry", HOOKS, typed("'x'", "str"))),
    ({"on_retry": (None,)}, TypeError, says("on_retry", HOOKS, typed("None", "NoneType"))),
    ({"on_event": 3}, TypeError, says("on_event", HOOKS, typed("3", "int"))),
    ({"on_event": [print, "x"]}, TypeError, says("on_event", HOOKS, typed("'x'", "str"))),
    ({"breaker": "b"}, TypeError, says("breaker", "None or a CircuitBreaker", typed("'b'", "str"))),
    (
        {"breaker": CircuitBreaker},
        TypeError,
        says("breaker", "None or a CircuitBreaker", r"<class .* \(type\)"),
    ),
    ({"gate": "openai"}, TypeError, says("gate", "None or a RateLimitGate", typed("'openai'", "str"))),
    ({"gate": RateLimitGate}, TypeError, says("gate", "None or a RateLimitGate", r"<class .* \(type\)")),
    (
        {"gate": CircuitBreaker()},
        TypeError,
        says("gate", "None or a RateLimitGate", r".* \(CircuitBreaker\)"),
    ),
    ({"budget": 10}, TypeError, says("budget", "None or a RetryBudget", typed("10", "int"))),
    ({"budget": {"window_s": 60}}, TypeError, says("budget", "None or a RetryBudget", r".* \(dict\)")),
    (
        {"budget": llm_retry._core.BudgetCore(now_s=None)},
        TypeError,
        says("budget", "None or a RetryBudget", r".* \(BudgetCore\)"),
    ),
    # A decorated function on a custom clock gets a budget of its own, which reads the clock when made.
    ({"clock": lambda: "now"}, TypeError, says("clock()", "a number of seconds", typed("'now'", "str"))),
    ({"sleep": 0}, TypeError, says("sleep", SLEEP, typed("0", "int"))),
    ({"sleep": "time.sleep"}, TypeError, says("sleep", SLEEP, typed("'time.sleep'", "str"))),
    ({"clock": 0}, TypeError, says("clock", "callable", typed("0", "int"))),
    ({"clock": 1.5}, TypeError, says("clock", "callable", typed("1.5", "float"))),
    ({"wait_for_breaker": 1}, TypeError, says("wait_for_breaker", "a bool", typed("1", "int"))),
    ({"wait_for_breaker": "yes"}, TypeError, says("wait_for_breaker", "a bool", typed("'yes'", "str"))),
    ({"wait_for_breaker": None}, TypeError, says("wait_for_breaker", "a bool", typed("None", "NoneType"))),
    # A call and what it shares read one clock: left out, the call takes its objects' clock; given, it must
    # be theirs; and they must agree.
    (
        {"budget": RetryBudget(clock=lambda: 5.0), "clock": lambda: 0.0},
        ValueError,
        r"^budget 'budget' reads another clock than this call: .* against .*; a call and its breaker, "
        r"budget and gate must read one clock$",
    ),
    (
        {"breaker": CircuitBreaker(clock=lambda: 5.0), "gate": RateLimitGate(clock=lambda: 5.0)},
        ValueError,
        r"^gate 'gate' reads another clock than this call: .*must read one clock$",
    ),
    (
        {"wait_for_breaker": True},
        ValueError,
        r"^wait_for_breaker=True needs a breaker and a deadline_s to bound the wait$",
    ),
    (
        {"wait_for_breaker": True, "breaker": CircuitBreaker()},
        ValueError,
        r"^wait_for_breaker=True needs a breaker and a deadline_s to bound the wait$",
    ),
    ({"retries": 3}, TypeError, r"^unknown keyword argument\(s\): retries$"),
    ({"jitter": 0.5, "max_attempt": 3}, TypeError, r"^unknown keyword argument\(s\): jitter, max_attempt$"),
]

DECORATED: list[tuple[str, Callable[..., object], Row]] = [
    ("retry_llm(func)", _decorate, ({"func": 5}, TypeError, says("func", "callable", typed("5", "int")))),
    ("retry_llm(func)", _decorate, ({"func": "f"}, TypeError, says("func", "callable", typed("'f'", "str")))),
    (
        "async_retry_llm(func)",
        _async_decorate,
        ({"func": 5}, TypeError, says("func", "callable", typed("5", "int"))),
    ),
]

EXTEND: list[Row] = [
    ({"retryable_status_codes": [600]}, ValueError, says("retryable_status_codes", STATUSES, "600")),
    (
        {"retryable_status_codes": "502"},
        TypeError,
        says("retryable_status_codes", STATUSES, typed("'502'", "str")),
    ),
    (
        {"retryable_exception_names": "MyProxyError"},
        TypeError,
        says("retryable_exception_names", NAMES, typed("'MyProxyError'", "str")),
    ),
    ({"retryable_exception_names": [""]}, ValueError, says("retryable_exception_names", NAMES, "''")),
]

# --- CircuitBreaker ---------------------------------------------------------------------------------------

BREAKER: list[Row] = [
    ({"store": 5}, TypeError, says("store", "None or an InMemoryStore", typed("5", "int"))),
    ({"store": {}}, TypeError, says("store", "None or an InMemoryStore", typed("{}", "dict"))),
    (
        {"store": InMemoryStore(clock=lambda: 1.0), "clock": lambda: 1.0},
        ValueError,
        r"^clock must be the store's clock for a breaker on a store, got .* and the store reads .*: leave "
        r"clock out, or give the store that clock$",
    ),
    ({"failure_threshold": 0}, ValueError, says("failure_threshold", COUNT, "0")),
    ({"failure_threshold": -1}, ValueError, says("failure_threshold", COUNT, "-1")),
    ({"failure_threshold": 1_000_001}, ValueError, says("failure_threshold", COUNT, "1000001")),
    ({"failure_threshold": 10**100}, ValueError, says("failure_threshold", COUNT, r"about 10\*\*100")),
    ({"failure_threshold": True}, TypeError, says("failure_threshold", COUNT, typed("True", "bool"))),
    ({"failure_threshold": 2.5}, TypeError, says("failure_threshold", COUNT, typed("2.5", "float"))),
    ({"failure_threshold": "5"}, TypeError, says("failure_threshold", COUNT, typed("'5'", "str"))),
    ({"failure_threshold": None}, TypeError, says("failure_threshold", COUNT, typed("None", "NoneType"))),
    ({"cooldown_s": 0}, ValueError, says("cooldown_s", POSITIVE_SECONDS, "0")),
    ({"cooldown_s": -1.0}, ValueError, says("cooldown_s", POSITIVE_SECONDS, "-1.0")),
    ({"cooldown_s": float("nan")}, ValueError, says("cooldown_s", POSITIVE_SECONDS, "nan")),
    ({"cooldown_s": float("inf")}, ValueError, says("cooldown_s", POSITIVE_SECONDS, "inf")),
    ({"cooldown_s": 1e300}, ValueError, says("cooldown_s", POSITIVE_SECONDS, r"1e\+300")),
    ({"cooldown_s": 10**400}, ValueError, says("cooldown_s", POSITIVE_SECONDS, r"about 10\*\*400")),
    ({"cooldown_s": "30"}, TypeError, says("cooldown_s", POSITIVE_SECONDS, typed("'30'", "str"))),
    ({"cooldown_s": True}, TypeError, says("cooldown_s", POSITIVE_SECONDS, typed("True", "bool"))),
    ({"half_open_max_calls": 0}, ValueError, says("half_open_max_calls", COUNT, "0")),
    ({"half_open_max_calls": 10**100}, ValueError, says("half_open_max_calls", COUNT, r"about 10\*\*100")),
    ({"half_open_max_calls": True}, TypeError, says("half_open_max_calls", COUNT, typed("True", "bool"))),
    ({"half_open_max_calls": 1.0}, TypeError, says("half_open_max_calls", COUNT, typed("1.0", "float"))),
    ({"failure_rate_threshold": 0.0}, ValueError, says("failure_rate_threshold", FRACTION, "0.0")),
    ({"failure_rate_threshold": -0.5}, ValueError, says("failure_rate_threshold", FRACTION, "-0.5")),
    ({"failure_rate_threshold": 1.5}, ValueError, says("failure_rate_threshold", FRACTION, "1.5")),
    ({"failure_rate_threshold": float("nan")}, ValueError, says("failure_rate_threshold", FRACTION, "nan")),
    (
        {"failure_rate_threshold": 10**400},
        ValueError,
        says("failure_rate_threshold", FRACTION, r"about 10\*\*400"),
    ),
    (
        {"failure_rate_threshold": True},
        TypeError,
        says("failure_rate_threshold", FRACTION, typed("True", "bool")),
    ),
    (
        {"failure_rate_threshold": "0.5"},
        TypeError,
        says("failure_rate_threshold", FRACTION, typed("'0.5'", "str")),
    ),
    ({"window_s": 0}, ValueError, says("window_s", WINDOW, "0")),
    ({"window_s": 0.5}, ValueError, says("window_s", WINDOW, "0.5")),
    ({"window_s": 10_001}, ValueError, says("window_s", WINDOW, "10001")),
    ({"window_s": float("inf")}, ValueError, says("window_s", WINDOW, "inf")),
    ({"window_s": float("nan")}, ValueError, says("window_s", WINDOW, "nan")),
    ({"window_s": True}, TypeError, says("window_s", WINDOW, typed("True", "bool"))),
    ({"window_s": "10"}, TypeError, says("window_s", WINDOW, typed("'10'", "str"))),
    ({"minimum_calls": 0}, ValueError, says("minimum_calls", COUNT, "0")),
    ({"minimum_calls": 10**100}, ValueError, says("minimum_calls", COUNT, r"about 10\*\*100")),
    ({"minimum_calls": True}, TypeError, says("minimum_calls", COUNT, typed("True", "bool"))),
    ({"minimum_calls": "20"}, TypeError, says("minimum_calls", COUNT, typed("'20'", "str"))),
    ({"probe_lease_s": 0}, ValueError, says("probe_lease_s", POSITIVE_SECONDS, "0")),
    ({"probe_lease_s": 1e300}, ValueError, says("probe_lease_s", POSITIVE_SECONDS, r"1e\+300")),
    ({"probe_lease_s": float("nan")}, ValueError, says("probe_lease_s", POSITIVE_SECONDS, "nan")),
    ({"probe_lease_s": True}, TypeError, says("probe_lease_s", POSITIVE_SECONDS, typed("True", "bool"))),
    ({"probe_lease_s": "300"}, TypeError, says("probe_lease_s", POSITIVE_SECONDS, typed("'300'", "str"))),
    ({"max_cooldown_s": 0}, ValueError, says("max_cooldown_s", POSITIVE_SECONDS, "0")),
    ({"max_cooldown_s": 10**400}, ValueError, says("max_cooldown_s", POSITIVE_SECONDS, r"about 10\*\*400")),
    ({"max_cooldown_s": True}, TypeError, says("max_cooldown_s", POSITIVE_SECONDS, typed("True", "bool"))),
    (
        {"cooldown_s": 60.0, "max_cooldown_s": 30.0},
        ValueError,
        says("max_cooldown_s", r"at least cooldown_s \(60\.0\)", r"30\.0"),
    ),
    (
        {"cooldown_s": 600, "max_cooldown_s": 300},
        ValueError,
        says("max_cooldown_s", r"at least cooldown_s \(600\.0\)", r"300\.0"),
    ),
    ({"max_cooldown_s": "10"}, TypeError, says("max_cooldown_s", POSITIVE_SECONDS, typed("'10'", "str"))),
    ({"slow_start_s": -1}, ValueError, says("slow_start_s", SECONDS, "-1")),
    ({"slow_start_s": float("nan")}, ValueError, says("slow_start_s", SECONDS, "nan")),
    ({"slow_start_s": float("inf")}, ValueError, says("slow_start_s", SECONDS, "inf")),
    ({"slow_start_s": 31_536_001}, ValueError, says("slow_start_s", SECONDS, "31536001")),
    ({"slow_start_s": True}, TypeError, says("slow_start_s", SECONDS, typed("True", "bool"))),
    ({"slow_start_s": "5"}, TypeError, says("slow_start_s", SECONDS, typed("'5'", "str"))),
    ({"slow_start_s": None}, TypeError, says("slow_start_s", SECONDS, typed("None", "NoneType"))),
    ({"name": 5}, TypeError, says("name", "a str", typed("5", "int"))),
    ({"name": None}, TypeError, says("name", "a str", typed("None", "NoneType"))),
    ({"name": Hostile()}, TypeError, says("name", "a str", typed("<Hostile object>", "Hostile"))),
    (
        {"on_state_change": "log"},
        TypeError,
        says("on_state_change", "None or callable", typed("'log'", "str")),
    ),
    ({"on_state_change": 5}, TypeError, says("on_state_change", "None or callable", typed("5", "int"))),
    ({"clock": 0.0}, TypeError, says("clock", "callable", typed("0.0", "float"))),
    ({"clock": "monotonic"}, TypeError, says("clock", "callable", typed("'monotonic'", "str"))),
    # The breaker reads its clock once when made: a clock that returns no number fails then too.
    ({"clock": lambda: "now"}, TypeError, says("clock()", "a number of seconds", typed("'now'", "str"))),
    ({"seed": -1}, ValueError, says("seed", SEED, "-1")),
    ({"seed": 2**64}, ValueError, says("seed", SEED, "18446744073709551616")),
    ({"seed": True}, TypeError, says("seed", SEED, typed("True", "bool"))),
    ({"seed": 1.5}, TypeError, says("seed", SEED, typed("1.5", "float"))),
]

# --- RateLimitGate ----------------------------------------------------------------------------------------

SHARE = r"a number from 0 to 1"

GATE: list[Row] = [
    ({"store": 5}, TypeError, says("store", "None or an InMemoryStore", typed("5", "int"))),
    ({"store": {}}, TypeError, says("store", "None or an InMemoryStore", typed("{}", "dict"))),
    (
        {"store": InMemoryStore(clock=lambda: 1.0), "clock": lambda: 1.0},
        ValueError,
        r"^clock must be the store's clock for a gate on a store, got .* and the store reads .*: leave "
        r"clock out, or give the store that clock$",
    ),
    ({"name": 5}, TypeError, says("name", "a str", typed("5", "int"))),
    ({"name": None}, TypeError, says("name", "a str", typed("None", "NoneType"))),
    ({"jitter": -0.1}, ValueError, says("jitter", SHARE, "-0.1")),
    ({"jitter": 1.5}, ValueError, says("jitter", SHARE, "1.5")),
    ({"jitter": float("nan")}, ValueError, says("jitter", SHARE, "nan")),
    ({"jitter": float("inf")}, ValueError, says("jitter", SHARE, "inf")),
    ({"jitter": 10**400}, ValueError, says("jitter", SHARE, r"about 10\*\*400")),
    ({"jitter": True}, TypeError, says("jitter", SHARE, typed("True", "bool"))),
    ({"jitter": "0.5"}, TypeError, says("jitter", SHARE, typed("'0.5'", "str"))),
    ({"jitter": None}, TypeError, says("jitter", SHARE, typed("None", "NoneType"))),
    ({"clock": 0.0}, TypeError, says("clock", "callable", typed("0.0", "float"))),
    # The gate reads its clock once when made: a clock that returns no number fails then too.
    ({"clock": lambda: "now"}, TypeError, says("clock()", "a number of seconds", typed("'now'", "str"))),
    ({"seed": -1}, ValueError, says("seed", SEED, "-1")),
    ({"seed": 2**64}, ValueError, says("seed", SEED, "18446744073709551616")),
    ({"seed": True}, TypeError, says("seed", SEED, typed("True", "bool"))),
]

# --- RetryBudget ------------------------------------------------------------------------------------------

BUDGET: list[Row] = [
    ({"store": 5}, TypeError, says("store", "None or an InMemoryStore", typed("5", "int"))),
    ({"store": {}}, TypeError, says("store", "None or an InMemoryStore", typed("{}", "dict"))),
    (
        {"store": InMemoryStore(clock=lambda: 1.0), "clock": lambda: 1.0},
        ValueError,
        r"^clock must be the store's clock for a budget on a store, got .* and the store reads .*: leave "
        r"clock out, or give the store that clock$",
    ),
    ({"window_s": 0}, ValueError, says("window_s", BUDGET_WINDOW, "0")),
    ({"window_s": 0.5}, ValueError, says("window_s", BUDGET_WINDOW, "0.5")),
    ({"window_s": -60.0}, ValueError, says("window_s", BUDGET_WINDOW, "-60.0")),
    ({"window_s": float("nan")}, ValueError, says("window_s", BUDGET_WINDOW, "nan")),
    ({"window_s": float("inf")}, ValueError, says("window_s", BUDGET_WINDOW, "inf")),
    ({"window_s": 1e300}, ValueError, says("window_s", BUDGET_WINDOW, r"1e\+300")),
    ({"window_s": 10**400}, ValueError, says("window_s", BUDGET_WINDOW, r"about 10\*\*400")),
    ({"window_s": True}, TypeError, says("window_s", BUDGET_WINDOW, typed("True", "bool"))),
    ({"window_s": "60"}, TypeError, says("window_s", BUDGET_WINDOW, typed("'60'", "str"))),
    ({"window_s": None}, TypeError, says("window_s", BUDGET_WINDOW, typed("None", "NoneType"))),
    ({"min_retries": -1}, ValueError, says("min_retries", MIN_RETRIES, "-1")),
    ({"min_retries": 1_000_001}, ValueError, says("min_retries", MIN_RETRIES, "1000001")),
    ({"min_retries": 10**100}, ValueError, says("min_retries", MIN_RETRIES, r"about 10\*\*100")),
    ({"min_retries": True}, TypeError, says("min_retries", MIN_RETRIES, typed("True", "bool"))),
    ({"min_retries": 2.5}, TypeError, says("min_retries", MIN_RETRIES, typed("2.5", "float"))),
    ({"min_retries": 3.0}, TypeError, says("min_retries", MIN_RETRIES, typed("3.0", "float"))),
    ({"min_retries": "3"}, TypeError, says("min_retries", MIN_RETRIES, typed("'3'", "str"))),
    ({"min_retries": None}, TypeError, says("min_retries", MIN_RETRIES, typed("None", "NoneType"))),
    ({"retry_ratio": -0.1}, ValueError, says("retry_ratio", RATIO, "-0.1")),
    ({"retry_ratio": 1000.5}, ValueError, says("retry_ratio", RATIO, "1000.5")),
    ({"retry_ratio": float("nan")}, ValueError, says("retry_ratio", RATIO, "nan")),
    ({"retry_ratio": float("inf")}, ValueError, says("retry_ratio", RATIO, "inf")),
    ({"retry_ratio": 10**400}, ValueError, says("retry_ratio", RATIO, r"about 10\*\*400")),
    ({"retry_ratio": True}, TypeError, says("retry_ratio", RATIO, typed("True", "bool"))),
    ({"retry_ratio": "0.1"}, TypeError, says("retry_ratio", RATIO, typed("'0.1'", "str"))),
    ({"retry_ratio": None}, TypeError, says("retry_ratio", RATIO, typed("None", "NoneType"))),
    ({"name": 5}, TypeError, says("name", "a str", typed("5", "int"))),
    ({"name": None}, TypeError, says("name", "a str", typed("None", "NoneType"))),
    ({"clock": "monotonic"}, TypeError, says("clock", "callable", typed("'monotonic'", "str"))),
    ({"clock": 0}, TypeError, says("clock", "callable", typed("0", "int"))),
    # The budget reads its clock once when made: a clock that returns no number fails then too.
    ({"clock": lambda: "now"}, TypeError, says("clock()", "a number of seconds", typed("'now'", "str"))),
]

# --- fallback ---------------------------------------------------------------------------------------------

FALLBACK: list[Row] = [
    ({"primary": 5}, TypeError, says("primary", "callable", typed("5", "int"))),
    ({"primary": None}, TypeError, says("primary", "callable", typed("None", "NoneType"))),
    ({"others": ("b",)}, TypeError, says("others[0]", "callable", typed("'b'", "str"))),
    ({"others": (_provider, None)}, TypeError, says("others[1]", "callable", typed("None", "NoneType"))),
    ({"on": "auth"}, TypeError, says("on", KINDS, typed("'auth'", "str"))),
    ({"on": b"auth"}, TypeError, says("on", KINDS, typed("b'auth'", "bytes"))),
    ({"on": ErrorKind.AUTH}, TypeError, says("on", KINDS, typed("<ErrorKind.AUTH: 'auth'>", "ErrorKind"))),
    ({"on": 3}, TypeError, says("on", KINDS, typed("3", "int"))),
    ({"on": None}, TypeError, says("on", KINDS, typed("None", "NoneType"))),
    ({"on": ["bogus"]}, ValueError, says("on", KINDS, "'bogus'")),
    ({"on": [429]}, TypeError, says("on", KINDS, typed("429", "int"))),
    ({"replace_defaults": "yes"}, TypeError, says("replace_defaults", "a bool", typed("'yes'", "str"))),
    ({"replace_defaults": 1}, TypeError, says("replace_defaults", "a bool", typed("1", "int"))),
    ({"replace_defaults": None}, TypeError, says("replace_defaults", "a bool", typed("None", "NoneType"))),
    ({"on_fallback": "log"}, TypeError, says("on_fallback", "None or callable", typed("'log'", "str"))),
    ({"on_fallback": 5}, TypeError, says("on_fallback", "None or callable", typed("5", "int"))),
    ({"on_event": "log"}, TypeError, says("on_event", HOOKS, typed("'log'", "str"))),
    ({"on_event": [print, 5]}, TypeError, says("on_event", HOOKS, typed("5", "int"))),
]

# --- the table: every row against every call that takes it ------------------------------------------------

TABLE: list[tuple[str, Callable[..., object], Row]] = [
    *[(name, make, row) for row in CONFIG_FIELDS for name, make in CONFIG_MAKERS.items()],
    *[(name, make, row) for row in DECORATOR_ARGUMENTS for name, make in DECORATORS.items()],
    *DECORATED,
    *[("RetryConfig.extend", _extend, row) for row in EXTEND],
    *[("CircuitBreaker", CircuitBreaker, row) for row in BREAKER],
    *[("RateLimitGate", RateLimitGate, row) for row in GATE],
    *[("RetryBudget", RetryBudget, row) for row in BUDGET],
    *[("fallback", _fallback, row) for row in FALLBACK],
]
ROWS = len(CONFIG_FIELDS) + len(DECORATOR_ARGUMENTS) + len(DECORATED) + len(EXTEND) + len(BREAKER)
ROWS += len(GATE) + len(BUDGET) + len(FALLBACK)


def _id(name: str, kwargs: dict[str, Any]) -> str:
    """A stable test id: functions by name, not by their address."""

    def stable(value: object) -> str:
        return value.__qualname__ if inspect.isfunction(value) else shown(value)

    return f"{name}-" + ",".join(f"{k}={stable(v)}" for k, v in kwargs.items())


@pytest.mark.parametrize(
    ("make", "kwargs", "error", "message"),
    [pytest.param(make, *row, id=_id(name, row[0])) for name, make, row in TABLE],
)
def test_a_bad_argument_is_a_clear_error_when_made(
    make: Callable[..., object], kwargs: dict[str, Any], error: type[Exception], message: str
) -> None:
    with pytest.raises(Exception) as info:
        make(**kwargs)
    # Exactly the type: an OverflowError (an ArithmeticError) or a TypeError from a conversion deep inside is
    # a failure, not a pass.
    assert type(info.value) is error, f"{type(info.value).__name__}: {info.value}"
    assert re.search(message, str(info.value)), f"{str(info.value)!r} does not match {message!r}"
    assert len(str(info.value)) < 300


def test_the_table_has_a_row_for_each_of_the_124_probes_and_more() -> None:
    assert ROWS >= 124


def _parameters(fn: Callable[..., object]) -> set[str]:
    kinds = (inspect.Parameter.VAR_KEYWORD, inspect.Parameter.VAR_POSITIONAL)
    return {p.name for p in inspect.signature(fn).parameters.values() if p.kind not in kinds} - {
        "self",
        "cls",
    }


FIELDS = {f.name for f in dataclasses.fields(RetryConfig)}


@pytest.mark.parametrize(
    ("name", "parameters"),
    [
        ("RetryConfig", FIELDS),
        ("RetryConfig.replace", FIELDS),
        ("RetryConfig.extend", _parameters(RetryConfig.extend)),
        ("retry_llm", (_parameters(retry_llm) - {"func"}) | FIELDS),
        ("async_retry_llm", (_parameters(async_retry_llm) - {"func"}) | FIELDS),
        ("attempts", _parameters(llm_retry.attempts) | FIELDS),
        ("retry_llm(func)", {"func"}),
        ("async_retry_llm(func)", {"func"}),
        ("CircuitBreaker", _parameters(CircuitBreaker.__init__)),
        ("RateLimitGate", _parameters(RateLimitGate.__init__)),
        ("RetryBudget", _parameters(RetryBudget.__new__)),
        ("fallback", {"primary", "others"} | _parameters(fallback)),
    ],
)
def test_every_parameter_has_rows(name: str, parameters: set[str]) -> None:
    covered = {key for n, _, (kwargs, _, _) in TABLE if n == name for key in kwargs}
    assert parameters <= covered, f"{name}: no bad-argument row for {sorted(parameters - covered)}"


# --- good edge values: accepted ---------------------------------------------------------------------------


class Three(enum.IntEnum):
    THREE = 3


GOOD_CONFIG: list[dict[str, Any]] = [
    {"max_attempts": 1},
    {"max_attempts": 1_000_000},
    {"max_attempts": Three.THREE},
    {"base_delay_s": 0, "max_delay_s": 0},
    {"base_delay_s": Fraction(1, 2)},
    {"max_delay_s": 31_536_000},
    {"max_delay_s": 31_536_000.0, "base_delay_s": 31_536_000.0},
    {"max_retry_after_s": 0},
    {"max_retry_after_s": 31_536_000},
    {"deadline_s": None},
    {"deadline_s": 1e-9},
    {"deadline_s": 31_536_000},
    {"seed": None},
    {"seed": 0},
    {"seed": 2**64 - 1},
    {"name": ""},
    {"retry_network_errors": False},
    {"retryable_status_codes": []},
    {"retryable_status_codes": (100, 599)},
    {"retryable_status_codes": iter([429, 429])},
    {"retryable_exception_names": ()},
    {"retryable_exception_names": ["overloaded_error", "ThrottlingException"]},
    {"never_retry_kinds": []},
    {"never_retry_kinds": ["auth", ErrorKind.QUOTA_EXHAUSTED]},
    {"never_retry_kinds": frozenset(ErrorKind)},
]

CLOCK = lambda: 3.0  # noqa: E731
STORE = InMemoryStore(clock=lambda: 4.0)

GOOD_DECORATOR: list[dict[str, Any]] = [
    {"preset": DefaultPreset},
    {"config": RetryConfig()},
    {"preset": None, "config": None},
    {"on_retry": None},
    {"on_retry": []},
    {"on_retry": print},
    {"on_retry": (print, print)},
    {"on_event": print},
    {"on_event": [print, print]},
    {"breaker": None, "budget": None},
    {"budget": None},
    {"breaker": CircuitBreaker()},
    {"budget": RetryBudget()},
    {"budget": RetryBudget(clock=lambda: 5.0)},
    {
        "breaker": CircuitBreaker(clock=CLOCK),
        "budget": RetryBudget(clock=CLOCK),
        "gate": RateLimitGate(clock=CLOCK),
    },
    {"breaker": CircuitBreaker(store=STORE), "gate": RateLimitGate(store=STORE), "clock": STORE.clock},
    {"clock": time.monotonic},
    {"clock": lambda: 0.0},
    {"wait_for_breaker": False},
    {"wait_for_breaker": True, "breaker": CircuitBreaker(), "deadline_s": 30},
    {"gate": None},
    {"gate": RateLimitGate("openai")},
    {"gate": RateLimitGate(), "breaker": CircuitBreaker(), "budget": RetryBudget(), "deadline_s": 30},
]

GOOD: list[tuple[str, Callable[..., object], dict[str, Any]]] = [
    *[(name, make, kwargs) for kwargs in GOOD_CONFIG for name, make in CONFIG_MAKERS.items()],
    *[(name, make, kwargs) for kwargs in GOOD_DECORATOR for name, make in DECORATORS.items()],
    ("retry_llm", _retry_llm, {"sleep": lambda s: None}),
    ("async_retry_llm", _async_retry_llm, {"sleep": None}),
    ("attempts", _attempts, {"sleep": None}),
    ("RetryConfig.extend", _extend, {"retryable_status_codes": [520], "retryable_exception_names": ["X"]}),
    *[
        ("CircuitBreaker", CircuitBreaker, kwargs)
        for kwargs in [
            {"failure_threshold": 1},
            {"failure_threshold": 1_000_000, "half_open_max_calls": 1_000_000, "minimum_calls": 1_000_000},
            {"cooldown_s": 1e-9},
            {"cooldown_s": 31_536_000, "max_cooldown_s": 31_536_000},
            {"cooldown_s": 30, "max_cooldown_s": 30},
            # Left out, the cap follows a cooldown longer than its 10 s default.
            {"cooldown_s": 600},
            {"cooldown_s": 600, "max_cooldown_s": None},
            {"slow_start_s": 0},
            {"slow_start_s": 31_536_000},
            {"probe_lease_s": 31_536_000},
            {"window_s": 1},
            {"window_s": 10_000},
            {"failure_rate_threshold": None},
            {"failure_rate_threshold": 1},
            {"failure_rate_threshold": 1e-9},
            {"seed": 0},
            {"seed": 2**64 - 1},
            {"name": ""},
            {"on_state_change": None},
            {"on_state_change": print},
            {"clock": lambda: 0.0},
            {"clock": lambda: 1000},
        ]
    ],
    *[
        ("RateLimitGate", RateLimitGate, kwargs)
        for kwargs in [
            {},
            {"name": ""},
            {"jitter": 0},
            {"jitter": 1},
            {"jitter": Fraction(1, 3)},
            {"seed": 0},
            {"seed": 2**64 - 1},
            {"clock": lambda: 0.0},
            {"clock": lambda: 1000},
        ]
    ],
    *[
        ("RetryBudget", RetryBudget, kwargs)
        for kwargs in [
            {},
            {"window_s": 1},
            {"window_s": 31_536_000},
            {"window_s": Fraction(121, 2)},
            {"min_retries": 0, "retry_ratio": 0},
            {"min_retries": 1_000_000},
            {"min_retries": Three.THREE},
            {"retry_ratio": 1000},
            {"retry_ratio": Fraction(1, 3)},
            {"name": ""},
            {"clock": time.monotonic},
            {"clock": lambda: 0.0},
            {"clock": lambda: 1000},
            {"clock": lambda: -5.0},
        ]
    ],
    *[
        ("fallback", _fallback, kwargs)
        for kwargs in [
            {"others": ()},
            {"on": ()},
            {"on": ["auth"]},
            {"on": {ErrorKind.CONTEXT_OVERFLOW}},
            {"on": iter(["auth", "auth"])},
            {"on": frozenset(ErrorKind), "replace_defaults": True},
            {"replace_defaults": False},
            {"on_fallback": None},
            {"on_fallback": print},
            {"on_event": None},
            {"on_event": (print,)},
        ]
    ],
]


@pytest.mark.parametrize(
    ("make", "kwargs"), [pytest.param(make, kwargs, id=_id(name, kwargs)) for name, make, kwargs in GOOD]
)
def test_a_good_edge_value_is_accepted(make: Callable[..., object], kwargs: dict[str, Any]) -> None:
    make(**kwargs)


def test_accepted_numbers_are_stored_as_plain_ints_and_floats() -> None:
    config = RetryConfig(max_attempts=Three.THREE, base_delay_s=Fraction(1, 2), max_delay_s=8, deadline_s=30)
    assert type(config.max_attempts) is int
    assert (type(config.base_delay_s), type(config.max_delay_s), type(config.deadline_s)) == (
        float,
        float,
        float,
    )
    assert config.base_delay_s == 0.5


def test_the_largest_seed_reaches_the_core() -> None:
    seeded = RetryConfig(seed=2**64 - 1, base_delay_s=1.0)
    assert seeded.replace(seed=2**64 - 1) == seeded
    CircuitBreaker(seed=2**64 - 1).open()


def test_accepted_budget_numbers_reach_the_core_as_plain_ints_and_floats() -> None:
    budget = RetryBudget(window_s=Fraction(121, 2), min_retries=Three.THREE, retry_ratio=Fraction(1, 4))
    assert (budget.window_s, budget.min_retries, budget.retry_ratio) == (60.5, 3, 0.25)
    assert (type(budget.window_s), type(budget.min_retries), type(budget.retry_ratio)) == (float, int, float)
