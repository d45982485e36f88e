"""`fallback`: try providers in order, moving on only when another provider can help.

It moves on when a breaker is open or a rate-limit gate holds calls too long, when a provider's failure is a
provider failure (its retries, if it is decorated, are then exhausted), or when the failure's kind is one the
caller chose (a context overflow can go to a model with a larger window). Anything else (a bad request, say)
is raised at once.
"""

from __future__ import annotations

import functools
import inspect
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any, ParamSpec, TypeVar, cast

from . import _validate as valid
from ._breaker import CircuitOpenError
from ._decorators import _is_async_callable, classify
from ._events import Event, Listener, emit, listening
from ._gate import RateLimitedError
from ._hooks import call_hook
from ._kinds import ErrorKind

P = ParamSpec("P")
R = TypeVar("R")

logger = logging.getLogger("llm_retry")

# The kinds that move on to the next provider whatever ``on`` adds (unless ``replace_defaults=True``).
DEFAULT_FALLBACK_KINDS: frozenset[ErrorKind] = frozenset(
    {
        ErrorKind.RATE_LIMITED,
        ErrorKind.OVERLOADED,
        ErrorKind.SERVER_ERROR,
        ErrorKind.NETWORK,
        # A spent quota or billing limit belongs to one provider account; another can still answer.
        ErrorKind.QUOTA_EXHAUSTED,
    }
)


# Why a provider's call was not even attempted, for the log line: its breaker, or its rate-limit gate.
_NOT_ATTEMPTED = {True: "circuit open", False: "rate-limit gate holds calls"}


class AllProvidersFailed(ExceptionGroup[Exception]):
    """Every provider failed; ``errors`` (also ``exceptions``) holds each one's exception, in order."""

    @property
    def errors(self) -> tuple[Exception, ...]:
        return tuple(self.exceptions)


@dataclass(frozen=True, slots=True)
class FallbackEvent(Event):
    """Handed to ``on_fallback`` and the event listeners when a provider fails and the next is tried."""

    failed: str
    next: str
    exception: Exception
    kind: ErrorKind | None


def _name(fn: Callable[..., Any]) -> str:
    return getattr(fn, "__qualname__", None) or type(fn).__qualname__


class _Chain:
    def __init__(
        self,
        providers: tuple[Callable[..., Any], ...],
        kinds: frozenset[ErrorKind],
        on_fallback: Callable[[FallbackEvent], object] | None,
        on_event: tuple[Listener, ...],
    ) -> None:
        self.providers = providers
        self.names = tuple(_name(p) for p in providers)
        self.kinds = kinds
        self.on_fallback = on_fallback
        self.on_event = on_event

    def moves_on(self, exc: Exception) -> tuple[bool, ErrorKind | None]:
        if isinstance(exc, CircuitOpenError | RateLimitedError):
            return True, None
        kind = classify(exc).kind
        return kind in self.kinds, kind

    def failed(self, index: int, exc: Exception, errors: list[Exception]) -> None:
        """Records provider ``index``'s failure; raises it when falling over cannot help."""
        moves_on, kind = self.moves_on(exc)
        if not moves_on:
            raise exc
        errors.append(exc)
        if index + 1 == len(self.providers):
            raise AllProvidersFailed(
                f"all {len(self.providers)} providers failed: " + ", ".join(self.names), errors
            )
        event = FallbackEvent(self.names[index], self.names[index + 1], exc, kind)
        logger.warning(
            "llm-retry: %s failed (%s); falling back to %s",
            event.failed,
            kind.value if kind is not None else _NOT_ATTEMPTED[isinstance(exc, CircuitOpenError)],
            event.next,
            extra={"provider": event.failed, "next_provider": event.next, "kind": kind and kind.value},
        )
        if self.on_fallback is not None:
            call_hook(self.on_fallback, event, name="on_fallback", about=f"{event.failed} -> {event.next}")
        if listening(self.on_event):
            emit(event, self.on_event)

    def answered(self, index: int) -> None:
        if index > 0:
            logger.info(
                "llm-retry: answered by fallback provider %s",
                self.names[index],
                extra={"provider": self.names[index], "position": index},
            )


def fallback(
    primary: Callable[P, R],
    *others: Callable[P, R],
    on: Iterable[ErrorKind | str] = (),
    replace_defaults: bool = False,
    on_fallback: Callable[[FallbackEvent], object] | None = None,
    on_event: Listener | Iterable[Listener] | None = None,
) -> Callable[P, R]:
    """One callable that tries ``primary``, then each of ``others``, until one answers.

    Works on decorated or plain callables with the same signature; with async callables the result is a
    coroutine function. A failure of a kind in `DEFAULT_FALLBACK_KINDS` (rate limited, overloaded, server
    error, network, quota exhausted) moves on to the next provider, and so does an open breaker or a
    rate-limit gate holding calls too long (a `RateLimitedError`). ``on`` adds kinds to those:
    ``on={ErrorKind.CONTEXT_OVERFLOW}`` also falls over to a model with a larger window. With
    ``replace_defaults=True`` the kinds in ``on`` are the only ones (an open breaker or a holding gate still
    moves on). Any other failure is raised at once. When every provider fails, `AllProvidersFailed`
    carries each exception in ``errors``. Each move to the next provider is a `FallbackEvent`, handed to
    ``on_fallback``, then to the ``on_event`` listeners and the process-wide ones (`add_listener`). A hook
    or listener that raises is logged, not propagated.

    >>> def primary(prompt: str) -> str:
    ...     raise ConnectionRefusedError("primary is down")
    >>> def secondary(prompt: str) -> str:
    ...     return "answer from secondary"
    >>> fallback(primary, secondary)("hi")
    'answer from secondary'

    ``on`` adds to the defaults; ``replace_defaults=True`` keeps only ``on``:

    >>> class PromptTooLong(Exception):
    ...     status_code = 400
    ...     message = "prompt is too long: 250000 tokens > 200000 maximum"
    >>> def small(prompt: str) -> str:
    ...     raise PromptTooLong()
    >>> fallback(small, secondary, on={ErrorKind.CONTEXT_OVERFLOW})("a long prompt")
    'answer from secondary'
    >>> fallback(primary, secondary, on={ErrorKind.CONTEXT_OVERFLOW}, replace_defaults=True)("hi")
    Traceback (most recent call last):
    ...
    ConnectionRefusedError: primary is down
    """
    valid.function("primary", primary)
    for index, other in enumerate(others):
        valid.function(f"others[{index}]", other)
    providers = (primary, *others)
    kinds = valid.kinds("on", on)
    if not valid.flag("replace_defaults", replace_defaults):
        kinds |= DEFAULT_FALLBACK_KINDS
    chain = _Chain(
        providers,
        kinds,
        valid.optional_function("on_fallback", on_fallback),
        valid.hooks("on_event", on_event),
    )
    asyncs = [_is_async_callable(p) for p in providers]
    if any(asyncs) and not all(asyncs):
        raise TypeError("fallback needs all-sync or all-async callables, not a mix")

    if all(asyncs):

        @functools.wraps(primary)
        async def async_chain(*args: P.args, **kwargs: P.kwargs) -> Any:
            errors: list[Exception] = []
            for index, provider in enumerate(providers):
                try:
                    result = await cast(Callable[P, Awaitable[Any]], provider)(*args, **kwargs)
                except Exception as exc:
                    chain.failed(index, exc, errors)
                    continue
                chain.answered(index)
                return result
            raise AssertionError("unreachable")  # pragma: no cover

        return cast(Callable[P, R], async_chain)

    @functools.wraps(primary)
    def sync_chain(*args: P.args, **kwargs: P.kwargs) -> R:
        errors: list[Exception] = []
        for index, provider in enumerate(providers):
            try:
                result = provider(*args, **kwargs)
            except Exception as exc:
                chain.failed(index, exc, errors)
                continue
            chain.answered(index)
            return result
        raise AssertionError("unreachable")  # pragma: no cover

    assert not inspect.iscoroutinefunction(sync_chain)
    return sync_chain
