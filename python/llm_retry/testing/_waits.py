"""`record_waits` and `disable_retries`: the switches of `llm_retry._switches`, as context managers a test
suite uses (the pytest plugin's ``llm_retry_waits`` fixture is `record_waits`)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from types import TracebackType

from .. import _validate as valid
from .._switches import Wait, switches


@contextmanager
def record_waits() -> Iterator[list[Wait]]:
    """Inside the block, every wait llm-retry would sleep is recorded instead, and not slept: the list it
    yields gets one `Wait` per wait (``delay_s``, its jitter ceiling ``ceiling_s``, ``attempt``,
    ``function``, ``from_hint``, ``cause``), in order, from every thread and task of the process. A test
    can then assert the number of retries and the bounds of their jitter in microseconds.

    Retry waits (computed backoff or a server hint) are skipped. A `RateLimitGate`'s hold is recorded and
    the attempt goes ahead at once. A wait for a breaker (``wait_for_breaker=True``) is recorded, and the
    call then gives up as if it could not wait: the breaker's clock does not move with a skipped wait.
    Events and hooks still see the waits the library chose. Blocks nest; the innermost one records.

    >>> from llm_retry import retry_llm
    >>> class Overloaded(Exception):
    ...     status_code = 529
    >>> @retry_llm(max_attempts=4, base_delay_s=0.5, budget=None)
    ... def ask() -> str:
    ...     raise Overloaded()
    >>> with record_waits() as waits:
    ...     try:
    ...         ask()
    ...     except Overloaded:
    ...         pass
    >>> len(waits), all(0 <= w.delay_s <= w.ceiling_s for w in waits)
    (3, True)
    >>> [w.ceiling_s for w in waits]
    [0.5, 1.0, 2.0]
    """
    waits: list[Wait] = []
    with switches.lock:
        switches.recorders.append(waits)
        switches.update()
    try:
        yield waits
    finally:
        with switches.lock:
            # By identity: two blocks' lists are equal while both are empty.
            index = next(i for i, kept in enumerate(switches.recorders) if kept is waits)
            del switches.recorders[index]
            switches.update()


class disable_retries:
    """Turns retries off everywhere in the process: each call makes one attempt, and a failure that would
    have been retried is raised at once, with a note saying retries are disabled (its `give_up_reason` is
    ``ATTEMPTS_EXHAUSTED``). Breakers, gates and budgets still see the attempt.

    Called alone it is a process-wide switch (``disable_retries()``; ``disable_retries(False)`` turns
    retries back on); as a context manager it restores the previous setting on leaving the block.

    >>> from llm_retry import retry_llm
    >>> calls = []
    >>> @retry_llm(max_attempts=5, budget=None)
    ... def flaky() -> None:
    ...     calls.append(1)
    ...     raise ConnectionResetError("peer reset")
    >>> with disable_retries():
    ...     try:
    ...         flaky()
    ...     except ConnectionResetError:
    ...         pass
    >>> len(calls)
    1
    """

    __slots__ = ("_previous",)

    def __init__(self, disabled: bool = True) -> None:
        disabled = valid.flag("disabled", disabled)
        with switches.lock:
            self._previous = switches.retries_off
            switches.retries_off = disabled
            switches.update()

    def __enter__(self) -> None:
        return None

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        with switches.lock:
            switches.retries_off = self._previous
            switches.update()
