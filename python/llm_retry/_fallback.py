"""`fallback`: try providers in order, moving on only when another provider can help.

It moves on when a breaker is open, when a provider's failure is a provider failure (its retries, if it is
decorated, are then exhausted), or when the failure's kind is one the caller chose (a context overflow can
go to a model with a larger window). Anything else (a bad request, say) is raised at once.
"""

from __future__ import annotations

import functools
import inspect
import logging
import sys
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, ParamSpec, TypeVar, cast

from ._breaker import CircuitOpenError
from ._decorators import _is_async_callable, classify
from ._kinds import ErrorKind

P = ParamSpec("P")
R = TypeVar("R")

logger = logging.getLogger("llm_retry")

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

if sys.version_info >= (3, 11):

    class AllProvidersFailed(ExceptionGroup):  # noqa: F821 - builtin on 3.11+
        """Every provider failed; ``errors`` (also ``exceptions``) holds each one's exception, in order."""

        @property
        def errors(self) -> tuple[Exception, ...]:
            return tuple(cast(Sequence[Exception], self.exceptions))

else:  # pragma: no cover - Python 3.10

    class AllProvidersFailed(Exception):
        """Every provider failed; ``errors`` holds each one's exception, in order."""

        def __init__(self, message: str, errors: Sequence[Exception]) -> None:
            super().__init__(message)
            self.errors = tuple(errors)
            self.exceptions = self.errors


@dataclass(frozen=True, slots=True)
class FallbackEvent:
    """Handed to ``on_fallback`` when a provider fails and the next is tried."""

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
    ) -> None:
        self.providers = providers
        self.names = tuple(_name(p) for p in providers)
        self.kinds = kinds
        self.on_fallback = on_fallback

    def moves_on(self, exc: Exception) -> tuple[bool, ErrorKind | None]:
        if isinstance(exc, CircuitOpenError):
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
            kind.value if kind is not None else "circuit open",
            event.next,
            extra={"provider": event.failed, "next_provider": event.next, "kind": kind and kind.value},
        )
        if self.on_fallback is not None:
            self.on_fallback(event)

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
    on: Iterable[ErrorKind] = DEFAULT_FALLBACK_KINDS,
    on_fallback: Callable[[FallbackEvent], object] | None = None,
) -> Callable[P, R]:
    """One callable that tries ``primary``, then each of ``others``, until one answers.

    Works on decorated or plain callables with the same signature; with async callables the result is a
    coroutine function. ``on`` lists the kinds of failure that move on to the next provider (by default
    provider failures and spent quotas; add ``ErrorKind.CONTEXT_OVERFLOW`` to fall over to a model with a
    larger window). When every provider fails, `AllProvidersFailed` carries each exception in ``errors``.

    >>> def primary(prompt: str) -> str:
    ...     raise ConnectionRefusedError("primary is down")
    >>> def secondary(prompt: str) -> str:
    ...     return "answer from secondary"
    >>> fallback(primary, secondary)("hi")
    'answer from secondary'
    """
    providers = (primary, *others)
    for p in providers:
        if not callable(p):
            raise TypeError(f"fallback takes callables, got {type(p).__name__}")
    kinds = frozenset(ErrorKind(k) for k in on)
    if on_fallback is not None and not callable(on_fallback):
        raise TypeError(f"on_fallback must be callable, got {type(on_fallback).__name__}")
    chain = _Chain(providers, kinds, on_fallback)
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
