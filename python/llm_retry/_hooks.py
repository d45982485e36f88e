"""The user's callbacks llm-retry calls (``on_retry``, ``on_state_change``, ``on_fallback``) and the one rule
for all of them: a hook that raises is logged with its traceback and changes nothing about the call.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import TypeVar

logger = logging.getLogger("llm_retry")

H = TypeVar("H", bound=Callable[..., object])


def call_hook(hook: Callable[..., object], *args: object, name: str, about: str) -> None:
    """Calls one hook. An exception from it is logged (``logger.exception`` on ``llm_retry``) and goes no
    further: a metrics backend that is down must not change a call's retries, its answer or its exception,
    nor keep a breaker permit from being reported."""
    try:
        hook(*args)
    except Exception:
        logger.exception(
            "llm-retry: the %s hook %s raised (%s); ignored",
            name,
            getattr(hook, "__qualname__", None) or type(hook).__qualname__,
            about,
        )


def hook_tuple(name: str, hooks: H | Iterable[H] | None) -> tuple[H, ...]:
    """``None``, one callable or an iterable of callables, as a tuple; anything else is a TypeError naming
    the parameter."""
    if hooks is None:
        return ()
    if callable(hooks):
        return (hooks,)
    if isinstance(hooks, Iterable) and not isinstance(hooks, str | bytes):
        found = tuple(hooks)
        for hook in found:
            if not callable(hook):
                raise TypeError(f"{name} must contain callables, got {type(hook).__name__}")
        return found
    raise TypeError(f"{name} must be a callable or a list of callables, got {type(hooks).__name__}")
