"""llm-retry's Rust core: classification, backoff, server hints, circuit breakers and retry budgets."""

from typing import Any, Final, final

from ._config import RetryConfig
from ._kinds import ErrorKind

__all__ = ["VERSION", "BreakerCore", "Classification", "Decision", "Policy", "RetryBudget", "classify"]

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
    def give_up(self) -> str | None: ...

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

_Transition = tuple[str, str] | None

@final
class BreakerCore:
    def __new__(
        cls,
        *,
        now_s: float,
        failure_threshold: int = 5,
        cooldown_s: float = 30.0,
        half_open_max_calls: int = 1,
        failure_rate_threshold: float | None = None,
        window_s: float = 10.0,
        bucket_s: float = 1.0,
        minimum_calls: int = 20,
        probe_lease_s: float = 300.0,
        max_cooldown_s: float = 300.0,
        cooldown_multiplier: float = 2.0,
        cooldown_jitter: float = 0.2,
        seed: int | None = None,
    ) -> BreakerCore: ...
    def acquire(self, now_s: float) -> tuple[bool, bool, int, int, float, _Transition]: ...
    def on_success(self, probe: bool, permit_id: int, generation: int, now_s: float) -> _Transition: ...
    def on_failure(self, probe: bool, permit_id: int, generation: int, now_s: float) -> _Transition: ...
    def on_neutral(self, probe: bool, permit_id: int, generation: int, now_s: float) -> _Transition: ...
    def state(self, now_s: float) -> str: ...
    def retry_in_s(self, now_s: float) -> float: ...
    def force_open(self, now_s: float) -> _Transition: ...
    def force_close(self, now_s: float) -> _Transition: ...
    def stats(self, now_s: float) -> dict[str, Any]: ...

@final
class RetryBudget:
    """A retry budget shared by any number of decorated functions (typically one per provider).

    First attempts always go; each retry spends tokens that successes refill, so that when most calls
    fail, retries stop adding load. Thread-safe. With the defaults a full bucket (500 tokens) pays for
    100 retries of rate limits or overloads (5 tokens each) or 50 of other failures (10 each).
    """

    def __new__(
        cls,
        *,
        capacity: float = 500.0,
        retry_cost: float = 10.0,
        throttle_retry_cost: float = 5.0,
        success_reward: float = 1.0,
    ) -> RetryBudget: ...
    def try_spend(self, kind: str) -> float | None: ...
    def on_success(self, last_retry_cost: float = 0.0) -> None: ...
    @property
    def tokens(self) -> float: ...
    @property
    def stats(self) -> dict[str, float]: ...

def classify(exc: object, preset: RetryConfig | None = None) -> Classification:
    """Classify an exception exactly as the decorators would, without calling anything."""
