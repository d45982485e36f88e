"""The testing switches the attempt engine reads on its failure path (never on the success path): waits
recorded instead of slept (`llm_retry.testing.record_waits`), and retries turned off (`disable_retries`).
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass

from ._config import RetryConfig


@dataclass(frozen=True, slots=True)
class Wait:
    """One wait llm-retry would have slept, recorded by `llm_retry.testing.record_waits`.

    ``delay_s`` is the wait; ``ceiling_s`` the most it could have been: for a computed backoff, the full
    jitter ceiling ``min(max_delay_s, base_delay_s * 2 ** (attempt - 1))`` it was drawn under (uniformly,
    from 0); for a server hint, a gate's hold or a breaker's refusal, the wait itself. ``attempt`` is the
    1-based attempt that failed (for a gate or a breaker, the one about to be made), ``function`` the
    decorated function's qualified name, ``from_hint`` whether the wait is the provider's (a retry-after,
    or a gate's hold set by one), and ``cause`` one of ``"retry"``, ``"gate"``, ``"breaker"``.
    """

    delay_s: float
    ceiling_s: float
    attempt: int
    function: str
    from_hint: bool
    cause: str = "retry"


def backoff_ceiling_s(config: RetryConfig, attempt: int) -> float:
    """The full-jitter ceiling after failed attempt ``attempt``: the core's `backoff::ceiling_s`, exactly.
    A config's seconds are finite and at most a year, and doubling a float is exact until it overflows,
    where the max applies anyway."""
    base_s, max_s = config.base_delay_s, config.max_delay_s
    if base_s <= 0.0 or max_s <= 0.0:
        return 0.0
    doublings = max(attempt - 1, 0)
    if doublings > 2100:
        return max_s
    try:
        return min(max_s, math.ldexp(base_s, doublings))
    except OverflowError:
        return max_s


class Switches:
    """The state behind the testing helpers. ``active`` is the one read on a failure path: False unless a
    recorder is on or retries are off."""

    __slots__ = ("active", "lock", "recorders", "retries_off")

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.recorders: list[list[Wait]] = []  # nested record_waits blocks; the innermost records
        self.retries_off = False
        self.active = False

    def update(self) -> None:
        self.active = bool(self.recorders) or self.retries_off

    def record(self, wait: Wait) -> bool:
        """Records ``wait`` when a recorder is on; True when it did (the wait is then not slept)."""
        with self.lock:
            if not self.recorders:
                return False
            self.recorders[-1].append(wait)
            return True


switches = Switches()
