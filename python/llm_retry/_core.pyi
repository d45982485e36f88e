"""llm-retry's Rust core: classification, backoff, server hints, circuit breakers, rate-limit gates and retry
budgets."""

from typing import Any, Final, Self, final

from typing_extensions import disjoint_base

from ._config import RetryConfig
from ._kinds import BreakerState, ErrorKind, GiveUpReason, RefusalReason

__all__ = [
    "VERSION",
    "BreakerCore",
    "BreakerSettings",
    "BudgetSettings",
    "Classification",
    "Decision",
    "GateCore",
    "GateSettings",
    "GateStats",
    "HoldTooLong",
    "Permit",
    "Policy",
    "Refusal",
    "RetryBudget",
    "Transition",
    "claim_interpreter",
    "classify",
    "provider_failure_kinds",
]

VERSION: Final[str]

@final
class Classification:
    """The verdict on one exception: what kind of failure it is, whether it is safe to retry, and why."""

    @property
    def kind(self) -> ErrorKind: ...
    @property
    def retryable(self) -> bool: ...
    @property
    def status(self) -> int | None: ...
    @property
    def retry_after_s(self) -> float | None: ...
    @property
    def reason(self) -> str: ...
    @property
    def sdk_retries(self) -> int | None: ...

@final
class Decision:
    @property
    def retry(self) -> bool: ...
    @property
    def delay_s(self) -> float: ...
    @property
    def from_hint(self) -> bool: ...
    @property
    def classification(self) -> Classification: ...
    @property
    def note(self) -> str | None: ...
    @property
    def give_up(self) -> GiveUpReason | None: ...

@final
class Policy:
    def __new__(
        cls,
        *,
        retryable_status_codes: list[int],
        retryable_names: list[str],
        retry_network: bool,
        never_retry_kinds: list[str],
        base_delay_s: float,
        max_delay_s: float,
        max_attempts: int,
        max_retry_after_s: float,
        seed: int | None = None,
    ) -> Policy: ...
    def classify(self, exc: object) -> Classification: ...
    def decide(self, exc: object, attempt: int, remaining_s: float | None = None) -> Decision: ...
    @property
    def max_attempts(self) -> int: ...

@final
class Transition:
    """A change of breaker state."""

    @property
    def old(self) -> BreakerState: ...
    @property
    def new(self) -> BreakerState: ...

@final
class Permit:
    """Leave to make one call; handed back with its outcome."""

    @property
    def probe(self) -> bool: ...
    @property
    def transition(self) -> Transition | None: ...

@final
class Refusal:
    """The breaker did not admit the call."""

    @property
    def retry_in_s(self) -> float: ...
    @property
    def transition(self) -> Transition | None: ...
    @property
    def reason(self) -> RefusalReason: ...

@final
class BreakerSettings:
    @staticmethod
    def defaults() -> BreakerSettings: ...
    @property
    def failure_threshold(self) -> int: ...
    @property
    def cooldown_s(self) -> float: ...
    @property
    def half_open_max_calls(self) -> int: ...
    @property
    def failure_rate_threshold(self) -> float | None: ...
    @property
    def window_s(self) -> float: ...
    @property
    def bucket_s(self) -> float: ...
    @property
    def minimum_calls(self) -> int: ...
    @property
    def probe_lease_s(self) -> float: ...
    @property
    def max_cooldown_s(self) -> float: ...
    @property
    def cooldown_multiplier(self) -> float: ...
    @property
    def cooldown_jitter(self) -> float: ...
    @property
    def slow_start_s(self) -> float: ...

@final
class BreakerCore:
    def __new__(
        cls,
        *,
        now_s: float | None,
        failure_threshold: int | None = None,
        cooldown_s: float | None = None,
        half_open_max_calls: int | None = None,
        failure_rate_threshold: float | None = None,
        window_s: float | None = None,
        bucket_s: float | None = None,
        minimum_calls: int | None = None,
        probe_lease_s: float | None = None,
        max_cooldown_s: float | None = None,
        cooldown_multiplier: float | None = None,
        cooldown_jitter: float | None = None,
        slow_start_s: float | None = None,
        seed: int | None = None,
    ) -> BreakerCore: ...
    def acquire(self, now_s: float | None = None) -> Permit | Refusal: ...
    def acquire_closed(self) -> Permit | None: ...
    def record_success(self, permit: Permit) -> Transition | None: ...
    def record(
        self, permit: Permit, failure: Classification | None, now_s: float | None = None
    ) -> Transition | None: ...
    def release(self, permit: Permit, now_s: float | None = None) -> Transition | None: ...
    def state(self, now_s: float | None = None) -> BreakerState: ...
    def retry_in_s(self, now_s: float | None = None) -> float: ...
    def force_open(self, now_s: float | None = None) -> Transition | None: ...
    def force_close(self, now_s: float | None = None) -> Transition | None: ...
    def stats(self, now_s: float | None = None) -> dict[str, Any]: ...

@final
class GateSettings:
    @staticmethod
    def defaults() -> GateSettings: ...
    @property
    def jitter(self) -> float: ...
    @property
    def longest_hold_s(self) -> float: ...

@final
class GateStats:
    """What a `RateLimitGate` has done: hints that set or extended a hold, admissions it held, and admissions
    it failed fast because the hold was longer than the caller could wait."""

    @property
    def holds_set(self) -> int: ...
    @property
    def callers_held(self) -> int: ...
    @property
    def callers_failed_fast(self) -> int: ...
    @property
    def retry_in_s(self) -> float: ...
    def __eq__(self, value: object, /) -> bool: ...
    __hash__: None  # type: ignore[assignment]

@final
class HoldTooLong:
    """The hold in force lasts longer than the caller can wait."""

    @property
    def hold_s(self) -> float: ...
    @property
    def retry_in_s(self) -> float: ...
    @property
    def reason(self) -> GiveUpReason: ...

@final
class GateCore:
    def __new__(
        cls, *, now_s: float | None, jitter: float | None = None, seed: int | None = None
    ) -> GateCore: ...
    def quiet(self) -> bool: ...
    def record(self, failure: Classification, now_s: float | None = None) -> bool: ...
    def admit(
        self, now_s: float | None, remaining_s: float | None, max_hold_s: float
    ) -> float | HoldTooLong: ...
    def retry_in_s(self, now_s: float | None = None) -> float: ...
    def stats(self, now_s: float | None = None) -> GateStats: ...

@final
class BudgetSettings:
    @staticmethod
    def defaults() -> BudgetSettings: ...
    @property
    def capacity(self) -> float: ...
    @property
    def retry_cost(self) -> float: ...
    @property
    def throttle_retry_cost(self) -> float: ...
    @property
    def success_reward(self) -> float: ...

@disjoint_base
class RetryBudget:
    """The retry budget's token bucket; `llm_retry.RetryBudget` subclasses it to check its arguments.

    First attempts always go; each retry spends tokens that successes refill, so that when most calls
    fail, retries stop adding load. Thread-safe. With the defaults a full bucket (500 tokens) pays for
    100 retries of rate limits or overloads (5 tokens each) or 50 of other failures (10 each).
    """

    def __new__(
        cls,
        *,
        capacity: float | None = None,
        retry_cost: float | None = None,
        throttle_retry_cost: float | None = None,
        success_reward: float | None = None,
    ) -> Self: ...
    def try_spend(self, kind: ErrorKind | str) -> float | None: ...
    def on_success(self, last_retry_cost: float = 0.0) -> None: ...
    @property
    def tokens(self) -> float: ...
    @property
    def stats(self) -> dict[str, float]: ...

def provider_failure_kinds() -> list[str]: ...
def claim_interpreter() -> None: ...
def classify(exc: object, preset: RetryConfig | None = None) -> Classification:
    """Classify an exception exactly as the decorators would, without calling anything."""
